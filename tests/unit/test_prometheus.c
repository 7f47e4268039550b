/* SPDX-License-Identifier: MIT */
/*
 * test_prometheus.c - plugin/prometheus.c without sockets: verdicts in,
 * the text exposition format out, byte for byte; label values escaped,
 * hostile server text neutralised.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../plugin/prometheus.h"
#include "results.h"

struct fx {
	struct t_fixture tf;
	char *text;
	size_t len;
};

static int
setup(void **state)
{
	*state = calloc(1, sizeof(struct fx));
	t_fixture_env();
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	t_fixture_free(&f->tf);
	free(f->text);
	free(f);
	return 0;
}

static struct smtpprobe_result *
target(struct fx *f, const char *host, const char *addr)
{
	return t_fixture_target(&f->tf, host, addr, 4012);
}

static struct smtpprobe_result *
good_rcpt(struct fx *f, const char *host, const char *addr)
{
	struct smtpprobe_result *r = target(f, host, addr);

	t_greet(r, host, "PIPELINING,SIZE 10240000");
	t_exchange(r, SMTPPROBE_STAGE_MAIL, "MAIL FROM:<probe@example.net>", "250 2.1.0 Ok\r\n", 2400, 401);
	t_exchange(r, SMTPPROBE_STAGE_RCPT, "RCPT TO:<kate@example.org>", "250 2.1.5 Ok\r\n", 2801, 5);
	t_exchange(r, SMTPPROBE_STAGE_RSET, "RSET", "250 2.0.0 Ok\r\n", 2806, 4);
	t_quit(r, 2810);
	return r;
}

static const char *
prom(struct fx *f)
{
	FILE *out;

	t_fixture_judge(&f->tf);
	free(f->text);
	out = open_memstream(&f->text, &f->len);
	assert_non_null(out);
	sp_output_prometheus(out, &f->tf.cfg, &f->tf.rep);
	assert_int_equal(fclose(out), 0);
	return f->text;
}

#define HAS(text, want) do { \
	if (strstr((text), (want)) == NULL) \
		fail_msg("line %d: \"%s\"\nlacks \"%s\"", __LINE__, (text), (want)); \
} while (0)

#define LACKS(text, want) do { \
	if (strstr((text), (want)) != NULL) \
		fail_msg("line %d: \"%s\"\nhas \"%s\"", __LINE__, (text), (want)); \
} while (0)

/* Every line is a comment or "name{...} value", and no byte is a control but the newlines. */
static void
well_formed(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
			fail_msg("control byte 0x%02x in \"%s\"", *p, text);
	assert_true(*text == '\0' || text[strlen(text) - 1] == '\n');
}

static void
test_ok(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-f", "probe@example.net", "--rcpt", "kate@example.org");
	good_rcpt(f, "mx.example.org", "192.0.2.10");
	assert_string_equal(prom(f),
		"# HELP probe_success Whether the SMTP check of the target was OK (1) or not (0).\n"
		"# TYPE probe_success gauge\n"
		"probe_success{target=\"mx.example.org\"} 1\n"
		"# HELP probe_duration_seconds How long the check of the target took, DNS included, in seconds.\n"
		"# TYPE probe_duration_seconds gauge\n"
		"probe_duration_seconds{target=\"mx.example.org\"} 0.004012\n"
		"# HELP probe_smtp_duration_seconds How long each stage of the SMTP dialog took, in seconds.\n"
		"# TYPE probe_smtp_duration_seconds gauge\n"
		"probe_smtp_duration_seconds{target=\"mx.example.org\",phase=\"connect\"} 0.000100\n"
		"probe_smtp_duration_seconds{target=\"mx.example.org\",phase=\"banner\"} 0.001900\n"
		"probe_smtp_duration_seconds{target=\"mx.example.org\",phase=\"ehlo\"} 0.000400\n"
		"probe_smtp_duration_seconds{target=\"mx.example.org\",phase=\"mail\"} 0.000401\n"
		"probe_smtp_duration_seconds{target=\"mx.example.org\",phase=\"rcpt\"} 0.000005\n"
		"probe_smtp_duration_seconds{target=\"mx.example.org\",phase=\"rset\"} 0.000004\n"
		"probe_smtp_duration_seconds{target=\"mx.example.org\",phase=\"quit\"} 0.000190\n"
		"# HELP probe_smtp_status_code The reply code that judged each stage of the SMTP dialog.\n"
		"# TYPE probe_smtp_status_code gauge\n"
		"probe_smtp_status_code{target=\"mx.example.org\",phase=\"banner\"} 220\n"
		"probe_smtp_status_code{target=\"mx.example.org\",phase=\"ehlo\"} 250\n"
		"probe_smtp_status_code{target=\"mx.example.org\",phase=\"mail\"} 250\n"
		"probe_smtp_status_code{target=\"mx.example.org\",phase=\"rcpt\"} 250\n"
		"probe_smtp_status_code{target=\"mx.example.org\",phase=\"rset\"} 250\n"
		"probe_smtp_status_code{target=\"mx.example.org\",phase=\"quit\"} 221\n"
		"# HELP probe_smtp_state The plugin state of the target: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
		"# TYPE probe_smtp_state gauge\n"
		"probe_smtp_state{target=\"mx.example.org\"} 0\n");
	assert_int_equal(f->tf.rep.state, SP_OK);
}

