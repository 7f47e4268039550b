/* SPDX-License-Identifier: MIT */
/*
 * judge.c - how a monitoring administrator reads a dialog: 4xx warns, 5xx
 * and broken connections are critical, thresholds and expectations on top.
 * It decides states and records which fact decided each, as data; the
 * words are output.c's.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "judge.h"

/* Room for a reply as one line: code, enhanced code and text (at most 511 bytes). */
#define REPLY_LINE_MAX 1200

/* UNKNOWN ranks below CRITICAL, as Monitoring Plugins' max_state() has it. */
static int
rank(enum sp_state s)
{
	static const int ranks[] = { 0, 2, 3, 1 };

	return ranks[(unsigned)s <= SP_UNKNOWN ? s : SP_UNKNOWN];
}

enum sp_state
sp_worst(enum sp_state a, enum sp_state b)
{
	return rank(a) >= rank(b) ? a : b;
}

int64_t
sp_total_usec(const smtpprobe_result *r)
{
	return smtpprobe_result_usec(r) + smtpprobe_stage_usec(r, SMTPPROBE_STAGE_DNS);
}

void
sp_reply_text(const smtpprobe_result *r, size_t i, char *buf, size_t len)
{
	const char *enh = smtpprobe_exchange_enhanced(r, i);
	const char *text = smtpprobe_exchange_text(r, i);

	snprintf(buf, len, "%d%s%s%s%s", smtpprobe_exchange_code(r, i),
		*enh ? " " : "", enh, *text ? " " : "", text);
}

void
sp_response_text(const smtpprobe_result *r, size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%d %s", smtpprobe_exchange_code(r, i), smtpprobe_exchange_text(r, i));
}

size_t
sp_find_stage(const smtpprobe_result *r, smtpprobe_stage st, size_t nth)
{
	for (size_t i = 0, seen = 0; i < smtpprobe_exchange_count(r); i++)
		if (smtpprobe_exchange_stage(r, i) == st && seen++ == nth)
			return i;
	return (size_t)-1;
}

/* Raises the verdict to @p s for the reason in @p why; the first reason of the worst state is kept. */
static void
raise_to(struct sp_verdict *v, enum sp_state s, struct sp_verdict why)
{
	if (s == SP_OK || (v->state != SP_OK && rank(s) <= rank(v->state)))
		return;
	why.r = v->r;
	why.state = s;
	*v = why;
}

static void
judge_reply(const struct sp_config *cfg, struct sp_verdict *v)
{
	int i = smtpprobe_result_decider(v->r);
	smtpprobe_stage st = smtpprobe_result_stage(v->r);
	int want = smtpprobe_opts_expect_class(cfg->lib, st), klass;
	enum sp_state bad;

	if (i < 0 || (st == SMTPPROBE_STAGE_QUIT && cfg->ignore_quit_failure))
		return;
	klass = smtpprobe_exchange_code(v->r, (size_t)i) / 100;
	bad = klass == 4 ? SP_WARNING : SP_CRITICAL;
	/* --expect-reply: a reply of the usual good class is the failure here. */
	if (want != 0 && klass != want && klass == 2)
		raise_to(v, SP_CRITICAL, (struct sp_verdict){ .exchange = (size_t)i, .want = want,
			.reason = st == SMTPPROBE_STAGE_RCPT && want == 5 ?
			    SP_REASON_RELAY_OPEN : SP_REASON_ACCEPTED });
	else if (want != 0 && klass != want)
		raise_to(v, bad, (struct sp_verdict){ .reason = SP_REASON_UNEXPECTED,
			.exchange = (size_t)i, .want = want });
	else
		raise_to(v, bad, (struct sp_verdict){ .reason = SP_REASON_REPLY, .exchange = (size_t)i });
}

