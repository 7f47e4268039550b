/* SPDX-License-Identifier: MIT */
/*
 * judge.c - how a monitoring administrator reads a dialog: 4xx warns, 5xx
 * and broken connections are critical, thresholds and expectations on top.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "judge.h"

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

const char *
sp_state_name(enum sp_state s)
{
	return (unsigned)s <= SP_UNKNOWN ? state_names[s] : "UNKNOWN";
}

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

static void
label(const smtpprobe_result *r, char *buf, size_t len)
{
	const char *host = smtpprobe_result_host(r), *addr = smtpprobe_result_addr(r);
	unsigned port = smtpprobe_result_port(r);

	if (*addr == '\0')
		snprintf(buf, len, "%s:%u", host, port);
	else if (strcmp(host, addr) != 0)
		snprintf(buf, len, "%s[%s]:%u", host, addr, port);
	else if (strchr(addr, ':') != NULL)
		snprintf(buf, len, "[%s]:%u", addr, port);
	else
		snprintf(buf, len, "%s:%u", addr, port);
}

/* Raises the verdict; the first reason of the worst state is kept. */
static void raise_to(struct sp_target_verdict *v, enum sp_state s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
raise_to(struct sp_target_verdict *v, enum sp_state s, const char *fmt, ...)
{
	va_list ap;

	if (s == SP_OK || (v->state != SP_OK && rank(s) <= rank(v->state)))
		return;
	v->state = s;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

/* "<command> <code> <enhanced> <text>", the reply as the admin saw it. */
static void
quote(const smtpprobe_result *r, size_t i, char *buf, size_t len)
{
	const char *cmd = smtpprobe_exchange_command(r, i);
	const char *enh = smtpprobe_exchange_enhanced(r, i);
	const char *text = smtpprobe_exchange_text(r, i);

	snprintf(buf, len, "%s %d%s%s%s%s", *cmd ? cmd : "banner",
		smtpprobe_exchange_code(r, i), *enh ? " " : "", enh, *text ? " " : "", text);
}

static void
judge_reply(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	const smtpprobe_result *r = v->r;
	int i = smtpprobe_result_decider(r);
	int code = i >= 0 ? smtpprobe_exchange_code(r, (size_t)i) : 0;
	char q[SP_WHY_MAX];

	smtpprobe_stage st = smtpprobe_result_stage(r);
	int want = smtpprobe_opts_expect_class(cfg->lib, st);

	if (i < 0)
		return;
	if (st == SMTPPROBE_STAGE_QUIT && cfg->ignore_quit_failure)
		return;
	quote(r, (size_t)i, q, sizeof(q));
	/* --expect-reply: a reply of the usual good class is the failure here. */
	if (want != 0 && code / 100 != want && code / 100 == 2)
		raise_to(v, SP_CRITICAL, "%s; accepted, expected %dxx%s", q, want,
			st == SMTPPROBE_STAGE_RCPT && want == 5 ? ": relaying is open?" : "");
	else if (want != 0 && code / 100 != want)
		raise_to(v, code / 100 == 4 ? SP_WARNING : SP_CRITICAL, "%s; expected %dxx", q, want);
	else
		raise_to(v, code / 100 == 4 ? SP_WARNING : SP_CRITICAL, "%s", q);
}

static void
judge_status(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	const smtpprobe_result *r = v->r;
	const char *reason = smtpprobe_result_reason(r);

	switch (smtpprobe_result_status(r)) {
	case SMTPPROBE_OK:
		return;
	case SMTPPROBE_E_REPLY:
		judge_reply(cfg, v);
		return;
	case SMTPPROBE_E_TIMEOUT:
		raise_to(v, cfg->timeout_state, "%s", reason);
		return;
	case SMTPPROBE_E_CLOSED:
		if (smtpprobe_result_stage(r) == SMTPPROBE_STAGE_QUIT && cfg->ignore_quit_failure)
			return;
		raise_to(v, SP_CRITICAL, "%s", reason);
		return;
	case SMTPPROBE_E_INTERNAL:
	case SMTPPROBE_E_LOCAL:
	case SMTPPROBE_CANCELLED:
		raise_to(v, SP_UNKNOWN, "%s", reason);
		return;
	default:
		raise_to(v, SP_CRITICAL, "%s", reason);
	}
}

static size_t
find_stage(const smtpprobe_result *r, smtpprobe_stage st, size_t nth)
{
	for (size_t i = 0, seen = 0; i < smtpprobe_exchange_count(r); i++)
		if (smtpprobe_exchange_stage(r, i) == st && seen++ == nth)
			return i;
	return (size_t)-1;
}

/* -e: check_smtp warns when the banner lacks the expected text. */
static void
judge_expect(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	size_t i = find_stage(v->r, SMTPPROBE_STAGE_BANNER, 0);
	char line[SP_WHY_MAX];

	if (cfg->expect == NULL || i == (size_t)-1)
		return;
	quote(v->r, i, line, sizeof(line));
	if (strstr(line + strlen("banner "), cfg->expect) == NULL)
		raise_to(v, SP_WARNING, "banner '%s' does not contain '%s'",
			line + strlen("banner "), cfg->expect);
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
judge_exts(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	if (!smtpprobe_stage_ran(v->r, SMTPPROBE_STAGE_EHLO))
		return;
	for (size_t i = 0; i < cfg->require_ext.n; i++)
		if (!had_ext(v->r, cfg->require_ext.v[i]))
			raise_to(v, SP_CRITICAL, "%s does not advertise %s",
				*smtpprobe_result_greeting(v->r) ? smtpprobe_result_greeting(v->r) : "EHLO",
				cfg->require_ext.v[i]);
}

/* -R: each reply to -C must match its regex, as check_smtp has it. */
static void
judge_responses(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	for (size_t n = 0; n < cfg->nresponses; n++) {
		size_t i = find_stage(v->r, SMTPPROBE_STAGE_COMMAND, n);
		char line[SP_WHY_MAX];

		if (i == (size_t)-1 || smtpprobe_exchange_code(v->r, i) == 0)
			continue;
		snprintf(line, sizeof(line), "%d %s", smtpprobe_exchange_code(v->r, i),
			smtpprobe_exchange_text(v->r, i));
		if (regexec(&cfg->responses[n].re, line, 0, NULL, 0) != 0)
			raise_to(v, SP_WARNING, "reply '%s' to '%s' does not match '%s'", line,
				smtpprobe_exchange_command(v->r, i), cfg->responses[n].pattern);
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
judge_cert(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	time_t end = (time_t)smtpprobe_result_cert_not_after(v->r);
	char date[32];
	struct tm tm;
	long days;

	if (!cfg->cert_days_set || !sp_cert_days(v->r, &days))
		return;
	if (gmtime_r(&end, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(date, sizeof(date), "?");
	if (days < 0)
		raise_to(v, SP_CRITICAL, "certificate expired %ld days ago (%s)", -days, date);
	else if (days < cfg->cert_crit_days)
		raise_to(v, SP_CRITICAL, "certificate expires in %ld days (%s)", days, date);
	else if (days < cfg->cert_warn_days)
		raise_to(v, SP_WARNING, "certificate expires in %ld days (%s)", days, date);
}

/*
 * --require-fcrdns: a receiving MTA trusts a sender whose address maps to a
 * name that maps back to it, and whose greeting uses that name. Judged only
 * where a server answered: without a connection there is no one to name.
 */
static void
judge_rdns(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	const smtpprobe_result *r = v->r;
	const char *ptr = smtpprobe_result_ptr(r), *name = smtpprobe_result_banner_name(r);

	if (!cfg->require_fcrdns || !smtpprobe_stage_ran(r, SMTPPROBE_STAGE_BANNER))
		return;
	if (smtpprobe_result_rdns(r) != SMTPPROBE_RDNS_CONFIRMED)
		raise_to(v, SP_WARNING, "reverse DNS not confirmed: %s",
			*smtpprobe_result_rdns_text(r) ? smtpprobe_result_rdns_text(r) : "not looked up");
	else if (*name && strcasecmp(name, ptr) != 0)
		raise_to(v, SP_WARNING, "banner names %s, reverse DNS %s", name, ptr);
}

static void
judge_time(struct sp_target_verdict *v, const char *what, double secs,
	const struct sp_range *w, bool wset, const struct sp_range *c, bool cset)
{
	if (cset && sp_range_alert(c, secs))
		raise_to(v, SP_CRITICAL, "%s %.3fs (critical %s)", what, secs, c->text);
	else if (wset && sp_range_alert(w, secs))
		raise_to(v, SP_WARNING, "%s %.3fs (warning %s)", what, secs, w->text);
}

static void
judge_thresholds(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	judge_time(v, "time", sp_total_usec(v->r) / 1e6, &cfg->warn.total, cfg->warn.total_set,
		&cfg->crit.total, cfg->crit.total_set);
	for (int s = 0; s < SMTPPROBE_STAGE_COUNT; s++) {
		if (!smtpprobe_stage_ran(v->r, (smtpprobe_stage)s))
			continue;
		judge_time(v, smtpprobe_stage_name((smtpprobe_stage)s),
			smtpprobe_stage_usec(v->r, (smtpprobe_stage)s) / 1e6,
			&cfg->warn.stage[s], cfg->warn.stage_set[s],
			&cfg->crit.stage[s], cfg->crit.stage_set[s]);
	}
}

static int append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	int n;

	if (used >= len)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
	return n;
}

static void
append_reply(char *buf, size_t len, const smtpprobe_result *r, const char *name,
	smtpprobe_stage st)
{
	size_t last = (size_t)-1, count = 0;

	for (size_t i = 0; i < smtpprobe_exchange_count(r); i++)
		if (smtpprobe_exchange_stage(r, i) == st && smtpprobe_exchange_code(r, i) != 0) {
			last = i;
			count++;
		}
	if (last == (size_t)-1)
		return;
	append(buf, len, ", %s %d", name, smtpprobe_exchange_code(r, last));
	if (*smtpprobe_exchange_enhanced(r, last))
		append(buf, len, " %s", smtpprobe_exchange_enhanced(r, last));
	if (count > 1 && st == SMTPPROBE_STAGE_RCPT)
		append(buf, len, " x%zu", count);
}

/*
 * The reply to the end of the message, not the 354 before it: its queue id
 * when it has one in a known form, else the reply itself (LMTP: one per
 * recipient, counted as RCPT's are).
 */
static void
append_data(char *buf, size_t len, const smtpprobe_result *r)
{
	size_t first = find_stage(r, SMTPPROBE_STAGE_DATA, 1), n = 0;

	if (first == (size_t)-1 || smtpprobe_exchange_code(r, first) == 0)
		return;
	for (size_t i = first; i < smtpprobe_exchange_count(r); i++)
		n += smtpprobe_exchange_stage(r, i) == SMTPPROBE_STAGE_DATA;
	append(buf, len, ", DATA %d", smtpprobe_exchange_code(r, first));
	if (*smtpprobe_result_queue_id(r))
		append(buf, len, " queued as %s", smtpprobe_result_queue_id(r));
	else if (n > 1)
		append(buf, len, "%s%s x%zu", *smtpprobe_exchange_enhanced(r, first) ? " " : "",
			smtpprobe_exchange_enhanced(r, first), n);
	else
		append(buf, len, "%s%s %.80s", *smtpprobe_exchange_enhanced(r, first) ? " " : "",
			smtpprobe_exchange_enhanced(r, first), smtpprobe_exchange_text(r, first));
}

/* "AUTH PLAIN": the exchanges of the auth stage are named by mechanism. */
static const char *
auth_label(const smtpprobe_result *r)
{
	size_t i = find_stage(r, SMTPPROBE_STAGE_AUTH, 0);

	return i != (size_t)-1 ? smtpprobe_exchange_command(r, i) : "AUTH";
}

/* "220 ESMTP, EHLO 250, RCPT 250 2.1.5, 0.004s": what was checked. */
static void
ok_summary(const smtpprobe_result *r, char *buf, size_t len)
{
	const char *greet = smtpprobe_result_greeting(r);
	const char *flavour = !strcmp(greet, "EHLO") ? " ESMTP" : !strcmp(greet, "HELO") ? " SMTP" :
	    !strcmp(greet, "LHLO") ? " LMTP" : "";

	const char *tls = smtpprobe_result_tls_version(r);
	bool starttls = smtpprobe_stage_ran(r, SMTPPROBE_STAGE_STARTTLS);

	buf[0] = '\0';
	if (*tls && !starttls)
		append(buf, len, "TLS %s, ", tls);
	append(buf, len, "%d%s", smtpprobe_stage_code(r, SMTPPROBE_STAGE_BANNER), flavour);
	if (*greet)
		append(buf, len, ", %s %d", greet, smtpprobe_stage_code(r, SMTPPROBE_STAGE_EHLO));
	if (*tls && starttls)
		append(buf, len, ", STARTTLS %s", tls);
	append_reply(buf, len, r, auth_label(r), SMTPPROBE_STAGE_AUTH);
	append_reply(buf, len, r, "MAIL", SMTPPROBE_STAGE_MAIL);
	append_reply(buf, len, r, "RCPT", SMTPPROBE_STAGE_RCPT);
	append_data(buf, len, r);
	if (*smtpprobe_result_notes(r))
		append(buf, len, ", %s", smtpprobe_result_notes(r));
	append(buf, len, ", %.3fs", sp_total_usec(r) / 1e6);
}

static void
judge_target(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	v->state = SP_OK;
	label(v->r, v->label, sizeof(v->label));
	judge_status(cfg, v);
	if (v->state == SP_OK || smtpprobe_result_status(v->r) == SMTPPROBE_OK) {
		judge_expect(cfg, v);
		judge_exts(cfg, v);
		judge_responses(cfg, v);
		judge_cert(cfg, v);
		judge_rdns(cfg, v);
	}
	judge_thresholds(cfg, v);
	if (v->state == SP_OK)
		ok_summary(v->r, v->why, sizeof(v->why));
}

/* A domain whose MX lookup failed is one target that is not a host. */
static bool
domain_failed(const struct sp_report *rep)
{
	return rep->n == 1 && smtpprobe_result_mx_pref(rep->v[0].r) < 0;
}

static bool
same_host(const smtpprobe_result *a, const smtpprobe_result *b)
{
	return strcmp(smtpprobe_result_host(a), smtpprobe_result_host(b)) == 0;
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

/*
 * "2 of 3 MX hosts OK; mx3.example.org[192.0.2.12]:25 connect timeout": a
 * host is OK when every address of it is; the targets that are not follow,
 * the worst first; when all are, the best host's summary.
 */
/* Targets left without a socket are counted first: a long list would hide them. */
static void
no_fd_note(const struct sp_report *rep, char *buf, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < rep->n; i++) {
		int e = smtpprobe_result_errno(rep->v[i].r);

		n += e == EMFILE || e == ENFILE;
	}
	if (n > 0)
		append(buf, len, "; %zu target%s not dialled: file descriptor limit reached (ulimit -n)",
			n, n == 1 ? "" : "s");
}

static void
mx_summary(const struct sp_config *cfg, const smtpprobe_probe *p, struct sp_report *rep)
{
	static const enum sp_state order[] = { SP_CRITICAL, SP_WARNING, SP_UNKNOWN };
	size_t hosts = 0, ok = 0;
	char *buf = rep->summary;
	size_t len = sizeof(rep->summary);

	for (size_t i = 0; i < rep->n; i++) {
		bool host_ok = true;
		size_t j = i;

		for (; j < rep->n && same_host(rep->v[i].r, rep->v[j].r); j++)
			host_ok = host_ok && rep->v[j].state == SP_OK;
		hosts++;
		ok += host_ok;
		i = j - 1;
	}
	buf[0] = '\0';
	append(buf, len, "%zu of %zu %shost%s OK", ok, hosts,
		smtpprobe_opts_mx_domain(cfg->lib) != NULL ? "MX " : "", hosts == 1 ? "" : "s");
	no_fd_note(rep, buf, len);
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (size_t i = 0; i < rep->n; i++)
			if (rep->v[i].state == order[o])
				append(buf, len, "; %s %s", rep->v[i].label, rep->v[i].why);
	if (ok == hosts)
		append(buf, len, "; %s %s", rep->v[0].label, rep->v[0].why);
	if (*smtpprobe_probe_notes(p))
		append(buf, len, "; %s", smtpprobe_probe_notes(p));
}

int
sp_judge(const struct sp_config *cfg, const smtpprobe_probe *p, struct sp_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->n = smtpprobe_probe_count(p);
	rep->notes = smtpprobe_probe_notes(p);
	if (rep->n == 0) {
		rep->state = SP_UNKNOWN;
		snprintf(rep->summary, sizeof(rep->summary), "no result (internal error)");
		return 0;
	}
	if ((rep->v = calloc(rep->n, sizeof(*rep->v))) == NULL)
		return -1;
	rep->state = SP_OK;
	for (size_t i = 0; i < rep->n; i++) {
		rep->v[i].r = smtpprobe_probe_result(p, i);
		judge_target(cfg, &rep->v[i]);
		rep->state = sp_worst(rep->state, rep->v[i].state);
	}
	if (!sp_multi_target(cfg) || domain_failed(rep)) {
		snprintf(rep->summary, sizeof(rep->summary), "%s %s", rep->v[0].label, rep->v[0].why);
		return 0;
	}
	rep->state = mx_state(cfg, rep);
	mx_summary(cfg, p, rep);
	return 0;
}

void
sp_report_free(struct sp_report *rep)
{
	free(rep->v);
	rep->v = NULL;
}
