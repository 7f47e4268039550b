/* SPDX-License-Identifier: MIT */
/*
 * secret.c - reads the plugin's files (--authfile, --body @FILE, the
 * --extra-opts ini file) and SMTP_PROBE_PASSWORD, and wipes what may be a
 * secret. A file is read into one buffer allocated once: a realloc() would
 * leave a stale copy of a password on the heap.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

void
sp_wipe(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
}

void
sp_wipe_free(char *s)
{
	sp_wipe(s);
	free(s);
}

/* Opens @p path, which must be a regular file (not readable by everyone when @p secret). */
static int
open_checked(const char *name, const char *path, bool secret, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot read %s: %s", name, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s is not a regular file", name, path);
		close(fd);
		return -1;
	}
	if (secret && (st.st_mode & S_IROTH)) {
		snprintf(err, errlen, "%s: %s is readable by everyone (chmod o-r)", name, path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads up to @p max + 1 bytes (one more tells a file too large). @return the count, or -1. */
static ssize_t
read_all(int fd, char *buf, size_t max)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0 || (len += (size_t)n) > max)
			return (ssize_t)len;
	}
}

int
sp_read_file(const char *name, const char *path, size_t max, bool secret,
	char **out, size_t *outlen, char *err, size_t errlen)
{
	int fd = open_checked(name, path, secret, err, errlen);
	char *buf;
	ssize_t n;

	if (fd < 0)
		return -1;
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = read_all(fd, buf, max);
	if (n < 0)
		snprintf(err, errlen, "%s: cannot read %s: %s", name, path, strerror(errno));
	close(fd);
	if (n >= 0 && (size_t)n > max)
		snprintf(err, errlen, "%s: %s is larger than %zu bytes", name, path, max);
	else if (n >= 0 && memchr(buf, '\0', (size_t)n) != NULL)
		snprintf(err, errlen, "%s: %s contains a NUL byte", name, path);
	else if (n >= 0) {
		buf[n] = '\0';
		*out = buf;
		*outlen = (size_t)n;
		return 0;
	}
	explicit_bzero(buf, max + 1);
	free(buf);
	return -1;
}

int
sp_read_body(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	char *shrunk;

	if (sp_read_file("--body", path, SP_BODY_MAX, false, out, outlen, err, errlen) < 0)
		return -1;
	/* not a secret: giving back the unused megabyte is fine */
	if ((shrunk = realloc(*out, *outlen + 1)) != NULL)
		*out = shrunk;
	return 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

char *
sp_trim(char *s)
{
	char *e;

	while (is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		*--e = '\0';
	return s;
}

char *
sp_next_line(char **cursor)
{
	char *line = *cursor, *nl;

	if (line == NULL)
		return NULL;
	nl = strchr(line, '\n');
	if (nl != NULL)
		*nl++ = '\0';
	*cursor = nl;
	return line;
}

static bool
has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* Takes @p value into *slot when still wanted and not yet set by an earlier line. */
static int
take(const char **slot, bool want, const char *value, char *err, size_t errlen)
{
	if (!want || *slot != NULL)
		return 0;
	if (has_crlf(value)) {
		snprintf(err, errlen, "--authfile contains CR, LF or NUL");
		return -1;
	}
	*slot = value;
	return 0;
}

/* One line of the file: blank, a comment, or key=value. */
static int
authfile_line(char *line, bool want_user, bool want_pass, struct sp_authfile *af,
	char *err, size_t errlen)
{
	char *key = sp_trim(line), *eq, *value;

	if (*key == '\0' || *key == '#' || *key == ';')
		return 0;
	if ((eq = strchr(key, '=')) == NULL) {
		snprintf(err, errlen, "--authfile: a line is not key=value");
		return -1;
	}
	*eq = '\0';
	value = sp_trim(eq + 1);
	key = sp_trim(key);
	if (strcmp(key, "username") == 0)
		return take(&af->user, want_user, value, err, errlen);
	if (strcmp(key, "password") == 0)
		return take(&af->pass, want_pass, value, err, errlen);
	snprintf(err, errlen, "--authfile: unknown key \"%s\" (username, password)", key);
	return -1;
}

int
sp_authfile_read(const char *path, bool want_user, bool want_pass,
	struct sp_authfile *af, char *err, size_t errlen)
{
	char *cursor, *line;

	memset(af, 0, sizeof *af);
	if (sp_read_file("--authfile", path, SP_AUTHFILE_MAX, true, &af->text, &af->len,
			err, errlen) < 0)
		return -1;
	cursor = af->text;
	while ((line = sp_next_line(&cursor)) != NULL) {
		if (authfile_line(line, want_user, want_pass, af, err, errlen) < 0) {
			sp_authfile_free(af);
			return -1;
		}
	}
	return 0;
}

void
sp_authfile_free(struct sp_authfile *af)
{
	if (af->text != NULL)
		explicit_bzero(af->text, af->len); /* every line, not only up to the first NUL */
	free(af->text);
	memset(af, 0, sizeof *af);
}

int
sp_env_password(const char **pass, char *err, size_t errlen)
{
	const char *env = getenv("SMTP_PROBE_PASSWORD");

	*pass = NULL;
	if (env == NULL || *env == '\0')
		return 0;
	if (has_crlf(env)) {
		snprintf(err, errlen, "SMTP_PROBE_PASSWORD contains CR, LF or NUL");
		return -1;
	}
	*pass = env;
	return 0;
}
