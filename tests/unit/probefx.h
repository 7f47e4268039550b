/* SPDX-License-Identifier: MIT */
/*
 * probefx.h - the fixture of the unit tests that run probes through the
 * public API against the scripted server (tests/lib/scriptsrv.h) on one
 * event_base: setup and teardown, starting and running a probe to its one
 * callback, and the checks of a result's exchanges and of the commands the
 * server got. Shared by test_dialog.c and test_probe.c; every function is
 * static inline, so each includer compiles only what it uses.
 */
#ifndef SP_PROBEFX_H
#define SP_PROBEFX_H

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
static inline struct ss_server *
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

static inline int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd;
	(void)what;
	f->watchdog_fired = true;
	event_base_loopbreak(f->base);
}

static inline int
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

static inline int
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

static inline void
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
static inline void
serve(struct fx *f, const struct ss_script *sc)
{
	f->srv = server_new(f->base, sc);
	assert_int_equal(smtpprobe_opts_set_host(f->opts, "127.0.0.1", f->srv->port), 0);
}

static inline void
start(struct fx *f)
{
	f->t_start = mono_usec();
	f->probe = smtpprobe_probe_start(f->base, f->opts, &done_cb, f);
	assert_non_null(f->probe);
}

/* Runs the loop until a done callback breaks it (or the watchdog). */
static inline void
run(struct fx *f)
{
	static const struct timeval five = { 5, 0 };

	evtimer_add(f->watchdog, &five);
	event_base_dispatch(f->base);
	evtimer_del(f->watchdog);
	assert_false(f->watchdog_fired);
}

/* Runs the loop a little longer: a second callback would show here. */
static inline void
settle(struct fx *f)
{
	static const struct timeval ms20 = { 0, 20000 };

	event_base_loopexit(f->base, &ms20);
	event_base_dispatch(f->base);
}

/* Start, run to the end, and check the one callback. */
static inline const smtpprobe_result *
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

static inline void
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

static inline void
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

static inline void
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
static inline void
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
static inline void
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

static inline void
add_transaction(struct fx *f)
{
	assert_int_equal(smtpprobe_opts_set_from(f->opts, "sender@example.org"), 0);
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "a@example.org"), 0);
	assert_int_equal(smtpprobe_opts_add_rcpt(f->opts, "b@example.org"), 0);
}

static inline void
check_elapsed(const struct fx *f, int64_t lo, int64_t hi)
{
	int64_t took = f->t_done - f->t_start;

	if (took < lo || took > hi)
		print_message("# done after %lld us, wanted %lld..%lld\n",
			(long long)took, (long long)lo, (long long)hi);
	assert_true(took >= lo && took <= hi);
}

#endif
