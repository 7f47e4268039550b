/* SPDX-License-Identifier: MIT */
/*
 * test_message.c - the test message: dot-stuffing and CRLF normalisation,
 * default headers with an exact Date, user headers replacing defaults, the
 * unstuffed form for BDAT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "message.h"

#define T_2026 ((time_t)1795496462) /* Tue, 24 Nov 2026 05:01:02 UTC */

/* ------------------------------------------------------------ stuffing */

struct stuff_case {
	const char *in;
	size_t inlen;       /* 0: strlen(in) */
	const char *out;
	size_t outlen;      /* 0: strlen(out) */
};

static const struct stuff_case stuff_cases[] = {
	{ "", 0, "", 0 },
	{ "a", 0, "a\r\n", 0 },
	{ "a\n", 0, "a\r\n", 0 },
	{ "a\r\n", 0, "a\r\n", 0 },
	{ "a\nb\r\nc\rd", 0, "a\r\nb\r\nc\r\nd\r\n", 0 },
	{ "\n\n", 0, "\r\n\r\n", 0 },
	{ "\r\r\n", 0, "\r\n\r\n", 0 },
	{ ".", 0, "..\r\n", 0 },
	{ ".\r\n", 0, "..\r\n", 0 },
	{ "..", 0, "...\r\n", 0 },
	{ "..\n..\n", 0, "...\r\n...\r\n", 0 },
	{ ".hidden\n", 0, "..hidden\r\n", 0 },
	{ "a.b\n.c", 0, "a.b\r\n..c\r\n", 0 },
	{ "\n.\n", 0, "\r\n..\r\n", 0 },
	{ "line\r\n.\r\nafter", 0, "line\r\n..\r\nafter\r\n", 0 },
	{ "x\r.\ry", 0, "x\r\n..\r\ny\r\n", 0 },
	{ " .x", 0, " .x\r\n", 0 },
	{ "a\0b", 3, "a\0b\r\n", 5 },
};

static void
test_stuff_table(void **state)
{
	const struct stuff_case *c;
	size_t i, inlen, want, outlen;
	char *out;

	for (i = 0; i < sizeof(stuff_cases) / sizeof(stuff_cases[0]); i++) {
		c = &stuff_cases[i];
		inlen = c->inlen ? c->inlen : strlen(c->in);
		want = c->outlen ? c->outlen : strlen(c->out);
		outlen = 12345;
		out = sp_message_stuff(c->in, inlen, &outlen);
		assert_non_null(out);
		if (outlen != want || memcmp(out, c->out, want) != 0)
			print_error("stuff case %zu\n", i);
		assert_int_equal(outlen, want);
		assert_memory_equal(out, c->out, want);
		assert_int_equal(out[outlen], '\0');
		free(out);
	}
}

static void
test_stuff_empty_null(void **state)
{
	size_t outlen = 99;
	char *out = sp_message_stuff(NULL, 0, &outlen);

	assert_non_null(out);
	assert_int_equal(outlen, 0);
	assert_string_equal(out, "");
	free(out);
}

static uint64_t
prng(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Line ends as a reader sees them: CR LF, LF, CR each become one LF. */
static size_t
normalise(const char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\r') {
			if (i + 1 < n && in[i + 1] == '\n')
				i++;
			out[o++] = '\n';
		} else {
			out[o++] = in[i];
		}
	}
	if (o > 0 && out[o - 1] != '\n')
		out[o++] = '\n';
	return o;
}

/*
 * What a server does on receipt (RFC 5321 4.5.2): every line ends in
 * CR LF, and one leading dot is removed. @return the length, or -1 when a
 * bare CR or LF or an early end-of-data line was found.
 */
static long
unstuff(const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0, end;

	while (i < n) {
		for (end = i; end < n && in[end] != '\r' && in[end] != '\n';
		    end++)
			;
		if (end + 1 >= n || in[end] != '\r' || in[end + 1] != '\n')
			return -1;
		if (end - i == 1 && in[i] == '.')
			return -1;
		if (in[i] == '.')
			i++;
		memcpy(out + o, in + i, end - i);
		o += end - i;
		out[o++] = '\n';
		i = end + 2;
	}
	return (long)o;
}