static void
judge_status(const struct sp_config *cfg, struct sp_verdict *v)
{
	const struct sp_verdict status = { .reason = SP_REASON_STATUS };

	switch (smtpprobe_result_status(v->r)) {
	case SMTPPROBE_OK:
		return;
	case SMTPPROBE_E_REPLY:
		judge_reply(cfg, v);
		return;
	case SMTPPROBE_E_TIMEOUT:
		raise_to(v, cfg->timeout_state, status);
		return;
	case SMTPPROBE_E_CLOSED:
		if (smtpprobe_result_stage(v->r) != SMTPPROBE_STAGE_QUIT || !cfg->ignore_quit_failure)
			raise_to(v, SP_CRITICAL, status);
		return;
	case SMTPPROBE_E_INTERNAL:
	case SMTPPROBE_E_LOCAL:
	case SMTPPROBE_CANCELLED:
		raise_to(v, SP_UNKNOWN, status);
		return;
	default:
		raise_to(v, SP_CRITICAL, status);
	}
}

/*
 * -e: check_smtp warns when the banner lacks the expected text. The text is
 * the administrator's and the search is in the server's reply: what -e
 * means, not a reading of our own words.
 */
static void
judge_expect(const struct sp_config *cfg, struct sp_verdict *v)
{
	size_t i = sp_find_stage(v->r, SMTPPROBE_STAGE_BANNER, 0);
	char line[REPLY_LINE_MAX];

	if (cfg->expect == NULL || i == (size_t)-1)
		return;
	sp_reply_text(v->r, i, line, sizeof(line));
	if (strstr(line, cfg->expect) == NULL)
		raise_to(v, SP_WARNING, (struct sp_verdict){ .reason = SP_REASON_BANNER, .exchange = i });
}

/*
 * After STARTTLS the server must not offer it again (RFC 3207 4.2) and
 * the capabilities are those of the second EHLO: the library remembers
 * whether the first offered it.
 */
static bool
had_ext(const smtpprobe_result *r, const char *ext)
{
	if (strcasecmp(ext, "STARTTLS") == 0 && smtpprobe_result_starttls_offered(r))
		return true;
	return smtpprobe_result_has_ext(r, ext);
}

static void
judge_exts(const struct sp_config *cfg, struct sp_verdict *v)
{
	if (!smtpprobe_stage_ran(v->r, SMTPPROBE_STAGE_EHLO))
		return;
	for (size_t i = 0; i < cfg->require_ext.n; i++)
		if (!had_ext(v->r, cfg->require_ext.v[i]))
			raise_to(v, SP_CRITICAL, (struct sp_verdict){ .reason = SP_REASON_EXTENSION,
				.index = i });
}

/* -R: each reply to -C must match its regex, as check_smtp has it. */
static void
judge_responses(const struct sp_config *cfg, struct sp_verdict *v)
{
	for (size_t n = 0; n < cfg->nresponses; n++) {
		size_t i = sp_find_stage(v->r, SMTPPROBE_STAGE_COMMAND, n);
		char line[REPLY_LINE_MAX];

		if (i == (size_t)-1 || smtpprobe_exchange_code(v->r, i) == 0)
			continue;
		sp_response_text(v->r, i, line, sizeof(line));
		if (regexec(&cfg->responses[n].re, line, 0, NULL, 0) != 0)
			raise_to(v, SP_WARNING, (struct sp_verdict){ .reason = SP_REASON_RESPONSE,
				.exchange = i, .index = n });
	}
}

bool
sp_cert_days(const smtpprobe_result *r, long *days)
{
	int64_t end = smtpprobe_result_cert_not_after(r);
	int64_t left = end - (int64_t)time(NULL);

	if (end == 0)
		return false;
	/* Floor, so a certificate a second past its end is -1 day, not 0. */
	*days = (long)(left >= 0 ? left / 86400 : -((-left + 86399) / 86400));
	return true;
}

/* -D WARN[,CRIT] as check_smtp: fewer days left than CRIT, then WARN. */
static void
judge_cert(const struct sp_config *cfg, struct sp_verdict *v)
{
	long days;

	if (!cfg->cert_days_set || !sp_cert_days(v->r, &days))
		return;
	if (days < 0)
		raise_to(v, SP_CRITICAL, (struct sp_verdict){ .reason = SP_REASON_CERT_EXPIRED, .days = days });
	else if (days < cfg->cert_crit_days)
		raise_to(v, SP_CRITICAL, (struct sp_verdict){ .reason = SP_REASON_CERT_EXPIRES, .days = days });
	else if (days < cfg->cert_warn_days)
		raise_to(v, SP_WARNING, (struct sp_verdict){ .reason = SP_REASON_CERT_EXPIRES, .days = days });
}

