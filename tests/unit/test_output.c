/* SPDX-License-Identifier: MIT */
/*
 * test_output.c - plugin/output.c without sockets: verdicts in, the status
 * line, perfdata, long output and JSON out, byte for byte; hostile server
 * text neutralised.
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
#include <time.h>
#include <cmocka.h>

#include "../../plugin/output.h"
#include "results.h"

struct fx {
	struct t_fixture tf;
	struct sp_transcript t;
	char *text;     /* what the output wrote */
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
	sp_transcript_free(&f->t);
	free(f->text);
	free(f);
	return 0;
}

static struct smtpprobe_result *
target(struct fx *f, const char *host, const char *addr)
{
	return t_fixture_target(&f->tf, host, addr, 4012);
}

/* banner, EHLO, MAIL, RCPT, RSET, QUIT, all good. */
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

/* Judges, then prints with @p print into f->text. */
static const char *
print(struct fx *f, void (*printer)(FILE *, const struct sp_config *, const struct sp_report *,
	const struct sp_transcript *))
{
	FILE *out;

	t_fixture_judge(&f->tf);
	free(f->text);
	out = open_memstream(&f->text, &f->len);
	assert_non_null(out);
	printer(out, &f->tf.cfg, &f->tf.rep, &f->t);
	assert_int_equal(fclose(out), 0);
	return f->text;
}

#define NAGIOS(f) print((f), sp_output_nagios)
#define JSON(f) print((f), sp_output_json)

/* The first line, without its newline. */
static const char *
line1(struct fx *f)
{
	char *nl = strchr(f->text, '\n');

	assert_non_null(nl);
	*nl = '\0';
	return f->text;
}

#define HAS(text, want) do { \
	if (strstr((text), (want)) == NULL) \
		fail_msg("line %d: \"%s\"\nlacks \"%s\"", __LINE__, (text), (want)); \
} while (0)

#define ENDS_WITH(text, want) do { \
	size_t tl_ = strlen(text), wl_ = strlen(want); \
	if (tl_ < wl_ || strcmp((text) + tl_ - wl_, (want)) != 0) \
		fail_msg("line %d: \"%s\"\ndoes not end in \"%s\"", __LINE__, (text), (want)); \
} while (0)

static void
test_ok_summary(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-f", "probe@example.net", "--rcpt", "kate@example.org");
	good_rcpt(f, "mx.example.org", "192.0.2.10");
	NAGIOS(f);
	assert_string_equal(line1(f), "SMTP OK - mx.example.org[192.0.2.10]:25 220 ESMTP, EHLO 250, "
		"MAIL 250 2.1.0, RCPT 250 2.1.5, 0.004s | time=0.004012s;;;0 connect=0.000100s;;;0 "
		"banner=0.001900s;;;0 ehlo=0.000400s;;;0 mail=0.000401s;;;0 rcpt=0.000005s;;;0 "
		"rset=0.000004s;;;0 quit=0.000190s;;;0");
}

static void
test_reply_quoted(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "192.0.2.10", "-f", "probe@example.net", "--rcpt", "grey@example.org");
	r = target(f, "192.0.2.10", "192.0.2.10");
	t_greet(r, "mx.example.org", "");
	i = t_exchange(r, SMTPPROBE_STAGE_RCPT, "RCPT TO:<grey@example.org>",
		"450-4.7.1 <grey@example.org>: Recipient address rejected:\r\n450 4.7.1 greylisted\r\n",
		2400, 100);
	sp_result_fail(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT, (int)i, "450");
	NAGIOS(f);
	assert_string_equal(line1(f), "SMTP WARNING - 192.0.2.10:25 RCPT TO:<grey@example.org> 450 4.7.1 "
		"<grey@example.org>: Recipient address rejected: greylisted | time=0.004012s;;;0 "
		"connect=0.000100s;;;0 banner=0.001900s;;;0 ehlo=0.000400s;;;0 rcpt=0.000100s;;;0");

	r->ex[i].code = 550;
	snprintf(r->ex[i].enhanced, sizeof r->ex[i].enhanced, "5.1.1");
	free(r->ex[i].text);
	r->ex[i].text = strdup("User unknown");
	NAGIOS(f);
	HAS(line1(f), "SMTP CRITICAL - 192.0.2.10:25 RCPT TO:<grey@example.org> 550 5.1.1 User unknown | ");
}

