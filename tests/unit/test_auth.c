/* SPDX-License-Identifier: MIT */
/*
 * test_auth.c - the SASL responses of lib/auth.c: base64 both ways (RFC
 * 4648's vectors, padding, characters outside the alphabet, the output's
 * capacity), PLAIN (RFC 4616's example), LOGIN's base64 prompts and
 * answers, and CRAM-MD5 against RFC 2195's example with a real HMAC-MD5
 * (OpenSSL's) and with a cmocka stub that checks what it is handed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"

/* RFC 2195 section 2's example exchange. */
#define CRAM_USER "tim"
#define CRAM_PASS "tanstaaftanstaaf"
#define CRAM_CHALLENGE "<1896.697170952@postoffice.reston.mci.net>"
#define CRAM_CHALLENGE_B64 "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
#define CRAM_RESPONSE_B64 "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"

/* ------------------------------------------------------------ helpers */

static void
hmac_md5_openssl(const void *key, size_t keylen, const void *msg, size_t msglen,
    unsigned char out[16])
{
	unsigned len = 16;

	assert_non_null(HMAC(EVP_md5(), key, (int)keylen, msg, msglen, out, &len));
	assert_int_equal(len, 16);
}

/* Checks its key and message against what the test queued; the MAC is 00 01 .. 0f. */
static void
hmac_stub(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[16])
{
	check_expected(keylen);
	check_expected_ptr(key);
	check_expected(msglen);
	check_expected_ptr(msg);
	for (int i = 0; i < 16; i++)
		out[i] = (unsigned char)i;
}

static void
expect_hmac(const char *key, const void *msg, size_t msglen)
{
	expect_value(hmac_stub, keylen, strlen(key));
	expect_memory(hmac_stub, key, key, strlen(key));
	expect_value(hmac_stub, msglen, msglen);
	if (msglen > 0)
		expect_memory(hmac_stub, msg, msg, msglen);
	else
		expect_any(hmac_stub, msg); /* cmocka compares no empty memory */
}

static void
check_encode(const void *in, size_t len, const char *want)
{
	char *got = sp_b64_encode(in, len);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* Decodes @p in with room for @p cap bytes; @return the length or -1. */
static long
decode(const char *in, unsigned char *out, size_t cap)
{
	return sp_b64_decode(in, strlen(in), out, cap);
}

/* ------------------------------------------------------------ base64 */

/* RFC 4648 section 10, every padding case among them. */
static const struct { const char *plain, *b64; } rfc4648[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

static void
test_b64_encode_rfc4648(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++)
		check_encode(rfc4648[i].plain, strlen(rfc4648[i].plain), rfc4648[i].b64);
}

static void
test_b64_decode_rfc4648(void **state)
{
	unsigned char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		size_t n = strlen(rfc4648[i].plain);

		assert_int_equal(decode(rfc4648[i].b64, out, sizeof(out)), n);
		assert_memory_equal(out, rfc4648[i].plain, n);
	}
}

/* NUL and high bytes are data like any other, both ways. */
static void
test_b64_binary(void **state)
{
	static const unsigned char bin[] = { 0x00, 0xff, 0xfe, 0x80, 0x7f };
	unsigned char out[8];

	(void)state;
	check_encode(bin, sizeof(bin), "AP/+gH8=");
	assert_int_equal(decode("AP/+gH8=", out, sizeof(out)), sizeof(bin));
	assert_memory_equal(out, bin, sizeof(bin));
}

/* Every byte value at every offset and length survives encode then decode. */
static void
test_b64_round_trip(void **state)
{
	unsigned char in[256], out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(255 - i);
	for (size_t len = 0; len <= sizeof(in); len++) {
		char *b64 = sp_b64_encode(in, len);

		assert_non_null(b64);
		assert_int_equal(strlen(b64), (len + 2) / 3 * 4);
		assert_int_equal(decode(b64, out, sizeof(out)), len);
		assert_memory_equal(out, in, len);
		free(b64);
	}
}

