/* SPDX-License-Identifier: MIT */
/*
 * test_stsparse.c - MTA-STS and TLS-RPT from their bytes, table by table:
 * the TXT records (counting, several, every malformation, the id bound),
 * the policy text (every fault with its line and shown text, the bounds of
 * max_age, of the MX list and of the text, line ends, NUL and long lines)
 * and the MX patterns (the wildcard covers one label exactly, any case,
 * trailing dots).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stsparse.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A valid head the policy cases add their lines to. */
#define HEAD "version: STSv1\nmode: enforce\nmax_age: 86400\n"

/* ---------------------------------------------------------------- MTA-STS TXT */

/* The NULL-terminated @p texts (at most 8) as records. @return how many. */
static size_t
recs_of(const char *const *texts, struct sp_txtrec *recs)
{
	size_t n = 0;

	for (; texts[n] != NULL; n++) {
		assert_true(n < 8);
		recs[n] = (struct sp_txtrec){ texts[n], strlen(texts[n]) };
	}
	return n;
}

/* Judges @p texts as MTA-STS records into @p sts and as TLS-RPT ones into @p rpt, either NULL. */
static void
judge(const char *const *texts, struct sp_sts_txt *sts, struct sp_tlsrpt *rpt)
{
	struct sp_txtrec recs[8];
	size_t n = recs_of(texts, recs);

	if (sts != NULL) {
		memset(sts, 0x5a, sizeof(*sts));
		sp_sts_txt_judge(recs, n, sts);
	}
	if (rpt != NULL) {
		memset(rpt, 0x5a, sizeof(*rpt));
		sp_tlsrpt_judge(recs, n, rpt);
	}
}

static void
sts_txt(const char *const *texts, struct sp_sts_txt *out)
{
	judge(texts, out, NULL);
}

static void
sts_txt_good(void **state)
{
	static const struct {
		const char *rec;
		const char *id;
	} cases[] = {
		{ "v=STSv1; id=20160831085700Z;", "20160831085700Z" },
		{ "v=STSv1; id=20160831085700Z", "20160831085700Z" },
		{ "v=STSv1;id=a", "a" },
		{ "v=STSv1;  id=abc \t;\t", "abc" },
		{ "v=STSv1; ext=x; id=1; other-ext.v2=a:b/c", "1" },
		{ "v=STSv1; id=12345678901234567890123456789012", "12345678901234567890123456789012" },
	};
	struct sp_sts_txt t;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *recs[] = { cases[i].rec, NULL };

		sts_txt(recs, &t);
		assert_int_equal(t.status, SP_STS_TXT_OK);
		assert_string_equal(t.id, cases[i].id);
		assert_int_equal(t.count, 1);
		assert_string_equal(t.bad, "");
	}
	/* Records of other kinds beside it are discarded, not counted. */
	{
		const char *recs[] = { "google-site-verification=abc", "v=spf1 -all",
			"v=STSv10; id=1", "V=STSv1; id=2", " v=STSv1; id=3", "v=STSv1; id=ok", NULL };

		sts_txt(recs, &t);
		assert_int_equal(t.status, SP_STS_TXT_OK);
		assert_string_equal(t.id, "ok");
		assert_int_equal(t.count, 1);
	}
}

static void
sts_txt_none_several(void **state)
{
	const char *none[] = { "v=spf1 -all", "v=STSv2; id=1", "", NULL };
	const char *several[] = { "v=spf1", "v=STSv1; id=1", "x", "v=STSv1; id=2", NULL };
	const char *several_bad[] = { "v=STSv1", "v=STSv1; id=2", "v=STSv1 ;", NULL };
	struct sp_sts_txt t;

	(void)state;
	sts_txt(none, &t);
	assert_int_equal(t.status, SP_STS_TXT_NONE);
	assert_int_equal(t.count, 0);
	assert_string_equal(t.bad, "");
	assert_string_equal(t.id, "");

	sp_sts_txt_judge(NULL, 0, &t);
	assert_int_equal(t.status, SP_STS_TXT_NONE);
	assert_int_equal(t.count, 0);

	sts_txt(several, &t);
	assert_int_equal(t.status, SP_STS_TXT_SEVERAL);
	assert_int_equal(t.count, 2);
	assert_string_equal(t.bad, "v=STSv1; id=1");  /* the first counted */
	assert_string_equal(t.id, "");

	sts_txt(several_bad, &t);
	assert_int_equal(t.status, SP_STS_TXT_SEVERAL);
	assert_int_equal(t.count, 3);
	assert_string_equal(t.bad, "v=STSv1");
}

