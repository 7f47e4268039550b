/* SPDX-License-Identifier: MIT */
/*
 * test_dialog.c - the SMTP dialog's behaviours through the public API,
 * against the scripted server (tests/lib/scriptsrv.h) in this process:
 * the greeting, HELO and LMTP, the transaction with and without
 * PIPELINING, the stage times against the server's own clock, RCPT
 * verdicts, the message by DATA and by BDAT, faults, and stopping early.
 *
 * A reply may be held until a later command arrives, which is how the tests
 * prove that the client pipelined: it can only complete if it sent the later
 * command without waiting for the earlier reply. The server records every
 * read() chunk and, per command, in which chunk it arrived and after how
 * many chunks its reply left, so the tests can assert the order and
 * grouping of what was sent; it also notes when each command arrived and
 * when its reply left (CLOCK_MONOTONIC), and a reply may be delayed (a slow
 * server), so the tests can hold the library's stage times against the
 * server's own. Everything is event-driven: no sleeps, only event timers.
 */
#include "probefx.h"

/* ========================================================= 1. default */

static void
test_default_dialog(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;
	smtpprobe_stage order[] = {
		SMTPPROBE_STAGE_CONNECT, SMTPPROBE_STAGE_BANNER, SMTPPROBE_STAGE_EHLO, SMTPPROBE_STAGE_QUIT,
	};

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_int_equal(smtpprobe_result_decider(r), -1);
	assert_string_equal(smtpprobe_result_reason(r), "");
	assert_string_equal(smtpprobe_result_host(r), "127.0.0.1");
	assert_string_equal(smtpprobe_result_addr(r), "127.0.0.1");
	assert_int_equal(smtpprobe_result_port(r), f->srv->port);
	assert_int_equal(smtpprobe_probe_count(f->probe), 1);
	assert_null(smtpprobe_probe_result(f->probe, 1));
	assert_true(smtpprobe_result_usec(r) > 0);
	assert_int_equal(smtpprobe_probe_dns_usec(f->probe), -1);

	/* Stages: exactly connect, banner, ehlo, quit ran, in that order. */
	for (int s = 0; s < SMTPPROBE_STAGE_COUNT; s++) {
		bool want = s == SMTPPROBE_STAGE_CONNECT || s == SMTPPROBE_STAGE_BANNER ||
		    s == SMTPPROBE_STAGE_EHLO || s == SMTPPROBE_STAGE_QUIT;

		if (smtpprobe_stage_ran(r, (smtpprobe_stage)s) != want)
			print_message("# stage %s ran: %d\n", smtpprobe_stage_name((smtpprobe_stage)s), !want);
		assert_int_equal(smtpprobe_stage_ran(r, (smtpprobe_stage)s), want);
	}
	for (size_t i = 0; i < NELEM(order); i++) {
		assert_true(smtpprobe_stage_usec(r, order[i]) > 0);
		assert_true(smtpprobe_stage_start_usec(r, order[i]) >= 0);
		if (i > 0)
			assert_true(smtpprobe_stage_start_usec(r, order[i]) >
			    smtpprobe_stage_start_usec(r, order[i - 1]));
	}
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_BANNER), 220);
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_EHLO), 250);
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_QUIT), 221);
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_MAIL), 0);

	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 }, { Q, "QUIT", 221 });
	assert_string_equal(smtpprobe_exchange_text(r, 0), "probe.test ESMTP ready");
	assert_string_equal(smtpprobe_exchange_enhanced(r, 0), "");
	assert_string_equal(smtpprobe_exchange_text(r, 2), "Bye");
	assert_string_equal(smtpprobe_exchange_enhanced(r, 2), "2.0.0");
	for (size_t i = 0; i < 3; i++)
		assert_true(smtpprobe_exchange_usec(r, i) > 0);

	assert_string_equal(smtpprobe_result_greeting(r), "EHLO");
	assert_string_equal(smtpprobe_result_caps(r), "SIZE=10240000 8BITMIME ENHANCEDSTATUSCODES");
	assert_true(smtpprobe_result_has_ext(r, "8bitmime"));
	assert_true(smtpprobe_result_has_ext(r, "ENHANCEDSTATUSCODES"));
	assert_true(smtpprobe_result_has_ext(r, "SIZE"));
	assert_false(smtpprobe_result_has_ext(r, "PIPELINING"));
	assert_false(smtpprobe_result_has_ext(r, "STARTTLS"));
	assert_int_equal(smtpprobe_result_size_limit(r), 10240000);
	assert_string_equal(smtpprobe_result_queue_id(r), "");

	CHECK_CMDS(ss_first_conn(f->srv), "EHLO client.probe.test", "QUIT");
	check_lockstep(ss_first_conn(f->srv));
	settle(f);
	assert_int_equal(f->ndone, 1);
}

/* Replies arrive a byte at a time and the banner is late and multi-line:
 * the result is the same, and nothing is sent before the banner is whole. */
static void
test_split_replies_and_late_banner(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = {
		.banner = "220-probe.test first line\r\n220 probe.test ESMTP\r\n",
		.banner_delay_ms = 30,
		.drip = true,
	};
	const smtpprobe_result *r;

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 }, { Q, "QUIT", 221 });
	/* Every line kept; the text reads from the first line on. */
	assert_string_equal(smtpprobe_exchange_text(r, 0), "probe.test first line probe.test ESMTP");
	assert_int_equal(smtpprobe_exchange_line_count(r, 0), 2);
	assert_string_equal(smtpprobe_exchange_line(r, 0, 0), "220-probe.test first line");
	assert_string_equal(smtpprobe_exchange_line(r, 0, 1), "220 probe.test ESMTP");
	assert_string_equal(smtpprobe_exchange_line(r, 0, 2), "");
	assert_string_equal(smtpprobe_result_banner_name(r), "probe.test");
	assert_string_equal(smtpprobe_result_caps(r), "SIZE=10240000 8BITMIME ENHANCEDSTATUSCODES");
	/* The banner took at least its delay; it was waited for, not cut short. */
	assert_true(smtpprobe_stage_usec(r, SMTPPROBE_STAGE_BANNER) >= 30000);
	assert_true(ss_first_conn(f->srv)->written > 100);
	check_lockstep(ss_first_conn(f->srv));
}

