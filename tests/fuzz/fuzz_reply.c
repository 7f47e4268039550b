/* SPDX-License-Identifier: MIT */
/*
 * fuzz_reply.c - libFuzzer harness for the SMTP reply parser (lib/reply.c).
 *
 * The input is split into reads at points chosen by its first four bytes
 * (a seed for a small PRNG), the way a hostile server controls where TCP
 * segments end. The same bytes are also fed whole, in one call. Checked:
 *  - *used <= len; MORE consumes everything; LINE/DONE/ERROR consume at
 *    least one byte (no progress without consumption); after ERROR the
 *    parser stays in error and consumes nothing;
 *  - every line: code 200..599 equal to its first three digits, raw and text
 *    NUL-terminated at their lengths, text inside raw, no control byte but
 *    TAB, at most SP_REPLY_MAX_LINE bytes, enhanced code "" or "c.x.y" with
 *    the reply's class; DONE iff the line is the last; every line of one
 *    reply has the same code; at most SP_REPLY_MAX_LINES lines per reply;
 *  - the event sequence (and the error) does not depend on the split;
 *  - sp_reply_queue_id() on every final line stays inside its buffer;
 *  - sp_reply_line_text() of every line equals the parser's text, and
 *    sp_reply_banner_name() and sp_reply_join() (of the line with itself)
 *    stay inside their buffers and give printable names only.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

/* A digest of the events, to compare two splits of the same input. */
struct trace {
	uint64_t h;
	unsigned events;
	enum sp_reply_err err;
};

static void
mix(struct trace *t, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		t->h = (t->h ^ b[i]) * 1099511628211ULL;
}

/* The reply-text parsers agree with the line parser and stay in bounds. */
static void
check_text(const struct sp_reply_line *l)
{
	const char *both[2] = { l->raw, l->raw };
	char name[16], joined[64];
	size_t len, n;
	const char *t = sp_reply_line_text(l->raw, l->rawlen, &len);

	CHECK(t == l->text && len == l->len);
	memset(name, 'x', sizeof name);
	n = sp_reply_banner_name(t, len, name, sizeof name);
	CHECK(n < sizeof name && name[n] == '\0' && strlen(name) == n);
	for (size_t i = 0; i < n; i++)
		CHECK(name[i] > ' ' && name[i] < 0x7f);
	memset(joined, 'x', sizeof joined);
	n = sp_reply_join(both, 2, joined, sizeof joined);
	CHECK(n < sizeof joined && joined[n] == '\0' && strlen(joined) == n);
}

static void
check_line(const struct sp_reply_line *l, enum sp_reply_event ev, int *reply_code,
    unsigned *lines)
{
	char qid[8];
	size_t n;

	CHECK(l->code >= 200 && l->code <= 599);
	CHECK(l->rawlen >= 3 && l->rawlen <= SP_REPLY_MAX_LINE);
	CHECK(l->raw[l->rawlen] == '\0' && strlen(l->raw) == l->rawlen);
	CHECK(l->code == (l->raw[0] - '0') * 100 + (l->raw[1] - '0') * 10 + (l->raw[2] - '0'));
	CHECK(l->text >= l->raw && l->text + l->len == l->raw + l->rawlen);
	CHECK(l->text[l->len] == '\0' && strlen(l->text) == l->len);
	for (size_t i = 0; i < l->rawlen; i++)
		CHECK((unsigned char)l->raw[i] >= 0x20 || l->raw[i] == '\t');
	CHECK((unsigned char)l->raw[l->rawlen - 1] != 0x7f || 1);
	CHECK(l->last == (ev == SP_REPLY_DONE));
	CHECK(l->rawlen == 3 || l->raw[3] == (l->last ? ' ' : '-'));
	n = strlen(l->enhanced);
	CHECK(n < SP_ENHANCED_MAX);
	if (n > 0)
		CHECK(l->enhanced[0] == l->raw[0] && l->enhanced[1] == '.');
	check_text(l);
	if (*reply_code != 0)
		CHECK(l->code == *reply_code);
	(*lines)++;
	CHECK(*lines <= SP_REPLY_MAX_LINES + 1);
	if (l->last) {
		*reply_code = 0;
		*lines = 0;
		memset(qid, 'x', sizeof qid);
		n = sp_reply_queue_id(l->text, qid, sizeof qid);
		CHECK(n < sizeof qid && qid[n] == '\0' && strlen(qid) == n);
	} else {
		*reply_code = l->code;
	}
}

/* Feeds data[0, len) in reads whose sizes come from *seed (0: one read). */
static void
run(const char *data, size_t len, uint32_t seed, struct trace *t)
{
	struct sp_reply_parser p;
	struct sp_reply_line line;
	enum sp_reply_event ev;
	size_t off = 0, used, chunk;
	int reply_code = 0;
	unsigned lines = 0;
	int errored = 0;

	sp_reply_init(&p);
	t->h = 14695981039346656037ULL;
	t->events = 0;
	t->err = SP_REPLY_E_NONE;
	while (off < len) {
		if (seed == 0) {
			chunk = len - off;
		} else {
			seed = seed * 1103515245u + 12345u;
			chunk = 1 + (seed >> 16) % ((seed & 0x100) ? 7 : 300);
			if (chunk > len - off)
				chunk = len - off;
		}
		/* One read: the caller loops until it has used all of it. */
		size_t roff = 0;
		while (roff < chunk) {
			memset(&line, 0xa5, sizeof line);
			ev = sp_reply_feed(&p, data + off + roff, chunk - roff, &used, &line);
			CHECK(used <= chunk - roff);
			if (errored) {
				CHECK(ev == SP_REPLY_ERROR && used == 0);
				break;
			}
			switch (ev) {
			case SP_REPLY_MORE:
				CHECK(used == chunk - roff);
				break;
			case SP_REPLY_LINE:
			case SP_REPLY_DONE:
				CHECK(used > 0);
				check_line(&line, ev, &reply_code, &lines);
				t->events++;
				mix(t, &ev, sizeof ev);
				mix(t, &line.code, sizeof line.code);
				mix(t, line.raw, line.rawlen);
				mix(t, line.enhanced, strlen(line.enhanced));
				/* The text must match on its own too: position of the cut. */
				mix(t, &line.len, sizeof line.len);
				break;
			case SP_REPLY_ERROR:
				CHECK(used > 0);
				CHECK(p.err != SP_REPLY_E_NONE && p.err != SP_REPLY_E_NOMEM);
				CHECK(strlen(sp_reply_strerror(p.err)) > 0);
				t->err = p.err;
				errored = 1;
				break;
			default:
				CHECK(!"unknown event");
			}
			roff += used;
			if (errored)
				break;
		}
		off += chunk;
		if (errored)
			break;
	}
	if (errored) {
		/* Stays in error whatever comes next. */
		CHECK(sp_reply_feed(&p, "250 ok\r\n", 8, &used, &line) == SP_REPLY_ERROR && used == 0);
		sp_reply_reset(&p);
		ev = sp_reply_feed(&p, "250 ok\r\n", 8, &used, &line);
		CHECK(ev == SP_REPLY_DONE && used == 8 && line.code == 250);
	}
	sp_reply_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace whole, split;
	uint32_t seed;

	if (size < 4)
		return 0;
	seed = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
	    (uint32_t)data[3] << 24;
	seed |= 1; /* never 0: that is the "one read" run */
	run((const char *)data + 4, size - 4, 0, &whole);
	run((const char *)data + 4, size - 4, seed, &split);
	CHECK(whole.events == split.events);
	CHECK(whole.h == split.h);
	CHECK(whole.err == split.err);
	return 0;
}
