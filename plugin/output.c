/* SPDX-License-Identifier: MIT */
/*
 * output.c - what the monitoring system reads: verdicts put into words
 * (the status line names the fact that decided and quotes the server's
 * reply), perfdata, long output, JSON and Zabbix discovery. Every byte
 * that came from a server is neutralised before it is printed: '|' would
 * start perfdata, a newline would end the status line, control bytes and
 * invalid UTF-8 would garble the web interface.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daneout.h"
#include "output.h"

size_t
sp_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	unsigned cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	return cp >= min && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? len : 0;
}

/* Prints @p s with '|' as '/', controls and broken UTF-8 as '?'. */
static void
put_safe(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = sp_utf8_len(p + i, n - i);

		if (l == 0 || (l == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			fputc('?', out);
			i += l ? l : 1;
		} else if (p[i] == '|') {
			fputc('/', out);
			i++;
		} else {
			fwrite(p + i, 1, l, out);
			i += l;
		}
	}
}

static void
puts_safe(FILE *out, const char *s)
{
	put_safe(out, s, strlen(s));
}

/* The characters of @p s as a JSON string's inside. */
static void
json_chars(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t l = sp_utf8_len(p + i, n - i);

		if (l == 0) {
			fputs("\\ufffd", out);
			i++;
		} else if (p[i] == '"' || p[i] == '\\') {
			fprintf(out, "\\%c", p[i++]);
		} else if (l == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			fprintf(out, "\\u%04x", p[i++]);
		} else {
			fwrite(p + i, 1, l, out);
			i += l;
		}
	}
}

void
sp_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	json_chars(out, s, strlen(s));
	fputc('"', out);
}

/* ------------------------------------------------------------ verdicts in words */

#define WHY_MAX 1200                /* one target's text */
#define SUMMARY_MAX (WHY_MAX + 400) /* the status line's text */
#define LABEL_MAX 320               /* "host[addr]:port" */

static const char *const state_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

const char *
sp_state_name(enum sp_state s)
{
	return (unsigned)s <= SP_UNKNOWN ? state_names[s] : "UNKNOWN";
}

/* "host[addr]:port", "addr:port", "[v6addr]:port": which target. */
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

