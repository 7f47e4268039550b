/* SPDX-License-Identifier: MIT */
/*
 * message.c - the test message sent after DATA's 354 or BDAT.
 *
 * Everything that reaches the wire here has CRLF line ends, whatever the
 * caller gave: a bare LF must not reach a server that refuses it. After
 * DATA it is dot-stuffed too, since a lone "." in a body must not end the
 * message early; after BDAT it goes as it is, since the server counts the
 * chunk's octets and a stuffed dot would stay in the message.
 * The date is formatted by hand so the locale cannot change a byte.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

/* gmtime_r() for hand builds without config.h's extensions. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "message.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SUBJECT "smtp-probe test message"
/* RFC 5322 2.1.1: lines SHOULD stay within 78 characters. */
#define FOLD_AT 78

/* A growing output buffer; one failed allocation fails the whole build. */
struct out {
	char *s;
	size_t len, cap;
	bool failed;
};

static bool
out_reserve(struct out *o, size_t n)
{
	size_t ncap;
	char *ns;

	if (o->failed)
		return false;
	if (n < SIZE_MAX - o->len && o->len + n < o->cap)
		return true;
	if (n >= SIZE_MAX / 2 - o->len) {
		o->failed = true;
		return false;
	}
	ncap = o->cap ? o->cap : 256;
	while (ncap <= o->len + n)
		ncap *= 2;
	if ((ns = realloc(o->s, ncap)) == NULL) {
		o->failed = true;
		return false;
	}
	o->s = ns;
	o->cap = ncap;
	return true;
}

/* Keeps room for the NUL that ends the result. */
static void
out_add(struct out *o, const char *s, size_t n)
{
	if (n == 0 || !out_reserve(o, n))
		return;
	memcpy(o->s + o->len, s, n);
	o->len += n;
}

static void
out_str(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

/*
 * Header text is validated by the caller; should a CR or LF slip through
 * anyway, it becomes a space rather than a line the caller did not write.
 */
static void
out_clean(struct out *o, const char *s)
{
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, "\r\n");
		out_add(o, s, n);
		s += n;
		if (*s != '\0') {
			out_add(o, " ", 1);
			s++;
		}
	}
}

static char *
out_finish(struct out *o, size_t *len)
{
	if (!out_reserve(o, 1)) {
		free(o->s);
		return NULL;
	}
	o->s[o->len] = '\0';
	if (len != NULL)
		*len = o->len;
	return o->s;
}

/* ------------------------------------------------------------ stuffing */

/* CR LF, a lone LF and a lone CR all end a line. */
static size_t
line_end(const char *in, size_t i, size_t n, size_t *eol)
{
	for (; i < n; i++) {
		if (in[i] == '\n') {
			*eol = 1;
			return i;
		}
		if (in[i] == '\r') {
			*eol = i + 1 < n && in[i + 1] == '\n' ? 2 : 1;
			return i;
		}
	}
	*eol = 0;
	return n;
}

/* CRLF-normalises @p in into @p o; dot-stuffs it when @p stuff. */
static void
stuff_into(struct out *o, const char *in, size_t n, bool stuff)
{
	size_t i = 0, end, eol;

	while (i < n) {
		end = line_end(in, i, n, &eol);
		/* RFC 5321 4.5.2: a line that starts with "." gets one more. */
		if (stuff && in[i] == '.')
			out_add(o, ".", 1);
		out_add(o, in + i, end - i);
		out_add(o, "\r\n", 2);
		i = end + eol;
	}
}

char *
sp_message_stuff(const char *in, size_t inlen, size_t *outlen)
{
	struct out o = { NULL, 0, 0, false };

	/* The worst case, every byte a "." line, is twice the input. */
	if (inlen < SIZE_MAX / 4)
		out_reserve(&o, inlen * 2 + 3);
	stuff_into(&o, in, inlen, true);
	return out_finish(&o, outlen);
}

/* ------------------------------------------------------------ headers */

