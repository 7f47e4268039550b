/* SPDX-License-Identifier: MIT */
/*
 * test_judge.c - plugin/judge.c without sockets: results in, states and
 * the deciding reason (as data) out.
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
#include <time.h>
#include <cmocka.h>

#include "../../plugin/judge.h"
#include "results.h"
#include "dane.h"
#include "resolve.h"

struct fx {
	struct t_fixture tf;
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
	free(f);
	return 0;
}

/* A new target of the fixture. */
static struct smtpprobe_result *
target(struct fx *f, const char *host, const char *addr)
{
	return t_fixture_target(&f->tf, host, addr, 5000);
}

/* The usual good dialog: banner, EHLO, QUIT. */
static struct smtpprobe_result *
good(struct fx *f, const char *host, const char *addr)
{
	struct smtpprobe_result *r = target(f, host, addr);

	t_greet(r, host, "PIPELINING,STARTTLS");
	t_quit(r, 2400);
	return r;
}

static void
judge(struct fx *f)
{
	t_fixture_judge(&f->tf);
	assert_int_equal(f->tf.rep.n, f->tf.n);
}

/* The verdict of target @p i: its state and reason. */
#define VERDICT(f, i, st, why) do { \
	assert_int_equal((f)->tf.rep.v[i].state, (st)); \
	assert_int_equal((f)->tf.rep.v[i].reason, (why)); \
} while (0)

static void
test_ok(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org");
	good(f, "mx.example.org", "192.0.2.10");
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_OK);
	VERDICT(f, 0, SP_OK, SP_REASON_NONE);
}

/* RCPT's reply decides: 4xx warns, 5xx is critical; the exchange is named. */
static void
test_reply_classes(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-f", "a@example.net", "--rcpt", "b@example.org");
	r = target(f, "mx.example.org", "192.0.2.10");
	t_greet(r, "mx.example.org", "");
	t_exchange(r, SMTPPROBE_STAGE_MAIL, "MAIL FROM:<a@example.net>", "250 2.1.0 Ok\r\n", 2400, 100);
	i = t_exchange(r, SMTPPROBE_STAGE_RCPT, "RCPT TO:<b@example.org>",
		"450 4.7.1 greylisted\r\n", 2500, 100);
	sp_result_fail(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT, (int)i, "450");
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_WARNING);
	VERDICT(f, 0, SP_WARNING, SP_REASON_REPLY);
	assert_int_equal(f->tf.rep.v[0].exchange, i);

	r->ex[i].code = 550;
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_REPLY);
}

/* --expect-reply: the usual good class fails, and says what was wanted. */
static void
test_expect_reply(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-f", "a@example.net", "--rcpt", "b@example.org",
		"--expect-reply", "rcpt=5", "--expect-reply", "mail=4");
	r = target(f, "mx.example.org", "192.0.2.10");
	t_greet(r, "mx.example.org", "");
	i = t_exchange(r, SMTPPROBE_STAGE_RCPT, "RCPT TO:<b@example.org>", "250 2.1.5 Ok\r\n", 2500, 100);
	sp_result_fail(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT, (int)i, "250");
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_RELAY_OPEN);
	assert_int_equal(f->tf.rep.v[0].want, 5);

	/* MAIL wanted 4xx: a 250 is accepted where it should not be, a 550 neither */
	r->stage = SMTPPROBE_STAGE_MAIL;
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_ACCEPTED);
	assert_int_equal(f->tf.rep.v[0].want, 4);
	r->ex[i].code = 550;
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_UNEXPECTED);
	/* RCPT wanted 5xx: a 450 is neither, and only a warning */
	r->stage = SMTPPROBE_STAGE_RCPT;
	r->ex[i].code = 450;
	judge(f);
	VERDICT(f, 0, SP_WARNING, SP_REASON_UNEXPECTED);
	assert_int_equal(f->tf.rep.v[0].want, 5);
}

/* The library's outcome: a timeout takes -t's state, a local failure is UNKNOWN. */
static void
test_status(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-t", "5:warning");
	r = target(f, "mx.example.org", "192.0.2.10");
	sp_result_fail(r, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_BANNER, -1, "banner timeout after 5.000s");
	judge(f);
	VERDICT(f, 0, SP_WARNING, SP_REASON_STATUS);
	f->tf.cfg.timeout_state = SP_OK;
	judge(f);
	VERDICT(f, 0, SP_OK, SP_REASON_NONE);

	r->status = SMTPPROBE_OK;
	sp_result_fail(r, SMTPPROBE_E_LOCAL, SMTPPROBE_STAGE_CONNECT, -1, "no socket");
	judge(f);
	VERDICT(f, 0, SP_UNKNOWN, SP_REASON_STATUS);
	r->status = SMTPPROBE_OK;
	sp_result_fail(r, SMTPPROBE_E_CONNECT, SMTPPROBE_STAGE_CONNECT, -1, "Connection refused");
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_STATUS);
}

