/* SPDX-License-Identifier: MIT */
/*
 * strlist.c - a growable list of strings, wiped when freed: a list may hold
 * the lines of an ini file, a password among them.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strlist.h"

int
sp_strlist_push(struct sp_strlist *l, char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap != 0 ? l->cap * 2 : 8;
		char **v;

		if (cap < l->cap || cap > SIZE_MAX / sizeof *v)
			return -1;
		v = realloc(l->v, cap * sizeof *v);
		if (v == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
	return 0;
}

int
sp_strlist_add_copy(struct sp_strlist *l, const char *s)
{
	char *d = strdup(s);

	if (d == NULL || sp_strlist_push(l, d) < 0) {
		free(d);
		return -1;
	}
	return 0;
}

void
sp_strlist_free(struct sp_strlist *l, bool owned)
{
	for (size_t i = 0; owned && i < l->n; i++) {
		explicit_bzero(l->v[i], strlen(l->v[i]));
		free(l->v[i]);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
