/* SPDX-License-Identifier: MIT */
/*
 * probe.c - one host, several hosts, or a domain's MX set.
 *
 * A host given by name is resolved and its addresses dialled in turn until
 * one connects, as an administrator does with telnet: one target. Several
 * hosts are that many such targets, all started at once. A domain
 * is checked as a sending MTA sees it: its MX hosts by preference (or the
 * domain itself, RFC 5321 5.1), each host's addresses, and every address
 * gets its own dialog, all at once on the caller's event loop: a target
 * each. Reverse DNS, when asked for, runs beside each dialog, never in its
 * way. The one deadline covers it all, and the done callback comes once,
 * when nothing of ours is left running.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "addr.h"
#include "dialog.h"
#include "rdns.h"
#include "resolve.h"
#include "tls.h"

/* One address dialled, or one name that could not be: one result. */
struct target {
	struct smtpprobe_probe *p;
	struct smtpprobe_result *result;
	struct sp_dialog *dialog;
	struct sp_rdns *rdns;
	struct sp_query *query;     /* -H: its address lookup */
	const char *host;           /* the probe's opts or its MX host own it */
	int pref;
	/* -H: every address, in turn; MX: one. Sized to fit: a thousand
	 * targets at once must not each carry room for SP_MAX_ADDRS. */
	struct sockaddr_storage *addrs;
	size_t naddrs, next_addr;
	int64_t dns_start, dns_usec; /* dns_usec -1: no lookup */
	char *notes;                /* refused addresses, kept across results */
};

/* One MX host: its address lookup, and what came of it. */
struct mxhost {
	struct smtpprobe_probe *p;
	struct sp_mx mx;
	bool implicit;              /* the domain itself: it has no MX */
	struct sp_query *query;
	bool resolved;
	int status;
	struct sp_addrs addrs;
	int64_t dns_usec;
};

struct smtpprobe_probe {
	struct event_base *base;
	smtpprobe_opts *opts;
	smtpprobe_callbacks cb;
	void *arg;
	int64_t t0;
	struct event *deadline, *finish_ev;
	struct event *rdns_timer;   /* reverse DNS's grace after the dialogs */
	struct sp_resolver *rs;
	struct sp_query *query;     /* the MX lookup */
	int64_t dns_start, dns_usec;
	struct mxhost *hosts;
	size_t nhosts, next_host;   /* hosts before next_host have their targets */
	size_t skipped_addrs, skipped_hosts;
	struct target **targets;
	size_t ntargets, maxtargets;
	const struct sp_tls_ops *tls;
	struct ssl_ctx_st *tls_ctx; /* every dialog's: trust anchors loaded once */
	bool tls_tried;
	char notes[SP_NOTES_MAX];
	bool timed_out, stopping, rdns_expired, done, freeing;
};

static void target_dial(struct target *t);

static int64_t
elapsed(const struct smtpprobe_probe *p)
{
	return sp_now_usec() - p->t0;
}

/*
 * Dialling a thousand targets is a loop the deadline's timer cannot
 * interrupt: the loop looks at the clock itself.
 */
static bool
past_deadline(const struct smtpprobe_probe *p)
{
	return p->timed_out || elapsed(p) >= (int64_t)p->opts->timeout_ms * 1000;
}

static bool
mx_mode(const struct smtpprobe_probe *p)
{
	return p->opts->mx_domain != NULL;
}

