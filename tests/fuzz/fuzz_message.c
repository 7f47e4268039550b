/* SPDX-License-Identifier: MIT */
/*
 * fuzz_message.c - libFuzzer harness for the test message builder and the
 * dot-stuffer (lib/message.c).
 *
 * sp_message_stuff(): the output has only CRLF line ends, and undoing the
 * stuffing (drop one leading '.' of each line) gives back the input with
 * its line ends (CRLF, lone LF, lone CR) normalised to CRLF and a final CRLF
 * added when missing. No line of the output is a lone ".".
 *
 * sp_message_build(), its parameters cut from the input at NUL bytes
 * (the first byte chooses how many headers and recipients): the message
 * has only CRLF line ends, the first empty line ends the headers, the one
 * lone "." line is the last, and the body between them, unstuffed, is the
 * normalised body given. Built for BDAT from the same parameters, it is
 * that message unstuffed without its final "." line, exactly: only CRLF
 * line ends, and as long as the SIZE= the DATA form gives.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

/* CRLF, lone LF, lone CR -> CRLF; a final line without an end gets one. */
static char *
normalise(const char *in, size_t n, size_t *outlen)
{
	char *out = malloc(n * 2 + 3);
	size_t o = 0, i;

	CHECK(out != NULL);
	for (i = 0; i < n; i++) {
		if (in[i] == '\r' || in[i] == '\n') {
			if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
				i++;
			out[o++] = '\r';
			out[o++] = '\n';
		} else {
			out[o++] = in[i];
		}
	}
	if (o > 0 && !(o >= 2 && out[o - 2] == '\r' && out[o - 1] == '\n' &&
	    (n > 0 && (in[n - 1] == '\n' || in[n - 1] == '\r')))) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	*outlen = o;
	return out;
}

/* Only CRLF line ends: every CR is followed by LF, every LF preceded by CR. */
static void
check_crlf(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r')
			CHECK(i + 1 < n && s[i + 1] == '\n');
		if (s[i] == '\n')
			CHECK(i > 0 && s[i - 1] == '\r');
	}
}

/*
 * Undoes dot-stuffing of s[0, n), whole CRLF lines; no line may be a lone
 * "." (that would end DATA). @return a new buffer, its length in *outlen.
 */
static char *
unstuff(const char *s, size_t n, size_t *outlen)
{
	char *out = malloc(n + 1);
	size_t o = 0, i = 0;

	CHECK(out != NULL);
	CHECK(n == 0 || (n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n'));
	while (i < n) {
		const char *e = memchr(s + i, '\r', n - i);
		size_t len;

		CHECK(e != NULL && e[1] == '\n');
		len = (size_t)(e - (s + i));
		CHECK(!(len == 1 && s[i] == '.'));
		if (len > 0 && s[i] == '.') {
			/* stuffed: the doubled dot */
			CHECK(len >= 2 && s[i + 1] == '.');
			i++;
			len--;
		}
		memcpy(out + o, s + i, len);
		o += len;
		out[o++] = '\r';
		out[o++] = '\n';
		i += len + 2;
	}
	*outlen = o;
	return out;
}

static void
check_stuff(const char *in, size_t n)
{
	size_t slen = 0, ulen, nlen;
	char *stuffed = sp_message_stuff(in, n, &slen);
	char *un, *norm;

	CHECK(stuffed != NULL);
	CHECK(stuffed[slen] == '\0');
	check_crlf(stuffed, slen);
	un = unstuff(stuffed, slen, &ulen);
	norm = normalise(in, n, &nlen);
	CHECK(ulen == nlen && memcmp(un, norm, nlen) == 0);
	free(un);
	free(norm);
	free(stuffed);
}

/* Fields cut at NUL bytes: the next one, NUL-terminated in place. */
struct cursor {
	char *p, *end;
};

static const char *
field(struct cursor *c)
{
	char *s = c->p;

	if (c->p >= c->end)
		return NULL;
	c->p += strlen(s) + 1;
	return s;
}

/* The BDAT form of @p mp is the DATA form @p msg unstuffed, less its ".". */
static void
check_bdat(struct sp_message_params *mp, const char *msg, size_t len)
{
	size_t blen = 0, ulen;
	char *bdat, *un;

	mp->bdat = true;
	bdat = sp_message_build(mp, &blen);
	mp->bdat = false;
	CHECK(bdat != NULL);
	CHECK(bdat[blen] == '\0');
	check_crlf(bdat, blen);
	CHECK(blen == sp_message_size(msg, len));
	un = unstuff(msg, len - 3, &ulen);
	CHECK(ulen == blen && memcmp(un, bdat, blen) == 0);
	free(un);
	free(bdat);
}

static void
check_build(const uint8_t *data, size_t size)
{
	struct sp_message_params mp;
	const char *rcpts[4], *headers[6];
	struct cursor c;
	char *buf, *msg, *body_norm, *un;
	const char *hdr_end, *p;
	size_t len = 0, nlen, ulen, i;
	unsigned sel;

	if (size < 1)
		return;
	sel = data[0];
	buf = malloc(size + 1);
	CHECK(buf != NULL);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	c.p = buf;
	c.end = buf + size - 1;

	memset(&mp, 0, sizeof mp);
	mp.from = field(&c);
	mp.nrcpts = sel & 3;
	for (i = 0; i < mp.nrcpts; i++)
		rcpts[i] = field(&c);
	mp.rcpts = rcpts;
	mp.subject = (sel & 4) ? field(&c) : NULL;
	mp.nheaders = (sel >> 3) % 6;
	for (i = 0; i < mp.nheaders; i++)
		headers[i] = field(&c);
	mp.headers = headers;
	mp.helo = field(&c);
	mp.msgid = field(&c);
	mp.date = (time_t)(int32_t)((uint32_t)sel * 2654435761u);
	if (sel & 0x80) {
		/* The rest, NULs included, is the body. */
		mp.body = c.p < c.end ? c.p : "";
		mp.bodylen = c.p < c.end ? (size_t)(c.end - c.p) : 0;
	}

	msg = sp_message_build(&mp, &len);
	CHECK(msg != NULL);
	CHECK(msg[len] == '\0');
	check_crlf(msg, len);
	CHECK(len >= 5 && memcmp(msg + len - 5, "\r\n.\r\n", 5) == 0);
	/* Headers: no empty line before the one that ends them. */
	hdr_end = NULL;
	for (p = msg; p + 1 < msg + len; p++) {
		if (p[0] == '\r' && p[1] == '\n' && p + 3 < msg + len && p[2] == '\r' && p[3] == '\n') {
			hdr_end = p + 2;
			break;
		}
	}
	if (msg[0] == '\r') {
		hdr_end = msg; /* every default replaced and no header at all */
	}
	CHECK(hdr_end != NULL);
	/* Body: after the empty line, up to the final "." line, unstuffs whole. */
	un = unstuff(hdr_end + 2, (size_t)(msg + len - 3 - (hdr_end + 2)), &ulen);
	if (mp.body != NULL) {
		body_norm = normalise(mp.body, mp.bodylen, &nlen);
		CHECK(ulen == nlen && memcmp(un, body_norm, nlen) == 0);
		free(body_norm);
	}
	free(un);
	/* The header part is unstuffable too: no lone "." line in it. */
	un = unstuff(msg, (size_t)(hdr_end - msg), &ulen);
	free(un);
	check_bdat(&mp, msg, len);
	free(msg);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_stuff((const char *)data, size);
	check_build(data, size);
	return 0;
}
