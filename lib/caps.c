/* SPDX-License-Identifier: MIT */
/*
 * caps.c - EHLO reply -> capabilities.
 *
 * Each line is one keyword and its parameters, matched as a whole token in
 * any case: a search for "PIPELINING" over the whole reply would also find
 * "XPIPELINING", the check_smtp bug this file exists to avoid.
 *
 * The known extensions become bits; every keyword also goes into a text
 * summary ("SIZE=10240000 PIPELINING AUTH=PLAIN,LOGIN"), which both reports
 * them and answers sp_caps_has() for keywords without a bit.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "caps.h"

#include <string.h>

struct ext_name {
	const char *name;
	size_t len;
	unsigned bit;
};

#define EXT(name, bit) { name, sizeof(name) - 1, bit }

static const struct ext_name exts[] = {
	EXT("SIZE", SP_EXT_SIZE),
	EXT("PIPELINING", SP_EXT_PIPELINING),
	EXT("STARTTLS", SP_EXT_STARTTLS),
	EXT("AUTH", SP_EXT_AUTH),
	EXT("DSN", SP_EXT_DSN),
	EXT("ENHANCEDSTATUSCODES", SP_EXT_ENHANCEDSTATUSCODES),
	EXT("8BITMIME", SP_EXT_8BITMIME),
	EXT("SMTPUTF8", SP_EXT_SMTPUTF8),
	EXT("CHUNKING", SP_EXT_CHUNKING),
	EXT("BINARYMIME", SP_EXT_BINARYMIME),
};

static const struct ext_name mechs[] = {
	EXT("PLAIN", SP_AUTH_PLAIN),
	EXT("LOGIN", SP_AUTH_LOGIN),
	EXT("CRAM-MD5", SP_AUTH_CRAM_MD5),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A span of the line: keyword or parameter. */
struct span {
	const char *s;
	size_t len;
};

static char
upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Printable ASCII other than space: what may go into the summary. */
static int
is_graph(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f;
}

/* Whole-token comparison, any case, locale-independent. */
static bool
token_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (upper(a[i]) != upper(b[i]))
			return false;
	return true;
}

static unsigned
lookup(const struct ext_name *tab, size_t n, struct span w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (token_eq(tab[i].name, tab[i].len, w.s, w.len))
			return tab[i].bit;
	return 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The next word of s[*pos, len) between spaces, or an empty span. */
static struct span
next_word(const char *s, size_t len, size_t *pos)
{
	struct span w;

	while (*pos < len && is_space(s[*pos]))
		(*pos)++;
	w.s = s + *pos;
	while (*pos < len && !is_space(s[*pos]))
		(*pos)++;
	w.len = (size_t)(s + *pos - w.s);
	return w;
}

/*
 * RFC 1870: the limit in octets, 0 for none. A value that does not fit is
 * no practical limit either, so it saturates at UINT64_MAX rather than
 * wrapping to a small number; one that is not a number at all counts as 0.
 */
static uint64_t
parse_size(struct span w)
{
	uint64_t v = 0;
	size_t i;
	unsigned d;

	for (i = 0; i < w.len; i++) {
		if (w.s[i] < '0' || w.s[i] > '9')
			return 0;
		d = (unsigned)(w.s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + d;
	}
	return v;
}

/* Bits for what the line advertises; the parameters start at *pos. */
static void
set_bits(struct sp_caps *c, struct span kw, const char *s, size_t len,
    size_t pos)
{
	unsigned bit = lookup(exts, NELEM(exts), kw);
	struct span w;

	c->ext |= bit;
	if (bit == SP_EXT_SIZE)
		c->size = parse_size(next_word(s, len, &pos));
	if (bit != SP_EXT_AUTH)
		return;
	while ((w = next_word(s, len, &pos)).len > 0)
		c->auth |= lookup(mechs, NELEM(mechs), w);
}

/* Appends the printable bytes of s[0, n) at c->text + *at while they fit. */
static bool
put(struct sp_caps *c, size_t *at, const char *s, size_t n, bool up)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_graph(s[i]))
			continue;
		if (*at + 1 >= SP_CAPS_TEXT_MAX)
			return false;
		c->text[(*at)++] = up ? upper(s[i]) : s[i];
	}
	return true;
}

