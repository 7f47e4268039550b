/* SPDX-License-Identifier: MIT */
/*
 * test_tlsa.c - TLSA RDATA into records, table by table: the fields, the
 * data bound (a record longer than SP_TLSA_MAX_DATA is kept cut and is
 * unusable), the RFC 7672 usability rule with its first reason, and the
 * hex shown for the first bytes of the data.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tlsa.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* RDATA of @p dlen data bytes (0, 1, 2, ...) after the three fields. */
static unsigned char *
rdata(uint8_t u, uint8_t s, uint8_t m, size_t dlen)
{
	unsigned char *r = malloc(3 + dlen);

	assert_non_null(r);
	r[0] = u;
	r[1] = s;
	r[2] = m;
	for (size_t i = 0; i < dlen; i++)
		r[3 + i] = (unsigned char)i;
	return r;
}

static void
parse_fields(void **state)
{
	static const struct {
		uint8_t u, s, m;
		size_t dlen;
		size_t want_len;
		bool oversize;
	} cases[] = {
		{ 3, 1, 1, 32, 32, false },
		{ 2, 0, 1, 32, 32, false },
		{ 3, 0, 0, 0, 0, false },
		{ 3, 0, 0, 1900, 1900, false },           /* a full certificate */
		{ 3, 0, 0, SP_TLSA_MAX_DATA, SP_TLSA_MAX_DATA, false },
		{ 3, 0, 0, SP_TLSA_MAX_DATA + 1, SP_TLSA_MAX_DATA, true },
		{ 2, 0, 0, 65000, SP_TLSA_MAX_DATA, true },
		{ 255, 255, 255, 5, 5, false },
	};
	static struct sp_tlsa t;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		unsigned char *r = rdata(cases[i].u, cases[i].s, cases[i].m, cases[i].dlen);

		memset(&t, 0xa5, sizeof(t));
		assert_int_equal(sp_tlsa_parse(r, 3 + cases[i].dlen, &t), 0);
		assert_int_equal(t.usage, cases[i].u);
		assert_int_equal(t.selector, cases[i].s);
		assert_int_equal(t.mtype, cases[i].m);
		assert_int_equal(t.len, cases[i].want_len);
		assert_int_equal(t.oversize, cases[i].oversize);
		assert_memory_equal(t.data, r + 3, t.len);
		free(r);
	}
}

static void
parse_short(void **state)
{
	static const unsigned char r[] = { 3, 1, 1 };
	struct sp_tlsa t;

	(void)state;
	assert_int_equal(sp_tlsa_parse(r, 0, &t), -1);
	assert_int_equal(sp_tlsa_parse(r, 1, &t), -1);
	assert_int_equal(sp_tlsa_parse(r, 2, &t), -1);
	assert_int_equal(sp_tlsa_parse(r, 3, &t), 0);
	assert_int_equal(t.len, 0);
}