/* ============================================== 2. HELO fallback, LMTP */

static void
test_helo_fallback(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "EHLO", "502 5.5.1 EHLO not implemented\r\n", 0 },
		{ "HELO", "250 probe.test\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = rules };
	const smtpprobe_result *r;

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 502 },
		{ E, "HELO client.probe.test", 250 }, { Q, "QUIT", 221 });
	assert_string_equal(smtpprobe_result_greeting(r), "HELO");
	/* A fallback, not a failure: HELO's reply judges the stage. */
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_EHLO), 250);
	assert_string_equal(smtpprobe_result_caps(r), "");
	assert_false(smtpprobe_result_has_ext(r, "8BITMIME"));
	CHECK_CMDS(ss_first_conn(f->srv), "EHLO client.probe.test", "HELO client.probe.test", "QUIT");
}

/* 500 falls back too; 550 does not. */
static void
test_helo_fallback_on_500_not_550(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "EHLO", "550 5.7.1 go away\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = rules };
	const smtpprobe_result *r;

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_EHLO);
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 550 }, { Q, "QUIT", 221 });
	assert_int_equal(smtpprobe_result_decider(r), 1);
	assert_string_equal(smtpprobe_exchange_enhanced(r, 1), "5.7.1");
	assert_string_equal(smtpprobe_exchange_text(r, 1), "go away");
	assert_string_equal(smtpprobe_result_greeting(r), "");
}

static void
test_helo_fallback_on_500(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "EHLO", "500 unrecognised command\r\n", 0 },
		{ "HELO", "250 probe.test\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = rules };
	const smtpprobe_result *r;

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_greeting(r), "HELO");
	CHECK_CMDS(ss_first_conn(f->srv), "EHLO client.probe.test", "HELO client.probe.test", "QUIT");
}

static void
test_lmtp_lhlo(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = "220 lmtp.test LMTP\r\n" };
	const smtpprobe_result *r;

	assert_int_equal(smtpprobe_opts_set_lmtp(f->opts, true), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	CHECK_EX(r, { B, "", 220 }, { E, "LHLO client.probe.test", 250 }, { Q, "QUIT", 221 });
	assert_string_equal(smtpprobe_result_greeting(r), "LHLO");
	assert_true(smtpprobe_result_has_ext(r, "8BITMIME"));
	CHECK_CMDS(ss_first_conn(f->srv), "LHLO client.probe.test", "QUIT");
}

static void
test_lmtp_no_helo_fallback(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "LHLO", "502 5.5.1 no\r\n", 0 },
		{ "HELO", "250 probe.test\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = { .banner = "220 lmtp.test LMTP\r\n", .rules = rules };
	const smtpprobe_result *r;

	assert_int_equal(smtpprobe_opts_set_lmtp(f->opts, true), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_EHLO);
	assert_int_equal(smtpprobe_result_decider(r), 1);
	assert_string_equal(smtpprobe_exchange_command(r, 1), "LHLO client.probe.test");
	assert_int_equal(smtpprobe_exchange_code(r, 1), 502);
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_EHLO), 502);
	assert_string_equal(smtpprobe_result_greeting(r), "");
	/* No HELO, no MAIL: LHLO, then only QUIT. */
	CHECK_CMDS(ss_first_conn(f->srv), "LHLO client.probe.test", "QUIT");
}

/* ======================================= 3. transaction, with and without PIPELINING */

static void
test_transaction_lockstep(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	add_transaction(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	/* SIZE is advertised, but no message is sent: no SIZE= either. */
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 },
		{ M, "MAIL FROM:<sender@example.org>", 250 },
		{ RC, "RCPT TO:<a@example.org>", 250 }, { RC, "RCPT TO:<b@example.org>", 250 },
		{ RS, "RSET", 250 }, { Q, "QUIT", 221 });
	assert_string_equal(smtpprobe_exchange_enhanced(r, 3), "2.1.5");
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_RCPT), 250);
	assert_true(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_RSET));
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_DATA));
	CHECK_CMDS(ss_first_conn(f->srv), "EHLO client.probe.test", "MAIL FROM:<sender@example.org>",
		"RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "RSET", "QUIT");
	check_lockstep(ss_first_conn(f->srv));
}

/*
 * With PIPELINING the server holds every reply until QUIT arrives: the
 * probe can only finish if MAIL, both RCPTs, RSET and QUIT were sent
 * without waiting for a reply.
 */
static void
test_transaction_pipelined(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "EHLO", "250-probe.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", SS_HOLD },
		{ "RCPT", "250 2.1.5 Ok\r\n", SS_HOLD },
		{ "RSET", "250 2.0.0 Ok\r\n", SS_HOLD },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = rules };
	const smtpprobe_result *r;
	const struct ss_conn *c;

	add_transaction(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_true(smtpprobe_result_has_ext(r, "PIPELINING"));
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 },
		{ M, "MAIL FROM:<sender@example.org>", 250 },
		{ RC, "RCPT TO:<a@example.org>", 250 }, { RC, "RCPT TO:<b@example.org>", 250 },
		{ RS, "RSET", 250 }, { Q, "QUIT", 221 });
	c = ss_first_conn(f->srv);
	CHECK_CMDS(c, "EHLO client.probe.test", "MAIL FROM:<sender@example.org>",
		"RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "RSET", "QUIT");
	/* The group came after the EHLO reply, and whole before the MAIL reply. */
	assert_true(c->cmds[1].chunk > c->cmds[0].replied_at);
	for (unsigned i = 1; i < c->ncmds; i++)
		assert_true(c->cmds[i].chunk <= c->cmds[1].replied_at);
	print_message("# the pipelined group arrived in %u read(s)\n", c->cmds[5].chunk - c->cmds[1].chunk + 1);
}

