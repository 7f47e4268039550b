/* SPDX-License-Identifier: MIT */
/*
 * stsparse.c - the MTA-STS and TLS-RPT TXT records, the MTA-STS policy text
 * and its MX patterns. Every input is hostile: lengths are the caller's,
 * never a NUL; each copy is bounded by its destination; character classes
 * are written out (no <ctype.h>, whose answers follow the locale).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "stsparse.h"

#include <arpa/inet.h>
#include <string.h>

_Static_assert(sizeof(((struct sp_sts_txt *)0)->bad) >= SP_STS_SHOW + 4, "bad[] holds a shown record");
_Static_assert(sizeof(((struct sp_tlsrpt *)0)->bad) >= SP_STS_SHOW + 4, "bad[] holds a shown record");
_Static_assert(sizeof(((struct sp_sts_policy *)0)->fault_text) >= SP_STS_SHOW + 4, "fault_text holds a shown line");
/* "*." and a 253-byte name, and its NUL. */
_Static_assert(sizeof(((struct sp_sts_policy *)0)->mx[0]) >= 2 + 253 + 1, "mx[] holds a pattern");

/* A run of bytes in the caller's input. */
struct span {
	const char *p;
	size_t len;
};

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
eq_nocase(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

static bool
span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && memcmp(s.p, lit, n) == 0;
}

