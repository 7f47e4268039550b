/* SPDX-License-Identifier: MIT */
/*
 * expquery.c - /probe's query string (see expquery.h).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "expquery.h"

/* Copies the one value of @p name into @p out. @return 0, or -1: absent, twice, too long. */
static int
param(const struct evkeyvalq *kvs, const char *name, char *out, size_t outlen)
{
	const char *v = NULL;

	for (const struct evkeyval *kv = TAILQ_FIRST(kvs); kv != NULL; kv = TAILQ_NEXT(kv, next)) {
		if (strcmp(kv->key, name) != 0)
			continue;
		if (v != NULL)
			return -1;
		v = kv->value;
	}
	if (v == NULL || strlen(v) >= outlen)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

int
sp_query_parse(const char *query, struct sp_query *q, char *err, size_t errlen)
{
	struct evkeyvalq kvs;
	int rc = -1;

	TAILQ_INIT(&kvs);
	/* A %00 would end the decoded value early, unseen: refused whole. */
	if (query != NULL && strstr(query, "%00") == NULL && evhttp_parse_query_str(query, &kvs) == 0 &&
	    param(&kvs, "target", q->target, sizeof(q->target)) == 0 &&
	    param(&kvs, "module", q->module, sizeof(q->module)) == 0)
		rc = 0;
	else
		snprintf(err, errlen, "give target=HOST[:PORT] and module=NAME, once each");
	evhttp_clear_headers(&kvs);
	return rc;
}