/* ============================================= 3b. timing (SPEC 7) */

#define SLOW_RCPT_MS 300
#define SLOW_RCPT_US ((int64_t)SLOW_RCPT_MS * 1000)

/*
 * A server that answers MAIL at once and holds RCPT's reply 300 ms (the
 * replies after it wait behind it, in order).
 */
static const smtpprobe_result *
slow_rcpt(struct fx *f, bool pipelining_offered)
{
	static const struct ss_rule plain[] = {
		{ "EHLO", "250-probe.test\r\n250 8BITMIME\r\n", 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", 0 },
		{ "RCPT", "250 2.1.5 Ok\r\n", SS_DELAY(SLOW_RCPT_MS) },
		{ "RSET", "250 2.0.0 Ok\r\n", 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	static const struct ss_rule piped[] = {
		{ "EHLO", "250-probe.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", 0 },
		{ "RCPT", "250 2.1.5 Ok\r\n", SS_DELAY(SLOW_RCPT_MS) },
		{ "RSET", "250 2.0.0 Ok\r\n", 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	static struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	sc.rules = pipelining_offered ? piped : plain;
	assert_int_equal(smtpprobe_opts_set_from(f->opts, "sender@example.org"), 0);
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "a@example.org"), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 },
		{ M, "MAIL FROM:<sender@example.org>", 250 }, { RC, "RCPT TO:<a@example.org>", 250 },
		{ RS, "RSET", 250 }, { Q, "QUIT", 221 });
	return r;
}

/*
 * rcpt carries the server's delay, measured from its own write, and mail
 * does not: the time from RCPT's arrival to its reply leaving the server is
 * inside the library's rcpt time (one clock, CLOCK_MONOTONIC).
 */
static void
check_slow_rcpt(const smtpprobe_result *r, const struct ss_conn *c)
{
	int64_t mail = smtpprobe_stage_usec(r, SMTPPROBE_STAGE_MAIL);
	int64_t rcpt = smtpprobe_stage_usec(r, SMTPPROBE_STAGE_RCPT);
	int64_t held = c->cmds[2].replied_us - c->cmds[2].at_us;

	print_message("# mail %lld us, rcpt %lld us; the server held RCPT's reply %lld us\n",
		(long long)mail, (long long)rcpt, (long long)held);
	assert_string_equal(c->cmds[2].line, "RCPT TO:<a@example.org>");
	assert_true(held >= SLOW_RCPT_US - 1000);
	assert_true(rcpt + 1 >= held);
	assert_true(mail < SLOW_RCPT_US / 2);
	assert_int_equal(smtpprobe_exchange_usec(r, 3), rcpt);
	assert_int_equal(smtpprobe_exchange_usec(r, 2), mail);
}

/* One command at a time: each stage is its own round trip, one after the other. */
static void
check_one_at_a_time(const smtpprobe_result *r, const struct ss_conn *c)
{
	check_lockstep(c);
	check_slow_rcpt(r, c);
	for (int s = SMTPPROBE_STAGE_BANNER; s < SMTPPROBE_STAGE_COUNT; s++)
		assert_false(smtpprobe_stage_pipelined(r, (smtpprobe_stage)s));
	for (size_t i = 0; i < smtpprobe_exchange_count(r); i++)
		assert_false(smtpprobe_exchange_pipelined(r, i));
	/* RCPT was written after MAIL's reply; RSET after RCPT's: no overlap. */
	assert_true(smtpprobe_stage_start_usec(r, RC) >= smtpprobe_stage_start_usec(r, M) +
	    smtpprobe_stage_usec(r, M));
	assert_true(smtpprobe_stage_usec(r, RS) < SLOW_RCPT_US / 2);
	assert_true(smtpprobe_stage_usec(r, Q) < SLOW_RCPT_US / 2);
}

/* A server without PIPELINING. */
static void
test_timing_lockstep(void **state)
{
	struct fx *f = *state;
	const smtpprobe_result *r = slow_rcpt(f, false);

	check_one_at_a_time(r, ss_first_conn(f->srv));
}

/* PIPELINING offered, and declined: the same as without it (--no-pipelining). */
static void
test_timing_no_pipelining(void **state)
{
	struct fx *f = *state;
	const smtpprobe_result *r;

	assert_int_equal(smtpprobe_opts_set_pipelining(f->opts, false), 0);
	r = slow_rcpt(f, true);
	assert_true(smtpprobe_result_has_ext(r, "PIPELINING"));
	check_one_at_a_time(r, ss_first_conn(f->srv));
}

/*
 * Pipelined: MAIL, RCPT, RSET and QUIT left in one write and share its
 * time; MAIL's reply came at once, so mail is short and rcpt, rset and quit
 * (waiting behind RCPT's reply) each at least the one before.
 */
static void
test_timing_pipelined(void **state)
{
	struct fx *f = *state;
	const smtpprobe_result *r = slow_rcpt(f, true);
	const struct ss_conn *c = ss_first_conn(f->srv);
	int64_t t0 = smtpprobe_stage_start_usec(r, M);

	assert_int_equal(c->cmds[1].chunk, c->cmds[4].chunk);
	check_slow_rcpt(r, c);
	assert_false(smtpprobe_stage_pipelined(r, SMTPPROBE_STAGE_BANNER));
	assert_false(smtpprobe_stage_pipelined(r, SMTPPROBE_STAGE_EHLO));
	assert_false(smtpprobe_exchange_pipelined(r, 1));
	for (size_t i = 2; i < 6; i++) {
		smtpprobe_stage st = smtpprobe_exchange_stage(r, i);

		assert_true(smtpprobe_exchange_pipelined(r, i));
		assert_true(smtpprobe_stage_pipelined(r, st));
		assert_int_equal(smtpprobe_stage_start_usec(r, st), t0);
		assert_true(smtpprobe_stage_usec(r, st) >= smtpprobe_stage_usec(r, smtpprobe_exchange_stage(r, i - 1)) ||
		    i == 2);
	}
	assert_true(smtpprobe_stage_usec(r, Q) >= SLOW_RCPT_US - 1000);
}

/* ============================================= 4. RCPT verdicts */

static void
test_rcpt_550(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "RCPT TO:<a@", "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct ss_rule all[NELEM(ss_std_rules) + 1];
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = all };
	const smtpprobe_result *r;
	int d;

	all[0] = rules[0];
	memcpy(all + 1, ss_std_rules, sizeof(ss_std_rules));
	add_transaction(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT);
	d = smtpprobe_result_decider(r);
	assert_int_equal(d, 3);
	assert_string_equal(smtpprobe_exchange_command(r, (size_t)d), "RCPT TO:<a@example.org>");
	assert_int_equal(smtpprobe_exchange_code(r, (size_t)d), 550);
	assert_string_equal(smtpprobe_exchange_enhanced(r, (size_t)d), "5.1.1");
	assert_string_equal(smtpprobe_exchange_text(r, (size_t)d),
		"<a@example.org>: Recipient address rejected: User unknown");
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_RCPT), 550);
	/* Decided: the dialog winds down to QUIT, nothing more is asked. */
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 },
		{ M, "MAIL FROM:<sender@example.org>", 250 },
		{ RC, "RCPT TO:<a@example.org>", 550 }, { Q, "QUIT", 221 });
}

