/* SPDX-License-Identifier: MIT */
/*
 * test_probe.c - libsmtpprobe through its public API only, against a
 * scripted SMTP server that runs in this process on the same event_base.
 *
 * The server is a table per test: a banner, then for each command line
 * (matched by prefix, any case) the reply to send. A reply may be held
 * until a later command arrives, which is how the tests prove that the
 * client pipelined: it can only complete if it sent the later command
 * without waiting for the earlier reply. The server records every read()
 * chunk and, per command, in which chunk it arrived and after how many
 * chunks its reply left, so the tests can assert the order and grouping of
 * what was sent; it also notes when each command arrived and when its reply
 * left (CLOCK_MONOTONIC), and a reply may be delayed (a slow server), so the
 * tests can hold the library's stage times against the server's own.
 * Everything is event-driven: no sleeps, only event timers.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <smtpprobe.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ================================================================ server */

#define SS_ASSERT(c) assert_true(c)
#include "../lib/scriptsrv.h"

/* A scripted server on 127.0.0.1 (tests/lib/scriptsrv.h). */
static struct ss_server *
server_new(struct event_base *base, const struct ss_script *sc)
{
	struct ss_server *srv = ss_new(base, sc);

	assert_non_null(srv);
	assert_true(srv->port != 0);
	return srv;
}

/* ============================================================== fixture */

#define NMANY 200

struct fx {
	struct event_base *base;
	struct ss_server *srv;
	smtpprobe_opts *opts;
	smtpprobe_probe *probe;
	struct event *watchdog, *timer;
	bool watchdog_fired;
	/* done callbacks */
	int ndone;
	smtpprobe_probe *done_probe;
	bool done_flag_in_cb;      /* smtpprobe_probe_done() inside the callback */
	bool free_in_done;
	int64_t t_start, t_done;   /* CLOCK_MONOTONIC, usec */
	smtpprobe_status snap_status;
	smtpprobe_stage snap_stage;
	char snap_reason[256];
	/* many probes */
	smtpprobe_probe *many[NMANY];
	int nmany_done;
	/* a DNS server that never answers, and a hosts file */
	evutil_socket_t udp;
	unsigned udp_port;
	struct event *udp_ev;
	int dns_rcode;          /* what the responder answers */
	unsigned dns_queries;
	char hosts[64];
	/* what the timer does */
	enum { T_NONE, T_CANCEL, T_FREE } timer_action;
	int ndone_after_action;
};

static int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd;
	(void)what;
	f->watchdog_fired = true;
	event_base_loopbreak(f->base);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct event_config *cfg;

	if (f == NULL)
		return -1;
	f->udp = -1;
	/*
	 * Precise timers: by default libevent may use CLOCK_MONOTONIC_COARSE,
	 * and a 300 ms deadline then fires a jiffy before 300 ms have passed
	 * on the clock the tests measure with.
	 */
	if ((cfg = event_config_new()) == NULL ||
	    event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER) == -1)
		return -1;
	f->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	f->opts = smtpprobe_opts_new();
	f->watchdog = evtimer_new(f->base, watchdog_cb, f);
	if (f->base == NULL || f->opts == NULL || f->watchdog == NULL)
		return -1;
	/* A bug must fail the test, not hang it. */
	if (smtpprobe_opts_set_timeout_ms(f->opts, 3000) == -1 ||
	    smtpprobe_opts_set_helo_name(f->opts, "client.probe.test") == -1 ||
	    smtpprobe_opts_set_hosts_file(f->opts, NULL) == -1)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	smtpprobe_probe_free(f->probe);
	for (size_t i = 0; i < NMANY; i++)
		smtpprobe_probe_free(f->many[i]);
	smtpprobe_opts_free(f->opts);
	ss_free(f->srv);
	if (f->timer != NULL)
		event_free(f->timer);
	if (f->udp_ev != NULL)
		event_free(f->udp_ev);
	event_free(f->watchdog);
	event_base_free(f->base);
	if (f->udp != -1)
		evutil_closesocket(f->udp);
	if (f->hosts[0] != '\0')
		unlink(f->hosts);
	free(f);
	return 0;
}