/*
 * --require-fcrdns: a receiving MTA trusts a sender whose address maps to a
 * name that maps back to it, and whose greeting uses that name. Judged only
 * where a server answered: without a connection there is no one to name.
 * Both names are facts the library found, compared as DNS names.
 */
static void
judge_rdns(const struct sp_config *cfg, struct sp_verdict *v)
{
	const smtpprobe_result *r = v->r;
	const char *ptr = smtpprobe_result_ptr(r), *name = smtpprobe_result_banner_name(r);

	if (!cfg->require_fcrdns || !smtpprobe_stage_ran(r, SMTPPROBE_STAGE_BANNER))
		return;
	if (smtpprobe_result_rdns(r) != SMTPPROBE_RDNS_CONFIRMED)
		raise_to(v, SP_WARNING, (struct sp_verdict){ .reason = SP_REASON_RDNS });
	else if (*name && strcasecmp(name, ptr) != 0)
		raise_to(v, SP_WARNING, (struct sp_verdict){ .reason = SP_REASON_RDNS_NAME });
}

/* A time against -c, then -w; @p st is SMTPPROBE_STAGE_COUNT for the total. */
static void
judge_time(struct sp_verdict *v, smtpprobe_stage st, double secs,
	const struct sp_range *w, bool wset, const struct sp_range *c, bool cset)
{
	struct sp_verdict why = { .reason = SP_REASON_TIME, .stage = st, .secs = secs };

	if (cset && sp_range_alert(c, secs))
		raise_to(v, SP_CRITICAL, why);
	else if (wset && sp_range_alert(w, secs))
		raise_to(v, SP_WARNING, why);
}

static void
judge_thresholds(const struct sp_config *cfg, struct sp_verdict *v)
{
	judge_time(v, SMTPPROBE_STAGE_COUNT, sp_total_usec(v->r) / 1e6,
		&cfg->warn.total, cfg->warn.total_set, &cfg->crit.total, cfg->crit.total_set);
	for (int s = 0; s < SMTPPROBE_STAGE_COUNT; s++) {
		if (!smtpprobe_stage_ran(v->r, (smtpprobe_stage)s))
			continue;
		judge_time(v, (smtpprobe_stage)s, smtpprobe_stage_usec(v->r, (smtpprobe_stage)s) / 1e6,
			&cfg->warn.stage[s], cfg->warn.stage_set[s],
			&cfg->crit.stage[s], cfg->crit.stage_set[s]);
	}
}

/* A TLSA record the handshake could have used. */
static bool
any_usable(const smtpprobe_result *r)
{
	for (size_t i = 0; i < smtpprobe_result_tlsa_count(r); i++)
		if (smtpprobe_result_tlsa_use(r, i) != SMTPPROBE_TLSA_UNUSABLE)
			return true;
	return false;
}

/* The lookup's findings, in SPEC 8's order; the handshake's come after. */
static enum sp_dane_finding
dns_finding(const smtpprobe_result *r)
{
	bool secure = smtpprobe_result_dnssec_tlsa(r) == SMTPPROBE_DNSSEC_SECURE;

	if (smtpprobe_result_dnssec_mx(r) == SMTPPROBE_DNSSEC_INSECURE)
		return SP_DANE_MX_INSECURE;
	if (smtpprobe_result_dnssec_addr(r) == SMTPPROBE_DNSSEC_INSECURE)
		return SP_DANE_ADDR_INSECURE;
	switch (smtpprobe_result_tlsa_lookup(r)) {
	case SMTPPROBE_TLSA_FAILED:
		return SP_DANE_TLSA_FAILED;
	case SMTPPROBE_TLSA_NONE:
		return secure ? SP_DANE_TLSA_NONE : SP_DANE_TLSA_INSECURE;
	case SMTPPROBE_TLSA_FOUND:
		if (!secure)
			return SP_DANE_TLSA_INSECURE;
		return any_usable(r) ? SP_DANE_NONE : SP_DANE_TLSA_UNUSABLE;
	default:
		return SP_DANE_NONE;
	}
}