/* Random bodies of dots, CRs, LFs and letters: stuffing is lossless. */
static void
test_stuff_roundtrip(void **state)
{
	static const char alphabet[] = ".\r\na.";
	char in[64], want[128], got[256];
	uint64_t seed = 0x646f7473ull;
	size_t i, j, n, outlen, wantlen;
	long gotlen;
	char *out;

	for (i = 0; i < 20000; i++) {
		n = prng(&seed) % sizeof(in);
		for (j = 0; j < n; j++)
			in[j] = alphabet[prng(&seed) % (sizeof(alphabet) - 1)];
		out = sp_message_stuff(in, n, &outlen);
		assert_non_null(out);
		assert_true(outlen <= 2 * n + 2);
		wantlen = normalise(in, n, want);
		gotlen = unstuff(out, outlen, got);
		assert_true(gotlen >= 0);
		assert_int_equal((size_t)gotlen, wantlen);
		assert_memory_equal(got, want, wantlen);
		free(out);
	}
}

/* ------------------------------------------------------------ build */

static const char *const one_rcpt[] = { "kate@example.org" };

static void
base_params(struct sp_message_params *mp)
{
	memset(mp, 0, sizeof(*mp));
	mp->from = "probe@example.org";
	mp->rcpts = one_rcpt;
	mp->nrcpts = 1;
	mp->date = T_2026;
	mp->msgid = "<1795496462.42@probe.example.org>";
	mp->helo = "probe.example.org";
}

static void
check_build(const struct sp_message_params *mp, const char *want)
{
	size_t len = 0;
	char *msg = sp_message_build(mp, &len);

	assert_non_null(msg);
	assert_string_equal(msg, want);
	assert_int_equal(len, strlen(want));
	free(msg);
}

static void
test_build_defaults(void **state)
{
	struct sp_message_params mp;

	base_params(&mp);
	check_build(&mp,
	    "Date: Tue, 24 Nov 2026 05:01:02 +0000\r\n"
	    "Message-ID: <1795496462.42@probe.example.org>\r\n"
	    "From: <probe@example.org>\r\n"
	    "To: <kate@example.org>\r\n"
	    "Subject: smtp-probe test message\r\n"
	    "\r\n"
	    "This is a test message sent by smtp-probe from "
	    "probe.example.org.\r\n"
	    ".\r\n");
}

struct date_case {
	time_t t;
	const char *date;
};

static void
test_date_format(void **state)
{
	static const struct date_case cases[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
		{ 947405226, "Sun, 09 Jan 2000 08:07:06 +0000" },
		{ 946684799, "Fri, 31 Dec 1999 23:59:59 +0000" },
		{ 1709251199, "Thu, 29 Feb 2024 23:59:59 +0000" },
		{ T_2026, "Tue, 24 Nov 2026 05:01:02 +0000" },
	};
	struct sp_message_params mp;
	char want[64];
	size_t i, len;
	char *msg;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		base_params(&mp);
		mp.date = cases[i].t;
		msg = sp_message_build(&mp, &len);
		assert_non_null(msg);
		snprintf(want, sizeof(want), "Date: %s\r\n", cases[i].date);
		assert_memory_equal(msg, want, strlen(want));
		free(msg);
	}
}

static void
test_subject_param(void **state)
{
	struct sp_message_params mp;
	size_t len;
	char *msg;

	base_params(&mp);
	mp.subject = "Nightly check";
	msg = sp_message_build(&mp, &len);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "\r\nSubject: Nightly check\r\n\r\n"));
	assert_null(strstr(msg, "smtp-probe test message"));
	free(msg);
}

/* User headers replace defaults of the same name, in any case. */
static void
test_user_headers_override(void **state)
{
	static const char *const headers[] = {
		"subject: custom", "FROM: Probe <probe@example.org>",
		"X-Probe: 1"
	};
	struct sp_message_params mp;

	base_params(&mp);
	mp.subject = "not this one";
	mp.headers = headers;
	mp.nheaders = 3;
	check_build(&mp,
	    "Date: Tue, 24 Nov 2026 05:01:02 +0000\r\n"
	    "Message-ID: <1795496462.42@probe.example.org>\r\n"
	    "To: <kate@example.org>\r\n"
	    "subject: custom\r\n"
	    "FROM: Probe <probe@example.org>\r\n"
	    "X-Probe: 1\r\n"
	    "\r\n"
	    "This is a test message sent by smtp-probe from "
	    "probe.example.org.\r\n"
	    ".\r\n");
}

/* Only the whole name before the colon counts. */
static void
test_header_name_match(void **state)
{
	static const char *const headers[] = {
		"Subjects: a", "X-Subject: b", "Date : c", "Message-Id: <x@y>",
		"To"
	};
	struct sp_message_params mp;
	size_t len;
	char *msg;

	base_params(&mp);
	mp.headers = headers;
	mp.nheaders = 5;
	msg = sp_message_build(&mp, &len);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "\r\nSubject: smtp-probe test message\r\n"));
	assert_non_null(strstr(msg, "\r\nTo: <kate@example.org>\r\n"));
	assert_null(strstr(msg, "Date: Tue"));
	assert_null(strstr(msg, "Message-ID:"));
	assert_non_null(strstr(msg, "\r\nDate : c\r\n"));
	assert_non_null(strstr(msg, "\r\nMessage-Id: <x@y>\r\n"));
	free(msg);
}