static void
on_done(smtpprobe_probe *p, void *arg)
{
	struct fx *f = arg;
	const smtpprobe_result *r = smtpprobe_probe_result(p, 0);

	f->ndone++;
	f->t_done = mono_usec();
	f->done_probe = p;
	f->done_flag_in_cb = smtpprobe_probe_done(p);
	if (r != NULL) {
		f->snap_status = smtpprobe_result_status(r);
		f->snap_stage = smtpprobe_result_stage(r);
		snprintf(f->snap_reason, sizeof(f->snap_reason), "%s", smtpprobe_result_reason(r));
	} else {
		f->snap_status = SMTPPROBE_STATUS_COUNT;
		f->snap_stage = SMTPPROBE_STAGE_COUNT;
		snprintf(f->snap_reason, sizeof(f->snap_reason), "(no result)");
	}
	if (f->free_in_done) {
		smtpprobe_probe_free(p);
		if (f->probe == p)
			f->probe = NULL;
	}
	event_base_loopbreak(f->base);
}

static const smtpprobe_callbacks done_cb = { on_done, NULL };

/* A server with @p sc, and options aimed at it. */
static void
serve(struct fx *f, const struct ss_script *sc)
{
	f->srv = server_new(f->base, sc);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "127.0.0.1", f->srv->port), 0);
}

static void
start(struct fx *f)
{
	f->t_start = mono_usec();
	f->probe = smtpprobe_probe_start(f->base, f->opts, &done_cb, f);
	assert_non_null(f->probe);
}

/* Runs the loop until a done callback breaks it (or the watchdog). */
static void
run(struct fx *f)
{
	static const struct timeval five = { 5, 0 };

	evtimer_add(f->watchdog, &five);
	event_base_dispatch(f->base);
	evtimer_del(f->watchdog);
	assert_false(f->watchdog_fired);
}

/* Runs the loop a little longer: a second callback would show here. */
static void
settle(struct fx *f)
{
	static const struct timeval ms20 = { 0, 20000 };

	event_base_loopexit(f->base, &ms20);
	event_base_dispatch(f->base);
}

/* Start, run to the end, and check the one callback. */
static const smtpprobe_result *
probe(struct fx *f)
{
	start(f);
	run(f);
	assert_int_equal(f->ndone, 1);
	assert_ptr_equal(f->done_probe, f->probe);
	assert_true(smtpprobe_probe_done(f->probe));
	assert_true(smtpprobe_probe_count(f->probe) >= 1);
	return smtpprobe_probe_result(f->probe, smtpprobe_probe_count(f->probe) - 1);
}

static void
dump(const smtpprobe_result *r)
{
	print_message("# status %s stage %s reason \"%s\" decider %d notes \"%s\"\n",
		smtpprobe_status_name(smtpprobe_result_status(r)),
		smtpprobe_stage_name(smtpprobe_result_stage(r)),
		smtpprobe_result_reason(r), smtpprobe_result_decider(r),
		smtpprobe_result_notes(r));
	for (size_t i = 0; i < smtpprobe_exchange_count(r); i++)
		print_message("#  [%zu] %-6s \"%s\" -> %d \"%s\"\n", i,
			smtpprobe_stage_name(smtpprobe_exchange_stage(r, i)),
			smtpprobe_exchange_command(r, i), smtpprobe_exchange_code(r, i),
			smtpprobe_exchange_text(r, i));
}

static void
expect_status(const smtpprobe_result *r, smtpprobe_status st, smtpprobe_stage stage)
{
	if (smtpprobe_result_status(r) != st || smtpprobe_result_stage(r) != stage)
		dump(r);
	assert_string_equal(smtpprobe_status_name(smtpprobe_result_status(r)), smtpprobe_status_name(st));
	assert_string_equal(smtpprobe_stage_name(smtpprobe_result_stage(r)), smtpprobe_stage_name(stage));
}

struct xp {
	smtpprobe_stage stage;
	const char *cmd;
	int code;
};

static void
check_exchanges(const smtpprobe_result *r, const struct xp *x, size_t n)
{
	if (smtpprobe_exchange_count(r) != n)
		dump(r);
	assert_int_equal(smtpprobe_exchange_count(r), n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(smtpprobe_stage_name(smtpprobe_exchange_stage(r, i)),
			smtpprobe_stage_name(x[i].stage));
		assert_string_equal(smtpprobe_exchange_command(r, i), x[i].cmd);
		assert_int_equal(smtpprobe_exchange_code(r, i), x[i].code);
	}
}

#define CHECK_EX(r, ...) do { \
	const struct xp xs_[] = { __VA_ARGS__ }; \
	check_exchanges((r), xs_, NELEM(xs_)); \
} while (0)

