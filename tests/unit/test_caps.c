/* SPDX-License-Identifier: MIT */
/*
 * test_caps.c - EHLO capabilities: whole keywords in any case, SIZE values,
 * AUTH mechanisms in both spellings, and the bounded text summary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "caps.h"

/* Feeds an EHLO reply's texts, the first being the greeting line. */
static void
feed(struct sp_caps *c, const char *const *lines)
{
	size_t i;

	sp_caps_clear(c);
	for (i = 0; lines[i] != NULL; i++)
		sp_caps_line(c, lines[i], strlen(lines[i]), i == 0);
}

static void
check_text(const struct sp_caps *c, const char *want)
{
	assert_string_equal(c->text, want);
	assert_int_equal(c->textlen, strlen(want));
}

/* The Exchange reply of the SPEC's seed. */
static void
test_exchange(void **state)
{
	static const char *const lines[] = {
		"mail1.fabrikam.com Hello [172.16.0.5]", "SIZE 37748736",
		"PIPELINING", "DSN", "ENHANCEDSTATUSCODES", "STARTTLS",
		"X-ANONYMOUSTLS", "AUTH NTLM", "X-EXPS GSSAPI NTLM", "8BITMIME",
		"BINARYMIME", "CHUNKING", "XRDST", NULL
	};
	struct sp_caps c;

	feed(&c, lines);
	assert_int_equal(c.ext, SP_EXT_SIZE | SP_EXT_PIPELINING | SP_EXT_DSN |
	    SP_EXT_ENHANCEDSTATUSCODES | SP_EXT_STARTTLS | SP_EXT_AUTH |
	    SP_EXT_8BITMIME | SP_EXT_BINARYMIME | SP_EXT_CHUNKING);
	assert_int_equal(c.auth, 0); /* NTLM only: none we can speak */
	assert_int_equal(c.size, 37748736);
	check_text(&c, "SIZE=37748736 PIPELINING DSN ENHANCEDSTATUSCODES "
	    "STARTTLS X-ANONYMOUSTLS AUTH=NTLM X-EXPS=GSSAPI,NTLM 8BITMIME "
	    "BINARYMIME CHUNKING XRDST");
	assert_true(sp_caps_has(&c, "X-ANONYMOUSTLS"));
	assert_true(sp_caps_has(&c, "x-anonymoustls"));
	assert_true(sp_caps_has(&c, "XRDST"));
	assert_true(sp_caps_has(&c, "X-EXPS"));
	assert_true(sp_caps_has(&c, "STARTTLS"));
	assert_true(sp_caps_has(&c, "auth"));
	assert_false(sp_caps_has(&c, "SMTPUTF8"));
	/* Parameters and parts of keywords are not keywords. */
	assert_false(sp_caps_has(&c, "GSSAPI"));
	assert_false(sp_caps_has(&c, "NTLM"));
	assert_false(sp_caps_has(&c, "X-ANONYMOUS"));
	assert_false(sp_caps_has(&c, "EXPS"));
	/* The greeting line is not a keyword. */
	assert_false(sp_caps_has(&c, "mail1.fabrikam.com"));
	assert_false(sp_caps_has(&c, "Hello"));
}

static void
test_postfix(void **state)
{
	static const char *const lines[] = {
		"mail.example.org", "PIPELINING", "SIZE 10240000", "VRFY", "ETRN",
		"STARTTLS", "AUTH PLAIN LOGIN", "AUTH=PLAIN LOGIN",
		"ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING",
		NULL
	};
	struct sp_caps c;

	feed(&c, lines);
	assert_int_equal(c.ext, SP_EXT_PIPELINING | SP_EXT_SIZE |
	    SP_EXT_STARTTLS | SP_EXT_AUTH | SP_EXT_ENHANCEDSTATUSCODES |
	    SP_EXT_8BITMIME | SP_EXT_DSN | SP_EXT_SMTPUTF8 | SP_EXT_CHUNKING);
	assert_int_equal(c.auth, SP_AUTH_PLAIN | SP_AUTH_LOGIN);
	assert_int_equal(c.size, 10240000);
	/* "AUTH=PLAIN LOGIN" repeats "AUTH PLAIN LOGIN": one entry. */
	check_text(&c, "PIPELINING SIZE=10240000 VRFY ETRN STARTTLS "
	    "AUTH=PLAIN,LOGIN ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8 "
	    "CHUNKING");
	assert_true(sp_caps_has(&c, "VRFY"));
	assert_true(sp_caps_has(&c, "etrn"));
	assert_false(sp_caps_has(&c, "BINARYMIME"));
}

static void
test_greeting_is_not_a_keyword(void **state)
{
	static const char *const lines[] = { "PIPELINING", NULL };
	struct sp_caps c;

	feed(&c, lines);
	assert_int_equal(c.ext, 0);
	assert_false(sp_caps_has(&c, "PIPELINING"));
	check_text(&c, "");
}