/* -q: a failed QUIT changes nothing. */
static void
test_quit_failure(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-q");
	r = target(f, "mx.example.org", "192.0.2.10");
	t_greet(r, "mx.example.org", "");
	i = t_exchange(r, SMTPPROBE_STAGE_QUIT, "QUIT", "500 no\r\n", 2400, 100);
	sp_result_fail(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_QUIT, (int)i, "500");
	judge(f);
	VERDICT(f, 0, SP_OK, SP_REASON_NONE);
	f->tf.cfg.ignore_quit_failure = false;
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_REPLY);
	r->status = SMTPPROBE_OK;
	sp_result_fail(r, SMTPPROBE_E_CLOSED, SMTPPROBE_STAGE_QUIT, -1, "closed");
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_STATUS);
	f->tf.cfg.ignore_quit_failure = true;
	judge(f);
	VERDICT(f, 0, SP_OK, SP_REASON_NONE);
}

/* -e, --require-ext, -R: the checks on top of a good dialog. */
static void
test_checks(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-e", "Postfix");
	good(f, "mx.example.org", "192.0.2.10");
	judge(f);
	VERDICT(f, 0, SP_WARNING, SP_REASON_BANNER);
	assert_int_equal(f->tf.rep.v[0].exchange, 0);
	sp_config_free(&f->tf.cfg);
	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-e", "220 mx.example.org ESMTP");
	judge(f);
	VERDICT(f, 0, SP_OK, SP_REASON_NONE);

	/* STARTTLS counts when the first EHLO offered it */
	sp_config_free(&f->tf.cfg);
	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "--require-ext", "starttls,8BITMIME,pipelining");
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_EXTENSION);
	assert_int_equal(f->tf.rep.v[0].index, 1);

	sp_config_free(&f->tf.cfg);
	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-C", "NOOP", "-C", "VRFY x", "-R", "^250", "-R", "^252");
	r = f->tf.r[0];
	t_exchange(r, SMTPPROBE_STAGE_COMMAND, "NOOP", "250 2.0.0 Ok\r\n", 2400, 50);
	i = t_exchange(r, SMTPPROBE_STAGE_COMMAND, "VRFY x", "502 5.5.1 no VRFY\r\n", 2450, 50);
	judge(f);
	VERDICT(f, 0, SP_WARNING, SP_REASON_RESPONSE);
	assert_int_equal(f->tf.rep.v[0].exchange, i);
	assert_int_equal(f->tf.rep.v[0].index, 1);
}

/* -D WARN,CRIT: days left, floored; expired is critical. */
static void
test_cert_days(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	int64_t now = (int64_t)time(NULL);

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-S", "-D", "30,14");
	r = good(f, "mx.example.org", "192.0.2.10");
	t_tls(r, "TLSv1.3", now + 40 * 86400 + 3600, "");
	judge(f);
	VERDICT(f, 0, SP_OK, SP_REASON_NONE);
	r->tls->not_after = now + 20 * 86400 + 3600;
	judge(f);
	VERDICT(f, 0, SP_WARNING, SP_REASON_CERT_EXPIRES);
	assert_int_equal(f->tf.rep.v[0].days, 20);
	r->tls->not_after = now + 9 * 86400 + 3600;
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_CERT_EXPIRES);
	assert_int_equal(f->tf.rep.v[0].days, 9);
	r->tls->not_after = now - 1;
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_CERT_EXPIRED);
	assert_int_equal(f->tf.rep.v[0].days, -1);
}

/* -w/-c: per stage and total; the worst state wins, the first reason of it stays. */
static void
test_thresholds(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;
	size_t i;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "-w", "banner=0.001,ehlo=0.0001", "-c", "0.004");
	r = good(f, "mx.example.org", "192.0.2.10");
	judge(f);
	VERDICT(f, 0, SP_CRITICAL, SP_REASON_TIME);
	assert_int_equal(f->tf.rep.v[0].stage, SMTPPROBE_STAGE_COUNT);
	assert_true(f->tf.rep.v[0].secs == 0.005);
	r->end = 3000; /* under -c now: the banner's warning is the first found */
	judge(f);
	VERDICT(f, 0, SP_WARNING, SP_REASON_TIME);
	assert_int_equal(f->tf.rep.v[0].stage, SMTPPROBE_STAGE_BANNER);
	assert_true(f->tf.rep.v[0].secs == 0.0019);

	/* a 4xx is a warning too, and came first */
	i = t_exchange(r, SMTPPROBE_STAGE_MAIL, "MAIL FROM:<>", "451 4.3.0 later\r\n", 2600, 10);
	sp_result_fail(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_MAIL, (int)i, "451");
	judge(f);
	VERDICT(f, 0, SP_WARNING, SP_REASON_REPLY);
}

