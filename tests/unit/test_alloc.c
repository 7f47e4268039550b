/* SPDX-License-Identifier: MIT */
/*
 * test_alloc.c - every out-of-memory path of a session, the way jansson's
 * test_chaos.c walks them: the Nth allocation fails, for every N from 1 to
 * the number of allocations a whole session makes.
 *
 * The library's sources are compiled into this program and linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,
 * --wrap=strndup,--wrap=free: every allocation made by the library's own
 * code goes through the counters below. libevent's, OpenSSL's and udns's
 * internal allocations are made inside their shared libraries and are NOT
 * counted or failed (they would also fail the in-process server, which
 * shares the event loop and the allocator; and their OOM handling is theirs
 * to test). What the library does when one of their calls fails is still
 * covered where the failure is ours to report.
 *
 * A session: smtpprobe_opts_new() and the setters, smtpprobe_probe_start(),
 * the event loop until the done callback, smtpprobe_probe_free(),
 * smtpprobe_opts_free(). With allocation N failed, it must end cleanly:
 *  - a setter returns -1 with errno ENOMEM, or
 *  - smtpprobe_probe_start() returns NULL with errno ENOMEM (and makes no
 *    callback), or
 *  - the done callback comes exactly once and the status is
 *    SMTPPROBE_E_INTERNAL;
 * and every block the library allocated is freed again (the wrappers keep
 * the live set), with no crash. Run under tools/sanitize.sh, ASan and LSan
 * check the rest.
 *
 * TAP output, one test per (scenario, N), summarised per scenario.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <smtpprobe.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ wrappers */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void __real_free(void *p);

/* The server's own allocations are not the library's: past the counters. */
#define SS_MALLOC __real_malloc
#define SS_CALLOC __real_calloc
#define SS_FREE __real_free
#include "../lib/scriptsrv.h"

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void __wrap_free(void *p);

static unsigned long alloc_count;  /* allocations seen since reset */
static unsigned long fail_at;      /* 0: none fails */
static bool failed_one;

/* The live set: blocks handed out by the wrappers and not yet freed. */
#define LIVE_MAX 65536
static void *live[LIVE_MAX];
static size_t nlive;
static bool live_overflow;

static void
live_add(void *p)
{
	if (p == NULL)
		return;
	if (nlive == LIVE_MAX) {
		live_overflow = true;
		return;
	}
	live[nlive++] = p;
}

/* @return true when p was ours (it may come from libevent or libc). */
static bool
live_del(void *p)
{
	for (size_t i = nlive; i > 0; i--) {
		if (live[i - 1] == p) {
			live[i - 1] = live[--nlive];
			return true;
		}
	}
	return false;
}

static bool
should_fail(void)
{
	alloc_count++;
	if (fail_at != 0 && alloc_count == fail_at) {
		failed_one = true;
		errno = ENOMEM;
		return true;
	}
	return false;
}

void *
__wrap_malloc(size_t n)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_malloc(n);
	live_add(p);
	return p;
}

void *
__wrap_calloc(size_t n, size_t m)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_calloc(n, m);
	live_add(p);
	return p;
}

void *
__wrap_realloc(void *old, size_t n)
{
	void *p;

	if (should_fail())
		return NULL; /* old stays valid, as realloc() promises */
	p = __real_realloc(old, n);
	if (p != NULL) {
		if (old != NULL)
			live_del(old);
		live_add(p);
	}
	return p;
}

char *
__wrap_strdup(const char *s)
{
	char *p;

	if (should_fail())
		return NULL;
	p = __real_strdup(s);
	live_add(p);
	return p;
}

char *
__wrap_strndup(const char *s, size_t n)
{
	char *p;

	if (should_fail())
		return NULL;
	p = __real_strndup(s, n);
	live_add(p);
	return p;
}

void
__wrap_free(void *p)
{
	if (p != NULL)
		live_del(p);
	__real_free(p);
}

/* ================================================================ TAP */

static unsigned t_n, t_failed;

