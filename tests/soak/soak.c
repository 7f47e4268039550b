/* SPDX-License-Identifier: MIT */
/*
 * soak.c - many sessions through the library in one process: resident
 * memory must not grow once the process is warm.
 *
 *   soak [SESSIONS [CONCURRENCY]]      (default 100000 sessions, 64 at once)
 *
 * Every session builds its options, starts a probe on the shared event_base
 * against a server in this process (tests/lib/scriptsrv.h), waits for the
 * done callback and frees everything. The mix, by session number modulo 100:
 *   0-43  full transaction (MAIL, 2 RCPT, DATA with a message): OK
 *   44-46 the same after STARTTLS: OK
 *   47-49 the same over implicit TLS (SMTPS): OK
 *   50-58 default dialog (banner, EHLO, QUIT): OK
 *   59    implicit TLS, the certificate checked against another name: E_CERT
 *   60-74 RCPT 450 (greylisted): E_REPLY, WARNING for the plugin
 *   75-89 RCPT 550 (user unknown): E_REPLY, CRITICAL
 *   90-95 554 banner: E_REPLY
 *   96    implicit TLS against a plain SMTP server: E_TLS
 *   97-99 a server that never answers, 100 ms deadline: E_TIMEOUT
 * Each session's status is checked against its kind, and a TLS session that
 * ends OK must report its TLS version (so TLS was really used).
 *
 * TLS: 8 % of the sessions, 7 % with a full handshake (OpenSSL on both
 * ends, in this process, so a larger share would mostly time OpenSSL's
 * handshakes). The client verifies the mini server's self-signed certificate
 * (made at start, written to a temporary file given as the CA file) with
 * verification on, as the plugin does by default; it resumes no sessions,
 * so every one is a full handshake.
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
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SS_TLS 1
#include "../lib/scriptsrv.h"

#define MAX_CONC 512

#define WARM 1000
#define MAX_GROWTH_PCT 1.0
/*
 * libevent's tables indexed by file descriptor grow once to the highest fd
 * the run reaches (a few hundred bytes, at any time): heap growth within
 * this much is not a leak. A leak of one byte per session is 100 kB.
 */
#define HEAP_SLACK 4096

enum kind {
	K_TRANSACTION, K_STARTTLS, K_SMTPS, K_DEFAULT, K_BADNAME, K_450, K_550, K_554,
	K_NOTTLS, K_SILENT, K_KINDS
};

static const char *const kind_names[K_KINDS] = {
	"transaction", "starttls", "smtps", "default", "tls-badname", "rcpt450",
	"rcpt550", "banner554", "tls-vs-plain", "timeout",
};

struct soak {
	struct event_base *base;
	struct ss_server *srv[SS_MODES];
	unsigned long started, completed, wrong;
	unsigned long count[K_KINDS];
	unsigned long tls_up;   /* sessions that ended OK with a TLS version */
	double sec[2];          /* time sessions took, summed: [0] plain, [1] TLS kinds */
	unsigned long timed[2];
	unsigned inflight;
};

/* The mini server's certificate, the client's CA file; removed at exit. */
static char ca_file[256];

static void
remove_ca_file(void)
{
	(void)remove(ca_file);
}

struct session {
	struct soak *s;
	enum kind kind;
	unsigned long n;
	double t0;
	smtpprobe_opts *opts;
};

static enum kind
kind_of(unsigned long n)
{
	unsigned m = (unsigned)(n % 100);

	if (m < 44)
		return K_TRANSACTION;
	if (m < 47)
		return K_STARTTLS;
	if (m < 50)
		return K_SMTPS;
	if (m < 59)
		return K_DEFAULT;
	if (m < 60)
		return K_BADNAME;
	if (m < 75)
		return K_450;
	if (m < 90)
		return K_550;
	if (m < 96)
		return K_554;
	if (m < 97)
		return K_NOTTLS;
	return K_SILENT;
}

static bool
tls_kind(enum kind k)
{
	return k == K_STARTTLS || k == K_SMTPS || k == K_BADNAME || k == K_NOTTLS;
}