static void
test_lowercase(void **state)
{
	static const char *const lines[] = {
		"mx.example.net", "size 1000", "pipelining", "auth plain cram-md5",
		"StartTLS", "x-custom Foo bar", NULL
	};
	struct sp_caps c;

	feed(&c, lines);
	assert_int_equal(c.ext, SP_EXT_SIZE | SP_EXT_PIPELINING | SP_EXT_AUTH |
	    SP_EXT_STARTTLS);
	assert_int_equal(c.size, 1000);
	assert_int_equal(c.auth, SP_AUTH_PLAIN | SP_AUTH_CRAM_MD5);
	/* Keywords upper-cased, parameters as given. */
	check_text(&c, "SIZE=1000 PIPELINING AUTH=plain,cram-md5 STARTTLS "
	    "X-CUSTOM=Foo,bar");
	assert_true(sp_caps_has(&c, "Pipelining"));
	assert_true(sp_caps_has(&c, "X-Custom"));
}

static void
test_whole_keywords_only(void **state)
{
	static const char *const lines[] = {
		"mx.example.net", "XPIPELINING", "PIPELININGX", "X-STARTTLS",
		"AUTHX PLAIN", "SIZEX 5", "XAUTH LOGIN", NULL
	};
	struct sp_caps c;

	feed(&c, lines);
	assert_int_equal(c.ext, 0);
	assert_int_equal(c.auth, 0);
	assert_int_equal(c.size, 0);
	assert_false(sp_caps_has(&c, "PIPELINING"));
	assert_false(sp_caps_has(&c, "STARTTLS"));
	assert_false(sp_caps_has(&c, "AUTH"));
	assert_false(sp_caps_has(&c, "PIPE"));
	assert_false(sp_caps_has(&c, "X-START"));
	assert_true(sp_caps_has(&c, "XPIPELINING"));
	assert_true(sp_caps_has(&c, "authx"));
}

static void
test_auth_legacy_form(void **state)
{
	static const char *const lines[] = {
		"old.example.com", "AUTH=LOGIN PLAIN", NULL
	};
	struct sp_caps c;

	feed(&c, lines);
	assert_int_equal(c.ext, SP_EXT_AUTH);
	assert_int_equal(c.auth, SP_AUTH_LOGIN | SP_AUTH_PLAIN);
	check_text(&c, "AUTH=LOGIN,PLAIN");
	assert_true(sp_caps_has(&c, "AUTH"));
	assert_false(sp_caps_has(&c, "AUTH=LOGIN"));
	assert_false(sp_caps_has(&c, "LOGIN"));
}

static void
test_auth_mechanisms(void **state)
{
	static const char *const lines[] = {
		"mx", "AUTH  GSSAPI   CRAM-MD5 SCRAM-SHA-256\tLOGIN ", NULL
	};
	struct sp_caps c;

	feed(&c, lines);
	assert_int_equal(c.auth, SP_AUTH_CRAM_MD5 | SP_AUTH_LOGIN);
	/* Unknown mechanisms are kept in the text; runs of blanks are one. */
	check_text(&c, "AUTH=GSSAPI,CRAM-MD5,SCRAM-SHA-256,LOGIN");
}

struct size_case {
	const char *line;
	uint64_t size;
};

static void
test_size_values(void **state)
{
	static const struct size_case cases[] = {
		{ "SIZE", 0 },
		{ "SIZE 0", 0 },
		{ "SIZE 1", 1 },
		{ "SIZE 52428800", 52428800 },
		{ "SIZE 18446744073709551614", UINT64_MAX - 1 },
		{ "SIZE 18446744073709551615", UINT64_MAX },
		/* Too large for 64 bits: saturates, never wraps. */
		{ "SIZE 18446744073709551616", UINT64_MAX },
		{ "SIZE 99999999999999999999999999999", UINT64_MAX },
		/* Not a number: no known limit. */
		{ "SIZE abc", 0 },
		{ "SIZE 12abc", 0 },
		{ "SIZE -5", 0 },
	};
	struct sp_caps c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sp_caps_clear(&c);
		c.size = 42;
		sp_caps_line(&c, cases[i].line, strlen(cases[i].line), false);
		if (c.size != cases[i].size)
			print_error("size case \"%s\"\n", cases[i].line);
		assert_true(c.size == cases[i].size);
		assert_int_equal(c.ext, SP_EXT_SIZE);
	}
}

/* "X-" and @n letters: a keyword of n + 2 bytes. */
static void
add_keyword(struct sp_caps *c, char letter, size_t n)
{
	char buf[SP_CAPS_TEXT_MAX + 16];

	assert_true(n + 2 < sizeof(buf));
	buf[0] = 'X';
	buf[1] = '-';
	memset(buf + 2, letter, n);
	sp_caps_line(c, buf, n + 2, false);
}

