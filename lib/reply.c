/* SPDX-License-Identifier: MIT */
/*
 * reply.c - incremental SMTP reply parser (RFC 5321 section 4.2).
 *
 * Every byte is judged as it arrives, so a hostile or confused server is
 * refused at the first byte that cannot be SMTP instead of after a timeout,
 * and the verdict does not depend on how the bytes were split into reads.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reply.h"

#include <stdlib.h>
#include <string.h>

/* Start small: thousands of sessions each hold one parser. */
#define BUF_START 128
/* The longest line, a CR waiting for its LF, and the NUL. */
#define BUF_MAX (SP_REPLY_MAX_LINE + 2)

#define STR_(x) #x
#define STR(x) STR_(x)

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* TAB is allowed in reply text; bytes >= 0x80 are the output's problem. */
static int
is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

void
sp_reply_init(struct sp_reply_parser *p)
{
	memset(p, 0, sizeof(*p));
}

void
sp_reply_free(struct sp_reply_parser *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

/* Keeps the buffer: the same connection will read more lines. */
void
sp_reply_reset(struct sp_reply_parser *p)
{
	p->len = 0;
	p->code = 0;
	p->lines = 0;
	p->err = SP_REPLY_E_NONE;
}

static enum sp_reply_event
fail(struct sp_reply_parser *p, enum sp_reply_err err)
{
	p->err = err;
	return SP_REPLY_ERROR;
}

/* Room for @p n more bytes and the NUL that ends the line later. */
static int
reserve(struct sp_reply_parser *p, size_t n)
{
	size_t ncap;
	char *nbuf;

	if (p->len + n + 1 <= p->cap)
		return 0;
	for (ncap = p->cap ? p->cap * 2 : BUF_START; ncap < p->len + n + 1 && ncap < BUF_MAX;)
		ncap *= 2;
	if (ncap > BUF_MAX)
		ncap = BUF_MAX;
	if (ncap < p->len + n + 1)
		return -1; /* cannot happen: the length check comes first */
	nbuf = realloc(p->buf, ncap);
	if (nbuf == NULL)
		return -1;
	p->buf = nbuf;
	p->cap = ncap;
	return 0;
}

static enum sp_reply_event
append(struct sp_reply_parser *p, unsigned char c)
{
	if (reserve(p, 1) == -1)
		return fail(p, SP_REPLY_E_NOMEM);
	p->buf[p->len++] = (char)c;
	return SP_REPLY_MORE;
}

/*
 * How many of the next bytes take() would only append: past the code and
 * separator, not after a CR, neither CR, LF nor a control byte, and within
 * the line limit. They are copied at once; take() still judges every
 * other byte, so the rules stay in one place.
 */
static size_t
text_run(const struct sp_reply_parser *p, const unsigned char *s, size_t n)
{
	size_t i, room;

	if (p->len < 4 || p->buf[p->len - 1] == '\r' || p->len >= SP_REPLY_MAX_LINE)
		return 0;
	room = SP_REPLY_MAX_LINE - p->len;
	if (n > room)
		n = room;
	for (i = 0; i < n && s[i] != '\r' && !is_control(s[i]); i++)
		;
	return i;
}

/* The first four bytes decide whether this is an SMTP reply at all. */
static enum sp_reply_err
check_prefix(const struct sp_reply_parser *p, unsigned char c)
{
	int code;

	switch (p->len) {
	case 0:
		if (!is_digit(c))
			return SP_REPLY_E_SYNTAX;
		if (c < '2' || c > '5')
			return SP_REPLY_E_CODE;
		break;
	case 1:
		if (!is_digit(c))
			return SP_REPLY_E_SYNTAX;
		break;
	case 2:
		if (!is_digit(c))
			return SP_REPLY_E_SYNTAX;
		code = (p->buf[0] - '0') * 100 + (p->buf[1] - '0') * 10 +
		    (c - '0');
		if (p->code != 0 && p->code != code)
			return SP_REPLY_E_MIXED;
		break;
	case 3:
		if (c != '-' && c != ' ')
			return SP_REPLY_E_SYNTAX;
		break;
	}
	return SP_REPLY_E_NONE;
}

/*
 * RFC 3463: "class.subject.detail" at the start of the text, with the same
 * class as the reply code, then a space or the end. @return its length.
 */
static size_t
enhanced_len(const char *s, char class)
{
	size_t i = 0, n;
	int part;

	if (s[i++] != class || s[i++] != '.')
		return 0;
	for (part = 0; part < 2; part++) {
		for (n = 0; n < 3 && is_digit((unsigned char)s[i]); n++)
			i++;
		if (n == 0)
			return 0;
		if (part == 0 && s[i++] != '.')
			return 0;
	}
	if (s[i] != ' ' && s[i] != '\0')
		return 0;
	return i;
}

static void
describe(const struct sp_reply_parser *p, size_t n, int code, bool last,
    struct sp_reply_line *line)
{
	const char *text;
	size_t elen;

	line->code = code;
	line->last = last;
	line->raw = p->buf;
	line->rawlen = n;
	text = n > 3 ? p->buf + 4 : p->buf + n;
	elen = enhanced_len(text, p->buf[0]);
	memcpy(line->enhanced, text, elen);
	line->enhanced[elen] = '\0';
	if (elen > 0) {
		text += elen;
		while (*text == ' ')
			text++;
	}
	line->text = text;
	line->len = (size_t)(p->buf + n - text);
}

/* An LF ends the line; the prefix was checked byte by byte already. */
static enum sp_reply_event
finish(struct sp_reply_parser *p, struct sp_reply_line *line)
{
	size_t n = p->len;
	int code;
	bool last;

	if (n > 0 && p->buf[n - 1] == '\r')
		n--;
	if (n < 3)
		return fail(p, SP_REPLY_E_SYNTAX);
	p->buf[n] = '\0';
	code = (p->buf[0] - '0') * 100 + (p->buf[1] - '0') * 10 +
	    (p->buf[2] - '0');
	last = n == 3 || p->buf[3] == ' ';
	if (line != NULL)
		describe(p, n, code, last, line);
	/* The bytes stay put until the next feed, so line stays valid. */
	p->len = 0;
	if (last) {
		p->code = 0;
		p->lines = 0;
		return SP_REPLY_DONE;
	}
	p->code = code;
	p->lines++;
	return SP_REPLY_LINE;
}

static enum sp_reply_event
take(struct sp_reply_parser *p, unsigned char c, struct sp_reply_line *line)
{
	enum sp_reply_err err;

	if (p->len == 0 && p->lines >= SP_REPLY_MAX_LINES)
		return fail(p, SP_REPLY_E_MANY);
	if (c == '\n')
		return finish(p, line);
	/* Only a CR right before the LF is a line end; any other is refused. */
	if (p->len > 0 && p->buf[p->len - 1] == '\r')
		return fail(p, SP_REPLY_E_CONTROL);
	if (c == '\r')
		return append(p, c);
	if (is_control(c))
		return fail(p, SP_REPLY_E_CONTROL);
	/* Refuse before the LF: a server may send a megabyte without one. */
	if (p->len >= SP_REPLY_MAX_LINE)
		return fail(p, SP_REPLY_E_LONG);
	if ((err = check_prefix(p, c)) != SP_REPLY_E_NONE)
		return fail(p, err);
	return append(p, c);
}

enum sp_reply_event
sp_reply_feed(struct sp_reply_parser *p, const char *data, size_t len,
    size_t *used, struct sp_reply_line *line)
{
	enum sp_reply_event ev;
	size_t i;

	if (used != NULL)
		*used = 0;
	if (p->err != SP_REPLY_E_NONE)
		return SP_REPLY_ERROR;
	for (i = 0; i < len; i++) {
		size_t run = text_run(p, (const unsigned char *)data + i, len - i);

		if (run > 0) {
			if (reserve(p, run) == -1) {
				if (used != NULL)
					*used = i + 1;
				return fail(p, SP_REPLY_E_NOMEM);
			}
			memcpy(p->buf + p->len, data + i, run);
			p->len += run;
			if ((i += run) == len)
				break;
		}
		ev = take(p, (unsigned char)data[i], line);
		if (ev != SP_REPLY_MORE) {
			if (used != NULL)
				*used = i + 1;
			return ev;
		}
	}
	if (used != NULL)
		*used = len;
	return SP_REPLY_MORE;
}

const char *
sp_reply_strerror(enum sp_reply_err err)
{
	switch (err) {
	case SP_REPLY_E_NONE:
		return "no error";
	case SP_REPLY_E_SYNTAX:
		return "not an SMTP reply";
	case SP_REPLY_E_CODE:
		return "reply code out of range";
	case SP_REPLY_E_MIXED:
		return "mixed reply codes in one reply";
	case SP_REPLY_E_LONG:
		return "line over " STR(SP_REPLY_MAX_LINE) " bytes";
	case SP_REPLY_E_MANY:
		return "more than " STR(SP_REPLY_MAX_LINES) " lines in one reply";
	case SP_REPLY_E_CONTROL:
		return "NUL or control byte in reply";
	case SP_REPLY_E_NOMEM:
		return "out of memory";
	}
	return "unknown reply error";
}

/* ------------------------------------------------------------ queue id */

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive prefix test, locale-independent. */
static bool
has_prefix(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++)
		if (lower(*s) != lower(*prefix))
			return false;
	return true;
}

