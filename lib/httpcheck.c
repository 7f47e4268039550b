/* SPDX-License-Identifier: MIT */
/*
 * httpcheck.c - the policy fetch's rules for a response; see httpcheck.h.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <string.h>
#include <strings.h>

#include "httpcheck.h"

static const char *
skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

bool
sp_http_media_text_plain(const char *ctype)
{
	static const char want[] = "text/plain";
	const char *p;

	if (ctype == NULL)
		return false;
	p = skip_blanks(ctype);
	if (strncasecmp(p, want, sizeof(want) - 1) != 0)
		return false;
	/* "text/plainx" is another type: only blanks or parameters may follow. */
	p = skip_blanks(p + sizeof(want) - 1);
	return *p == '\0' || *p == ';';
}

smtpprobe_fetch
sp_http_judge_response(int code, const char *ctype)
{
	if (code < 100 || code > 599)
		return SMTPPROBE_FETCH_PROTOCOL;
	if (code >= 300 && code <= 399)
		return SMTPPROBE_FETCH_REDIRECT;
	if (code != 200)
		return SMTPPROBE_FETCH_HTTP_STATUS;
	return sp_http_media_text_plain(ctype) ? SMTPPROBE_FETCH_OK : SMTPPROBE_FETCH_MEDIA_TYPE;
}
