/* SPDX-License-Identifier: MIT */
/*
 * tlsa.c - TLSA RDATA into records, the SMTP usability rule, hex for
 * display. No record is judged by more than its four fields: whether its
 * data matches a certificate is OpenSSL's job, later.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tlsa.h"

#include <string.h>

int
sp_tlsa_parse(const unsigned char *rdata, size_t len, struct sp_tlsa *out)
{
	size_t dlen;

	if (len < 3)
		return -1;
	out->usage = rdata[0];
	out->selector = rdata[1];
	out->mtype = rdata[2];
	dlen = len - 3;
	out->oversize = dlen > SP_TLSA_MAX_DATA;
	out->len = out->oversize ? SP_TLSA_MAX_DATA : dlen;
	memcpy(out->data, rdata + 3, out->len);
	return 0;
}

/* The digest lengths are the matching types' own (SHA-256, SHA-512). */
static bool
length_fits(const struct sp_tlsa *t)
{
	switch (t->mtype) {
	case 0:
		return t->len > 0;
	case 1:
		return t->len == 32;
	default:
		return t->len == 64;
	}
}

enum sp_tlsa_use
sp_tlsa_check(const struct sp_tlsa *t)
{
	if (t->usage == 0 || t->usage == 1)
		return SP_TLSA_PKIX_USAGE;
	if (t->usage > 3)
		return SP_TLSA_BAD_USAGE;
	if (t->selector > 1)
		return SP_TLSA_BAD_SELECTOR;
	if (t->mtype > 2)
		return SP_TLSA_BAD_MTYPE;
	/* Before the length: a cut record's length says nothing. */
	if (t->oversize)
		return SP_TLSA_OVERSIZE;
	if (!length_fits(t))
		return SP_TLSA_BAD_LENGTH;
	return SP_TLSA_USABLE;
}

const char *
sp_tlsa_use_str(enum sp_tlsa_use use)
{
	switch (use) {
	case SP_TLSA_USABLE:
		return "usable";
	case SP_TLSA_PKIX_USAGE:
		return "usage 0/1 (PKIX) is not for SMTP";
	case SP_TLSA_BAD_USAGE:
		return "unknown usage";
	case SP_TLSA_BAD_SELECTOR:
		return "unknown selector";
	case SP_TLSA_BAD_MTYPE:
		return "unknown matching type";
	case SP_TLSA_BAD_LENGTH:
		return "data length wrong for the matching type";
	case SP_TLSA_OVERSIZE:
		return "data too long to keep";
	}
	return "unknown";
}

size_t
sp_tlsa_hex(const struct sp_tlsa *t, size_t max, char *out, size_t outlen)
{
	static const char digits[] = "0123456789abcdef";
	bool more = t->len > max || t->oversize;
	size_t n = t->len < max ? t->len : max, w = 0;

	if (outlen == 0)
		return 0;
	/* Each byte needs 2, the mark 3 and the NUL 1: drop bytes to fit. */
	while (n > 0 && 2 * n + (more ? 3 : 0) + 1 > outlen) {
		n--;
		more = true;
	}
	for (size_t i = 0; i < n; i++) {
		out[w++] = digits[t->data[i] >> 4];
		out[w++] = digits[t->data[i] & 15];
	}
	if (more && w + 4 <= outlen) {
		memcpy(out + w, "...", 3);
		w += 3;
	}
	out[w] = '\0';
	return w;
}
