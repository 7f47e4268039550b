/* SPDX-License-Identifier: MIT */
/*
 * prometheus.c - --output prometheus: the verdicts in the Prometheus text
 * exposition format 0.0.4 (SPEC 10), named after blackbox_exporter where
 * it has a name. Every family is a gauge with # HELP and # TYPE (the
 * textfile collector does not read the OpenMetrics info type: _info
 * metrics are gauges valued 1), its samples together, one per target; a
 * family without a sample is left out. No timestamps (the textfile
 * collector refuses them).
 *
 * Labels: "target" on every sample (the -H host, or the -M domain, as
 * given); with -M also "mx", "address" and "family" (ipv4/ipv6, "" when
 * the host has no address); with several -H also "address". Label values
 * are escaped as the format asks (\\, \", \n), and any other control byte
 * or invalid UTF-8 becomes '?': nothing a server or a command line says
 * can break the exposition.
 *
 * Numbers are written with integer arithmetic ("0.004012"), never with
 * %f: a '.' whatever the locale (the plugin calls no setlocale(), as
 * perfdata relies on, but this does not depend on it).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdint.h>
#include <string.h>

#include "output.h"
#include "prometheus.h"

/*
 * The length of the run at @p p that goes out as it is: printable ASCII
 * but '\\' and '"', and whole UTF-8 characters.
 */
