/* SPDX-License-Identifier: MIT */
/*
 * range.c - Monitoring Plugins threshold ranges and per-stage thresholds.
 *
 * Range syntax (monitoring-plugins.org/doc/guidelines.html#THRESHOLDFORMAT):
 *   "10"     alert outside 0..10        "10:"   alert below 10
 *   "~:10"   alert above 10             "10:20" alert outside 10..20
 *   "@10:20" alert inside 10..20, bounds included
 * As in monitoring-plugins, an empty start means 0 (":10" is "0:10").
 *
 * Numbers are parsed here rather than with strtod(): strtod follows
 * LC_NUMERIC, and a plugin run under de_DE would then read "0.5" as 0.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "range.h"

/* Exact powers of ten: every one up to 1e22 is representable in a double. */
static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
#define MAX_FRAC_DIGITS 22
/* Below 2^53, so the mantissa converts to a double exactly. */
#define MAX_SIGNIFICANT 15

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Appends the digits s[from..to) to the mantissa @p m, counting significant ones. */
static int
add_digits(const char *s, size_t from, size_t to, uint64_t *m, int *sig)
{
	for (size_t j = from; j < to; j++) {
		if (*m == 0 && s[j] == '0')
			continue; /* leading zeros are not significant */
		if (++*sig > MAX_SIGNIFICANT)
			return -1;
		*m = *m * 10 + (uint64_t)(s[j] - '0');
	}
	return 0;
}

/*
 * Parses exactly @p len bytes of @p s as "[+-]DIGITS[.DIGITS]" (".5" and
 * "5." too; no exponent, no spaces). The value is m / 10^k with m and 10^k
 * both exact, so the one IEEE division rounds correctly -- the same double
 * strtod() gives in the C locale. More than 15 significant digits is
 * refused rather than rounded: no threshold needs them.
 * @return 0, or -1 when the text is not such a number.
 */
static int
parse_decimal(const char *s, size_t len, double *out)
{
	size_t i = 0, int_start, int_end, frac_start, frac_end;
	bool neg = false;
	uint64_t m = 0;
	int sig = 0;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	int_start = i;
	while (i < len && is_digit(s[i]))
		i++;
	int_end = frac_start = frac_end = i;
	if (i < len && s[i] == '.') {
		frac_start = ++i;
		while (i < len && is_digit(s[i]))
			i++;
		frac_end = i;
	}
	if (i != len || (int_end == int_start && frac_end == frac_start))
		return -1; /* junk, or no digit at all */
	while (frac_end > frac_start && s[frac_end - 1] == '0')
		frac_end--; /* "1.50" is "1.5": trailing zeros add no precision */
	if (frac_end - frac_start > MAX_FRAC_DIGITS)
		return -1;
	if (add_digits(s, int_start, int_end, &m, &sig) < 0 ||
	    add_digits(s, frac_start, frac_end, &m, &sig) < 0)
		return -1;
	*out = (double)m / pow10_exact[frac_end - frac_start];
	if (neg)
		*out = -*out;
	return 0;
}

/* The start of "START:END": "~" is minus infinity, "" is 0. */
static int
parse_start(const char *s, size_t len, struct sp_range *r)
{
	if (len == 1 && s[0] == '~') {
		r->start_inf = true;
		return 0;
	}
	if (len == 0) {
		r->start = 0;
		return 0;
	}
	return parse_decimal(s, len, &r->start);
}

int
sp_range_parse(const char *s, struct sp_range *r)
{
	struct sp_range t;
	const char *p, *colon;
	size_t len;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len == 0 || len >= sizeof t.text)
		return -1;
	memset(&t, 0, sizeof t);
	memcpy(t.text, s, len + 1);

	p = s;
	if (*p == '@') {
		t.inside = true;
		p++;
	}
	colon = strchr(p, ':');
	if (colon == NULL) {
		/* "10" is "0:10" */
		if (parse_decimal(p, strlen(p), &t.end) < 0)
			return -1;
	} else {
		const char *end = colon + 1;

		if (colon == p && *end == '\0')
			return -1; /* ":" alone says nothing */
		if (parse_start(p, (size_t)(colon - p), &t) < 0)
			return -1;
		if (*end == '\0')
			t.end_inf = true;
		else if (parse_decimal(end, strlen(end), &t.end) < 0)
			return -1; /* also catches a second ':' */
	}
	if (!t.start_inf && !t.end_inf && t.start > t.end)
		return -1;
	*r = t;
	return 0;
}

bool
sp_range_alert(const struct sp_range *r, double value)
{
	bool above_start, below_end;

	if (isnan(value))
		return true; /* a value that cannot be placed is not "fine" */
	above_start = r->start_inf || value >= r->start;
	below_end = r->end_inf || value <= r->end;
	if (r->inside)
		return above_start && below_end;
	return !(above_start && below_end);
}

static void
set_err(char *err, size_t errlen, const char *what, const char *s, size_t len)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s \"%.*s\"", what, (int)len, s);
}

/*
 * One item of a -w/-c list: "RANGE" (the total) or "NAME=RANGE".
 * @return 0, or -1 with a message.
 */
static int
parse_item(const char *item, size_t len, struct sp_level *lvl, char *err, size_t errlen)
{
	char buf[64], *range;
	struct sp_range r;
	char *eq;

	if (len == 0) {
		set_err(err, errlen, "empty item in threshold", "", 0);
		return -1;
	}
	if (len >= sizeof buf) {
		set_err(err, errlen, "bad range", item, len);
		return -1;
	}
	memcpy(buf, item, len);
	buf[len] = '\0';
	eq = strchr(buf, '=');
	range = eq != NULL ? eq + 1 : buf;
	if (eq != NULL)
		*eq = '\0';
	if (sp_range_parse(range, &r) < 0) {
		set_err(err, errlen, "bad range", range, strlen(range));
		return -1;
	}
	if (eq == NULL || strcasecmp(buf, "time") == 0 || strcasecmp(buf, "total") == 0) {
		/* "time" is check_smtp's perfdata label for the total */
		lvl->total_set = true;
		lvl->total = r;
		return 0;
	}
	smtpprobe_stage st = smtpprobe_stage_from_name(buf);
	if (st >= SMTPPROBE_STAGE_COUNT) {
		set_err(err, errlen, "unknown stage", buf, strlen(buf));
		return -1;
	}
	lvl->stage_set[st] = true;
	lvl->stage[st] = r;
	return 0;
}

int
sp_level_parse(const char *arg, struct sp_level *lvl, char *err, size_t errlen)
{
	struct sp_level t = *lvl; /* *lvl stays as it was on error */
	const char *p, *comma;

	if (arg == NULL || *arg == '\0') {
		set_err(err, errlen, "empty threshold", "", 0);
		return -1;
	}
	for (p = arg;; p = comma + 1) {
		comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);

		if (parse_item(p, len, &t, err, errlen) < 0)
			return -1;
		if (comma == NULL)
			break;
	}
	*lvl = t;
	return 0;
}
