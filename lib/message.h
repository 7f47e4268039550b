/* SPDX-License-Identifier: MIT */
/*
 * message.h - the test message: default headers, user headers, body,
 * CRLF normalisation and dot-stuffing. Pure: the date and the unique part
 * of the Message-ID are passed in.
 */
#ifndef SP_MESSAGE_H
#define SP_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct sp_message_params {
	const char *from;           /* envelope sender, used in From: */
	const char *const *rcpts;   /* recipients, used in To: */
	size_t nrcpts;
	const char *subject;        /* NULL: "smtp-probe test message" */
	const char *const *headers; /* extra "Name: value" lines */
	size_t nheaders;
	const char *body;           /* NULL: a line naming the probe */
	size_t bodylen;
	time_t date;                /* for the Date: header, formatted in UTC */
	const char *msgid;          /* whole Message-ID value, "<...@...>" */
	const char *helo;           /* our name, for the default body */
	bool bdat;                  /* for BDAT (RFC 3030), not DATA: see below */
};

/*
 * Builds the message as sent after DATA's 354: CRLF line ends, dot-stuffed,
 * ending with "\r\n.\r\n". With mp->bdat, as sent after "BDAT <n> LAST":
 * CRLF line ends, nothing stuffed and no final "." line, so that its
 * length is the n of BDAT and the SIZE= of MAIL (RFC 3030 2: the chunk is
 * counted, not scanned). A header given by the user replaces the default of
 * the same name (case-insensitive). Returns a malloc'd buffer and its length
 * in *len, or NULL when out of memory.
 */
char *sp_message_build(const struct sp_message_params *mp, size_t *len);

/*
 * Dot-stuffs and CRLF-normalises @p in (RFC 5321 section 4.5.2) into a new
 * buffer; a final line without its end gets one. Returns NULL on ENOMEM.
 */
char *sp_message_stuff(const char *in, size_t inlen, size_t *outlen);

/*
 * The size RFC 1870 asks for in MAIL ... SIZE=: the message as built by
 * sp_message_build() for DATA less the dots added by stuffing and the final
 * ".\r\n" (built for BDAT, the size is its length).
 */
size_t sp_message_size(const char *msg, size_t len);

#endif