static void
test_rdns(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org", "--require-fcrdns");
	r = good(f, "mx.example.org", "192.0.2.10");
	r->rdns = SMTPPROBE_RDNS_NO_PTR;
	judge(f);
	VERDICT(f, 0, SP_WARNING, SP_REASON_RDNS);
	r->rdns = SMTPPROBE_RDNS_CONFIRMED;
	snprintf(r->ptr, sizeof r->ptr, "other.example.org");
	judge(f);
	VERDICT(f, 0, SP_WARNING, SP_REASON_RDNS_NAME);
	snprintf(r->ptr, sizeof r->ptr, "MX.example.org");
	judge(f);
	VERDICT(f, 0, SP_OK, SP_REASON_NONE);
}

/* --mx-policy over three targets of two preferences. */
static void
test_mx_policy(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-M", "example.org");
	good(f, "mx1.example.org", "192.0.2.1")->mx_pref = 10;
	good(f, "mx1.example.org", "192.0.2.2")->mx_pref = 10;
	r = target(f, "mx2.example.org", "192.0.2.3");
	r->mx_pref = 20;
	sp_result_fail(r, SMTPPROBE_E_CONNECT, SMTPPROBE_STAGE_CONNECT, -1, "Connection refused");
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_CRITICAL);
	VERDICT(f, 2, SP_CRITICAL, SP_REASON_STATUS);
	f->tf.cfg.mx_policy = SP_MX_PRIMARY;
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_OK);
	f->tf.cfg.mx_policy = SP_MX_ANY;
	f->tf.r[0]->status = SMTPPROBE_OK;
	sp_result_fail(f->tf.r[0], SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_BANNER, -1, "banner timeout");
	judge(f);
	assert_int_equal(f->tf.rep.state, SP_OK);
	assert_false(sp_report_single(&f->tf.cfg, &f->tf.rep));
}

/* A domain whose MX lookup failed is one target, judged as one. */
static void
test_domain_failed(void **state)
{
	struct fx *f = *state;
	struct smtpprobe_result *r;

	CONFIG(&f->tf.cfg, "-M", "example.org", "--mx-policy", "any");
	r = target(f, "example.org", "");
	sp_result_fail(r, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, -1, "domain accepts no mail");
	judge(f);
	assert_true(sp_report_single(&f->tf.cfg, &f->tf.rep));
	assert_int_equal(f->tf.rep.state, SP_CRITICAL);
}

static void
test_no_result(void **state)
{
	struct fx *f = *state;

	CONFIG(&f->tf.cfg, "-H", "mx.example.org");
	assert_int_equal(sp_judge(&f->tf.cfg, NULL, 0, NULL, &f->tf.rep), 0);
	assert_int_equal(f->tf.rep.state, SP_UNKNOWN);
	assert_int_equal(f->tf.rep.n, 0);
}

static void
test_worst(void **state)
{
	(void)state;
	assert_int_equal(sp_worst(SP_OK, SP_WARNING), SP_WARNING);
	assert_int_equal(sp_worst(SP_UNKNOWN, SP_WARNING), SP_WARNING);
	assert_int_equal(sp_worst(SP_UNKNOWN, SP_CRITICAL), SP_CRITICAL);
	assert_int_equal(sp_worst(SP_OK, SP_UNKNOWN), SP_UNKNOWN);
}

/* DANE facts as a target would have them: AD states, a lookup, records. */
static void
dane_facts(struct smtpprobe_result *r, smtpprobe_dnssec mx, smtpprobe_dnssec addr, int status,
	bool tlsa_ad, const char *recs)
{
	struct sp_tlsaset set = { .ad = tlsa_ad };

	/* recs: one "USM" triple of digits per record, e.g. "311 011". */
	for (const char *p = recs; p != NULL && *p; p += *(p + 3) ? 4 : 3) {
		struct sp_tlsa *t = &set.rec[set.n++];

		t->usage = (uint8_t)(p[0] - '0');
		t->selector = (uint8_t)(p[1] - '0');
		t->mtype = (uint8_t)(p[2] - '0');
		t->len = 32;
		memset(t->data, set.n, t->len);
	}
	assert_non_null(r->dane = sp_dane_new());
	r->dane->mx = mx;
	r->dane->addr = addr;
	assert_int_equal(sp_dane_take(r->dane, status, &set, false, 900), 0);
}

