/* SPDX-License-Identifier: MIT */
/*
 * exporter.h - smtp_probe_exporter's state, shared by its main (exporter.c:
 * options, signals, reloads) and its HTTP handlers (exphttp.c): one event
 * loop, one evhttp server, every probe a library probe on that loop.
 */
#ifndef SP_EXPORTER_H
#define SP_EXPORTER_H

#include <stdbool.h>
#include <time.h>

#include "expconn.h"
#include "expmetrics.h"
#include "modset.h"

struct sp_inflight;

struct sp_exporter {
	struct event_base *base;
	struct evhttp *http;
	struct sp_conns *conns;
	const char *config_file;
	unsigned max_concurrent;
	struct sp_modset *modset;     /* the modules now (one reference) */
	struct sp_expmetrics metrics;
	struct sp_inflight *probes;   /* running, to abandon at exit */
	bool stopping;
	char date[64];                /* the answers' Date header, made once a second */
	time_t date_at;
};

/* Serves /probe, /metrics and /-/healthy of @p x->http. */
void sp_http_setup(struct sp_exporter *x);
/* Abandons every probe in flight (no reply: the connections close). */
void sp_http_abandon(struct sp_exporter *x);

#endif
