/* SPDX-License-Identifier: MIT */
/*
 * test_reply.c - the reply parser, table by table. Every case is fed whole,
 * one byte at a time, and in random splits (fixed seed); all three must
 * produce the same trace of events, codes, texts and consumed offsets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reply.h"

/* ------------------------------------------------------------ helpers */

struct dstr {
	char *s;
	size_t len, cap;
};

static void
dstr_add(struct dstr *d, const char *s, size_t n)
{
	if (d->len + n + 1 > d->cap) {
		size_t ncap = d->cap ? d->cap : 256;

		while (d->len + n + 1 > ncap)
			ncap *= 2;
		d->s = realloc(d->s, ncap);
		assert_non_null(d->s);
		d->cap = ncap;
	}
	memcpy(d->s + d->len, s, n);
	d->len += n;
	d->s[d->len] = '\0';
}

static void dstr_addf(struct dstr *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dstr_addf(struct dstr *d, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	dstr_add(d, tmp, (size_t)n);
}

static void
dstr_rep(struct dstr *d, char c, size_t n)
{
	while (n-- > 0)
		dstr_add(d, &c, 1);
}

/* splitmix64: small, fixed-seed, our own so runs are reproducible. */
static uint64_t
prng(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *
err_name(enum sp_reply_err e)
{
	static const char *const names[] = {
		"none", "syntax", "code", "mixed", "long", "many", "control",
		"nomem"
	};

	return (size_t)e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

/* ------------------------------------------------------------ driver */

enum split { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_RANDOM };

struct run {
	const char *in;
	size_t inlen;
	size_t line_start;   /* where the line being read began */
	struct sp_reply_parser p;
	struct dstr trace;
	bool stopped;
};

/* Invariants every delivered line must keep, whatever the split. */
static void
check_line(struct run *r, size_t off, enum sp_reply_event ev,
    const struct sp_reply_line *l)
{
	size_t rawlen = off - 1 - r->line_start;

	assert_true(off >= 1 && r->in[off - 1] == '\n');
	if (rawlen > 0 && r->in[r->line_start + rawlen - 1] == '\r')
		rawlen--;
	assert_int_equal(l->rawlen, rawlen);
	assert_memory_equal(l->raw, r->in + r->line_start, rawlen);
	assert_int_equal(l->raw[l->rawlen], '\0');
	assert_int_equal(strlen(l->raw), l->rawlen);
	assert_int_equal(strlen(l->text), l->len);
	assert_true(l->text >= l->raw && l->text + l->len == l->raw + l->rawlen);
	assert_int_equal(l->code, (l->raw[0] - '0') * 100 +
	    (l->raw[1] - '0') * 10 + (l->raw[2] - '0'));
	assert_int_equal(l->last, ev == SP_REPLY_DONE);
	assert_true(strlen(l->enhanced) < SP_ENHANCED_MAX);
}

static void
record(struct run *r, size_t off, enum sp_reply_event ev,
    const struct sp_reply_line *l)
{
	if (ev == SP_REPLY_ERROR) {
		dstr_addf(&r->trace, "E %s@%zu\n", err_name(r->p.err), off);
		return;
	}
	check_line(r, off, ev, l);
	dstr_addf(&r->trace, "%c %d [%s] |", ev == SP_REPLY_DONE ? 'D' : 'L',
	    l->code, l->enhanced);
	dstr_add(&r->trace, l->text, l->len);
	dstr_addf(&r->trace, "|@%zu\n", off);
	r->line_start = off;
}

/* After an error every feed must say so again, taking nothing. */
static void
check_sticky(struct run *r, size_t off)
{
	struct sp_reply_line l;
	enum sp_reply_err err = r->p.err;
	size_t used = 99;

	assert_int_equal(sp_reply_feed(&r->p, r->in + off, r->inlen - off,
	    &used, &l), SP_REPLY_ERROR);
	assert_int_equal(used, 0);
	assert_int_equal(sp_reply_feed(&r->p, "250 ok\r\n", 8, &used, &l),
	    SP_REPLY_ERROR);
	assert_int_equal(used, 0);
	assert_int_equal(r->p.err, err);
}

/* Feeds in[off, end) until it is consumed or the parser fails. */
static void
feed_chunk(struct run *r, size_t off, size_t end)
{
	struct sp_reply_line l;
	enum sp_reply_event ev;
	size_t used;

	do {
		memset(&l, 0, sizeof(l));
		used = (size_t)-1;
		ev = sp_reply_feed(&r->p, r->in + off, end - off, &used, &l);
		assert_true(used <= end - off);
		off += used;
		if (ev == SP_REPLY_MORE) {
			assert_int_equal(off, end);
			return;
		}
		assert_true(used > 0);
		record(r, off, ev, &l);
		if (ev == SP_REPLY_ERROR) {
			check_sticky(r, off);
			r->stopped = true;
			return;
		}
	} while (off < end);
}

static size_t
next_size(enum split how, size_t left, uint64_t *seed)
{
	uint64_t x;

	if (how == SPLIT_WHOLE)
		return left;
	if (how == SPLIT_BYTES)
		return 1;
	x = prng(seed);
	/* Sometimes nothing, mostly small, now and then a large read. */
	if (x % 17 == 0)
		return 0;
	x = 1 + (x >> 8) % ((size_t)1 << ((x >> 40) % 13));
	return x < left ? (size_t)x : left;
}

static char *
run_split(const char *in, size_t inlen, enum split how, uint64_t *seed)
{
	struct run r;
	size_t off = 0, n;

	memset(&r, 0, sizeof(r));
	r.in = in;
	r.inlen = inlen;
	sp_reply_init(&r.p);
	while (off < inlen && !r.stopped) {
		n = next_size(how, inlen - off, seed);
		feed_chunk(&r, off, off + n);
		off += n;
	}
	sp_reply_free(&r.p);
	if (r.trace.s == NULL)
		dstr_add(&r.trace, "", 0);
	return r.trace.s;
}

/* ------------------------------------------------------------ the table */

struct tcase {
	const char *name;
	const char *in;
	size_t inlen;            /* 0: strlen(in) */
	const char *expect;
	void (*gen)(struct tcase *);
	struct dstr gin, gexp;   /* generated input and expectation */
};

/* "250 " and then @n bytes of text: a line of n + 4 bytes. */
static void
gen_line(struct tcase *t, size_t textlen, const char *eol, size_t tail)
{
	dstr_add(&t->gin, "250 ", 4);
	dstr_rep(&t->gin, 'a', textlen);
	dstr_add(&t->gin, eol, strlen(eol));
	dstr_rep(&t->gin, 'b', tail);
	t->in = t->gin.s;
	t->inlen = t->gin.len;
}

static void
gen_at_limit(struct tcase *t)
{
	gen_line(t, SP_REPLY_MAX_LINE - 4, "\r\n", 0);
	dstr_add(&t->gexp, "D 250 [] |", 10);
	dstr_rep(&t->gexp, 'a', SP_REPLY_MAX_LINE - 4);
	dstr_addf(&t->gexp, "|@%d\n", SP_REPLY_MAX_LINE + 2);
	t->expect = t->gexp.s;
}

static void
gen_at_limit_lf(struct tcase *t)
{
	gen_line(t, SP_REPLY_MAX_LINE - 4, "\n", 0);
	dstr_add(&t->gexp, "D 250 [] |", 10);
	dstr_rep(&t->gexp, 'a', SP_REPLY_MAX_LINE - 4);
	dstr_addf(&t->gexp, "|@%d\n", SP_REPLY_MAX_LINE + 1);
	t->expect = t->gexp.s;
}

static void
gen_over_limit(struct tcase *t)
{
	gen_line(t, SP_REPLY_MAX_LINE - 3, "\r\n", 0);
	dstr_addf(&t->gexp, "E long@%d\n", SP_REPLY_MAX_LINE + 1);
	t->expect = t->gexp.s;
}

/* A megabyte and no newline: refused at byte 4097, not at the end. */
static void
gen_flood(struct tcase *t)
{
	gen_line(t, 1024 * 1024, "", 0);
	dstr_addf(&t->gexp, "E long@%d\n", SP_REPLY_MAX_LINE + 1);
	t->expect = t->gexp.s;
}

/* @n lines in one reply, then a second, short reply. */
static void
gen_lines(struct tcase *t, unsigned n)
{
	unsigned i;
	size_t off = 0;

	for (i = 1; i <= n; i++) {
		dstr_addf(&t->gin, "250%cline %u\r\n", i < n ? '-' : ' ', i);
		if (i <= SP_REPLY_MAX_LINES) {
			off = t->gin.len;
			dstr_addf(&t->gexp, "%c 250 [] |line %u|@%zu\n",
			    i < n ? 'L' : 'D', i, off);
		}
	}
	dstr_add(&t->gin, "221 2.0.0 bye\r\n", 15);
	if (n <= SP_REPLY_MAX_LINES)
		dstr_addf(&t->gexp, "D 221 [2.0.0] |bye|@%zu\n", t->gin.len);
	else
		dstr_addf(&t->gexp, "E many@%zu\n", off + 1);
	t->in = t->gin.s;
	t->inlen = t->gin.len;
	t->expect = t->gexp.s;
}

static void
gen_1000_lines(struct tcase *t)
{
	gen_lines(t, SP_REPLY_MAX_LINES);
}

static void
gen_1001_lines(struct tcase *t)
{
	gen_lines(t, SP_REPLY_MAX_LINES + 1);
}

/* Two replies of 600 lines: the count starts again with each reply. */
static void
gen_two_long_replies(struct tcase *t)
{
	unsigned r, i;

	for (r = 0; r < 2; r++) {
		for (i = 1; i <= 600; i++) {
			dstr_addf(&t->gin, "250%cl%u\n", i < 600 ? '-' : ' ', i);
			dstr_addf(&t->gexp, "%c 250 [] |l%u|@%zu\n",
			    i < 600 ? 'L' : 'D', i, t->gin.len);
		}
	}
	t->in = t->gin.s;
	t->inlen = t->gin.len;
	t->expect = t->gexp.s;
}

static struct tcase cases[] = {
	{ "single line", "220 mail.example.org ESMTP Postfix\r\n", 0,
	  "D 220 [] |mail.example.org ESMTP Postfix|@36\n", NULL, {0}, {0} },
	{ "multiline EHLO",
	  "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	  "250 8BITMIME\r\n", 0,
	  "L 250 [] |mail.example.org|@22\n"
	  "L 250 [] |PIPELINING|@38\n"
	  "L 250 [] |SIZE 10240000|@57\n"
	  "D 250 [] |8BITMIME|@71\n", NULL, {0}, {0} },
	{ "bare code is a final line", "250\r\n", 0,
	  "D 250 [] ||@5\n", NULL, {0}, {0} },
	{ "bare code, LF only", "221\n", 0,
	  "D 221 [] ||@4\n", NULL, {0}, {0} },
	{ "code and space, empty text", "250 \r\n", 0,
	  "D 250 [] ||@6\n", NULL, {0}, {0} },
	{ "empty continuation text", "250-\r\n250 x\r\n", 0,
	  "L 250 [] ||@6\nD 250 [] |x|@13\n", NULL, {0}, {0} },
	{ "LF-only line ends", "250-a\n250-b c\n250 d\n", 0,
	  "L 250 [] |a|@6\nL 250 [] |b c|@14\nD 250 [] |d|@20\n",
	  NULL, {0}, {0} },
	{ "enhanced code", "250 2.1.5 Ok\r\n", 0,
	  "D 250 [2.1.5] |Ok|@14\n", NULL, {0}, {0} },
	{ "enhanced code alone", "250 2.1.5\r\n", 0,
	  "D 250 [2.1.5] ||@11\n", NULL, {0}, {0} },
	{ "enhanced code, spaces after", "550 5.1.1   User unknown\r\n", 0,
	  "D 550 [5.1.1] |User unknown|@26\n", NULL, {0}, {0} },
	{ "enhanced code, three-digit parts", "451 4.123.456 later\r\n", 0,
	  "D 451 [4.123.456] |later|@21\n", NULL, {0}, {0} },
	{ "enhanced code of another class", "250 5.1.1 x\r\n", 0,
	  "D 250 [] |5.1.1 x|@13\n", NULL, {0}, {0} },
	{ "enhanced code, four-digit subject", "250 2.1234.5 x\r\n", 0,
	  "D 250 [] |2.1234.5 x|@16\n", NULL, {0}, {0} },
	{ "enhanced code glued to text", "250 2.1.5x ok\r\n", 0,
	  "D 250 [] |2.1.5x ok|@15\n", NULL, {0}, {0} },
	{ "enhanced code missing detail", "250 2.1. ok\r\n", 0,
	  "D 250 [] |2.1. ok|@13\n", NULL, {0}, {0} },
	{ "enhanced code missing subject", "250 2..5 ok\r\n", 0,
	  "D 250 [] |2..5 ok|@13\n", NULL, {0}, {0} },
	{ "enhanced code on every line", "250-2.0.0 a\r\n250 2.0.0 b\r\n", 0,
	  "L 250 [2.0.0] |a|@13\nD 250 [2.0.0] |b|@26\n", NULL, {0}, {0} },
	{ "tab in text", "250 a\tb\r\n", 0,
	  "D 250 [] |a\tb|@9\n", NULL, {0}, {0} },
	{ "bytes over 0x7f kept", "250 caf\xc3\xa9 \xff\r\n", 0,
	  "D 250 [] |caf\xc3\xa9 \xff|@13\n", NULL, {0}, {0} },
	{ "two replies back to back", "250 ok\r\n221 bye\r\n", 0,
	  "D 250 [] |ok|@8\nD 221 [] |bye|@17\n", NULL, {0}, {0} },
	{ "new reply may use a new code", "250-a\r\n250 b\r\n354 go\r\n", 0,
	  "L 250 [] |a|@7\nD 250 [] |b|@14\nD 354 [] |go|@22\n",
	  NULL, {0}, {0} },
	{ "bytes after a reply stay unconsumed", "220 ready\r\n250 part", 0,
	  "D 220 [] |ready|@11\n", NULL, {0}, {0} },
	{ "not a reply", "hello\r\n", 0, "E syntax@1\n", NULL, {0}, {0} },
	{ "two digits", "25\r\n", 0, "E syntax@4\n", NULL, {0}, {0} },
	{ "two digits, LF only", "25\n", 0, "E syntax@3\n", NULL, {0}, {0} },
	{ "empty line", "\r\n", 0, "E syntax@2\n", NULL, {0}, {0} },
	{ "letter after code", "250x\r\n", 0, "E syntax@4\n", NULL, {0}, {0} },
	{ "tab after code", "250\tok\r\n", 0, "E syntax@4\n", NULL, {0}, {0} },
	{ "letter inside code", "2a0 x\r\n", 0, "E syntax@2\n", NULL, {0}, {0} },
	{ "code below 200", "199 x\r\n", 0, "E code@1\n", NULL, {0}, {0} },
	{ "code 0xx", "099 x\r\n", 0, "E code@1\n", NULL, {0}, {0} },
	{ "code above 599", "600 x\r\n", 0, "E code@1\n", NULL, {0}, {0} },
	{ "mixed codes", "250-a\r\n251 b\r\n", 0,
	  "L 250 [] |a|@7\nE mixed@10\n", NULL, {0}, {0} },
	{ "mixed class", "250-a\r\n550 b\r\n", 0,
	  "L 250 [] |a|@7\nE mixed@10\n", NULL, {0}, {0} },
	{ "NUL in text", "250 a\0b\r\n", 9, "E control@6\n", NULL, {0}, {0} },
	{ "NUL first", "\0", 1, "E control@1\n", NULL, {0}, {0} },
	{ "bare CR", "250 a\rb\r\n", 0, "E control@7\n", NULL, {0}, {0} },
	{ "CR CR LF", "250 a\r\r\n", 0, "E control@7\n", NULL, {0}, {0} },
	{ "DEL", "250 a\x7f\r\n", 0, "E control@6\n", NULL, {0}, {0} },
	{ "escape sequence", "250 \x1b[31mred\r\n", 0,
	  "E control@5\n", NULL, {0}, {0} },
	{ "error after a good reply", "250 ok\r\n5xx\r\n", 0,
	  "D 250 [] |ok|@8\nE syntax@10\n", NULL, {0}, {0} },
	{ "line of exactly the limit", NULL, 0, NULL, gen_at_limit, {0}, {0} },
	{ "line of the limit, LF only", NULL, 0, NULL, gen_at_limit_lf,
	  {0}, {0} },
	{ "line one over the limit", NULL, 0, NULL, gen_over_limit, {0}, {0} },
	{ "a megabyte without LF", NULL, 0, NULL, gen_flood, {0}, {0} },
	{ "exactly 1000 lines", NULL, 0, NULL, gen_1000_lines, {0}, {0} },
	{ "1001 lines", NULL, 0, NULL, gen_1001_lines, {0}, {0} },
	{ "line count restarts per reply", NULL, 0, NULL,
	  gen_two_long_replies, {0}, {0} },
};

static int
case_setup(void **state)
{
	struct tcase *t = *state;

	if (t->gen != NULL)
		t->gen(t);
	if (t->inlen == 0)
		t->inlen = strlen(t->in);
	return 0;
}

static int
case_teardown(void **state)
{
	struct tcase *t = *state;

	free(t->gin.s);
	free(t->gexp.s);
	memset(&t->gin, 0, sizeof(t->gin));
	memset(&t->gexp, 0, sizeof(t->gexp));
	return 0;
}

static void
run_case(void **state)
{
	struct tcase *t = *state;
	uint64_t seed = 0x736d74702d70ull ^ (uint64_t)(t - cases);
	unsigned i, iters = t->inlen < 4096 ? 300 : 25;
	char *got;

	got = run_split(t->in, t->inlen, SPLIT_WHOLE, &seed);
	assert_string_equal(got, t->expect);
	free(got);
	got = run_split(t->in, t->inlen, SPLIT_BYTES, &seed);
	assert_string_equal(got, t->expect);
	free(got);
	for (i = 0; i < iters; i++) {
		got = run_split(t->in, t->inlen, SPLIT_RANDOM, &seed);
		assert_string_equal(got, t->expect);
		free(got);
	}
}

/* ------------------------------------------------------------ one by one */

static void
test_used_stops_after_line(void **state)
{
	static const char in[] = "250-a\r\n250 2.0.0 b\r\nXYZ";
	struct sp_reply_parser p;
	struct sp_reply_line l;
	size_t used;

	sp_reply_init(&p);
	assert_int_equal(sp_reply_feed(&p, in, sizeof(in) - 1, &used, &l),
	    SP_REPLY_LINE);
	assert_int_equal(used, 7);
	assert_string_equal(l.text, "a");
	assert_false(l.last);
	assert_int_equal(sp_reply_feed(&p, in + 7, sizeof(in) - 8, &used, &l),
	    SP_REPLY_DONE);
	assert_int_equal(used, 13);
	assert_true(l.last);
	assert_int_equal(l.code, 250);
	assert_string_equal(l.enhanced, "2.0.0");
	assert_string_equal(l.text, "b");
	assert_string_equal(l.raw, "250 2.0.0 b");
	/* "XYZ" is the caller's to judge (STARTTLS injection). */
	assert_int_equal(sizeof(in) - 1 - 7 - used, 3);
	sp_reply_free(&p);
}

static void
test_feed_nothing(void **state)
{
	struct sp_reply_parser p;
	struct sp_reply_line l;
	size_t used = 99;

	sp_reply_init(&p);
	assert_int_equal(sp_reply_feed(&p, NULL, 0, &used, &l), SP_REPLY_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(sp_reply_feed(&p, "25", 2, &used, &l), SP_REPLY_MORE);
	assert_int_equal(used, 2);
	assert_int_equal(sp_reply_feed(&p, "", 0, &used, &l), SP_REPLY_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(sp_reply_feed(&p, "0 x\n", 4, &used, &l),
	    SP_REPLY_DONE);
	assert_string_equal(l.raw, "250 x");
	sp_reply_free(&p);
}

static void
test_error_is_sticky(void **state)
{
	struct sp_reply_parser p;
	struct sp_reply_line l;
	size_t used = 99;

	sp_reply_init(&p);
	assert_int_equal(sp_reply_feed(&p, "250-a\r\n", 7, &used, &l),
	    SP_REPLY_LINE);
	assert_int_equal(sp_reply_feed(&p, "550 b\r\n", 7, &used, &l),
	    SP_REPLY_ERROR);
	assert_int_equal(p.err, SP_REPLY_E_MIXED);
	assert_int_equal(used, 3);
	assert_int_equal(sp_reply_feed(&p, "250 ok\r\n", 8, &used, &l),
	    SP_REPLY_ERROR);
	assert_int_equal(used, 0);
	assert_int_equal(sp_reply_feed(&p, NULL, 0, &used, &l),
	    SP_REPLY_ERROR);
	assert_int_equal(p.err, SP_REPLY_E_MIXED);
	sp_reply_free(&p);
}

static void
test_reset_clears(void **state)
{
	struct sp_reply_parser p;
	struct sp_reply_line l;
	size_t used;

	sp_reply_init(&p);
	/* A partial line is forgotten. */
	assert_int_equal(sp_reply_feed(&p, "250 part", 8, &used, &l),
	    SP_REPLY_MORE);
	sp_reply_reset(&p);
	assert_int_equal(sp_reply_feed(&p, "220 x\r\n", 7, &used, &l),
	    SP_REPLY_DONE);
	assert_string_equal(l.raw, "220 x");
	/* So is the code of a reply in progress (else: mixed codes). */
	assert_int_equal(sp_reply_feed(&p, "250-a\r\n", 7, &used, &l),
	    SP_REPLY_LINE);
	sp_reply_reset(&p);
	assert_int_equal(sp_reply_feed(&p, "220 y\r\n", 7, &used, &l),
	    SP_REPLY_DONE);
	assert_int_equal(l.code, 220);
	/* And an error. */
	assert_int_equal(sp_reply_feed(&p, "x", 1, &used, &l), SP_REPLY_ERROR);
	sp_reply_reset(&p);
	assert_int_equal(p.err, SP_REPLY_E_NONE);
	assert_int_equal(sp_reply_feed(&p, "221 bye\n", 8, &used, &l),
	    SP_REPLY_DONE);
	assert_string_equal(l.text, "bye");
	sp_reply_free(&p);
}

/* The count of lines restarts at reset: 999 + reset + 1000 is fine. */
static void
test_reset_clears_line_count(void **state)
{
	struct sp_reply_parser p;
	struct sp_reply_line l;
	size_t used;
	unsigned i;

	sp_reply_init(&p);
	for (i = 0; i < SP_REPLY_MAX_LINES - 1; i++)
		assert_int_equal(sp_reply_feed(&p, "250-a\n", 6, &used, &l),
		    SP_REPLY_LINE);
	sp_reply_reset(&p);
	for (i = 0; i < SP_REPLY_MAX_LINES - 1; i++)
		assert_int_equal(sp_reply_feed(&p, "250-a\n", 6, &used, &l),
		    SP_REPLY_LINE);
	assert_int_equal(sp_reply_feed(&p, "250 a\n", 6, &used, &l),
	    SP_REPLY_DONE);
	sp_reply_free(&p);
}

static void
test_strerror(void **state)
{
	assert_string_equal(sp_reply_strerror(SP_REPLY_E_SYNTAX),
	    "not an SMTP reply");
	assert_string_equal(sp_reply_strerror(SP_REPLY_E_CODE),
	    "reply code out of range");
	assert_string_equal(sp_reply_strerror(SP_REPLY_E_MIXED),
	    "mixed reply codes in one reply");
	assert_string_equal(sp_reply_strerror(SP_REPLY_E_LONG),
	    "line over 4096 bytes");
	assert_string_equal(sp_reply_strerror(SP_REPLY_E_MANY),
	    "more than 1000 lines in one reply");
	assert_string_equal(sp_reply_strerror(SP_REPLY_E_CONTROL),
	    "NUL or control byte in reply");
	assert_string_equal(sp_reply_strerror(SP_REPLY_E_NOMEM),
	    "out of memory");
	assert_non_null(sp_reply_strerror((enum sp_reply_err)99));
}

/* ------------------------------------------------------------ queue id */

struct qcase {
	const char *text;
	const char *id;      /* "" when none is recognised */
};

static const struct qcase qcases[] = {
	/* Postfix, text after the enhanced code */
	{ "Ok: queued as 4F2A81234", "4F2A81234" },
	{ "Ok: queued as 4XyzAbCd1234QWERTy", "4XyzAbCd1234QWERTy" },
	/* Exim */
	{ "OK id=1tAbCd-000Xyz-Ab", "1tAbCd-000Xyz-Ab" },
	/* Exchange */
	{ "<c89b4fcc-3ad1-4758-a1ab-1e820065d622@mail1.fabrikam.com> "
	  "[InternalId=5111011082268, Hostname=mail1.fabrikam.com] "
	  "Queued mail for delivery",
	  "c89b4fcc-3ad1-4758-a1ab-1e820065d622@mail1.fabrikam.com" },
	{ "<c89b4fcc@mail1.fabrikam.com> Queued mail for delivery", "c89b4fcc@mail1.fabrikam.com" },
	/* Sendmail */
	{ "4AO3a1b2012345 Message accepted for delivery", "4AO3a1b2012345" },
	/* Haraka */
	{ "Message Queued (9EE8E3C0-4B1A-4C4F-9B33-0A7DE1F2B1F2.1.1)",
	  "9EE8E3C0-4B1A-4C4F-9B33-0A7DE1F2B1F2.1.1" },
	{ "Message Queued (unterminated", "" },
	{ "Message Queued ()", "" },
	/* Dovecot LMTP: the recipient in brackets is no id */
	{ "<probe@probe.test> kNTbJzFZbWbBQAAAE4wEwA Saved", "" },
	/* aiosmtpd, smtp-sink: no id at all */
	{ "OK", "" },
	/* the id ends at punctuation */
	{ "Ok: queued as ABC123; thanks", "ABC123" },
	{ "OK id=1tAbCd-000Xyz-Ab, thanks", "1tAbCd-000Xyz-Ab" },
	/* nothing to find */
	{ "Ok", "" },
	{ "", "" },
	{ "Ok: queued as ", "" },
	{ "Message accepted for delivery", "" },
	{ "Queued mail for delivery", "" },
	{ "<unterminated@example.org Queued mail for delivery", "" },
	{ "Ok: paid=123", "" },
};

static void
test_queue_id(void **state)
{
	char out[128];
	size_t i, n;

	for (i = 0; i < sizeof(qcases) / sizeof(qcases[0]); i++) {
		memset(out, 'X', sizeof(out));
		n = sp_reply_queue_id(qcases[i].text, out, sizeof(out));
		if (n != strlen(qcases[i].id) ||
		    (n > 0 && strcmp(out, qcases[i].id) != 0))
			print_error("queue id case %zu: \"%s\"\n", i,
			    qcases[i].text);
		assert_int_equal(n, strlen(qcases[i].id));
		if (n > 0)
			assert_string_equal(out, qcases[i].id);
	}
}

static void
test_queue_id_truncates(void **state)
{
	char out[5];

	memset(out, 'X', sizeof(out));
	assert_int_equal(sp_reply_queue_id("Ok: queued as 4F2A81234", out,
	    sizeof(out)), 4);
	assert_string_equal(out, "4F2A");
	assert_int_equal(sp_reply_queue_id("Ok: queued as 4F2A81234", out, 0),
	    0);
}

/* ------------------------------------------------------- reply text */

static void
test_line_text(void **state)
{
	size_t len;
	const char *t;

	t = sp_reply_line_text("550-5.1.1 No such user", 22, &len);
	assert_int_equal(len, 12);
	assert_memory_equal(t, "No such user", 12);
	/* An enhanced code of another class is text. */
	t = sp_reply_line_text("250 5.1.1 odd", 13, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(t, "5.1.1 odd", 9);
	t = sp_reply_line_text("250", 3, &len);
	assert_int_equal(len, 0);
	t = sp_reply_line_text("250 2.0.0", 9, &len);
	assert_int_equal(len, 0);
	/* Not NUL-terminated at rawlen: nothing past it is read. */
	t = sp_reply_line_text("250 2.0.0XXXX", 9, &len);
	assert_int_equal(len, 0);
}

static void
test_join(void **state)
{
	static const char *const gmail[] = {
		"550-5.1.1 The email account that you tried to reach does not exist. Please try",
		"550-5.1.1 double-checking the recipient's email address for typos or",
		"550-5.1.1 unnecessary spaces. Learn more at",
		"550 5.1.1  https://support.google.com/mail/?p=NoSuchUser x1si12345",
	};
	static const char *const blanks[] = { "250-", "250-  ", "250 last  " };
	char out[512], small[16];

	sp_reply_join(gmail, 4, out, sizeof(out));
	assert_string_equal(out, "The email account that you tried to reach does not exist. "
		"Please try double-checking the recipient's email address for typos or "
		"unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser x1si12345");
	sp_reply_join(blanks, 3, out, sizeof(out));
	assert_string_equal(out, "last");
	assert_int_equal(sp_reply_join(gmail, 4, small, sizeof(small)), 15);
	assert_string_equal(small, "The email ac...");
	assert_int_equal(sp_reply_join(gmail, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(sp_reply_join(gmail, 4, out, 0), 0);
}

static void
test_banner_name(void **state)
{
	char out[16];

	sp_reply_banner_name("mx.example.org ESMTP Postfix", 28, out, sizeof(out));
	assert_string_equal(out, "mx.example.org");
	sp_reply_banner_name("mx.example.org", 14, out, sizeof(out));
	assert_string_equal(out, "mx.example.org");
	/* Too long for the field: cut, not overrun. */
	sp_reply_banner_name("a-very-long-host-name.example.org x", 35, out, sizeof(out));
	assert_string_equal(out, "a-very-long-hos");
	sp_reply_banner_name("m\x01x ESMTP", 11, out, sizeof(out));
	assert_string_equal(out, "");
	sp_reply_banner_name("caf\xc3\xa9.example", 14, out, sizeof(out));
	assert_string_equal(out, "");
	sp_reply_banner_name("", 0, out, sizeof(out));
	assert_string_equal(out, "");
}

/* ------------------------------------------------------------ main */

int
main(void)
{
	static const struct CMUnitTest singles[] = {
		cmocka_unit_test(test_used_stops_after_line),
		cmocka_unit_test(test_feed_nothing),
		cmocka_unit_test(test_error_is_sticky),
		cmocka_unit_test(test_reset_clears),
		cmocka_unit_test(test_reset_clears_line_count),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_queue_id),
		cmocka_unit_test(test_queue_id_truncates),
		cmocka_unit_test(test_line_text),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_banner_name),
	};
	enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
	enum { NSINGLES = sizeof(singles) / sizeof(singles[0]) };
	struct CMUnitTest tests[NCASES + NSINGLES];
	size_t i;

	for (i = 0; i < NCASES; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].setup_func = case_setup;
		tests[i].teardown_func = case_teardown;
		tests[i].initial_state = &cases[i];
	}
	for (i = 0; i < NSINGLES; i++)
		tests[NCASES + i] = singles[i];
	return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
