/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dialog.c - libFuzzer harness for the whole SMTP dialog: the state
 * machine (lib/dialog.c) with the reply and EHLO parsers, AUTH, the message
 * builder and the result, driven by fuzzed server bytes over the in-memory
 * transport of memconn.c (no sockets).
 *
 * Input: three header bytes choose the client's options and how the server
 * bytes are cut into reads; the rest is what the server says. It is handed
 * over a line at a time (or in chunks of the chosen size), each read after
 * the client has reacted to the one before, the way a server answers; at
 * the end the server closes, or the dialog is aborted as the deadline does.
 *
 *   byte 0: bits 0-1 TLS (1 STARTTLS, 2 implicit), 2 MAIL+RCPT, 3 DATA,
 *           4-5 AUTH (PLAIN, LOGIN, CRAM-MD5), 6 LMTP, 7 an extra command
 *   byte 1: bit 0 the TLS switch succeeds, 1 PROXY header, 2-4 --quit-after,
 *           5 RCPT must get 5xx, 6 reads of byte 2 % 64 + 1 bytes instead of
 *           lines, 7 end by abort (timeout) instead of the server closing
 *   byte 2: bits 0-5 the read size (with byte 1 bit 6), 6 one recipient
 *           instead of two (BDAT then joins the PIPELINING group), 7 no
 *           pipelining
 *
 * Checked, besides ASan/UBSan: the done callback comes exactly once; the
 * client writes only whole CRLF lines, no NUL, no bare CR or LF, none over
 * 1000 bytes (a BDAT chunk: exactly the octets its command counts, whole
 * CRLF lines too), and nothing once the connection is stopped; the
 * password never reaches the transcript; the result is complete (a status,
 * a stage, an end time).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include <event2/event.h>

#include "dialog.h"
#include "internal.h"
#include "memconn.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

#define PASSWORD "fuzz-Secret-pw"
#define PASSWORD_B64 "ZnV6ei1TZWNyZXQtcHc" /* a prefix of base64(PASSWORD) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_line(const smtpprobe_result *r, smtpprobe_dir dir, const char *line, size_t len,
	int64_t usec, void *arg)
{
	(void)r;
	(void)usec;
	(void)arg;
	/* The server may say anything, the password included: only ours counts. */
	if (dir == SMTPPROBE_DIR_RECEIVED)
		return;
	CHECK(memmem(line, len, PASSWORD, strlen(PASSWORD)) == NULL);
	CHECK(memmem(line, len, PASSWORD_B64, strlen(PASSWORD_B64)) == NULL);
}

static void
on_done(struct sp_dialog *d, void *arg)
{
	(void)d;
	++*(int *)arg;
}

static char cadir[] = "/tmp/fuzz_dialog.XXXXXX";

static void
remove_dir(void)
{
	rmdir(cadir);
}

static const char *
empty_dir(void)
{
	static bool made;

	if (!made) {
		CHECK(mkdtemp(cadir) != NULL);
		atexit(remove_dir);
		made = true;
	}
	return cadir;
}

static smtpprobe_opts *
make_opts(uint8_t a, uint8_t b, uint8_t c)
{
	static const smtpprobe_stage quit_after[8] = {
		SMTPPROBE_STAGE_COUNT, SMTPPROBE_STAGE_BANNER, SMTPPROBE_STAGE_EHLO,
		SMTPPROBE_STAGE_STARTTLS, SMTPPROBE_STAGE_AUTH, SMTPPROBE_STAGE_MAIL,
		SMTPPROBE_STAGE_RCPT, SMTPPROBE_STAGE_COUNT,
	};
	smtpprobe_opts *o = smtpprobe_opts_new();

	CHECK(o != NULL);
	CHECK(smtpprobe_opts_set_host(o, "mx.fuzz.example", 25) == 0);
	CHECK(smtpprobe_opts_set_helo_name(o, "probe.fuzz.example") == 0);
	CHECK(smtpprobe_opts_set_tls(o, (smtpprobe_tls)((a & 3) % 3)) == 0);
	CHECK(smtpprobe_opts_set_tls_verify(o, false) == 0);
	/* An empty directory of trust anchors: loading the system store
	 * would cost most of each run, and no handshake happens to need it. */
	CHECK(smtpprobe_opts_set_ca(o, NULL, empty_dir()) == 0);
	if (a & 4 || a & 8) {
		CHECK(smtpprobe_opts_set_from(o, "probe@fuzz.example") == 0);
		CHECK(smtpprobe_opts_add_rcpt(o, "alice@fuzz.example") == 0);
		if (!(c & 64))
			CHECK(smtpprobe_opts_add_rcpt(o, "bob@fuzz.example") == 0);
	}
	CHECK(smtpprobe_opts_set_pipelining(o, !(c & 128)) == 0);
	CHECK(smtpprobe_opts_set_data(o, (a & 8) != 0) == 0);
	if ((a >> 4) & 3)
		CHECK(smtpprobe_opts_set_auth(o, (smtpprobe_auth)((a >> 4) & 3), "fuzzuser",
			PASSWORD) == 0);
	CHECK(smtpprobe_opts_set_lmtp(o, (a & 64) != 0) == 0);
	if (a & 128)
		CHECK(smtpprobe_opts_add_command(o, "VRFY postmaster") == 0);
	if (b & 2)
		CHECK(smtpprobe_opts_set_proxy(o, 1) == 0);
	CHECK(smtpprobe_opts_set_quit_after(o, quit_after[(b >> 2) & 7]) == 0);
	if (b & 32)
		CHECK(smtpprobe_opts_set_expect_class(o, SMTPPROBE_STAGE_RCPT, 5) == 0);
	return o;
}

