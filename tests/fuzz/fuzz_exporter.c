/* SPDX-License-Identifier: MIT */
/*
 * fuzz_exporter.c - libFuzzer harness for what smtp_probe_exporter reads
 * from a scraper and its modules file before any connection: /probe's query
 * string (plugin/expquery.c, evhttp's parser underneath), the target
 * parameter and the allow-target matcher (plugin/modules.c).
 *
 * The input's first line is the query string; each further line one
 * allow-target value. Invariants: a parsed target's host holds only name
 * characters (or is an IPv6 literal) and never starts with '-'; its port is
 * 0-65535; a literal is admitted exactly when a bit-by-bit reference finds
 * a CIDR holding it, a name exactly when a glob matches it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "expquery.h"
#include "modules.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

static int
bit(const unsigned char *a, unsigned i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

/* The reference: the first c->bits bits equal, one at a time. */
static int
ref_in(const struct sp_cidr *c, int family, const unsigned char *a)
{
	if (c->family != family)
		return 0;
	for (unsigned i = 0; i < c->bits; i++)
		if (bit(c->addr, i) != bit(a, i))
			return 0;
	return 1;
}

static int
ref_match(const struct sp_allow *allow, const char *host)
{
	unsigned char a[16];
	int family = 0;

	if (inet_pton(AF_INET, host, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };

		family = AF_INET6;
		if (memcmp(a, mapped, 12) == 0) {
			memmove(a, a + 12, 4);
			family = AF_INET;
		}
	}
	if (family != 0) {
		for (size_t i = 0; i < allow->ncidrs; i++)
			if (ref_in(&allow->cidrs[i], family, a))
				return 1;
		return 0;
	}
	for (size_t i = 0; i < allow->globs.n; i++)
		if (fnmatch(allow->globs.v[i], host, FNM_CASEFOLD) == 0)
			return 1;
	return 0;
}

static void
check_host(const char *host, unsigned port)
{
	unsigned char a[16];

	CHECK(port <= 65535);
	CHECK(host[0] != '\0' && host[0] != '-' && strlen(host) <= SP_TARGET_HOST_MAX);
	if (inet_pton(AF_INET6, host, a) == 1)
		return;
	for (const char *p = host; *p != '\0'; p++)
		CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *p) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *cursor, err[300];
	char host[SP_TARGET_HOST_MAX + 1];
	struct sp_allow allow = { { NULL, 0, 0 }, NULL, 0 };
	struct sp_query q;
	unsigned port;
	int parsed;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cursor = text;
	line = strsep(&cursor, "\n");
	parsed = sp_query_parse(line, &q, err, sizeof(err)) == 0 &&
	    sp_target_parse(q.target, host, sizeof(host), &port, err, sizeof(err)) == 0;
	while ((line = strsep(&cursor, "\n")) != NULL)
		(void)sp_allow_add(&allow, line, err, sizeof(err));
	if (parsed) {
		check_host(host, port);
		CHECK(sp_allow_match(&allow, host) == (ref_match(&allow, host) == 1));
	}
	sp_allow_free(&allow);
	free(text);
	return 0;
}
