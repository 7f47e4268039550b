/* SPDX-License-Identifier: MIT */
/*
 * extraopts.c - reads the --extra-opts ini file, the Monitoring Plugins
 * way, and splices its options in before the command line. The file may
 * hold a password: its text is wiped once read, and so are the options
 * taken from it when the caller frees them.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "extraopts.h"
#include "secret.h"

/* Keys are option names: letters, digits, '-' and '_'. */
static bool
is_ini_key(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* One "key[=value]" line of the wanted section, as "--key[=value]". */
static int
ini_add(struct sp_strlist *ini, char *line, const char *path, unsigned lineno,
	char *err, size_t errlen)
{
	char *eq = strchr(line, '=');
	char *key = line, *value = NULL, *arg;
	size_t len;

	if (eq != NULL) {
		*eq = '\0';
		value = sp_trim(eq + 1);
	}
	key = sp_trim(key);
	if (!is_ini_key(key)) {
		snprintf(err, errlen, "--extra-opts: %s:%u: bad key \"%s\"", path, lineno, key);
		return -1;
	}
	len = 2 + strlen(key) + (value != NULL ? 1 + strlen(value) : 0) + 1;
	if ((arg = malloc(len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(arg, len, "--%s%s%s", key, value != NULL ? "=" : "", value != NULL ? value : "");
	if (sp_strlist_push(ini, arg) < 0) {
		sp_wipe_free(arg);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Collects the keys of every "[section]" of the file (a section may appear
 * more than once). Comments are whole lines starting with ';' or '#': a
 * value, a password say, may contain either.
 * @return 1 when the section was found, 0 when not, -1 on error.
 */
static int
ini_parse(struct sp_strlist *ini, char *text, const char *path, const char *section,
	char *err, size_t errlen)
{
	bool in_section = false, found = false;
	unsigned lineno = 0;
	char *cursor = text, *line;

	while ((line = sp_next_line(&cursor)) != NULL) {
		lineno++;
		line = sp_trim(line);
		if (*line == '\0' || *line == ';' || *line == '#')
			continue;
		if (*line == '[') {
			size_t len = strlen(line);

			if (line[len - 1] != ']') {
				snprintf(err, errlen, "--extra-opts: %s:%u: bad section line", path, lineno);
				return -1;
			}
			line[len - 1] = '\0';
			in_section = strcmp(sp_trim(line + 1), section) == 0;
			found = found || in_section;
			continue;
		}
		if (in_section && ini_add(ini, line, path, lineno, err, errlen) < 0)
			return -1;
	}
	return found ? 1 : 0;
}

/* The default ini file: $MP_CONFIG_FILE, then the Monitoring Plugins places. */
static const char *
find_ini_file(void)
{
	static const char *const places[] = {
		"/etc/nagios/plugins.ini",
		"/usr/local/nagios/etc/plugins.ini",
		"/usr/local/etc/nagios/plugins.ini",
		"/etc/opt/nagios/plugins.ini",
		"/etc/nagios-plugins.ini",
		"/usr/local/etc/nagios-plugins.ini",
		"/etc/opt/nagios-plugins.ini",
	};
	const char *env = getenv("MP_CONFIG_FILE");
	struct stat st;

	if (env != NULL && *env != '\0' && stat(env, &st) == 0)
		return env;
	for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
		if (stat(places[i], &st) == 0)
			return places[i];
	return NULL;
}

/* "[section][@file]" -> the section (default SP_EXTRAOPTS_SECTION) and the path. */
static int
split_locator(const char *locator, char *section, size_t seclen, const char **path,
	char *err, size_t errlen)
{
	const char *at = strchr(locator, '@');
	size_t n = at != NULL ? (size_t)(at - locator) : strlen(locator);

	if (n >= seclen) {
		snprintf(err, errlen, "--extra-opts: section name too long");
		return -1;
	}
	if (n == 0)
		snprintf(section, seclen, "%s", SP_EXTRAOPTS_SECTION);
	else
		snprintf(section, seclen, "%.*s", (int)n, locator);
	*path = at != NULL ? at + 1 : find_ini_file();
	if (*path == NULL) {
		snprintf(err, errlen, "--extra-opts: no ini file found (set MP_CONFIG_FILE or give @FILE)");
		return -1;
	}
	if (**path == '\0') {
		snprintf(err, errlen, "--extra-opts: empty file name after '@'");
		return -1;
	}
	return 0;
}

int
sp_extraopts_load(const char *locator, struct sp_strlist *ini, char *err, size_t errlen)
{
	char section[256];
	const char *path;
	char *text;
	size_t len;
	int rc;

	if (split_locator(locator, section, sizeof section, &path, err, errlen) < 0 ||
	    sp_read_file("--extra-opts", path, SP_EXTRAOPTS_MAX, false, &text, &len, err, errlen) < 0)
		return -1;
	rc = ini_parse(ini, text, path, section, err, errlen);
	explicit_bzero(text, len); /* it may hold a password */
	free(text);
	if (rc == 0)
		snprintf(err, errlen, "--extra-opts: no section [%s] in %s", section, path);
	return rc == 1 ? 0 : -1;
}

/* Pushes every entry of @p from onto @p to. */
static int
push_all(struct sp_strlist *to, const struct sp_strlist *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (sp_strlist_push(to, from->v[i]) < 0)
			return -1;
	return 0;
}

/* Loads each --extra-opts of the command line into @p ini and leaves the rest in @p rest. */
static int
split_argv(int argc, char **argv, struct sp_strlist *ini, struct sp_strlist *rest,
	char *err, size_t errlen)
{
	bool options = true;
	int rc = 0;
	char msg[512];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = 0;

		if (options && strcmp(a, "--") == 0)
			options = false;
		if (options && strcmp(a, "--extra-opts") == 0)
			r = sp_extraopts_load("", ini, msg, sizeof msg);
		else if (options && strncmp(a, "--extra-opts=", 13) == 0)
			r = sp_extraopts_load(a + 13, ini, msg, sizeof msg);
		else if (sp_strlist_push(rest, argv[i]) < 0)
			return -2;
		if (r < 0 && rc == 0) /* the first error is the one to tell */
			snprintf(err, errlen, "%s", msg);
		rc = r < 0 ? -1 : rc;
	}
	return rc;
}

int
sp_extraopts_argv(int argc, char **argv, struct sp_strlist *ini, struct sp_strlist *args,
	char *err, size_t errlen)
{
	struct sp_strlist rest = { NULL, 0, 0 };
	int rc = split_argv(argc, argv, ini, &rest, err, errlen);

	if (rc == -2 ||
	    sp_strlist_push(args, argc > 0 && argv[0] != NULL ? argv[0] : (char *)SP_EXTRAOPTS_SECTION) < 0 ||
	    push_all(args, ini) < 0 || push_all(args, &rest) < 0 ||
	    args->n > INT_MAX - 1 || sp_strlist_push(args, NULL) < 0) {
		sp_strlist_free(args, false);
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	sp_strlist_free(&rest, false);
	return rc;
}
