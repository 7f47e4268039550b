/* SPDX-License-Identifier: MIT */
/*
 * reply.h - incremental SMTP reply parser (RFC 5321 section 4.2). Pure: bytes
 * in, lines and replies out; no I/O, no libevent, no sockets.
 *
 * The parser is fed bytes and stops after every complete line, so the caller
 * sees continuation lines (for EHLO capabilities) without the parser keeping
 * them, and knows exactly which bytes followed a complete reply (STARTTLS
 * response injection).
 */
#ifndef SP_REPLY_H
#define SP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/* Longest reply line accepted, not counting CR LF. */
#define SP_REPLY_MAX_LINE 4096
/* Most lines accepted in one reply. */
#define SP_REPLY_MAX_LINES 1000
/* Longest enhanced status code kept, "x.yyy.zzz" plus NUL. */
#define SP_ENHANCED_MAX 12

enum sp_reply_err {
	SP_REPLY_E_NONE,
	SP_REPLY_E_SYNTAX,     /* not three digits then '-', ' ' or end of line */
	SP_REPLY_E_CODE,       /* first digit outside 2-5 */
	SP_REPLY_E_MIXED,      /* continuation lines with different codes */
	SP_REPLY_E_LONG,       /* a line over SP_REPLY_MAX_LINE bytes */
	SP_REPLY_E_MANY,       /* more than SP_REPLY_MAX_LINES lines */
	SP_REPLY_E_CONTROL,    /* NUL, bare CR or another control byte */
	SP_REPLY_E_NOMEM
};

enum sp_reply_event {
	SP_REPLY_MORE,  /* all input consumed, no complete line yet */
	SP_REPLY_LINE,  /* a continuation line is complete ("250-...") */
	SP_REPLY_DONE,  /* the final line is complete: the reply is whole */
	SP_REPLY_ERROR  /* protocol error; the parser stays in error */
};

/* One complete line; pointers valid until the next sp_reply_feed(). */
struct sp_reply_line {
	int code;                         /* 200..599 */
	bool last;                        /* final line of the reply */
	const char *text;                 /* after "NNN-"/"NNN " and enhanced code; NUL-terminated */
	size_t len;                       /* strlen(text) */
	const char *raw;                  /* the whole line without CR LF ("250-SIZE 1000") */
	size_t rawlen;
	char enhanced[SP_ENHANCED_MAX];   /* "2.1.5", or "" when absent */
};

struct sp_reply_parser {
	char *buf;        /* current line; grown on demand up to the limit */
	size_t len, cap;
	int code;         /* code of the reply in progress, 0 at a reply start */
	unsigned lines;   /* lines of the reply in progress */
	enum sp_reply_err err;
};

void sp_reply_init(struct sp_reply_parser *p);
void sp_reply_free(struct sp_reply_parser *p);
/* Forget any partial input (after a TLS handshake, a new connection). */
void sp_reply_reset(struct sp_reply_parser *p);

/*
 * Consumes bytes of @p data up to and including the end of the next complete
 * line. *used is set to the bytes consumed. On SP_REPLY_LINE and
 * SP_REPLY_DONE, *line describes the line. On SP_REPLY_ERROR, p->err says why.
 * Lines end with LF; a CR right before it is dropped.
 */
enum sp_reply_event sp_reply_feed(struct sp_reply_parser *p, const char *data,
	size_t len, size_t *used, struct sp_reply_line *line);

/* @return the reason in words, for status lines ("line over 4096 bytes"). */
const char *sp_reply_strerror(enum sp_reply_err err);

/*
 * The queue id in the reply to the end of a message, in the forms of
 * Postfix ("queued as ID"), Exim ("id=ID"), Exchange ("<ID@host> [...]
 * Queued mail for delivery"), Sendmail ("ID Message accepted for delivery"),
 * Haraka ("Message Queued (ID)"); no other text is taken for an id.
 * Copies it to out (NUL-terminated, truncated to outlen) and returns its
 * length, or 0 when none is recognised.
 */
size_t sp_reply_queue_id(const char *text, char *out, size_t outlen);

/*
 * The text of one raw reply line ("550-5.1.1 No such user"): after the
 * code, the separator and an enhanced status code of the reply's class.
 * @return a pointer into @p raw; *len its length.
 */
const char *sp_reply_line_text(const char *raw, size_t rawlen, size_t *len);

/*
 * A multi-line reply as one text: each raw line's text (above), trailing
 * blanks dropped, joined by single spaces, NUL-terminated; cut to fit
 * @p outlen, and then ending in "...". @return the length written.
 */
size_t sp_reply_join(const char *const *lines, size_t n, char *out, size_t outlen);

/*
 * The host name a greeting gives: the first word of its first line's
 * text ("mx.example.org ESMTP Postfix"). Empty when that word is not
 * printable ASCII. @return its length.
 */
size_t sp_reply_banner_name(const char *text, size_t len, char *out, size_t outlen);

#endif