/* Case-insensitive search; @return the match or NULL. */
static const char *
find(const char *s, const char *needle)
{
	for (; *s != '\0'; s++)
		if (has_prefix(s, needle))
			return s;
	return NULL;
}

/* An id is printable, with no space; ',' and ';' end it as punctuation. */
static size_t
token_len(const char *s, char stop)
{
	unsigned char c;
	size_t n;

	for (n = 0; (c = (unsigned char)s[n]) > ' ' && c < 0x7f; n++)
		if (c == ',' || c == ';' || c == (unsigned char)stop)
			break;
	return n;
}

/* Postfix: "Ok: queued as 4F2A81234". */
static const char *
postfix_id(const char *text, size_t *n)
{
	const char *s = find(text, "queued as ");

	if (s == NULL)
		return NULL;
	s += strlen("queued as ");
	*n = token_len(s, '\0');
	return s;
}

/* Exim: "OK id=1tAbCd-000Xyz-Ab"; a whole word, not Exchange's "InternalId=". */
static const char *
exim_id(const char *text, size_t *n)
{
	const char *s;

	for (s = text; (s = find(s, "id=")) != NULL; s++) {
		if (s == text || s[-1] == ' ') {
			s += strlen("id=");
			*n = token_len(s, '\0');
			return s;
		}
	}
	return NULL;
}

