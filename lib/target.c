/* SPDX-License-Identifier: MIT */
/*
 * target.c - one target's life. A host given by name is resolved and its
 * addresses dialled in turn until one does not refuse, as an administrator
 * does with telnet; an MX host's address is dialled once. Reverse DNS, when
 * asked for, runs beside the dialog, never in its way. Whatever the path,
 * the done callback comes once, from the loop, when the verdict is final.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "addr.h"
#include "dane.h"
#include "dialog.h"
#include "rdns.h"
#include "resolve.h"
#include "target.h"

struct sp_target {
	struct sp_target_env env;
	sp_target_done_fn done;
	void *arg;
	struct event *done_ev;
	struct smtpprobe_result *result;
	struct sp_dialog *dialog;
	struct sp_rdns *rdns;
	struct sp_resolver *rs;     /* where its lookup went, to cancel it */
	struct sp_query *query;     /* -H: its address lookup */
	struct sp_query *tlsa;      /* DANE: its TLSA lookup, beside the rest */
	int64_t tlsa_start;
	const char *host;           /* the owner's: outlives the target */
	int pref;
	/* -H: every address, in turn; MX: one. Sized to fit: a thousand
	 * targets at once must not each carry room for SP_MAX_ADDRS. */
	struct sockaddr_storage *addrs;
	size_t naddrs, next_addr;
	int64_t dns_start, dns_usec; /* dns_usec -1: no lookup */
	char *notes;                /* refused addresses, kept across results */
	bool ended;                 /* the verdict is final: done is on its way */
	bool done_called;
	bool timed_out, stopped;    /* aborted: by the deadline, or at all */
	bool rdns_expired;
};

static void target_dial(struct sp_target *t);

static int64_t
elapsed(const struct sp_target *t)
{
	return sp_now_usec() - t->env.t0;
}

/* DANE applies where TLS is used: it verifies the handshake. */
static bool
dane_on(const struct sp_target *t)
{
	return t->env.opts->dane != SMTPPROBE_DANE_OFF && t->env.opts->tls != SMTPPROBE_TLS_NONE;
}