#define B SMTPPROBE_STAGE_BANNER
#define E SMTPPROBE_STAGE_EHLO
#define M SMTPPROBE_STAGE_MAIL
#define RC SMTPPROBE_STAGE_RCPT
#define D SMTPPROBE_STAGE_DATA
#define RS SMTPPROBE_STAGE_RSET
#define Q SMTPPROBE_STAGE_QUIT

/* The commands the server got, in order. */
static void
check_server_cmds(const struct ss_conn *c, const char *const *want, size_t n)
{
	if (c->ncmds != n)
		for (unsigned i = 0; i < c->ncmds; i++)
			print_message("# server got [%u] \"%s\" in read %u\n", i, c->cmds[i].line, c->cmds[i].chunk);
	assert_int_equal(c->ncmds, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(c->cmds[i].line, want[i]);
}

#define CHECK_CMDS(c, ...) do { \
	const char *const cs_[] = { __VA_ARGS__ }; \
	check_server_cmds((c), cs_, NELEM(cs_)); \
} while (0)

/* Without PIPELINING: every command arrived after the previous one was answered. */
static void
check_lockstep(const struct ss_conn *c)
{
	assert_int_equal(c->early_bytes, 0);
	for (unsigned i = 1; i < c->ncmds; i++) {
		if (c->cmds[i].chunk <= c->cmds[i - 1].replied_at)
			print_message("# \"%s\" (read %u) came before \"%s\" was answered (after read %u)\n",
				c->cmds[i].line, c->cmds[i].chunk, c->cmds[i - 1].line, c->cmds[i - 1].replied_at);
		assert_true(c->cmds[i - 1].replied_at > 0);
		assert_true(c->cmds[i].chunk > c->cmds[i - 1].replied_at);
	}
}

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
add_transaction(struct fx *f)
{
	assert_int_equal(smtpprobe_opts_set_from(f->opts, "sender@example.org"), 0);
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "a@example.org"), 0);
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "b@example.org"), 0);
}

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
check_elapsed(const struct fx *f, int64_t lo, int64_t hi)
{
	int64_t took = f->t_done - f->t_start;

	if (took < lo || took > hi)
		print_message("# done after %lld us, wanted %lld..%lld\n",
			(long long)took, (long long)lo, (long long)hi);
	assert_true(took >= lo && took <= hi);
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

/* ============================================= 7. one completion */

static void
test_once_on_completion(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_true(f->done_flag_in_cb);
	settle(f);
	assert_int_equal(f->ndone, 1);
	/* Cancelling a finished probe changes nothing. */
	smtpprobe_probe_cancel(f->probe);
	assert_int_equal(f->ndone, 1);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	smtpprobe_probe_free(f->probe);
	f->probe = NULL;
	assert_int_equal(f->ndone, 1);
}

static void
test_cancel_while_connecting(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	serve(f, &sc);
	start(f);
	assert_false(smtpprobe_probe_done(f->probe));
	smtpprobe_probe_cancel(f->probe);
	assert_int_equal(f->ndone, 1);   /* before cancel returned */
	assert_true(f->done_flag_in_cb);
	assert_true(smtpprobe_probe_done(f->probe));
	r = smtpprobe_probe_result(f->probe, 0);
	assert_non_null(r);
	expect_status(r, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_CONNECT);
	smtpprobe_probe_cancel(f->probe);
	settle(f);
	assert_int_equal(f->ndone, 1);
	smtpprobe_probe_free(f->probe);
	f->probe = NULL;
	assert_int_equal(f->ndone, 1);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd;
	(void)what;
	switch (f->timer_action) {
	case T_CANCEL:
		smtpprobe_probe_cancel(f->probe);
		break;
	case T_FREE:
		smtpprobe_probe_free(f->probe);
		f->probe = NULL;
		break;
	case T_NONE:
		break;
	}
	f->ndone_after_action = f->ndone;
	event_base_loopbreak(f->base);
}

static void
set_timer(struct fx *f, unsigned ms)
{
	struct timeval tv = { 0, (suseconds_t)ms * 1000 };

	f->timer = evtimer_new(f->base, timer_cb, f);
	assert_non_null(f->timer);
	evtimer_add(f->timer, &tv);
}

static void
test_cancel_while_waiting_for_banner(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = NULL };
	const smtpprobe_result *r;

	serve(f, &sc);
	start(f);
	f->timer_action = T_CANCEL;
	set_timer(f, 100);
	run(f);
	assert_int_equal(f->ndone, 1);
	assert_int_equal(f->ndone_after_action, 1); /* the callback ran inside cancel */
	assert_int_equal(f->srv->naccepted, 1);
	r = smtpprobe_probe_result(f->probe, 0);
	expect_status(r, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_BANNER);
	assert_true(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_CONNECT));
	settle(f);
	assert_int_equal(f->ndone, 1);
	/* The connection was closed: the server saw EOF. */
	assert_true(ss_first_conn(f->srv)->closed);
}

