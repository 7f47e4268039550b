/* SPDX-License-Identifier: MIT */
/*
 * transcript.c - collects the dialog's lines with their direction, and
 * writes them to --transcript FILE as they were (secrets are redacted by
 * the library before a line reaches us).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transcript.h"

/* Room for the time and the arrow of a line as written, with some to spare. */
#define LINE_OVERHEAD 40

const char *
sp_transcript_arrow(smtpprobe_dir dir)
{
	static const char *const arrows[] = { ">>>", "<<<", "***" };

	return arrows[(unsigned)dir <= SMTPPROBE_DIR_INFO ? dir : SMTPPROBE_DIR_INFO];
}

static int
grow(struct sp_transcript *t)
{
	size_t cap = t->cap != 0 ? t->cap * 2 : 64;
	struct sp_transcript_line *v;

	if (t->n < t->cap)
		return 0;
	if ((v = realloc(t->v, cap * sizeof *v)) == NULL)
		return -1;
	t->v = v;
	t->cap = cap;
	return 0;
}

void
sp_transcript_add(struct sp_transcript *t, smtpprobe_dir dir, const char *who,
	const char *line, size_t len, int64_t usec)
{
	char prefix[64] = "";
	size_t plen = who != NULL ? (size_t)snprintf(prefix, sizeof prefix, "[%s] ", who) : 0;
	struct sp_transcript_line *l;

	if (plen >= sizeof prefix)
		plen = sizeof prefix - 1;
	if (t->truncated || t->bytes + plen + len + LINE_OVERHEAD > SP_TRANSCRIPT_MAX ||
	    grow(t) < 0) {
		t->truncated = true; /* once lines are missing, none after them are kept */
		return;
	}
	l = &t->v[t->n];
	if ((l->text = malloc(plen + len + 1)) == NULL) {
		t->truncated = true;
		return;
	}
	memcpy(l->text, prefix, plen);
	memcpy(l->text + plen, line, len);
	l->text[plen + len] = '\0';
	l->len = plen + len;
	l->dir = dir;
	l->usec = usec;
	t->bytes += (size_t)snprintf(NULL, 0, "%.6f %s ", usec / 1e6, sp_transcript_arrow(dir)) +
	    l->len + 1;
	t->n++;
}

void
sp_transcript_free(struct sp_transcript *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	memset(t, 0, sizeof *t);
}

int
sp_transcript_write(const char *path, const struct sp_transcript *t)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f = fd != -1 ? fdopen(fd, "w") : NULL;
	int err = 0;

	if (f == NULL) {
		err = errno;
		if (fd != -1)
			close(fd);
		errno = err;
		return -1;
	}
	for (size_t i = 0; i < t->n; i++) {
		fprintf(f, "%.6f %s ", t->v[i].usec / 1e6, sp_transcript_arrow(t->v[i].dir));
		fwrite(t->v[i].text, 1, t->v[i].len, f);
		fputc('\n', f);
	}
	err = ferror(f) ? EIO : 0;
	if (fclose(f) == EOF && err == 0)
		err = errno;
	errno = err;
	return err != 0 ? -1 : 0;
}