static void
ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	t_n++;
	if (!cond)
		t_failed++;
	printf("%sok %u - ", cond ? "" : "not ", t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* ================================================================ sessions */

struct scenario {
	const char *name;
	enum ss_mode mode;
	bool transaction;  /* MAIL/RCPT */
	bool data;         /* and a message */
	unsigned timeout_ms;
	smtpprobe_status want; /* the outcome with no allocation failed */
};

static const struct scenario scenarios[] = {
	{ "default dialog", SS_OK, false, false, 5000, SMTPPROBE_OK },
	{ "MAIL, RCPT, DATA pipelined", SS_OK, true, true, 5000, SMTPPROBE_OK },
	{ "MAIL, RCPT, BDAT LAST (CHUNKING)", SS_CHUNKING, true, true, 5000, SMTPPROBE_OK },
	{ "RCPT 550", SS_RCPT550, true, false, 5000, SMTPPROBE_E_REPLY },
	{ "554 banner", SS_BANNER554, false, false, 5000, SMTPPROBE_E_REPLY },
	{ "silent server, deadline", SS_SILENT, false, false, 50, SMTPPROBE_E_TIMEOUT },
};

struct outcome {
	enum { O_SETTER, O_START, O_DONE, O_HUNG } how;
	int err;                    /* errno for O_SETTER/O_START */
	smtpprobe_status status;    /* for O_DONE */
	smtpprobe_stage stage;
	char reason[160];
	unsigned done_calls;
};

static struct event *guard_ev;
static bool guard_fired;

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	guard_fired = true;
}

static void
on_done(smtpprobe_probe *p, void *arg)
{
	struct outcome *o = arg;

	(void)p;
	o->done_calls++;
}

static int
set_opts(smtpprobe_opts *o, const struct scenario *sc, unsigned port)
{
	if (smtpprobe_opts_set_host(o, "127.0.0.1", port) == -1 ||
	    smtpprobe_opts_set_helo_name(o, "client.test") == -1 ||
	    smtpprobe_opts_set_timeout_ms(o, sc->timeout_ms) == -1)
		return -1;
	if (sc->transaction &&
	    (smtpprobe_opts_set_from(o, "probe@client.test") == -1 ||
	     smtpprobe_opts_add_rcpt(o, "alice@mini.test") == -1 ||
	     smtpprobe_opts_add_rcpt(o, "bob@mini.test") == -1))
		return -1;
	if (sc->data &&
	    (smtpprobe_opts_set_data(o, true) == -1 ||
	     smtpprobe_opts_set_subject(o, "alloc test") == -1 ||
	     smtpprobe_opts_add_header(o, "X-Test: yes") == -1 ||
	     smtpprobe_opts_set_body(o, "line\n.\nend\n", 11) == -1))
		return -1;
	return 0;
}