static void
test_expect_reply_words(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "mx1.example.org", "-f", "probe@example.org",
		"--rcpt", "someone@example.net", "--expect-reply", "rcpt=5");
	r = target(f, "mx1.example.org", "192.0.2.10");
	t_greet(r, "mx1.example.org", "");
	i = t_exchange(r, SMTPPROBE_STAGE_RCPT, "RCPT TO:<someone@example.net>", "250 2.1.5 Ok\r\n",
		2400, 100);
	sp_result_fail(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT, (int)i, "250");
	NAGIOS(f);
	HAS(line1(f), "SMTP CRITICAL - mx1.example.org[192.0.2.10]:25 RCPT TO:<someone@example.net> "
		"250 2.1.5 Ok; accepted, expected 5xx: relaying is open? | ");

	r->ex[i].code = 451;
	NAGIOS(f);
	HAS(line1(f), "SMTP WARNING - mx1.example.org[192.0.2.10]:25 RCPT TO:<someone@example.net> "
		"451 2.1.5 Ok; expected 5xx | ");
}

static void
test_thresholds_words(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-f", "probe@example.net", "--rcpt", "kate@example.org",
		"-w", "banner=0.001,rcpt=2", "-c", "5");
	good_rcpt(f, "mx.example.org", "192.0.2.10");
	NAGIOS(f);
	assert_string_equal(line1(f), "SMTP WARNING - mx.example.org[192.0.2.10]:25 banner 0.002s "
		"(warning 0.001) | time=0.004012s;;5;0 connect=0.000100s;;;0 banner=0.001900s;0.001;;0 "
		"ehlo=0.000400s;;;0 mail=0.000401s;;;0 rcpt=0.000005s;2;;0 rset=0.000004s;;;0 "
		"quit=0.000190s;;;0");
	sp_config_free(&f->tf.cfg);
	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-c", "0.004");
	NAGIOS(f);
	HAS(line1(f), "SMTP CRITICAL - mx.example.org[192.0.2.10]:25 time 0.004s (critical 0.004) | ");
}

/* -D: the words, and cert_days in the perfdata with "alert below" ranges. */
static void
test_cert_days(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	time_t end = time(NULL) + 9 * 86400 + 3600;
	char want[200], date[32];
	struct tm tm;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-S", "-D", "30,14");
	r = target(f, "mx.example.org", "192.0.2.10");
	t_greet(r, "mx.example.org", "STARTTLS");
	t_exchange(r, SMTPPROBE_STAGE_STARTTLS, "STARTTLS", "220 2.0.0 Ready\r\n", 2400, 100);
	sp_result_stage_time(r, SMTPPROBE_STAGE_TLS, 2500, 5500);
	t_tls(r, "TLSv1.3", end, "");
	t_quit(r, 5600);
	NAGIOS(f);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime_r(&end, &tm));
	snprintf(want, sizeof want, "SMTP CRITICAL - mx.example.org[192.0.2.10]:25 certificate "
		"expires in 9 days (%s) | ", date);
	HAS(line1(f), want);
	/* the stages in the order they ran: the handshake after STARTTLS */
	HAS(f->text, "| time=0.004012s;;;0 connect=0.000100s;;;0 banner=0.001900s;;;0 "
		"ehlo=0.000400s;;;0 starttls=0.000100s;;;0 tls=0.003000s;;;0 quit=0.000190s;;;0 "
		"cert_days=9;30:;14:;0");

	r->tls->not_after = time(NULL) + 40 * 86400 - 60; /* a minute short of 40 days: 39 */
	NAGIOS(f);
	HAS(line1(f), "SMTP OK - mx.example.org[192.0.2.10]:25 220 ESMTP, EHLO 250, STARTTLS TLSv1.3, "
		"0.004s | ");
	HAS(f->text, " cert_days=39;30:;14:;0");
}