static const char days[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static char *
put_num(char *p, int v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + width;
}

static char *
put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/*
 * RFC 5322 3.3 in UTC: "Tue, 24 Nov 2026 05:01:02 +0000". A time gmtime_r()
 * cannot convert, or a year of more than four digits, gives the epoch: a
 * wrong date is better than no Date header, which RFC 5322 requires.
 */
static void
format_date(time_t t, char buf[32])
{
	struct tm tm;
	char *p = buf;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	p = put_str(p, days[tm.tm_wday]);
	p = put_str(p, ", ");
	p = put_num(p, tm.tm_mday, 2);
	*p++ = ' ';
	p = put_str(p, months[tm.tm_mon]);
	*p++ = ' ';
	p = put_num(p, tm.tm_year + 1900, 4);
	*p++ = ' ';
	p = put_num(p, tm.tm_hour, 2);
	*p++ = ':';
	p = put_num(p, tm.tm_min, 2);
	*p++ = ':';
	p = put_num(p, tm.tm_sec, 2);
	p = put_str(p, " +0000");
	*p = '\0';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Does header line @p h ("Name: value") have the name @p name? */
static bool
header_is(const char *h, const char *name)
{
	size_t n = strcspn(h, ":"), i;

	if (h[n] != ':')
		return false;
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n != strlen(name))
		return false;
	for (i = 0; i < n; i++)
		if (lower(h[i]) != lower(name[i]))
			return false;
	return true;
}

static bool
user_has(const struct sp_message_params *mp, const char *name)
{
	size_t i;

	for (i = 0; i < mp->nheaders; i++)
		if (mp->headers[i] != NULL && header_is(mp->headers[i], name))
			return true;
	return false;
}

/* "To: <a>, <b>", folded before a recipient that would pass FOLD_AT. */
static void
add_to(struct out *o, const struct sp_message_params *mp)
{
	size_t i, col = strlen("To: "), n;
	const char *r;

	out_str(o, "To: ");
	for (i = 0; i < mp->nrcpts; i++) {
		r = mp->rcpts[i] != NULL ? mp->rcpts[i] : "";
		n = strlen(r) + 2;
		if (i > 0 && col + 2 + n > FOLD_AT) {
			out_str(o, ",\r\n ");
			col = 1;
		} else if (i > 0) {
			out_str(o, ", ");
			col += 2;
		}
		out_str(o, "<");
		out_clean(o, r);
		out_str(o, ">");
		col += n;
	}
	out_str(o, "\r\n");
}

static void
add_header(struct out *o, const char *name, const char *pre,
    const char *value, const char *post)
{
	out_str(o, name);
	out_str(o, ": ");
	out_str(o, pre);
	out_clean(o, value);
	out_str(o, post);
	out_str(o, "\r\n");
}

static void
add_defaults(struct out *o, const struct sp_message_params *mp)
{
	char date[32];

	if (!user_has(mp, "Date")) {
		format_date(mp->date, date);
		add_header(o, "Date", "", date, "");
	}
	if (!user_has(mp, "Message-ID") && mp->msgid != NULL &&
	    *mp->msgid != '\0')
		add_header(o, "Message-ID", "", mp->msgid, "");
	if (!user_has(mp, "From"))
		add_header(o, "From", "<", mp->from ? mp->from : "", ">");
	if (!user_has(mp, "To") && mp->nrcpts > 0 && mp->rcpts != NULL)
		add_to(o, mp);
	if (!user_has(mp, "Subject"))
		add_header(o, "Subject", "",
		    mp->subject ? mp->subject : DEFAULT_SUBJECT, "");
}

/* An empty line would end the headers early: it is left out. */
static void
add_user_headers(struct out *o, const struct sp_message_params *mp)
{
	const char *h;
	size_t i;

	for (i = 0; i < mp->nheaders; i++) {
		h = mp->headers[i];
		if (h == NULL || *h == '\0')
			continue;
		if (*h == '.' && !mp->bdat)
			out_str(o, ".");
		out_clean(o, h);
		out_str(o, "\r\n");
	}
}

static void
add_body(struct out *o, const struct sp_message_params *mp)
{
	if (mp->body != NULL) {
		stuff_into(o, mp->body, mp->bodylen, !mp->bdat);
		return;
	}
	out_str(o, "This is a test message sent by smtp-probe");
	if (mp->helo != NULL && *mp->helo != '\0') {
		out_str(o, " from ");
		out_clean(o, mp->helo);
	}
	out_str(o, ".\r\n");
}

/*
 * The blank line after the headers, or the body's last CRLF, is the first
 * half of the "\r\n.\r\n" that ends the data (DATA only: BDAT's count ends it).
 */
char *
sp_message_build(const struct sp_message_params *mp, size_t *len)
{
	struct out o = { NULL, 0, 0, false };

	add_defaults(&o, mp);
	add_user_headers(&o, mp);
	out_str(&o, "\r\n");
	add_body(&o, mp);
	if (!mp->bdat)
		out_str(&o, ".\r\n");
	return out_finish(&o, len);
}

size_t
sp_message_size(const char *msg, size_t len)
{
	size_t size, i;

	if (len < 3)
		return 0;
	size = len - 3;
	/* Every line that starts with '.' before the terminator carries one added dot. */
	for (i = 0; i < len - 3; i++)
		if (msg[i] == '.' && (i == 0 || msg[i - 1] == '\n'))
			size--;
	return size;
}
