/* SPDX-License-Identifier: MIT */
/*
 * fuzz_range.c - libFuzzer harness for the threshold parser (plugin/range.c).
 *
 * The input is one -w/-c argument. sp_range_parse(): an accepted range keeps
 * its text, has no NaN bound, start <= end when both are finite, and each
 * finite bound is exactly the double strtod() gives in the C locale (the
 * parser's own claim). sp_level_parse(): on failure the level is untouched
 * and the message is a NUL-terminated string inside its buffer; on success
 * every stage set has a range that parses again to itself.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

/* strtod() of s[0, n) in the C locale, the whole span consumed. */
static int
reference(const char *s, size_t n, double *out)
{
	char buf[64], *end;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = strtod(buf, &end);
	return *end == '\0' ? 0 : -1;
}

static void
check_range(const char *s)
{
	struct sp_range r;
	const char *p, *colon;
	double v;

	if (sp_range_parse(s, &r) < 0)
		return;
	CHECK(strcmp(r.text, s) == 0);
	CHECK(!isnan(r.start) && !isnan(r.end));
	CHECK(r.start_inf || r.end_inf || r.start <= r.end);
	p = s + (s[0] == '@');
	CHECK(r.inside == (s[0] == '@'));
	colon = strchr(p, ':');
	if (colon == NULL) {
		CHECK(reference(p, strlen(p), &v) == 0 && v == r.end);
	} else {
		if (!r.start_inf && colon > p)
			CHECK(reference(p, (size_t)(colon - p), &v) == 0 && v == r.start);
		if (!r.end_inf)
			CHECK(reference(colon + 1, strlen(colon + 1), &v) == 0 && v == r.end);
	}
	/* Alerts are total functions of the value. */
	(void)sp_range_alert(&r, NAN);
	(void)sp_range_alert(&r, INFINITY);
	(void)sp_range_alert(&r, -INFINITY);
	(void)sp_range_alert(&r, r.start);
	(void)sp_range_alert(&r, r.end);
	if (!r.start_inf && !r.end_inf)
		CHECK(sp_range_alert(&r, (r.start + r.end) / 2) == r.inside ||
		    r.start == r.end || !isfinite((r.start + r.end) / 2));
}

static void
check_level(const char *s)
{
	struct sp_level lvl, before;
	char err[64];
	int i;

	memset(&lvl, 0x5a, sizeof lvl);
	memcpy(&before, &lvl, sizeof lvl);
	memset(err, 'x', sizeof err);
	if (sp_level_parse(s, &lvl, err, sizeof err) < 0) {
		CHECK(memcmp(&lvl, &before, sizeof lvl) == 0);
		CHECK(memchr(err, '\0', sizeof err) != NULL);
		return;
	}
	memset(&lvl, 0, sizeof lvl);
	CHECK(sp_level_parse(s, &lvl, err, sizeof err) == 0);
	for (i = 0; i < SMTPPROBE_STAGE_COUNT; i++) {
		struct sp_range again;

		if (!lvl.stage_set[i])
			continue;
		CHECK(sp_range_parse(lvl.stage[i].text, &again) == 0);
		CHECK(memcmp(&again, &lvl.stage[i], sizeof again) == 0);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setlocale(LC_ALL, "C");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0'; /* a C string: what argv gives; stops at the first NUL */
	check_range(s);
	check_level(s);
	free(s);
	return 0;
}
