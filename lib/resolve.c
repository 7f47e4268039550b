/* SPDX-License-Identifier: MIT */
/*
 * resolve.c - udns driven by libevent: its socket is watched for reads
 * (dns_ioevent) and its timer requests become one libevent timer. A DNSSEC
 * part whose udns answer hides the AD bit, or that udns gave up on, is
 * asked again over TCP (dnstcp.c) and its reply parsed by the same udns
 * parser (dnsmsg.c frames it).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <event2/util.h>
#include <udns.h>

#include "dnsmsg.h"
#include "dnstcp.h"
#include "resconf.h"
#include "resolve.h"

/* One udns query of ours; a lookup may need two (AAAA and A). */
struct sp_part {
	struct sp_query *q;
	struct dns_query *dq;
	struct sp_dnstcp *tcp;    /* the TCP re-ask in flight */
	int rrtype;               /* DNS_T_* asked for */
	int status;
	/* DNSSEC parts only: */
	bool dnssec;
	bool ad;                  /* the reply that decided had AD */
	bool via_tcp;             /* ... and came over TCP */
	unsigned reask;           /* udns statuses asked again over TCP (REASK) */
	int udp_status;           /* udns's status, kept while TCP runs */
	int tcp_err;              /* why the TCP re-ask failed */
	unsigned tcp_id;
	dns_parse_fn *parse;      /* the parser udns was given: TCP uses it too */
	unsigned char dn[DNS_MAXDN];   /* the name as udns asked it */
};

/* A bit per udns status (DNS_E_* are -1..-6) for sp_part.reask. */
#define REASK(status) (1u << -(status))

/*
 * A DNSSEC part's parsed answer: udns's (or our TLSA) records and the AD
 * bit of the reply they came in, which udns's result types do not carry.
 */
struct sp_answer {
	bool ad;
	void *rr;
};

/*
 * What differs between record types. submit() sends the udns queries,
 * take() copies what udns parsed (NULL on error) and deliver() calls the
 * caller's typed callback; the plumbing around them is shared.
 */
struct sp_qtype {
	void (*take)(struct sp_query *q, const struct sp_part *part, void *rr);
	void (*deliver)(struct sp_query *q, int status);
};

struct sp_query {
	struct sp_resolver *rs;
	struct sp_query *next, **prevp;
	const struct sp_qtype *type;
	struct sp_part part[2];
	size_t nparts;
	int pending;
	union {
		sp_addrs_fn addrs;
		sp_mx_fn mx;
		sp_names_fn names;
		sp_tlsa_fn tlsa;
		sp_txt_fn txt;
	} cb;
	void *arg;
	union {
		struct {
			struct sp_addrs v4, v6;
			bool any, insecure;   /* answers with addresses; one without AD */
		} addrs;
		struct sp_mxrecs mx;
		struct sp_names names;
	} u;
	struct sp_tlsaset *tlsa;      /* outside u: 33 KiB, TLSA lookups only */
	struct sp_txtset *txt;        /* outside u: 32 KiB, TXT lookups only */
};

struct sp_resolver {
	struct event_base *base;
	struct dns_ctx *ctx;
	struct event *io, *timer;
	struct sp_query *queries;
	/* Where and how long the TCP re-ask goes: udns's first server. */
	struct sockaddr_storage tcp_addr;
	socklen_t tcp_addrlen;
	struct timeval tcp_timeout;
	unsigned udpsize;
};

_Static_assert(SP_DNS_TEMPFAIL == DNS_E_TEMPFAIL && SP_DNS_NXDOMAIN == DNS_E_NXDOMAIN &&
	SP_DNS_NODATA == DNS_E_NODATA, "statuses mirrored from udns");

static pthread_once_t udns_once = PTHREAD_ONCE_INIT;

/*
 * udns copies new contexts from its default one, which must be marked
 * initialised first; dns_reset() does that without reading any file.
 */
static void
udns_setup(void)
{
	dns_reset(&dns_defctx);
}