static void
test_free_running_probe(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = NULL };

	serve(f, &sc);
	start(f);
	f->timer_action = T_FREE;
	set_timer(f, 100);
	run(f);
	assert_null(f->probe);
	assert_int_equal(f->ndone_after_action, 1);
	assert_int_equal(f->snap_status, SMTPPROBE_CANCELLED);
	assert_int_equal(f->snap_stage, SMTPPROBE_STAGE_BANNER);
	settle(f);
	assert_int_equal(f->ndone, 1);
	assert_true(ss_first_conn(f->srv)->closed);
}

/* The callback frees the probe too, as the header allows: no double free. */
static void
test_free_running_probe_callback_frees(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = NULL };
	smtpprobe_probe *p;

	serve(f, &sc);
	start(f);
	f->free_in_done = true;
	p = f->probe;
	f->probe = NULL;   /* the callback must not match it */
	smtpprobe_probe_free(p);
	assert_int_equal(f->ndone, 1);
	assert_int_equal(f->snap_status, SMTPPROBE_CANCELLED);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_done_frees_probe(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };

	serve(f, &sc);
	f->free_in_done = true;
	start(f);
	run(f);
	assert_int_equal(f->ndone, 1);
	assert_null(f->probe);
	assert_int_equal(f->snap_status, SMTPPROBE_OK);
	assert_int_equal(f->snap_stage, SMTPPROBE_STAGE_QUIT);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_done_frees_probe_on_timeout(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = NULL };

	assert_int_equal(smtpprobe_opts_set_timeout_ms(f->opts, 100), 0);
	serve(f, &sc);
	f->free_in_done = true;
	start(f);
	run(f);
	assert_int_equal(f->ndone, 1);
	assert_null(f->probe);
	assert_int_equal(f->snap_status, SMTPPROBE_E_TIMEOUT);
	assert_string_equal(f->snap_reason, "banner timeout after 0.100s");
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_done_frees_probe_on_cancel(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };

	serve(f, &sc);
	f->free_in_done = true;
	start(f);
	smtpprobe_probe_cancel(f->probe);
	assert_int_equal(f->ndone, 1);
	assert_null(f->probe);
	assert_int_equal(f->snap_status, SMTPPROBE_CANCELLED);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_start_refuses_no_host(void **state)
{
	struct fx *f = *state;
	smtpprobe_probe *p;

	errno = 0;
	p = smtpprobe_probe_start(f->base, f->opts, &done_cb, f);
	assert_null(p);
	assert_int_equal(errno, EINVAL);
	/* Nor without a done callback, or a base. */
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "127.0.0.1", 25), 0);
	errno = 0;
	assert_null(smtpprobe_probe_start(f->base, f->opts, &(smtpprobe_callbacks){ NULL, NULL }, f));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(smtpprobe_probe_start(NULL, f->opts, &done_cb, f));
	assert_int_equal(errno, EINVAL);
	settle(f);
	assert_int_equal(f->ndone, 0);
}

/* A DNS server that takes queries and never answers. */
static void
dns_sink(struct fx *f)
{
	struct sockaddr_in sin = { 0 };
	socklen_t len = sizeof(sin);

	f->udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->udp >= 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->udp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(f->udp, (struct sockaddr *)&sin, &len), 0);
	f->udp_port = ntohs(sin.sin_port);
	assert_int_equal(smtpprobe_opts_set_dns_server(f->opts, "127.0.0.1", f->udp_port), 0);
}

static bool
dns_sink_got_query(struct fx *f)
{
	char buf[512];

	return recv(f->udp, buf, sizeof(buf), MSG_DONTWAIT) > 0;
}

/*
 * A DNS server that answers: A queries with 127.0.0.1, AAAA with no data,
 * or everything with f->dns_rcode when that is set.
 */