/* Padding only at the end, only in the last two places of the last quantum. */
static void
test_b64_bad_padding(void **state)
{
	static const char *const bad[] = {
		"Z===", "====", "=Zg=", "Zg=a", "Zm9=Zm9v", "Zg==Zg==", "Zm9v====",
	};
	unsigned char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode(bad[i], out, sizeof(out)), -1);
}

/* Whole quanta only: no missing padding, no line breaks, no blanks. */
static void
test_b64_bad_length(void **state)
{
	static const char *const bad[] = { "Z", "Zg", "Zg=", "Zm9vY", "Zm9v\r\n", "Zm9v\n" };
	unsigned char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode(bad[i], out, sizeof(out)), -1);
}

/* Characters outside the alphabet, the URL-safe one's included, and a NUL. */
static void
test_b64_bad_characters(void **state)
{
	static const char *const bad[] = {
		"Zm9*", "Zm 9", "Zm9\t", "Zm-_", "Zm9v!A==", "\xc3\xa9Zm", "Zm.v",
	};
	unsigned char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode(bad[i], out, sizeof(out)), -1);
	assert_int_equal(sp_b64_decode("Zm\0v", 4, out, sizeof(out)), -1);
}

/* The output never goes past @p cap: a byte short is a refusal, not a cut. */
static void
test_b64_capacity(void **state)
{
	unsigned char out[8];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(decode("Zm9vYmFy", out, 6), 6);
	assert_int_equal(decode("Zm9vYmFy", out, 5), -1);
	assert_int_equal(decode("Zm9vYg==", out, 4), 4);
	assert_int_equal(decode("Zm9vYg==", out, 3), -1);
	assert_int_equal(decode("Zg==", out, 1), 1);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(decode("Zg==", out, 0), -1);
	assert_int_equal(out[0], 0xaa);
	assert_int_equal(decode("", out, 0), 0);
}

/* ------------------------------------------------------------ PLAIN, LOGIN */

