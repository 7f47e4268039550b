/* SPDX-License-Identifier: MIT */
/*
 * modules.c - smtp_probe_exporter's modules from the ini file's sections,
 * the /probe target checked, and allow-target matched (see modules.h).
 * Everything here is bytes in, values out: unit-tested and fuzzed.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "modules.h"
#include "secret.h"

/* ------------------------------------------------------------ allow-target */

/* "addr" or "addr/bits" as a CIDR. @return 0, or -1. */
static int
parse_cidr(const char *value, struct sp_cidr *c)
{
	char buf[64];
	const char *slash = strchr(value, '/');
	size_t alen = slash != NULL ? (size_t)(slash - value) : strlen(value);
	unsigned long bits;
	char *end;

	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, value, alen);
	buf[alen] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = AF_INET6;
	else
		return -1;
	c->bits = c->family == AF_INET ? 32 : 128;
	if (slash == NULL)
		return 0;
	if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
		return -1;
	bits = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || bits > c->bits)
		return -1;
	c->bits = (unsigned)bits;
	return 0;
}

static bool
is_glob_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    strchr(".-_*?[]!", ch) != NULL;
}

int
sp_allow_add(struct sp_allow *allow, const char *value, char *err, size_t errlen)
{
	struct sp_cidr c, *v;
	size_t len = strlen(value);

	if (len == 0 || len > SP_TARGET_HOST_MAX) {
		snprintf(err, errlen, "allow-target: empty or longer than %d", SP_TARGET_HOST_MAX);
		return -1;
	}
	if (parse_cidr(value, &c) == 0) {
		if ((v = realloc(allow->cidrs, (allow->ncidrs + 1) * sizeof(*v))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		allow->cidrs = v;
		v[allow->ncidrs++] = c;
		return 0;
	}
	if (strchr(value, '/') != NULL) {
		snprintf(err, errlen, "allow-target: \"%s\" is not an address/prefix", value);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (!is_glob_char(value[i])) {
			snprintf(err, errlen, "allow-target: \"%s\" is neither a host-name glob nor a CIDR",
				value);
			return -1;
		}
	if (sp_strlist_add_copy(&allow->globs, value) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
sp_allow_free(struct sp_allow *allow)
{
	sp_strlist_free(&allow->globs, true);
	free(allow->cidrs);
	allow->cidrs = NULL;
	allow->ncidrs = 0;
}

static bool
in_cidr(const struct sp_cidr *c, int family, const unsigned char *addr)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (c->family != family || memcmp(c->addr, addr, full) != 0)
		return false;
	return rest == 0 || ((c->addr[full] ^ addr[full]) & (0xff00u >> rest) & 0xff) == 0;
}

bool
sp_allow_match(const struct sp_allow *allow, const char *host)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char a[16];
	int family = 0;

	if (inet_pton(AF_INET, host, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, host, a) == 1) {
		family = AF_INET6;
		if (memcmp(a, mapped, sizeof(mapped)) == 0) { /* it dials the IPv4 address */
			memmove(a, a + 12, 4);
			family = AF_INET;
		}
	}
	if (family != 0) {
		for (size_t i = 0; i < allow->ncidrs; i++)
			if (in_cidr(&allow->cidrs[i], family, a))
				return true;
		return false;
	}
	for (size_t i = 0; i < allow->globs.n; i++)
		if (fnmatch(allow->globs.v[i], host, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ target */

static bool
is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    ch == '-' || ch == '_' || ch == '.';
}

/* A name of letters, digits, '-', '_', '.', or an IP literal. */
static bool
host_ok(const char *h)
{
	unsigned char a[16];
	size_t len = strlen(h);

	if (len == 0 || len > SP_TARGET_HOST_MAX)
		return false;
	if (inet_pton(AF_INET6, h, a) == 1)
		return true;
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(h[i]))
			return false;
	return h[0] != '-' && h[0] != '.'; /* never taken for an option */
}

static int
parse_port(const char *s, unsigned *port)
{
	unsigned long v = 0;
	size_t len = strlen(s);

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/* Splits @p target into host and port text (both within @p buf). */
static int
split_target(char *buf, char **host, char **port)
{
	char *colon;

	*port = NULL;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		*close = '\0';
		*host = buf + 1;
		if (close[1] == ':')
			*port = close + 2;
		return strchr(*host, ':') != NULL ? 0 : -1; /* brackets are for IPv6 */
	}
	*host = buf;
	colon = strchr(buf, ':');
	if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		*colon = '\0';
		*port = colon + 1;
	}
	return 0;
}

int
sp_target_parse(const char *target, char *host, size_t hostlen, unsigned *port,
	char *err, size_t errlen)
{
	char buf[SP_TARGET_MAX + 1], *h, *p;
	size_t len = strlen(target);

	*port = 0;
	if (len == 0 || len > SP_TARGET_MAX) {
		snprintf(err, errlen, "target empty or longer than %d", SP_TARGET_MAX);
		return -1;
	}
	memcpy(buf, target, len + 1);
	if (split_target(buf, &h, &p) < 0 || !host_ok(h) || strlen(h) >= hostlen) {
		snprintf(err, errlen, "target is not HOST[:PORT] (a host name or an IP literal)");
		return -1;
	}
	if (p != NULL && parse_port(p, port) < 0) {
		snprintf(err, errlen, "target port is not 1-65535");
		return -1;
	}
	memcpy(host, h, strlen(h) + 1);
	return 0;
}

/* ------------------------------------------------------------ modules */

/*
 * Options a module may not hold: the target is the request's, the output
 * the exporter's. getopt_long takes any unambiguous abbreviation, so a
 * key that begins one of these is refused too.
 */
static const char *const not_in_module[] = {
	"hostname", "output", "transcript", "verbose", "extra-opts", "help", "version",
};

/* "--key[=value]" -> whether its key is @p key, and its value (NULL: none). */
static bool
arg_is(const char *arg, const char *key, const char **value)
{
	size_t klen = strlen(key);

	if (strncmp(arg + 2, key, klen) != 0 || (arg[2 + klen] != '\0' && arg[2 + klen] != '='))
		return false;
	*value = arg[2 + klen] == '=' ? arg + 3 + klen : NULL;
	return true;
}

static int
check_key(const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg + 2, '=');
	size_t klen = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);

	for (size_t i = 0; i < sizeof(not_in_module) / sizeof(not_in_module[0]); i++)
		if (strncmp(not_in_module[i], arg + 2, klen) == 0) {
			snprintf(err, errlen, "\"%.*s\" is not allowed in a module", (int)klen, arg + 2);
			return -1;
		}
	return 0;
}

/* One "--key[=value]" of a section into @p m. */
static int
module_add(struct sp_module *m, const char *arg, char *err, size_t errlen)
{
	const char *value;

	if (arg_is(arg, "allow-target", &value))
		return sp_allow_add(&m->allow, value != NULL ? value : "", err, errlen);
	if (arg_is(arg, "mx", &value)) {
		if (value != NULL) {
			snprintf(err, errlen, "mx takes no value: the target is the domain");
			return -1;
		}
		m->mx = true;
		return 0;
	}
	if (check_key(arg, err, errlen) < 0)
		return -1;
	if (sp_strlist_add_copy(&m->args, arg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static bool
name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > SP_MODULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_name_char(name[i]))
			return false;
	return true;
}

static void
module_free(struct sp_module *m)
{
	free(m->name);
	sp_strlist_free(&m->args, true);
	sp_allow_free(&m->allow);
}

int
sp_modules_from_ini(const struct sp_ini_section *secs, size_t n, struct sp_modules *mods,
	char *err, size_t errlen)
{
	char why[300];

	mods->n = 0;
	if ((mods->v = calloc(n > 0 ? n : 1, sizeof(*mods->v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct sp_module *m = &mods->v[mods->n];

		if (!name_ok(secs[i].name)) {
			snprintf(err, errlen, "module [%.64s]: a name is 1-%d of A-Z a-z 0-9 . _ -",
				secs[i].name, SP_MODULE_NAME_MAX);
			goto fail;
		}
		if ((m->name = strdup(secs[i].name)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		mods->n++;
		for (size_t k = 0; k < secs[i].opts.n; k++)
			if (module_add(m, secs[i].opts.v[k], why, sizeof(why)) < 0) {
				snprintf(err, errlen, "module [%s]: %s", m->name, why);
				goto fail;
			}
	}
	return 0;
fail:
	sp_modules_free(mods);
	return -1;
}

void
sp_modules_free(struct sp_modules *mods)
{
	for (size_t i = 0; i < mods->n; i++)
		module_free(&mods->v[i]);
	free(mods->v);
	mods->v = NULL;
	mods->n = 0;
}

const struct sp_module *
sp_modules_find(const struct sp_modules *mods, const char *name)
{
	for (size_t i = 0; i < mods->n; i++)
		if (strcmp(mods->v[i].name, name) == 0)
			return &mods->v[i];
	return NULL;
}
