/* SPDX-License-Identifier: MIT */
/*
 * regexguard.c - estimates what glibc's regcomp() makes of a -R pattern
 * before letting it compile one.
 *
 * glibc's regcomp() expands every repetition by copying what it repeats:
 * "(a{1,255}){1,255}" becomes 65,000 copies, and "5?++++++++++" or
 * "((((a?)+)+)+)+..." grow exponentially (node copies, then epsilon
 * closures), so a 40-byte -R could make the plugin allocate gigabytes or
 * spin for minutes (found by tests/fuzz). Adjacent repetitions, undefined
 * in POSIX EREs, are refused; otherwise this estimates the expanded size --
 * each element times the repetitions around it, a '+' counted 4 times and
 * '*' and '?' twice for the closures they add -- and refuses what passes
 * SP_REGEX_COST_MAX. The expansion is also compiled in quadratic time:
 * "a{1,19000}" took 15 s, "a{1,2000}" 0.15 s (found by a 30-minute fuzz
 * run), hence 1000.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdbool.h>
#include <stdio.h>

#include "regexguard.h"

#define REGEX_DEPTH_MAX 32
#define TOO_COSTLY (SP_REGEX_COST_MAX + 1)

/* An interval "{m}", "{m,}" or "{m,n}" at s: @return its multiplier, 0 if none. */
static unsigned long
regex_interval(const char *s, size_t *len)
{
	unsigned long m = 0, n = 0;
	size_t i = 1;
	bool comma = false, digits = false;

	for (; s[i] != '\0' && s[i] != '}'; i++) {
		if (s[i] == ',' && !comma) {
			comma = true;
		} else if (s[i] >= '0' && s[i] <= '9') {
			unsigned long *v = comma ? &n : &m;

			digits = true;
			if (*v <= SP_REGEX_COST_MAX)
				*v = *v * 10 + (unsigned long)(s[i] - '0');
		} else {
			return 0;
		}
	}
	if (s[i] != '}' || !digits)
		return 0;
	*len = i;
	return (n > m ? n : m) + 1 + (comma && n == 0);
}

/* The index of the ']' closing the bracket expression that opens at @p i (or of its last byte). */
static size_t
skip_bracket(const char *s, size_t i)
{
	i++;
	if (s[i] == '^')
		i++;
	if (s[i] == ']')
		i++;
	while (s[i] != '\0' && s[i] != ']')
		i++;
	return s[i] == '\0' ? i - 1 : i;
}

/* The repetition at s[*i], 0 if none; *i moves past an interval. */
static unsigned long
repetition(const char *s, size_t *i)
{
	size_t len = 0;
	unsigned long mult;

	switch (s[*i]) {
	case '+':
		return 4;
	case '*':
	case '?':
		return 2;
	case '{':
		if ((mult = regex_interval(s + *i, &len)) != 0)
			*i += len;
		return mult;
	default:
		return 0;
	}
}

/* Per nesting depth: the size so far and the size of the last element. */
struct cost {
	unsigned long sum[REGEX_DEPTH_MAX], last[REGEX_DEPTH_MAX];
	int depth;
	bool after_dup;
};

/* Adds an element of size @p elem, or repeats the last one @p mult times. @return false when too costly. */
static bool
account(struct cost *c, unsigned long elem, unsigned long mult)
{
	int d = c->depth;

	if (mult != 0 && c->after_dup)
		return false; /* "a+*", "a{2}{3}", "5?+" */
	c->after_dup = mult != 0;
	if (mult != 0) {
		/* the repetition copies the last element mult times */
		if (c->last[d] > SP_REGEX_COST_MAX / mult)
			return false;
		c->sum[d] += c->last[d] * (mult - 1);
		c->last[d] *= mult;
	} else {
		c->sum[d] += elem;
		c->last[d] = elem;
	}
	return c->sum[d] <= SP_REGEX_COST_MAX;
}

unsigned long
sp_regex_cost(const char *s)
{
	struct cost c = { .depth = 0 };

	c.sum[0] = c.last[0] = 0;
	for (size_t i = 0; s[i] != '\0'; i++) {
		unsigned long elem = 1, mult = 0;

		if (s[i] == '(') {
			if (++c.depth == REGEX_DEPTH_MAX)
				return TOO_COSTLY;
			c.sum[c.depth] = c.last[c.depth] = 0;
			continue;
		}
		if (s[i] == '\\' && s[i + 1] != '\0')
			i++;
		else if (s[i] == '[')
			i = skip_bracket(s, i); /* a bracket expression is one element */
		else if (s[i] == ')' && c.depth > 0)
			elem = c.sum[c.depth--] + 1;
		else
			mult = repetition(s, &i);
		if (!account(&c, elem, mult))
			return TOO_COSTLY;
	}
	while (c.depth > 0) /* unclosed: regcomp() refuses it anyway */
		c.sum[c.depth - 1] += c.sum[c.depth], c.depth--;
	return c.sum[0];
}

int
sp_regex_compile(const char *name, const char *pattern, regex_t *re, char *err, size_t errlen)
{
	char msg[128];
	int rc;

	if (sp_regex_cost(pattern) > SP_REGEX_COST_MAX) {
		snprintf(err, errlen, "%s: regular expression \"%s\" is too complex "
			"(repetitions expand past %lu elements)", name, pattern, SP_REGEX_COST_MAX);
		return -1;
	}
	if ((rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, re, msg, sizeof msg);
		snprintf(err, errlen, "%s: bad regular expression \"%s\": %s", name, pattern, msg);
		return -1;
	}
	return 0;
}