static void
test_rcpt_450(void **state)
{
	struct fx *f = *state;
	struct ss_rule all[NELEM(ss_std_rules) + 1];
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = all };
	const smtpprobe_result *r;

	all[0] = (struct ss_rule){ "RCPT", "450 4.2.0 <a@example.org>: Recipient address rejected: Greylisted\r\n", 0 };
	memcpy(all + 1, ss_std_rules, sizeof(ss_std_rules));
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "a@example.org"), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT);
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_RCPT), 450);
	assert_int_equal(smtpprobe_exchange_code(r, (size_t)smtpprobe_result_decider(r)), 450);
	assert_string_equal(smtpprobe_exchange_enhanced(r, (size_t)smtpprobe_result_decider(r)), "4.2.0");
	/* No -f: the null sender. */
	assert_string_equal(smtpprobe_exchange_command(r, 2), "MAIL FROM:<>");
}

static void
test_expect_rcpt_5_gets_550(void **state)
{
	struct fx *f = *state;
	struct ss_rule all[NELEM(ss_std_rules) + 1];
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = all };
	const smtpprobe_result *r;

	all[0] = (struct ss_rule){ "RCPT", "550 5.1.1 User unknown\r\n", 0 };
	memcpy(all + 1, ss_std_rules, sizeof(ss_std_rules));
	assert_int_equal(smtpprobe_opts_set_from(f->opts, "sender@example.org"), 0);
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "nobody@example.org"), 0);
	assert_int_equal(smtpprobe_opts_set_expect_class(f->opts, SMTPPROBE_STAGE_RCPT, 5), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_int_equal(smtpprobe_result_decider(r), -1);
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_RCPT), 550);
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 },
		{ M, "MAIL FROM:<sender@example.org>", 250 },
		{ RC, "RCPT TO:<nobody@example.org>", 550 }, { RS, "RSET", 250 }, { Q, "QUIT", 221 });
}

static void
test_expect_rcpt_5_gets_250(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	assert_int_equal(smtpprobe_opts_set_from(f->opts, "sender@example.org"), 0);
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "nobody@example.org"), 0);
	assert_int_equal(smtpprobe_opts_set_expect_class(f->opts, SMTPPROBE_STAGE_RCPT, 5), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT);
	assert_int_equal(smtpprobe_result_decider(r), 3);
	assert_int_equal(smtpprobe_exchange_code(r, 3), 250);
	assert_string_equal(smtpprobe_exchange_command(r, 3), "RCPT TO:<nobody@example.org>");
}

/* ============================================= 5. the message */

#define MEMSTR(buf, len, lit) memmem((buf), (len), (lit), sizeof(lit) - 1)

static const char body[] = ".leading dot\nsecond line\n..two dots\n.\nlast\n";

static void
add_message(struct fx *f)
{
	assert_int_equal(smtpprobe_opts_set_from(f->opts, "sender@example.org"), 0);
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "rcpt@example.org"), 0);
	assert_int_equal(smtpprobe_opts_set_data(f->opts, true), 0);
	assert_int_equal(smtpprobe_opts_set_subject(f->opts, "probe subject"), 0);
	assert_int_equal(smtpprobe_opts_add_header(f->opts, "X-Probe: yes"), 0);
	assert_int_equal(smtpprobe_opts_set_body(f->opts, body, strlen(body)), 0);
}

/* The message as the server got it: stuffed on the wire, restored after. */
static void
check_message(const struct ss_conn *c, size_t *rawlen, size_t *msglen)
{
	static const char wire_end[] =
		"\r\n..leading dot\r\nsecond line\r\n...two dots\r\n..\r\nlast\r\n.\r\n";
	static const char msg_end[] =
		"\r\n.leading dot\r\nsecond line\r\n..two dots\r\n.\r\nlast\r\n";
	size_t rl = evbuffer_get_length(c->raw), ml = evbuffer_get_length(c->msg);
	const char *raw = (const char *)evbuffer_pullup(c->raw, -1);
	const char *msg = (const char *)evbuffer_pullup(c->msg, -1);

	assert_true(c->msg_done);
	assert_true(rl > sizeof(wire_end) && ml > sizeof(msg_end));
	assert_memory_equal(raw + rl - (sizeof(wire_end) - 1), wire_end, sizeof(wire_end) - 1);
	assert_memory_equal(msg + ml - (sizeof(msg_end) - 1), msg_end, sizeof(msg_end) - 1);
	/* Headers end with an empty line; ours and the defaults are there. */
	assert_non_null(MEMSTR(msg, ml, "\r\nSubject: probe subject\r\n"));
	assert_non_null(MEMSTR(msg, ml, "\r\nX-Probe: yes\r\n"));
	assert_non_null(MEMSTR(msg, ml, "\r\n\r\n.leading dot\r\n"));
	/* Every line ends in CRLF: no bare LF reached the server. */
	for (size_t i = 0; i < rl; i++)
		if (raw[i] == '\n')
			assert_true(i > 0 && raw[i - 1] == '\r');
	*rawlen = rl;
	*msglen = ml;
}