enum sp_dane_finding
sp_dane_finding(const smtpprobe_result *r)
{
	enum sp_dane_finding f = dns_finding(r);

	if (f != SP_DANE_NONE)
		return f;
	switch (smtpprobe_result_dane_auth(r)) {
	case SMTPPROBE_DANE_AUTHENTICATED: return SP_DANE_AUTHENTICATED;
	case SMTPPROBE_DANE_NO_MATCH: return SP_DANE_NO_MATCH;
	case SMTPPROBE_DANE_CHECK_FAILED: return SP_DANE_CHECK_FAILED;
	default: return SP_DANE_NONE;
	}
}

/*
 * SPEC 8's table. Where DANE does not apply, require fails and auto goes
 * on with PKIX as configured (the dialog already verified so); broken
 * DNSSEC and a failed match fail in both modes: validating senders defer.
 */
static void
judge_dane(const struct sp_config *cfg, struct sp_verdict *v)
{
	bool require = smtpprobe_opts_dane(cfg->lib) == SMTPPROBE_DANE_REQUIRE;
	enum sp_dane_finding f = sp_dane_finding(v->r);
	const struct sp_verdict why = { .reason = SP_REASON_DANE, .dane = f };

	switch (f) {
	case SP_DANE_MX_INSECURE:
	case SP_DANE_ADDR_INSECURE:
	case SP_DANE_TLSA_NONE:
	case SP_DANE_TLSA_INSECURE:
		if (require)
			raise_to(v, SP_CRITICAL, why);
		return;
	case SP_DANE_TLSA_UNUSABLE:
		raise_to(v, require ? SP_CRITICAL : SP_WARNING, why);
		return;
	case SP_DANE_TLSA_FAILED:
	case SP_DANE_NO_MATCH:
	case SP_DANE_CHECK_FAILED:
		raise_to(v, SP_CRITICAL, why);
		return;
	default:
		return;
	}
}

static void
judge_target(const struct sp_config *cfg, struct sp_verdict *v)
{
	v->state = SP_OK;
	v->reason = SP_REASON_NONE;
	judge_dane(cfg, v);
	judge_status(cfg, v);
	if (v->state == SP_OK || smtpprobe_result_status(v->r) == SMTPPROBE_OK) {
		judge_expect(cfg, v);
		judge_exts(cfg, v);
		judge_responses(cfg, v);
		judge_cert(cfg, v);
		judge_rdns(cfg, v);
	}
	judge_thresholds(cfg, v);
	v->dane = sp_dane_finding(v->r);
}

/* A domain whose MX lookup failed is one target that is not a host. */
bool
sp_report_single(const struct sp_config *cfg, const struct sp_report *rep)
{
	return !sp_multi_target(cfg) || (rep->n == 1 && smtpprobe_result_mx_pref(rep->v[0].r) < 0);
}

/* --mx-policy: worst of all, best of all, or worst of the best preference. */
static enum sp_state
mx_state(const struct sp_config *cfg, const struct sp_report *rep)
{
	enum sp_state st = rep->v[0].state;
	int best = smtpprobe_result_mx_pref(rep->v[0].r); /* targets come sorted */

	for (size_t i = 1; i < rep->n; i++) {
		enum sp_state s = rep->v[i].state;

		if (cfg->mx_policy == SP_MX_ANY)
			st = rank(s) < rank(st) ? s : st;
		else if (cfg->mx_policy == SP_MX_WORST || smtpprobe_result_mx_pref(rep->v[i].r) == best)
			st = sp_worst(st, s);
	}
	return st;
}

int
sp_judge(const struct sp_config *cfg, const smtpprobe_result *const *results, size_t n,
	const char *notes, struct sp_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->notes = notes;
	if (n == 0) {
		rep->state = SP_UNKNOWN; /* a probe always has a target: a bug of ours */
		return 0;
	}
	if ((rep->v = calloc(n, sizeof(*rep->v))) == NULL)
		return -1;
	rep->n = n;
	rep->state = SP_OK;
	for (size_t i = 0; i < n; i++) {
		rep->v[i].r = results[i];
		judge_target(cfg, &rep->v[i]);
		rep->state = sp_worst(rep->state, rep->v[i].state);
	}
	if (!sp_report_single(cfg, rep))
		rep->state = mx_state(cfg, rep);
	return 0;
}

void
sp_report_free(struct sp_report *rep)
{
	free(rep->v);
	rep->v = NULL;
	rep->n = 0;
}
