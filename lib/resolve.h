/* SPDX-License-Identifier: MIT */
/*
 * resolve.h - name lookups on the event loop: the hosts file, then udns.
 * Every submitted query gets exactly one completion, also when cancelled
 * or when the resolver is freed (udns itself cancels silently).
 *
 * Each record type is a small table entry in resolve.c (what to submit,
 * how to take udns's parsed answer, how to hand it over), so TLSA or TXT
 * lookups are one more entry and one more typed front, not a copy.
 *
 * DANE (RFC 7672) lookups carry the EDNS0 DO bit and report the resolver's
 * AD bit with their answer. udns 0.4 shows no packet for NXDOMAIN/NODATA
 * (so no AD bit) and gives up on a truncated reply (TEMPFAIL): such
 * answers are asked again over TCP (RFC 7766, lib/dnstcp.c) of the same
 * resolver, and its reply goes through the same udns parsers.
 */
#ifndef SP_RESOLVE_H
#define SP_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "smtpprobe.h"
#include "tlsa.h"

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
	bool ad;                  /* DNSSEC lookup: every answer that gave addresses had AD */
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
	bool ad;                  /* DNSSEC lookup: the answer, or the denial, had AD */
	struct sp_mx mx[SP_MAX_MX];
};

struct sp_names {
	size_t n;
	size_t invalid;           /* names that are not host names, not kept */
	char name[SP_MAX_PTR][SP_NAME_MAX];
};

#define SP_MAX_TXT 8      /* TXT records kept of one name */
#define SP_TXT_MAX 4096   /* bytes kept of one record (its strings joined) */

/*
 * A name's TXT records, each record's strings joined (udns does that),
 * in the order of the answer. Bounded: records beyond SP_MAX_TXT are only
 * counted, a longer record is cut at SP_TXT_MAX and counted as cut.
 */
struct sp_txtset {
	size_t n;
	size_t dropped;           /* records beyond SP_MAX_TXT */
	size_t cut;               /* records longer than SP_TXT_MAX, kept cut */
	struct {
		size_t len;
		char txt[SP_TXT_MAX + 1];  /* NUL-terminated; may hold NULs of its own */
	} rec[SP_MAX_TXT];
};

struct event_base;
struct sp_resolver;
struct sp_query;

typedef void (*sp_addrs_fn)(void *arg, int status, const struct sp_addrs *addrs);
typedef void (*sp_mx_fn)(void *arg, int status, const struct sp_mxrecs *mx);
typedef void (*sp_names_fn)(void *arg, int status, const struct sp_names *names);
typedef void (*sp_tlsa_fn)(void *arg, int status, const struct sp_tlsaset *set);
typedef void (*sp_txt_fn)(void *arg, int status, const struct sp_txtset *set);

/*
 * @param server resolver address, or NULL for /etc/resolv.conf (with
 * udns's environment variables; the TCP re-ask goes to the first server).
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
/*
 * The same with the DO bit, for DANE: addrs->ad / mx->ad say the answer was
 * secure. The name is taken as fully qualified (no search list: the name
 * asked must be the name validated). A SERVFAIL, timeout or truncated
 * reply is asked again over TCP; for MX also NXDOMAIN and NODATA, whose
 * AD bit says whether the domain securely has no MX (RFC 7672 2.2.1).
 * Addresses: ad is true when at least one address came and every answer
 * that gave addresses (AAAA, A) had AD; a denial gives none and counts not.
 */
struct sp_query *sp_resolve_addrs_dnssec(struct sp_resolver *rs, const char *name,
	smtpprobe_family family, sp_addrs_fn cb, void *arg);
struct sp_query *sp_resolve_mx_dnssec(struct sp_resolver *rs, const char *domain,
	sp_mx_fn cb, void *arg);

/*
 * TLSA records of _PORT._tcp.HOST (RFC 7672 section 3), with the DO bit.
 * Status: 0 when the RRset exists (set->n may still be 0 when every record
 * was malformed), SP_DNS_NODATA / SP_DNS_NXDOMAIN when there is none
 * (set->ad: the denial was secure), SP_DNS_TEMPFAIL for SERVFAIL or no
 * answer (bogus or broken DNSSEC), SP_DNS_CANCELLED, or another DNS_E_*.
 * NODATA, NXDOMAIN and TEMPFAIL from udns are asked again over TCP to the
 * same resolver, within the resolver's timeout; set->via_tcp says its
 * reply decided, set->tcp_error why it could not (then udns's answer
 * stands, with ad false). @p host is fully qualified; @p port 1-65535.
 * @return the query, or NULL (errno: EINVAL for a name that cannot be
 * asked, ENOMEM) and then no callback.
 */
struct sp_query *sp_resolve_tlsa(struct sp_resolver *rs, const char *host, unsigned port,
	sp_tlsa_fn cb, void *arg);

/*
 * TXT records of @p name (fully qualified, no search list). Status 0 with
 * set->n > 0, SP_DNS_NXDOMAIN / SP_DNS_NODATA when there is none,
 * SP_DNS_TEMPFAIL (SERVFAIL, no answer), SP_DNS_CANCELLED, or another
 * DNS_E_*. @return the query, or NULL (errno) and then no callback.
 */
struct sp_query *sp_resolve_txt(struct sp_resolver *rs, const char *name, sp_txt_fn cb,
	void *arg);

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