static void
sts_txt_malformed(void **state)
{
	static const char *const cases[] = {
		"v=STSv1",                                 /* no id */
		"v=STSv1;",
		"v=STSv1; ",
		"v=STSv1 ; id=1",                          /* not "v=STSv1;" */
		"v=STSv1\t; id=1",
		"v=STSv1; id=123456789012345678901234567890123",   /* 33 */
		"v=STSv1; id=",
		"v=STSv1; id=abc-def",
		"v=STSv1; id=ab cd",
		"v=STSv1; id=a; id=b",                     /* two ids */
		"v=STSv1; ID=abc",                         /* names are case-sensitive */
		"v=STSv1; id=1;; x=y",                     /* an empty field inside */
		"v=STSv1;; id=1",
		"v=STSv1; id=1;;",
		"v=STSv1; id=1; ext",                      /* not name=value */
		"v=STSv1; id=1; ext=",
		"v=STSv1; id=1; =x",
		"v=STSv1; id=1; _ext=x",                   /* the name starts with a letter or digit */
		"v=STSv1; id=1; e=x=y",
		"v=STSv1; id=1; e=x y",
		"v=STSv1; id=1; e=\x01",
		"v=STSv1; id=1; e=\xc3\xa9",
		"v=STSv1; id=1; abcdefghijabcdefghijabcdefghijabc=x",   /* a 33-byte name */
	};
	struct sp_sts_txt t;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *recs[] = { "v=spf1 -all", cases[i], NULL };

		sts_txt(recs, &t);
		if (t.status != SP_STS_TXT_MALFORMED)
			fail_msg("case %zu: status %d", i, t.status);
		assert_int_equal(t.count, 1);
		assert_string_equal(t.id, "");
		assert_true(strlen(t.bad) > 0);
	}
	/* A 32-byte extension name is fine. */
	{
		const char *recs[] = { "v=STSv1; id=1; abcdefghijabcdefghijabcdefghijab=x", NULL };

		sts_txt(recs, &t);
		assert_int_equal(t.status, SP_STS_TXT_OK);
	}
}

/* The record shown is bounded and printable, whatever it holds. */
static void
txt_shown(void **state)
{
	char rec[300];
	struct sp_txtrec r;
	struct sp_sts_txt t;
	struct sp_tlsrpt rpt;

	(void)state;
	memset(rec, 'x', sizeof(rec));
	memcpy(rec, "v=STSv1; id=\x00\x1b\r\n\x80", 17);
	r = (struct sp_txtrec){ rec, sizeof(rec) };
	sp_sts_txt_judge(&r, 1, &t);
	assert_int_equal(t.status, SP_STS_TXT_MALFORMED);
	assert_int_equal(strlen(t.bad), SP_STS_SHOW + 3);
	assert_memory_equal(t.bad, "v=STSv1; id=?????xxx", 20);
	assert_string_equal(t.bad + SP_STS_SHOW, "...");

	/* exactly SP_STS_SHOW bytes: no mark */
	memcpy(rec, "v=TLSRPTv1;", 11);
	r.len = SP_STS_SHOW;
	sp_tlsrpt_judge(&r, 1, &rpt);
	assert_int_equal(rpt.status, SP_TLSRPT_MALFORMED);
	assert_int_equal(strlen(rpt.bad), SP_STS_SHOW);
}

/* ---------------------------------------------------------------- TLS-RPT TXT */

static void
tlsrpt(const char *const *texts, struct sp_tlsrpt *out)
{
	judge(texts, NULL, out);
}

