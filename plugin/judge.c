/*
 * judge.c - how a monitoring administrator reads a dialog: 4xx warns, 5xx
 * and broken connections are critical, thresholds and expectations on top.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	if (i < 0)
		return;
	if (smtpprobe_result_stage(r) == SMTPPROBE_STAGE_QUIT && cfg->ignore_quit_failure)
		return;
	quote(r, (size_t)i, q, sizeof(q));
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

static void
judge_exts(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	if (!smtpprobe_stage_ran(v->r, SMTPPROBE_STAGE_EHLO))
		return;
	for (size_t i = 0; i < cfg->require_ext.n; i++)
		if (!smtpprobe_result_has_ext(v->r, cfg->require_ext.v[i]))
			raise_to(v, SP_CRITICAL, "%s does not advertise %s",
				*smtpprobe_result_greeting(v->r) ? smtpprobe_result_greeting(v->r) : "EHLO",
				cfg->require_ext.v[i]);
}

/* -R: each reply to -C must match its regex, as check_smtp has it. */
static void
judge_responses(const struct sp_config *cfg, struct sp_target_verdict *v)
{
	for (size_t n = 0; n < cfg->responses.n; n++) {
		size_t i = find_stage(v->r, SMTPPROBE_STAGE_COMMAND, n);
		char line[SP_WHY_MAX];
		regex_t re;
		int nomatch;

		if (i == (size_t)-1 || smtpprobe_exchange_code(v->r, i) == 0)
			continue;
		snprintf(line, sizeof(line), "%d %s", smtpprobe_exchange_code(v->r, i),
			smtpprobe_exchange_text(v->r, i));
		if (regcomp(&re, cfg->responses.v[n], REG_EXTENDED | REG_NOSUB) != 0)
			continue; /* validated by options.c already */
		nomatch = regexec(&re, line, 0, NULL, 0);
		regfree(&re);
		if (nomatch)
			raise_to(v, SP_WARNING, "reply '%s' to '%s' does not match '%s'", line,
				smtpprobe_exchange_command(v->r, i), cfg->responses.v[n]);
	}
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
	if (count > 1)
		append(buf, len, " x%zu", count);
}

/* "220 ESMTP, EHLO 250, RCPT 250 2.1.5, 0.004s": what was checked. */
static void
ok_summary(const smtpprobe_result *r, char *buf, size_t len)
{
	const char *greet = smtpprobe_result_greeting(r);
	const char *flavour = !strcmp(greet, "EHLO") ? " ESMTP" : !strcmp(greet, "HELO") ? " SMTP" :
	    !strcmp(greet, "LHLO") ? " LMTP" : "";

	buf[0] = '\0';
	append(buf, len, "%d%s", smtpprobe_stage_code(r, SMTPPROBE_STAGE_BANNER), flavour);
	if (*greet)
		append(buf, len, ", %s %d", greet, smtpprobe_stage_code(r, SMTPPROBE_STAGE_EHLO));
	append_reply(buf, len, r, "MAIL", SMTPPROBE_STAGE_MAIL);
	append_reply(buf, len, r, "RCPT", SMTPPROBE_STAGE_RCPT);
	/* The reply to the end of the message, not the 354 before it. */
	if (*smtpprobe_result_queue_id(r))
		append(buf, len, ", DATA %d queued as %s",
			smtpprobe_exchange_code(r, find_stage(r, SMTPPROBE_STAGE_DATA, 1)),
			smtpprobe_result_queue_id(r));
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
	}
	judge_thresholds(cfg, v);
	if (v->state == SP_OK)
		ok_summary(v->r, v->why, sizeof(v->why));
}

int
sp_judge(const struct sp_config *cfg, const smtpprobe_probe *p, struct sp_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	rep->n = smtpprobe_probe_count(p);
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
	snprintf(rep->summary, sizeof(rep->summary), "%s %s", rep->v[0].label, rep->v[0].why);
	return 0;
}

void
sp_report_free(struct sp_report *rep)
{
	free(rep->v);
	rep->v = NULL;
}