static void
test_multiple_recipients(void **state)
{
	static const char *const rcpts[] = {
		"a@example.org", "b@example.net", "c@example.com"
	};
	struct sp_message_params mp;
	size_t len;
	char *msg;

	base_params(&mp);
	mp.rcpts = rcpts;
	mp.nrcpts = 3;
	msg = sp_message_build(&mp, &len);
	assert_non_null(msg);
	assert_non_null(strstr(msg,
	    "\r\nTo: <a@example.org>, <b@example.net>, <c@example.com>\r\n"));
	free(msg);
}

/* Many recipients: folded lines within 78 bytes, unfolding gives the list. */
static void
test_recipients_folded(void **state)
{
	const char *rcpts[8];
	char names[8][40], unfolded[1024], *to, *end, *p;
	struct sp_message_params mp;
	size_t i, len, n = 0;
	char *msg;

	for (i = 0; i < 8; i++) {
		snprintf(names[i], sizeof(names[i]), "recipient%zu@example.org", i);
		rcpts[i] = names[i];
	}
	base_params(&mp);
	mp.rcpts = rcpts;
	mp.nrcpts = 8;
	msg = sp_message_build(&mp, &len);
	assert_non_null(msg);
	to = strstr(msg, "\r\nTo: ") + 2;
	end = strstr(to, "\r\nSubject: ");
	assert_non_null(end);
	/* Every physical line of the header is short and continues with a space. */
	for (p = to; p < end; p = strstr(p, "\r\n") + 2) {
		assert_true(strstr(p, "\r\n") - p <= 78);
		if (p != to)
			assert_int_equal(*p, ' ');
	}
	assert_non_null(strstr(to, ",\r\n <"));
	for (p = to; p < end; p++) {
		if (p[0] == '\r' && p[1] == '\n')
			p++;
		else
			unfolded[n++] = *p;
	}
	unfolded[n] = '\0';
	assert_string_equal(unfolded, "To: <recipient0@example.org>, "
	    "<recipient1@example.org>, <recipient2@example.org>, "
	    "<recipient3@example.org>, <recipient4@example.org>, "
	    "<recipient5@example.org>, <recipient6@example.org>, "
	    "<recipient7@example.org>");
	free(msg);
}

