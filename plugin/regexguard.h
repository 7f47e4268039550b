/* SPDX-License-Identifier: MIT */
/*
 * regexguard.h - -R regexes compiled only when glibc's regcomp() can be
 * trusted with them: its cost is estimated first, and a pattern that would
 * take gigabytes or minutes to compile is refused.
 */
#ifndef SP_REGEXGUARD_H
#define SP_REGEXGUARD_H

#include <regex.h>

/* The most elements a pattern may expand to; real response patterns stay far below. */
#define SP_REGEX_COST_MAX 1000UL

/* @return the estimated size of @p pattern once glibc has expanded its repetitions (capped past SP_REGEX_COST_MAX). */
unsigned long sp_regex_cost(const char *pattern);

/*
 * Compiles @p pattern (POSIX extended, no sub-matches) into @p re, unless
 * it is too costly or bad; messages name the option @p name. @return 0 (free
 * @p re with regfree()), or -1 with the reason in @p err.
 */
int sp_regex_compile(const char *name, const char *pattern, regex_t *re, char *err, size_t errlen);

#endif