static void
dns_answer_cb(evutil_socket_t fd, short what, void *arg)
{
	static const unsigned char a_rr[] = {
		0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1,
	};
	struct fx *f = arg;
	unsigned char q[512], out[600];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;
	size_t qend = 12, len;
	unsigned qtype;
	bool answer;

	(void)what;
	n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fromlen);
	if (n < 12)
		return;
	while (qend < (size_t)n && q[qend] != 0)
		qend += (size_t)q[qend] + 1;
	qend += 5;
	if (qend > (size_t)n)
		return;
	f->dns_queries++;
	qtype = (unsigned)q[qend - 4] << 8 | q[qend - 3];
	answer = f->dns_rcode == 0 && qtype == 1;
	memcpy(out, q, qend);
	out[2] = 0x81;                       /* QR, RD */
	out[3] = (unsigned char)(0x80 | f->dns_rcode); /* RA, rcode */
	out[4] = 0, out[5] = 1;              /* one question */
	out[6] = 0, out[7] = answer ? 1 : 0;
	memset(out + 8, 0, 4);               /* no authority, no additional */
	len = qend;
	if (answer) {
		memcpy(out + len, a_rr, sizeof(a_rr));
		len += sizeof(a_rr);
	}
	(void)sendto(fd, out, len, 0, (struct sockaddr *)&from, fromlen);
}

static void
dns_server(struct fx *f)
{
	dns_sink(f);
	f->udp_ev = event_new(f->base, f->udp, EV_READ | EV_PERSIST, dns_answer_cb, f);
	assert_non_null(f->udp_ev);
	event_add(f->udp_ev, NULL);
}

static void
test_dns_name(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	dns_server(f);
	f->srv = server_new(f->base, &sc);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "mx.probe.invalid", f->srv->port), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_host(r), "mx.probe.invalid");
	assert_string_equal(smtpprobe_result_addr(r), "127.0.0.1");
	assert_true(f->dns_queries >= 1);
	assert_true(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_DNS));
	assert_true(smtpprobe_probe_dns_usec(f->probe) > 0);
	assert_int_equal(smtpprobe_stage_usec(r, SMTPPROBE_STAGE_DNS), smtpprobe_probe_dns_usec(f->probe));
	assert_true(smtpprobe_stage_start_usec(r, SMTPPROBE_STAGE_CONNECT) >=
	    smtpprobe_stage_start_usec(r, SMTPPROBE_STAGE_DNS) + smtpprobe_probe_dns_usec(f->probe));
	/* Freeing a probe that used the resolver must be clean too. */
	smtpprobe_probe_free(f->probe);
	f->probe = NULL;
	assert_int_equal(f->ndone, 1);
}

static void
test_dns_nxdomain(void **state)
{
	struct fx *f = *state;
	const smtpprobe_result *r;

	dns_server(f);
	f->dns_rcode = 3;
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nx.probe.invalid", 2525), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS);
	assert_string_equal(smtpprobe_result_reason(r), "DNS lookup of nx.probe.invalid failed: NXDOMAIN");
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_CONNECT));
	assert_int_equal(smtpprobe_exchange_count(r), 0);
}

static void
test_cancel_during_dns(void **state)
{
	struct fx *f = *state;
	const smtpprobe_result *r;

	dns_sink(f);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nowhere.invalid", 2525), 0);
	start(f);
	smtpprobe_probe_cancel(f->probe);
	assert_int_equal(f->ndone, 1);
	r = smtpprobe_probe_result(f->probe, 0);
	assert_non_null(r);
	expect_status(r, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_DNS);
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_free_during_dns(void **state)
{
	struct fx *f = *state;

	dns_sink(f);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nowhere.invalid", 2525), 0);
	start(f);
	f->timer_action = T_FREE;
	set_timer(f, 50);
	run(f);
	assert_int_equal(f->ndone_after_action, 1);
	assert_int_equal(f->snap_status, SMTPPROBE_CANCELLED);
	assert_int_equal(f->snap_stage, SMTPPROBE_STAGE_DNS);
	assert_true(dns_sink_got_query(f));
	settle(f);
	assert_int_equal(f->ndone, 1);
}

static void
test_dns_timeout(void **state)
{
	struct fx *f = *state;
	const smtpprobe_result *r;

	dns_sink(f);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nowhere.invalid", 2525), 0);
	assert_int_equal(smtpprobe_opts_set_timeout_ms(f->opts, 300), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_DNS);
	assert_string_equal(smtpprobe_result_reason(r), "dns timeout after 0.300s");
	check_elapsed(f, 300000, 1000000);
	assert_true(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_DNS));
	assert_true(smtpprobe_probe_dns_usec(f->probe) >= 250000);
	assert_true(dns_sink_got_query(f));
}

/*
 * "A session can be created and destroyed a million times in one process
 * without growth": the heap in use must not grow with the number of probes
 * started, cancelled during DNS and freed. (Under valgrind or ASan the
 * allocator is replaced and this measures nothing; they see leaks anyway.)
 */