static void
tlsrpt_good(void **state)
{
	static const struct {
		const char *rec;
		size_t nrua;
	} cases[] = {
		{ "v=TLSRPTv1; rua=mailto:tlsrpt@example.org", 1 },
		{ "v=TLSRPTv1;rua=https://reports.example.org/tlsrpt;", 1 },
		{ "v=TLSRPTv1; rua=mailto:a@example.org,https://r.example.org/x?y=z", 2 },
		{ "v=TLSRPTv1; rua=mailto:a@example.org , MAILTO:b@example.org,\tHTTPS://c", 3 },
		{ "v=TLSRPTv1; ext=1; rua=mailto:a@b ; other=x;", 1 },
	};
	struct sp_tlsrpt t;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *recs[] = { "v=spf1 -all", cases[i].rec, "v=STSv1; id=1", NULL };

		tlsrpt(recs, &t);
		if (t.status != SP_TLSRPT_OK)
			fail_msg("case %zu: status %d", i, t.status);
		assert_int_equal(t.nrua, cases[i].nrua);
		assert_string_equal(t.bad, "");
	}
}

static void
tlsrpt_bad(void **state)
{
	static const char *const malformed[] = {
		"v=TLSRPTv1",
		"v=TLSRPTv1;",
		"v=TLSRPTv1 ; rua=mailto:a@b",
		"v=TLSRPTv1; rua=",
		"v=TLSRPTv1; rua=http://insecure.example.org/",
		"v=TLSRPTv1; rua=ftp://x",
		"v=TLSRPTv1; rua=mailto:",
		"v=TLSRPTv1; rua=https:",
		"v=TLSRPTv1; rua=mailto:a@b,",
		"v=TLSRPTv1; rua=mailto:a@b,,mailto:c@d",
		"v=TLSRPTv1; rua=mailto:a b",
		"v=TLSRPTv1; rua=mailto:a@b; rua=mailto:c@d",
		"v=TLSRPTv1; RUA=mailto:a@b",
		"v=TLSRPTv1; rua=mailto:a@\x7f",
		"v=TLSRPTv1; rua=mailto:a@b; x",
	};
	const char *several[] = { "v=TLSRPTv1; rua=mailto:a@b", "v=TLSRPTv1; rua=mailto:c@d", NULL };
	const char *none[] = { "v=TLSRPTv2; rua=mailto:a@b", "v=STSv1; id=1", NULL };
	struct sp_tlsrpt t;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(malformed); i++) {
		const char *recs[] = { malformed[i], NULL };

		tlsrpt(recs, &t);
		if (t.status != SP_TLSRPT_MALFORMED)
			fail_msg("case %zu: status %d", i, t.status);
		assert_int_equal(t.nrua, 0);
		assert_true(strlen(t.bad) > 0);
	}
	tlsrpt(several, &t);
	assert_int_equal(t.status, SP_TLSRPT_SEVERAL);
	assert_string_equal(t.bad, "v=TLSRPTv1; rua=mailto:a@b");
	tlsrpt(none, &t);
	assert_int_equal(t.status, SP_TLSRPT_NONE);
	assert_string_equal(t.bad, "");
	sp_tlsrpt_judge(NULL, 0, &t);
	assert_int_equal(t.status, SP_TLSRPT_NONE);
}

/* ---------------------------------------------------------------- the policy */

static int
parse_n(const char *text, size_t len, struct sp_sts_policy *p)
{
	memset(p, 0x5a, sizeof(*p));
	return sp_sts_policy_parse(text, len, p);
}

static int
parse(const char *text, struct sp_sts_policy *p)
{
	return parse_n(text, strlen(text), p);
}