static unsigned long
size_param(const char *mail)
{
	const char *s = strstr(mail, " SIZE=");
	char *end;
	unsigned long v;

	assert_non_null(s);
	v = strtoul(s + 6, &end, 10);
	assert_true(end != s + 6 && *end == '\0');
	return v;
}

static void
test_data_message(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;
	const struct ss_conn *c;
	size_t rawlen, msglen;
	char what[64];

	add_message(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_queue_id(r), "ABC123");
	c = ss_first_conn(f->srv);
	check_message(c, &rawlen, &msglen);
	/* The size said is the one SIZE= carries, not the bytes on the wire. */
	snprintf(what, sizeof(what), "message (%zu bytes)", msglen);
	assert_int_equal(smtpprobe_exchange_count(r), 7);
	assert_string_equal(smtpprobe_exchange_command(r, 4), "DATA");
	assert_int_equal(smtpprobe_exchange_code(r, 4), 354);
	assert_string_equal(smtpprobe_exchange_command(r, 5), what);
	assert_int_equal(smtpprobe_exchange_stage(r, 5), SMTPPROBE_STAGE_DATA);
	assert_int_equal(smtpprobe_exchange_code(r, 5), 250);
	assert_string_equal(smtpprobe_exchange_text(r, 5), "Ok: queued as ABC123");
	assert_string_equal(smtpprobe_exchange_command(r, 6), "QUIT");
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_RSET));
	assert_string_equal(c->cmds[3].line, "DATA");
	assert_string_equal(c->cmds[4].line, "QUIT");
	assert_int_equal(c->ncmds, 5);
	check_lockstep(c);
	/* The message went only after the 354. */
	assert_true(c->msg_first_chunk > c->cmds[3].replied_at);
	/*
	 * RFC 1870 section 4: the size counts the message's octets with its
	 * CRLFs, "but not the SMTP DATA command's terminating dot or doubled
	 * quoting dots" - the message the server ends up with.
	 */
	assert_true(strncmp(c->cmds[1].line, "MAIL FROM:<sender@example.org> SIZE=", 36) == 0);
	assert_string_equal(smtpprobe_exchange_command(r, 2), c->cmds[1].line);
	if (size_param(c->cmds[1].line) != msglen)
		print_message("# MAIL says SIZE=%lu; the message is %zu octets (%zu on the wire with "
			"dot-stuffing and the final \".\")\n", size_param(c->cmds[1].line), msglen, rawlen);
	assert_int_equal(size_param(c->cmds[1].line), msglen);
}

/*
 * With PIPELINING: MAIL, RCPT and DATA in one group (MAIL and RCPT replies
 * are held until DATA arrives), then the message, and QUIT only after its
 * reply (Haraka refuses a QUIT that comes with the final dot).
 */