static size_t
heap_in_use(void)
{
	return mallinfo2().uordblks;
}

static void
test_no_growth_dns_cancel(void **state)
{
	struct fx *f = *state;
	size_t before, after;

	dns_sink(f);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "nowhere.invalid", 2525), 0);
	for (int round = 0; round < 2; round++) {
		before = heap_in_use();
		for (int i = 0; i < 300; i++) {
			start(f);
			smtpprobe_probe_cancel(f->probe);
			smtpprobe_probe_free(f->probe);
			f->probe = NULL;
		}
		after = heap_in_use();
	}
	assert_int_equal(f->ndone, 600);
	if (after > before + 300 * 16)
		print_message("# heap grew by %zu bytes over 300 probes\n", after - before);
	assert_true(after <= before + 300 * 16);
}

static void
test_no_growth_dialogs(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	size_t before = 0, after = 0;

	serve(f, &sc);
	for (int round = 0; round < 2; round++) {
		before = heap_in_use();
		for (int i = 0; i < 100; i++) {
			f->ndone = 0;
			(void)probe(f);
			smtpprobe_probe_free(f->probe);
			f->probe = NULL;
		}
		/* The server's records of past connections are not the library's. */
		ss_free(f->srv);
		serve(f, &sc);
		after = heap_in_use();
	}
	if (after > before + 100 * 16)
		print_message("# heap grew by %zu bytes over 100 dialogs\n", after - before);
	assert_true(after <= before + 100 * 16);
}

/* ============================================= 8. many probes */

static void
on_many_done(smtpprobe_probe *p, void *arg)
{
	struct fx *f = arg;

	(void)p;
	if (++f->nmany_done == NMANY)
		event_base_loopbreak(f->base);
}

static void
test_many_probes(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_callbacks cb = { on_many_done, NULL };
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 3 * NMANY) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 1024 ? 1024 : rl.rlim_max;
		if (rl.rlim_cur < 3 * NMANY || setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			print_message("# RLIMIT_NOFILE too low for %d probes\n", NMANY);
			skip();
		}
	}
	serve(f, &sc);
	for (size_t i = 0; i < NMANY; i++) {
		f->many[i] = smtpprobe_probe_start(f->base, f->opts, &cb, f);
		assert_non_null(f->many[i]);
	}
	run(f);
	assert_int_equal(f->nmany_done, NMANY);
	for (size_t i = 0; i < NMANY; i++) {
		const smtpprobe_result *r = smtpprobe_probe_result(f->many[i], 0);

		assert_true(smtpprobe_probe_done(f->many[i]));
		expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
		assert_int_equal(smtpprobe_exchange_count(r), 3);
	}
	assert_int_equal(f->srv->naccepted, NMANY);
	assert_int_equal(f->srv->nquits, NMANY);
	settle(f);
	assert_int_equal(f->nmany_done, NMANY);
}

/* ============================================= 9. options */

#define REFUSED(call) do { \
	errno = 0; \
	assert_int_equal((call), -1); \
	assert_int_equal(errno, EINVAL); \
} while (0)

static void
test_options_refuse_crlf(void **state)
{
	struct fx *f = *state;
	smtpprobe_opts *o = f->opts;
	static const char *const bad[] = {
		"a\r\nRCPT TO:<x@y>", "a\rb", "a\nb", "\r\n", "trailing\n",
	};

	for (size_t i = 0; i < NELEM(bad); i++) {
		REFUSED(smtpprobe_opts_set_from(o, bad[i]));
		REFUSED(smtpprobe_opts_add_rcpt(o, bad[i]));
		REFUSED(smtpprobe_opts_set_helo_name(o, bad[i]));
		REFUSED(smtpprobe_opts_add_command(o, bad[i]));
		REFUSED(smtpprobe_opts_set_subject(o, bad[i]));
		REFUSED(smtpprobe_opts_set_notify(o, bad[i]));
		REFUSED(smtpprobe_opts_set_host(o, bad[i], 25));
	}
	REFUSED(smtpprobe_opts_add_header(o, "X-A: b\r\nBcc: victim@example.org"));
	REFUSED(smtpprobe_opts_add_header(o, "X-A: b\n"));
	REFUSED(smtpprobe_opts_add_header(o, "X-A:\rb"));
	REFUSED(smtpprobe_opts_set_body(o, "a\0b", 3));
	/* The good ones still pass. */
	assert_int_equal(smtpprobe_opts_set_from(o, ""), 0);
	assert_int_equal(smtpprobe_opts_add_header(o, "X-A: b"), 0);
	assert_int_equal(smtpprobe_opts_set_notify(o, "SUCCESS,FAILURE"), 0);
	assert_int_equal(smtpprobe_opts_add_command(o, "NOOP"), 0);
}