static void
test_tls(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-S");
	r = good_rcpt(f, "mx.example.org", "192.0.2.10");
	t_tls(r, "TLSv1.3", 1798761600, "");
	prom(f);
	HAS(f->text, "# TYPE probe_ssl_earliest_cert_expiry gauge\n"
		"probe_ssl_earliest_cert_expiry{target=\"mx.example.org\"} 1798761600\n");
	HAS(f->text, "# TYPE probe_tls_version_info gauge\n"
		"probe_tls_version_info{target=\"mx.example.org\",version=\"TLSv1.3\"} 1\n");
	LACKS(f->text, "failed_phase");
}

static void
test_failed_reply(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "192.0.2.10", "-f", "probe@example.net", "--rcpt", "nobody@example.org");
	r = target(f, "192.0.2.10", "192.0.2.10");
	t_greet(r, "mx.example.org", "");
	i = t_exchange(r, SMTPPROBE_STAGE_RCPT, "RCPT TO:<nobody@example.org>",
		"550 5.1.1 <nobody@example.org>: User unknown\r\n", 2400, 100);
	sp_result_fail(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT, (int)i, "550");
	prom(f);
	HAS(f->text, "probe_success{target=\"192.0.2.10\"} 0\n");
	HAS(f->text, "probe_smtp_status_code{target=\"192.0.2.10\",phase=\"rcpt\"} 550\n");
	HAS(f->text, "probe_smtp_state{target=\"192.0.2.10\"} 2\n");
	HAS(f->text, "# TYPE probe_smtp_failed_phase_info gauge\n"
		"probe_smtp_failed_phase_info{target=\"192.0.2.10\",phase=\"rcpt\",reason=\"reply\"} 1\n");
	LACKS(f->text, "probe_tls_version_info");
	LACKS(f->text, "probe_ssl_earliest_cert_expiry");
}

static void
test_failed_status(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org");
	r = target(f, "mx.example.org", "192.0.2.10");
	sp_result_stage_time(r, SMTPPROBE_STAGE_CONNECT, 0, 100);
	sp_result_fail(r, SMTPPROBE_E_CONNECT, SMTPPROBE_STAGE_CONNECT, -1, "connect failed: Connection refused");
	prom(f);
	HAS(f->text, "probe_smtp_failed_phase_info{target=\"mx.example.org\",phase=\"connect\",reason=\"refused\"} 1\n");
	LACKS(f->text, "probe_smtp_status_code");

	/* The library keeps the first failure: set the next ones by hand. */
	r->status = SMTPPROBE_E_TIMEOUT;
	prom(f);
	HAS(f->text, "phase=\"connect\",reason=\"timeout\"} 1\n");
	r->status = SMTPPROBE_E_CERT;
	r->stage = SMTPPROBE_STAGE_TLS;
	prom(f);
	HAS(f->text, "phase=\"tls\",reason=\"verification\"} 1\n");
	r->status = SMTPPROBE_E_CLOSED;
	r->stage = SMTPPROBE_STAGE_BANNER;
	prom(f);
	HAS(f->text, "phase=\"banner\",reason=\"protocol\"} 1\n");
	r->status = SMTPPROBE_E_DNS;
	r->stage = SMTPPROBE_STAGE_DNS;
	prom(f);
	HAS(f->text, "phase=\"dns\",reason=\"dns\"} 1\n");
	r->status = SMTPPROBE_E_TLS;
	r->stage = SMTPPROBE_STAGE_TLS;
	prom(f);
	HAS(f->text, "phase=\"tls\",reason=\"tls\"} 1\n");
}

