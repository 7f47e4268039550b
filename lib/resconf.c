/* SPDX-License-Identifier: MIT */
/*
 * resconf.c - resolv.conf and the environment read as udns 0.4's
 * dns_init() reads them: keywords at the start of a line, blanks (space,
 * tab, CR) between words, addresses that do not parse skipped, "port" set
 * with ':' or '=' and held to 1-65535.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "resconf.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#define BLANKS " \t\r\n"
#define WORD_MAX 64   /* longer words are no addresses and no options */

/* The next blank-separated word of *s, copied into @p w (cut to fit). */
static bool
next_word(const char **s, const char *end, char *w)
{
	size_t n = 0;

	while (*s < end && strchr(BLANKS, **s) != NULL && **s != '\0')
		(*s)++;
	if (*s >= end || **s == '\0')
		return false;
	while (*s < end && **s != '\0' && strchr(BLANKS, **s) == NULL) {
		if (n < WORD_MAX - 1)
			w[n++] = **s;
		(*s)++;
	}
	w[n] = '\0';
	return true;
}

static bool
is_address(const char *w)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, w, buf) == 1 || inet_pton(AF_INET6, w, buf) == 1;
}

/* The first address among the words of [s, end). */
static bool
first_address(const char *s, const char *end, char *out)
{
	char w[WORD_MAX];

	while (next_word(&s, end, w))
		if (is_address(w)) {
			strcpy(out, w);
			return true;
		}
	return false;
}

/* "port:N" or "port=N" among the words of [s, end) sets *port. */
static void
options(const char *s, const char *end, unsigned *port)
{
	char w[WORD_MAX];

	while (next_word(&s, end, w)) {
		unsigned long v = 0;
		const char *d = w + 5;

		if (strncmp(w, "port", 4) != 0 || (w[4] != ':' && w[4] != '=') ||
		    *d < '0' || *d > '9')
			continue;
		for (; *d >= '0' && *d <= '9' && v <= 65535; d++)
			v = v * 10 + (unsigned long)(*d - '0');
		*port = v < 1 ? 1 : v > 65535 ? 65535 : (unsigned)v;
	}
}

/* One resolv.conf line [s, end): a nameserver (the first only) or options. */
static void
conf_line(const char *s, const char *end, char *server, bool *have, unsigned *port)
{
	char key[WORD_MAX];

	/* udns wants the keyword at the very start of the line. */
	if (s >= end || strchr(BLANKS, *s) != NULL || !next_word(&s, end, key))
		return;
	/* Only the first word after "nameserver" counts (udns's strtok). */
	if (strcmp(key, "nameserver") == 0 && !*have && next_word(&s, end, key) &&
	    is_address(key)) {
		strcpy(server, key);
		*have = true;
	}
	else if (strcmp(key, "options") == 0)
		options(s, end, port);
}

int
sp_resconf_server(const char *conf, const struct sp_resconf_env *env, char *addr,
	size_t addrlen, unsigned *port)
{
	char server[WORD_MAX] = "127.0.0.1";
	const char *list = env->nscacheip != NULL ? env->nscacheip : env->nameservers;
	bool have = false;

	*port = 53;
	for (const char *s = conf; s != NULL && *s != '\0'; ) {
		const char *nl = strchr(s, '\n'), *end = nl != NULL ? nl : s + strlen(s);

		conf_line(s, end, server, &have, port);
		s = nl != NULL ? nl + 1 : NULL;
	}
	/* The environment replaces the file's list, even with no valid entry. */
	if (list != NULL && !first_address(list, list + strlen(list), server))
		strcpy(server, "127.0.0.1");
	if (env->res_options != NULL)
		options(env->res_options, env->res_options + strlen(env->res_options), port);
	if (strlen(server) >= addrlen)
		return -1;
	strcpy(addr, server);
	return 0;
}