static void
test_data_pipelined(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "EHLO", "250-probe.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n", 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", SS_HOLD },
		{ "RCPT", "250 2.1.5 Ok\r\n", SS_HOLD },
		{ "DATA", "354 go ahead\r\n", 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = {
		.banner = SS_STD_BANNER, .rules = rules,
		.data_reply = "250 2.0.0 Ok: queued as PIPE42\r\n",
	};
	const smtpprobe_result *r;
	const struct ss_conn *c;
	size_t rawlen, msglen;

	add_message(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_queue_id(r), "PIPE42");
	c = ss_first_conn(f->srv);
	check_message(c, &rawlen, &msglen);
	/* No SIZE advertised: no SIZE= sent. */
	CHECK_CMDS(c, "EHLO client.probe.test", "MAIL FROM:<sender@example.org>",
		"RCPT TO:<rcpt@example.org>", "DATA", "QUIT");
	assert_int_equal(smtpprobe_exchange_count(r), 7);
	assert_int_equal(smtpprobe_exchange_code(r, 2), 250);
	assert_int_equal(smtpprobe_exchange_code(r, 3), 250);
	assert_int_equal(smtpprobe_exchange_code(r, 4), 354);
	assert_int_equal(smtpprobe_exchange_code(r, 5), 250);
	assert_int_equal(smtpprobe_exchange_code(r, 6), 221);
	/* First group: after the EHLO reply, whole before the MAIL reply. */
	assert_true(c->cmds[1].chunk > c->cmds[0].replied_at);
	assert_true(c->cmds[3].chunk <= c->cmds[1].replied_at);
	/* The message after the 354; QUIT after the message's reply. */
	assert_true(c->msg_first_chunk > c->cmds[3].replied_at);
	assert_true(c->cmds[4].chunk > c->msg_reply_at);
}

/* ============================================= 5b. BDAT (RFC 3030) */

#define EHLO_CHUNKING "250-probe.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 CHUNKING\r\n"

/* "BDAT <n> LAST" with n the size MAIL declared, and the message as it is. */
static size_t
check_bdat(const smtpprobe_result *r, const struct ss_conn *c, unsigned mail, unsigned bdat)
{
	static const char msg_end[] =
		"\r\n.leading dot\r\nsecond line\r\n..two dots\r\n.\r\nlast\r\n";
	size_t n = size_param(c->cmds[mail].line), rl = evbuffer_get_length(c->raw);
	const char *raw = (const char *)evbuffer_pullup(c->raw, -1);
	char want[64];

	snprintf(want, sizeof(want), "BDAT %zu LAST", n);
	assert_string_equal(c->cmds[bdat].line, want);
	assert_true(smtpprobe_result_chunking(r));
	/* Not stuffed, no final dot: exactly the n octets counted. */
	assert_int_equal(rl, n);
	assert_true(rl > sizeof(msg_end));
	assert_memory_equal(raw + rl - (sizeof(msg_end) - 1), msg_end, sizeof(msg_end) - 1);
	assert_non_null(MEMSTR(raw, rl, "\r\nSubject: probe subject\r\n"));
	for (size_t i = 0; i < rl; i++)
		if (raw[i] == '\n')
			assert_true(i > 0 && raw[i - 1] == '\r');
	return n;
}

/*
 * With CHUNKING and PIPELINING: MAIL, RCPT and BDAT <n> LAST with the
 * message leave in one write (the server holds the MAIL and RCPT replies
 * until the chunk is read: the probe could not finish otherwise), and QUIT
 * with them: BDAT LAST ends the message, unlike the dot, and a delivery
 * check costs what a RCPT check costs. BDAT's reply carries the queue id.
 */
static void
test_bdat_pipelined(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "EHLO", EHLO_CHUNKING, 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", SS_HOLD },
		{ "RCPT", "250 2.1.5 Ok\r\n", SS_HOLD },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = {
		.banner = SS_STD_BANNER, .rules = rules,
		.data_reply = "250 2.0.0 Ok: 250 bytes queued as BDAT42\r\n",
	};
	const smtpprobe_result *r;
	const struct ss_conn *c;

	add_message(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_queue_id(r), "BDAT42");
	c = ss_first_conn(f->srv);
	assert_int_equal(c->ncmds, 5);
	assert_string_equal(c->cmds[2].line, "RCPT TO:<rcpt@example.org>");
	assert_string_equal(c->cmds[4].line, "QUIT");
	check_bdat(r, c, 1, 3);
	assert_true(c->msg_done);
	/* One read: MAIL, RCPT, BDAT and its chunk, before any reply. */
	assert_true(c->cmds[1].chunk > c->cmds[0].replied_at);
	assert_int_equal(c->cmds[3].chunk, c->cmds[1].chunk);
	assert_int_equal(c->msg_first_chunk, c->cmds[1].chunk);
	print_message("# MAIL, RCPT and BDAT arrived %lld us apart\n",
		(long long)(c->cmds[3].at_us - c->cmds[1].at_us));
	/* QUIT did not wait for the reply to the end of the message. */
	assert_true(c->cmds[4].chunk <= c->cmds[3].replied_at);
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 },
		{ M, c->cmds[1].line, 250 }, { RC, "RCPT TO:<rcpt@example.org>", 250 },
		{ D, c->cmds[3].line, 250 }, { Q, "QUIT", 221 });
	for (size_t i = 2; i <= 5; i++)
		assert_true(smtpprobe_exchange_pipelined(r, i));
	assert_true(smtpprobe_stage_pipelined(r, SMTPPROBE_STAGE_DATA));
	assert_int_equal(smtpprobe_stage_start_usec(r, D), smtpprobe_stage_start_usec(r, M));
	assert_true(smtpprobe_stage_usec(r, D) >= smtpprobe_stage_usec(r, RC));
	assert_int_equal(smtpprobe_stage_code(r, D), 250);
}

/*
 * The one recipient refused: with no recipient the server refuses BDAT
 * too (RFC 3030 with RFC 5321 3.3: 554 or 503), reads and drops the chunk,
 * and nothing is delivered. The verdict is the RCPT's, not BDAT's.
 */
static void
bdat_rcpt_refused(struct fx *f, const char *bdat_reply, int code)
{
	const struct ss_rule rules[] = {
		{ "EHLO", EHLO_CHUNKING, 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", 0 },
		{ "RCPT", "550 5.1.1 <rcpt@example.org>: Recipient address rejected: User unknown\r\n", 0 },
		{ "BDAT", bdat_reply, 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = rules };
	const smtpprobe_result *r;
	const struct ss_conn *c;

	add_message(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT);
	assert_int_equal(smtpprobe_result_decider(r), 3);
	assert_int_equal(smtpprobe_exchange_code(r, 3), 550);
	assert_string_equal(smtpprobe_exchange_enhanced(r, 3), "5.1.1");
	c = ss_first_conn(f->srv);
	check_bdat(r, c, 1, 3);
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 },
		{ M, c->cmds[1].line, 250 }, { RC, "RCPT TO:<rcpt@example.org>", 550 },
		{ D, c->cmds[3].line, code }, { Q, "QUIT", 221 });
	assert_int_equal(smtpprobe_stage_code(r, D), code);
	assert_string_equal(smtpprobe_result_queue_id(r), "");
	/* The chunk was read and dropped; QUIT came in the same write. */
	assert_false(c->msg_done);
	assert_int_equal(evbuffer_get_length(c->msg), 0);
	assert_int_equal(c->ncmds, 5);
	assert_string_equal(c->cmds[4].line, "QUIT");
	assert_int_equal(c->cmds[4].chunk, c->cmds[3].chunk);
}

static void
test_bdat_rcpt_refused_554(void **state)
{
	bdat_rcpt_refused(*state, "554 5.5.1 Error: no valid recipients\r\n", 554);
}

static void
test_bdat_rcpt_refused_503(void **state)
{
	bdat_rcpt_refused(*state, "503 5.5.1 Error: need RCPT command\r\n", 503);
}

/* --no-pipelining with CHUNKING: BDAT all the same, one command at a time. */
static void
test_bdat_no_pipelining(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "EHLO", EHLO_CHUNKING, 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", 0 },
		{ "RCPT", "250 2.1.5 Ok\r\n", 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = rules };
	const smtpprobe_result *r;
	const struct ss_conn *c;

	add_message(f);
	assert_int_equal(smtpprobe_opts_set_pipelining(f->opts, false), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_queue_id(r), "ABC123");
	c = ss_first_conn(f->srv);
	assert_int_equal(c->ncmds, 5);
	check_bdat(r, c, 1, 3);
	check_lockstep(c);
	assert_true(c->msg_first_chunk > c->cmds[2].replied_at);
	for (size_t i = 0; i < smtpprobe_exchange_count(r); i++)
		assert_false(smtpprobe_exchange_pipelined(r, i));
}

