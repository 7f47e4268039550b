/* SPDX-License-Identifier: MIT */
/*
 * explog.c - logfmt lines on stderr (see explog.h). The one state here is
 * the level, set once from the command line: the log is the process's.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "explog.h"

static enum sp_log_level min_level = SP_LOG_INFO;
static const char *const level_names[] = { "debug", "info", "error" };

void
sp_log_set_level(enum sp_log_level level)
{
	min_level = level;
}

int
sp_log_parse_level(const char *s, enum sp_log_level *level)
{
	for (int i = 0; i < 3; i++)
		if (strcasecmp(s, level_names[i]) == 0) {
			*level = (enum sp_log_level)i;
			return 0;
		}
	return -1;
}

/* A value bare when it can be, else quoted with \" \\ \n and \xNN for controls. */
static void
put_value(FILE *f, const char *v)
{
	bool bare = *v != '\0' && strpbrk(v, " =\"\\") == NULL;

	for (const unsigned char *p = (const unsigned char *)v; bare && *p != '\0'; p++)
		bare = *p > ' ' && *p != 0x7f;
	if (bare) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < ' ' || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void
sp_log(enum sp_log_level level, const char *msg, ...)
{
	struct timeval tv;
	struct tm tm;
	char ts[32];
	va_list ap;
	const char *k;

	if (level < min_level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	flockfile(stderr);
	fprintf(stderr, "ts=%s.%03dZ level=%s msg=", ts, (int)(tv.tv_usec / 1000), level_names[level]);
	put_value(stderr, msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		fprintf(stderr, " %s=", k);
		put_value(stderr, v != NULL ? v : "");
	}
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	fflush(stderr);
}