/* A refused value leaves nothing behind: the dialog is the default one. */
static void
test_options_refused_values_not_sent(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	REFUSED(smtpprobe_opts_add_command(f->opts, "NOOP\r\nVRFY root"));
	REFUSED(smtpprobe_opts_add_rcpt(f->opts, "x@y>\r\nRCPT TO:<z@w"));
	REFUSED(smtpprobe_opts_set_helo_name(f->opts, "evil\r\nMAIL FROM:<x>"));
	serve(f, &sc);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	CHECK_CMDS(ss_first_conn(f->srv), "EHLO client.probe.test", "QUIT");
}

static void
test_options_refuse_brackets_and_space(void **state)
{
	struct fx *f = *state;
	smtpprobe_opts *o = f->opts;
	static const char *const bad[] = {
		"<a@example.org>", "a@example.org>", "<a@example.org", "a b@example.org",
		"a@example.org SIZE=1", "a@example.org\tx",
	};

	for (size_t i = 0; i < NELEM(bad); i++) {
		REFUSED(smtpprobe_opts_set_from(o, bad[i]));
		REFUSED(smtpprobe_opts_add_rcpt(o, bad[i]));
	}
	REFUSED(smtpprobe_opts_add_rcpt(o, ""));
	REFUSED(smtpprobe_opts_add_rcpt(o, NULL));
	REFUSED(smtpprobe_opts_set_notify(o, "SUCCESS FAILURE"));
	assert_int_equal(smtpprobe_opts_add_rcpt(o, "a@example.org"), 0);
}

static void
test_options_ranges(void **state)
{
	struct fx *f = *state;
	smtpprobe_opts *o = f->opts;

	REFUSED(smtpprobe_opts_set_quit_after(o, SMTPPROBE_STAGE_DATA));
	REFUSED(smtpprobe_opts_set_quit_after(o, SMTPPROBE_STAGE_QUIT));
	REFUSED(smtpprobe_opts_set_quit_after(o, SMTPPROBE_STAGE_DNS));
	REFUSED(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 3));
	REFUSED(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 1));
	REFUSED(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 6));
	REFUSED(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_COUNT, 2));
	REFUSED(smtpprobe_opts_set_timeout_ms(o, 0));
	REFUSED(smtpprobe_opts_set_host(o, NULL, 25));
	REFUSED(smtpprobe_opts_set_host(o, "", 25));
	REFUSED(smtpprobe_opts_set_host(o, "127.0.0.1", 65536));
	REFUSED(smtpprobe_opts_set_family(o, (smtpprobe_family)7));
	assert_int_equal(smtpprobe_opts_set_quit_after(o, SMTPPROBE_STAGE_RCPT), 0);
	assert_int_equal(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 4), 0);
	assert_int_equal(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 0), 0);
	assert_int_equal(smtpprobe_opts_set_timeout_ms(o, 1), 0);
}

/* set_port keeps the targets, and what was set reads back as set. */
static void
test_options_read_back(void **state)
{
	smtpprobe_opts *o = smtpprobe_opts_new();

	(void)state;
	assert_non_null(o);
	assert_int_equal(smtpprobe_opts_port(o), 0);
	assert_int_equal(smtpprobe_opts_host_count(o), 0);
	assert_null(smtpprobe_opts_mx_domain(o));
	assert_int_equal(smtpprobe_opts_max_targets(o), 32);
	assert_int_equal(smtpprobe_opts_expect_class(o, SMTPPROBE_STAGE_RCPT), 0);
	assert_int_equal(smtpprobe_opts_expect_class(o, SMTPPROBE_STAGE_COUNT), 0);

	assert_int_equal(smtpprobe_opts_set_host(o, "a.example.org", 0), 0);
	assert_int_equal(smtpprobe_opts_add_host(o, "b.example.org"), 0);
	assert_int_equal(smtpprobe_opts_set_port(o, 2525), 0);
	assert_int_equal(smtpprobe_opts_port(o), 2525);
	assert_int_equal(smtpprobe_opts_host_count(o), 2);
	REFUSED(smtpprobe_opts_set_port(o, 65536));
	assert_int_equal(smtpprobe_opts_port(o), 2525);

	assert_int_equal(smtpprobe_opts_set_mx(o, "example.org", smtpprobe_opts_port(o)), 0);
	assert_int_equal(smtpprobe_opts_host_count(o), 0);
	assert_string_equal(smtpprobe_opts_mx_domain(o), "example.org");
	assert_int_equal(smtpprobe_opts_port(o), 2525);
	assert_int_equal(smtpprobe_opts_set_port(o, 0), 0);
	assert_string_equal(smtpprobe_opts_mx_domain(o), "example.org");

	assert_int_equal(smtpprobe_opts_set_max_targets(o, 5), 0);
	assert_int_equal(smtpprobe_opts_max_targets(o), 5);
	assert_int_equal(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 5), 0);
	assert_int_equal(smtpprobe_opts_expect_class(o, SMTPPROBE_STAGE_RCPT), 5);
	smtpprobe_opts_free(o);
}

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