/* A threshold failed the target, the dialog went well: the slow stage, "timeout". */
static void
test_failed_threshold(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-c", "banner=0.001");
	good_rcpt(f, "mx.example.org", "192.0.2.10");
	prom(f);
	HAS(f->text, "probe_success{target=\"mx.example.org\"} 0\n");
	HAS(f->text, "probe_smtp_failed_phase_info{target=\"mx.example.org\",phase=\"banner\",reason=\"timeout\"} 1\n");
}

static void
test_escaping(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	char *p;
	FILE *out;
	size_t len;

	/* An MX name from DNS is any bytes: it must stay inside its label. */
	CONFIG(&f->tf.cfg, "-M", "example.org");
	r = target(f, "mx\"} 1\nevil{a=\"b\\\x01\xff\xc3\xa9", "192.0.2.10");
	t_greet(r, "mx.example.org", "");
	t_quit(r, 2400);
	r->mx_pref = 10;
	prom(f);
	well_formed(f->text);
	HAS(f->text, "probe_success{target=\"example.org\",mx=\"mx\\\"} 1\\nevil{a=\\\"b\\\\??\xc3\xa9\","
		"address=\"192.0.2.10\",family=\"ipv4\"} 1\n");
	LACKS(f->text, "\nevil");

	out = open_memstream(&p, &len);
	assert_non_null(out);
	sp_prometheus_label_value(out, "a\\b\"c\nd\re\x7f\xc0\x80 \xe2\x82\xac");
	assert_int_equal(fclose(out), 0);
	assert_string_equal(p, "a\\\\b\\\"c\\nd?e??? \xe2\x82\xac");
	free(p);

	out = open_memstream(&p, &len);
	assert_non_null(out);
	sp_output_prometheus_unknown(out, "-H: \"x\ny\" is bad");
	assert_int_equal(fclose(out), 0);
	well_formed(p);
	HAS(p, "# check_smtp_probe UNKNOWN: -H: \\\"x\\ny\\\" is bad\n");
	HAS(p, "\nprobe_success 0\n");
	HAS(p, "\nprobe_smtp_state 3\n");
	free(p);
}

static void
test_mx_labels(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-M", "example.org");
	good_rcpt(f, "mx1.example.org", "192.0.2.1")->mx_pref = 10;
	r = target(f, "mx1.example.org", "2001:db8::1");
	r->mx_pref = 10;
	sp_result_fail(r, SMTPPROBE_E_CONNECT, SMTPPROBE_STAGE_CONNECT, -1, "connect failed: Network unreachable");
	r = target(f, "mx2.example.org", "");
	r->mx_pref = 20;
	sp_result_fail(r, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, -1, "no address");
	prom(f);
	well_formed(f->text);
	HAS(f->text, "probe_success{target=\"example.org\",mx=\"mx1.example.org\",address=\"192.0.2.1\","
		"family=\"ipv4\"} 1\n"
		"probe_success{target=\"example.org\",mx=\"mx1.example.org\",address=\"2001:db8::1\","
		"family=\"ipv6\"} 0\n"
		"probe_success{target=\"example.org\",mx=\"mx2.example.org\",address=\"\",family=\"\"} 0\n");
	HAS(f->text, "probe_smtp_duration_seconds{target=\"example.org\",mx=\"mx1.example.org\","
		"address=\"192.0.2.1\",family=\"ipv4\",phase=\"rcpt\"} 0.000005\n");
	HAS(f->text, "probe_smtp_failed_phase_info{target=\"example.org\",mx=\"mx1.example.org\","
		"address=\"2001:db8::1\",family=\"ipv6\",phase=\"connect\",reason=\"refused\"} 1\n");
	HAS(f->text, "probe_smtp_failed_phase_info{target=\"example.org\",mx=\"mx2.example.org\","
		"address=\"\",family=\"\",phase=\"dns\",reason=\"dns\"} 1\n");
}

/* Several -H: each target by its host, and its address. */
static void
test_hosts_labels(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-H", "mx1.example.org", "-H", "mx2.example.org");
	good_rcpt(f, "mx1.example.org", "192.0.2.1");
	good_rcpt(f, "mx2.example.org", "192.0.2.2");
	prom(f);
	HAS(f->text, "probe_success{target=\"mx1.example.org\",address=\"192.0.2.1\"} 1\n"
		"probe_success{target=\"mx2.example.org\",address=\"192.0.2.2\"} 1\n");
	/* one header per family */
	HAS(f->text, "# TYPE probe_success ");
	LACKS(strstr(f->text, "# TYPE probe_success ") + 1, "# TYPE probe_success ");
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ok),
		T(test_tls),
		T(test_failed_reply),
		T(test_failed_status),
		T(test_failed_threshold),
		T(test_escaping),
		T(test_mx_labels),
		T(test_hosts_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
