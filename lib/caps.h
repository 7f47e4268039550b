/* SPDX-License-Identifier: MIT */
/*
 * caps.h - EHLO reply -> capabilities. Pure: no I/O.
 * Each line of the EHLO reply after the first is one keyword with optional
 * parameters (RFC 5321 section 4.1.1.1); matching is per line, on whole
 * keywords, case-insensitive.
 */
#ifndef SP_CAPS_H
#define SP_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sp_ext {
	SP_EXT_SIZE = 1u << 0,
	SP_EXT_PIPELINING = 1u << 1,
	SP_EXT_STARTTLS = 1u << 2,
	SP_EXT_AUTH = 1u << 3,
	SP_EXT_DSN = 1u << 4,
	SP_EXT_ENHANCEDSTATUSCODES = 1u << 5,
	SP_EXT_8BITMIME = 1u << 6,
	SP_EXT_SMTPUTF8 = 1u << 7,
	SP_EXT_CHUNKING = 1u << 8,
	SP_EXT_BINARYMIME = 1u << 9
};

enum sp_auth_mech {
	SP_AUTH_PLAIN = 1u << 0,
	SP_AUTH_LOGIN = 1u << 1,
	SP_AUTH_CRAM_MD5 = 1u << 2
};

/* Longest capability summary kept (the rest is dropped at a keyword boundary). */
#define SP_CAPS_TEXT_MAX 1024

struct sp_caps {
	unsigned ext;        /* enum sp_ext bits */
	unsigned auth;       /* enum sp_auth_mech bits */
	uint64_t size;       /* SIZE value; 0 when absent or unlimited */
	size_t textlen;
	char text[SP_CAPS_TEXT_MAX]; /* "SIZE=10240000 PIPELINING AUTH=PLAIN,LOGIN" */
};

void sp_caps_clear(struct sp_caps *c);
/*
 * Adds one line of an EHLO reply (the text after "250-"/"250 "). @p first
 * marks the greeting line, which carries the server name, not a keyword.
 */
void sp_caps_line(struct sp_caps *c, const char *text, size_t len, bool first);
/* @return true when @p keyword was advertised (whole keyword, any case). */
bool sp_caps_has(const struct sp_caps *c, const char *keyword);

#endif
