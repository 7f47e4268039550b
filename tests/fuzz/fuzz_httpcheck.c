/* SPDX-License-Identifier: MIT */
/*
 * fuzz_httpcheck.c - libFuzzer harness for the policy fetch's response
 * rules (lib/httpcheck.c). The first two bytes are the status code (0-65535),
 * the rest, cut at the first NUL, the Content-Type value. Checked: the
 * outcome is one of the five the rules give; OK only for 200 with a value
 * that starts, after blanks, with text/plain in any case and goes on with
 * nothing, blanks or ';'; REDIRECT exactly for 300-399.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpcheck.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int code = size >= 2 ? (data[0] << 8 | data[1]) : 200;
	char *ctype = malloc(size + 1);
	const char *p;
	smtpprobe_fetch f;
	int plain;

	if (ctype == NULL)
		return 0;
	memcpy(ctype, size >= 2 ? data + 2 : data, size >= 2 ? size - 2 : size);
	ctype[size >= 2 ? size - 2 : size] = '\0';
	plain = sp_http_media_text_plain(ctype);
	for (p = ctype; *p == ' ' || *p == '\t'; p++)
		;
	if (plain) {
		CHECK(strncasecmp(p, "text/plain", 10) == 0);
		for (p += 10; *p == ' ' || *p == '\t'; p++)
			;
		CHECK(*p == '\0' || *p == ';');
	}
	f = sp_http_judge_response(code, ctype);
	CHECK(f == SMTPPROBE_FETCH_OK || f == SMTPPROBE_FETCH_REDIRECT ||
	    f == SMTPPROBE_FETCH_HTTP_STATUS || f == SMTPPROBE_FETCH_MEDIA_TYPE ||
	    f == SMTPPROBE_FETCH_PROTOCOL);
	CHECK((f == SMTPPROBE_FETCH_OK) == (code == 200 && plain));
	CHECK((f == SMTPPROBE_FETCH_REDIRECT) == (code >= 300 && code <= 399));
	CHECK(sp_http_judge_response(code, NULL) != SMTPPROBE_FETCH_OK);
	free(ctype);
	return 0;
}
