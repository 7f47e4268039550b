/* SPDX-License-Identifier: MIT */
/*
 * modules.h - smtp_probe_exporter's modules, pure: the sections of its ini
 * file (read by extraopts.c) split into the plugin options a module runs
 * with and the exporter's own keys (allow-target, mx), the target
 * parameter of /probe checked, and the allow-target lines matched.
 * Nothing here touches the network or the library.
 */
#ifndef SP_MODULES_H
#define SP_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include "extraopts.h"
#include "strlist.h"

#define SP_TARGET_HOST_MAX 253 /* a DNS name, and more than any IP literal */
#define SP_TARGET_MAX (SP_TARGET_HOST_MAX + 2 + 6) /* "[host]:65535" */
#define SP_MODULE_NAME_MAX 64

/* One allow-target line for IP literals: an address and its prefix length. */
struct sp_cidr {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network order; 4 bytes for IPv4 */
	unsigned bits;
};

struct sp_allow {
	struct sp_strlist globs; /* host-name patterns (fnmatch, case-insensitive) */
	struct sp_cidr *cidrs;
	size_t ncidrs;
};

struct sp_module {
	char *name;
	struct sp_strlist args;  /* the plugin options, "--key[=value]" (owned, wiped) */
	bool mx;                 /* the target is the -M domain, not the -H host */
	struct sp_allow allow;   /* nothing in it: every target refused */
};

struct sp_modules {
	struct sp_module *v;
	size_t n;
};

/*
 * The modules of an ini file's sections (sp_extraopts_load_all()). Takes
 * out allow-target (a glob, or a CIDR or address for literals) and mx (no
 * value); refuses the options that do not belong in a module (hostname,
 * output, transcript, verbose, extra-opts, help, version, and their
 * abbreviations) and module names that are not [A-Za-z0-9_.-]{1,64}.
 * @return 0, or -1 with the first reason in @p err (@p mods then empty).
 */
int sp_modules_from_ini(const struct sp_ini_section *secs, size_t n, struct sp_modules *mods,
	char *err, size_t errlen);
void sp_modules_free(struct sp_modules *mods);
/* @return the module named @p name, or NULL. */
const struct sp_module *sp_modules_find(const struct sp_modules *mods, const char *name);

/*
 * Parses one allow-target value into @p allow. "/" or an IP literal makes
 * it a CIDR; anything else a host-name glob of [A-Za-z0-9.*?_[]!-].
 * @return 0, or -1 with the reason in @p err.
 */
int sp_allow_add(struct sp_allow *allow, const char *value, char *err, size_t errlen);
void sp_allow_free(struct sp_allow *allow);
/*
 * Whether @p host (a checked target host, sp_target_parse()) is admitted:
 * an IP literal by a CIDR (an IPv4-mapped IPv6 address as the IPv4 address
 * it dials), a name by a glob. Never both ways: "*" admits no literal.
 */
bool sp_allow_match(const struct sp_allow *allow, const char *host);

/*
 * The target parameter: HOST, HOST:PORT, [IPv6] or [IPv6]:PORT, or a bare
 * IPv6 literal. HOST is a name of letters, digits, '-', '_' and '.' (at
 * most 253), or an IP literal. @p host gets the host without brackets,
 * @p port the port (0: none given).
 * @return 0, or -1 with the reason in @p err.
 */
int sp_target_parse(const char *target, char *host, size_t hostlen, unsigned *port,
	char *err, size_t errlen);

#endif
