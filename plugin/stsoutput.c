/* SPDX-License-Identifier: MIT */
/*
 * stsoutput.c - MTA-STS and TLS-RPT in words (SPEC 9): what stsjudge.c
 * decided, with the facts the library found.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "stsoutput.h"

#define POLICY_LINES_SHOWN 8

static const char *const mode_names[] = { "unknown", "none", "testing", "enforce" };

static const char *
mode_name(smtpprobe_sts_mode m)
{
	return (unsigned)m <= SMTPPROBE_STS_MODE_ENFORCE ? mode_names[m] : "unknown";
}

__attribute__((format(printf, 3, 4)))
static void
add(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void
txt_text(const char *what, smtpprobe_txt_status st, int dns, const char *bad,
	char *buf, size_t len)
{
	switch (st) {
	case SMTPPROBE_TXT_NONE:
		add(buf, len, "%s TXT record missing", what);
		break;
	case SMTPPROBE_TXT_SEVERAL:
		add(buf, len, "%s: several TXT records of its version", what);
		break;
	case SMTPPROBE_TXT_MALFORMED:
		add(buf, len, "%s TXT record malformed: \"%s\"", what, bad);
		break;
	case SMTPPROBE_TXT_TIMEOUT:
		add(buf, len, "%s TXT lookup: timeout", what);
		break;
	default:
		add(buf, len, "%s TXT lookup failed: %s", what, smtpprobe_dns_status_name(dns));
	}
}

static void
fetch_text(const smtpprobe_sts *s, char *buf, size_t len)
{
	int code = smtpprobe_sts_http_code(s);

	switch (smtpprobe_sts_fetch_outcome(s)) {
	case SMTPPROBE_FETCH_DNS:
		add(buf, len, "MTA-STS policy host: %s",
			smtpprobe_dns_status_name(smtpprobe_sts_fetch_dns_status(s)));
		break;
	case SMTPPROBE_FETCH_CONNECT:
		add(buf, len, "MTA-STS policy fetch: connect to %s:443 failed%s%s",
			smtpprobe_sts_fetch_addr(s), smtpprobe_sts_fetch_errno(s) ? ": " : "",
			smtpprobe_sts_fetch_errno(s) ? strerror(smtpprobe_sts_fetch_errno(s)) : "");
		break;
	case SMTPPROBE_FETCH_TLS:
		add(buf, len, "MTA-STS policy fetch: TLS handshake failed%s%s",
			*smtpprobe_sts_tls_error(s) ? ": " : "", smtpprobe_sts_tls_error(s));
		break;
	case SMTPPROBE_FETCH_CERT:
		add(buf, len, "MTA-STS policy host certificate not verified: %s",
			*smtpprobe_sts_verify_error(s) ? smtpprobe_sts_verify_error(s) : "verify failed");
		break;
	case SMTPPROBE_FETCH_TIMEOUT:
		add(buf, len, "MTA-STS policy fetch: timeout");
		break;
	case SMTPPROBE_FETCH_REDIRECT:
		add(buf, len, "MTA-STS policy fetch: HTTP %d redirect not allowed", code);
		break;
	case SMTPPROBE_FETCH_HTTP_STATUS:
		add(buf, len, "MTA-STS policy fetch: HTTP %d, not 200", code);
		break;
	case SMTPPROBE_FETCH_MEDIA_TYPE:
		add(buf, len, "MTA-STS policy fetch: media type %s, not text/plain",
			*smtpprobe_sts_content_type(s) ? smtpprobe_sts_content_type(s) : "(none)");
		break;
	case SMTPPROBE_FETCH_TOO_LARGE:
		add(buf, len, "MTA-STS policy fetch: larger than 64 KiB");
		break;
	case SMTPPROBE_FETCH_PROTOCOL:
		add(buf, len, "MTA-STS policy fetch: no valid HTTP response");
		break;
	default:
		add(buf, len, "MTA-STS policy fetch failed locally%s%s",
			smtpprobe_sts_fetch_errno(s) ? ": " : "",
			smtpprobe_sts_fetch_errno(s) ? strerror(smtpprobe_sts_fetch_errno(s)) : "");
	}
}

static const char *
fault_words(smtpprobe_sts_fault f)
{
	switch (f) {
	case SMTPPROBE_STS_FAULT_NO_VERSION: return "no version line (version: STSv1)";
	case SMTPPROBE_STS_FAULT_BAD_VERSION: return "version is not STSv1";
	case SMTPPROBE_STS_FAULT_NO_MODE: return "no mode line";
	case SMTPPROBE_STS_FAULT_BAD_MODE: return "mode is not enforce, testing or none";
	case SMTPPROBE_STS_FAULT_NO_MAX_AGE: return "no max_age line";
	case SMTPPROBE_STS_FAULT_BAD_MAX_AGE: return "max_age out of range (0-31557600)";
	case SMTPPROBE_STS_FAULT_NO_MX: return "no mx line, and the mode is not none";
	case SMTPPROBE_STS_FAULT_MX_IP: return "mx is an IP address, not a host name";
	case SMTPPROBE_STS_FAULT_BAD_MX: return "mx is not a host name or *.domain";
	case SMTPPROBE_STS_FAULT_BAD_LINE: return "not a \"key: value\" line";
	case SMTPPROBE_STS_FAULT_DUPLICATE: return "key given twice";
	case SMTPPROBE_STS_FAULT_TOO_MANY_MX: return "more mx lines than 32";
	default: return "invalid";
	}
}

static void
policy_text(const smtpprobe_sts *s, char *buf, size_t len)
{
	unsigned line = smtpprobe_sts_policy_fault_line(s);
	const char *words = fault_words(smtpprobe_sts_policy_fault(s));

	if (line == 0)
		add(buf, len, "MTA-STS policy: %s", words);
	else
		add(buf, len, "MTA-STS policy line %u: %s: \"%s\"", line, words,
			smtpprobe_sts_policy_fault_text(s));
}

static void
sts_part(const struct sp_sts_verdict *sv, char *buf, size_t len)
{
	const smtpprobe_sts *s = sv->s;

	switch (sv->finding) {
	case SP_STS_FINDING_TXT:
		txt_text("MTA-STS", smtpprobe_sts_txt_status(s), smtpprobe_sts_txt_dns_status(s),
			smtpprobe_sts_txt_count(s) > 0 ? smtpprobe_sts_txt_record(s, 0) : "", buf, len);
		add(buf, len, " (senders apply no policy)");
		return;
	case SP_STS_FINDING_FETCH:
		fetch_text(s, buf, len);
		return;
	case SP_STS_FINDING_POLICY:
		policy_text(s, buf, len);
		return;
	case SP_STS_FINDING_CERT_EXPIRED:
		add(buf, len, "MTA-STS policy host certificate expired %ld days ago", -sv->days);
		return;
	case SP_STS_FINDING_CERT_EXPIRES:
		add(buf, len, "MTA-STS policy host certificate expires in %ld days", sv->days);
		return;
	default:
		break;
	}
	if (sv->mode == SMTPPROBE_STS_MODE_NONE)
		add(buf, len, "MTA-STS none (policy withdrawn), %zu of %zu MX covered",
			sv->covered, sv->hosts);
	else
		add(buf, len, "MTA-STS %s, %zu of %zu MX covered", mode_name(sv->mode),
			sv->covered, sv->hosts);
}

static void
rpt_part(const struct sp_sts_verdict *sv, char *buf, size_t len)
{
	const smtpprobe_sts *s = sv->s;
	smtpprobe_txt_status st = smtpprobe_sts_tlsrpt_status(s);

	if (sv->rpt == SP_RPT_FINDING_NONE)
		return;
	add(buf, len, "%s", *buf ? "; " : "");
	if (st == SMTPPROBE_TXT_NONE && !sv->rpt_required)
		add(buf, len, "no TLS-RPT record (note)");
	else
		txt_text("TLS-RPT", st, smtpprobe_sts_tlsrpt_dns_status(s),
			smtpprobe_sts_tlsrpt_count(s) > 0 ? smtpprobe_sts_tlsrpt_record(s, 0) : "", buf, len);
	if (st == SMTPPROBE_TXT_SEVERAL || st == SMTPPROBE_TXT_MALFORMED)
		add(buf, len, " (senders ignore %s)", st == SMTPPROBE_TXT_SEVERAL ? "them all" : "it");
}

void
sp_sts_summary(const struct sp_report *rep, char *buf, size_t len)
{
	const struct sp_sts_verdict *sv = &rep->sts;

	buf[0] = '\0';
	if (sv->s == NULL)
		return;
	if (sv->sts)
		sts_part(sv, buf, len);
	rpt_part(sv, buf, len);
}

void
sp_sts_uncovered_text(const struct sp_verdict *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s is not covered by the MTA-STS policy (%s)",
		smtpprobe_result_host(v->r), mode_name((smtpprobe_sts_mode)v->want));
}

void
sp_sts_perfdata(FILE *out, const struct sp_config *cfg, const struct sp_report *rep)
{
	const smtpprobe_sts *s = rep->sts.s;
	long days;

	if (s == NULL)
		return;
	if (smtpprobe_sts_dns_usec(s) >= 0)
		fprintf(out, " sts_dns=%.6fs;;;0", smtpprobe_sts_dns_usec(s) / 1e6);
	if (rep->sts.sts && smtpprobe_sts_fetch_usec(s) >= 0)
		fprintf(out, " sts_fetch=%.6fs;;;0", smtpprobe_sts_fetch_usec(s) / 1e6);
	if (!rep->sts.sts || !sp_days_left(smtpprobe_sts_cert_not_after(s), &days))
		return;
	fprintf(out, " sts_cert_days=%ld", days);
	if (cfg->cert_days_set)
		fprintf(out, ";%d:;%d:;0", cfg->cert_warn_days, cfg->cert_crit_days);
	else
		fputs(";;;0", out);
}

/* The policy's first lines, indented; the rest counted. */
static void
long_policy(FILE *out, const char *text)
{
	size_t shown = 0;

	while (*text && shown < POLICY_LINES_SHOWN) {
		size_t n = strcspn(text, "\r\n");
		char line[300];

		snprintf(line, sizeof(line), "%.*s", (int)(n < 256 ? n : 256), text);
		fputs("    ", out);
		sp_put_printable(out, line);
		fputc('\n', out);
		shown++;
		text += n;
		if (text[0] == '\r' && text[1] == '\n')
			text += 2;
		else if (*text)
			text++;
	}
	if (*text)
		fputs("    ...\n", out);
}

