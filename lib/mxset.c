/* SPDX-License-Identifier: MIT */
/*
 * mxset.c - a domain's MX set: its MX hosts by preference (or the domain
 * itself, RFC 5321 5.1), each host's addresses, every address a target of
 * its own. The hosts are looked up together; their targets are made in
 * preference order, so the owner's target limit keeps the best hosts.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "mxset.h"
#include "resolve.h"
#include "target.h"

/* One MX host: its address lookup, and what came of it. */
struct mxhost {
	struct sp_mxset *m;
	struct sp_mx mx;
	bool implicit;              /* the domain itself: it has no MX */
	struct sp_query *query;
	bool resolved;
	int status;
	struct sp_addrs addrs;
	int64_t dns_usec;
};

struct sp_mxset {
	struct sp_mxset_env env;
	sp_mxset_done_fn done;
	void *arg;
	struct event *done_ev;
	struct sp_resolver *rs;
	struct sp_query *query;     /* the MX lookup */
	int64_t dns_start, dns_usec;
	struct mxhost *hosts;
	size_t nhosts, next_host;   /* hosts before next_host have their targets */
	size_t skipped_addrs, skipped_hosts;
	bool ended, done_called;
	bool timed_out, stopping;   /* aborted: by the deadline, by the caller */
	bool dnssec;                /* DANE: every lookup with the DO bit */
	bool mx_ad;                 /* ...and the MX answer was secure */
};

static int64_t
elapsed(const struct sp_mxset *m)
{
	return sp_now_usec() - m->env.t0;
}

static void
note(struct sp_mxset *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct sp_mxset *m, const char *fmt, ...)
{
	char buf[SP_NOTES_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m->env.note(m->env.owner, buf);
}

/* ------------------------------------------------------------ its end */

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_mxset *m = arg;

	m->done_called = true;
	m->done(m, m->arg); /* may free m */
}

/* Once every host has its targets, the limit is told, and done comes from the loop. */
static void
settle(struct sp_mxset *m)
{
	if (m->ended || m->query != NULL || m->next_host < m->nhosts)
		return;
	m->ended = true;
	if (m->skipped_addrs > 0 || m->skipped_hosts > 0)
		note(m, "target limit %u reached: %zu address%s and %zu MX host%s not checked",
			m->env.opts->max_targets, m->skipped_addrs, m->skipped_addrs == 1 ? "" : "es",
			m->skipped_hosts, m->skipped_hosts == 1 ? "" : "s");
	event_active(m->done_ev, 0, 0);
}

