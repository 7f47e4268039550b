/* SPDX-License-Identifier: MIT */
/*
 * expquery.h - the query string of /probe, read with evhttp's own parser
 * (evhttp_parse_query_str: %XX and '+' decoded): target and module, each
 * given exactly once, and nothing a decoded %00 would cut short unseen.
 */
#ifndef SP_EXPQUERY_H
#define SP_EXPQUERY_H

#include <stddef.h>
#include "modules.h"

struct sp_query {
	char target[SP_TARGET_MAX + 1];
	char module[SP_MODULE_NAME_MAX + 1];
};

/*
 * @p query: the raw query (after '?', NULL for none). @return 0 with both
 * parameters in @p q (not yet checked: sp_target_parse(), the module list),
 * or -1 with the reason in @p err.
 */
int sp_query_parse(const char *query, struct sp_query *q, char *err, size_t errlen);

#endif
