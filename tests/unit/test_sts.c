/* SPDX-License-Identifier: MIT */
/*
 * test_sts.c - MTA-STS and TLS-RPT without sockets: the policy fetch's
 * rules for a response (lib/httpcheck.c), the facts' pure steps
 * (lib/sts.c), the judging (plugin/stsjudge.c) and its words
 * (plugin/stsoutput.c), from facts built by hand.
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

#include "httpcheck.h"
#include "mtasts.h"
#include "../../plugin/judge.h"
#include "../../plugin/stsoutput.h"
#include "results.h"

#define POLICY "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmx: *.example.net\r\nmax_age: 86400\r\n"

struct fx {
	struct t_fixture tf;
	struct smtpprobe_sts s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(struct fx));

	*state = f;
	if (f == NULL)
		return -1;
	t_fixture_env();
	/* The facts of a domain where all is well: one TXT, the policy fetched. */
	f->s.sts_asked = f->s.tlsrpt_asked = true;
	f->s.txt.status = SMTPPROBE_TXT_OK;
	f->s.rpt.status = SMTPPROBE_TXT_OK;
	f->s.fetch.outcome = SMTPPROBE_FETCH_OK;
	f->s.fetch.http_code = 200;
	f->s.dns_usec = 1500;
	f->s.fetch.usec = 25000;
	sp_mtasts_take_policy(&f->s, POLICY, strlen(POLICY));
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	t_fixture_free(&f->tf);
	free(f);
	return 0;
}

/* An MX target that passed -S, held against the fixture's policy as the probe does. */
static struct smtpprobe_result *
mx(struct fx *f, const char *host, int pref)
{
	struct smtpprobe_result *r;

	r = t_fixture_target(&f->tf, host, "192.0.2.10", 5000);
	t_greet(r, host, "STARTTLS");
	t_tls(r, "TLSv1.3", (int64_t)time(NULL) + 90 * 86400, "");
	t_quit(r, 2400);
	r->mx_pref = pref;
	r->starttls_offered = true;
	r->sts_pattern = f->s.mode != SMTPPROBE_STS_MODE_UNKNOWN ?
	    sp_sts_policy_match(&f->s.policy, host) : -1;
	return r;
}

static void
judge(struct fx *f)
{
	t_fixture_judge(&f->tf);
	sp_judge_sts(&f->tf.cfg, &f->s, &f->tf.rep);
}

