/* SPDX-License-Identifier: MIT */
/*
 * httpcheck.h - what an HTTP response's status line and headers say about
 * a policy fetch (RFC 8461 3.3): pure, no libevent, no sockets, so the
 * rules are unit-tested on their own. httpget.c applies them.
 */
#ifndef SP_HTTPCHECK_H
#define SP_HTTPCHECK_H

#include <stdbool.h>

#include "smtpprobe.h"

/*
 * @return true when @p ctype (a Content-Type value, NULL when absent) is
 * text/plain, in any case, optionally followed by parameters (";...") and
 * blanks around: "text/plain; charset=utf-8". Anything else is false.
 */
bool sp_http_media_text_plain(const char *ctype);

/*
 * @return the outcome of a complete response with status @p code and
 * Content-Type @p ctype: OK for 200 with text/plain, REDIRECT for 3xx
 * (never followed), HTTP_STATUS for any other code, MEDIA_TYPE for 200
 * with another type. Invalid codes (outside 100-599) are PROTOCOL.
 */
smtpprobe_fetch sp_http_judge_response(int code, const char *ctype);

#endif