static struct span
trim(struct span s)
{
	while (s.len > 0 && is_wsp((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_wsp((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

/*
 * A copy for display: at most SP_STS_SHOW bytes, printable ASCII kept and
 * every other byte '?', "..." when cut. @p dst holds SP_STS_SHOW + 4 bytes
 * (the _Static_asserts above).
 */
static void
show(char *dst, const char *p, size_t len)
{
	size_t n = len > SP_STS_SHOW ? SP_STS_SHOW : len;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		dst[i] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
	}
	if (n < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
}

/* RFC 8461 3.1 sts-ext-name, RFC 8460 3 tlsrpt-ext-name, RFC 8461 3.2 sts-policy-ext-name. */
static bool
ext_name(struct span s)
{
	if (s.len == 0 || s.len > 32 || !is_alnum((unsigned char)s.p[0]))
		return false;
	for (size_t i = 1; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (!is_alnum(c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* ---------------------------------------------------------------- TXT records */

/* What a field callback made of one name=value. */
enum field_verdict { FIELD_OK, FIELD_BAD, FIELD_UNKNOWN };
typedef enum field_verdict (*field_fn)(struct span name, struct span value, void *ctx);

/* The record starts with the version token @p v: then its end, ';' or a blank. */
static bool
led_by(const struct sp_txtrec *r, const char *v)
{
	size_t vl = strlen(v);

	if (r->len < vl || memcmp(r->p, v, vl) != 0)
		return false;
	return r->len == vl || r->p[vl] == ';' || is_wsp((unsigned char)r->p[vl]);
}

/* RFC 8461 3.1 sts-ext-value: %x21-3A / %x3C / %x3E-7E, at least one. */
static bool
ext_value(struct span s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
			return false;
	}
	return true;
}

/*
 * One field, blanks around it already trimmed: name=value, the known names
 * judged by @p fn, the others by the extension grammar.
 */
static bool
one_field(struct span f, field_fn fn, void *ctx)
{
	const char *eq = memchr(f.p, '=', f.len);
	struct span name, value;

	if (eq == NULL)
		return false;
	name = (struct span){ f.p, (size_t)(eq - f.p) };
	value = (struct span){ eq + 1, f.len - name.len - 1 };
	if (!ext_name(name))
		return false;
	switch (fn(name, value, ctx)) {
	case FIELD_OK:
		return true;
	case FIELD_BAD:
		return false;
	case FIELD_UNKNOWN:
		return ext_value(value);
	}
	return false;
}

/*
 * Whether the record is @p v ";" then ';'-separated fields, blanks around
 * each allowed, only the last one empty (the optional trailing ';').
 */
static bool
walk_fields(const struct sp_txtrec *r, const char *v, field_fn fn, void *ctx)
{
	size_t vl = strlen(v), pos;

	if (r->len <= vl || r->p[vl] != ';')
		return false;
	pos = vl + 1;
	for (;;) {
		const char *semi = memchr(r->p + pos, ';', r->len - pos);
		size_t end = semi != NULL ? (size_t)(semi - r->p) : r->len;
		struct span f = trim((struct span){ r->p + pos, end - pos });

		if (f.len == 0)
			return semi == NULL;
		if (!one_field(f, fn, ctx))
			return false;
		if (semi == NULL)
			return true;
		pos = end + 1;
	}
}

/*
 * What one kind of record is: its version token, the judge of its known
 * fields, and whether the fields seen make a whole record (e.g. "exactly
 * one id"), asked once every field has passed.
 */
struct txt_rule {
	const char *version;
	field_fn field;
	bool (*whole)(const void *ctx);
};

/* The TLS-RPT statuses are the MTA-STS ones: one judge serves both. */
_Static_assert(SP_TLSRPT_OK == (int)SP_STS_TXT_OK && SP_TLSRPT_NONE == (int)SP_STS_TXT_NONE &&
    SP_TLSRPT_SEVERAL == (int)SP_STS_TXT_SEVERAL && SP_TLSRPT_MALFORMED == (int)SP_STS_TXT_MALFORMED,
    "TXT statuses agree");

/*
 * RFC 8461 3.1 / RFC 8460 3: the records led by the rule's version counted
 * into *@p count; none, several, or the one judged by its fields. @p bad
 * is the first counted record shown, or "" when there is none or it is good.
 */
static enum sp_sts_txt_status
judge_txt(const struct sp_txtrec *recs, size_t n, const struct txt_rule *rule, void *ctx,
    size_t *count, char *bad)
{
	const struct sp_txtrec *first = NULL;

	*count = 0;
	bad[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!led_by(&recs[i], rule->version))
			continue;
		if (first == NULL)
			first = &recs[i];
		(*count)++;
	}
	if (first == NULL)
		return SP_STS_TXT_NONE;
	if (*count == 1 && walk_fields(first, rule->version, rule->field, ctx) && rule->whole(ctx))
		return SP_STS_TXT_OK;
	show(bad, first->p, first->len);
	return *count > 1 ? SP_STS_TXT_SEVERAL : SP_STS_TXT_MALFORMED;
}

struct sts_fields {
	size_t nid;
	struct span id;
};

static enum field_verdict
sts_field(struct span name, struct span value, void *ctx)
{
	struct sts_fields *f = ctx;

	if (!span_is(name, "id"))
		return FIELD_UNKNOWN;
	if (value.len == 0 || value.len > 32)
		return FIELD_BAD;
	for (size_t i = 0; i < value.len; i++)
		if (!is_alnum((unsigned char)value.p[i]))
			return FIELD_BAD;
	f->nid++;
	f->id = value;
	return FIELD_OK;
}

/* Two ids, or none: the record names no one policy. */
static bool
sts_whole(const void *ctx)
{
	return ((const struct sts_fields *)ctx)->nid == 1;
}

void
sp_sts_txt_judge(const struct sp_txtrec *recs, size_t n, struct sp_sts_txt *out)
{
	const struct txt_rule rule = { "v=STSv1", sts_field, sts_whole };
	struct sts_fields f = { 0, { NULL, 0 } };

	out->status = judge_txt(recs, n, &rule, &f, &out->count, out->bad);
	out->id[0] = '\0';
	if (out->status == SP_STS_TXT_OK) {
		memcpy(out->id, f.id.p, f.id.len);
		out->id[f.id.len] = '\0';
	}
}

/* RFC 8460 3: a tlsrpt-uri of scheme mailto or https, something after it. */
static bool
rua_uri(struct span u)
{
	size_t skip;

	if (u.len > 7 && eq_nocase(u.p, "mailto:", 7))
		skip = 7;
	else if (u.len > 6 && eq_nocase(u.p, "https:", 6))
		skip = 6;
	else
		return false;
	for (size_t i = skip; i < u.len; i++) {
		unsigned char c = (unsigned char)u.p[i];

		if (c < 0x21 || c > 0x7e)
			return false;
	}
	return true;
}

struct rpt_fields {
	size_t nrua_fields;
	size_t nuri;
};

static enum field_verdict
rpt_field(struct span name, struct span value, void *ctx)
{
	struct rpt_fields *f = ctx;
	size_t pos = 0, nuri = 0;

	if (!span_is(name, "rua"))
		return FIELD_UNKNOWN;
	for (;;) {
		const char *comma = memchr(value.p + pos, ',', value.len - pos);
		size_t end = comma != NULL ? (size_t)(comma - value.p) : value.len;

		if (!rua_uri(trim((struct span){ value.p + pos, end - pos })))
			return FIELD_BAD;
		nuri++;
		if (comma == NULL)
			break;
		pos = end + 1;
	}
	f->nrua_fields++;
	f->nuri = nuri;
	return FIELD_OK;
}

/* rua twice is as ambiguous as no rua. */
static bool
rpt_whole(const void *ctx)
{
	return ((const struct rpt_fields *)ctx)->nrua_fields == 1;
}

void
sp_tlsrpt_judge(const struct sp_txtrec *recs, size_t n, struct sp_tlsrpt *out)
{
	const struct txt_rule rule = { "v=TLSRPTv1", rpt_field, rpt_whole };
	struct rpt_fields f = { 0, 0 };
	size_t count;

	out->status = (enum sp_tlsrpt_status)judge_txt(recs, n, &rule, &f, &count, out->bad);
	out->nrua = out->status == SP_TLSRPT_OK ? f.nuri : 0;
}

/* ---------------------------------------------------------------- the policy */

/* RFC 1123 2.1 / RFC 5321 Domain: LDH labels of 1-63, letters or digits at both ends. */
static bool
ldh_label(const char *p, size_t len)
{
	if (len == 0 || len > 63 || !is_alnum((unsigned char)p[0]) || !is_alnum((unsigned char)p[len - 1]))
		return false;
	for (size_t i = 1; i + 1 < len; i++)
		if (!is_alnum((unsigned char)p[i]) && p[i] != '-')
			return false;
	return true;
}

/* A host name of at most 253 bytes whose last label is not all digits (RFC 3696 2). */
static bool
host_name(struct span s)
{
	size_t start = 0;
	bool digits = true;

	if (s.len == 0 || s.len > 253)
		return false;
	for (size_t i = 0; i <= s.len; i++) {
		if (i < s.len && s.p[i] != '.')
			continue;
		if (!ldh_label(s.p + start, i - start))
			return false;
		digits = true;
		for (size_t j = start; j < i; j++)
			digits = digits && is_digit((unsigned char)s.p[j]);
		start = i + 1;
	}
	return !digits;
}

/* An IPv4 or IPv6 address, bare or in brackets: never a pattern (RFC 8461 3.2). */
static bool
ip_literal(struct span s)
{
	char buf[64];
	unsigned char addr[16];

	if (s.len >= 2 && s.p[0] == '[' && s.p[s.len - 1] == ']') {
		s.p++;
		s.len -= 2;
	}
	if (s.len >= sizeof(buf) || memchr(s.p, '\0', s.len) != NULL)
		return false;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

/* An mx value into @p out: lower-cased, its one trailing dot removed. */
static enum sp_sts_fault
mx_pattern(struct span v, char *out)
{
	struct span name = v;
	size_t wild = 0;

	if (ip_literal(v))
		return SP_STS_FAULT_MX_IP;
	if (v.len >= 2 && v.p[0] == '*' && v.p[1] == '.')
		wild = 2;
	name.p += wild;
	name.len -= wild;
	if (name.len > 0 && name.p[name.len - 1] == '.')
		name.len--;
	if (!host_name(name))
		return SP_STS_FAULT_BAD_MX;
	for (size_t i = 0; i < wild + name.len; i++)
		out[i] = lower(v.p[i]);
	out[wild + name.len] = '\0';
	return SP_STS_FAULT_NONE;
}

/* RFC 8461 3.2 sts-policy-max-age-value: 1*10DIGIT, at most 31557600. */
static bool
max_age(struct span v, unsigned long *out)
{
	unsigned long long n = 0;

	if (v.len == 0 || v.len > 10)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		if (!is_digit((unsigned char)v.p[i]))
			return false;
		n = n * 10 + (unsigned)(v.p[i] - '0');
	}
	if (n > SP_STS_MAX_AGE_MAX)
		return false;
	*out = (unsigned long)n;
	return true;
}

static bool
mode(struct span v, enum sp_sts_mode *out)
{
	if (span_is(v, "enforce"))
		*out = SP_STS_MODE_ENFORCE;
	else if (span_is(v, "testing"))
		*out = SP_STS_MODE_TESTING;
	else if (span_is(v, "none"))
		*out = SP_STS_MODE_NONE;
	else
		return false;
	return true;
}

/* The fields met so far, for the duplicates and the missing ones. */
struct seen {
	bool version, mode, max_age;
};

/* @return -1 for a bad line, 0 for an empty one, 1 with @p key and @p value set. */
static int
split_line(struct span line, struct span *key, struct span *value)
{
	const char *colon;

	for (size_t i = 0; i < line.len; i++) {
		unsigned char c = (unsigned char)line.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	while (line.len > 0 && is_wsp((unsigned char)line.p[line.len - 1]))
		line.len--;
	if (line.len == 0)
		return 0;
	colon = memchr(line.p, ':', line.len);
	if (colon == NULL)
		return -1;
	*key = (struct span){ line.p, (size_t)(colon - line.p) };
	if (!ext_name(*key))
		return -1;
	*value = trim((struct span){ colon + 1, line.len - key->len - 1 });
	return 1;
}

static enum sp_sts_fault
mx_line(struct sp_sts_policy *out, struct span value, unsigned lineno)
{
	enum sp_sts_fault f;

	if (out->nmx == SP_STS_MAX_MX)
		return SP_STS_FAULT_TOO_MANY_MX;
	f = mx_pattern(value, out->mx[out->nmx]);
	if (f != SP_STS_FAULT_NONE)
		return f;
	out->mx_line[out->nmx++] = lineno;
	return SP_STS_FAULT_NONE;
}

/* One line without its end: the fault it has, or NONE. */
static enum sp_sts_fault
one_line(struct sp_sts_policy *out, struct seen *seen, struct span line, unsigned lineno)
{
	struct span key, value;
	int r = split_line(line, &key, &value);

	if (r < 0)
		return SP_STS_FAULT_BAD_LINE;
	if (r == 0)
		return SP_STS_FAULT_NONE;
	if (span_is(key, "mx"))
		return mx_line(out, value, lineno);
	if (span_is(key, "version")) {
		if (seen->version)
			return SP_STS_FAULT_DUPLICATE;
		seen->version = true;
		return span_is(value, "STSv1") ? SP_STS_FAULT_NONE : SP_STS_FAULT_BAD_VERSION;
	}
	if (span_is(key, "mode")) {
		if (seen->mode)
			return SP_STS_FAULT_DUPLICATE;
		seen->mode = true;
		return mode(value, &out->mode) ? SP_STS_FAULT_NONE : SP_STS_FAULT_BAD_MODE;
	}
	if (span_is(key, "max_age")) {
		if (seen->max_age)
			return SP_STS_FAULT_DUPLICATE;
		seen->max_age = true;
		return max_age(value, &out->max_age) ? SP_STS_FAULT_NONE : SP_STS_FAULT_BAD_MAX_AGE;
	}
	return SP_STS_FAULT_NONE;         /* an extension: ignored (RFC 8461 3.2) */
}

static int
fault(struct sp_sts_policy *out, enum sp_sts_fault f, unsigned lineno, struct span line)
{
	out->fault = f;
	out->fault_line = lineno;
	show(out->fault_text, line.p, line.len);
	return -1;
}

/* What is missing once every line is read, in the order of the RFC's fields. */
static enum sp_sts_fault
missing(const struct sp_sts_policy *out, const struct seen *seen)
{
	if (!seen->version)
		return SP_STS_FAULT_NO_VERSION;
	if (!seen->mode)
		return SP_STS_FAULT_NO_MODE;
	if (!seen->max_age)
		return SP_STS_FAULT_NO_MAX_AGE;
	if (out->nmx == 0 && out->mode != SP_STS_MODE_NONE)
		return SP_STS_FAULT_NO_MX;
	return SP_STS_FAULT_NONE;
}

int
sp_sts_policy_parse(const char *text, size_t len, struct sp_sts_policy *out)
{
	const struct span nothing = { "", 0 };
	struct seen seen = { false, false, false };
	size_t pos = 0;
	enum sp_sts_fault f;

	memset(out, 0, sizeof(*out));
	if (len > SP_STS_POLICY_MAX)
		return fault(out, SP_STS_FAULT_BAD_LINE, 0, nothing);
	while (pos < len) {
		const char *lf = memchr(text + pos, '\n', len - pos);
		size_t end = lf != NULL ? (size_t)(lf - text) : len;
		struct span line = { text + pos, end - pos };

		/* CRLF: the CR is part of the end; a CR anywhere else is a control byte */
		if (lf != NULL && line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		out->nlines++;
		f = one_line(out, &seen, line, (unsigned)out->nlines);
		if (f != SP_STS_FAULT_NONE)
			return fault(out, f, (unsigned)out->nlines, line);
		pos = end + 1;
	}
	f = missing(out, &seen);
	if (f != SP_STS_FAULT_NONE)
		return fault(out, f, 0, nothing);
	return 0;
}

/* The length of @p s without one trailing dot. */
static size_t
undotted_len(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

bool
sp_sts_pattern_covers(const char *pattern, const char *host)
{
	size_t pl = undotted_len(pattern), hl = undotted_len(host);
	const char *dot;

	if (hl == 0)
		return false;
	if (pl < 2 || pattern[0] != '*' || pattern[1] != '.')
		return pl == hl && eq_nocase(pattern, host, hl);
	/* the wildcard takes the host's first label, which must not be empty */
	dot = memchr(host, '.', hl);
	if (dot == NULL || dot == host)
		return false;
	dot++;
	return pl - 2 > 0 && (size_t)(host + hl - dot) == pl - 2 && eq_nocase(dot, pattern + 2, pl - 2);
}

int
sp_sts_policy_match(const struct sp_sts_policy *p, const char *host)
{
	size_t n = p->nmx < SP_STS_MAX_MX ? p->nmx : SP_STS_MAX_MX;

	for (size_t i = 0; i < n; i++)
		if (sp_sts_pattern_covers(p->mx[i], host))
			return (int)i;
	return -1;
}