static void
summary_is(struct fx *f, const char *want)
{
	char buf[600];

	sp_sts_summary(&f->tf.rep, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* ------------------------------------------------------------ httpcheck.c */

static void
test_media_type(void **state)
{
	(void)state;
	assert_true(sp_http_media_text_plain("text/plain"));
	assert_true(sp_http_media_text_plain("Text/Plain"));
	assert_true(sp_http_media_text_plain("text/plain; charset=utf-8"));
	assert_true(sp_http_media_text_plain(" text/plain ;charset=us-ascii"));
	assert_false(sp_http_media_text_plain(NULL));
	assert_false(sp_http_media_text_plain(""));
	assert_false(sp_http_media_text_plain("text/html"));
	assert_false(sp_http_media_text_plain("text/plainx"));
	assert_false(sp_http_media_text_plain("text/plain2; a=b"));
	assert_false(sp_http_media_text_plain("application/text/plain"));
}

static void
test_response(void **state)
{
	(void)state;
	assert_int_equal(sp_http_judge_response(200, "text/plain"), SMTPPROBE_FETCH_OK);
	assert_int_equal(sp_http_judge_response(200, "text/html"), SMTPPROBE_FETCH_MEDIA_TYPE);
	assert_int_equal(sp_http_judge_response(200, NULL), SMTPPROBE_FETCH_MEDIA_TYPE);
	assert_int_equal(sp_http_judge_response(301, "text/plain"), SMTPPROBE_FETCH_REDIRECT);
	assert_int_equal(sp_http_judge_response(308, NULL), SMTPPROBE_FETCH_REDIRECT);
	assert_int_equal(sp_http_judge_response(204, "text/plain"), SMTPPROBE_FETCH_HTTP_STATUS);
	assert_int_equal(sp_http_judge_response(404, "text/plain"), SMTPPROBE_FETCH_HTTP_STATUS);
	assert_int_equal(sp_http_judge_response(500, NULL), SMTPPROBE_FETCH_HTTP_STATUS);
	assert_int_equal(sp_http_judge_response(0, NULL), SMTPPROBE_FETCH_PROTOCOL);
	assert_int_equal(sp_http_judge_response(600, "text/plain"), SMTPPROBE_FETCH_PROTOCOL);
}

/* ------------------------------------------------------------ sts.c */

static void
test_txt_status(void **state)
{
	(void)state;
	assert_int_equal(sp_mtasts_txt_status(0, SP_STS_TXT_OK), SMTPPROBE_TXT_OK);
	assert_int_equal(sp_mtasts_txt_status(0, SP_STS_TXT_NONE), SMTPPROBE_TXT_NONE);
	assert_int_equal(sp_mtasts_txt_status(0, SP_STS_TXT_SEVERAL), SMTPPROBE_TXT_SEVERAL);
	assert_int_equal(sp_mtasts_txt_status(0, SP_STS_TXT_MALFORMED), SMTPPROBE_TXT_MALFORMED);
	assert_int_equal(sp_mtasts_txt_status(SP_DNS_NXDOMAIN, SP_STS_TXT_NONE), SMTPPROBE_TXT_NONE);
	assert_int_equal(sp_mtasts_txt_status(SP_DNS_NODATA, SP_STS_TXT_NONE), SMTPPROBE_TXT_NONE);
	assert_int_equal(sp_mtasts_txt_status(SP_DNS_TEMPFAIL, SP_STS_TXT_NONE), SMTPPROBE_TXT_DNS_ERROR);
	assert_string_equal(smtpprobe_dns_status_name(SP_DNS_NODATA), "no record");
}

static void
test_take_policy(void **state)
{
	struct fx *f = *state;
	static const char bad[] = "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 99999999999\n";
	static const char none[] = "version: STSv1\nmode: none\nmax_age: 0\n";

	assert_int_equal(smtpprobe_sts_policy_mode(&f->s), SMTPPROBE_STS_MODE_ENFORCE);
	assert_int_equal(smtpprobe_sts_policy_mx_count(&f->s), 2);
	assert_string_equal(smtpprobe_sts_policy_mx(&f->s, 1), "*.example.net");
	assert_int_equal(smtpprobe_sts_policy_max_age(&f->s), 86400);
	sp_mtasts_take_policy(&f->s, bad, strlen(bad));
	assert_int_equal(smtpprobe_sts_policy_mode(&f->s), SMTPPROBE_STS_MODE_UNKNOWN);
	assert_int_equal(smtpprobe_sts_policy_fault(&f->s), SMTPPROBE_STS_FAULT_BAD_MAX_AGE);
	assert_int_equal(smtpprobe_sts_policy_fault_line(&f->s), 4);
	sp_mtasts_take_policy(&f->s, none, strlen(none));
	assert_int_equal(smtpprobe_sts_policy_mode(&f->s), SMTPPROBE_STS_MODE_NONE);
}

/* ------------------------------------------------------------ stsjudge.c, stsoutput.c */

static void
test_enforce_ok(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts");
	mx(f, "mx1.example.org", 10);
	mx(f, "mx2.example.net", 20);
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_OK);
	assert_int_equal(f->tf.rep.sts.covered, 2);
	summary_is(f, "MTA-STS enforce, 2 of 2 MX covered");
}

static void
test_uncovered(void **state)
{
	struct fx *f = *state;
	char buf[300];

	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts");
	mx(f, "mx1.example.org", 10);
	mx(f, "mx2.example.org", 20);
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_CRITICAL);
	assert_int_equal(f->tf.rep.v[1].state, SP_CRITICAL);
	assert_int_equal(f->tf.rep.v[1].reason, SP_REASON_STS_UNCOVERED);
	sp_sts_uncovered_text(&f->tf.rep.v[1], buf, sizeof(buf));
	assert_string_equal(buf, "mx2.example.org is not covered by the MTA-STS policy (enforce)");
	summary_is(f, "MTA-STS enforce, 1 of 2 MX covered");
}

/* Testing: what the policy would refuse warns, a host's other failures stay. */
static void
test_testing(void **state)
{
	struct fx *f = *state;
	static const char testing[] = "version: STSv1\nmode: testing\nmx: mx1.example.org\nmax_age: 600\n";
	struct smtpprobe_result *r;

	sp_mtasts_take_policy(&f->s, testing, strlen(testing));
	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts");
	r = mx(f, "mx1.example.org", 10);
	sp_result_fail(r, SMTPPROBE_E_CERT, SMTPPROBE_STAGE_TLS, -1, "certificate verification failed: x");
	mx(f, "mx2.example.org", 20);
	judge(f);
	assert_int_equal(f->tf.rep.v[0].state, SP_WARNING);
	assert_true(f->tf.rep.v[0].sts_testing);
	assert_int_equal(f->tf.rep.v[1].state, SP_WARNING);
	assert_int_equal(f->tf.rep.v[1].reason, SP_REASON_STS_UNCOVERED);
	assert_int_equal(f->tf.rep.state, SP_WARNING);
}