/* A failure of the domain as a whole (MX lookup, null MX): one target. */
static void
domain_fail(struct sp_mxset *m, smtpprobe_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
domain_fail(struct sp_mxset *m, smtpprobe_status st, const char *fmt, ...)
{
	struct sp_target *t = m->env.new_target(m->env.owner, m->env.opts->mx_domain, -1,
		m->dns_start, m->dns_usec);
	char reason[SP_REASON_MAX];
	va_list ap;

	if (t == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sp_target_fail(t, st, SMTPPROBE_STAGE_DNS, "%s", reason);
}

/* ------------------------------------------------------------ targets */

static struct sp_target *
host_target(struct sp_mxset *m, const struct mxhost *h)
{
	return m->env.new_target(m->env.owner, h->mx.name, (int)h->mx.pref, m->dns_start,
		h->dns_usec);
}

static void
host_fail(struct sp_mxset *m, const struct mxhost *h)
{
	struct sp_target *t = host_target(m, h);
	const smtpprobe_opts *o = m->env.opts;

	if (t == NULL) {
		m->skipped_hosts++;
		return;
	}
	if (h->status == SP_DNS_CANCELLED && m->timed_out)
		sp_target_fail(t, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_DNS, "dns timeout after %.3fs",
			o->timeout_ms / 1000.0);
	else if (h->status == SP_DNS_CANCELLED)
		sp_target_fail(t, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_DNS, "cancelled");
	else if (!h->mx.valid)
		sp_target_fail(t, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "MX name is not a host name");
	else
		sp_target_fail(t, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "DNS lookup of %s failed: %s%s",
			h->mx.name, sp_dns_strerror(h->status),
			h->implicit ? " (and no MX record)" : "");
}

/* One address: dialled, only found (resolve only), or too late to dial. */
static void
addr_target(struct sp_mxset *m, struct sp_target *t, const struct mxhost *h,
	const struct sockaddr_storage *ss)
{
	sp_target_dnssec(t, m->mx_ad, h->addrs.ad);
	if (m->env.opts->resolve_only)
		sp_target_skip(t, ss, SMTPPROBE_OK, NULL);
	else if (m->stopping)
		sp_target_skip(t, ss, SMTPPROBE_CANCELLED, "cancelled");
	else if (m->timed_out || m->env.past_deadline(m->env.owner))
		sp_target_skip(t, ss, SMTPPROBE_E_TIMEOUT, "deadline passed");
	else
		sp_target_start_addr(t, ss);
}

/* Every address of a resolved host becomes a target, while the limit allows. */
static void
host_targets(struct sp_mxset *m, const struct mxhost *h)
{
	if (h->status != 0) {
		host_fail(m, h);
		return;
	}
	for (size_t i = 0; i < h->addrs.n; i++) {
		struct sp_target *t = host_target(m, h);

		if (t == NULL) {
			m->skipped_addrs += h->addrs.n - i;
			return;
		}
		addr_target(m, t, h, &h->addrs.a[i]);
	}
}

/*
 * Targets are made in preference order, so that the target limit keeps the
 * best hosts whatever order the lookups answer in: a host's dialogs start
 * once every better host has been resolved (they are resolved together).
 */
static void
process_hosts(struct sp_mxset *m)
{
	while (m->next_host < m->nhosts && m->hosts[m->next_host].resolved) {
		struct mxhost *h = &m->hosts[m->next_host++];

		host_targets(m, h);
		if (m->next_host == m->nhosts)
			m->dns_usec = elapsed(m) - m->dns_start;
	}
	settle(m);
}

/* ------------------------------------------------------------ lookups */

static void
host_addrs_done(void *arg, int status, const struct sp_addrs *addrs)
{
	struct mxhost *h = arg;

	h->query = NULL;
	h->resolved = true;
	h->status = status;
	h->dns_usec = elapsed(h->m) - h->m->dns_start;
	if (status == 0)
		h->addrs = *addrs;
	process_hosts(h->m);
}

static void
lookup_host(struct sp_mxset *m, struct mxhost *h)
{
	h->m = m;
	h->status = SP_DNS_NODATA;
	if (h->mx.valid)
		h->query = m->dnssec ?
		    sp_resolve_addrs_dnssec(m->rs, h->mx.name, m->env.opts->family, host_addrs_done, h) :
		    sp_resolve_addrs(m->rs, h->mx.name, m->env.opts->family, true, host_addrs_done, h);
	if (h->query == NULL) {
		h->resolved = true;
		h->dns_usec = elapsed(m) - m->dns_start;
		if (h->mx.valid)
			h->status = SP_DNS_TEMPFAIL;
	}
}

/* RFC 5321 5.1: no MX, so the domain itself, at preference 0. */
static int
take_implicit(struct sp_mxset *m)
{
	const char *domain = m->env.opts->mx_domain;

	if ((m->hosts = calloc(1, sizeof(*m->hosts))) == NULL)
		return -1;
	snprintf(m->hosts[0].mx.name, sizeof(m->hosts[0].mx.name), "%s", domain);
	m->hosts[0].mx.valid = sp_hostname_ok(domain);
	m->hosts[0].implicit = true;
	m->nhosts = 1;
	note(m, "no MX record: the domain itself is its implicit MX (RFC 5321 5.1)");
	return 0;
}

/* @return 0, or -1 when out of memory. Hosts beyond the limit are not looked up. */
static int
take_records(struct sp_mxset *m, const struct sp_mxrecs *set)
{
	size_t max = m->env.opts->max_targets, n = set->n < max ? set->n : max;

	if ((m->hosts = calloc(n, sizeof(*m->hosts))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		m->hosts[i].mx = set->mx[i];
	m->nhosts = n;
	m->skipped_hosts = set->n - n + set->dropped;
	if (set->null_mixed)
		note(m, "a null MX beside other MX records was ignored (RFC 7505)");
	return 0;
}

static void
mx_done(void *arg, int status, const struct sp_mxrecs *set)
{
	struct sp_mxset *m = arg;
	const smtpprobe_opts *o = m->env.opts;

	m->query = NULL;
	m->dns_usec = elapsed(m) - m->dns_start;
	m->mx_ad = (status == 0 || status == SP_DNS_NODATA) && set != NULL && set->ad;
	if (status == SP_DNS_CANCELLED && m->timed_out)
		domain_fail(m, SMTPPROBE_E_TIMEOUT, "dns timeout after %.3fs", o->timeout_ms / 1000.0);
	else if (status == SP_DNS_CANCELLED)
		domain_fail(m, SMTPPROBE_CANCELLED, "cancelled");
	else if (status != 0 && status != SP_DNS_NODATA)
		domain_fail(m, SMTPPROBE_E_DNS, "MX lookup of %s failed: %s", o->mx_domain,
			sp_dns_strerror(status));
	else if (status == 0 && set->null_mx)
		domain_fail(m, SMTPPROBE_E_DNS, "domain accepts no mail (null MX, RFC 7505)");
	else if ((status == SP_DNS_NODATA ? take_implicit(m) : take_records(m, set)) == -1)
		domain_fail(m, SMTPPROBE_E_INTERNAL, "out of memory");
	else {
		for (size_t i = 0; i < m->nhosts; i++)
			lookup_host(m, &m->hosts[i]);
		process_hosts(m);
		return;
	}
	settle(m);
}

/* ------------------------------------------------------------ the API */

struct sp_mxset *
sp_mxset_new(const struct sp_mxset_env *env, sp_mxset_done_fn done, void *arg)
{
	struct sp_mxset *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->env = *env;
	m->done = done;
	m->arg = arg;
	m->dns_usec = -1;
	m->dnssec = env->opts->dane != SMTPPROBE_DANE_OFF;
	if ((m->done_ev = event_new(env->base, -1, 0, done_cb, m)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
sp_mxset_start(struct sp_mxset *m)
{
	m->dns_start = elapsed(m);
	m->dns_usec = 0;
	if ((m->rs = m->env.resolver(m->env.owner)) == NULL)
		domain_fail(m, SMTPPROBE_E_DNS, "no resolver could be set up");
	else if ((m->query = m->dnssec ? sp_resolve_mx_dnssec(m->rs, m->env.opts->mx_domain, mx_done, m) :
	    sp_resolve_mx(m->rs, m->env.opts->mx_domain, mx_done, m)) == NULL)
		domain_fail(m, SMTPPROBE_E_DNS, "DNS query could not be sent");
	settle(m);
}

/* Each cancelled lookup completes now, into targets; the flags say why. */
void
sp_mxset_abort(struct sp_mxset *m, smtpprobe_status why)
{
	if (why == SMTPPROBE_E_TIMEOUT)
		m->timed_out = true;
	else
		m->stopping = true;
	if (m->query != NULL)
		sp_query_cancel(m->rs, m->query);
	for (size_t i = 0; i < m->nhosts; i++)
		if (m->hosts[i].query != NULL)
			sp_query_cancel(m->rs, m->hosts[i].query);
}

bool
sp_mxset_busy(const struct sp_mxset *m)
{
	return !m->done_called;
}

int64_t
sp_mxset_dns_usec(const struct sp_mxset *m, int64_t *start)
{
	if (start != NULL)
		*start = m->dns_start;
	return m->dns_usec;
}

void
sp_mxset_free(struct sp_mxset *m)
{
	if (m == NULL)
		return;
	event_free(m->done_ev);
	free(m->hosts);
	free(m);
}