static const char *
after_headers(const char *msg)
{
	const char *p = strstr(msg, "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

struct body_case {
	const char *body;
	const char *sent;   /* what follows the blank line */
};

static void
test_body(void **state)
{
	static const struct body_case cases[] = {
		{ "Hello\n.\n..x\nend", "Hello\r\n..\r\n...x\r\nend\r\n.\r\n" },
		{ "x\r\n", "x\r\n.\r\n" },
		{ "x\n", "x\r\n.\r\n" },
		{ "x", "x\r\n.\r\n" },
		{ ".", "..\r\n.\r\n" },
		{ "", ".\r\n" },
		{ "a\r\n\r\n", "a\r\n\r\n.\r\n" },
		{ "mixed\r\nlf\nand cr\rend\r\n", "mixed\r\nlf\r\nand cr\r\nend\r\n.\r\n" },
	};
	struct sp_message_params mp;
	size_t i, len;
	char *msg;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		base_params(&mp);
		mp.body = cases[i].body;
		mp.bodylen = strlen(cases[i].body);
		msg = sp_message_build(&mp, &len);
		assert_non_null(msg);
		assert_string_equal(after_headers(msg), cases[i].sent);
		assert_int_equal(len, strlen(msg));
		/* Exactly one end-of-data mark, at the very end. */
		assert_ptr_equal(strstr(msg, "\r\n.\r\n"), msg + len - 5);
		free(msg);
	}
}

static void
test_empty_body(void **state)
{
	struct sp_message_params mp;

	base_params(&mp);
	mp.body = "";
	mp.bodylen = 0;
	check_build(&mp,
	    "Date: Tue, 24 Nov 2026 05:01:02 +0000\r\n"
	    "Message-ID: <1795496462.42@probe.example.org>\r\n"
	    "From: <probe@example.org>\r\n"
	    "To: <kate@example.org>\r\n"
	    "Subject: smtp-probe test message\r\n"
	    "\r\n"
	    ".\r\n");
}

/* Should the caller's checks fail, a CR or LF adds no header line. */
static void
test_header_injection_defused(void **state)
{
	static const char *const headers[] = {
		"X-A: 1\r\nBcc: evil@example.com", "", ".dot: x"
	};
	struct sp_message_params mp;
	size_t len;
	char *msg;

	base_params(&mp);
	mp.subject = "hi\r\nBcc: evil@example.com";
	mp.helo = "evil\n.\nRCPT TO:<x>";
	mp.headers = headers;
	mp.nheaders = 3;
	msg = sp_message_build(&mp, &len);
	assert_non_null(msg);
	assert_null(strstr(msg, "\r\nBcc:"));
	assert_null(strstr(msg, "\nRCPT"));
	assert_non_null(strstr(msg, "\r\nSubject: hi  Bcc: evil@example.com\r\n"));
	assert_non_null(strstr(msg, "\r\nX-A: 1  Bcc: evil@example.com\r\n"));
	/* An empty header would end the headers early; a dot is stuffed. */
	assert_non_null(strstr(msg, "\r\n..dot: x\r\n\r\nThis is"));
	assert_memory_equal(after_headers(msg), "This is", 7);
	assert_ptr_equal(strstr(msg, "\r\n.\r\n"), msg + len - 5);
	free(msg);
}

/*
 * Built for BDAT: the same message, CRLF-normalised but not dot-stuffed and
 * without the final ".": the DATA form unstuffed, and as long as the SIZE=
 * the DATA form gives (the one number MAIL and BDAT both carry).
 */
static void
test_build_bdat(void **state)
{
	static const char *const headers[] = { ".dot: x", "X-Probe: yes" };
	static const char body[] = ".leading dot\nsecond\r\n..two\n.\nlast";
	struct sp_message_params mp;
	size_t dlen, blen;
	char *data, *bdat;

	base_params(&mp);
	mp.headers = headers;
	mp.nheaders = 2;
	mp.body = body;
	mp.bodylen = strlen(body);
	data = sp_message_build(&mp, &dlen);
	mp.bdat = true;
	bdat = sp_message_build(&mp, &blen);
	assert_non_null(data);
	assert_non_null(bdat);
	assert_int_equal(blen, strlen(bdat));
	assert_string_equal(after_headers(bdat),
	    ".leading dot\r\nsecond\r\n..two\r\n.\r\nlast\r\n");
	assert_non_null(strstr(bdat, "\r\n.dot: x\r\nX-Probe: yes\r\n\r\n"));
	assert_int_equal(blen, sp_message_size(data, dlen));
	/* The DATA form less its stuffing and final dot is the BDAT form. */
	assert_string_equal(after_headers(data),
	    "..leading dot\r\nsecond\r\n...two\r\n..\r\nlast\r\n.\r\n");
	assert_memory_equal(data, bdat, (size_t)(strstr(bdat, "\r\n.dot") - bdat));
	free(data);
	free(bdat);

	/* The defaults alone: the same bytes but the last line. */
	base_params(&mp);
	data = sp_message_build(&mp, &dlen);
	mp.bdat = true;
	bdat = sp_message_build(&mp, &blen);
	assert_int_equal(blen + 3, dlen);
	assert_memory_equal(data, bdat, blen);
	assert_string_equal(data + blen, ".\r\n");
	free(data);
	free(bdat);
}

static void
test_no_msgid_no_helo(void **state)
{
	struct sp_message_params mp;

	base_params(&mp);
	mp.msgid = NULL;
	mp.helo = NULL;
	check_build(&mp,
	    "Date: Tue, 24 Nov 2026 05:01:02 +0000\r\n"
	    "From: <probe@example.org>\r\n"
	    "To: <kate@example.org>\r\n"
	    "Subject: smtp-probe test message\r\n"
	    "\r\n"
	    "This is a test message sent by smtp-probe.\r\n"
	    ".\r\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stuff_table),
		cmocka_unit_test(test_stuff_empty_null),
		cmocka_unit_test(test_stuff_roundtrip),
		cmocka_unit_test(test_build_defaults),
		cmocka_unit_test(test_date_format),
		cmocka_unit_test(test_subject_param),
		cmocka_unit_test(test_user_headers_override),
		cmocka_unit_test(test_header_name_match),
		cmocka_unit_test(test_multiple_recipients),
		cmocka_unit_test(test_recipients_folded),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_header_injection_defused),
		cmocka_unit_test(test_no_msgid_no_helo),
		cmocka_unit_test(test_build_bdat),
	};

	return cmocka_run_group_tests_name("message", tests, NULL, NULL);
}
