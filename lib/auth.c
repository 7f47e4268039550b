/* SPDX-License-Identifier: MIT */
/*
 * auth.c - SASL client responses. Pure: no I/O, no crypto library.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define CHALLENGE_MAX 1024

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Not every libc has explicit_bzero; a volatile pointer is not optimised out. */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

char *
sp_b64_encode(const void *in, size_t len)
{
	const unsigned char *s = in;
	char *out, *o;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3 || (out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	o = out;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int
b64_value(char c)
{
	const char *p = c != '\0' ? strchr(b64, c) : NULL;

	return p != NULL ? (int)(p - b64) : -1;
}

long
sp_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	size_t n = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = b64_value(in[i + k])) < 0)
				return -1;
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
		if (n + 3 - (size_t)pad > cap)
			return -1;
		out[n++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[n++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[n++] = (unsigned char)w;
	}
	return (long)n;
}

char *
sp_auth_plain(const char *user, const char *pass)
{
	size_t ulen = strlen(user), plen = strlen(pass), len = ulen + plen + 2;
	char *raw = malloc(len), *out;

	if (raw == NULL)
		return NULL;
	/* authzid empty, then authcid and password, NUL-separated */
	raw[0] = '\0';
	memcpy(raw + 1, user, ulen);
	raw[ulen + 1] = '\0';
	memcpy(raw + ulen + 2, pass, plen);
	out = sp_b64_encode(raw, len);
	wipe(raw, len);
	free(raw);
	return out;
}

char *
sp_auth_cram_md5(const char *user, const char *pass, const char *challenge,
	size_t len, sp_hmac_md5_fn hmac)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char chal[CHALLENGE_MAX], mac[16];
	size_t ulen = strlen(user);
	long clen = sp_b64_decode(challenge, len, chal, sizeof(chal));
	char *resp, *out;

	if (clen < 0 || (resp = malloc(ulen + 1 + 32)) == NULL)
		return NULL;
	hmac(pass, strlen(pass), chal, (size_t)clen, mac);
	memcpy(resp, user, ulen);
	resp[ulen] = ' ';
	for (int i = 0; i < 16; i++) {
		resp[ulen + 1 + 2 * i] = hex[mac[i] >> 4];
		resp[ulen + 2 + 2 * i] = hex[mac[i] & 15];
	}
	out = sp_b64_encode(resp, ulen + 33);
	wipe(mac, sizeof(mac));
	wipe(resp, ulen + 33);
	free(resp);
	return out;
}

void
sp_auth_free(char *s)
{
	if (s == NULL)
		return;
	wipe(s, strlen(s));
	free(s);
}
