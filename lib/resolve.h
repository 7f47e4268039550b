/*
 * resolve.h - name lookups on the event loop: the hosts file, then udns.
 * Every submitted query gets exactly one completion, also when cancelled
 * or when the resolver is freed (udns itself cancels silently).
 */
#ifndef SP_RESOLVE_H
#define SP_RESOLVE_H

#include <stddef.h>
#include <sys/socket.h>

#include "smtpprobe.h"

#define SP_MAX_ADDRS 16

/* Query status: 0, a udns DNS_E_* code (negative), or this. */
#define SP_DNS_CANCELLED (-100)

struct sp_addrs {
	size_t n;
	struct sockaddr_storage a[SP_MAX_ADDRS];
};

struct event_base;
struct sp_resolver;
struct sp_query;

typedef void (*sp_addrs_fn)(void *arg, int status, const struct sp_addrs *addrs);

/*
 * @param server resolver address, or NULL for /etc/resolv.conf.
 * @return a resolver, or NULL with errno set.
 */
struct sp_resolver *sp_resolver_new(struct event_base *base, const char *server, unsigned port);
/* Completes every outstanding query with SP_DNS_CANCELLED, then frees. */
void sp_resolver_free(struct sp_resolver *rs);
/*
 * Looks up the addresses of @p name (AAAA before A, as @p family allows).
 * The callback runs from the event loop. @return the query, or NULL (errno).
 */
struct sp_query *sp_resolve_addrs(struct sp_resolver *rs, const char *name,
	smtpprobe_family family, sp_addrs_fn cb, void *arg);
/* Completes @p q now with SP_DNS_CANCELLED. */
void sp_query_cancel(struct sp_resolver *rs, struct sp_query *q);
/* @return words for a status ("NXDOMAIN", "no address", ...). */
const char *sp_dns_strerror(int status);

/*
 * Looks @p name up in a hosts(5) file. @return the number of addresses
 * found (IPv6 before IPv4), 0 when none or the file cannot be read.
 */
size_t sp_hosts_lookup(const char *path, const char *name, smtpprobe_family family,
	struct sp_addrs *out);

/* Parses an IP literal into @p ss. @return 0, or -1 when not a literal. */
int sp_parse_literal(const char *s, smtpprobe_family family, struct sockaddr_storage *ss);

#endif
