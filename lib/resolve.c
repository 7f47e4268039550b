/*
 * resolve.c - udns driven by libevent: its socket is watched for reads
 * (dns_ioevent) and its timer requests become one libevent timer.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>
#include <udns.h>

#include "resolve.h"

struct sp_query {
	struct sp_resolver *rs;
	struct sp_query *next, **prevp;
	struct dns_query *q4, *q6;
	int pending;
	int status4, status6;
	struct sp_addrs v4, v6;
	sp_addrs_fn cb;
	void *arg;
};

struct sp_resolver {
	struct dns_ctx *ctx;
	struct event *io, *timer;
	struct sp_query *queries;
};

static pthread_once_t udns_once = PTHREAD_ONCE_INIT;

static void udns_drop(struct sp_resolver *rs, struct sp_query *q);

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

struct sp_resolver *
sp_resolver_new(struct event_base *base, const char *server, unsigned port)
{
	struct sp_resolver *rs = calloc(1, sizeof(*rs));
	int fd;

	if (rs == NULL)
		return NULL;
	pthread_once(&udns_once, udns_setup);
	if ((rs->ctx = dns_new(NULL)) == NULL || configure(rs, server, port) == -1 ||
	    (fd = dns_open(rs->ctx)) < 0)
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

static void
query_complete(struct sp_query *q, int status)
{
	struct sp_addrs all = { 0 };

	for (size_t i = 0; i < q->v6.n && all.n < SP_MAX_ADDRS; i++)
		all.a[all.n++] = q->v6.a[i];
	for (size_t i = 0; i < q->v4.n && all.n < SP_MAX_ADDRS; i++)
		all.a[all.n++] = q->v4.a[i];
	query_unlink(q);
	q->cb(q->arg, all.n > 0 ? 0 : status, &all);
	free(q);
}

/* With no address at all, the more telling error of the two wins. */
static int
combined_status(const struct sp_query *q)
{
	if (q->status4 == DNS_E_NXDOMAIN || q->status6 == DNS_E_NXDOMAIN)
		return DNS_E_NXDOMAIN;
	if (q->status4 == DNS_E_TEMPFAIL || q->status6 == DNS_E_TEMPFAIL)
		return DNS_E_TEMPFAIL;
	if (q->status4 == DNS_E_NODATA || q->status6 == DNS_E_NODATA || q->status4 == 0 || q->status6 == 0)
		return DNS_E_NODATA;
	return q->status4 != 0 ? q->status4 : q->status6;
}

static void
a4_cb(struct dns_ctx *ctx, struct dns_rr_a4 *rr, void *arg)
{
	struct sp_query *q = arg;

	q->q4 = NULL;
	q->status4 = rr != NULL ? 0 : dns_status(ctx);
	for (int i = 0; rr != NULL && i < rr->dnsa4_nrr && q->v4.n < SP_MAX_ADDRS; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&q->v4.a[q->v4.n++];

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_addr = rr->dnsa4_addr[i];
	}
	free(rr);
	if (--q->pending == 0)
		query_complete(q, combined_status(q));
}

static void
a6_cb(struct dns_ctx *ctx, struct dns_rr_a6 *rr, void *arg)
{
	struct sp_query *q = arg;

	q->q6 = NULL;
	q->status6 = rr != NULL ? 0 : dns_status(ctx);
	for (int i = 0; rr != NULL && i < rr->dnsa6_nrr && q->v6.n < SP_MAX_ADDRS; i++) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&q->v6.a[q->v6.n++];

		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = rr->dnsa6_addr[i];
	}
	free(rr);
	if (--q->pending == 0)
		query_complete(q, combined_status(q));
}

struct sp_query *
sp_resolve_addrs(struct sp_resolver *rs, const char *name, smtpprobe_family family,
	sp_addrs_fn cb, void *arg)
{
	struct sp_query *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->rs = rs;
	q->cb = cb;
	q->arg = arg;
	q->status4 = q->status6 = DNS_E_NODATA;
	if (family != SMTPPROBE_FAMILY_IPV4 &&
	    (q->q6 = dns_submit_a6(rs->ctx, name, 0, a6_cb, q)) != NULL)
		q->pending++;
	if (family != SMTPPROBE_FAMILY_IPV6 &&
	    (q->q4 = dns_submit_a4(rs->ctx, name, 0, a4_cb, q)) != NULL)
		q->pending++;
	/* Until it is returned, nothing was promised: undo quietly, no callback. */
	if (q->pending == 0 || (family == SMTPPROBE_FAMILY_ANY && q->pending == 1) ||
	    (rs->queries == NULL && event_add(rs->io, NULL) == -1)) {
		udns_drop(rs, q);
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

/* udns 0.4's dns_cancel() unlinks a query but leaves it to us to free. */
static void
udns_drop(struct sp_resolver *rs, struct sp_query *q)
{
	if (q->q4 != NULL) {
		dns_cancel(rs->ctx, q->q4);
		free(q->q4);
	}
	if (q->q6 != NULL) {
		dns_cancel(rs->ctx, q->q6);
		free(q->q6);
	}
	q->q4 = q->q6 = NULL;
}

/* Cancels silently in udns, then completes once ourselves. */
void
sp_query_cancel(struct sp_resolver *rs, struct sp_query *q)
{
	udns_drop(rs, q);
	q->v4.n = q->v6.n = 0;
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