static void
test_banner_and_checks(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-e", "Postfix");
	r = target(f, "mx.example.org", "192.0.2.10");
	t_greet(r, "mx.example.org", "PIPELINING");
	t_quit(r, 2400);
	NAGIOS(f);
	HAS(line1(f), "SMTP WARNING - mx.example.org[192.0.2.10]:25 banner '220 mx.example.org ESMTP' "
		"does not contain 'Postfix' | ");

	sp_config_free(&f->tf.cfg);
	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "--require-ext", "PIPELINING,STARTTLS");
	NAGIOS(f);
	HAS(line1(f), "SMTP CRITICAL - mx.example.org[192.0.2.10]:25 EHLO does not advertise STARTTLS | ");

	sp_config_free(&f->tf.cfg);
	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-C", "VRFY postmaster", "-R", "^252");
	t_exchange(r, SMTPPROBE_STAGE_COMMAND, "VRFY postmaster", "502 5.5.1 VRFY disabled\r\n", 2600, 10);
	NAGIOS(f);
	HAS(line1(f), "SMTP WARNING - mx.example.org[192.0.2.10]:25 reply '502 VRFY disabled' to "
		"'VRFY postmaster' does not match '^252' | ");

	sp_config_free(&f->tf.cfg);
	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "--require-fcrdns");
	r->rdns = SMTPPROBE_RDNS_UNCONFIRMED;
	snprintf(r->rdns_text, sizeof r->rdns_text, "mail.example.org, not forward-confirmed");
	NAGIOS(f);
	HAS(line1(f), "SMTP WARNING - mx.example.org[192.0.2.10]:25 reverse DNS not confirmed: "
		"mail.example.org, not forward-confirmed | ");
}

/* "2 of 3 MX hosts OK; ...": the targets not OK, the worst first; labels prefix the perfdata. */
static void
test_multi_target(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-M", "example.org");
	good_rcpt(f, "mx1.example.org", "192.0.2.1")->mx_pref = 10;
	r = target(f, "mx2.example.org", "192.0.2.2");
	r->mx_pref = 20;
	t_greet(r, "mx2.example.org", "");
	sp_result_fail(r, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_EHLO, -1, "ehlo timeout after 10.000s");
	r = target(f, "mx3.example.org", "192.0.2.3");
	r->mx_pref = 30;
	sp_result_fail(r, SMTPPROBE_E_CONNECT, SMTPPROBE_STAGE_CONNECT, -1, "connect failed: Connection refused");
	r->end = 0;
	NAGIOS(f);
	HAS(line1(f), "SMTP CRITICAL - 1 of 3 MX hosts OK; mx2.example.org[192.0.2.2]:25 ehlo timeout "
		"after 10.000s; mx3.example.org[192.0.2.3]:25 connect failed: Connection refused | "
		"'mx1.example.org[192.0.2.1]:25:time'=0.004012s;;;0 "
		"'mx1.example.org[192.0.2.1]:25:connect'=0.000100s;;;0");
	/* a target that never connected: its total time only */
	ENDS_WITH(f->text, " 'mx3.example.org[192.0.2.3]:25:time'=0.000000s;;;0");

	/* all OK: the best host's summary */
	sp_result_free(f->tf.r[1]);
	sp_result_free(f->tf.r[2]);
	f->tf.n = 1;
	good_rcpt(f, "mx1.example.org", "192.0.2.11")->mx_pref = 10;
	NAGIOS(f);
	HAS(line1(f), "SMTP OK - 1 of 1 MX host OK; mx1.example.org[192.0.2.1]:25 220 ESMTP, EHLO 250, "
		"MAIL 250 2.1.0, RCPT 250 2.1.5, 0.004s | ");
}

/* Server text in the status line: '|' would start perfdata, controls and bad UTF-8 garble. */
static void
test_status_line_neutralised(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org");
	r = target(f, "mx.example.org", "192.0.2.10");
	i = t_exchange(r, SMTPPROBE_STAGE_BANNER, "", "554 5.3.2 no | way \xff\xfe caf\xc3\xa9\r\n", 0, 10);
	sp_result_fail(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_BANNER, (int)i, "554");
	NAGIOS(f);
	HAS(line1(f), "SMTP CRITICAL - mx.example.org[192.0.2.10]:25 banner 554 5.3.2 no / way ?? caf\xc3\xa9 | ");

	r->status = SMTPPROBE_OK;
	sp_result_fail(r, SMTPPROBE_E_TLS, SMTPPROBE_STAGE_TLS, -1, "TLS handshake failed: a\nb\rc\x01|d");
	NAGIOS(f);
	HAS(line1(f), "SMTP CRITICAL - mx.example.org[192.0.2.10]:25 TLS handshake failed: a?b?c?/d | ");
}