static smtpprobe_status
expected(enum kind k)
{
	switch (k) {
	case K_TRANSACTION:
	case K_STARTTLS:
	case K_SMTPS:
	case K_DEFAULT:
		return SMTPPROBE_OK;
	case K_BADNAME:
		return SMTPPROBE_E_CERT;
	case K_NOTTLS:
		return SMTPPROBE_E_TLS;
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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_done(smtpprobe_probe *p, void *arg)
{
	struct session *ss = arg;
	struct soak *s = ss->s;
	const smtpprobe_result *r = smtpprobe_probe_result(p, 0);
	smtpprobe_status st = r != NULL ? smtpprobe_result_status(r) : SMTPPROBE_E_INTERNAL;
	bool tls_ok = st == SMTPPROBE_OK && tls_kind(ss->kind);

	if (tls_ok && *smtpprobe_result_tls_version(r) != '\0')
		s->tls_up++;
	if (ss->kind != K_SILENT) {
		s->sec[tls_kind(ss->kind)] += now_s() - ss->t0;
		s->timed[tls_kind(ss->kind)]++;
	}
	if (st != expected(ss->kind) || (tls_ok && *smtpprobe_result_tls_version(r) == '\0')) {
		if (s->wrong < 10)
			fprintf(stderr, "soak: session %lu (%s): %s%s, expected %s: %s\n",
			    ss->n, kind_names[ss->kind], smtpprobe_status_name(st),
			    tls_ok ? " without TLS" : "", smtpprobe_status_name(expected(ss->kind)),
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
	enum ss_mode mode;
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
	ss->t0 = now_s();
	switch (ss->kind) {
	case K_450: mode = SS_RCPT450; break;
	case K_550: mode = SS_RCPT550; break;
	case K_554: mode = SS_BANNER554; break;
	case K_SILENT: mode = SS_SILENT; break;
	case K_STARTTLS: mode = SS_STARTTLS_OK; break;
	case K_SMTPS: case K_BADNAME: mode = SS_SMTPS; break;
	default: mode = SS_OK; break;
	}
	rc |= smtpprobe_opts_set_host(o, "127.0.0.1", s->srv[mode]->port);
	rc |= smtpprobe_opts_set_helo_name(o, "soak.client.test");
	rc |= smtpprobe_opts_set_timeout_ms(o, ss->kind == K_SILENT ? 100 : 10000);
	if (tls_kind(ss->kind)) {
		rc |= smtpprobe_opts_set_tls(o, ss->kind == K_STARTTLS ? SMTPPROBE_TLS_STARTTLS :
		    SMTPPROBE_TLS_IMPLICIT);
		rc |= smtpprobe_opts_set_ca(o, ca_file, NULL);
	}
	if (ss->kind == K_BADNAME)
		rc |= smtpprobe_opts_set_sni(o, "other.mini.test");
	if (ss->kind == K_TRANSACTION || ss->kind == K_STARTTLS || ss->kind == K_SMTPS ||
	    ss->kind == K_450 || ss->kind == K_550) {
		rc |= smtpprobe_opts_set_from(o, "probe@soak.client.test");
		rc |= smtpprobe_opts_add_rcpt(o, "alice@mini.test");
		rc |= smtpprobe_opts_add_rcpt(o, "bob@mini.test");
	}
	if (ss->kind == K_TRANSACTION || ss->kind == K_STARTTLS || ss->kind == K_SMTPS) {
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

int
main(int argc, char **argv)
{
	unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	unsigned conc = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 64;
	unsigned long mark;
	struct mem start, warm = { 0, 0, 0, 0 }, now = { 0, 0, 0, 0 };
	char what[64];
	const char *tmp;
	double t0, growth, heap_growth;
	struct soak s;
	int rc = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The mini server's OpenSSL writes with write(): a client gone is EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (total < 2 * WARM || conc == 0 || conc > MAX_CONC) {
		fprintf(stderr, "usage: soak [SESSIONS >= %d [CONCURRENCY 1..%d]]\n",
		    2 * WARM, MAX_CONC);
		return 2;
	}
	memset(&s, 0, sizeof(s));
	if ((s.base = event_base_new()) == NULL)
		return 99;
	tmp = getenv("TMPDIR");
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > sizeof(ca_file) - 32)
		tmp = "/tmp";
	snprintf(ca_file, sizeof(ca_file), "%s/soak-ca.%ld.pem", tmp, (long)getpid());
	atexit(remove_ca_file);
	if (ss_tls_init(ca_file) == -1) {
		fprintf(stderr, "soak: cannot make the mini server's certificate\n");
		return 99;
	}
	for (int m = 0; m < SS_MODES; m++) {
		if ((s.srv[m] = ss_new(s.base, ss_mode_script((enum ss_mode)m))) == NULL) {
			perror("soak: listener");
			return 99;
		}
		/* No server ever has more than @p conc open: its pool never grows. */
		ss_pool_reserve(s.srv[m], conc);
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
	{
		unsigned long tls = s.count[K_STARTTLS] + s.count[K_SMTPS] + s.count[K_BADNAME] +
		    s.count[K_NOTTLS];

		printf("soak: TLS: %lu sessions (%.1f %% of all), %lu ended OK over TLS, "
		    "%lu handshakes completed by the server; mean session %.2f ms with TLS, "
		    "%.2f ms without (timeouts not counted, %u in flight)\n",
		    tls, 100.0 * (double)tls / (double)total, s.tls_up, ss_tls_handshakes,
		    s.timed[1] != 0 ? 1000.0 * s.sec[1] / (double)s.timed[1] : 0.0,
		    s.timed[0] != 0 ? 1000.0 * s.sec[0] / (double)s.timed[0] : 0.0, conc);
		if (s.tls_up != s.count[K_STARTTLS] + s.count[K_SMTPS]) {
			printf("soak: FAILED: %lu TLS sessions, %lu ended OK over TLS\n",
			    s.count[K_STARTTLS] + s.count[K_SMTPS], s.tls_up);
			rc = 1;
		}
	}
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
	for (int m = 0; m < SS_MODES; m++)
		ss_free(s.srv[m]);
	ss_tls_fini();
	event_base_free(s.base);
	if (rc == 0)
		printf("soak: PASSED\n");
	return rc;
}