/* Under enforce the same certificate failure stays CRITICAL. */
static void
test_enforce_cert(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts");
	r = mx(f, "mx1.example.org", 10);
	sp_result_fail(r, SMTPPROBE_E_CERT, SMTPPROBE_STAGE_TLS, -1, "certificate verification failed: x");
	judge(f);
	assert_int_equal(f->tf.rep.v[0].state, SP_CRITICAL);
	assert_false(f->tf.rep.v[0].sts_testing);
}

static void
test_mode_none(void **state)
{
	struct fx *f = *state;
	static const char none[] = "version: STSv1\nmode: none\nmax_age: 0\n";

	sp_mtasts_take_policy(&f->s, none, strlen(none));
	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts");
	mx(f, "mx1.example.org", 10);
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_OK);
	summary_is(f, "MTA-STS none (policy withdrawn), 0 of 1 MX covered");
}

static void
test_txt_missing(void **state)
{
	struct fx *f = *state;

	f->s.txt.status = SMTPPROBE_TXT_NONE;
	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts");
	mx(f, "mx1.example.org", 10);
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_CRITICAL);
	assert_int_equal(f->tf.rep.sts.finding, SP_STS_FINDING_TXT);
	summary_is(f, "MTA-STS TXT record missing (senders apply no policy)");
}

static void
test_fetch_findings(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts", "-t", "3:WARNING");
	mx(f, "mx1.example.org", 10);
	f->s.fetch.outcome = SMTPPROBE_FETCH_REDIRECT;
	f->s.fetch.http_code = 301;
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_CRITICAL);
	summary_is(f, "MTA-STS policy fetch: HTTP 301 redirect not allowed");
	f->s.fetch.outcome = SMTPPROBE_FETCH_CERT;
	snprintf(f->s.fetch.verify_text, sizeof(f->s.fetch.verify_text), "certificate has expired");
	judge(f);
	summary_is(f, "MTA-STS policy host certificate not verified: certificate has expired");
	/* A timeout takes the state -t names. */
	f->s.fetch.outcome = SMTPPROBE_FETCH_TIMEOUT;
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_WARNING);
	summary_is(f, "MTA-STS policy fetch: timeout");
}

static void
test_policy_fault(void **state)
{
	struct fx *f = *state;
	static const char bad[] = "version: STSv1\nmode: enforce\nmax_age: 99999999999\nmx: a.example\n";

	sp_mtasts_take_policy(&f->s, bad, strlen(bad));
	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts");
	mx(f, "mx1.example.org", 10);
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_CRITICAL);
	summary_is(f, "MTA-STS policy line 3: max_age out of range (0-31557600): \"max_age: 99999999999\"");
}

/* -D holds for the policy host's certificate too. */
static void
test_policy_cert_days(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts", "-D", "30,7");
	mx(f, "mx1.example.org", 10);
	f->s.fetch.not_after = (int64_t)time(NULL) + 10 * 86400 + 600;
	judge(f);
	assert_int_equal(f->tf.rep.sts.state, SP_WARNING);
	summary_is(f, "MTA-STS policy host certificate expires in 10 days");
}

/* TLS-RPT: malformed or several warn; missing is a note unless --tlsrpt. */
static void
test_tlsrpt(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts");
	mx(f, "mx1.example.org", 10);
	f->s.rpt.status = SMTPPROBE_TXT_NONE;
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_OK);
	summary_is(f, "MTA-STS enforce, 1 of 1 MX covered; no TLS-RPT record (note)");
	f->s.rpt.status = SMTPPROBE_TXT_SEVERAL;
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_WARNING);
	sp_config_free(&f->tf.cfg);
	CONFIG(&f->tf.cfg, "-M", "example.org", "--tlsrpt");
	f->s.sts_asked = false;
	f->s.rpt.status = SMTPPROBE_TXT_NONE;
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_WARNING);
	summary_is(f, "TLS-RPT TXT record missing");
}

static void
test_options(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-M", "example.org", "--mta-sts");
	assert_true(f->tf.cfg.mta_sts);
	assert_int_equal(smtpprobe_opts_port(f->tf.cfg.lib), 0);
	assert_true(f->tf.cfg.lib->mta_sts && f->tf.cfg.lib->tls == SMTPPROBE_TLS_STARTTLS && f->tf.cfg.lib->tls_verify);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_media_type), T(test_response), T(test_txt_status), T(test_take_policy),
		T(test_enforce_ok), T(test_uncovered), T(test_testing), T(test_enforce_cert),
		T(test_mode_none), T(test_txt_missing), T(test_fetch_findings), T(test_policy_fault),
		T(test_policy_cert_days), T(test_tlsrpt), T(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
