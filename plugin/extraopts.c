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
 * Where the keys of a section go: the list to append to, NULL to skip the
 * section, or (struct sp_strlist *)-1 when out of memory.
 */
typedef struct sp_strlist *(*pick_fn)(void *arg, const char *section);

/*
 * Collects the keys of every section @p pick takes (a section may appear
 * more than once). Comments are whole lines starting with ';' or '#': a
 * value, a password say, may contain either.
 * @return 1 when a section was taken, 0 when not, -1 on error.
 */
static int
ini_parse(char *text, const char *path, pick_fn pick, void *arg, char *err, size_t errlen)
{
	struct sp_strlist *into = NULL;
	bool found = false;
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
			if ((into = pick(arg, sp_trim(line + 1))) == (struct sp_strlist *)-1) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			found = found || into != NULL;
			continue;
		}
		if (into != NULL && ini_add(into, line, path, lineno, err, errlen) < 0)
			return -1;
	}
	return found ? 1 : 0;
}

struct one_section {
	struct sp_strlist *ini;
	const char *name;
};

static struct sp_strlist *
pick_one(void *arg, const char *section)
{
	struct one_section *o = arg;

	return strcmp(section, o->name) == 0 ? o->ini : NULL;
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
	rc = ini_parse(text, path, pick_one, &(struct one_section){ ini, section }, err, errlen);
	explicit_bzero(text, len); /* it may hold a password */
	free(text);
	if (rc == 0)
		snprintf(err, errlen, "--extra-opts: no section [%s] in %s", section, path);
	return rc == 1 ? 0 : -1;
}

struct all_sections {
	struct sp_ini_section *v;
	size_t n;
};

/* Every section, found or added (in the order of first appearance). */
static struct sp_strlist *
pick_all(void *arg, const char *section)
{
	struct all_sections *a = arg;
	struct sp_ini_section *v;

	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, section) == 0)
			return &a->v[i].opts;
	if ((v = realloc(a->v, (a->n + 1) * sizeof(*v))) == NULL)
		return (struct sp_strlist *)-1;
	a->v = v;
	v[a->n] = (struct sp_ini_section){ strdup(section), { NULL, 0, 0 } };
	if (v[a->n].name == NULL)
		return (struct sp_strlist *)-1;
	return &v[a->n++].opts;
}

int
sp_extraopts_load_all(const char *path, struct sp_ini_section **secs, size_t *n,
	char *err, size_t errlen)
{
	struct all_sections a = { NULL, 0 };
	char *text;
	size_t len;
	int rc;

	*secs = NULL;
	*n = 0;
	if (sp_read_file("--extra-opts", path, SP_EXTRAOPTS_MAX, false, &text, &len, err, errlen) < 0)
		return -1;
	rc = ini_parse(text, path, pick_all, &a, err, errlen);
	explicit_bzero(text, len); /* it may hold a password */
	free(text);
	if (rc < 0) {
		sp_extraopts_free_all(a.v, a.n);
		return -1;
	}
	*secs = a.v;
	*n = a.n;
	return 0;
}

void
sp_extraopts_free_all(struct sp_ini_section *secs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(secs[i].name);
		sp_strlist_free(&secs[i].opts, true);
	}
	free(secs);
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
