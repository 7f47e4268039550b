/* SPDX-License-Identifier: MIT */
/*
 * daneout.c - DANE in words. Every record is shown as usage, selector,
 * matching type and the first bytes of its data, so that a rollover (the
 * old and the new record published together) reads at a glance.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <string.h>

#include "daneout.h"
#include "output.h"

#define HEX_SHOWN 8 /* data bytes shown in -v and the JSON "data" prefix */

/* "_25._tcp.mx.example.org": the TLSA owner name. */
static void
owner(const smtpprobe_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "_%u._tcp.%s", smtpprobe_result_port(r), smtpprobe_result_host(r));
}

/* @return the number of records the handshake could not use. */
static size_t
unusable(const smtpprobe_result *r)
{
	size_t n = 0;

	for (size_t i = 0; i < smtpprobe_result_tlsa_count(r); i++)
		n += smtpprobe_result_tlsa_use(r, i) == SMTPPROBE_TLSA_UNUSABLE;
	return n;
}

static size_t
matched(const smtpprobe_result *r)
{
	for (size_t i = 0; i < smtpprobe_result_tlsa_count(r); i++)
		if (smtpprobe_result_tlsa_use(r, i) == SMTPPROBE_TLSA_MATCHED)
			return i;
	return (size_t)-1;
}

void
sp_dane_text(const smtpprobe_result *r, enum sp_dane_finding f, char *buf, size_t len)
{
	char own[300];
	unsigned u = 0, s = 0, m = 0;

	owner(r, own, sizeof(own));
	switch (f) {
	case SP_DANE_MX_INSECURE:
		snprintf(buf, len, "MX records not DNSSEC-validated");
		return;
	case SP_DANE_ADDR_INSECURE:
		snprintf(buf, len, "address records of %s not DNSSEC-validated", smtpprobe_result_host(r));
		return;
	case SP_DANE_TLSA_FAILED:
		snprintf(buf, len, "TLSA lookup of %s failed (SERVFAIL or no answer): "
			"validating senders will defer mail to this host", own);
		return;
	case SP_DANE_TLSA_NONE:
		snprintf(buf, len, "no TLSA records at %s", own);
		return;
	case SP_DANE_TLSA_INSECURE:
		snprintf(buf, len, "TLSA records of %s not DNSSEC-validated", own);
		return;
	case SP_DANE_TLSA_UNUSABLE:
		snprintf(buf, len, "no usable TLSA record at %s (%zu unusable): "
			"senders fall back to unauthenticated TLS", own, unusable(r));
		return;
	case SP_DANE_NO_MATCH:
		snprintf(buf, len, "certificate matches no TLSA record at %s", own);
		return;
	case SP_DANE_CHECK_FAILED:
		snprintf(buf, len, "DANE-TA check failed at %s: %s", own, smtpprobe_result_reason(r));
		return;
	case SP_DANE_AUTHENTICATED:
		(void)smtpprobe_result_tlsa_record(r, matched(r), &u, &s, &m, NULL, NULL);
		snprintf(buf, len, "DANE %u %u %u", u, s, m);
		return;
	default:
		buf[0] = '\0';
	}
}

static const char *
dnssec_word(smtpprobe_dnssec d)
{
	return d == SMTPPROBE_DNSSEC_SECURE ? "secure" :
	    d == SMTPPROBE_DNSSEC_INSECURE ? "insecure" : "not asked";
}

static const char *
use_word(const smtpprobe_result *r, size_t i, char *buf, size_t len)
{
	switch (smtpprobe_result_tlsa_use(r, i)) {
	case SMTPPROBE_TLSA_MATCHED:
		snprintf(buf, len, "matched at depth %d", smtpprobe_result_dane_depth(r));
		return buf;
	case SMTPPROBE_TLSA_NO_MATCH: return "no match";
	case SMTPPROBE_TLSA_UNTRIED: return "not tried";
	default: return "unusable";
	}
}

/* The first bytes of the data in hex, "..." when there is more. */
static void
hex(const unsigned char *data, size_t n, char *buf, size_t len)
{
	size_t shown = n < HEX_SHOWN ? n : HEX_SHOWN, at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < shown && at + 3 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%02x", data[i]);
	if (n > shown && at + 3 < len)
		snprintf(buf + at, len - at, "...");
}

