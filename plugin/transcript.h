/* SPDX-License-Identifier: MIT */
/*
 * transcript.h - the dialog as the library's line callback told it, kept
 * as entries: each line with its direction (sent, received, or an event of
 * ours) and its time, so that what is shown is chosen by the direction,
 * never by reading the text. Bounded in total.
 */
#ifndef SP_TRANSCRIPT_H
#define SP_TRANSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <smtpprobe.h>

/* The most a transcript holds, counted as written out. */
#define SP_TRANSCRIPT_MAX (1024 * 1024)

struct sp_transcript_line {
	smtpprobe_dir dir;
	int64_t usec;       /* since the probe started */
	char *text;         /* as the library gave it (secrets redacted), not NUL-terminated */
	size_t len;
};

struct sp_transcript {
	struct sp_transcript_line *v;
	size_t n, cap;
	size_t bytes;       /* written out, as the bound counts it */
	bool truncated;     /* lines were dropped at the bound (or for want of memory) */
};

/*
 * Appends a line; @p who, when not NULL, goes before it as "[who] " (several
 * dialogs run at once: each line says whose it is).
 */
void sp_transcript_add(struct sp_transcript *t, smtpprobe_dir dir, const char *who,
	const char *line, size_t len, int64_t usec);
void sp_transcript_free(struct sp_transcript *t);

/* ">>>", "<<<" or "***": how a line's direction is written. */
const char *sp_transcript_arrow(smtpprobe_dir dir);

/*
 * Writes every line, "SECONDS ARROW TEXT", to a new file of mode 0600 (it
 * may hold addresses and message text). @return 0, or -1 with errno set.
 */
int sp_transcript_write(const char *path, const struct sp_transcript *t);

#endif