static void
info(struct sp_target *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
info(struct sp_target *t, const char *fmt, ...)
{
	char buf[SP_NAME_MAX + 128];
	va_list ap;

	if (t->env.line == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	t->env.line(t->result, SMTPPROBE_DIR_INFO, buf, strlen(buf), elapsed(t), t->env.line_arg);
}

/* ------------------------------------------------------------ its end */

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_target *t = arg;

	t->done_called = true;
	t->done(t, t->arg); /* may free t */
}

/* Done comes once, from the loop, when nothing that decides the verdict runs. */
static void
settle(struct sp_target *t)
{
	if (t->ended || t->dialog != NULL || t->query != NULL || t->tlsa != NULL)
		return;
	t->ended = true;
	event_active(t->done_ev, 0, 0);
}

/*
 * A fresh result for the target, carrying what it learnt so far.
 * Out of memory, the old one says so: its outcome was about another attempt.
 */
static int
target_reset(struct sp_target *t)
{
	struct smtpprobe_result *r = sp_result_new(t->host, sp_opts_port(t->env.opts));

	if (r == NULL) {
		if (t->result != NULL) {
			t->result->status = SMTPPROBE_OK;
			sp_result_fail(t->result, SMTPPROBE_E_INTERNAL, SMTPPROBE_STAGE_CONNECT, -1,
				"out of memory");
			t->result->end = elapsed(t);
		}
		return -1;
	}
	/* DANE's facts are the host's: they go on, without the last handshake's. */
	if (t->result != NULL && (r->dane = t->result->dane) != NULL) {
		t->result->dane = NULL;
		sp_dane_rearm(r->dane);
	} else if (dane_on(t) && (r->dane = sp_dane_new()) == NULL) {
		sp_result_free(r);
		return -1;
	}
	sp_result_free(t->result);
	t->result = r;
	r->mx_pref = t->pref;
	if (t->dns_usec >= 0)
		sp_result_stage_time(r, SMTPPROBE_STAGE_DNS, t->dns_start, t->dns_start + t->dns_usec);
	if (t->notes != NULL)
		sp_result_note(r, "%s", t->notes);
	return 0;
}

static void
vfail(struct sp_target *t, smtpprobe_status st, smtpprobe_stage stage, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void
vfail(struct sp_target *t, smtpprobe_status st, smtpprobe_stage stage, const char *fmt, va_list ap)
{
	char reason[SP_REASON_MAX];

	vsnprintf(reason, sizeof(reason), fmt, ap);
	sp_result_fail(t->result, st, stage, -1, "%s", reason);
	t->result->end = elapsed(t);
	/* Not dialled: its time is the DNS stage alone, not counted twice. */
	if (!t->result->stages[SMTPPROBE_STAGE_CONNECT].ran)
		t->result->start = t->result->end;
}

static void
fail(struct sp_target *t, smtpprobe_status st, smtpprobe_stage stage, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
fail(struct sp_target *t, smtpprobe_status st, smtpprobe_stage stage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(t, st, stage, fmt, ap);
	va_end(ap);
}

/* @return 0, or -1 when out of memory (the target is failed). */
static int
target_addrs(struct sp_target *t, const struct sockaddr_storage *a, size_t n)
{
	free(t->addrs);
	t->naddrs = t->next_addr = 0;
	if ((t->addrs = malloc(n * sizeof(*a))) == NULL) {
		fail(t, SMTPPROBE_E_INTERNAL, SMTPPROBE_STAGE_CONNECT, "out of memory");
		return -1;
	}
	memcpy(t->addrs, a, n * sizeof(*a));
	t->naddrs = n;
	return 0;
}

/* ------------------------------------------------------------ reverse DNS */

static void
rdns_done(void *arg, smtpprobe_rdns state, const char *ptr, const char *text)
{
	struct sp_target *t = arg;
	struct smtpprobe_result *r = t->result;

	t->rdns = NULL;
	if (state == SMTPPROBE_RDNS_NONE) {
		/* Cancelled: by the deadline or the grace (say so), or for the next address. */
		if (t->timed_out)
			snprintf(r->rdns_text, sizeof(r->rdns_text), "reverse DNS unfinished at the deadline");
		else if (t->rdns_expired)
			snprintf(r->rdns_text, sizeof(r->rdns_text),
				"reverse DNS unfinished %ums after the dialog", t->env.opts->rdns_grace_ms);
	} else {
		r->rdns = state;
		snprintf(r->ptr, sizeof(r->ptr), "%s", ptr);
		snprintf(r->rdns_text, sizeof(r->rdns_text), "%s", text);
	}
	t->env.rdns_ended(t->env.owner);
}

static void
rdns_start(struct sp_target *t, const struct sockaddr_storage *ss)
{
	struct sp_resolver *rs = t->env.resolver(t->env.owner);

	if (rs == NULL || (t->rdns = sp_rdns_start(rs, ss, rdns_done, t)) == NULL)
		snprintf(t->result->rdns_text, sizeof(t->result->rdns_text),
			"reverse DNS lookup could not be started");
}

/* ------------------------------------------------------------ dialling */

/* A refused address is not the verdict while another may answer (-H). */
static bool
fall_back(struct sp_target *t)
{
	struct smtpprobe_result *r = t->result;
	size_t len = t->notes != NULL ? strlen(t->notes) : 0;

	if (r->status != SMTPPROBE_E_CONNECT || t->next_addr >= t->naddrs || t->stopped)
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
	struct sp_target *t = arg;

	sp_dialog_free(d);
	t->dialog = NULL;
	if (fall_back(t))
		target_dial(t);
	settle(t);
}

static void
target_dial(struct sp_target *t)
{
	struct sockaddr_storage *ss = &t->addrs[t->next_addr++];
	struct sp_dialog_env env = {
		.base = t->env.base, .opts = t->env.opts, .t0 = t->env.t0,
		.line = t->env.line, .line_arg = t->env.line_arg,
		.tls_ctx = t->env.tls_ctx(t->env.owner),
	};

	/* The old address's lookup reports into the old result: end it first. */
	if (t->rdns != NULL)
		sp_rdns_cancel(t->rdns);
	/* A second address (-H fallback) starts a result of its own. */
	if (t->next_addr > 1 && target_reset(t) == -1)
		return;
	sp_addr_text(ss, t->result->addr, sizeof(t->result->addr));
	sp_addr_set_port(ss, t->result->port);
	if (t->pref >= 0)
		info(t, "MX %d %s: dialling %s", t->pref, t->host, t->result->addr);
	if ((t->dialog = sp_dialog_new(&env, t->result, dialog_done, t)) != NULL && t->tlsa != NULL)
		sp_dialog_tls_hold(t->dialog);
	if (t->dialog == NULL ||
	    sp_dialog_start(t->dialog, (struct sockaddr *)ss, sp_addr_len(ss)) == -1) {
		fail(t, SMTPPROBE_E_INTERNAL, SMTPPROBE_STAGE_CONNECT, "out of memory");
		/* An aborted dialog's done still comes, and ends the target. */
		if (t->dialog != NULL)
			sp_dialog_abort(t->dialog, SMTPPROBE_E_INTERNAL);
		return;
	}
	if (t->env.opts->rdns)
		rdns_start(t, ss);
}

/* Dials the first of @p n addresses (the next ones on refusal), or fails. */
static void
dial_addrs(struct sp_target *t, const struct sockaddr_storage *a, size_t n)
{
	if (target_addrs(t, a, n) == 0)
		target_dial(t);
}

/* ------------------------------------------------------------ DANE's TLSA records */

static const char *const lookup_words[] = {
	"not asked", "found", "none", "failed", "unfinished",
};

static void
tlsa_done(void *arg, int status, const struct sp_tlsaset *set)
{
	struct sp_target *t = arg;
	struct sp_dane_facts *f = t->result->dane;

	t->tlsa = NULL;
	if (sp_dane_take(f, status, set, t->timed_out, elapsed(t) - t->tlsa_start) == -1)
		sp_result_note(t->result, "TLSA records lost: out of memory");
	info(t, "TLSA _%u._tcp.%s: %s, %zu record(s), %s", t->result->port, t->host,
		lookup_words[f->lookup], f->set != NULL ? f->set->n : 0,
		f->tlsa == SMTPPROBE_DNSSEC_SECURE ? "secure" : "not secure");
	/* The handshake may go now: by the records, or as configured without them. */
	if (t->dialog != NULL)
		sp_dialog_tls_go(t->dialog);
	settle(t);
}

/* Asked at the target's start, so that it runs beside the connection. */
static void
tlsa_start(struct sp_target *t)
{
	struct sp_resolver *rs;

	if (!dane_on(t) || t->result->dane == NULL)
		return;
	t->tlsa_start = elapsed(t);
	if ((rs = t->env.resolver(t->env.owner)) != NULL)
		t->tlsa = sp_resolve_tlsa(rs, t->host, sp_opts_port(t->env.opts), tlsa_done, t);
	if (t->tlsa == NULL)
		(void)sp_dane_take(t->result->dane, SP_DNS_TEMPFAIL, NULL, false, 0);
	t->rs = rs;
}

/* ------------------------------------------------------------ its host (-H) */

static void
host_addrs_done(void *arg, int status, const struct sp_addrs *addrs)
{
	struct sp_target *t = arg;
	const smtpprobe_opts *o = t->env.opts;

	t->query = NULL;
	t->dns_usec = elapsed(t) - t->dns_start;
	if (target_reset(t) == -1) {
		settle(t);
		return;
	}
	if (status == SP_DNS_CANCELLED && t->timed_out)
		fail(t, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_DNS, "dns timeout after %.3fs",
			o->timeout_ms / 1000.0);
	else if (status != 0)
		fail(t, status == SP_DNS_CANCELLED ? SMTPPROBE_CANCELLED : SMTPPROBE_E_DNS,
			SMTPPROBE_STAGE_DNS, "DNS lookup of %s failed: %s", t->host,
			sp_dns_strerror(status));
	else {
		if (t->result->dane != NULL)
			t->result->dane->addr = addrs->ad ? SMTPPROBE_DNSSEC_SECURE : SMTPPROBE_DNSSEC_INSECURE;
		dial_addrs(t, addrs->a, addrs->n);
	}
	settle(t);
}

static void
start_lookup(struct sp_target *t)
{
	t->dns_start = elapsed(t);
	t->dns_usec = 0;
	if ((t->rs = t->env.resolver(t->env.owner)) == NULL)
		fail(t, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "no resolver could be set up");
	else if ((t->query = dane_on(t) ?
	    sp_resolve_addrs_dnssec(t->rs, t->host, t->env.opts->family, host_addrs_done, t) :
	    sp_resolve_addrs(t->rs, t->host, t->env.opts->family, false, host_addrs_done, t)) == NULL)
		fail(t, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "DNS query could not be sent");
}

/* An IP literal, the hosts file, then DNS: the system's "files dns" order. */
void
sp_target_start_host(struct sp_target *t)
{
	const smtpprobe_opts *o = t->env.opts;
	struct sp_addrs found = { 0 };

	tlsa_start(t);
	if (sp_parse_literal(t->host, o->family, &found.a[0]) == 0)
		dial_addrs(t, found.a, 1);
	else if (!dane_on(t) && sp_hosts_lookup(o->hosts_file, t->host, o->family, &found) > 0)
		dial_addrs(t, found.a, found.n);
	else
		start_lookup(t);
	settle(t);
}

/* ------------------------------------------------------------ the rest of the API */

void
sp_target_start_addr(struct sp_target *t, const struct sockaddr_storage *ss)
{
	tlsa_start(t);
	dial_addrs(t, ss, 1);
	settle(t);
}

void
sp_target_dnssec(struct sp_target *t, bool mx_ad, bool addr_ad)
{
	struct sp_dane_facts *f = t->result->dane;

	if (f == NULL)
		return;
	f->mx = mx_ad ? SMTPPROBE_DNSSEC_SECURE : SMTPPROBE_DNSSEC_INSECURE;
	f->addr = addr_ad ? SMTPPROBE_DNSSEC_SECURE : SMTPPROBE_DNSSEC_INSECURE;
}

void
sp_target_skip(struct sp_target *t, const struct sockaddr_storage *ss, smtpprobe_status st,
	const char *why)
{
	sp_addr_text(ss, t->result->addr, sizeof(t->result->addr));
	if (st == SMTPPROBE_OK)
		t->result->start = t->result->end = elapsed(t);
	else
		fail(t, st, SMTPPROBE_STAGE_CONNECT, "not dialled: %s", why);
	settle(t);
}

void
sp_target_fail(struct sp_target *t, smtpprobe_status st, smtpprobe_stage stage,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(t, st, stage, fmt, ap);
	va_end(ap);
	settle(t);
}

struct sp_target *
sp_target_new(const struct sp_target_env *env, const char *host, int pref,
	int64_t dns_start, int64_t dns_usec, sp_target_done_fn done, void *arg)
{
	struct sp_target *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->env = *env;
	t->done = done;
	t->arg = arg;
	t->host = host;
	t->pref = pref;
	t->dns_start = dns_start;
	t->dns_usec = dns_usec;
	if ((t->done_ev = event_new(env->base, -1, 0, done_cb, t)) == NULL ||
	    target_reset(t) == -1) {
		sp_target_free(t);
		return NULL;
	}
	return t;
}

/* Each completion below runs now and settles the target; the flags say why. */
void
sp_target_abort(struct sp_target *t, smtpprobe_status why)
{
	t->stopped = true;
	if (why == SMTPPROBE_E_TIMEOUT)
		t->timed_out = true;
	if (t->query != NULL)
		sp_query_cancel(t->rs, t->query);
	if (t->tlsa != NULL)
		sp_query_cancel(t->rs, t->tlsa);
	if (t->rdns != NULL)
		sp_rdns_cancel(t->rdns);
	if (t->dialog == NULL)
		return;
	sp_dialog_abort(t->dialog, why);
	if (why == SMTPPROBE_E_TIMEOUT)
		return;
	/* Its callback would come from the loop: the owner does not wait. */
	sp_dialog_free(t->dialog);
	t->dialog = NULL;
	settle(t);
}

void
sp_target_rdns_expire(struct sp_target *t)
{
	t->rdns_expired = true;
	if (t->rdns != NULL)
		sp_rdns_cancel(t->rdns);
}

bool
sp_target_busy(const struct sp_target *t)
{
	return !t->done_called;
}

bool
sp_target_rdns_running(const struct sp_target *t)
{
	return t->rdns != NULL;
}

int64_t
sp_target_dns_usec(const struct sp_target *t)
{
	return t->dns_usec;
}

struct smtpprobe_result *
sp_target_result(const struct sp_target *t)
{
	return t->result;
}

void
sp_target_free(struct sp_target *t)
{
	if (t == NULL)
		return;
	if (t->done_ev != NULL)
		event_free(t->done_ev);
	free(t->addrs);
	free(t->notes);
	sp_dialog_free(t->dialog);
	sp_result_free(t->result);
	free(t);
}