/* One whole session with allocation @p n failed (0: none). */
static void
session(struct event_base *base, const struct scenario *sc, unsigned port,
    unsigned long n, struct outcome *out)
{
	smtpprobe_callbacks cb = { on_done, NULL };
	smtpprobe_opts *o;
	smtpprobe_probe *p;
	struct timeval guard = { 30, 0 };

	memset(out, 0, sizeof(*out));
	alloc_count = 0;
	fail_at = n;
	failed_one = false;

	o = smtpprobe_opts_new();
	if (o == NULL || set_opts(o, sc, port) == -1) {
		out->how = O_SETTER;
		out->err = errno;
		smtpprobe_opts_free(o);
		fail_at = 0;
		return;
	}
	p = smtpprobe_probe_start(base, o, &cb, out);
	if (p == NULL) {
		out->how = O_START;
		out->err = errno;
		smtpprobe_opts_free(o);
		fail_at = 0;
		return;
	}
	/* The guard only ends a hung loop; the probe's deadline is much shorter. */
	guard_fired = false;
	evtimer_add(guard_ev, &guard);
	while (out->done_calls == 0 && !guard_fired)
		if (event_base_loop(base, EVLOOP_ONCE) == -1)
			break;
	evtimer_del(guard_ev);
	if (out->done_calls == 0) {
		out->how = O_HUNG;
	} else {
		const smtpprobe_result *r = smtpprobe_probe_result(p, 0);

		out->how = O_DONE;
		out->status = r != NULL ? smtpprobe_result_status(r) : SMTPPROBE_E_INTERNAL;
		out->stage = r != NULL ? smtpprobe_result_stage(r) : SMTPPROBE_STAGE_COUNT;
		snprintf(out->reason, sizeof(out->reason), "%s",
		    r != NULL ? smtpprobe_result_reason(r) : "(no result)");
	}
	smtpprobe_probe_free(p);
	smtpprobe_opts_free(o);
	fail_at = 0;
	/* Let the server see the close, so no connection outlives the session. */
	for (int i = 0; i < 50; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static const char *
how_name(int how)
{
	static const char *const names[] = { "setter", "start", "done", "hung" };

	return how >= 0 && how <= O_HUNG ? names[how] : "?";
}

/*
 * A failed allocation must end the session as SMTPPROBE_E_INTERNAL -- unless
 * the outcome was decided before it (the first failure decides, says the
 * API): then the verdict is the reference run's, same status and stage.
 * @return 1 good, 0 bad.
 */
static int
judge(const struct outcome *out, const struct outcome *ref)
{
	switch (out->how) {
	case O_SETTER:
	case O_START:
		return out->err == ENOMEM;
	case O_DONE:
		if (out->done_calls != 1)
			return 0;
		if (out->status == SMTPPROBE_E_INTERNAL)
			return 1;
		if (ref->status != SMTPPROBE_OK && out->status == ref->status &&
		    out->stage == ref->stage && strcmp(out->reason, ref->reason) == 0)
			return 1;
		return 0;
	default:
		return 0;
	}
}

static void
walk(struct event_base *base, const struct scenario *sc)
{
	struct ss_server *srv;
	struct outcome out, ref;
	unsigned long total, n, bad = 0, by[4] = { 0, 0, 0, 0 };

	if ((srv = ss_new(base, ss_mode_script(sc->mode))) == NULL) {
		ok(false, "%s: server", sc->name);
		return;
	}
	/* The reference run: nothing fails; it counts the allocations. */
	session(base, sc, srv->port, 0, &ref);
	total = alloc_count;
	ok(ref.how == O_DONE && ref.done_calls == 1 && ref.status == sc->want && nlive == 0,
	    "%s: reference session %s, %s, %lu allocations, %zu left live",
	    sc->name, how_name(ref.how), smtpprobe_status_name(ref.status), total, nlive);
	if (total == 0) {
		ss_free(srv);
		return;
	}
	for (n = 1; n <= total; n++) {
		int good;

		session(base, sc, srv->port, n, &out);
		by[out.how]++;
		good = judge(&out, &ref);
		if (!failed_one || nlive != 0)
			good = 0; /* fewer allocations this time, or a leak */
		if (good != 1) {
			bad++;
			t_n++;
			printf("not ok %u - %s: allocation %lu of %lu failed: %s (errno %d, status %s, "
			    "\"%s\", done %u times), %zu block%s leaked\n", t_n,
			    sc->name, n, total, how_name(out.how), out.err,
			    smtpprobe_status_name(out.status), out.reason, out.done_calls,
			    nlive, nlive == 1 ? "" : "s");
			t_failed++;
		}
		nlive = 0; /* report a leak once, where it happened */
	}
	ok(bad == 0, "%s: each of %lu allocations failed in turn: %lu ENOMEM from a setter, "
	    "%lu from probe_start, %lu done callbacks; no leak, no crash",
	    sc->name, total, by[O_SETTER], by[O_START], by[O_DONE]);
	ss_free(srv);
}

int
main(void)
{
	struct event_base *base;

	setvbuf(stdout, NULL, _IOLBF, 0);
	base = event_base_new();
	if (base == NULL) {
		printf("Bail out! event_base_new failed\n");
		return 99;
	}
	guard_ev = evtimer_new(base, guard_cb, NULL);
	if (guard_ev == NULL) {
		printf("Bail out! evtimer_new failed\n");
		return 99;
	}
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		walk(base, &scenarios[i]);
	event_free(guard_ev);
	ok(!live_overflow, "the live-block table never overflowed");
	printf("1..%u\n", t_n);
	event_base_free(base);
	return 0;
}
