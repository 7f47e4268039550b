/* SPDX-License-Identifier: MIT */
/*
 * resolve.h - name lookups on the event loop: the hosts file, then udns.
 * Every submitted query gets exactly one completion, also when cancelled
 * or when the resolver is freed (udns itself cancels silently).
 *
 * Each record type is a small table entry in resolve.c (what to submit,
 * how to take udns's parsed answer, how to hand it over), so TLSA or TXT
 * lookups are one more entry and one more typed front, not a copy.
 */
#ifndef SP_RESOLVE_H
#define SP_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "smtpprobe.h"

#define SP_MAX_ADDRS 16
#define SP_MAX_MX 64      /* MX records kept, best preference first */
#define SP_MAX_PTR 4      /* PTR names kept */
#define SP_NAME_MAX 256   /* a host name in text (253 octets) and NUL, with room */

/* Query status: 0, a udns DNS_E_* code (negative), or cancelled. The
 * ones callers tell apart are mirrored here (resolve.c checks they agree). */
#define SP_DNS_TEMPFAIL (-1)
#define SP_DNS_NXDOMAIN (-3)
#define SP_DNS_NODATA (-4)
#define SP_DNS_CANCELLED (-100)

struct sp_addrs {
	size_t n;
	struct sockaddr_storage a[SP_MAX_ADDRS];
};

struct sp_mx {
	unsigned pref;
	bool valid;               /* a host name; otherwise name holds it for display */
	char name[SP_NAME_MAX];
};

/* A domain's MX records: sorted by preference, then name; no duplicates. */
struct sp_mxrecs {
	size_t n;
	size_t dropped;           /* records beyond SP_MAX_MX */
	bool null_mx;             /* RFC 7505 "0 ." and nothing else */
	bool null_mixed;          /* "0 ." among other records: ignored */
	struct sp_mx mx[SP_MAX_MX];
};

struct sp_names {
	size_t n;
	size_t invalid;           /* names that are not host names, not kept */
	char name[SP_MAX_PTR][SP_NAME_MAX];
};

struct event_base;
struct sp_resolver;
struct sp_query;

typedef void (*sp_addrs_fn)(void *arg, int status, const struct sp_addrs *addrs);
typedef void (*sp_mx_fn)(void *arg, int status, const struct sp_mxrecs *mx);
typedef void (*sp_names_fn)(void *arg, int status, const struct sp_names *names);

/*
 * @param server resolver address, or NULL for /etc/resolv.conf.
 * @return a resolver, or NULL with errno set.
 */
struct sp_resolver *sp_resolver_new(struct event_base *base, const char *server, unsigned port);
/* Completes every outstanding query with SP_DNS_CANCELLED, then frees. */
void sp_resolver_free(struct sp_resolver *rs);

/*
 * The typed lookups. Each callback runs once, from the event loop (or from
 * sp_query_cancel / sp_resolver_free); the data it is given lives only for
 * the call. @return the query, or NULL (errno) and then no callback.
 */

/* Addresses of @p name (AAAA before A, as @p family allows). @p absolute:
 * the name is fully qualified (MX hosts), no search list. */
struct sp_query *sp_resolve_addrs(struct sp_resolver *rs, const char *name,
	smtpprobe_family family, bool absolute, sp_addrs_fn cb, void *arg);
/* MX records of @p domain. */
struct sp_query *sp_resolve_mx(struct sp_resolver *rs, const char *domain,
	sp_mx_fn cb, void *arg);
/* PTR names of an IPv4 or IPv6 address (in-addr.arpa / ip6.arpa). */
struct sp_query *sp_resolve_ptr(struct sp_resolver *rs, const struct sockaddr *sa,
	sp_names_fn cb, void *arg);

/* Completes @p q now with SP_DNS_CANCELLED. */
void sp_query_cancel(struct sp_resolver *rs, struct sp_query *q);
/* @return words for a status ("NXDOMAIN", "no address", ...). */
const char *sp_dns_strerror(int status);

/* @return true when @p s is a host name: LDH labels of 1-63, 253 in all. */
bool sp_hostname_ok(const char *s);

/*
 * Looks @p name up in a hosts(5) file. @return the number of addresses
 * found (IPv6 before IPv4), 0 when none or the file cannot be read.
 */
size_t sp_hosts_lookup(const char *path, const char *name, smtpprobe_family family,
	struct sp_addrs *out);

/* Parses an IP literal into @p ss. @return 0, or -1 when not a literal. */
int sp_parse_literal(const char *s, smtpprobe_family family, struct sockaddr_storage *ss);

#endif