static void
policy_good(void **state)
{
	static const char rfc[] =
		"version: STSv1\r\n"
		"mode: enforce\r\n"
		"mx: mail.example.com\r\n"
		"mx: *.example.net\r\n"
		"mx: backupmx.example.com\r\n"
		"max_age: 604800\r\n";
	struct sp_sts_policy p;

	(void)state;
	assert_int_equal(parse(rfc, &p), 0);
	assert_int_equal(p.fault, SP_STS_FAULT_NONE);
	assert_int_equal(p.fault_line, 0);
	assert_string_equal(p.fault_text, "");
	assert_int_equal(p.mode, SP_STS_MODE_ENFORCE);
	assert_int_equal(p.max_age, 604800);
	assert_int_equal(p.nlines, 6);
	assert_int_equal(p.nmx, 3);
	assert_string_equal(p.mx[0], "mail.example.com");
	assert_string_equal(p.mx[1], "*.example.net");
	assert_string_equal(p.mx[2], "backupmx.example.com");
	assert_int_equal(p.mx_line[0], 3);
	assert_int_equal(p.mx_line[1], 4);
	assert_int_equal(p.mx_line[2], 5);

	/*
	 * LF and CRLF mixed, the last line without an end, blanks after the
	 * colon and at the ends, empty and blank lines, version not first,
	 * extensions and unknown keys with any value, names lower-cased, the
	 * trailing dot removed.
	 */
	assert_int_equal(parse("\nmode:testing \t\r\n"
	    "mx:\tMX1.Example.ORG.\n"
	    "   \r\n"
	    "\t\n"
	    "x-ext.v2: anything at all: ; = \xc3\xa9\n"
	    "version:    STSv1\n"
	    "Mode: whatever\n"
	    "max_age: 0", &p), 0);
	assert_int_equal(p.mode, SP_STS_MODE_TESTING);
	assert_int_equal(p.max_age, 0);
	assert_int_equal(p.nlines, 9);
	assert_int_equal(p.nmx, 1);
	assert_string_equal(p.mx[0], "mx1.example.org");
	assert_int_equal(p.mx_line[0], 3);

	/* mode none needs no mx */
	assert_int_equal(parse("version: STSv1\nmode: none\nmax_age: 1\n", &p), 0);
	assert_int_equal(p.mode, SP_STS_MODE_NONE);
	assert_int_equal(p.nmx, 0);
	assert_int_equal(p.nlines, 3);
}

static void
policy_max_age(void **state)
{
	static const struct {
		const char *value;
		int ok;
		unsigned long want;
	} cases[] = {
		{ "0", 1, 0 },
		{ "31557600", 1, 31557600 },
		{ "0031557600", 1, 31557600 },      /* 1*10DIGIT: zeros in front count */
		{ "0000000001", 1, 1 },
		{ "31557601", 0, 0 },
		{ "9999999999", 0, 0 },
		{ "00031557600", 0, 0 },            /* 11 digits */
		{ "99999999999999999999999", 0, 0 },
		{ "", 0, 0 },
		{ "-1", 0, 0 },
		{ "+1", 0, 0 },
		{ "1e3", 0, 0 },
		{ "86400s", 0, 0 },
		{ "864 00", 0, 0 },
		{ "0x10", 0, 0 },
	};
	struct sp_sts_policy p;
	char text[200];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof(text), "version: STSv1\nmode: none\nmax_age: %s\n", cases[i].value);
		if (cases[i].ok) {
			assert_int_equal(parse(text, &p), 0);
			assert_int_equal(p.max_age, cases[i].want);
		} else {
			assert_int_equal(parse(text, &p), -1);
			assert_int_equal(p.fault, SP_STS_FAULT_BAD_MAX_AGE);
			assert_int_equal(p.fault_line, 3);
		}
	}
}