/* RFC 7672 3.1.3, and the order of the reasons. */
static void
usability(void **state)
{
	static const struct {
		uint8_t u, s, m;
		size_t dlen;
		enum sp_tlsa_use want;
	} cases[] = {
		{ 3, 1, 1, 32, SP_TLSA_USABLE },
		{ 3, 0, 1, 32, SP_TLSA_USABLE },
		{ 2, 0, 1, 32, SP_TLSA_USABLE },
		{ 2, 1, 2, 64, SP_TLSA_USABLE },
		{ 3, 0, 0, 1, SP_TLSA_USABLE },
		{ 3, 0, 0, 1900, SP_TLSA_USABLE },
		{ 3, 0, 0, SP_TLSA_MAX_DATA, SP_TLSA_USABLE },
		{ 0, 0, 1, 32, SP_TLSA_PKIX_USAGE },
		{ 1, 1, 1, 32, SP_TLSA_PKIX_USAGE },
		{ 4, 1, 1, 32, SP_TLSA_BAD_USAGE },
		{ 255, 1, 1, 32, SP_TLSA_BAD_USAGE },
		{ 3, 2, 1, 32, SP_TLSA_BAD_SELECTOR },
		{ 3, 255, 1, 32, SP_TLSA_BAD_SELECTOR },
		{ 3, 1, 3, 32, SP_TLSA_BAD_MTYPE },
		{ 3, 1, 9, 32, SP_TLSA_BAD_MTYPE },
		{ 3, 1, 0, 0, SP_TLSA_BAD_LENGTH },
		{ 3, 1, 1, 16, SP_TLSA_BAD_LENGTH },
		{ 3, 1, 1, 33, SP_TLSA_BAD_LENGTH },
		{ 3, 1, 1, 64, SP_TLSA_BAD_LENGTH },
		{ 3, 1, 2, 32, SP_TLSA_BAD_LENGTH },
		{ 3, 1, 2, 65, SP_TLSA_BAD_LENGTH },
		{ 3, 0, 0, SP_TLSA_MAX_DATA + 1, SP_TLSA_OVERSIZE },
		{ 0, 2, 9, 3, SP_TLSA_PKIX_USAGE },       /* the first reason wins */
		{ 3, 2, 9, 3, SP_TLSA_BAD_SELECTOR },
		{ 1, 0, 0, SP_TLSA_MAX_DATA + 1, SP_TLSA_PKIX_USAGE },
	};
	static struct sp_tlsa t;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		unsigned char *r = rdata(cases[i].u, cases[i].s, cases[i].m, cases[i].dlen);

		assert_int_equal(sp_tlsa_parse(r, 3 + cases[i].dlen, &t), 0);
		assert_int_equal(sp_tlsa_check(&t), cases[i].want);
		assert_int_equal(sp_tlsa_usable(&t), cases[i].want == SP_TLSA_USABLE);
		assert_true(strlen(sp_tlsa_use_str(cases[i].want)) > 0);
		free(r);
	}
}

static void
hex(void **state)
{
	static const struct {
		size_t dlen, max, outlen;
		const char *want;
	} cases[] = {
		{ 4, 8, 64, "00010203" },
		{ 4, 4, 64, "00010203" },
		{ 4, 2, 64, "0001..." },
		{ 4, 0, 64, "..." },
		{ 0, 8, 64, "" },
		{ 32, 32, 65, "000102030405060708090a0b0c0d0e0f"
			"101112131415161718191a1b1c1d1e1f" },
		{ 32, 32, 64, "000102030405060708090a0b0c0d0e0f"
			"101112131415161718191a1b1c1d..." },
		{ 4, 4, 9, "00010203" },          /* exactly room for all and the NUL */
		{ 4, 4, 8, "0001..." },           /* not: whole bytes and the mark */
		{ 4, 4, 4, "..." },
		{ 4, 4, 1, "" },
		{ 40, 40, 10, "000102..." },
	};
	static struct sp_tlsa t;
	char out[100];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		unsigned char *r = rdata(3, 1, 1, cases[i].dlen);
		size_t n;

		assert_int_equal(sp_tlsa_parse(r, 3 + cases[i].dlen, &t), 0);
		memset(out, 'x', sizeof(out));
		n = sp_tlsa_hex(&t, cases[i].max, out, cases[i].outlen);
		assert_string_equal(out, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
		assert_true(n < cases[i].outlen);
		assert_int_equal(out[cases[i].outlen], 'x');     /* nothing past outlen */
		free(r);
	}
	/* An oversize record always says there is more. */
	{
		unsigned char *r = rdata(3, 0, 0, SP_TLSA_MAX_DATA + 10);

		assert_int_equal(sp_tlsa_parse(r, 3 + SP_TLSA_MAX_DATA + 10, &t), 0);
		assert_int_equal(sp_tlsa_hex(&t, SP_TLSA_MAX_DATA, out, 4), 3);
		assert_string_equal(out, "...");
		sp_tlsa_hex(&t, 2, out, sizeof(out));
		assert_string_equal(out, "0001...");
		free(r);
	}
	assert_int_equal(sp_tlsa_hex(&t, 4, out, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_fields),
		cmocka_unit_test(parse_short),
		cmocka_unit_test(usability),
		cmocka_unit_test(hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
