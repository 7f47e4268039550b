/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tlsa.c - libFuzzer harness for TLSA records (lib/tlsa.c): the input
 * is one RDATA, as a hostile or broken zone could publish it. Checked:
 *  - sp_tlsa_parse() fails exactly when there are under 3 bytes; else the
 *    fields are the first three bytes, the data the rest, cut at
 *    SP_TLSA_MAX_DATA and then marked oversize;
 *  - sp_tlsa_check() agrees with RFC 7672 3.1.3 written out here again,
 *    and always has words;
 *  - sp_tlsa_hex() stays inside buffers of every small size (each buffer
 *    allocated to its size, so ASan sees one byte too many), writes lower
 *    hex of whole bytes and at most one "...", NUL-terminated at the
 *    length it returns.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsa.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

/* The rule again, independently: usable or not. */
static int
usable_by_rfc(const struct sp_tlsa *t)
{
	if (t->usage != 2 && t->usage != 3)
		return 0;
	if (t->selector > 1 || t->oversize)
		return 0;
	switch (t->mtype) {
	case 0:
		return t->len > 0;
	case 1:
		return t->len == 32;
	case 2:
		return t->len == 64;
	default:
		return 0;
	}
}

static void
check_hex(const struct sp_tlsa *t, size_t max, size_t outlen)
{
	char *out = malloc(outlen == 0 ? 1 : outlen);
	size_t n, dots;

	CHECK(out != NULL);
	n = sp_tlsa_hex(t, max, out, outlen);
	if (outlen == 0) {
		CHECK(n == 0);
		free(out);
		return;
	}
	CHECK(n < outlen && out[n] == '\0' && strlen(out) == n);
	dots = n >= 3 && memcmp(out + n - 3, "...", 3) == 0 ? 3 : 0;
	CHECK((n - dots) % 2 == 0);
	CHECK((n - dots) / 2 <= t->len && (n - dots) / 2 <= max);
	for (size_t i = 0; i < n - dots; i++)
		CHECK((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f'));
	for (size_t i = 0; i + 1 < n - dots; i += 2) {
		unsigned v;

		CHECK(sscanf(out + i, "%2x", &v) == 1 && v == t->data[i / 2]);
	}
	/* Everything shown, or a mark saying there is more (when it fits). */
	if (dots == 0 && outlen >= 4)
		CHECK(!t->oversize && n / 2 == (t->len < max ? t->len : max));
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sp_tlsa t;
	enum sp_tlsa_use use;

	memset(&t, 0xa5, sizeof(t));
	if (sp_tlsa_parse(data, size, &t) == -1) {
		CHECK(size < 3);
		return 0;
	}
	CHECK(size >= 3);
	CHECK(t.usage == data[0] && t.selector == data[1] && t.mtype == data[2]);
	CHECK(t.oversize == (size - 3 > SP_TLSA_MAX_DATA));
	CHECK(t.len == (t.oversize ? SP_TLSA_MAX_DATA : size - 3));
	CHECK(t.len == 0 || memcmp(t.data, data + 3, t.len) == 0);
	use = sp_tlsa_check(&t);
	CHECK(use >= SP_TLSA_USABLE && use <= SP_TLSA_OVERSIZE);
	CHECK(sp_tlsa_usable(&t) == usable_by_rfc(&t));
	CHECK(strlen(sp_tlsa_use_str(use)) > 0);
	for (size_t outlen = 0; outlen < 24; outlen++)
		check_hex(&t, size % 40, outlen);
	check_hex(&t, SP_TLSA_MAX_DATA, 2 * SP_TLSA_MAX_DATA + 4);
	return 0;
}