static void
long_txt(FILE *out, const char *name, size_t n, const char *(*rec)(const smtpprobe_sts *, size_t),
	const smtpprobe_sts *s)
{
	fprintf(out, "  %s TXT: %zu record%s\n", name, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		fputs("    \"", out);
		sp_put_printable(out, rec(s, i));
		fputs("\"\n", out);
	}
}

void
sp_sts_long(FILE *out, const struct sp_report *rep)
{
	const smtpprobe_sts *s = rep->sts.s;

	if (s == NULL)
		return;
	fputs("MTA-STS / TLS-RPT:\n", out);
	if (rep->sts.sts) {
		long_txt(out, "_mta-sts", smtpprobe_sts_txt_count(s), smtpprobe_sts_txt_record, s);
		fprintf(out, "  policy fetch: %s, HTTP %d, %.6fs, mode %s, max_age %lu\n",
			*smtpprobe_sts_fetch_addr(s) ? smtpprobe_sts_fetch_addr(s) : "-",
			smtpprobe_sts_http_code(s), smtpprobe_sts_fetch_usec(s) / 1e6,
			mode_name(smtpprobe_sts_policy_mode(s)), smtpprobe_sts_policy_max_age(s));
		if (*smtpprobe_sts_policy_text(s))
			long_policy(out, smtpprobe_sts_policy_text(s));
		for (size_t i = 0; i < rep->n; i++) {
			int pat = smtpprobe_result_sts_pattern(rep->v[i].r);

			if (smtpprobe_result_mx_pref(rep->v[i].r) < 0 ||
			    (i > 0 && strcmp(smtpprobe_result_host(rep->v[i].r),
					smtpprobe_result_host(rep->v[i - 1].r)) == 0))
				continue;
			fprintf(out, "  MX %s: ", smtpprobe_result_host(rep->v[i].r));
			if (pat >= 0)
				fprintf(out, "covered by \"%s\"\n", smtpprobe_sts_policy_mx(s, (size_t)pat));
			else
				fputs("not covered\n", out);
		}
	}
	long_txt(out, "_smtp._tls", smtpprobe_sts_tlsrpt_count(s), smtpprobe_sts_tlsrpt_record, s);
}

