/* SPDX-License-Identifier: MIT */
/*
 * strlist.h - a growable list of strings: --require-ext's keywords, the
 * argument vector getopt runs over, and the "--key=value" options of an
 * ini file, which may hold a password and so are wiped when freed.
 */
#ifndef SP_STRLIST_H
#define SP_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

struct sp_strlist {
	char **v;
	size_t n, cap;
};

/* Appends @p s, which the list takes over; the array doubles as needed. @return 0 or -1. */
int sp_strlist_push(struct sp_strlist *l, char *s);
/* Appends a copy of @p s. @return 0 or -1 (out of memory). */
int sp_strlist_add_copy(struct sp_strlist *l, const char *s);
/* Frees the array and, when @p owned, the strings, wiping them first. */
void sp_strlist_free(struct sp_strlist *l, bool owned);

#endif
