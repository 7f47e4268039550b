/* SPDX-License-Identifier: MIT */
/*
 * extraopts.h - --extra-opts=[SECTION][@FILE], the Monitoring Plugins way:
 * the options of an ini file's section go before the command line, so that
 * the command line wins; a place for what must not be on a command line.
 */
#ifndef SP_EXTRAOPTS_H
#define SP_EXTRAOPTS_H

#include <stddef.h>
#include "strlist.h"

#define SP_EXTRAOPTS_SECTION "check_smtp_probe" /* the default section */
#define SP_EXTRAOPTS_MAX (1024 * 1024)          /* the largest ini file read */

/*
 * One --extra-opts: appends every "key[=value]" of every [SECTION] of the
 * file (default: $MP_CONFIG_FILE, else the Monitoring Plugins places) to
 * @p ini as "--key[=value]" strings, owned by the list (they may hold a
 * password: free it with sp_strlist_free(ini, true), which wipes them).
 * @p locator is what followed "--extra-opts=" ("" for none).
 * @return 0, or -1 with the reason in @p err.
 */
int sp_extraopts_load(const char *locator, struct sp_strlist *ini, char *err, size_t errlen);

/* One section of an ini file: its name and its options, as sp_extraopts_load() gives them. */
struct sp_ini_section {
	char *name;
	struct sp_strlist opts;
};

/*
 * Every section of the ini file @p path (a file of modules, each a section:
 * smtp_probe_exporter), in the order they first appear, into an owned array
 * (free with sp_extraopts_free_all(), which wipes the options).
 * @return 0, or -1 with the reason in @p err.
 */
int sp_extraopts_load_all(const char *path, struct sp_ini_section **secs, size_t *n,
	char *err, size_t errlen);
void sp_extraopts_free_all(struct sp_ini_section *secs, size_t n);

/*
 * The argument vector getopt runs over, NULL-terminated in @p args (its
 * entries not owned): argv[0], the options of each --extra-opts in turn,
 * then the rest of the command line. Only the exact spellings
 * "--extra-opts" and "--extra-opts=..." are taken, as monitoring-plugins
 * does, and none after "--". @return 0, or -1 with the first error in
 * @p err: the vector is still built without what failed (the caller may
 * want --output from it), unless memory ran out (@p args is then empty).
 */
int sp_extraopts_argv(int argc, char **argv, struct sp_strlist *ini, struct sp_strlist *args,
	char *err, size_t errlen);

#endif
