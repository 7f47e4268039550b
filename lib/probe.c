/* SPDX-License-Identifier: MIT */
/*
 * probe.c - the probe: one host, several hosts, or a domain's MX set, all
 * at once on the caller's event loop. It owns the targets (target.c, one
 * per address dialled or name that could not be), the MX set when there is
 * one (mxset.c), the resolver and TLS context they share, the one deadline
 * over it all, the notes about the whole, and the one done callback, which
 * comes when nothing of ours is left running.
 *
 * A domain-level check that arrives later (MTA-STS: lib/mtasts.c with its
 * env and one done) is started here beside the MX set and is one more
 * thing the completion waits for; holding each target's MX host against
 * its policy is then one pass over the targets before the done callback.
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

#include "mxset.h"
#include "resolve.h"
#include "target.h"
#include "tls.h"

struct smtpprobe_probe {
	struct event_base *base;
	smtpprobe_opts *opts;
	smtpprobe_callbacks cb;
	void *arg;
	int64_t t0;
	struct event *deadline, *finish_ev;
	struct event *rdns_timer;   /* reverse DNS's grace after the dialogs */
	struct sp_resolver *rs;
	struct sp_mxset *mxset;     /* -M: the domain's MX set */
	size_t skipped_hosts;       /* -H: hosts beyond the target limit */
	struct sp_target **targets;
	size_t ntargets, maxtargets;
	const struct sp_tls_ops *tls;
	struct ssl_ctx_st *tls_ctx; /* every dialog's: trust anchors loaded once */
	bool tls_tried;
	char notes[SP_NOTES_MAX];
	bool timed_out, rdns_expired, done, freeing;
};

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
past_deadline(void *arg)
{
	const struct smtpprobe_probe *p = arg;

	return p->timed_out || elapsed(p) >= (int64_t)p->opts->timeout_ms * 1000;
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

static void
mxset_note(void *arg, const char *text)
{
	probe_note(arg, "%s", text);
}

/* ------------------------------------------------------------ shared by the targets */

/* The resolver is made on first need: a literal -H without rDNS has none. */
static struct sp_resolver *
resolver(void *arg)
{
	struct smtpprobe_probe *p = arg;

	if (p->rs == NULL)
		p->rs = sp_resolver_new(p->base, p->opts->dns_addr, p->opts->dns_port);
	return p->rs;
}

/* A failure here is the dialog's to report, when it tries on its own. */
static struct ssl_ctx_st *
shared_ctx(void *arg)
{
	struct smtpprobe_probe *p = arg;
	char err[200];

	if (p->opts->tlsctx != NULL) /* lent: never freed here */
		return sp_tlsctx_ssl(p->opts->tlsctx);
	if (p->opts->tls == SMTPPROBE_TLS_NONE || p->tls_tried)
		return p->tls_ctx;
	p->tls_tried = true;
	if ((p->tls = sp_tls_load(err, sizeof(err))) != NULL)
		p->tls_ctx = p->tls->ctx_new(p->opts, err, sizeof(err));
	return p->tls_ctx;
}

/* ------------------------------------------------------------ completion */

static bool
dialogs_ended(const struct smtpprobe_probe *p)
{
	if (p->mxset != NULL && sp_mxset_busy(p->mxset))
		return false;
	for (size_t i = 0; i < p->ntargets; i++)
		if (sp_target_busy(p->targets[i]))
			return false;
	return true;
}

static bool
rdns_running(const struct smtpprobe_probe *p)
{
	for (size_t i = 0; i < p->ntargets; i++)
		if (sp_target_rdns_running(p->targets[i]))
			return true;
	return false;
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

/* Targets, the MX set and reverse DNS all end here: let the probe look. */
static void
target_done(struct sp_target *t, void *arg)
{
	maybe_finish(arg);
}

static void
mxset_done(struct sp_mxset *m, void *arg)
{
	maybe_finish(arg);
}

static void
rdns_ended(void *arg)
{
	maybe_finish(arg);
}

static void
say_done(struct smtpprobe_probe *p)
{
	static const char text[] = "probe done";

	if (p->cb.line != NULL && p->ntargets > 0)
		p->cb.line(sp_target_result(p->targets[0]), SMTPPROBE_DIR_INFO, text,
			sizeof(text) - 1, elapsed(p), p->arg);
}

static void
complete(struct smtpprobe_probe *p)
{
	if (p->done)
		return;
	p->done = true;
	event_del(p->deadline);
	event_del(p->rdns_timer);
	if (p->skipped_hosts > 0)
		probe_note(p, "target limit %u reached: %zu host%s not checked",
			p->opts->max_targets, p->skipped_hosts, p->skipped_hosts == 1 ? "" : "s");
	/* Nothing of ours may keep the caller's event loop alive. */
	sp_resolver_free(p->rs);
	p->rs = NULL;
	for (size_t i = 0; i < p->ntargets; i++) {
		struct smtpprobe_result *r = sp_target_result(p->targets[i]);

		if (r->end == 0)
			r->end = elapsed(p);
	}
	say_done(p);
	p->cb.done(p, p->arg); /* may free p */
}

static void
finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtpprobe_probe *p = arg;

	if (dialogs_ended(p) && !rdns_running(p))
		complete(p);
}

/* ------------------------------------------------------------ targets */

/* @return a new target, or NULL (limit reached, ENOMEM). */
static struct sp_target *
add_target(void *arg, const char *host, int pref, int64_t dns_start, int64_t dns_usec)
{
	struct smtpprobe_probe *p = arg;
	struct sp_target_env env = {
		.base = p->base, .opts = p->opts, .t0 = p->t0,
		.line = p->cb.line, .line_arg = p->arg,
		.resolver = resolver, .tls_ctx = shared_ctx, .rdns_ended = rdns_ended,
		.owner = p,
	};
	struct sp_target *t;

	if (p->ntargets == p->maxtargets ||
	    (t = sp_target_new(&env, host, pref, dns_start, dns_usec, target_done, p)) == NULL)
		return NULL;
	p->targets[p->ntargets++] = t;
	return t;
}

/* Several hosts are independent targets, as if checked one by one, but at once. */
static void
start_hosts(struct smtpprobe_probe *p)
{
	const struct sp_strv *hosts = &p->opts->hosts;

	for (size_t i = 0; i < hosts->n; i++) {
		struct sp_target *t;

		if (p->ntargets == p->maxtargets) {
			p->skipped_hosts = hosts->n - i;
			return;
		}
		if ((t = add_target(p, hosts->v[i], -1, 0, -1)) == NULL)
			continue;
		if (!past_deadline(p))
			sp_target_start_host(t);
		else
			sp_target_fail(t, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_CONNECT,
				"not dialled: deadline passed");
	}
}

/* @return 0, or -1 (ENOMEM) when the MX set cannot be made. */
static int
make_mxset(struct smtpprobe_probe *p)
{
	struct sp_mxset_env env = {
		.base = p->base, .opts = p->opts, .t0 = p->t0,
		.resolver = resolver, .new_target = add_target,
		.past_deadline = past_deadline, .note = mxset_note, .owner = p,
	};

	if (p->opts->mx_domain == NULL)
		return 0;
	p->mxset = sp_mxset_new(&env, mxset_done, p);
	return p->mxset != NULL ? 0 : -1;
}

/* A probe cancelled before it had any target still says so in one. */
static void
cancelled_target(struct smtpprobe_probe *p)
{
	const char *name = p->mxset != NULL ? p->opts->mx_domain : p->opts->hosts.v[0];
	int64_t start = 0, usec = p->mxset != NULL ? sp_mxset_dns_usec(p->mxset, &start) : -1;
	struct sp_target *t = add_target(p, name, -1, start, usec);

	if (t != NULL)
		sp_target_fail(t, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_DNS, "cancelled");
}

/* ------------------------------------------------------------ stopping */

/* Ends every lookup and dialog; their completions record why. */
static void
stop_all(struct smtpprobe_probe *p, smtpprobe_status why)
{
	if (p->mxset != NULL)
		sp_mxset_abort(p->mxset, why);
	/* Aborting the MX set may add targets (not dialled): read ntargets afresh. */
	for (size_t i = 0; i < p->ntargets; i++)
		sp_target_abort(p->targets[i], why);
}

static void
rdns_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtpprobe_probe *p = arg;

	p->rdns_expired = true;
	for (size_t i = 0; i < p->ntargets; i++)
		sp_target_rdns_expire(p->targets[i]);
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

/* @return the probe with its events and room for its targets, or NULL (ENOMEM). */
static struct smtpprobe_probe *
probe_new(struct event_base *base, const smtpprobe_opts *opts)
{
	struct smtpprobe_probe *p = calloc(1, sizeof(*p));
	struct timeval tv = { opts->timeout_ms / 1000, (opts->timeout_ms % 1000) * 1000 };

	if (p == NULL)
		return NULL;
	p->base = base;
	p->t0 = sp_now_usec();
	p->opts = sp_opts_dup(opts);
	p->maxtargets = opts->mx_domain != NULL ? opts->max_targets : opts->hosts.n;
	if (opts->mx_domain == NULL && opts->max_targets_set && opts->max_targets < opts->hosts.n)
		p->maxtargets = opts->max_targets;
	p->targets = calloc(p->maxtargets, sizeof(*p->targets));
	p->deadline = evtimer_new(base, deadline_cb, p);
	p->finish_ev = event_new(base, -1, 0, finish_cb, p);
	p->rdns_timer = evtimer_new(base, rdns_grace_cb, p);
	if (p->opts == NULL || p->targets == NULL || p->deadline == NULL ||
	    p->finish_ev == NULL || p->rdns_timer == NULL || make_mxset(p) == -1 ||
	    evtimer_add(p->deadline, &tv) == -1) {
		p->done = true; /* no callback for a probe that never started */
		smtpprobe_probe_free(p);
		return NULL;
	}
	return p;
}

smtpprobe_probe *
smtpprobe_probe_start(struct event_base *base, const smtpprobe_opts *opts,
	const smtpprobe_callbacks *cb, void *arg)
{
	struct smtpprobe_probe *p;

	if (base == NULL || opts == NULL || (opts->hosts.n == 0 && opts->mx_domain == NULL) ||
	    cb == NULL || cb->done == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((p = probe_new(base, opts)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->cb = *cb;
	p->arg = arg;
	if (p->mxset != NULL)
		sp_mxset_start(p->mxset);
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
	/* Cancelled targets close at once: their callbacks would come from the loop. */
	stop_all(p, SMTPPROBE_CANCELLED);
	if (p->ntargets == 0)
		cancelled_target(p);
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
	/* Targets first: the MX set owns their host names. */
	for (size_t i = 0; i < p->ntargets; i++)
		sp_target_free(p->targets[i]);
	free(p->targets);
	sp_mxset_free(p->mxset);
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
	return i < p->ntargets ? sp_target_result(p->targets[i]) : NULL;
}

/* -M: the MX set's; -H: the longest of the hosts' own lookups. */
int64_t
smtpprobe_probe_dns_usec(const smtpprobe_probe *p)
{
	int64_t usec = -1;

	if (p->mxset != NULL)
		return sp_mxset_dns_usec(p->mxset, NULL);
	for (size_t i = 0; i < p->ntargets; i++) {
		int64_t t = sp_target_dns_usec(p->targets[i]);

		if (t > usec)
			usec = t;
	}
	return usec;
}

const char *
smtpprobe_probe_notes(const smtpprobe_probe *p)
{
	return p->notes;
}