/* SPEC 8's table, one row each, in require and in auto mode. */
static void
test_dane_table(void **state)
{
	static const struct {
		smtpprobe_dnssec mx, addr;
		int status;
		bool ad;
		const char *recs;
		smtpprobe_dane_auth auth;
		enum sp_dane_finding finding;
		enum sp_state require, autom;
	} rows[] = {
		{ SMTPPROBE_DNSSEC_INSECURE, SMTPPROBE_DNSSEC_SECURE, 0, true, "311", 0,
			SP_DANE_MX_INSECURE, SP_CRITICAL, SP_OK },
		{ SMTPPROBE_DNSSEC_SECURE, SMTPPROBE_DNSSEC_INSECURE, 0, true, "311", 0,
			SP_DANE_ADDR_INSECURE, SP_CRITICAL, SP_OK },
		{ SMTPPROBE_DNSSEC_SECURE, SMTPPROBE_DNSSEC_SECURE, SP_DNS_TEMPFAIL, false, NULL, 0,
			SP_DANE_TLSA_FAILED, SP_CRITICAL, SP_CRITICAL },
		{ SMTPPROBE_DNSSEC_SECURE, SMTPPROBE_DNSSEC_SECURE, SP_DNS_NODATA, true, NULL, 0,
			SP_DANE_TLSA_NONE, SP_CRITICAL, SP_OK },
		{ SMTPPROBE_DNSSEC_SECURE, SMTPPROBE_DNSSEC_SECURE, SP_DNS_NXDOMAIN, false, NULL, 0,
			SP_DANE_TLSA_INSECURE, SP_CRITICAL, SP_OK },
		{ SMTPPROBE_DNSSEC_SECURE, SMTPPROBE_DNSSEC_SECURE, 0, false, "311", 0,
			SP_DANE_TLSA_INSECURE, SP_CRITICAL, SP_OK },
		{ SMTPPROBE_DNSSEC_SECURE, SMTPPROBE_DNSSEC_SECURE, 0, true, "011 111 391", 0,
			SP_DANE_TLSA_UNUSABLE, SP_CRITICAL, SP_WARNING },
		{ SMTPPROBE_DNSSEC_UNASKED, SMTPPROBE_DNSSEC_SECURE, 0, true, "311", SMTPPROBE_DANE_AUTHENTICATED,
			SP_DANE_AUTHENTICATED, SP_OK, SP_OK },
		{ SMTPPROBE_DNSSEC_SECURE, SMTPPROBE_DNSSEC_SECURE, 0, true, "311", SMTPPROBE_DANE_NO_MATCH,
			SP_DANE_NO_MATCH, SP_CRITICAL, SP_CRITICAL },
		{ SMTPPROBE_DNSSEC_SECURE, SMTPPROBE_DNSSEC_SECURE, 0, true, "201", SMTPPROBE_DANE_CHECK_FAILED,
			SP_DANE_CHECK_FAILED, SP_CRITICAL, SP_CRITICAL },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (int m = 0; m < 2; m++) {
			struct smtpprobe_result *r;
			enum sp_state want = m == 0 ? rows[i].require : rows[i].autom;

			sp_report_free(&f->tf.rep);
			for (size_t k = 0; k < f->tf.n; k++)
				sp_result_free(f->tf.r[k]);
			f->tf.n = 0;
			sp_config_free(&f->tf.cfg);
			CONFIG(&f->tf.cfg, "-M", "example.org", m == 0 ? "--dane" : "--dane=auto");
			r = good(f, "mx.example.org", "192.0.2.10");
			dane_facts(r, rows[i].mx, rows[i].addr, rows[i].status, rows[i].ad, rows[i].recs);
			if (rows[i].auth != SMTPPROBE_DANE_NOT_APPLIED)
				sp_dane_matched(r->dane, rows[i].auth, 0, r->dane->set->rec[0].usage,
					r->dane->set->rec[0].selector, r->dane->set->rec[0].mtype,
					r->dane->set->rec[0].data, r->dane->set->rec[0].len);
			judge(f);
			assert_int_equal(sp_dane_finding(r), rows[i].finding);
			assert_int_equal(f->tf.rep.v[0].dane, rows[i].finding);
			assert_int_equal(f->tf.rep.v[0].state, want);
			assert_int_equal(f->tf.rep.v[0].reason, want == SP_OK ? SP_REASON_NONE : SP_REASON_DANE);
		}
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ok),
		T(test_reply_classes),
		T(test_expect_reply),
		T(test_status),
		T(test_quit_failure),
		T(test_checks),
		T(test_cert_days),
		T(test_thresholds),
		T(test_rdns),
		T(test_mx_policy),
		T(test_domain_failed),
		T(test_no_result),
		T(test_worst),
		T(test_dane_table),
	};
#undef T

	return cmocka_run_group_tests_name("judge", tests, NULL, NULL);
}