static size_t
plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t l = p[i] < 0x80 ? 1 : sp_utf8_len(p + i, n - i);

		if (l == 0 || (l == 1 && (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\' || p[i] == '"')))
			break;
		i += l;
	}
	return i;
}

/*
 * The text is gathered here and reaches the stream in a few large writes:
 * an exporter answer is some two hundred pieces, and a stdio call for each
 * was 7 % of the exporter's instructions per probe. Errors stay the
 * stream's (ferror(), fclose()).
 */
struct text {
	FILE *out;
	size_t n;
	char buf[4096];
};

/* Not an initializer: that would zero the buffer at every answer. */
static void
text_start(struct text *t, FILE *out)
{
	t->out = out;
	t->n = 0;
}

static void
flush(struct text *t)
{
	if (t->n > 0)
		fwrite(t->buf, 1, t->n, t->out);
	t->n = 0;
}

static void
put(struct text *t, const void *p, size_t n)
{
	if (n > sizeof(t->buf) - t->n) {
		flush(t);
		if (n > sizeof(t->buf)) {
			fwrite(p, 1, n, t->out);
			return;
		}
	}
	memcpy(t->buf + t->n, p, n);
	t->n += n;
}

static void
put_str(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void
put_char(struct text *t, char c)
{
	if (t->n == sizeof(t->buf))
		flush(t);
	t->buf[t->n++] = c;
}

static void
label_value(struct text *t, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t run = plain_run(p + i, n - i);

		put(t, p + i, run);
		if ((i += run) == n)
			break;
		if (p[i] == '\\' || p[i] == '"') {
			put_char(t, '\\');
			put_char(t, (char)p[i++]);
		} else if (p[i] == '\n') {
			put(t, "\\n", 2);
			i++;
		} else {
			/* A control character, or bytes that are not UTF-8: one '?' each. */
			size_t l = p[i] < 0x80 ? 1 : sp_utf8_len(p + i, n - i);

			put_char(t, '?');
			i += l ? l : 1;
		}
	}
}

void
sp_prometheus_label_value(FILE *out, const char *s)
{
	struct text t;

	text_start(&t, out);
	label_value(&t, s);
	flush(&t);
}

/*
 * A sample's value and its line end: @p v, or with @p decimals > 0 the
 * value v / 10^decimals, "12.000340", "-0.000001". Digits by hand: an
 * exporter answer holds some twenty values, and with fprintf() they cost
 * more than the rest of the text.
 */
static void
put_value(struct text *t, int64_t v, int decimals)
{
	char buf[32], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	*--p = '\n';
	for (int i = 0; i < decimals; i++, u /= 10)
		*--p = (char)('0' + u % 10);
	if (decimals > 0)
		*--p = '.';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	put(t, p, (size_t)(buf + sizeof(buf) - p));
}

/* ------------------------------------------------------------ labels */

/* How the samples of a run tell their targets apart. */
enum label_mode {
	LABELS_HOST,  /* one -H: target */
	LABELS_HOSTS, /* several -H: target, address */
	LABELS_MX     /* -M: target (the domain), mx, address, family */
};

struct family {
	struct text *t;
	const struct sp_config *cfg;
	enum label_mode mode;
	const char *name, *help;
	bool started; /* # HELP and # TYPE written */
	const char *target; /* the exporter's target parameter; NULL: the -H/-M value */
};

static void
label(struct text *t, bool *first, const char *name, const char *value)
{
	put_char(t, *first ? '{' : ',');
	put_str(t, name);
	put(t, "=\"", 2);
	label_value(t, value);
	put_char(t, '"');
	*first = false;
}

/*
 * "name{target=...,...,k1="v1",k2="v2"} ": a sample's start, with the
 * family's header before its first sample. @p k1, @p k2: NULL for none.
 */
static void
sample(struct family *f, const smtpprobe_result *r, const char *k1, const char *v1,
	const char *k2, const char *v2)
{
	const char *domain = smtpprobe_opts_mx_domain(f->cfg->lib);
	const char *addr = smtpprobe_result_addr(r);
	bool first = true;

	if (!f->started) {
		put_str(f->t, "# HELP ");
		put_str(f->t, f->name);
		put_char(f->t, ' ');
		put_str(f->t, f->help);
		put_str(f->t, "\n# TYPE ");
		put_str(f->t, f->name);
		put_str(f->t, " gauge\n");
		f->started = true;
	}
	put_str(f->t, f->name);
	label(f->t, &first, "target", f->target != NULL ? f->target
		: f->mode == LABELS_MX && domain != NULL ? domain : smtpprobe_result_host(r));
	if (f->mode == LABELS_MX)
		/* The domain's own target when its MX lookup failed: no MX host. */
		label(f->t, &first, "mx", smtpprobe_result_mx_pref(r) >= 0 ? smtpprobe_result_host(r) : "");
	if (f->mode != LABELS_HOST)
		label(f->t, &first, "address", addr);
	if (f->mode == LABELS_MX)
		label(f->t, &first, "family", *addr == '\0' ? "" : strchr(addr, ':') != NULL ? "ipv6" : "ipv4");
	if (k1 != NULL)
		label(f->t, &first, k1, v1);
	if (k2 != NULL)
		label(f->t, &first, k2, v2);
	put_str(f->t, first ? " " : "} ");
}

/* ------------------------------------------------------------ why a target failed */

/*
 * The stage and the reason of probe_smtp_failed_phase_info. The library's
 * outcome maps as SPEC 10 lists it. A target that the dialog passed
 * (status OK) but the plugin failed is named by what it failed on:
 *   a reply of a failing class, --expect-reply, -e, -R: the reply's stage, "reply";
 *   --require-ext: "ehlo", "protocol" (a missing extension, as E_UNSUPPORTED);
 *   -D (certificate expiry): "tls", "verification";
 *   --require-fcrdns: "dns", "dns";
 *   -w/-c: the stage that was too slow (the last stage that ran for the
 *     total time), "timeout".
 * @return false when there is nothing to name: the target is OK, or the
 * failure was our own (out of memory, no socket, cancelled), which only
 * probe_smtp_state tells (3, UNKNOWN).
 */
bool
sp_prometheus_failed_phase(const struct sp_verdict *v, const char **phase, const char **reason)
{
	const smtpprobe_result *r = v->r;

	*phase = smtpprobe_stage_name(smtpprobe_result_stage(r));
	if (v->state == SP_OK)
		return false;
	switch (v->reason) {
	case SP_REASON_NONE:
		return false;
	case SP_REASON_STATUS:
		switch (smtpprobe_result_status(r)) {
		case SMTPPROBE_E_TIMEOUT:
			*reason = "timeout";
			return true;
		case SMTPPROBE_E_CONNECT:
			*reason = "refused";
			return true;
		case SMTPPROBE_E_PROTOCOL:
		case SMTPPROBE_E_CLOSED:
		case SMTPPROBE_E_UNSUPPORTED:
			*reason = "protocol";
			return true;
		case SMTPPROBE_E_TLS:
			*reason = "tls";
			return true;
		case SMTPPROBE_E_CERT:
			*reason = "verification";
			return true;
		case SMTPPROBE_E_DNS:
			*reason = "dns";
			return true;
		case SMTPPROBE_E_REPLY:
			*reason = "reply";
			return true;
		default: /* OK, E_INTERNAL, CANCELLED, E_LOCAL */
			return false;
		}
	case SP_REASON_REPLY:
	case SP_REASON_RELAY_OPEN:
	case SP_REASON_ACCEPTED:
	case SP_REASON_UNEXPECTED:
	case SP_REASON_BANNER:
	case SP_REASON_RESPONSE:
		*phase = smtpprobe_stage_name(smtpprobe_exchange_stage(r, v->exchange));
		*reason = "reply";
		return true;
	case SP_REASON_EXTENSION:
		*phase = smtpprobe_stage_name(SMTPPROBE_STAGE_EHLO);
		*reason = "protocol";
		return true;
	case SP_REASON_CERT_EXPIRED:
	case SP_REASON_CERT_EXPIRES:
		*phase = smtpprobe_stage_name(SMTPPROBE_STAGE_TLS);
		*reason = "verification";
		return true;
	case SP_REASON_RDNS:
	case SP_REASON_RDNS_NAME:
		*phase = smtpprobe_stage_name(SMTPPROBE_STAGE_DNS);
		*reason = "dns";
		return true;
	case SP_REASON_DANE:
		*phase = v->dane == SP_DANE_NO_MATCH || v->dane == SP_DANE_CHECK_FAILED ? "tls" : "tlsa";
		*reason = v->dane == SP_DANE_NO_MATCH || v->dane == SP_DANE_CHECK_FAILED ?
		    "verification" : "dns";
		return true;
	case SP_REASON_TIME:
		if (v->stage != SMTPPROBE_STAGE_COUNT)
			*phase = smtpprobe_stage_name(v->stage);
		*reason = "timeout";
		return true;
	default:
		return false;
	}
}

/* ------------------------------------------------------------ the families */

static void
fam_success(struct family *f, const struct sp_verdict *v)
{
	sample(f, v->r, NULL, NULL, NULL, NULL);
	put_value(f->t, v->state == SP_OK, 0);
}

static void
fam_duration(struct family *f, const struct sp_verdict *v)
{
	sample(f, v->r, NULL, NULL, NULL, NULL);
	put_value(f->t, sp_total_usec(v->r), 6);
}

static void
fam_stage_duration(struct family *f, const struct sp_verdict *v)
{
	for (int s = 0; s < SMTPPROBE_STAGE_COUNT; s++) {
		if (!smtpprobe_stage_ran(v->r, (smtpprobe_stage)s))
			continue;
		sample(f, v->r, "phase", smtpprobe_stage_name((smtpprobe_stage)s), NULL, NULL);
		put_value(f->t, smtpprobe_stage_usec(v->r, (smtpprobe_stage)s), 6);
	}
}

static void
fam_status_code(struct family *f, const struct sp_verdict *v)
{
	for (int s = 0; s < SMTPPROBE_STAGE_COUNT; s++) {
		int code = smtpprobe_stage_code(v->r, (smtpprobe_stage)s);

		if (!smtpprobe_stage_ran(v->r, (smtpprobe_stage)s) || code == 0)
			continue;
		sample(f, v->r, "phase", smtpprobe_stage_name((smtpprobe_stage)s), NULL, NULL);
		put_value(f->t, code, 0);
	}
}

static void
fam_state(struct family *f, const struct sp_verdict *v)
{
	sample(f, v->r, NULL, NULL, NULL, NULL);
	put_value(f->t, (int)v->state, 0);
}

static void
fam_failed(struct family *f, const struct sp_verdict *v)
{
	const char *phase, *reason;

	if (!sp_prometheus_failed_phase(v, &phase, &reason))
		return;
	sample(f, v->r, "phase", phase, "reason", reason);
	put(f->t, "1\n", 2);
}

/*
 * The library keeps only the leaf certificate's notAfter, not the chain's:
 * this is the leaf's. blackbox_exporter's earliest in the chain can be
 * earlier when an intermediate expires first (SPEC 10 asks for the chain).
 */
static void
fam_cert_expiry(struct family *f, const struct sp_verdict *v)
{
	int64_t end = smtpprobe_result_cert_not_after(v->r);

	if (end == 0)
		return;
	sample(f, v->r, NULL, NULL, NULL, NULL);
	put_value(f->t, end, 0);
}

static void
fam_tls_version(struct family *f, const struct sp_verdict *v)
{
	const char *version = smtpprobe_result_tls_version(v->r);

	if (*version == '\0')
		return;
	sample(f, v->r, "version", version, NULL, NULL);
	put(f->t, "1\n", 2);
}

/* With --dane only: 1 when a TLSA record authenticated the server. */
static void
fam_dane(struct family *f, const struct sp_verdict *v)
{
	if (smtpprobe_opts_dane(f->cfg->lib) == SMTPPROBE_DANE_OFF)
		return;
	sample(f, v->r, NULL, NULL, NULL, NULL);
	put_value(f->t, v->dane == SP_DANE_AUTHENTICATED, 0);
}

static const struct {
	const char *name, *help;
	void (*put)(struct family *, const struct sp_verdict *);
} families[] = {
	{ "probe_success", "Whether the SMTP check of the target was OK (1) or not (0).", fam_success },
	{ "probe_duration_seconds", "How long the check of the target took, DNS included, in seconds.",
		fam_duration },
	{ "probe_smtp_duration_seconds", "How long each stage of the SMTP dialog took, in seconds.",
		fam_stage_duration },
	{ "probe_smtp_status_code", "The reply code that judged each stage of the SMTP dialog.",
		fam_status_code },
	{ "probe_smtp_state", "The plugin state of the target: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
		fam_state },
	{ "probe_smtp_failed_phase_info",
		"The stage that failed and why (timeout, refused, protocol, tls, verification, dns, reply).",
		fam_failed },
	{ "probe_ssl_earliest_cert_expiry",
		"When the server certificate expires, in Unix seconds (the leaf certificate's notAfter).",
		fam_cert_expiry },
	{ "probe_tls_version_info", "The TLS version negotiated, as OpenSSL names it.", fam_tls_version },
	{ "probe_dane_authenticated",
		"Whether a DNSSEC-validated TLSA record authenticated the server (1) or not (0).", fam_dane },
};

/*
 * The domain's MTA-STS policy mode (SPEC 10), "unknown" when no valid
 * policy was found: one sample, the domain's, with the MX labels empty as
 * for the domain's own target.
 */
static void
mta_sts_mode(struct text *t, const struct sp_config *cfg, const struct sp_report *rep)
{
	static const char *const modes[] = { "unknown", "none", "testing", "enforce" };
	smtpprobe_sts_mode m;
	bool first = true;

	if (!rep->sts.sts || rep->sts.s == NULL)
		return;
	m = smtpprobe_sts_policy_mode(rep->sts.s);
	put_str(t, "# HELP probe_mta_sts_mode_info The domain's MTA-STS policy mode (unknown: no valid policy).\n"
		"# TYPE probe_mta_sts_mode_info gauge\nprobe_mta_sts_mode_info");
	label(t, &first, "target", smtpprobe_opts_mx_domain(cfg->lib));
	label(t, &first, "mx", "");
	label(t, &first, "address", "");
	label(t, &first, "family", "");
	label(t, &first, "mode", (unsigned)m <= SMTPPROBE_STS_MODE_ENFORCE ? modes[m] : "unknown");
	put_str(t, "} 1\n");
}

void
sp_output_prometheus(FILE *out, const struct sp_config *cfg, const struct sp_report *rep)
{
	sp_output_prometheus_target(out, cfg, rep, NULL);
}

void
sp_output_prometheus_target(FILE *out, const struct sp_config *cfg, const struct sp_report *rep,
	const char *target)
{
	enum label_mode mode = smtpprobe_opts_mx_domain(cfg->lib) != NULL ? LABELS_MX
		: smtpprobe_opts_host_count(cfg->lib) > 1 ? LABELS_HOSTS : LABELS_HOST;
	struct text t;

	text_start(&t, out);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct family f = { &t, cfg, mode, families[i].name, families[i].help, false, target };

		for (size_t k = 0; k < rep->n; k++)
			families[i].put(&f, &rep->v[k]);
	}
	mta_sts_mode(&t, cfg, rep);
	flush(&t);
}

void
sp_output_prometheus_unknown(FILE *out, const char *why)
{
	fputs("# check_smtp_probe UNKNOWN: ", out);
	sp_prometheus_label_value(out, why); /* a comment: no newline may end it early */
	fputs("\n# HELP probe_success Whether the SMTP check of the target was OK (1) or not (0).\n"
	      "# TYPE probe_success gauge\nprobe_success 0\n"
	      "# HELP probe_smtp_state The plugin state of the target: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
	      "# TYPE probe_smtp_state gauge\nprobe_smtp_state 3\n", out);
}