static void
two_recipients(struct fx *f)
{
	add_message(f);
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "b@example.org"), 0);
}

/*
 * Two recipients: BDAT LAST would deliver to the first should the second
 * be refused, so it waits for both RCPT replies (MAIL and the RCPTs still
 * one group), then leaves alone.
 */
static void
test_bdat_two_rcpts(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "EHLO", EHLO_CHUNKING, 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", SS_HOLD },
		{ "RCPT", "250 2.1.5 Ok\r\n", 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = rules };
	const smtpprobe_result *r;
	const struct ss_conn *c;

	two_recipients(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	c = ss_first_conn(f->srv);
	assert_int_equal(c->ncmds, 6);
	check_bdat(r, c, 1, 4);
	assert_int_equal(c->cmds[3].chunk, c->cmds[1].chunk);
	assert_true(c->cmds[4].chunk > c->cmds[3].replied_at);
	/* BDAT waited for both RCPT replies; QUIT went with it. */
	assert_int_equal(c->cmds[5].chunk, c->cmds[4].chunk);
	assert_true(smtpprobe_exchange_pipelined(r, 4));
	assert_true(smtpprobe_exchange_pipelined(r, 5));
	assert_true(smtpprobe_exchange_pipelined(r, 6));
}

/* The second of two recipients refused: no BDAT at all, nothing delivered. */
static void
test_bdat_two_rcpts_one_refused(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "EHLO", EHLO_CHUNKING, 0 },
		{ "RCPT TO:<b@", "550 5.1.1 User unknown\r\n", 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", 0 },
		{ "RCPT", "250 2.1.5 Ok\r\n", 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = { .banner = SS_STD_BANNER, .rules = rules };
	const smtpprobe_result *r;
	const struct ss_conn *c;

	two_recipients(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_RCPT);
	assert_int_equal(smtpprobe_result_decider(r), 4);
	assert_false(smtpprobe_result_chunking(r));
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_DATA));
	c = ss_first_conn(f->srv);
	CHECK_CMDS(c, "EHLO client.probe.test", c->cmds[1].line, "RCPT TO:<rcpt@example.org>",
		"RCPT TO:<b@example.org>", "QUIT");
	assert_int_equal(evbuffer_get_length(c->raw), 0);
	assert_false(c->msg_done);
}

/*
 * LMTP with BDAT: after BDAT LAST one answer per accepted recipient, as
 * after the dot (RFC 2033 4.2), each judged and named by its recipient.
 */
static void
test_bdat_lmtp(void **state)
{
	struct fx *f = *state;
	const struct ss_rule rules[] = {
		{ "LHLO", "250-lmtp.test\r\n250-PIPELINING\r\n250-SIZE\r\n250 CHUNKING\r\n", 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", 0 },
		{ "RCPT", "250 2.1.5 Ok\r\n", 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	const struct ss_script sc = {
		.banner = "220 lmtp.test LMTP\r\n", .rules = rules,
		.data_reply = "250 2.0.0 <rcpt@example.org> Saved\r\n"
			"452 4.2.2 <b@example.org> Mailbox full\r\n",
	};
	const smtpprobe_result *r;
	const struct ss_conn *c;

	two_recipients(f);
	assert_int_equal(smtpprobe_opts_set_lmtp(f->opts, true), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_DATA);
	c = ss_first_conn(f->srv);
	check_bdat(r, c, 1, 4);
	CHECK_EX(r, { B, "", 220 }, { E, "LHLO client.probe.test", 250 },
		{ M, c->cmds[1].line, 250 }, { RC, "RCPT TO:<rcpt@example.org>", 250 },
		{ RC, "RCPT TO:<b@example.org>", 250 },
		{ D, "delivery to <rcpt@example.org>", 250 }, { D, "delivery to <b@example.org>", 452 },
		{ Q, "QUIT", 221 });
	assert_int_equal(smtpprobe_result_decider(r), 6);
	assert_int_equal(smtpprobe_stage_code(r, D), 452);
	/* QUIT went with BDAT; both answers were read (above) before its 221. */
	assert_int_equal(c->ncmds, 6);
	assert_true(c->cmds[5].chunk <= c->cmds[4].replied_at);
}

/* ============================================= 6. faults */

static void
test_banner_421(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = "421 4.3.2 Service not available\r\n" };
	const smtpprobe_result *r;

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_REPLY, SMTPPROBE_STAGE_BANNER);
	assert_int_equal(smtpprobe_stage_code(r, SMTPPROBE_STAGE_BANNER), 421);
	assert_int_equal(smtpprobe_result_decider(r), 0);
	assert_string_equal(smtpprobe_exchange_command(r, 0), "");
	assert_int_equal(smtpprobe_exchange_code(r, 0), 421);
	assert_string_equal(smtpprobe_exchange_enhanced(r, 0), "4.3.2");
	assert_string_equal(smtpprobe_exchange_text(r, 0), "Service not available");
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_EHLO));
	/* Never greeted a server that refused us. */
	for (unsigned i = 0; i < ss_first_conn(f->srv)->ncmds; i++)
		assert_false(ss_has_prefix(ss_first_conn(f->srv)->cmds[i].line, "EHLO"));
}

static void
test_closed_after_banner(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER, .close_after_banner = true };
	const smtpprobe_result *r;

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_CLOSED, SMTPPROBE_STAGE_EHLO);
	assert_non_null(strstr(smtpprobe_result_reason(r), "during ehlo"));
	assert_int_equal(smtpprobe_exchange_code(r, 0), 220);
}