/* Every fault: the text, the fault, its line, the line as shown. */
static void
policy_faults(void **state)
{
	static const struct {
		const char *text;
		enum sp_sts_fault fault;
		unsigned line;
		const char *shown;
	} cases[] = {
		{ "", SP_STS_FAULT_NO_VERSION, 0, "" },
		{ "mode: enforce\nmax_age: 1\nmx: a.example\n", SP_STS_FAULT_NO_VERSION, 0, "" },
		{ "Version: STSv1\nmode: none\nmax_age: 1\n", SP_STS_FAULT_NO_VERSION, 0, "" },
		{ "version: STSv2\n", SP_STS_FAULT_BAD_VERSION, 1, "version: STSv2" },
		{ "version: stsv1\n", SP_STS_FAULT_BAD_VERSION, 1, "version: stsv1" },
		{ "version:\n", SP_STS_FAULT_BAD_VERSION, 1, "version:" },
		{ "version: STSv1 x\n", SP_STS_FAULT_BAD_VERSION, 1, "version: STSv1 x" },
		{ "version: STSv1\nmax_age: 1\nmx: a.example\n", SP_STS_FAULT_NO_MODE, 0, "" },
		{ "version: STSv1\nmode: Enforce\n", SP_STS_FAULT_BAD_MODE, 2, "mode: Enforce" },
		{ "version: STSv1\nmode: enforce; testing\n", SP_STS_FAULT_BAD_MODE, 2, "mode: enforce; testing" },
		{ "version: STSv1\nmode:\n", SP_STS_FAULT_BAD_MODE, 2, "mode:" },
		{ "version: STSv1\nmode: enforce\nmx: a.example\n", SP_STS_FAULT_NO_MAX_AGE, 0, "" },
		{ "version: STSv1\nmode: enforce\nmax-age: 5\n", SP_STS_FAULT_NO_MAX_AGE, 0, "" },
		{ "version: STSv1\nmode: enforce\nmax_age: 86400\n", SP_STS_FAULT_NO_MX, 0, "" },
		{ HEAD "nmx: mx.example.org\n", SP_STS_FAULT_NO_MX, 0, "" },
		{ "version: STSv1\nmode: testing\nmax_age: 1\nMX: mx.example.org\n", SP_STS_FAULT_NO_MX, 0, "" },
		{ HEAD "mx: 192.0.2.1\n", SP_STS_FAULT_MX_IP, 4, "mx: 192.0.2.1" },
		{ HEAD "mx: [192.0.2.1]\n", SP_STS_FAULT_MX_IP, 4, "mx: [192.0.2.1]" },
		{ HEAD "mx: 2001:db8::25\n", SP_STS_FAULT_MX_IP, 4, "mx: 2001:db8::25" },
		{ HEAD "mx: [2001:db8::25]\n", SP_STS_FAULT_MX_IP, 4, "mx: [2001:db8::25]" },
		{ HEAD "mx: ::ffff:192.0.2.1\n", SP_STS_FAULT_MX_IP, 4, "mx: ::ffff:192.0.2.1" },
		{ HEAD "mx:\n", SP_STS_FAULT_BAD_MX, 4, "mx:" },
		{ HEAD "mx: *\n", SP_STS_FAULT_BAD_MX, 4, "mx: *" },
		{ HEAD "mx: *.\n", SP_STS_FAULT_BAD_MX, 4, "mx: *." },
		{ HEAD "mx: *.*.example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: *.*.example.org" },
		{ HEAD "mx: mx*.example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: mx*.example.org" },
		{ HEAD "mx: mx.*.example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: mx.*.example.org" },
		{ HEAD "mx: *example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: *example.org" },
		{ HEAD "mx: .example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: .example.org" },
		{ HEAD "mx: mx..example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: mx..example.org" },
		{ HEAD "mx: mx.example.org..\n", SP_STS_FAULT_BAD_MX, 4, "mx: mx.example.org.." },
		{ HEAD "mx: -mx.example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: -mx.example.org" },
		{ HEAD "mx: mx-.example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: mx-.example.org" },
		{ HEAD "mx: mx_1.example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: mx_1.example.org" },
		{ HEAD "mx: mx.example.org mx2.example.org\n", SP_STS_FAULT_BAD_MX, 4,
		  "mx: mx.example.org mx2.example.org" },
		{ HEAD "mx: mx.example.org,mx2.example.org\n", SP_STS_FAULT_BAD_MX, 4,
		  "mx: mx.example.org,mx2.example.org" },
		{ HEAD "mx: [mx.example.org]\n", SP_STS_FAULT_BAD_MX, 4, "mx: [mx.example.org]" },
		{ HEAD "mx: 192.0.2.300\n", SP_STS_FAULT_BAD_MX, 4, "mx: 192.0.2.300" },
		{ HEAD "mx: 1.2.3\n", SP_STS_FAULT_BAD_MX, 4, "mx: 1.2.3" },
		{ HEAD "mx: [192.0.2.1\n", SP_STS_FAULT_BAD_MX, 4, "mx: [192.0.2.1" },
		{ HEAD "mx: fe80::1%eth0\n", SP_STS_FAULT_BAD_MX, 4, "mx: fe80::1%eth0" },
		{ HEAD "mx: m\xc3\xa9l.example.org\n", SP_STS_FAULT_BAD_MX, 4, "mx: m??l.example.org" },
		{ HEAD "mx example.org\n", SP_STS_FAULT_BAD_LINE, 4, "mx example.org" },
		{ HEAD " mx: a.example\n", SP_STS_FAULT_BAD_LINE, 4, " mx: a.example" },
		{ HEAD "mx : a.example\n", SP_STS_FAULT_BAD_LINE, 4, "mx : a.example" },
		{ HEAD ": a.example\n", SP_STS_FAULT_BAD_LINE, 4, ": a.example" },
		{ HEAD "_x: a\n", SP_STS_FAULT_BAD_LINE, 4, "_x: a" },
		{ HEAD "abcdefghijabcdefghijabcdefghijabc: a\n", SP_STS_FAULT_BAD_LINE, 4,
		  "abcdefghijabcdefghijabcdefghijabc: a" },
		{ HEAD "mx: a.example\rmx: b.example\n", SP_STS_FAULT_BAD_LINE, 4, "mx: a.example?mx: b.example" },
		{ HEAD "mx: a.example\r", SP_STS_FAULT_BAD_LINE, 4, "mx: a.example?" },
		{ HEAD "mx: a.example\r\r\n", SP_STS_FAULT_BAD_LINE, 4, "mx: a.example?" },
		{ HEAD "x: \x1b[31m\n", SP_STS_FAULT_BAD_LINE, 4, "x: ?[31m" },
		{ HEAD "x: \x7f\n", SP_STS_FAULT_BAD_LINE, 4, "x: ?" },
		{ HEAD "\x0c\n", SP_STS_FAULT_BAD_LINE, 4, "?" },
		{ "version: STSv1\nversion: STSv1\n", SP_STS_FAULT_DUPLICATE, 2, "version: STSv1" },
		{ "version: STSv1\nmode: none\nmode: enforce\n", SP_STS_FAULT_DUPLICATE, 3, "mode: enforce" },
		{ HEAD "max_age: 86400\n", SP_STS_FAULT_DUPLICATE, 4, "max_age: 86400" },
		/* the first fault is the one reported */
		{ "mode: bad\nversion: x\n", SP_STS_FAULT_BAD_MODE, 1, "mode: bad" },
		{ HEAD "mx: 10.0.0.1\nmx: -\n", SP_STS_FAULT_MX_IP, 4, "mx: 10.0.0.1" },
	};
	struct sp_sts_policy p;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		if (parse(cases[i].text, &p) != -1 || p.fault != cases[i].fault)
			fail_msg("case %zu: fault %d, want %d", i, p.fault, cases[i].fault);
		assert_int_equal(p.fault_line, cases[i].line);
		assert_string_equal(p.fault_text, cases[i].shown);
		assert_true(p.nmx <= SP_STS_MAX_MX);
	}
}