static bool
any_graph(struct span w)
{
	size_t i;

	for (i = 0; i < w.len; i++)
		if (is_graph(w.s[i]))
			return true;
	return false;
}

/* Writes "KEYWORD=param,param" at *at; false when it does not fit. */
static bool
put_entry(struct sp_caps *c, size_t *at, struct span kw, const char *s,
    size_t len, size_t pos)
{
	struct span w;
	const char *sep = "=";

	if (!put(c, at, kw.s, kw.len, true))
		return false;
	while ((w = next_word(s, len, &pos)).len > 0) {
		if (!any_graph(w))
			continue;
		if (!put(c, at, sep, 1, false) || !put(c, at, w.s, w.len, false))
			return false;
		sep = ",";
	}
	return true;
}

/*
 * True when the summary already holds this exact entry: found between
 * spaces (entries hold none), not as part of a longer one.
 */
static bool
has_entry(const struct sp_caps *c, const char *e, size_t elen)
{
	const char *t = c->text, *end = c->text + c->textlen, *hit;

	while ((size_t)(end - t) >= elen && (hit = memchr(t, e[0], (size_t)(end - t) - elen + 1)) != NULL) {
		if (memcmp(hit, e, elen) == 0 && (hit == c->text || hit[-1] == ' ') &&
		    (hit + elen == end || hit[elen] == ' '))
			return true;
		t = hit + 1;
	}
	return false;
}

/*
 * The entry is written past the summary's NUL and taken in only when it
 * fits whole, so the summary never ends in half a keyword. Servers that
 * send both "AUTH PLAIN" and "AUTH=PLAIN" get one entry.
 */
static void
add_entry(struct sp_caps *c, struct span kw, const char *s, size_t len,
    size_t pos)
{
	size_t start = c->textlen + (c->textlen > 0), at = start;

	if (put_entry(c, &at, kw, s, len, pos) && at > start &&
	    !has_entry(c, c->text + start, at - start)) {
		if (start > 0)
			c->text[start - 1] = ' ';
		c->textlen = at;
	}
	c->text[c->textlen] = '\0';
}

void
sp_caps_clear(struct sp_caps *c)
{
	memset(c, 0, sizeof(*c));
}

void
sp_caps_line(struct sp_caps *c, const char *text, size_t len, bool first)
{
	struct span kw;
	size_t pos = 0;

	/* The greeting line names the server, it advertises nothing. */
	if (first || text == NULL)
		return;
	while (pos < len && is_space(text[pos]))
		pos++;
	/* Old servers write "AUTH=LOGIN PLAIN" for "AUTH LOGIN PLAIN". */
	kw.s = text + pos;
	while (pos < len && !is_space(text[pos]) && text[pos] != '=')
		pos++;
	kw.len = (size_t)(text + pos - kw.s);
	if (kw.len == 0)
		return;
	if (pos < len)
		pos++;
	set_bits(c, kw, text, len, pos);
	add_entry(c, kw, text, len, pos);
}

bool
sp_caps_has(const struct sp_caps *c, const char *keyword)
{
	size_t klen, pos = 0, n;
	unsigned bit;
	struct span w, kw;

	if (keyword == NULL || (klen = strlen(keyword)) == 0)
		return false;
	kw.s = keyword;
	kw.len = klen;
	/* Known extensions survive even when the summary ran out of room. */
	if ((bit = lookup(exts, NELEM(exts), kw)) != 0)
		return (c->ext & bit) != 0;
	while ((w = next_word(c->text, c->textlen, &pos)).len > 0) {
		for (n = 0; n < w.len && w.s[n] != '='; n++)
			;
		if (token_eq(w.s, n, keyword, klen))
			return true;
	}
	return false;
}