/* ============================================= 10, 11. hosts file */

static void
hosts_file(struct fx *f, const char *text)
{
	int fd;

	snprintf(f->hosts, sizeof(f->hosts), "/tmp/test_probe_hosts.XXXXXX");
	fd = mkstemp(f->hosts);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(smtpprobe_opts_set_hosts_file(f->opts, f->hosts), 0);
}

static void
test_hosts_file_name(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;

	dns_sink(f);
	f->srv = server_new(f->base, &sc);
	hosts_file(f, "# test\n10.0.0.1 other.invalid\n127.0.0.1\tprobe-test.invalid alias.invalid\n");
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "probe-test.invalid", f->srv->port), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_addr(r), "127.0.0.1");
	assert_string_equal(smtpprobe_result_host(r), "probe-test.invalid");
	assert_int_equal(smtpprobe_result_port(r), f->srv->port);
	assert_false(smtpprobe_stage_ran(r, SMTPPROBE_STAGE_DNS));
	assert_int_equal(smtpprobe_probe_dns_usec(f->probe), -1);
	assert_false(dns_sink_got_query(f));
	assert_int_equal(f->srv->naccepted, 1);
}

static bool
ipv6_loopback_usable(void)
{
	struct sockaddr_in6 sin6 = { 0 };
	evutil_socket_t fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	evutil_closesocket(fd);
	return ok;
}

static void
test_fallback_across_addresses(void **state)
{
	struct fx *f = *state;
	const struct ss_script sc = { .banner = SS_STD_BANNER };
	const smtpprobe_result *r;
	const char *notes;

	if (!ipv6_loopback_usable()) {
		print_message("# ::1 is not usable here\n");
		skip();
	}
	dns_sink(f);
	f->srv = server_new(f->base, &sc);  /* 127.0.0.1 only */
	hosts_file(f, "::1 two.invalid\n127.0.0.1 two.invalid\n");
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "two.invalid", f->srv->port), 0);
	r = probe(f);
	expect_status(r, SMTPPROBE_OK, SMTPPROBE_STAGE_QUIT);
	assert_string_equal(smtpprobe_result_addr(r), "127.0.0.1");
	assert_string_equal(smtpprobe_result_host(r), "two.invalid");
	notes = smtpprobe_result_notes(r);
	print_message("# notes: %s\n", notes);
	assert_non_null(strstr(notes, "::1"));
	assert_non_null(strstr(notes, strerror(ECONNREFUSED)));
	assert_false(dns_sink_got_query(f));
	assert_int_equal(f->srv->naccepted, 1);
	settle(f);
	assert_int_equal(f->ndone, 1);
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
		T(test_once_on_completion),
		T(test_cancel_while_connecting),
		T(test_cancel_while_waiting_for_banner),
		T(test_free_running_probe),
		T(test_free_running_probe_callback_frees),
		T(test_done_frees_probe),
		T(test_done_frees_probe_on_timeout),
		T(test_done_frees_probe_on_cancel),
		T(test_start_refuses_no_host),
		T(test_dns_name),
		T(test_dns_nxdomain),
		T(test_cancel_during_dns),
		T(test_free_during_dns),
		T(test_dns_timeout),
		T(test_no_growth_dns_cancel),
		T(test_no_growth_dialogs),
		T(test_many_probes),
		T(test_options_refuse_crlf),
		T(test_options_refused_values_not_sent),
		T(test_options_refuse_brackets_and_space),
		T(test_options_ranges),
		T(test_options_read_back),
		T(test_quit_after_banner),
		T(test_quit_after_mail),
		T(test_hosts_file_name),
		T(test_fallback_across_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