/* NUL bytes are faults, not the end of the text. */
static void
policy_nul(void **state)
{
	static const char text[] = HEAD "mx: a.example\0mx: b.example\nmx: c.example\n";
	static const char tail[] = HEAD "mx: a.example\n\0";
	struct sp_sts_policy p;

	(void)state;
	assert_int_equal(parse_n(text, sizeof(text) - 1, &p), -1);
	assert_int_equal(p.fault, SP_STS_FAULT_BAD_LINE);
	assert_int_equal(p.fault_line, 4);
	assert_string_equal(p.fault_text, "mx: a.example?mx: b.example");
	assert_int_equal(parse_n(tail, sizeof(tail) - 1, &p), -1);
	assert_int_equal(p.fault, SP_STS_FAULT_BAD_LINE);
	assert_int_equal(p.fault_line, 5);
	assert_string_equal(p.fault_text, "?");
	/* the same text cut before the NUL is fine */
	assert_int_equal(parse_n(tail, sizeof(tail) - 2, &p), 0);
}

static void
policy_mx_bounds(void **state)
{
	static char text[16384];
	struct sp_sts_policy p;
	size_t n = 0;
	char name[300];

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, HEAD);
	for (int i = 0; i < SP_STS_MAX_MX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "mx: mx%d.example.org\n", i);
	assert_int_equal(parse_n(text, n, &p), 0);
	assert_int_equal(p.nmx, SP_STS_MAX_MX);
	assert_string_equal(p.mx[SP_STS_MAX_MX - 1], "mx31.example.org");
	assert_int_equal(p.mx_line[SP_STS_MAX_MX - 1], 3 + SP_STS_MAX_MX);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "mx: one.too.many\n");
	assert_int_equal(parse_n(text, n, &p), -1);
	assert_int_equal(p.fault, SP_STS_FAULT_TOO_MANY_MX);
	assert_int_equal(p.fault_line, 4 + SP_STS_MAX_MX);
	assert_string_equal(p.fault_text, "mx: one.too.many");
	assert_int_equal(p.nmx, SP_STS_MAX_MX);

	/* labels of 63 bytes, not 64 */
	snprintf(text, sizeof(text), HEAD "mx: *.%s.example.org\n",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc");
	assert_int_equal(parse(text, &p), 0);
	snprintf(text, sizeof(text), HEAD "mx: *.%s.example.org\n",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd");
	assert_int_equal(parse(text, &p), -1);
	assert_int_equal(p.fault, SP_STS_FAULT_BAD_MX);

	/* names of 253 bytes (plus "*." and a trailing dot), not 254 */
	memset(name, 0, sizeof(name));
	for (size_t i = 0; i < 253; i++)
		name[i] = i % 50 == 49 ? '.' : 'a';
	assert_int_equal(strlen(name), 253);
	snprintf(text, sizeof(text), HEAD "mx: *.%s.\n", name);
	assert_int_equal(parse(text, &p), 0);
	assert_int_equal(strlen(p.mx[0]), 255);
	assert_memory_equal(p.mx[0], "*.aaaa", 6);
	name[253] = 'a';
	snprintf(text, sizeof(text), HEAD "mx: %s\n", name);
	assert_int_equal(parse(text, &p), -1);
	assert_int_equal(p.fault, SP_STS_FAULT_BAD_MX);
	/* the line shown is cut */
	assert_int_equal(strlen(p.fault_text), SP_STS_SHOW + 3);
	assert_memory_equal(p.fault_text, "mx: aaaa", 8);
	assert_string_equal(p.fault_text + SP_STS_SHOW, "...");

	/* single labels and any last label that is not all digits */
	assert_int_equal(parse(HEAD "mx: localhost\nmx: *.org\nmx: 1.2.3.x4\nmx: 0-0.a1\n", &p), 0);
	assert_int_equal(p.nmx, 4);
	assert_string_equal(p.mx[1], "*.org");
}

/* The text's own bound: 64 KiB exactly is fine, a byte more is not. */
static void
policy_size(void **state)
{
	size_t len = SP_STS_POLICY_MAX + 1;
	char *text = malloc(len);
	struct sp_sts_policy p;
	size_t n;

	(void)state;
	assert_non_null(text);
	n = (size_t)snprintf(text, len, HEAD "mx: mx.example.org\n");
	/* an extension line long enough to fill the rest, minus its "\n" */
	memcpy(text + n, "x: ", 3);
	memset(text + n + 3, 'y', SP_STS_POLICY_MAX - n - 4);
	text[SP_STS_POLICY_MAX - 1] = '\n';
	assert_int_equal(parse_n(text, SP_STS_POLICY_MAX, &p), 0);
	assert_int_equal(p.nlines, 5);
	text[SP_STS_POLICY_MAX] = '\n';
	assert_int_equal(parse_n(text, SP_STS_POLICY_MAX + 1, &p), -1);
	assert_int_equal(p.fault, SP_STS_FAULT_BAD_LINE);
	assert_int_equal(p.fault_line, 0);
	assert_string_equal(p.fault_text, "");

	/* one 64 KiB line of nothing but 'm': no colon, shown cut */
	memset(text, 'm', SP_STS_POLICY_MAX);
	assert_int_equal(parse_n(text, SP_STS_POLICY_MAX, &p), -1);
	assert_int_equal(p.fault, SP_STS_FAULT_BAD_LINE);
	assert_int_equal(p.fault_line, 1);
	assert_int_equal(strlen(p.fault_text), SP_STS_SHOW + 3);
	free(text);
}

/* ---------------------------------------------------------------- patterns */

static void
pattern_covers(void **state)
{
	static const struct {
		const char *pattern, *host;
		bool covers;
	} cases[] = {
		{ "mx.example.org", "mx.example.org", true },
		{ "mx.example.org", "MX.Example.ORG", true },
		{ "MX.EXAMPLE.ORG", "mx.example.org", true },
		{ "mx.example.org", "mx.example.org.", true },
		{ "mx.example.org.", "mx.example.org", true },
		{ "mx.example.org", "mx2.example.org", false },
		{ "mx.example.org", "a.mx.example.org", false },
		{ "mx.example.org", "example.org", false },
		{ "mx.example.org", "mx.example.org..", false },
		{ "*.example.org", "mx.example.org", true },
		{ "*.example.org", "MX.EXAMPLE.ORG.", true },
		{ "*.EXAMPLE.org.", "mx.example.org", true },
		{ "*.example.org", "example.org", false },
		{ "*.example.org", "a.mx.example.org", false },
		{ "*.example.org", ".example.org", false },
		{ "*.example.org", "mxexample.org", false },
		{ "*.example.org", "mx.example.org.evil", false },
		{ "*.example.org", "mx.badexample.org", false },
		{ "*.example.org", "", false },
		{ "*.example.org", ".", false },
		{ "*.org", "example.org", true },
		{ "*.org", "mx.example.org", false },
		{ "*.", "a.", false },
		{ "*", "a", false },
		{ "", "", false },
		{ "", "a", false },
		{ "mx.example.org", "", false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (sp_sts_pattern_covers(cases[i].pattern, cases[i].host) != cases[i].covers)
			fail_msg("case %zu: %s covers %s: want %d", i, cases[i].pattern, cases[i].host,
			    cases[i].covers);
}

static void
policy_match(void **state)
{
	struct sp_sts_policy p;

	(void)state;
	assert_int_equal(parse(HEAD "mx: mx1.example.org\nmx: *.example.org\nmx: *.backup.example.net\n",
	    &p), 0);
	assert_int_equal(sp_sts_policy_match(&p, "mx1.example.org"), 0);
	assert_int_equal(sp_sts_policy_match(&p, "MX1.example.org."), 0);
	assert_int_equal(sp_sts_policy_match(&p, "mx2.example.org"), 1);
	assert_int_equal(sp_sts_policy_match(&p, "a.backup.example.net"), 2);
	assert_int_equal(sp_sts_policy_match(&p, "backup.example.net"), -1);
	assert_int_equal(sp_sts_policy_match(&p, "a.mx1.example.org"), -1);
	assert_int_equal(sp_sts_policy_match(&p, "example.org"), -1);
	assert_int_equal(parse("version: STSv1\nmode: none\nmax_age: 1\n", &p), 0);
	assert_int_equal(sp_sts_policy_match(&p, "mx.example.org"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sts_txt_good),
		cmocka_unit_test(sts_txt_none_several),
		cmocka_unit_test(sts_txt_malformed),
		cmocka_unit_test(txt_shown),
		cmocka_unit_test(tlsrpt_good),
		cmocka_unit_test(tlsrpt_bad),
		cmocka_unit_test(policy_good),
		cmocka_unit_test(policy_max_age),
		cmocka_unit_test(policy_faults),
		cmocka_unit_test(policy_nul),
		cmocka_unit_test(policy_mx_bounds),
		cmocka_unit_test(policy_size),
		cmocka_unit_test(pattern_covers),
		cmocka_unit_test(policy_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
