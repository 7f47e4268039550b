/* SPDX-License-Identifier: MIT */
/*
 * secret.h - the files and the environment the plugin reads text from
 * (--authfile, SMTP_PROBE_PASSWORD, --body @FILE, the --extra-opts ini
 * file), read so that a secret in them leaves no copy behind: one buffer,
 * never reallocated, wiped before it is freed.
 */
#ifndef SP_SECRET_H
#define SP_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define SP_BODY_MAX (1024 * 1024)    /* --body @FILE */
#define SP_AUTHFILE_MAX (64 * 1024)  /* --authfile */

/* Wipes a string so that neither free() nor a core dump keeps it. NULL is fine. */
void sp_wipe(char *s);
/* sp_wipe(), then free(). */
void sp_wipe_free(char *s);

/*
 * Reads a whole regular file of at most @p max bytes into an owned,
 * NUL-terminated buffer (*out, *outlen without the NUL). NUL bytes are
 * refused; with @p secret, so is a file everyone may read. Messages name
 * the option @p name ("--authfile: /x is readable by everyone (chmod o-r)").
 * @return 0, or -1 with the message in @p err.
 */
int sp_read_file(const char *name, const char *path, size_t max, bool secret,
	char **out, size_t *outlen, char *err, size_t errlen);

/* --body @FILE: the file as the message body (no secret: not wiped). */
int sp_read_body(const char *path, char **out, size_t *outlen, char *err, size_t errlen);

/* Trims blanks (space, tab, CR, LF, VT, FF) at both ends, in place. */
char *sp_trim(char *s);
/* The line at *cursor, NUL-terminated in place; *cursor moves past it (NULL at the end). */
char *sp_next_line(char **cursor);

/* --authfile: "username=" and "password=" lines; blank lines and '#'/';' comments. */
struct sp_authfile {
	char *text;        /* the file (owned; wiped by sp_authfile_free()) */
	size_t len;
	const char *user;  /* into text, or NULL */
	const char *pass;  /* into text, or NULL */
};

/*
 * Reads @p path. Only what is still wanted is taken (-U and -P win over the
 * file), the first of each key, and checked for CR, LF and NUL. @return 0,
 * or -1 with a message in @p err (@p af is then empty).
 */
int sp_authfile_read(const char *path, bool want_user, bool want_pass,
	struct sp_authfile *af, char *err, size_t errlen);
void sp_authfile_free(struct sp_authfile *af);

/*
 * SMTP_PROBE_PASSWORD: *pass is NULL when unset or empty (Icinga 2 passes
 * every env entry, empty when unused). @return 0, or -1 with a message when
 * it holds CR or LF.
 */
int sp_env_password(const char **pass, char *err, size_t errlen);

#endif