/* An entry that fills the summary to the last byte is kept. */
static void
test_text_exactly_full(void **state)
{
	struct sp_caps c;

	sp_caps_clear(&c);
	add_keyword(&c, 'A', 998);            /* 1000 bytes */
	assert_int_equal(c.textlen, 1000);
	add_keyword(&c, 'B', 20);             /* ' ' + 22: 1023 */
	assert_int_equal(c.textlen, SP_CAPS_TEXT_MAX - 1);
	assert_int_equal(c.text[SP_CAPS_TEXT_MAX - 1], '\0');
	assert_int_equal(strlen(c.text), c.textlen);
	assert_true(sp_caps_has(&c, "X-BBBBBBBBBBBBBBBBBBBB"));
	/* Nothing more fits, not even one byte. */
	sp_caps_line(&c, "Z", 1, false);
	assert_int_equal(c.textlen, SP_CAPS_TEXT_MAX - 1);
	assert_false(sp_caps_has(&c, "Z"));
	/* A known extension is still answered from its bit. */
	sp_caps_line(&c, "STARTTLS", 8, false);
	assert_true(sp_caps_has(&c, "STARTTLS"));
	assert_int_equal(strlen(c.text), SP_CAPS_TEXT_MAX - 1);
}

/* One byte over: the entry is dropped whole, and a later one may fit. */
static void
test_text_one_over(void **state)
{
	struct sp_caps c;

	sp_caps_clear(&c);
	add_keyword(&c, 'A', 998);            /* 1000 bytes */
	add_keyword(&c, 'B', 21);             /* ' ' + 23: 1024, no room for NUL */
	assert_int_equal(c.textlen, 1000);
	assert_int_equal(strlen(c.text), 1000);
	assert_false(sp_caps_has(&c, "X-BBBBBBBBBBBBBBBBBBBBB"));
	/* Never half an entry, parameters included. */
	sp_caps_line(&c, "SIZE 12345678901234567890", 25, false);
	assert_int_equal(c.textlen, 1000);
	assert_int_equal(c.ext, SP_EXT_SIZE);
	sp_caps_line(&c, "DSN", 3, false);
	assert_int_equal(c.textlen, 1004);
	assert_string_equal(c.text + 1000, " DSN");
}

static void
test_unprintable_skipped(void **state)
{
	static const char line[] = "X-FOO\x01\x7f bar\xc3\xa9 \xff";
	struct sp_caps c;
	size_t i;

	sp_caps_clear(&c);
	sp_caps_line(&c, line, sizeof(line) - 1, false);
	check_text(&c, "X-FOO=bar");
	for (i = 0; i < c.textlen; i++)
		assert_true(c.text[i] > ' ' && c.text[i] < 0x7f);
}

static void
test_duplicates_and_edges(void **state)
{
	struct sp_caps c;

	sp_caps_clear(&c);
	sp_caps_line(&c, "PIPELINING", 10, false);
	sp_caps_line(&c, "PIPELINING", 10, false);
	sp_caps_line(&c, "", 0, false);
	sp_caps_line(&c, "   ", 3, false);
	sp_caps_line(&c, "=x", 2, false);
	/* Only the @p len bytes count, not what follows. */
	sp_caps_line(&c, "DSNXYZ", 3, false);
	/* A keyword cut short by @p len is not the longer keyword. */
	sp_caps_line(&c, "STARTTLS", 5, false);
	check_text(&c, "PIPELINING DSN START");
	assert_int_equal(c.ext, SP_EXT_PIPELINING | SP_EXT_DSN);
	assert_false(sp_caps_has(&c, "STARTTLS"));
	assert_false(sp_caps_has(&c, "DSNX"));
	assert_false(sp_caps_has(&c, "STARTX"));
	assert_true(sp_caps_has(&c, "start"));
	assert_false(sp_caps_has(&c, NULL));
	assert_false(sp_caps_has(&c, ""));
	sp_caps_clear(&c);
	assert_int_equal(c.ext, 0);
	check_text(&c, "");
	assert_false(sp_caps_has(&c, "PIPELINING"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_postfix),
		cmocka_unit_test(test_greeting_is_not_a_keyword),
		cmocka_unit_test(test_lowercase),
		cmocka_unit_test(test_whole_keywords_only),
		cmocka_unit_test(test_auth_legacy_form),
		cmocka_unit_test(test_auth_mechanisms),
		cmocka_unit_test(test_size_values),
		cmocka_unit_test(test_text_exactly_full),
		cmocka_unit_test(test_text_one_over),
		cmocka_unit_test(test_unprintable_skipped),
		cmocka_unit_test(test_duplicates_and_edges),
	};

	return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