static const char *const txt_names[] = {
	"not_asked", "ok", "none", "several", "malformed", "dns_error", "timeout",
};
static const char *const fetch_names[] = {
	"not_asked", "ok", "dns", "connect", "tls", "certificate", "timeout", "http_status",
	"redirect", "media_type", "too_large", "protocol", "local",
};

static void
json_records(FILE *out, size_t n, const char *(*rec)(const smtpprobe_sts *, size_t),
	const smtpprobe_sts *s)
{
	fputs(",\"records\":[", out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		sp_json_str(out, rec(s, i));
	}
	fputc(']', out);
}

static void
json_policy(FILE *out, const smtpprobe_sts *s)
{
	fprintf(out, ",\"mode\":\"%s\",\"max_age\":%lu,\"mx\":[",
		mode_name(smtpprobe_sts_policy_mode(s)), smtpprobe_sts_policy_max_age(s));
	for (size_t i = 0; i < smtpprobe_sts_policy_mx_count(s); i++) {
		if (i)
			fputc(',', out);
		sp_json_str(out, smtpprobe_sts_policy_mx(s, i));
	}
	fprintf(out, "],\"fault_line\":%u,\"fault_text\":", smtpprobe_sts_policy_fault_line(s));
	sp_json_str(out, smtpprobe_sts_policy_fault_text(s));
}