/* Writes into @p buf, cut at @p len: a long server reply shortens the line, never overruns it. */
static void say(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
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

/* ", RCPT 250 2.1.5 x2": the last reply of a stage, and how many there were. */
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
 * The reply to the end of the message, not the 354 before it (BDAT has
 * none): its queue id when it has one in a known form, else the reply
 * itself (LMTP: one per recipient, counted as RCPT's are). Named by the
 * verb that carried the message.
 */
static void
append_data(char *buf, size_t len, const smtpprobe_result *r)
{
	bool bdat = smtpprobe_result_chunking(r);
	size_t first = sp_find_stage(r, SMTPPROBE_STAGE_DATA, bdat ? 0 : 1), n = 0;
	const char *enh;

	if (first == (size_t)-1 || smtpprobe_exchange_code(r, first) == 0)
		return;
	enh = smtpprobe_exchange_enhanced(r, first);
	for (size_t i = first; i < smtpprobe_exchange_count(r); i++)
		n += smtpprobe_exchange_stage(r, i) == SMTPPROBE_STAGE_DATA;
	append(buf, len, ", %s %d", bdat ? "BDAT" : "DATA", smtpprobe_exchange_code(r, first));
	if (*smtpprobe_result_queue_id(r))
		append(buf, len, " queued as %s", smtpprobe_result_queue_id(r));
	else if (n > 1)
		append(buf, len, "%s%s x%zu", *enh ? " " : "", enh, n);
	else
		append(buf, len, "%s%s %.80s", *enh ? " " : "", enh, smtpprobe_exchange_text(r, first));
}

/* "AUTH PLAIN": the exchanges of the auth stage are named by mechanism. */
static const char *
auth_label(const smtpprobe_result *r)
{
	size_t i = sp_find_stage(r, SMTPPROBE_STAGE_AUTH, 0);

	return i != (size_t)-1 ? smtpprobe_exchange_command(r, i) : "AUTH";
}

/* " ESMTP", " SMTP", " LMTP": what the greeting that worked says of the server. */
static const char *
flavour(const smtpprobe_result *r)
{
	switch (smtpprobe_result_greeting_verb(r)) {
	case SMTPPROBE_GREETING_EHLO:
		return " ESMTP";
	case SMTPPROBE_GREETING_HELO:
		return " SMTP";
	case SMTPPROBE_GREETING_LHLO:
		return " LMTP";
	default:
		return "";
	}
}

/* "220 ESMTP, EHLO 250, RCPT 250 2.1.5, 0.004s": what was checked. */
static void
ok_summary(const smtpprobe_result *r, char *buf, size_t len)
{
	const char *greet = smtpprobe_result_greeting(r);
	const char *tls = smtpprobe_result_tls_version(r);
	bool starttls = smtpprobe_stage_ran(r, SMTPPROBE_STAGE_STARTTLS);

	buf[0] = '\0';
	if (*tls && !starttls)
		append(buf, len, "TLS %s, ", tls);
	append(buf, len, "%d%s", smtpprobe_stage_code(r, SMTPPROBE_STAGE_BANNER), flavour(r));
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

/* The deciding reply, and with --expect-reply what was expected instead. */
static void
reply_text(const struct sp_verdict *v, char *buf, size_t len)
{
	char q[WHY_MAX];

	quote(v->r, v->exchange, q, sizeof(q));
	if (v->reason == SP_REASON_RELAY_OPEN)
		say(buf, len, "%s; accepted, expected %dxx: relaying is open?", q, v->want);
	else if (v->reason == SP_REASON_ACCEPTED)
		say(buf, len, "%s; accepted, expected %dxx", q, v->want);
	else if (v->reason == SP_REASON_UNEXPECTED)
		say(buf, len, "%s; expected %dxx", q, v->want);
	else
		say(buf, len, "%s", q);
}

/* "certificate expires in 9 days (2026-12-14 10:00 UTC)" */
static void
cert_text(const struct sp_verdict *v, char *buf, size_t len)
{
	time_t end = (time_t)smtpprobe_result_cert_not_after(v->r);
	char date[32];
	struct tm tm;

	if (gmtime_r(&end, &tm) == NULL || strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(date, sizeof(date), "?");
	if (v->reason == SP_REASON_CERT_EXPIRED)
		say(buf, len, "certificate expired %ld days ago (%s)", -v->days, date);
	else
		say(buf, len, "certificate expires in %ld days (%s)", v->days, date);
}

/* "ehlo 2.100s (critical 2)": the time, against the range that alerted. */
static void
time_text(const struct sp_config *cfg, const struct sp_verdict *v, char *buf, size_t len)
{
	bool crit = v->state == SP_CRITICAL;
	const struct sp_level *lvl = crit ? &cfg->crit : &cfg->warn;
	const struct sp_range *range = v->stage == SMTPPROBE_STAGE_COUNT ? &lvl->total : &lvl->stage[v->stage];

	say(buf, len, "%s %.3fs (%s %s)",
		v->stage == SMTPPROBE_STAGE_COUNT ? "time" : smtpprobe_stage_name(v->stage),
		v->secs, crit ? "critical" : "warning", range->text);
}

/* -e, --require-ext, -R, --require-fcrdns: the check that failed. */
static void
check_text(const struct sp_config *cfg, const struct sp_verdict *v, char *buf, size_t len)
{
	const smtpprobe_result *r = v->r;
	const char *greet = smtpprobe_result_greeting(r), *rdns = smtpprobe_result_rdns_text(r);
	char line[WHY_MAX];

	switch (v->reason) {
	case SP_REASON_BANNER:
		sp_reply_text(r, v->exchange, line, sizeof(line));
		say(buf, len, "banner '%s' does not contain '%s'", line, cfg->expect);
		return;
	case SP_REASON_EXTENSION:
		say(buf, len, "%s does not advertise %s", *greet ? greet : "EHLO",
			cfg->require_ext.v[v->index]);
		return;
	case SP_REASON_RESPONSE:
		sp_response_text(r, v->exchange, line, sizeof(line));
		say(buf, len, "reply '%s' to '%s' does not match '%s'", line,
			smtpprobe_exchange_command(r, v->exchange), cfg->responses[v->index].pattern);
		return;
	case SP_REASON_RDNS:
		say(buf, len, "reverse DNS not confirmed: %s", *rdns ? rdns : "not looked up");
		return;
	default: /* SP_REASON_RDNS_NAME */
		say(buf, len, "banner names %s, reverse DNS %s",
			smtpprobe_result_banner_name(r), smtpprobe_result_ptr(r));
	}
}

/* With DANE, an OK target names its matching record, or why DANE did not apply (auto). */
static void
dane_part(const struct sp_verdict *v, char *buf, size_t len)
{
	char d[WHY_MAX];

	if (v->dane == SP_DANE_NONE)
		return;
	sp_dane_text(v->r, v->dane, d, sizeof(d));
	append(buf, len, v->dane == SP_DANE_AUTHENTICATED ? ", %s" : ", DANE not applied: %s", d);
}

/* One target's text: what was checked when OK, else what decided its state. */
static void
reason_text(const struct sp_config *cfg, const struct sp_verdict *v, char *buf, size_t len)
{
	switch (v->reason) {
	case SP_REASON_NONE:
		ok_summary(v->r, buf, len);
		dane_part(v, buf, len);
		return;
	case SP_REASON_DANE:
		sp_dane_text(v->r, v->dane, buf, len);
		return;
	case SP_REASON_STATUS:
		say(buf, len, "%s", smtpprobe_result_reason(v->r));
		return;
	case SP_REASON_REPLY:
	case SP_REASON_RELAY_OPEN:
	case SP_REASON_ACCEPTED:
	case SP_REASON_UNEXPECTED:
		reply_text(v, buf, len);
		return;
	case SP_REASON_CERT_EXPIRED:
	case SP_REASON_CERT_EXPIRES:
		cert_text(v, buf, len);
		return;
	case SP_REASON_TIME:
		time_text(cfg, v, buf, len);
		return;
	default:
		check_text(cfg, v, buf, len);
	}
}

/* "host[addr]:port <its text>" */
static void
append_target(const struct sp_config *cfg, const struct sp_verdict *v, char *buf, size_t len)
{
	char lab[LABEL_MAX], why[WHY_MAX];

	label(v->r, lab, sizeof(lab));
	reason_text(cfg, v, why, sizeof(why));
	append(buf, len, "; %s %s", lab, why);
}

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

/* How many hosts, and of them OK: a host is OK when every address of it is. */
static void
count_hosts(const struct sp_report *rep, size_t *hosts, size_t *ok)
{
	*hosts = *ok = 0;
	for (size_t i = 0; i < rep->n;) {
		const char *host = smtpprobe_result_host(rep->v[i].r);
		bool host_ok = true;

		for (; i < rep->n && strcmp(host, smtpprobe_result_host(rep->v[i].r)) == 0; i++)
			host_ok = host_ok && rep->v[i].state == SP_OK;
		(*hosts)++;
		*ok += host_ok;
	}
}

/*
 * "2 of 3 MX hosts OK; mx3.example.org[192.0.2.12]:25 connect timeout": the
 * targets that are not OK follow, the worst first; when all are, the best
 * host's summary.
 */
static void
multi_summary(const struct sp_config *cfg, const struct sp_report *rep, char *buf, size_t len)
{
	static const enum sp_state order[] = { SP_CRITICAL, SP_WARNING, SP_UNKNOWN };
	size_t hosts, ok;

	count_hosts(rep, &hosts, &ok);
	buf[0] = '\0';
	append(buf, len, "%zu of %zu %shost%s OK", ok, hosts,
		smtpprobe_opts_mx_domain(cfg->lib) != NULL ? "MX " : "", hosts == 1 ? "" : "s");
	no_fd_note(rep, buf, len);
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++)
		for (size_t i = 0; i < rep->n; i++)
			if (rep->v[i].state == order[o])
				append_target(cfg, &rep->v[i], buf, len);
	if (ok == hosts)
		append_target(cfg, &rep->v[0], buf, len);
	/* Each MX host's own DANE record: a rollover on one host is visible. */
	for (size_t i = 1; ok == hosts && i < rep->n; i++)
		if (rep->v[i].dane != SP_DANE_NONE) {
			char lab[LABEL_MAX], d[WHY_MAX];

			label(rep->v[i].r, lab, sizeof(lab));
			sp_dane_text(rep->v[i].r, rep->v[i].dane, d, sizeof(d));
			append(buf, len, "; %s %s", lab, d);
		}
	if (rep->notes != NULL && *rep->notes)
		append(buf, len, "; %s", rep->notes);
}

/* The status line's text after "SMTP STATE - ". */
static void
summary(const struct sp_config *cfg, const struct sp_report *rep, char *buf, size_t len)
{
	char lab[LABEL_MAX], why[WHY_MAX];

	if (rep->n == 0) {
		say(buf, len, "no result (internal error)");
	} else if (sp_report_single(cfg, rep)) {
		label(rep->v[0].r, lab, sizeof(lab));
		reason_text(cfg, &rep->v[0], why, sizeof(why));
		say(buf, len, "%s %s", lab, why);
	} else {
		multi_summary(cfg, rep, buf, len);
	}
}

static void
perf_one(FILE *out, const char *prefix, const char *name, int64_t usec,
	const struct sp_range *w, bool wset, const struct sp_range *c, bool cset)
{
	if (*prefix)
		fprintf(out, " '%s:%s'=", prefix, name);
	else
		fprintf(out, " %s=", name);
	fprintf(out, "%.6fs;%s;%s;0", usec / 1e6, wset ? w->text : "", cset ? c->text : "");
}

static void
cert_perf(FILE *out, const struct sp_config *cfg, const struct sp_verdict *v,
	const char *prefix)
{
	long days;

	if (!sp_cert_days(v->r, &days))
		return;
	if (*prefix)
		fprintf(out, " '%s:cert_days'=%ld", prefix, days);
	else
		fprintf(out, " cert_days=%ld", days);
	/* Range syntax: "30:" alerts below 30 days, as -D means. */
	if (cfg->cert_days_set)
		fprintf(out, ";%d:;%d:;0", cfg->cert_warn_days, cfg->cert_crit_days);
	else
		fputs(";;;0", out);
}

/*
 * The stages that ran, in the order they started (with STARTTLS the
 * handshake comes after the banner, with implicit TLS before it); stages
 * that started together keep the enum's order. @return how many.
 */
static size_t
stages_in_order(const smtpprobe_result *r, smtpprobe_stage order[SMTPPROBE_STAGE_COUNT])
{
	size_t n = 0;

	for (int s = 0; s < SMTPPROBE_STAGE_COUNT; s++) {
		smtpprobe_stage st = (smtpprobe_stage)s;
		int64_t start = smtpprobe_stage_start_usec(r, st);
		size_t i = n;

		if (!smtpprobe_stage_ran(r, st))
			continue;
		for (; i > 0 && smtpprobe_stage_start_usec(r, order[i - 1]) > start; i--)
			order[i] = order[i - 1];
		order[i] = st;
		n++;
	}
	return n;
}

static void
perfdata(FILE *out, const struct sp_config *cfg, const struct sp_verdict *v,
	const char *prefix)
{
	smtpprobe_stage order[SMTPPROBE_STAGE_COUNT];
	size_t n = stages_in_order(v->r, order);

	perf_one(out, prefix, "time", sp_total_usec(v->r), &cfg->warn.total, cfg->warn.total_set,
		&cfg->crit.total, cfg->crit.total_set);
	for (size_t i = 0; i < n; i++)
		perf_one(out, prefix, smtpprobe_stage_name(order[i]), smtpprobe_stage_usec(v->r, order[i]),
			&cfg->warn.stage[order[i]], cfg->warn.stage_set[order[i]],
			&cfg->crit.stage[order[i]], cfg->crit.stage_set[order[i]]);
	cert_perf(out, cfg, v, prefix);
	sp_dane_perf(out, prefix, v->r);
}

static void
long_tls(FILE *out, const smtpprobe_result *r)
{
	time_t end = (time_t)smtpprobe_result_cert_not_after(r);
	char date[32] = "?";
	struct tm tm;

	if (!*smtpprobe_result_tls_version(r))
		return;
	fprintf(out, "  tls: %s %s\n", smtpprobe_result_tls_version(r), smtpprobe_result_tls_cipher(r));
	if (end != 0 && gmtime_r(&end, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs("  certificate: subject ", out);
	puts_safe(out, smtpprobe_result_cert_subject(r));
	fputs(", issuer ", out);
	puts_safe(out, smtpprobe_result_cert_issuer(r));
	fprintf(out, ", not after %s, SAN ", date);
	puts_safe(out, smtpprobe_result_cert_sans(r));
	fputc('\n', out);
	fputs("  verification: ", out);
	puts_safe(out, *smtpprobe_result_cert_error(r) ? smtpprobe_result_cert_error(r) : "ok");
	fputc('\n', out);
}

/* MX preference, reverse DNS and the greeting's name: who the server is. */
static void
long_names(FILE *out, const smtpprobe_result *r)
{
	if (smtpprobe_result_mx_pref(r) >= 0)
		fprintf(out, "  mx       preference %d\n", smtpprobe_result_mx_pref(r));
	if (*smtpprobe_result_rdns_text(r)) {
		fputs("  rdns     ", out);
		puts_safe(out, smtpprobe_result_rdns_text(r));
		fputc('\n', out);
	}
	if (*smtpprobe_result_banner_name(r)) {
		fputs("  greets   as ", out);
		puts_safe(out, smtpprobe_result_banner_name(r));
		fputc('\n', out);
	}
}

static void
long_target(FILE *out, const struct sp_verdict *v)
{
	const smtpprobe_result *r = v->r;
	smtpprobe_stage order[SMTPPROBE_STAGE_COUNT];
	size_t n = stages_in_order(r, order);
	bool helo = smtpprobe_result_greeting_verb(r) == SMTPPROBE_GREETING_HELO;
	char lab[LABEL_MAX];

	label(r, lab, sizeof(lab));
	fputs(lab, out);
	fprintf(out, ": %s\n", sp_state_name(v->state));
	long_names(out, r);
	/*
	 * A HELO fallback is shown as what it was; perfdata keeps "ehlo".
	 * Pipelined stages say so: their times overlap (SPEC 7).
	 */
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-8s %.6fs %d%s\n",
			order[i] == SMTPPROBE_STAGE_EHLO && helo ? "helo" : smtpprobe_stage_name(order[i]),
			smtpprobe_stage_usec(r, order[i]) / 1e6, smtpprobe_stage_code(r, order[i]),
			smtpprobe_stage_pipelined(r, order[i]) ? " pipelined" : "");
	long_tls(out, r);
	sp_dane_long(out, r);
	if (*smtpprobe_result_caps(r)) {
		fputs("  capabilities: ", out);
		puts_safe(out, smtpprobe_result_caps(r));
		fputc('\n', out);
	}
	if (*smtpprobe_result_notes(r)) {
		fputs("  notes: ", out);
		puts_safe(out, smtpprobe_result_notes(r));
		fputc('\n', out);
	}
}

/* The transcript; our own events (connected, state changes) from -vv on. */
static void
transcript_out(FILE *out, const struct sp_config *cfg, const struct sp_transcript *t)
{
	fputs("transcript:\n", out);
	for (size_t i = 0; i < t->n; i++) {
		const struct sp_transcript_line *l = &t->v[i];

		if (l->dir == SMTPPROBE_DIR_INFO && cfg->verbose < 2)
			continue;
		fprintf(out, "%.6f %s ", l->usec / 1e6, sp_transcript_arrow(l->dir));
		put_safe(out, l->text, l->len);
		fputc('\n', out);
	}
	if (t->truncated)
		fputs("(transcript truncated)\n", out);
}

void
sp_output_nagios(FILE *out, const struct sp_config *cfg, const struct sp_report *rep,
	const struct sp_transcript *t)
{
	char text[SUMMARY_MAX], lab[LABEL_MAX] = "";

	summary(cfg, rep, text, sizeof(text));
	fprintf(out, "SMTP %s - ", sp_state_name(rep->state));
	puts_safe(out, text);
	if (rep->n > 0) {
		fputs(" |", out);
		for (size_t i = 0; i < rep->n; i++) {
			if (rep->n > 1)
				label(rep->v[i].r, lab, sizeof(lab));
			perfdata(out, cfg, &rep->v[i], lab);
		}
	}
	fputc('\n', out);
	if (cfg->verbose == 0)
		return;
	for (size_t i = 0; i < rep->n; i++)
		long_target(out, &rep->v[i]);
	if (t != NULL && t->n > 0)
		transcript_out(out, cfg, t);
}

static void
json_stages(FILE *out, const smtpprobe_result *r)
{
	bool first = true;

	fputs("\"stages\":{", out);
	for (int s = 0; s < SMTPPROBE_STAGE_COUNT; s++) {
		if (!smtpprobe_stage_ran(r, (smtpprobe_stage)s))
			continue;
		fprintf(out, "%s\"%s\":{\"start\":%.6f,\"duration\":%.6f,\"code\":%d,\"pipelined\":%s}",
			first ? "" : ",", smtpprobe_stage_name((smtpprobe_stage)s),
			smtpprobe_stage_start_usec(r, (smtpprobe_stage)s) / 1e6,
			smtpprobe_stage_usec(r, (smtpprobe_stage)s) / 1e6,
			smtpprobe_stage_code(r, (smtpprobe_stage)s),
			smtpprobe_stage_pipelined(r, (smtpprobe_stage)s) ? "true" : "false");
		first = false;
	}
	fputc('}', out);
}

static void
json_exchanges(FILE *out, const smtpprobe_result *r)
{
	fputs("\"exchanges\":[", out);
	for (size_t i = 0; i < smtpprobe_exchange_count(r); i++) {
		fprintf(out, "%s{\"stage\":\"%s\",\"command\":", i ? "," : "",
			smtpprobe_stage_name(smtpprobe_exchange_stage(r, i)));
		sp_json_str(out, smtpprobe_exchange_command(r, i));
		fprintf(out, ",\"code\":%d,\"enhanced\":", smtpprobe_exchange_code(r, i));
		sp_json_str(out, smtpprobe_exchange_enhanced(r, i));
		fputs(",\"text\":", out);
		sp_json_str(out, smtpprobe_exchange_text(r, i));
		fputs(",\"lines\":[", out);
		for (size_t j = 0; j < smtpprobe_exchange_line_count(r, i); j++) {
			if (j)
				fputc(',', out);
			sp_json_str(out, smtpprobe_exchange_line(r, i, j));
		}
		fputc(']', out);
		fprintf(out, ",\"duration\":%.6f,\"pipelined\":%s}", smtpprobe_exchange_usec(r, i) / 1e6,
			smtpprobe_exchange_pipelined(r, i) ? "true" : "false");
	}
	fputc(']', out);
}

static void
json_tls(FILE *out, const smtpprobe_result *r)
{
	long days;

	if (!*smtpprobe_result_tls_version(r))
		return;
	fputs(",\"tls\":{\"version\":", out);
	sp_json_str(out, smtpprobe_result_tls_version(r));
	fputs(",\"cipher\":", out);
	sp_json_str(out, smtpprobe_result_tls_cipher(r));
	fputs(",\"subject\":", out);
	sp_json_str(out, smtpprobe_result_cert_subject(r));
	fputs(",\"issuer\":", out);
	sp_json_str(out, smtpprobe_result_cert_issuer(r));
	fputs(",\"sans\":", out);
	sp_json_str(out, smtpprobe_result_cert_sans(r));
	fprintf(out, ",\"not_after\":%lld,\"verified\":%s,\"verify_error\":",
		(long long)smtpprobe_result_cert_not_after(r),
		*smtpprobe_result_cert_error(r) ? "false" : "true");
	sp_json_str(out, smtpprobe_result_cert_error(r));
	fputc('}', out);
	if (sp_cert_days(r, &days))
		fprintf(out, ",\"cert_days\":%ld", days);
}

/* "mx"/"pref" null outside an MX check; "ptr" null when not looked up. */
static void
json_names(FILE *out, const smtpprobe_result *r)
{
	int pref = smtpprobe_result_mx_pref(r);
	smtpprobe_rdns rdns = smtpprobe_result_rdns(r);

	fputs(",\"mx\":", out);
	if (pref >= 0)
		sp_json_str(out, smtpprobe_result_host(r));
	else
		fputs("null", out);
	if (pref >= 0)
		fprintf(out, ",\"pref\":%d", pref);
	else
		fputs(",\"pref\":null", out);
	fputs(",\"ptr\":", out);
	if (rdns == SMTPPROBE_RDNS_NONE)
		fputs("null", out);
	else
		sp_json_str(out, smtpprobe_result_ptr(r));
	fprintf(out, ",\"rdns\":\"%s\",\"rdns_text\":", smtpprobe_rdns_name(rdns));
	sp_json_str(out, smtpprobe_result_rdns_text(r));
	fputs(",\"banner_name\":", out);
	sp_json_str(out, smtpprobe_result_banner_name(r));
}

/* Which target, its state and what decided it. */
static void
json_verdict(FILE *out, const struct sp_config *cfg, const struct sp_verdict *v)
{
	const smtpprobe_result *r = v->r;
	char why[WHY_MAX];

	reason_text(cfg, v, why, sizeof(why));
	fputs("{\"host\":", out);
	sp_json_str(out, smtpprobe_result_host(r));
	fputs(",\"address\":", out);
	sp_json_str(out, smtpprobe_result_addr(r));
	fprintf(out, ",\"port\":%u,\"state\":\"%s\",\"exit_code\":%d,\"status\":\"%s\",\"stage\":\"%s\",\"reason\":",
		smtpprobe_result_port(r), sp_state_name(v->state), (int)v->state,
		smtpprobe_status_name(smtpprobe_result_status(r)),
		smtpprobe_stage_name(smtpprobe_result_stage(r)));
	sp_json_str(out, why);
}

static void
json_target(FILE *out, const struct sp_config *cfg, const struct sp_verdict *v)
{
	const smtpprobe_result *r = v->r;

	json_verdict(out, cfg, v);
	fprintf(out, ",\"time\":%.6f,", sp_total_usec(r) / 1e6);
	json_stages(out, r);
	fputc(',', out);
	json_exchanges(out, r);
	fputs(",\"greeting\":", out);
	sp_json_str(out, smtpprobe_result_greeting(r));
	fprintf(out, ",\"starttls_offered\":%s",
		smtpprobe_result_starttls_offered(r) ? "true" : "false");
	fputs(",\"capabilities\":", out);
	sp_json_str(out, smtpprobe_result_caps(r));
	fprintf(out, ",\"size_limit\":%llu,\"queue_id\":",
		(unsigned long long)smtpprobe_result_size_limit(r));
	sp_json_str(out, smtpprobe_result_queue_id(r));
	fputs(",\"notes\":", out);
	sp_json_str(out, smtpprobe_result_notes(r));
	json_tls(out, r);
	if (smtpprobe_opts_dane(cfg->lib) != SMTPPROBE_DANE_OFF)
		sp_dane_json(out, cfg, r, v->dane);
	json_names(out, r);
	fputc('}', out);
}

/* The whole transcript as one string of lines, our own events included. */
static void
json_transcript(FILE *out, const struct sp_transcript *t)
{
	fputs(",\"transcript\":\"", out);
	for (size_t i = 0; i < t->n; i++) {
		fprintf(out, "%.6f %s ", t->v[i].usec / 1e6, sp_transcript_arrow(t->v[i].dir));
		json_chars(out, t->v[i].text, t->v[i].len);
		fputs("\\u000a", out);
	}
	fputc('"', out);
}

void
sp_output_json(FILE *out, const struct sp_config *cfg, const struct sp_report *rep,
	const struct sp_transcript *t)
{
	char text[SUMMARY_MAX];

	summary(cfg, rep, text, sizeof(text));
	fprintf(out, "{\"state\":\"%s\",\"exit_code\":%d,\"summary\":",
		sp_state_name(rep->state), (int)rep->state);
	sp_json_str(out, text);
	if (smtpprobe_opts_mx_domain(cfg->lib) != NULL) {
		fputs(",\"domain\":", out);
		sp_json_str(out, smtpprobe_opts_mx_domain(cfg->lib));
	}
	fputs(",\"notes\":", out);
	sp_json_str(out, rep->notes != NULL ? rep->notes : "");
	fputs(",\"targets\":[", out);
	for (size_t i = 0; i < rep->n; i++) {
		if (i)
			fputc(',', out);
		json_target(out, cfg, &rep->v[i]);
	}
	fputc(']', out);
	if (t != NULL && cfg->verbose > 0 && t->n > 0)
		json_transcript(out, t);
	fputs("}\n", out);
}

/*
 * Zabbix low-level discovery: a row per address of each MX host, and a row
 * with an empty {#ADDR} for a host without one, so that its item exists
 * and fails. When the domain as a whole failed (NXDOMAIN, null MX) there
 * is nothing to discover: the status line goes out instead, which Zabbix
 * shows as the discovery rule's error, and no host is dropped because of a
 * passing DNS failure.
 */
enum sp_state
sp_output_lld(FILE *out, const struct sp_config *cfg, const struct sp_report *rep,
	const struct sp_transcript *t)
{
	if (rep->n == 0 || smtpprobe_result_mx_pref(rep->v[0].r) < 0) {
		sp_output_nagios(out, cfg, rep, t);
		return rep->state;
	}
	fputs("{\"data\":[", out);
	for (size_t i = 0; i < rep->n; i++) {
		const smtpprobe_result *r = rep->v[i].r;

		fputs(i ? ",{\"{#MX}\":" : "{\"{#MX}\":", out);
		sp_json_str(out, smtpprobe_result_host(r));
		fprintf(out, ",\"{#PREF}\":\"%d\",\"{#ADDR}\":", smtpprobe_result_mx_pref(r));
		sp_json_str(out, smtpprobe_result_addr(r));
		fprintf(out, ",\"{#PORT}\":\"%u\"}", smtpprobe_result_port(r));
	}
	fputs("]}\n", out);
	return SP_OK;
}

void
sp_output_unknown(FILE *out, bool json, const char *why)
{
	if (!json) {
		fprintf(out, "SMTP UNKNOWN - %s\n", why);
		return;
	}
	fprintf(out, "{\"state\":\"%s\",\"exit_code\":%d,\"summary\":", sp_state_name(SP_UNKNOWN),
		(int)SP_UNKNOWN);
	sp_json_str(out, why);
	fputs(",\"notes\":\"\",\"targets\":[]}\n", out);
}