void
sp_dane_long(FILE *out, const smtpprobe_result *r)
{
	char own[300], h[HEX_SHOWN * 2 + 8], w[40];
	int64_t usec = smtpprobe_result_tlsa_usec(r);

	if (smtpprobe_result_tlsa_lookup(r) == SMTPPROBE_TLSA_UNASKED && usec < 0)
		return;
	owner(r, own, sizeof(own));
	fprintf(out, "  dnssec: MX %s, address %s, TLSA %s\n", dnssec_word(smtpprobe_result_dnssec_mx(r)),
		dnssec_word(smtpprobe_result_dnssec_addr(r)), dnssec_word(smtpprobe_result_dnssec_tlsa(r)));
	fprintf(out, "  TLSA %s: %zu record(s)", own, smtpprobe_result_tlsa_count(r));
	if (usec >= 0)
		fprintf(out, " in %.6fs", usec / 1e6);
	fputc('\n', out);
	for (size_t i = 0; i < smtpprobe_result_tlsa_count(r); i++) {
		unsigned u, s, m;
		const unsigned char *data;
		size_t n;

		(void)smtpprobe_result_tlsa_record(r, i, &u, &s, &m, &data, &n);
		hex(data, n, h, sizeof(h));
		fprintf(out, "    %u %u %u %s %s\n", u, s, m, h, use_word(r, i, w, sizeof(w)));
	}
}

static const char *
json_ad(smtpprobe_dnssec d)
{
	return d == SMTPPROBE_DNSSEC_SECURE ? "true" : d == SMTPPROBE_DNSSEC_INSECURE ? "false" : "null";
}

static const char *const use_names[] = { "unusable", "untried", "no-match", "matched" };

static void
json_records(FILE *out, const smtpprobe_result *r)
{
	char h[4096 * 2 + 1];

	fputs(",\"records\":[", out);
	for (size_t i = 0; i < smtpprobe_result_tlsa_count(r); i++) {
		unsigned u, s, m;
		const unsigned char *data;
		size_t n, at = 0;

		(void)smtpprobe_result_tlsa_record(r, i, &u, &s, &m, &data, &n);
		for (size_t k = 0; k < n && at + 2 < sizeof(h); k++)
			at += (size_t)snprintf(h + at, sizeof(h) - at, "%02x", data[k]);
		h[at] = '\0';
		fprintf(out, "%s{\"usage\":%u,\"selector\":%u,\"mtype\":%u,\"data\":\"%s\",\"result\":\"%s\"}",
			i > 0 ? "," : "", u, s, m, h, use_names[smtpprobe_result_tlsa_use(r, i)]);
	}
	fputc(']', out);
}

void
sp_dane_json(FILE *out, const struct sp_config *cfg, const smtpprobe_result *r,
	enum sp_dane_finding f)
{
	bool require = smtpprobe_opts_dane(cfg->lib) == SMTPPROBE_DANE_REQUIRE;
	size_t i = matched(r);
	char why[600];
	unsigned u, s, m;

	fprintf(out, ",\"dane\":{\"mode\":\"%s\",\"authenticated\":%s,\"match\":",
		require ? "require" : "auto", f == SP_DANE_AUTHENTICATED ? "true" : "false");
	if (smtpprobe_result_tlsa_record(r, i, &u, &s, &m, NULL, NULL) == 0)
		fprintf(out, "{\"usage\":%u,\"selector\":%u,\"mtype\":%u,\"depth\":%d}", u, s, m,
			smtpprobe_result_dane_depth(r));
	else
		fputs("null", out);
	fprintf(out, ",\"ad\":{\"mx\":%s,\"address\":%s,\"tlsa\":%s}",
		json_ad(smtpprobe_result_dnssec_mx(r)), json_ad(smtpprobe_result_dnssec_addr(r)),
		json_ad(smtpprobe_result_dnssec_tlsa(r)));
	json_records(out, r);
	sp_dane_text(r, f, why, sizeof(why));
	fputs(",\"reason\":", out);
	sp_json_str(out, why);
	fputc('}', out);
}

void
sp_dane_perf(FILE *out, const char *prefix, const smtpprobe_result *r)
{
	int64_t usec = smtpprobe_result_tlsa_usec(r);

	if (usec < 0)
		return;
	if (*prefix)
		fprintf(out, " '%s:tlsa'=%.6fs;;;0", prefix, usec / 1e6);
	else
		fprintf(out, " tlsa=%.6fs;;;0", usec / 1e6);
}