/* JSON: hostile text escaped, the document of one line. */
static void
test_json_escaping(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "--output", "json");
	r = target(f, "mx.example.org", "192.0.2.10");
	i = t_exchange(r, SMTPPROBE_STAGE_BANNER, "", "554 say \"hi\\\" \xff x\r\n", 0, 10);
	sp_result_fail(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_BANNER, (int)i, "554");
	snprintf(r->notes, sizeof r->notes, "tab\there");
	JSON(f);
	HAS(f->text, "{\"state\":\"CRITICAL\",\"exit_code\":2,\"summary\":\"mx.example.org[192.0.2.10]:25 "
		"banner 554 say \\\"hi\\\\\\\" \\ufffd x\",\"notes\":\"\",\"targets\":[{\"host\":\"mx.example.org\"");
	HAS(f->text, ",\"reason\":\"banner 554 say \\\"hi\\\\\\\" \\ufffd x\"");
	HAS(f->text, "\"lines\":[\"554 say \\\"hi\\\\\\\" \\ufffd x\"]");
	HAS(f->text, "\"notes\":\"tab\\u0009here\"");
	assert_int_equal(strchr(f->text, '\n'), f->text + f->len - 1);
}

/* -v: a line per stage; the transcript without our own events, which -vv adds. */
static void
test_long_output_and_transcript(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-v");
	good_rcpt(f, "mx.example.org", "192.0.2.10");
	sp_transcript_add(&f->t, SMTPPROBE_DIR_INFO, NULL, "connected", 9, 100);
	sp_transcript_add(&f->t, SMTPPROBE_DIR_RECEIVED, NULL, "220 x |\x01", 8, 2000);
	sp_transcript_add(&f->t, SMTPPROBE_DIR_SENT, NULL, "EHLO probe.example.net", 22, 2001);
	NAGIOS(f);
	HAS(f->text, "\nmx.example.org[192.0.2.10]:25: OK\n  greets   as mx.example.org\n"
		"  connect  0.000100s 0\n  banner   0.001900s 220\n  ehlo     0.000400s 250\n");
	HAS(f->text, "  capabilities: PIPELINING SIZE=10240000\n");
	HAS(f->text, "\ntranscript:\n0.002000 <<< 220 x /?\n0.002001 >>> EHLO probe.example.net\n");
	assert_null(strstr(f->text, "connected"));
	f->tf.cfg.verbose = 2;
	NAGIOS(f);
	HAS(f->text, "\ntranscript:\n0.000100 *** connected\n0.002000 <<< 220 x /?\n");

	f->tf.cfg.output = SP_OUTPUT_JSON;
	JSON(f);
	HAS(f->text, ",\"transcript\":\"0.000100 *** connected\\u000a0.002000 <<< 220 x |\\u0001\\u000a"
		"0.002001 >>> EHLO probe.example.net\\u000a\"}\n");
}

static void
test_unknown(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	assert_non_null(out);
	sp_output_unknown(out, false, "--rcpt contains CR, LF or NUL");
	sp_output_unknown(out, true, "bad \"x\"");
	fclose(out);
	assert_string_equal(text, "SMTP UNKNOWN - --rcpt contains CR, LF or NUL\n"
		"{\"state\":\"UNKNOWN\",\"exit_code\":3,\"summary\":\"bad \\\"x\\\"\",\"notes\":\"\",\"targets\":[]}\n");
	free(text);
	assert_string_equal(sp_state_name(SP_WARNING), "WARNING");
	assert_string_equal(sp_state_name((enum sp_state)7), "UNKNOWN");
}

static void
test_no_result(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org");
	NAGIOS(f);
	assert_string_equal(f->text, "SMTP UNKNOWN - no result (internal error)\n");
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ok_summary),
		T(test_reply_quoted),
		T(test_expect_reply_words),
		T(test_thresholds_words),
		T(test_cert_days),
		T(test_banner_and_checks),
		T(test_multi_target),
		T(test_status_line_neutralised),
		T(test_json_escaping),
		T(test_long_output_and_transcript),
		T(test_unknown),
		T(test_no_result),
	};
#undef T

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