const char *
sp_dns_strerror(int status)
{
	switch (status) {
	case DNS_E_NOERROR:
		return "no error";
	case DNS_E_TEMPFAIL:
		return "SERVFAIL or no answer";
	case DNS_E_PROTOCOL:
		return "garbled DNS reply";
	case DNS_E_NXDOMAIN:
		return "NXDOMAIN";
	case DNS_E_NODATA:
		return "no address";
	case DNS_E_NOMEM:
		return "out of memory";
	case DNS_E_BADQUERY:
		return "malformed name";
	case SP_DNS_CANCELLED:
		return "cancelled";
	default:
		return "DNS error";
	}
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_resolver *rs = arg;

	dns_timeouts(rs->ctx, -1, 0);
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_resolver *rs = arg;

	dns_ioevent(rs->ctx, 0);
}

/* udns asks: timeout < 0 stop, 0 fire now, > 0 fire in that many seconds. */
static void
utm_cb(struct dns_ctx *ctx, int timeout, void *arg)
{
	struct sp_resolver *rs = arg;
	struct timeval tv = { timeout > 0 ? timeout : 0, 0 };

	if (timeout < 0)
		evtimer_del(rs->timer);
	else
		evtimer_add(rs->timer, &tv);
}

static int
configure(struct sp_resolver *rs, const char *server, unsigned port)
{
	if (server == NULL)
		return dns_init(rs->ctx, 0) < 0 ? -1 : 0;
	if (dns_add_serv(rs->ctx, NULL) < 0 || dns_add_serv(rs->ctx, server) < 0)
		return -1;
	if (port != 0)
		dns_set_opt(rs->ctx, DNS_OPT_PORT, (int)port);
	return 0;
}

