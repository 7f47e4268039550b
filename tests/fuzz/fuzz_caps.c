/* SPDX-License-Identifier: MIT */
/*
 * fuzz_caps.c - libFuzzer harness for the EHLO capability parser
 * (lib/caps.c). The input, cut at LF bytes, is the text of an EHLO reply's
 * lines (the first is the greeting). Checked: the summary stays inside its
 * buffer, NUL-terminated at textlen, printable ASCII separated by single
 * spaces; a known keyword advertised on a line is reported by
 * sp_caps_has() whether or not the summary had room for it; lookups of
 * arbitrary words never crash.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

static const char *const known[] = {
	"SIZE", "PIPELINING", "STARTTLS", "AUTH", "DSN", "ENHANCEDSTATUSCODES",
	"8BITMIME", "SMTPUTF8", "CHUNKING", "BINARYMIME",
};

static bool
eq_nocase(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (alen != strlen(b))
		return false;
	for (i = 0; i < alen; i++) {
		char c = a[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != b[i])
			return false;
	}
	return true;
}

/* The keyword of a line as RFC 5321 and caps.c see it: up to space or '='. */
static void
expect_known(const char *s, size_t len, unsigned *want)
{
	size_t i = 0, k;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	k = i;
	while (k < len && s[k] != ' ' && s[k] != '\t' && s[k] != '=')
		k++;
	for (size_t j = 0; j < sizeof known / sizeof known[0]; j++)
		if (eq_nocase(s + i, k - i, known[j]))
			*want |= 1u << j;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sp_caps c;
	unsigned want = 0;
	size_t off = 0;
	bool first = true;
	char *line;

	sp_caps_clear(&c);
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t n = nl != NULL ? (size_t)(nl - (data + off)) : size - off;

		/* The reply parser hands over NUL-terminated text. */
		line = malloc(n + 1);
		CHECK(line != NULL);
		memcpy(line, data + off, n);
		line[n] = '\0';
		sp_caps_line(&c, line, n, first);
		if (!first)
			expect_known(line, n, &want);
		first = false;
		free(line);
		off += n + 1;

		CHECK(c.textlen < SP_CAPS_TEXT_MAX);
		CHECK(c.text[c.textlen] == '\0' && strlen(c.text) == c.textlen);
	}
	for (size_t i = 0; i < c.textlen; i++) {
		unsigned char ch = (unsigned char)c.text[i];

		CHECK((ch > ' ' && ch < 0x7f) || (ch == ' ' && i > 0 &&
		    i + 1 < c.textlen && c.text[i - 1] != ' '));
	}
	for (size_t j = 0; j < sizeof known / sizeof known[0]; j++)
		CHECK(sp_caps_has(&c, known[j]) == ((want >> j) & 1u));
	/* Arbitrary lookups: the whole input, and every word of it. */
	line = malloc(size + 1);
	CHECK(line != NULL);
	memcpy(line, data, size);
	line[size] = '\0';
	(void)sp_caps_has(&c, line);
	for (char *w = strtok(line, " \t\n="); w != NULL; w = strtok(NULL, " \t\n="))
		(void)sp_caps_has(&c, w);
	free(line);
	return 0;
}