static void
test_closed_on_mail(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER, .close_after = 2 };
	const smtpprobe_result *r;

	add_transaction(f);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_CLOSED, SMTPPROBE_STAGE_MAIL);
	assert_string_equal(smtpprobe_result_reason(r), "connection closed by server during mail");
	assert_int_equal(smtpprobe_result_decider(r), -1);
	assert_int_equal(smtpprobe_exchange_code(r, 2), 0); /* MAIL got no reply */
	assert_string_equal(smtpprobe_exchange_command(r, 2), "MAIL FROM:<sender@example.org>");
}

static void
test_garbage_banner(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = "HTTP/1.1 400 Bad Request\r\n\r\n" };
	const smtpprobe_result *r;

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_PROTOCOL, SMTPPROBE_STAGE_BANNER);
	assert_non_null(strstr(smtpprobe_result_reason(r), "not an SMTP reply"));
	assert_int_equal(ss_first_conn(f->srv)->ncmds, 0);
}

static void
test_banner_timeout(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = NULL };
	const smtpprobe_result *r;

	assert_int_equal(smtpprobe_opts_set_timeout_ms(f->opts, 300), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_BANNER);
	assert_string_equal(smtpprobe_result_reason(r), "banner timeout after 0.300s");
	check_elapsed(f, 300000, 1000000);
	assert_true(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_BANNER));
	assert_true(smtpprobe_stage_usec(r, SMTPPROBE_STAGE_BANNER) > 200000);
	assert_int_equal(smtpprobe_exchange_count(r), 0);
	/* Nothing was said to a server that had not greeted us. */
	assert_int_equal(ss_first_conn(f->srv)->nreads, 0);
}

static void
test_reply_timeout(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER, .silent = true };
	const smtpprobe_result *r;

	assert_int_equal(smtpprobe_opts_set_timeout_ms(f->opts, 300), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_EHLO);
	assert_string_equal(smtpprobe_result_reason(r), "ehlo timeout after 0.300s");
	check_elapsed(f, 300000, 1000000);
	CHECK_CMDS(ss_first_conn(f->srv), "EHLO client.probe.test");
}

/* A byte every 50 ms would never trip an inactivity timer: the deadline ends it. */
static void
test_drip_forever_hits_deadline(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .drip_forever_ms = 50 };
	const smtpprobe_result *r;

	assert_int_equal(smtpprobe_opts_set_timeout_ms(f->opts, 300), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_BANNER);
	assert_string_equal(smtpprobe_result_reason(r), "banner timeout after 0.300s");
	check_elapsed(f, 300000, 1000000);
	assert_true(ss_first_conn(f->srv)->written >= 3);
	assert_int_equal(ss_first_conn(f->srv)->nreads, 0);
}

static void
test_connect_refused(void **state)
{
	struct fx *f = *state;
	unsigned port = ss_closed_port(f->base);
	const smtpprobe_result *r;
	char want[128];

	assert_int_equal(smtpprobe_opts_set_host(f->opts, "127.0.0.1", port), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_CONNECT, SMTPPROBE_STAGE_CONNECT);
	assert_true(strncmp(smtpprobe_result_reason(r), "connect failed:", 15) == 0);
	snprintf(want, sizeof(want), "connect failed: %s", strerror(ECONNREFUSED));
	assert_string_equal(smtpprobe_result_reason(r), want);
	assert_true(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_CONNECT));
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_BANNER));
	assert_int_equal(smtpprobe_exchange_count(r), 0);
	assert_int_equal(smtpprobe_result_port(r), port);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

/* ============================================= 6b. stopping early */

static void
test_quit_after_banner(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	add_transaction(f);
	assert_int_equal(smtpprobe_opts_set_quit_after(f->opts, SMTPPROBE_STAGE_BANNER), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	CHECK_EX(r, { B, "", 220 }, { Q, "QUIT", 221 });
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_EHLO));
	CHECK_CMDS(ss_first_conn(f->srv), "QUIT");
}

static void
test_quit_after_mail(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	add_transaction(f);
	assert_int_equal(smtpprobe_opts_set_quit_after(f->opts, SMTPPROBE_STAGE_MAIL), 0);
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	CHECK_EX(r, { B, "", 220 }, { E, "EHLO client.probe.test", 250 },
		{ M, "MAIL FROM:<sender@example.org>", 250 }, { Q, "QUIT", 221 });
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_RCPT));
	CHECK_CMDS(ss_first_conn(f->srv), "EHLO client.probe.test", "MAIL FROM:<sender@example.org>", "QUIT");
}

/* ==================================================================== */

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_default_dialog),
		T(test_split_replies_and_late_banner),
		T(test_helo_fallback),
		T(test_helo_fallback_on_500),
		T(test_helo_fallback_on_500_not_550),
		T(test_lmtp_lhlo),
		T(test_lmtp_no_helo_fallback),
		T(test_transaction_lockstep),
		T(test_transaction_pipelined),
		T(test_timing_lockstep),
		T(test_timing_no_pipelining),
		T(test_timing_pipelined),
		T(test_rcpt_550),
		T(test_rcpt_450),
		T(test_expect_rcpt_5_gets_550),
		T(test_expect_rcpt_5_gets_250),
		T(test_data_message),
		T(test_data_pipelined),
		T(test_bdat_pipelined),
		T(test_bdat_rcpt_refused_554),
		T(test_bdat_rcpt_refused_503),
		T(test_bdat_no_pipelining),
		T(test_bdat_two_rcpts),
		T(test_bdat_two_rcpts_one_refused),
		T(test_bdat_lmtp),
		T(test_banner_421),
		T(test_closed_after_banner),
		T(test_closed_on_mail),
		T(test_garbage_banner),
		T(test_banner_timeout),
		T(test_reply_timeout),
		T(test_drip_forever_hits_deadline),
		T(test_connect_refused),
		T(test_quit_after_banner),
		T(test_quit_after_mail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