/* Runs what the loop has ready: deferred callbacks, no waiting. */
static void
settle(struct event_base *base)
{
	for (int i = 0; i < 16 && event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE) > 0; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/*
 * The chunk after "BDAT <n> LAST" at @p p: n octets, whole CRLF lines.
 * @return where the next command starts.
 */
static const char *
skip_chunk(const char *p, const char *end)
{
	char *after;
	unsigned long long n = strtoull(p + 5, &after, 10);
	const char *chunk = strchr(after, '\n') + 1;

	CHECK(after != p + 5 && strncmp(after, " LAST\r\n", 7) == 0);
	CHECK(n <= (unsigned long long)(end - chunk));
	CHECK(n == 0 || (chunk[n - 2] == '\r' && chunk[n - 1] == '\n'));
	for (const char *q = chunk; q < chunk + n; q++)
		CHECK(*q != '\n' || q[-1] == '\r');
	return chunk + n;
}

/* Whole CRLF lines only, no NUL, no lone CR or LF, none too long. */
static void
check_output(const struct memconn_out *out, bool proxy)
{
	const char *p = out->buf, *end = out->buf + out->len;

	if (out->len == 0)
		return;
	CHECK(out->len >= 2 && end[-2] == '\r' && end[-1] == '\n');
	if (proxy)
		CHECK(strncmp(p, "PROXY ", 6) == 0);
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));

		CHECK(lf != NULL && lf > p && lf[-1] == '\r');
		CHECK(lf + 1 - p <= 1002);
		CHECK(memchr(p, '\0', (size_t)(lf - p)) == NULL);
		CHECK(memchr(p, '\r', (size_t)(lf - 1 - p)) == NULL);
		p = strncmp(p, "BDAT ", 5) == 0 ? skip_chunk(p, end) : lf + 1;
	}
}

/* The next read: a line (through its LF), or a chunk of @p chunk bytes. */
static size_t
next_read(const uint8_t *s, size_t left, size_t chunk)
{
	const uint8_t *lf;

	if (chunk > 0)
		return left < chunk ? left : chunk;
	lf = memchr(s, '\n', left);
	return lf != NULL ? (size_t)(lf - s) + 1 : left;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base *base;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(25) };
	struct sp_dialog_env env = { 0 };
	struct smtpprobe_result *r;
	struct sp_dialog *d;
	smtpprobe_opts *o;
	const uint8_t *s;
	size_t left, chunk;
	int done = 0;

	if (size < 3)
		return 0;
	if (base == NULL)
		CHECK((base = event_base_new()) != NULL);
	o = make_opts(data[0], data[1], data[2]);
	memconn_set_tls(data[1] & 1);
	chunk = data[1] & 64 ? (size_t)(data[2] % 64) + 1 : 0;
	s = data + 3;
	left = size - 3;

	env = (struct sp_dialog_env){ base, o, sp_now_usec(), on_line, NULL };
	CHECK((r = sp_result_new("mx.fuzz.example", 25)) != NULL);
	CHECK((d = sp_dialog_new(&env, r, on_done, &done)) != NULL);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(sp_dialog_start(d, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	settle(base);

	while (left > 0 && done == 0) {
		size_t n = next_read(s, left, chunk);

		if (!memconn_feed((const char *)s, n))
			break;
		s += n;
		left -= n;
		settle(base);
	}
	if (done == 0) {
		if (data[1] & 128)
			sp_dialog_abort(d, SMTPPROBE_E_TIMEOUT);
		else if (!memconn_feed(NULL, 0))
			sp_dialog_abort(d, SMTPPROBE_E_TIMEOUT); /* a stopped read: the deadline ends it */
		settle(base);
	}
	CHECK(done == 1);
	if (memconn_output() != NULL) {
		CHECK(memconn_output()->late_writes == 0);
		check_output(memconn_output(), data[1] & 2);
	}
	CHECK(r->end >= r->start);
	CHECK((unsigned)r->status < (unsigned)SMTPPROBE_STATUS_COUNT);
	CHECK((unsigned)r->stage < (unsigned)SMTPPROBE_STAGE_COUNT);
	/* A failure says why: in words, or by the reply that decided it. */
	CHECK(r->status == SMTPPROBE_OK || r->reason[0] != '\0' ||
		(r->status == SMTPPROBE_E_REPLY && r->decider >= 0 && (size_t)r->decider < r->nex));
	sp_dialog_free(d);
	sp_result_free(r);
	smtpprobe_opts_free(o);
	settle(base);
	return 0;
}
