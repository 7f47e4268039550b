/*
 * soak.c - many sessions through the library in one process: resident
 * memory must not grow once the process is warm.
 *
 *   soak [SESSIONS [CONCURRENCY]]      (default 100000 sessions, 64 at once)
 *
 * Every session builds its options, starts a probe on the shared event_base
 * against a server in this process (tests/soak/miniserver.h), waits for the
 * done callback and frees everything. The mix, by session number modulo 100:
 *   0-49  full transaction (MAIL, 2 RCPT, DATA with a message): OK
 *   50-59 default dialog (banner, EHLO, QUIT): OK
 *   60-74 RCPT 450 (greylisted): E_REPLY, WARNING for the plugin
 *   75-89 RCPT 550 (user unknown): E_REPLY, CRITICAL
 *   90-96 554 banner: E_REPLY
 *   97-99 a server that never answers, 100 ms deadline: E_TIMEOUT
 * (TLS sessions are not in the mix yet: the library's TLS is being written.)
 * Each session's status is checked against its kind.
 *
 * Memory is read with no session in flight (starting stops at each mark
 * until all before it have completed), after malloc_trim(0) so that memory
 * glibc keeps cached but unused is not mistaken for growth: VmRSS (with
 * RssAnon and RssFile) from /proc/self/status, and the heap in use
 * (mallinfo2), the exact figure a leak moves. The figure "after the first
 * 1,000" is the highest of five readings at 1,000, 1,250 ... 2,000
 * sessions: VmRSS is page-granular and moves by a few pages either way
 * between quiet moments (about +-1 % of this small process), so one low
 * reading must not set the bar. The run fails when the end figure exceeds
 * it by more than 1 %, for VmRSS, or for the heap in use (and by more than
 * HEAP_SLACK bytes). A leak of one byte per session fails both. Figures are
 * printed every 10 %.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <smtpprobe.h>

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "miniserver.h"

#define WARM 1000
#define MAX_GROWTH_PCT 1.0
/*
 * libevent's tables indexed by file descriptor grow once to the highest fd
 * the run reaches (a few hundred bytes, at any time): heap growth within
 * this much is not a leak. A leak of one byte per session is 100 kB.
 */
#define HEAP_SLACK 4096

enum kind { K_TRANSACTION, K_DEFAULT, K_450, K_550, K_554, K_SILENT, K_KINDS };

static const char *const kind_names[K_KINDS] = {
	"transaction", "default", "rcpt450", "rcpt550", "banner554", "timeout",
};

struct soak {
	struct event_base *base;
	struct ms_server srv[MS_MODES];
	unsigned long started, completed, wrong;
	unsigned long count[K_KINDS];
	unsigned inflight;
};

struct session {
	struct soak *s;
	enum kind kind;
	unsigned long n;
	smtpprobe_opts *opts;
};

static enum kind
kind_of(unsigned long n)
{
	unsigned m = (unsigned)(n % 100);

	if (m < 50)
		return K_TRANSACTION;
	if (m < 60)
		return K_DEFAULT;
	if (m < 75)
		return K_450;
	if (m < 90)
		return K_550;
	if (m < 97)
		return K_554;
	return K_SILENT;
}

static smtpprobe_status
expected(enum kind k)
{
	switch (k) {
	case K_TRANSACTION:
	case K_DEFAULT:
		return SMTPPROBE_OK;
	case K_SILENT:
		return SMTPPROBE_E_TIMEOUT;
	default:
		return SMTPPROBE_E_REPLY;
	}
}

/* Memory figures at a quiet moment (no session in flight). */
struct mem {
	long rss, anon, file; /* VmRSS, RssAnon, RssFile, kB */
	size_t heap;          /* bytes malloc has handed out and not had back */
};