/*
 * Exchange: "<c89b4fcc-...@mail1.fabrikam.com> [InternalId=...] Queued ...".
 * An address in brackets alone is no id: Dovecot LMTP answers
 * "<user@domain> SESSION Saved" with the recipient there.
 */
static const char *
exchange_id(const char *text, size_t *n)
{
	if (text[0] != '<')
		return NULL;
	*n = token_len(text + 1, '>');
	if (text[1 + *n] != '>')
		return NULL;
	if (!has_prefix(text + 2 + *n, " [InternalId=") && find(text, "queued mail for delivery") == NULL)
		return NULL;
	return text + 1;
}

/* Haraka: "Message Queued (9EE8E3C0-...-B1F2.1.1)". */
static const char *
haraka_id(const char *text, size_t *n)
{
	const char *s = find(text, "message queued (");

	if (s == NULL)
		return NULL;
	s += strlen("message queued (");
	*n = token_len(s, ')');
	return s[*n] == ')' ? s : NULL;
}

/* Sendmail: "4AO3a1b2012345 Message accepted for delivery". */
static const char *
sendmail_id(const char *text, size_t *n)
{
	*n = token_len(text, '\0');
	if (!has_prefix(text + *n, " message accepted for delivery"))
		return NULL;
	return text;
}

size_t
sp_reply_queue_id(const char *text, char *out, size_t outlen)
{
	const char *(*const forms[])(const char *, size_t *) = {
		postfix_id, exim_id, exchange_id, sendmail_id, haraka_id
	};
	const char *id = NULL;
	size_t i, n = 0;

	if (text == NULL || out == NULL || outlen == 0)
		return 0;
	out[0] = '\0';
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		id = forms[i](text, &n);
		if (id != NULL && n > 0)
			break;
		n = 0;
	}
	if (n == 0)
		return 0;
	if (n > outlen - 1)
		n = outlen - 1;
	memcpy(out, id, n);
	out[n] = '\0';
	return n;
}

/* ------------------------------------------------------- reply text */

const char *
sp_reply_line_text(const char *raw, size_t rawlen, size_t *len)
{
	const char *text = rawlen > 4 ? raw + 4 : raw + rawlen;
	const char *end = raw + rawlen;
	size_t elen;
	char e[SP_ENHANCED_MAX + 1];

	/* enhanced_len() reads up to the first byte past the code: copy it. */
	elen = (size_t)(end - text) < SP_ENHANCED_MAX ? (size_t)(end - text) : SP_ENHANCED_MAX;
	memcpy(e, text, elen);
	e[elen] = '\0';
	if (rawlen > 0 && (elen = enhanced_len(e, raw[0])) > 0) {
		text += elen;
		while (text < end && *text == ' ')
			text++;
	}
	*len = (size_t)(end - text);
	return text;
}

size_t
sp_reply_join(const char *const *lines, size_t n, char *out, size_t outlen)
{
	static const char more[] = "...";
	size_t used = 0;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const char *t = sp_reply_line_text(lines[i], strlen(lines[i]), &len);

		while (len > 0 && t[len - 1] == ' ')
			len--;
		if (len == 0)
			continue;
		if (used > 0 && used + 1 < outlen)
			out[used++] = ' ';
		if (used + len >= outlen) {
			/* Cut, and say so where there is room for it. */
			len = outlen - 1 - used;
			memcpy(out + used, t, len);
			used += len;
			if (outlen > sizeof(more))
				memcpy(out + outlen - sizeof(more), more, sizeof(more) - 1);
			break;
		}
		memcpy(out + used, t, len);
		used += len;
	}
	out[used] = '\0';
	return used;
}

size_t
sp_reply_banner_name(const char *text, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	if (outlen == 0)
		return 0;
	/* A name is printable ASCII up to the first blank; anything else is none. */
	while (n < len && text[n] != ' ' && n + 1 < outlen) {
		unsigned char c = (unsigned char)text[n];

		if (c <= ' ' || c >= 0x7f) {
			n = 0;
			break;
		}
		n++;
	}
	memcpy(out, text, n);
	out[n] = '\0';
	return n;
}