/* An IP literal and a port as a socket address. @return 0 or -1. */
static int
sockaddr_of(const char *addr, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* As much of a file as dns_init() reads of it ("" when unreadable). */
static void
read_conf(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/*
 * The TCP re-ask goes where udns's UDP queries go: the given server, or
 * the one dns_init() found (udns has no getter: resconf.c finds it again),
 * with udns's timeout for one try.
 */
static int
configure_tcp(struct sp_resolver *rs, const char *server, unsigned port)
{
	char conf[SP_RESCONF_READ + 1], addr[64];
	struct sp_resconf_env env = {
		getenv("NSCACHEIP"), getenv("NAMESERVERS"), getenv("RES_OPTIONS")
	};
	int timeout = dns_set_opt(rs->ctx, DNS_OPT_TIMEOUT, -1);
	int udpsize = dns_set_opt(rs->ctx, DNS_OPT_UDPSIZE, -1);

	rs->tcp_timeout.tv_sec = timeout > 0 ? timeout : 4;
	rs->udpsize = udpsize > 0 ? (unsigned)udpsize : DNS_EDNS0PACKET;
	if (server == NULL) {
		read_conf("/etc/resolv.conf", conf, sizeof(conf));
		if (sp_resconf_server(conf, &env, addr, sizeof(addr), &port) == -1)
			return -1;
		server = addr;
	} else if (port == 0) {
		port = DNS_PORT;
	}
	return sockaddr_of(server, port, &rs->tcp_addr, &rs->tcp_addrlen);
}

struct sp_resolver *
sp_resolver_new(struct event_base *base, const char *server, unsigned port)
{
	struct sp_resolver *rs = calloc(1, sizeof(*rs));
	int fd;

	if (rs == NULL)
		return NULL;
	rs->base = base;
	pthread_once(&udns_once, udns_setup);
	if ((rs->ctx = dns_new(NULL)) == NULL || configure(rs, server, port) == -1 ||
	    configure_tcp(rs, server, port) == -1 || (fd = dns_open(rs->ctx)) < 0)
		goto fail;
	rs->io = event_new(base, fd, EV_READ | EV_PERSIST, io_cb, rs);
	rs->timer = evtimer_new(base, timer_cb, rs);
	if (rs->io == NULL || rs->timer == NULL)
		goto fail;
	dns_set_tmcbck(rs->ctx, utm_cb, rs);
	return rs;
fail:
	sp_resolver_free(rs);
	errno = EINVAL;
	return NULL;
}

/* An idle resolver must not keep the event loop running. */
static void
query_unlink(struct sp_query *q)
{
	if (q->prevp == NULL)
		return;
	*q->prevp = q->next;
	if (q->next != NULL)
		q->next->prevp = q->prevp;
	q->prevp = NULL;
	if (q->rs->queries == NULL) {
		event_del(q->rs->io);
		evtimer_del(q->rs->timer);
	}
}

/* The one completion: unlinked first, so the callback may submit more. */
static void
query_complete(struct sp_query *q, int status)
{
	query_unlink(q);
	q->type->deliver(q, status);
	free(q->tlsa);
	free(q->txt);
	free(q);
}

/* With no answer at all, the more telling error of the parts wins. */
static int
combined_status(const struct sp_query *q)
{
	static const int order[] = { DNS_E_NXDOMAIN, DNS_E_TEMPFAIL, DNS_E_NODATA };

	for (size_t i = 0; i < q->nparts; i++)
		if (q->part[i].status == 0)
			return 0;
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (size_t i = 0; i < q->nparts; i++)
			if (q->part[i].status == order[o])
				return order[o];
	return q->nparts > 0 ? q->part[0].status : DNS_E_NODATA;
}

/* A part is answered: @p rr (ours to free) goes to the type, once. */
static void
part_finish(struct sp_part *part, int status, void *rr, bool ad)
{
	struct sp_query *q = part->q;

	part->status = status;
	part->ad = ad;
	q->type->take(q, part, rr);
	free(rr);
	if (--q->pending == 0)
		query_complete(q, combined_status(q));
}

/* A DNSSEC part's answer comes wrapped with its AD bit. */
static void
answer_finish(struct sp_part *part, struct sp_answer *a)
{
	void *rr = a->rr;
	bool ad = a->ad;

	free(a);
	part_finish(part, 0, rr, ad);
}

/*
 * The TCP reply: framed by dnsmsg.c, judged by udns's rules and parsed by
 * the part's own udns parser. A reply that is not the answer to our query
 * counts as a failed re-ask, and udns's answer stands.
 */
static void
tcp_cb(void *arg, int err, const unsigned char *msg, size_t len)
{
	struct sp_part *part = arg;
	struct sp_dnsmsg_facts f;
	void *res = NULL;
	int status;

	part->tcp = NULL;
	if (err == 0 && sp_dnsmsg_reply(msg, len, part->tcp_id, part->dn, part->rrtype, &f) !=
	    SP_DNSMSG_OK)
		err = EBADMSG;
	if (err != 0) {
		part->tcp_err = err;
		part_finish(part, part->udp_status, NULL, false);
		return;
	}
	part->via_tcp = true;
	if ((status = sp_dnsmsg_status(&f)) == 0)
		status = sp_dnsmsg_parse(msg, len, &f, part->dn, part->parse, &res);
	if (status == 0)
		answer_finish(part, res);
	else
		part_finish(part, status, NULL,
			f.ad && (status == DNS_E_NODATA || status == DNS_E_NXDOMAIN));
}

/*
 * Asks @p part again over TCP when udns's @p status is one to re-ask.
 * @return true when the TCP exchange is under way (it completes the part).
 */
static bool
reask_tcp(struct sp_part *part, int status)
{
	struct sp_resolver *rs = part->q->rs;
	unsigned char frame[SP_DNSMSG_QUERY_MAX];
	uint16_t id;
	size_t len;

	if (status >= 0 || status < DNS_E_BADQUERY || !(part->reask & REASK(status)))
		return false;
	part->udp_status = status;
	evutil_secure_rng_get_bytes(&id, sizeof(id));
	part->tcp_id = id;
	len = sp_dnsmsg_query(frame, sizeof(frame), id, part->dn, part->rrtype, rs->udpsize, true);
	if (len == 0) {
		part->tcp_err = EINVAL;
		return false;
	}
	part->tcp = sp_dnstcp_start(rs->base, (struct sockaddr *)&rs->tcp_addr, rs->tcp_addrlen,
		frame, len, &rs->tcp_timeout, tcp_cb, part);
	if (part->tcp == NULL)
		part->tcp_err = errno;
	return part->tcp != NULL;
}

/* udns's callback for every type: @p rr is its parsed answer, ours to free. */
static void
part_cb(struct dns_ctx *ctx, void *rr, void *data)
{
	struct sp_part *part = data;
	int status = rr != NULL ? 0 : dns_status(ctx);

	part->dq = NULL;
	if (!part->dnssec)
		part_finish(part, status, rr, false);
	else if (rr != NULL)
		answer_finish(part, rr);
	else if (!reask_tcp(part, status))
		part_finish(part, status, NULL, false);
}

/* Wraps udns parser @p inner: its records and the reply's AD bit. */
static int
parse_with_ad(dns_parse_fn *inner, dnscc_t *qdn, dnscc_t *pkt, dnscc_t *cur, dnscc_t *end,
	void **res)
{
	struct sp_answer *a = malloc(sizeof(*a));
	int r;

	if (a == NULL)
		return DNS_E_NOMEM;
	if ((r = inner(qdn, pkt, cur, end, &a->rr)) < 0) {
		free(a);
		return r;
	}
	a->ad = dns_ad(pkt) != 0;
	*res = a;
	return r;
}

/* udns calls parsers with no context of ours: one wrapper per parser. */
static int
parse_a4_ad(dnscc_t *qdn, dnscc_t *pkt, dnscc_t *cur, dnscc_t *end, void **res)
{
	return parse_with_ad(dns_parse_a4, qdn, pkt, cur, end, res);
}

static int
parse_a6_ad(dnscc_t *qdn, dnscc_t *pkt, dnscc_t *cur, dnscc_t *end, void **res)
{
	return parse_with_ad(dns_parse_a6, qdn, pkt, cur, end, res);
}

static int
parse_mx_ad(dnscc_t *qdn, dnscc_t *pkt, dnscc_t *cur, dnscc_t *end, void **res)
{
	return parse_with_ad(dns_parse_mx, qdn, pkt, cur, end, res);
}

static int
parse_tlsa_ad(dnscc_t *qdn, dnscc_t *pkt, dnscc_t *cur, dnscc_t *end, void **res)
{
	return parse_with_ad(sp_dnsmsg_parse_tlsa, qdn, pkt, cur, end, res);
}

static struct sp_query *
query_new(struct sp_resolver *rs, const struct sp_qtype *type, void *arg)
{
	struct sp_query *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->rs = rs;
	q->type = type;
	q->arg = arg;
	return q;
}

/*
 * Sends one udns query as the next part of @p q: by text name, or by a
 * wire-format name (@p dn) when @p name is NULL. A failure to send is
 * remembered and undoes the whole lookup in query_start().
 */
static void
query_submit(struct sp_query *q, const char *name, const unsigned char *dn, int rrtype,
	int flags, dns_parse_fn *parse)
{
	struct sp_part *part = &q->part[q->nparts++];

	part->q = q;
	part->rrtype = rrtype;
	part->status = DNS_E_NODATA;
	if (name != NULL)
		part->dq = dns_submit_p(q->rs->ctx, name, DNS_C_IN, rrtype, flags, parse,
			part_cb, part);
	else
		part->dq = dns_submit_dn(q->rs->ctx, dn, DNS_C_IN, rrtype, flags, parse,
			part_cb, part);
	if (part->dq != NULL)
		q->pending++;
}

/*
 * A DNSSEC part: the DO bit, no search list, the name kept as asked (for
 * the TCP re-ask), udns statuses in @p reask asked again over TCP, and
 * @p parse a parser that returns a struct sp_answer.
 */
static void
query_submit_dnssec(struct sp_query *q, const char *name, int rrtype, unsigned reask,
	dns_parse_fn *parse)
{
	struct sp_part *part = &q->part[q->nparts];

	part->dnssec = true;
	part->reask = reask;
	part->parse = parse;
	if (dns_ptodn(name, 0, part->dn, sizeof(part->dn), NULL) <= 0) {
		q->nparts++;      /* not sent: query_start() undoes the lookup */
		return;
	}
	query_submit(q, NULL, part->dn, rrtype, DNS_SET_DO | DNS_NOSRCH, parse);
}

/* udns 0.4's dns_cancel() unlinks a query but leaves it to us to free. */
static void
udns_drop(struct sp_resolver *rs, struct dns_query *dq)
{
	if (dq == NULL)
		return;
	dns_cancel(rs->ctx, dq);
	free(dq);
}

/*
 * Every part must have gone out, or the query is undone quietly: nothing
 * was promised yet, so no callback. @return q, or NULL (errno).
 */
static struct sp_query *
query_start(struct sp_query *q)
{
	struct sp_resolver *rs = q->rs;

	if (q->nparts == 0 || (size_t)q->pending != q->nparts ||
	    (rs->queries == NULL && event_add(rs->io, NULL) == -1)) {
		for (size_t i = 0; i < q->nparts; i++)
			udns_drop(rs, q->part[i].dq);
		free(q->tlsa);
		free(q->txt);
		free(q);
		errno = EINVAL;
		return NULL;
	}
	q->next = rs->queries;
	if (q->next != NULL)
		q->next->prevp = &q->next;
	rs->queries = q;
	q->prevp = &rs->queries;
	return q;
}

/* Cancels silently in udns, then completes once ourselves, with nothing. */
void
sp_query_cancel(struct sp_resolver *rs, struct sp_query *q)
{
	for (size_t i = 0; i < q->nparts; i++) {
		udns_drop(rs, q->part[i].dq);
		q->part[i].dq = NULL;
		sp_dnstcp_cancel(q->part[i].tcp);
		q->part[i].tcp = NULL;
	}
	memset(&q->u, 0, sizeof(q->u));
	if (q->tlsa != NULL)
		memset(q->tlsa, 0, sizeof(*q->tlsa));
	if (q->txt != NULL)
		q->txt->n = 0;
	query_complete(q, SP_DNS_CANCELLED);
}

void
sp_resolver_free(struct sp_resolver *rs)
{
	if (rs == NULL)
		return;
	while (rs->queries != NULL)
		sp_query_cancel(rs, rs->queries);
	/* dns_free() calls the timer hook: the events must still exist. */
	if (rs->ctx != NULL)
		dns_free(rs->ctx);
	if (rs->io != NULL)
		event_free(rs->io);
	if (rs->timer != NULL)
		event_free(rs->timer);
	free(rs);
}

bool
sp_hostname_ok(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		/* '_' is not LDH, but real PTR names carry it: a name, not a threat. */
		if (!isalnum(c) && c != '-' && c != '_')
			return false;
		if ((label == 0 && c == '-') || ++label > 63)
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

/* ------------------------------------------------------------ addresses */

/* Only answers that give addresses count for the set's AD bit. */
static void
addrs_note_ad(struct sp_query *q, const struct sp_part *part, int nrr)
{
	if (nrr <= 0)
		return;
	q->u.addrs.any = true;
	if (!part->ad)
		q->u.addrs.insecure = true;
}

static void
addrs_take(struct sp_query *q, const struct sp_part *part, void *rr)
{
	if (rr == NULL)
		return;
	if (part->rrtype == DNS_T_AAAA) {
		const struct dns_rr_a6 *a6 = rr;
		struct sp_addrs *to = &q->u.addrs.v6;

		addrs_note_ad(q, part, a6->dnsa6_nrr);
		for (int i = 0; i < a6->dnsa6_nrr && to->n < SP_MAX_ADDRS; i++) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to->a[to->n++];

			memset(sin6, 0, sizeof(*sin6));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = a6->dnsa6_addr[i];
		}
	} else {
		const struct dns_rr_a4 *a4 = rr;
		struct sp_addrs *to = &q->u.addrs.v4;

		addrs_note_ad(q, part, a4->dnsa4_nrr);
		for (int i = 0; i < a4->dnsa4_nrr && to->n < SP_MAX_ADDRS; i++) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&to->a[to->n++];

			memset(sin, 0, sizeof(*sin));
			sin->sin_family = AF_INET;
			sin->sin_addr = a4->dnsa4_addr[i];
		}
	}
}

static void
addrs_deliver(struct sp_query *q, int status)
{
	struct sp_addrs all = { 0 };

	for (size_t i = 0; i < q->u.addrs.v6.n && all.n < SP_MAX_ADDRS; i++)
		all.a[all.n++] = q->u.addrs.v6.a[i];
	for (size_t i = 0; i < q->u.addrs.v4.n && all.n < SP_MAX_ADDRS; i++)
		all.a[all.n++] = q->u.addrs.v4.a[i];
	all.ad = all.n > 0 && q->u.addrs.any && !q->u.addrs.insecure;
	if (all.n == 0 && status == 0)
		status = DNS_E_NODATA;
	q->cb.addrs(q->arg, all.n > 0 ? 0 : status, &all);
}

static const struct sp_qtype addrs_type = { addrs_take, addrs_deliver };

struct sp_query *
sp_resolve_addrs(struct sp_resolver *rs, const char *name, smtpprobe_family family,
	bool absolute, sp_addrs_fn cb, void *arg)
{
	struct sp_query *q = query_new(rs, &addrs_type, arg);
	int flags = absolute ? DNS_NOSRCH : 0;

	if (q == NULL)
		return NULL;
	q->cb.addrs = cb;
	if (family != SMTPPROBE_FAMILY_IPV4)
		query_submit(q, name, NULL, DNS_T_AAAA, flags, dns_parse_a6);
	if (family != SMTPPROBE_FAMILY_IPV6)
		query_submit(q, name, NULL, DNS_T_A, flags, dns_parse_a4);
	return query_start(q);
}

/* A denial of one family gives no address: only a failure is asked again. */
struct sp_query *
sp_resolve_addrs_dnssec(struct sp_resolver *rs, const char *name, smtpprobe_family family,
	sp_addrs_fn cb, void *arg)
{
	struct sp_query *q = query_new(rs, &addrs_type, arg);

	if (q == NULL)
		return NULL;
	q->cb.addrs = cb;
	if (family != SMTPPROBE_FAMILY_IPV4)
		query_submit_dnssec(q, name, DNS_T_AAAA, REASK(DNS_E_TEMPFAIL), parse_a6_ad);
	if (family != SMTPPROBE_FAMILY_IPV6)
		query_submit_dnssec(q, name, DNS_T_A, REASK(DNS_E_TEMPFAIL), parse_a4_ad);
	return query_start(q);
}

/* ------------------------------------------------------------ MX */

/* Text of a name from the wire: bounded, and marked when not a host name. */
static void
copy_name(char *dst, const char *src, bool *valid)
{
	size_t len = strlen(src);

	if (len > 0 && src[len - 1] == '.')
		len--;
	if (len >= SP_NAME_MAX) {
		len = SP_NAME_MAX - 4;
		*valid = false;
		snprintf(dst, SP_NAME_MAX, "%.*s...", (int)len, src);
		return;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	*valid = sp_hostname_ok(dst);
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return strcasecmp(x->name, y->name);
}

static bool
mx_known(const struct sp_mxrecs *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcasecmp(set->mx[i].name, name) == 0)
			return true;
	return false;
}

/* The root name: udns spells it "." (or nothing). */
static bool
is_root(const char *name)
{
	return name[0] == '\0' || strcmp(name, ".") == 0;
}

static void
mx_take(struct sp_query *q, const struct sp_part *part, void *rr)
{
	struct dns_rr_mx *mx = rr;
	struct sp_mxrecs *set = &q->u.mx;
	size_t nroot = 0;

	set->ad = part->ad;
	if (mx == NULL || mx->dnsmx_nrr <= 0)
		return;
	/* Best preference first; equal ones by name, so the order is stable. */
	qsort(mx->dnsmx_mx, (size_t)mx->dnsmx_nrr, sizeof(*mx->dnsmx_mx), mx_cmp);
	for (int i = 0; i < mx->dnsmx_nrr; i++) {
		const struct dns_mx *r = &mx->dnsmx_mx[i];
		struct sp_mx *to;

		if (is_root(r->name)) {
			nroot++;
			continue;
		}
		if (set->n == SP_MAX_MX) {
			set->dropped++;
			continue;
		}
		to = &set->mx[set->n];
		copy_name(to->name, r->name, &to->valid);
		if (mx_known(set, to->name))
			continue;   /* the same host twice: its best preference counts */
		to->pref = (unsigned)(r->priority < 0 ? 0 : r->priority);
		set->n++;
	}
	/* RFC 7505: a null MX is the only record; beside others it is an error. */
	set->null_mx = nroot > 0 && set->n == 0 && set->dropped == 0;
	set->null_mixed = nroot > 0 && !set->null_mx;
}

static void
mx_deliver(struct sp_query *q, int status)
{
	q->cb.mx(q->arg, status, &q->u.mx);
}

static const struct sp_qtype mx_type = { mx_take, mx_deliver };

struct sp_query *
sp_resolve_mx(struct sp_resolver *rs, const char *domain, sp_mx_fn cb, void *arg)
{
	struct sp_query *q = query_new(rs, &mx_type, arg);

	if (q == NULL)
		return NULL;
	q->cb.mx = cb;
	query_submit(q, domain, NULL, DNS_T_MX, DNS_NOSRCH, dns_parse_mx);
	return query_start(q);
}

/* A secure denial matters here: the domain is then its own mail host. */
struct sp_query *
sp_resolve_mx_dnssec(struct sp_resolver *rs, const char *domain, sp_mx_fn cb, void *arg)
{
	struct sp_query *q = query_new(rs, &mx_type, arg);

	if (q == NULL)
		return NULL;
	q->cb.mx = cb;
	query_submit_dnssec(q, domain, DNS_T_MX,
		REASK(DNS_E_TEMPFAIL) | REASK(DNS_E_NXDOMAIN) | REASK(DNS_E_NODATA), parse_mx_ad);
	return query_start(q);
}

/* ------------------------------------------------------------ TLSA */

/* Copies the records udns's answer held, and how it was answered. */
static void
tlsa_take(struct sp_query *q, const struct sp_part *part, void *rr)
{
	const struct sp_tlsaset *got = rr;
	struct sp_tlsaset *set = q->tlsa;

	if (got != NULL) {
		set->n = got->n;
		set->dropped = got->dropped;
		set->malformed = got->malformed;
		memcpy(set->rec, got->rec, got->n * sizeof(got->rec[0]));
	}
	set->ad = part->ad;
	set->via_tcp = part->via_tcp;
	set->tcp_error = part->tcp_err;
}

static void
tlsa_deliver(struct sp_query *q, int status)
{
	q->cb.tlsa(q->arg, status, q->tlsa);
}

static const struct sp_qtype tlsa_type = { tlsa_take, tlsa_deliver };

struct sp_query *
sp_resolve_tlsa(struct sp_resolver *rs, const char *host, unsigned port, sp_tlsa_fn cb,
	void *arg)
{
	struct sp_query *q;
	char name[SP_NAME_MAX + 16];
	int n;

	n = snprintf(name, sizeof(name), "_%u._tcp.%s", port, host);
	if (port == 0 || port > 65535 || n < 0 || (size_t)n >= sizeof(name)) {
		errno = EINVAL;
		return NULL;
	}
	if ((q = query_new(rs, &tlsa_type, arg)) == NULL)
		return NULL;
	/* Allocated now, so no answer can fail for want of memory to hold it. */
	if ((q->tlsa = calloc(1, sizeof(*q->tlsa))) == NULL) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	q->cb.tlsa = cb;
	query_submit_dnssec(q, name, SP_DNS_T_TLSA,
		REASK(DNS_E_TEMPFAIL) | REASK(DNS_E_NXDOMAIN) | REASK(DNS_E_NODATA), parse_tlsa_ad);
	return query_start(q);
}

/* ------------------------------------------------------------ TXT */

/* Copies at most SP_MAX_TXT records of at most SP_TXT_MAX bytes each. */
static void
txt_take(struct sp_query *q, const struct sp_part *part, void *rr)
{
	const struct dns_rr_txt *txt = rr;
	struct sp_txtset *set = q->txt;

	(void)part;
	for (int i = 0; txt != NULL && i < txt->dnstxt_nrr; i++) {
		const struct dns_txt *t = &txt->dnstxt_txt[i];
		size_t len = t->len > 0 ? (size_t)t->len : 0;

		if (set->n == SP_MAX_TXT) {
			set->dropped++;
			continue;
		}
		if (len > SP_TXT_MAX) {
			len = SP_TXT_MAX;
			set->cut++;
		}
		memcpy(set->rec[set->n].txt, t->txt, len);
		set->rec[set->n].txt[len] = '\0';
		set->rec[set->n++].len = len;
	}
}

static void
txt_deliver(struct sp_query *q, int status)
{
	if (status == 0 && q->txt->n == 0 && q->txt->dropped == 0)
		status = DNS_E_NODATA;
	q->cb.txt(q->arg, status, q->txt);
}

static const struct sp_qtype txt_type = { txt_take, txt_deliver };

struct sp_query *
sp_resolve_txt(struct sp_resolver *rs, const char *name, sp_txt_fn cb, void *arg)
{
	struct sp_query *q = query_new(rs, &txt_type, arg);

	if (q == NULL)
		return NULL;
	/* Allocated now, so no answer can fail for want of memory to hold it. */
	if ((q->txt = calloc(1, sizeof(*q->txt))) == NULL) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	q->cb.txt = cb;
	query_submit(q, name, NULL, DNS_T_TXT, DNS_NOSRCH, dns_parse_txt);
	return query_start(q);
}

/* ------------------------------------------------------------ PTR */

static void
ptr_take(struct sp_query *q, const struct sp_part *part, void *rr)
{
	struct dns_rr_ptr *ptr = rr;
	struct sp_names *names = &q->u.names;

	(void)part;
	for (int i = 0; ptr != NULL && i < ptr->dnsptr_nrr; i++) {
		bool valid;

		if (names->n == SP_MAX_PTR)
			break;
		copy_name(names->name[names->n], ptr->dnsptr_ptr[i], &valid);
		if (valid)
			names->n++;
		else
			names->invalid++;
	}
}

static void
ptr_deliver(struct sp_query *q, int status)
{
	if (status == 0 && q->u.names.n == 0)
		status = DNS_E_NODATA;
	q->cb.names(q->arg, status, &q->u.names);
}

static const struct sp_qtype ptr_type = { ptr_take, ptr_deliver };

struct sp_query *
sp_resolve_ptr(struct sp_resolver *rs, const struct sockaddr *sa, sp_names_fn cb, void *arg)
{
	struct sp_query *q = query_new(rs, &ptr_type, arg);
	unsigned char dn[DNS_MAXDN];
	int len;

	if (q == NULL)
		return NULL;
	q->cb.names = cb;
	if (sa->sa_family == AF_INET6)
		len = dns_a6todn(&((const struct sockaddr_in6 *)sa)->sin6_addr,
			dns_ip6_arpa_dn, dn, sizeof(dn));
	else if (sa->sa_family == AF_INET)
		len = dns_a4todn(&((const struct sockaddr_in *)sa)->sin_addr,
			dns_inaddr_arpa_dn, dn, sizeof(dn));
	else
		len = 0;
	if (len > 0)
		query_submit(q, NULL, dn, DNS_T_PTR, DNS_NOSRCH, dns_parse_ptr);
	return query_start(q);
}

int
sp_parse_literal(const char *s, smtpprobe_family family, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family != SMTPPROBE_FAMILY_IPV6 && inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (family != SMTPPROBE_FAMILY_IPV4 && inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Does this hosts(5) line name @p name? Fields are blank-separated. */
static bool
hosts_line_names(char *line, const char *name, char **addr)
{
	char *save = NULL, *tok;

	line[strcspn(line, "#\r\n")] = '\0';
	if ((*addr = strtok_r(line, " \t", &save)) == NULL)
		return false;
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL)
		if (strcasecmp(tok, name) == 0)
			return true;
	return false;
}

size_t
sp_hosts_lookup(const char *path, const char *name, smtpprobe_family family, struct sp_addrs *out)
{
	struct sp_addrs v4 = { 0 }, v6 = { 0 };
	char line[1024], *addr;
	FILE *f;

	out->n = 0;
	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct sockaddr_storage ss;
		struct sp_addrs *to;

		if (!hosts_line_names(line, name, &addr) || sp_parse_literal(addr, family, &ss) == -1)
			continue;
		to = ss.ss_family == AF_INET6 ? &v6 : &v4;
		if (to->n < SP_MAX_ADDRS)
			to->a[to->n++] = ss;
	}
	fclose(f);
	for (size_t i = 0; i < v6.n && out->n < SP_MAX_ADDRS; i++)
		out->a[out->n++] = v6.a[i];
	for (size_t i = 0; i < v4.n && out->n < SP_MAX_ADDRS; i++)
		out->a[out->n++] = v4.a[i];
	return out->n;
}