static void
test_plain_rfc4616(void **state)
{
	char *r = sp_auth_plain(CRAM_USER, CRAM_PASS);

	(void)state;
	assert_non_null(r);
	assert_string_equal(r, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	sp_auth_free(r);
}

/* Empty user and password still make the three fields, two NULs. */
static void
test_plain_empty(void **state)
{
	unsigned char out[8];
	char *r = sp_auth_plain("", "");

	(void)state;
	assert_non_null(r);
	assert_string_equal(r, "AAA=");
	assert_int_equal(decode(r, out, sizeof(out)), 2);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
	sp_auth_free(r);
}

/* The fields decode back to "\0user\0pass", whatever the characters. */
static void
test_plain_layout(void **state)
{
	static const char user[] = "probe@example.org", pass[] = "p\xc3\xa4ss w:rd=";
	unsigned char out[64];
	char *r = sp_auth_plain(user, pass);
	long n;

	(void)state;
	assert_non_null(r);
	n = decode(r, out, sizeof(out));
	assert_int_equal(n, 1 + strlen(user) + 1 + strlen(pass));
	assert_int_equal(out[0], 0);
	assert_memory_equal(out + 1, user, strlen(user));
	assert_int_equal(out[1 + strlen(user)], 0);
	assert_memory_equal(out + 2 + strlen(user), pass, strlen(pass));
	sp_auth_free(r);
}

/* LOGIN: the server's prompts are base64, and so is each answer. */
static void
test_login(void **state)
{
	unsigned char out[16];

	(void)state;
	assert_int_equal(decode("VXNlcm5hbWU6", out, sizeof(out)), 9);
	assert_memory_equal(out, "Username:", 9);
	assert_int_equal(decode("UGFzc3dvcmQ6", out, sizeof(out)), 9);
	assert_memory_equal(out, "Password:", 9);
	check_encode(CRAM_USER, strlen(CRAM_USER), "dGlt");
	check_encode(CRAM_PASS, strlen(CRAM_PASS), "dGFuc3RhYWZ0YW5zdGFhZg==");
}

/* ------------------------------------------------------------ CRAM-MD5 */

static void
test_cram_md5_rfc2195(void **state)
{
	static const char chal[] = CRAM_CHALLENGE_B64;
	char *r = sp_auth_cram_md5(CRAM_USER, CRAM_PASS, chal, strlen(chal), hmac_md5_openssl);

	(void)state;
	assert_non_null(r);
	assert_string_equal(r, CRAM_RESPONSE_B64);
	sp_auth_free(r);
}

/* The MAC is of the decoded challenge, keyed by the password; hex in lower case. */
static void
test_cram_md5_hmac_input(void **state)
{
	static const char chal[] = CRAM_CHALLENGE_B64;
	char *r;

	(void)state;
	expect_hmac(CRAM_PASS, CRAM_CHALLENGE, strlen(CRAM_CHALLENGE));
	r = sp_auth_cram_md5(CRAM_USER, CRAM_PASS, chal, strlen(chal), hmac_stub);
	assert_non_null(r);
	/* base64("tim 000102030405060708090a0b0c0d0e0f") */
	assert_string_equal(r, "dGltIDAwMDEwMjAzMDQwNTA2MDcwODA5MGEwYjBjMGQwZTBm");
	sp_auth_free(r);
}

/* A challenge that is not base64 is refused before any MAC is made. */
static void
test_cram_md5_bad_challenge(void **state)
{
	static const char *const bad[] = { "PDE4OTYu*", "PDE4OTY", "PD=4" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(sp_auth_cram_md5(CRAM_USER, CRAM_PASS, bad[i], strlen(bad[i]), hmac_stub));
}

/* An empty challenge is a MAC of nothing, not a refusal. */
static void
test_cram_md5_empty_challenge(void **state)
{
	char *r;

	(void)state;
	expect_hmac(CRAM_PASS, "", 0);
	r = sp_auth_cram_md5(CRAM_USER, CRAM_PASS, "", 0, hmac_stub);
	assert_non_null(r);
	sp_auth_free(r);
}

/* The challenge is decoded into 1024 bytes: that much is taken, one more is not. */
static void
test_cram_md5_challenge_capacity(void **state)
{
	unsigned char raw[1025];
	char *b64, *r;

	(void)state;
	memset(raw, 'x', sizeof(raw));
	b64 = sp_b64_encode(raw, 1024);
	assert_non_null(b64);
	expect_hmac(CRAM_PASS, raw, 1024);
	r = sp_auth_cram_md5(CRAM_USER, CRAM_PASS, b64, strlen(b64), hmac_stub);
	assert_non_null(r);
	sp_auth_free(r);
	free(b64);
	b64 = sp_b64_encode(raw, 1025);
	assert_non_null(b64);
	assert_null(sp_auth_cram_md5(CRAM_USER, CRAM_PASS, b64, strlen(b64), hmac_stub));
	free(b64);
}

static void
test_free_null(void **state)
{
	(void)state;
	sp_auth_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_encode_rfc4648),
		cmocka_unit_test(test_b64_decode_rfc4648),
		cmocka_unit_test(test_b64_binary),
		cmocka_unit_test(test_b64_round_trip),
		cmocka_unit_test(test_b64_bad_padding),
		cmocka_unit_test(test_b64_bad_length),
		cmocka_unit_test(test_b64_bad_characters),
		cmocka_unit_test(test_b64_capacity),
		cmocka_unit_test(test_plain_rfc4616),
		cmocka_unit_test(test_plain_empty),
		cmocka_unit_test(test_plain_layout),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_cram_md5_rfc2195),
		cmocka_unit_test(test_cram_md5_hmac_input),
		cmocka_unit_test(test_cram_md5_bad_challenge),
		cmocka_unit_test(test_cram_md5_empty_challenge),
		cmocka_unit_test(test_cram_md5_challenge_capacity),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