static void
measure(struct mem *m)
{
	char line[256];
	struct mallinfo2 mi;
	FILE *f;

	malloc_trim(0);
	m->rss = m->anon = m->file = -1;
	if ((f = fopen("/proc/self/status", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			(void)sscanf(line, "VmRSS: %ld kB", &m->rss);
			(void)sscanf(line, "RssAnon: %ld kB", &m->anon);
			(void)sscanf(line, "RssFile: %ld kB", &m->file);
		}
		fclose(f);
	}
	mi = mallinfo2();
	m->heap = mi.uordblks + mi.hblkhd;
}

static void
print_mem(const char *what, const struct mem *m)
{
	printf("soak: %s: VmRSS %ld kB (anon %ld, file %ld), heap in use %zu bytes\n",
	    what, m->rss, m->anon, m->file, m->heap);
}

static void
on_done(smtpprobe_probe *p, void *arg)
{
	struct session *ss = arg;
	struct soak *s = ss->s;
	const smtpprobe_result *r = smtpprobe_probe_result(p, 0);
	smtpprobe_status st = r != NULL ? smtpprobe_result_status(r) : SMTPPROBE_E_INTERNAL;

	if (st != expected(ss->kind)) {
		if (s->wrong < 10)
			fprintf(stderr, "soak: session %lu (%s): %s, expected %s: %s\n",
			    ss->n, kind_names[ss->kind], smtpprobe_status_name(st),
			    smtpprobe_status_name(expected(ss->kind)),
			    r != NULL ? smtpprobe_result_reason(r) : "no result");
		s->wrong++;
	}
	s->count[ss->kind]++;
	s->completed++;
	s->inflight--;
	smtpprobe_probe_free(p);
	smtpprobe_opts_free(ss->opts);
	free(ss);
}

static int
start_one(struct soak *s)
{
	struct session *ss = calloc(1, sizeof(*ss));
	smtpprobe_callbacks cb = { on_done, NULL };
	enum ms_mode mode;
	smtpprobe_opts *o;
	int rc = 0;

	if (ss == NULL || (o = smtpprobe_opts_new()) == NULL) {
		free(ss);
		return -1;
	}
	ss->s = s;
	ss->n = s->started;
	ss->kind = kind_of(ss->n);
	ss->opts = o;
	mode = ss->kind == K_450 ? MS_RCPT450 : ss->kind == K_550 ? MS_RCPT550 :
	    ss->kind == K_554 ? MS_BANNER554 : ss->kind == K_SILENT ? MS_SILENT : MS_OK;
	rc |= smtpprobe_opts_set_host(o, "127.0.0.1", s->srv[mode].port);
	rc |= smtpprobe_opts_set_helo_name(o, "soak.client.test");
	rc |= smtpprobe_opts_set_timeout_ms(o, ss->kind == K_SILENT ? 100 : 10000);
	if (ss->kind == K_TRANSACTION || ss->kind == K_450 || ss->kind == K_550) {
		rc |= smtpprobe_opts_set_from(o, "probe@soak.client.test");
		rc |= smtpprobe_opts_add_rcpt(o, "alice@mini.test");
		rc |= smtpprobe_opts_add_rcpt(o, "bob@mini.test");
	}
	if (ss->kind == K_TRANSACTION) {
		rc |= smtpprobe_opts_set_data(o, true);
		rc |= smtpprobe_opts_set_subject(o, "soak");
		rc |= smtpprobe_opts_set_body(o, "soak test\n.\nend\n", 16);
	}
	if (rc != 0 || smtpprobe_probe_start(s->base, o, &cb, ss) == NULL) {
		smtpprobe_opts_free(o);
		free(ss);
		return -1;
	}
	s->started++;
	s->inflight++;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	unsigned conc = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 64;
	unsigned long mark;
	struct mem start, warm = { 0, 0, 0, 0 }, now = { 0, 0, 0, 0 };
	char what[64];
	double t0, growth, heap_growth;
	struct soak s;
	int rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (total < 2 * WARM || conc == 0 || conc > MS_MAX_CONNS / 2) {
		fprintf(stderr, "usage: soak [SESSIONS >= %d [CONCURRENCY 1..%d]]\n",
		    2 * WARM, MS_MAX_CONNS / 2);
		return 2;
	}
	memset(&s, 0, sizeof(s));
	if ((s.base = event_base_new()) == NULL)
		return 99;
	for (int m = 0; m < MS_MODES; m++)
		if (ms_init(&s.srv[m], s.base, (enum ms_mode)m) == -1) {
			perror("soak: listener");
			return 99;
		}
	measure(&start);
	printf("soak: %lu sessions, %u at once, libsmtpprobe %s\n", total, conc,
	    smtpprobe_version());
	print_mem("at start", &start);
	t0 = now_s();
	/*
	 * Checkpoints after WARM sessions and every tenth of the run: no new
	 * session starts until all before the mark have completed, so every
	 * figure is taken with nothing in flight.
	 */
	mark = WARM;
	while (s.completed < total) {
		while (s.inflight < conc && s.started < mark) {
			if (start_one(&s) == -1) {
				fprintf(stderr, "soak: cannot start session %lu\n", s.started);
				return 1;
			}
		}
		if (event_base_loop(s.base, EVLOOP_ONCE) == -1) {
			fprintf(stderr, "soak: event loop failed\n");
			return 1;
		}
		if (s.completed < mark)
			continue;
		/* Let the servers see every close before measuring. */
		for (int i = 0; i < 20; i++)
			event_base_loop(s.base, EVLOOP_NONBLOCK);
		measure(&now);
		snprintf(what, sizeof(what), "after %lu sessions (%.1f s)", s.completed, now_s() - t0);
		print_mem(what, &now);
		if (mark <= 2 * WARM) {
			/* The warm figure: the highest of five readings in 1,000-2,000. */
			if (now.rss > warm.rss)
				warm.rss = now.rss;
			if (now.heap > warm.heap)
				warm.heap = now.heap;
			mark += WARM / 4;
			if (mark > 2 * WARM)
				mark = total / 10 > 2 * WARM ? total / 10 : 2 * WARM + total / 10;
		} else {
			mark += total / 10;
		}
		if (mark > total || total - mark < total / 20)
			mark = total;
	}
	growth = 100.0 * (double)(now.rss - warm.rss) / (double)warm.rss;
	heap_growth = 100.0 * ((double)now.heap - (double)warm.heap) / (double)warm.heap;
	printf("soak: VmRSS after the first %d sessions %ld kB, after %lu sessions %ld kB: "
	    "growth %+ld kB (%+.2f %%), limit %.0f %%\n",
	    WARM, warm.rss, total, now.rss, now.rss - warm.rss, growth, MAX_GROWTH_PCT);
	printf("soak: heap in use after the first %d sessions %zu bytes, at the end %zu bytes: "
	    "%+ld bytes (%+.2f %%), limit %.0f %% and %d bytes\n", WARM, warm.heap, now.heap,
	    (long)now.heap - (long)warm.heap, heap_growth, MAX_GROWTH_PCT, HEAP_SLACK);
	printf("soak: %.1f s, %.0f sessions/s;", now_s() - t0, (double)total / (now_s() - t0));
	for (int k = 0; k < K_KINDS; k++)
		printf(" %s %lu", kind_names[k], s.count[k]);
	printf("; wrong outcome %lu\n", s.wrong);
	if (s.wrong != 0) {
		printf("soak: FAILED: %lu sessions ended otherwise than expected\n", s.wrong);
		rc = 1;
	}
	if (growth > MAX_GROWTH_PCT) {
		printf("soak: FAILED: resident memory grew by more than %.0f %%\n", MAX_GROWTH_PCT);
		rc = 1;
	}
	if (heap_growth > MAX_GROWTH_PCT && now.heap > warm.heap + HEAP_SLACK) {
		printf("soak: FAILED: heap in use grew by more than %.0f %% and %d bytes\n",
		    MAX_GROWTH_PCT, HEAP_SLACK);
		rc = 1;
	}
	for (int m = 0; m < MS_MODES; m++)
		ms_fini(&s.srv[m]);
	event_base_free(s.base);
	if (rc == 0)
		printf("soak: PASSED\n");
	return rc;
}