static void
info(struct smtpprobe_probe *p, const struct smtpprobe_result *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
info(struct smtpprobe_probe *p, const struct smtpprobe_result *r, const char *fmt, ...)
{
	char buf[SP_NAME_MAX + 128];
	va_list ap;

	if (p->cb.line == NULL || r == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p->cb.line(r, SMTPPROBE_DIR_INFO, buf, strlen(buf), elapsed(p), p->arg);
}

static void
probe_note(struct smtpprobe_probe *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
probe_note(struct smtpprobe_probe *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sp_notes_vadd(p->notes, sizeof(p->notes), fmt, ap);
	va_end(ap);
}

/* The resolver is made on first need: a literal -H without rDNS has none. */
static struct sp_resolver *
resolver(struct smtpprobe_probe *p)
{
	if (p->rs == NULL)
		p->rs = sp_resolver_new(p->base, p->opts->dns_addr, p->opts->dns_port);
	return p->rs;
}

/* ------------------------------------------------------------ completion */

static bool
dialogs_ended(const struct smtpprobe_probe *p)
{
	if (p->query != NULL || p->next_host < p->nhosts)
		return false;
	for (size_t i = 0; i < p->ntargets; i++)
		if (p->targets[i]->dialog != NULL || p->targets[i]->query != NULL)
			return false;
	return true;
}

static bool
rdns_running(const struct smtpprobe_probe *p)
{
	for (size_t i = 0; i < p->ntargets; i++)
		if (p->targets[i]->rdns != NULL)
			return true;
	return false;
}

static bool
all_ended(const struct smtpprobe_probe *p)
{
	return dialogs_ended(p) && !rdns_running(p);
}

/*
 * The done callback always comes from the loop, never from inside a call.
 * When only reverse DNS is left, it gets its grace and no more.
 */
static void
maybe_finish(struct smtpprobe_probe *p)
{
	unsigned ms = p->opts->rdns_grace_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (p->done || !dialogs_ended(p))
		return;
	if (!rdns_running(p))
		event_active(p->finish_ev, 0, 0);
	else if (ms > 0 && !p->rdns_expired && !evtimer_pending(p->rdns_timer, NULL))
		evtimer_add(p->rdns_timer, &tv);
}

static void
complete(struct smtpprobe_probe *p)
{
	if (p->done)
		return;
	p->done = true;
	event_del(p->deadline);
	event_del(p->rdns_timer);
	if (!mx_mode(p) && p->skipped_hosts > 0)
		probe_note(p, "target limit %u reached: %zu host%s not checked",
			p->opts->max_targets, p->skipped_hosts, p->skipped_hosts == 1 ? "" : "s");
	else if (p->skipped_addrs > 0 || p->skipped_hosts > 0)
		probe_note(p, "target limit %u reached: %zu address%s and %zu MX host%s not checked",
			p->opts->max_targets, p->skipped_addrs, p->skipped_addrs == 1 ? "" : "es",
			p->skipped_hosts, p->skipped_hosts == 1 ? "" : "s");
	/* Nothing of ours may keep the caller's event loop alive. */
	sp_resolver_free(p->rs);
	p->rs = NULL;
	for (size_t i = 0; i < p->ntargets; i++)
		if (p->targets[i]->result->end == 0)
			p->targets[i]->result->end = elapsed(p);
	if (p->ntargets > 0)
		info(p, p->targets[0]->result, "probe done");
	p->cb.done(p, p->arg); /* may free p */
}

static void
finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtpprobe_probe *p = arg;

	if (all_ended(p))
		complete(p);
}

/* ------------------------------------------------------------ targets */

/*
 * A fresh result for the target, carrying what the probe learnt so far.
 * Out of memory, the old one says so: its outcome was about another attempt.
 */
static int
target_reset(struct target *t)
{
	struct smtpprobe_result *r = sp_result_new(t->host, sp_opts_port(t->p->opts));

	if (r == NULL) {
		if (t->result != NULL) {
			t->result->status = SMTPPROBE_OK;
			sp_result_fail(t->result, SMTPPROBE_E_INTERNAL, SMTPPROBE_STAGE_CONNECT, -1,
				"out of memory");
			t->result->end = elapsed(t->p);
		}
		return -1;
	}
	sp_result_free(t->result);
	t->result = r;
	r->mx_pref = t->pref;
	if (t->dns_usec >= 0)
		sp_result_stage_time(r, SMTPPROBE_STAGE_DNS, t->dns_start, t->dns_usec);
	if (t->notes != NULL)
		sp_result_note(r, "%s", t->notes);
	return 0;
}

/* @return a new target with a result, or NULL (limit reached, ENOMEM). */
static struct target *
target_new(struct smtpprobe_probe *p, const char *host, int pref, int64_t dns_usec)
{
	struct target *t;

	if (p->ntargets == p->maxtargets || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->p = p;
	t->host = host;
	t->pref = pref;
	t->dns_start = p->dns_start;
	t->dns_usec = dns_usec;
	if (target_reset(t) == -1) {
		free(t);
		return NULL;
	}
	p->targets[p->ntargets++] = t;
	return t;
}

static void
target_free(struct target *t)
{
	free(t->addrs);
	free(t->notes);
	sp_dialog_free(t->dialog);
	sp_result_free(t->result);
	free(t);
}

static void
target_fail(struct target *t, smtpprobe_status st, smtpprobe_stage stage, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
target_fail(struct target *t, smtpprobe_status st, smtpprobe_stage stage, const char *fmt, ...)
{
	char reason[SP_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	sp_result_fail(t->result, st, stage, -1, "%s", reason);
	t->result->end = elapsed(t->p);
	/* Not dialled: its time is the DNS stage alone, not counted twice. */
	if (!t->result->stages[SMTPPROBE_STAGE_CONNECT].ran)
		t->result->start = t->result->end;
}

/* @return 0, or -1 when out of memory (the target is failed). */
static int
target_addrs(struct target *t, const struct sockaddr_storage *a, size_t n)
{
	free(t->addrs);
	t->naddrs = t->next_addr = 0;
	if ((t->addrs = malloc(n * sizeof(*a))) == NULL) {
		target_fail(t, SMTPPROBE_E_INTERNAL, SMTPPROBE_STAGE_CONNECT, "out of memory");
		return -1;
	}
	memcpy(t->addrs, a, n * sizeof(*a));
	t->naddrs = n;
	return 0;
}

static void
rdns_done(void *arg, smtpprobe_rdns state, const char *ptr, const char *text)
{
	struct target *t = arg;
	struct smtpprobe_result *r = t->result;

	t->rdns = NULL;
	if (state == SMTPPROBE_RDNS_NONE) {
		/* Cancelled: by the deadline or the grace (say so), or for the next address. */
		if (t->p->timed_out)
			snprintf(r->rdns_text, sizeof(r->rdns_text), "reverse DNS unfinished at the deadline");
		else if (t->p->rdns_expired)
			snprintf(r->rdns_text, sizeof(r->rdns_text),
				"reverse DNS unfinished %ums after the dialog", t->p->opts->rdns_grace_ms);
	} else {
		r->rdns = state;
		snprintf(r->ptr, sizeof(r->ptr), "%s", ptr);
		snprintf(r->rdns_text, sizeof(r->rdns_text), "%s", text);
	}
	maybe_finish(t->p);
}

static void
rdns_start(struct target *t, const struct sockaddr_storage *ss)
{
	struct sp_resolver *rs = resolver(t->p);

	if (rs == NULL || (t->rdns = sp_rdns_start(rs, ss, rdns_done, t)) == NULL)
		snprintf(t->result->rdns_text, sizeof(t->result->rdns_text),
			"reverse DNS lookup could not be started");
}

/* A refused address is not the verdict while another may answer (-H). */
static bool
fall_back(struct target *t)
{
	struct smtpprobe_result *r = t->result;
	size_t len = t->notes != NULL ? strlen(t->notes) : 0;

	if (r->status != SMTPPROBE_E_CONNECT || t->next_addr >= t->naddrs ||
	    t->p->timed_out || t->p->stopping)
		return false;
	if (t->notes == NULL && (t->notes = calloc(1, SP_NOTES_MAX)) == NULL)
		return true; /* the note is lost, not the next address */
	snprintf(t->notes + len, SP_NOTES_MAX - len, "%s%s: %s",
		len > 0 ? "; " : "", r->addr, r->reason);
	return true;
}

static void
dialog_done(struct sp_dialog *d, void *arg)
{
	struct target *t = arg;

	sp_dialog_free(d);
	t->dialog = NULL;
	if (fall_back(t)) {
		target_dial(t);
		return;
	}
	maybe_finish(t->p);
}

/* A failure here is the dialog's to report, when it tries on its own. */
static struct ssl_ctx_st *
shared_ctx(struct smtpprobe_probe *p)
{
	char err[200];

	if (p->opts->tls == SMTPPROBE_TLS_NONE || p->tls_tried)
		return p->tls_ctx;
	p->tls_tried = true;
	if ((p->tls = sp_tls_load(err, sizeof(err))) != NULL)
		p->tls_ctx = p->tls->ctx_new(p->opts, err, sizeof(err));
	return p->tls_ctx;
}

static void
target_dial(struct target *t)
{
	struct smtpprobe_probe *p = t->p;
	struct sockaddr_storage *ss = &t->addrs[t->next_addr++];
	struct sp_dialog_env env = { p->base, p->opts, p->t0, p->cb.line, p->arg, shared_ctx(p) };

	/* The old address's lookup reports into the old result: end it first. */
	if (t->rdns != NULL)
		sp_rdns_cancel(t->rdns);
	/* A second address (-H fallback) starts a result of its own. */
	if (t->next_addr > 1 && target_reset(t) == -1) {
		maybe_finish(p);
		return;
	}
	sp_addr_text(ss, t->result->addr, sizeof(t->result->addr));
	sp_addr_set_port(ss, t->result->port);
	if (t->pref >= 0)
		info(p, t->result, "MX %d %s: dialling %s", t->pref, t->host, t->result->addr);
	if ((t->dialog = sp_dialog_new(&env, t->result, dialog_done, t)) == NULL ||
	    sp_dialog_start(t->dialog, (struct sockaddr *)ss, sp_addr_len(ss)) == -1) {
		target_fail(t, SMTPPROBE_E_INTERNAL, SMTPPROBE_STAGE_CONNECT, "out of memory");
		if (t->dialog != NULL)
			sp_dialog_abort(t->dialog, SMTPPROBE_E_INTERNAL);
		else
			maybe_finish(p);
		return;
	}
	if (p->opts->rdns)
		rdns_start(t, ss);
}

/* ------------------------------------------------------------ one host (-H) */

static void
host_addrs_done(void *arg, int status, const struct sp_addrs *addrs)
{
	struct target *t = arg;
	struct smtpprobe_probe *p = t->p;

	t->query = NULL;
	t->dns_usec = elapsed(p) - t->dns_start;
	if (p->dns_usec < t->dns_usec)
		p->dns_usec = t->dns_usec;
	if (target_reset(t) == -1) {
		maybe_finish(p);
		return;
	}
	if (status == SP_DNS_CANCELLED && p->timed_out)
		target_fail(t, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_DNS, "dns timeout after %.3fs",
			p->opts->timeout_ms / 1000.0);
	else if (status != 0)
		target_fail(t, status == SP_DNS_CANCELLED ? SMTPPROBE_CANCELLED : SMTPPROBE_E_DNS,
			SMTPPROBE_STAGE_DNS, "DNS lookup of %s failed: %s", t->host,
			sp_dns_strerror(status));
	else {
		if (target_addrs(t, addrs->a, addrs->n) == 0)
			target_dial(t);
	}
	maybe_finish(p);
}

/* An IP literal, the hosts file, then DNS: the system's "files dns" order. */
static void
start_host(struct smtpprobe_probe *p, const char *host)
{
	const smtpprobe_opts *o = p->opts;
	struct target *t = target_new(p, host, -1, -1);
	struct sp_resolver *rs;
	struct sp_addrs found = { 0 };

	if (t == NULL)
		return;
	if (sp_parse_literal(host, o->family, &found.a[0]) == 0) {
		if (target_addrs(t, found.a, 1) == 0)
			target_dial(t);
		return;
	}
	if (sp_hosts_lookup(o->hosts_file, host, o->family, &found) > 0) {
		if (target_addrs(t, found.a, found.n) == 0)
			target_dial(t);
		return;
	}
	if (p->dns_usec < 0) {
		p->dns_start = elapsed(p);
		p->dns_usec = 0;
	}
	t->dns_start = elapsed(p);
	t->dns_usec = 0;
	if ((rs = resolver(p)) == NULL)
		target_fail(t, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "no resolver could be set up");
	else if ((t->query = sp_resolve_addrs(rs, host, o->family, false, host_addrs_done, t)) == NULL)
		target_fail(t, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "DNS query could not be sent");
}

/* Several hosts are independent targets, as if checked one by one, but at once. */
static void
start_hosts(struct smtpprobe_probe *p)
{
	const struct sp_strv *hosts = &p->opts->hosts;

	for (size_t i = 0; i < hosts->n; i++) {
		struct target *t;

		if (p->ntargets == p->maxtargets) {
			p->skipped_hosts = hosts->n - i;
			return;
		}
		if (!past_deadline(p)) {
			start_host(p, hosts->v[i]);
		} else if ((t = target_new(p, hosts->v[i], -1, -1)) != NULL) {
			target_fail(t, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_CONNECT,
				"not dialled: deadline passed");
		}
	}
}

/* ------------------------------------------------------------ an MX set */

/* A failure of the domain as a whole (MX lookup, null MX): one target. */
static void
domain_fail(struct smtpprobe_probe *p, smtpprobe_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
domain_fail(struct smtpprobe_probe *p, smtpprobe_status st, const char *fmt, ...)
{
	const char *name = mx_mode(p) ? p->opts->mx_domain : p->opts->hosts.v[0];
	struct target *t = target_new(p, name, -1, p->dns_usec);
	char reason[SP_REASON_MAX];
	va_list ap;

	if (t == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	target_fail(t, st, SMTPPROBE_STAGE_DNS, "%s", reason);
}

static void
host_fail(struct smtpprobe_probe *p, const struct mxhost *h)
{
	struct target *t = target_new(p, h->mx.name, (int)h->mx.pref, h->dns_usec);

	if (t == NULL) {
		p->skipped_hosts++;
		return;
	}
	if (h->status == SP_DNS_CANCELLED && p->timed_out)
		target_fail(t, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_DNS, "dns timeout after %.3fs",
			p->opts->timeout_ms / 1000.0);
	else if (h->status == SP_DNS_CANCELLED)
		target_fail(t, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_DNS, "cancelled");
	else if (!h->mx.valid)
		target_fail(t, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "MX name is not a host name");
	else
		target_fail(t, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "DNS lookup of %s failed: %s%s",
			h->mx.name, sp_dns_strerror(h->status),
			h->implicit ? " (and no MX record)" : "");
}

/* Every address of a resolved host becomes a target, while the limit allows. */
static void
host_targets(struct smtpprobe_probe *p, const struct mxhost *h)
{
	if (h->status != 0) {
		host_fail(p, h);
		return;
	}
	for (size_t i = 0; i < h->addrs.n; i++) {
		struct target *t = target_new(p, h->mx.name, (int)h->mx.pref, h->dns_usec);

		if (t == NULL) {
			p->skipped_addrs += h->addrs.n - i;
			return;
		}
		if (target_addrs(t, &h->addrs.a[i], 1) == -1)
			continue;
		if (p->opts->resolve_only) {
			sp_addr_text(&t->addrs[0], t->result->addr, sizeof(t->result->addr));
			t->result->start = t->result->end = elapsed(p);
		} else if (p->timed_out || p->stopping || past_deadline(p)) {
			sp_addr_text(&t->addrs[0], t->result->addr, sizeof(t->result->addr));
			target_fail(t, p->stopping ? SMTPPROBE_CANCELLED : SMTPPROBE_E_TIMEOUT,
				SMTPPROBE_STAGE_CONNECT, "not dialled: %s",
				p->stopping ? "cancelled" : "deadline passed");
		} else
			target_dial(t);
	}
}

/*
 * Targets are made in preference order, so that the target limit keeps the
 * best hosts whatever order the lookups answer in: a host's dialogs start
 * once every better host has been resolved (they are resolved together).
 */
static void
process_hosts(struct smtpprobe_probe *p)
{
	while (p->next_host < p->nhosts && p->hosts[p->next_host].resolved) {
		struct mxhost *h = &p->hosts[p->next_host++];

		host_targets(p, h);
		if (p->next_host == p->nhosts)
			p->dns_usec = elapsed(p) - p->dns_start;
	}
	maybe_finish(p);
}

static void
mxhost_addrs_done(void *arg, int status, const struct sp_addrs *addrs)
{
	struct mxhost *h = arg;

	h->query = NULL;
	h->resolved = true;
	h->status = status;
	h->dns_usec = elapsed(h->p) - h->p->dns_start;
	if (status == 0)
		h->addrs = *addrs;
	process_hosts(h->p);
}

static void
lookup_host(struct smtpprobe_probe *p, struct mxhost *h)
{
	h->p = p;
	h->status = SP_DNS_NODATA;
	if (h->mx.valid)
		h->query = sp_resolve_addrs(p->rs, h->mx.name, p->opts->family, true,
			mxhost_addrs_done, h);
	if (h->query == NULL) {
		h->resolved = true;
		h->dns_usec = elapsed(p) - p->dns_start;
		if (h->mx.valid)
			h->status = SP_DNS_TEMPFAIL;
	}
}

/* @return 0, or -1 when the MX set means no host is to be checked. */
static int
take_mxset(struct smtpprobe_probe *p, int status, const struct sp_mxrecs *set)
{
	const char *domain = p->opts->mx_domain;
	size_t n;

	if (status == SP_DNS_NODATA) {
		/* RFC 5321 5.1: no MX, so the domain itself, at preference 0. */
		if ((p->hosts = calloc(1, sizeof(*p->hosts))) == NULL)
			return -1;
		snprintf(p->hosts[0].mx.name, sizeof(p->hosts[0].mx.name), "%s", domain);
		p->hosts[0].mx.valid = sp_hostname_ok(domain);
		p->hosts[0].implicit = true;
		p->nhosts = 1;
		probe_note(p, "no MX record: the domain itself is its implicit MX (RFC 5321 5.1)");
		return 0;
	}
	n = set->n < p->maxtargets ? set->n : p->maxtargets;
	if ((p->hosts = calloc(n, sizeof(*p->hosts))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		p->hosts[i].mx = set->mx[i];
	p->nhosts = n;
	p->skipped_hosts = set->n - n + set->dropped;
	if (set->null_mixed)
		probe_note(p, "a null MX beside other MX records was ignored (RFC 7505)");
	return 0;
}

static void
mx_done(void *arg, int status, const struct sp_mxrecs *set)
{
	struct smtpprobe_probe *p = arg;
	const char *domain = p->opts->mx_domain;

	p->query = NULL;
	p->dns_usec = elapsed(p) - p->dns_start;
	if (status == SP_DNS_CANCELLED && p->timed_out)
		domain_fail(p, SMTPPROBE_E_TIMEOUT, "dns timeout after %.3fs",
			p->opts->timeout_ms / 1000.0);
	else if (status == SP_DNS_CANCELLED)
		domain_fail(p, SMTPPROBE_CANCELLED, "cancelled");
	else if (status != 0 && status != SP_DNS_NODATA)
		domain_fail(p, SMTPPROBE_E_DNS, "MX lookup of %s failed: %s", domain,
			sp_dns_strerror(status));
	else if (status == 0 && set->null_mx)
		domain_fail(p, SMTPPROBE_E_DNS, "domain accepts no mail (null MX, RFC 7505)");
	else if (take_mxset(p, status, set) == -1)
		domain_fail(p, SMTPPROBE_E_INTERNAL, "out of memory");
	else {
		for (size_t i = 0; i < p->nhosts; i++)
			lookup_host(p, &p->hosts[i]);
		process_hosts(p);
		return;
	}
	maybe_finish(p);
}

static void
start_mx(struct smtpprobe_probe *p)
{
	struct sp_resolver *rs;

	p->dns_start = elapsed(p);
	p->dns_usec = 0;
	if ((rs = resolver(p)) == NULL)
		domain_fail(p, SMTPPROBE_E_DNS, "no resolver could be set up");
	else if ((p->query = sp_resolve_mx(rs, p->opts->mx_domain, mx_done, p)) == NULL)
		domain_fail(p, SMTPPROBE_E_DNS, "DNS query could not be sent");
}

/* ------------------------------------------------------------ stopping */

/* Ends every lookup and dialog; their completions record why. */
static void
stop_all(struct smtpprobe_probe *p, smtpprobe_status why)
{
	if (p->query != NULL)
		sp_query_cancel(p->rs, p->query);
	for (size_t i = 0; i < p->nhosts; i++)
		if (p->hosts[i].query != NULL)
			sp_query_cancel(p->rs, p->hosts[i].query);
	/* Cancelling may add targets (not dialled): read ntargets afresh. */
	for (size_t i = 0; i < p->ntargets; i++) {
		struct target *t = p->targets[i];

		if (t->query != NULL)
			sp_query_cancel(p->rs, t->query);
		if (t->rdns != NULL)
			sp_rdns_cancel(t->rdns);
		if (t->dialog != NULL)
			sp_dialog_abort(t->dialog, why);
	}
}

static void
rdns_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtpprobe_probe *p = arg;

	p->rdns_expired = true;
	for (size_t i = 0; i < p->ntargets; i++)
		if (p->targets[i]->rdns != NULL)
			sp_rdns_cancel(p->targets[i]->rdns);
	maybe_finish(p);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtpprobe_probe *p = arg;

	p->timed_out = true;
	stop_all(p, SMTPPROBE_E_TIMEOUT);
	maybe_finish(p);
}

/* ------------------------------------------------------------ public */

smtpprobe_probe *
smtpprobe_probe_start(struct event_base *base, const smtpprobe_opts *opts,
	const smtpprobe_callbacks *cb, void *arg)
{
	struct smtpprobe_probe *p;
	struct timeval tv;

	if (base == NULL || opts == NULL || (opts->hosts.n == 0 && opts->mx_domain == NULL) ||
	    cb == NULL || cb->done == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->base = base;
	p->cb = *cb;
	p->arg = arg;
	p->t0 = sp_now_usec();
	p->dns_usec = -1;
	p->opts = sp_opts_dup(opts);
	p->maxtargets = opts->mx_domain != NULL ? opts->max_targets : opts->hosts.n;
	if (opts->mx_domain == NULL && opts->max_targets_set && opts->max_targets < opts->hosts.n)
		p->maxtargets = opts->max_targets;
	p->targets = calloc(p->maxtargets, sizeof(*p->targets));
	p->deadline = evtimer_new(base, deadline_cb, p);
	p->finish_ev = event_new(base, -1, 0, finish_cb, p);
	p->rdns_timer = evtimer_new(base, rdns_grace_cb, p);
	tv.tv_sec = opts->timeout_ms / 1000;
	tv.tv_usec = (opts->timeout_ms % 1000) * 1000;
	if (p->opts == NULL || p->targets == NULL || p->deadline == NULL ||
	    p->finish_ev == NULL || p->rdns_timer == NULL || evtimer_add(p->deadline, &tv) == -1) {
		p->done = true; /* no callback for a probe that never started */
		smtpprobe_probe_free(p);
		errno = ENOMEM;
		return NULL;
	}
	if (mx_mode(p))
		start_mx(p);
	else
		start_hosts(p);
	maybe_finish(p);
	return p;
}

void
smtpprobe_probe_cancel(smtpprobe_probe *p)
{
	if (p->done)
		return;
	p->stopping = true;
	stop_all(p, SMTPPROBE_CANCELLED);
	/* The aborted dialogs' callbacks would come from the loop: not wait. */
	for (size_t i = 0; i < p->ntargets; i++) {
		sp_dialog_free(p->targets[i]->dialog);
		p->targets[i]->dialog = NULL;
	}
	if (p->ntargets == 0)
		domain_fail(p, SMTPPROBE_CANCELLED, "cancelled");
	complete(p);
}

void
smtpprobe_probe_free(smtpprobe_probe *p)
{
	if (p == NULL || p->freeing)
		return;
	p->freeing = true;
	if (p->opts != NULL && p->targets != NULL)
		smtpprobe_probe_cancel(p);
	sp_resolver_free(p->rs);
	for (size_t i = 0; i < p->ntargets; i++)
		target_free(p->targets[i]);
	free(p->targets);
	free(p->hosts);
	if (p->tls_ctx != NULL)
		p->tls->ctx_free(p->tls_ctx);
	if (p->deadline != NULL)
		event_free(p->deadline);
	if (p->finish_ev != NULL)
		event_free(p->finish_ev);
	if (p->rdns_timer != NULL)
		event_free(p->rdns_timer);
	smtpprobe_opts_free(p->opts);
	free(p);
}

bool
smtpprobe_probe_done(const smtpprobe_probe *p)
{
	return p->done;
}

size_t
smtpprobe_probe_count(const smtpprobe_probe *p)
{
	return p->ntargets;
}

const smtpprobe_result *
smtpprobe_probe_result(const smtpprobe_probe *p, size_t i)
{
	return i < p->ntargets ? p->targets[i]->result : NULL;
}

int64_t
smtpprobe_probe_dns_usec(const smtpprobe_probe *p)
{
	return p->dns_usec;
}

const char *
smtpprobe_probe_notes(const smtpprobe_probe *p)
{
	return p->notes;
}