static void
json_sts(FILE *out, const struct sp_report *rep)
{
	const struct sp_sts_verdict *sv = &rep->sts;
	const smtpprobe_sts *s = sv->s;
	char why[600] = "";

	sts_part(sv, why, sizeof(why));
	fprintf(out, ",\"mta_sts\":{\"state\":\"%s\",\"exit_code\":%d,\"reason\":",
		sp_state_name(sv->state), (int)sv->state);
	sp_json_str(out, why);
	fprintf(out, ",\"txt\":\"%s\",\"id\":", txt_names[smtpprobe_sts_txt_status(s)]);
	sp_json_str(out, smtpprobe_sts_txt_id(s));
	json_records(out, smtpprobe_sts_txt_count(s), smtpprobe_sts_txt_record, s);
	fprintf(out, ",\"fetch\":\"%s\",\"http_code\":%d,\"address\":",
		fetch_names[smtpprobe_sts_fetch_outcome(s)], smtpprobe_sts_http_code(s));
	sp_json_str(out, smtpprobe_sts_fetch_addr(s));
	fputs(",\"verify_error\":", out);
	sp_json_str(out, smtpprobe_sts_verify_error(s));
	fprintf(out, ",\"cert_not_after\":%lld,\"dns_time\":%.6f,\"fetch_time\":%.6f",
		(long long)smtpprobe_sts_cert_not_after(s), smtpprobe_sts_dns_usec(s) / 1e6,
		smtpprobe_sts_fetch_usec(s) / 1e6);
	json_policy(out, s);
	fprintf(out, ",\"hosts\":%zu,\"covered\":%zu}", sv->hosts, sv->covered);
}

void
sp_sts_json(FILE *out, const struct sp_report *rep)
{
	const struct sp_sts_verdict *sv = &rep->sts;
	const smtpprobe_sts *s = sv->s;

	if (s == NULL)
		return;
	if (sv->sts)
		json_sts(out, rep);
	if (smtpprobe_sts_tlsrpt_status(s) == SMTPPROBE_TXT_NOT_ASKED)
		return;
	fprintf(out, ",\"tls_rpt\":{\"state\":\"%s\",\"exit_code\":%d,\"status\":\"%s\",\"rua\":%zu",
		sp_state_name(sv->rpt_state), (int)sv->rpt_state, txt_names[smtpprobe_sts_tlsrpt_status(s)],
		smtpprobe_sts_tlsrpt_rua_count(s));
	json_records(out, smtpprobe_sts_tlsrpt_count(s), smtpprobe_sts_tlsrpt_record, s);
	fputc('}', out);
}
