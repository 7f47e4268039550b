/* SPDX-License-Identifier: MIT */
/*
 * expmetrics.h - smtp_probe_exporter's own metrics, for /metrics: probes by
 * module and result, requests refused and why, reloads, and the process_*
 * family read from /proc/self, in the text exposition format 0.0.4.
 */
#ifndef SP_EXPMETRICS_H
#define SP_EXPMETRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum sp_reject { SP_REJECT_FORBIDDEN, SP_REJECT_UNKNOWN_MODULE, SP_REJECT_BAD_REQUEST,
	SP_REJECT_CONCURRENCY, SP_REJECT_COUNT };

struct sp_module_count {
	char *module;
	uint64_t success, failure;
};

struct sp_expmetrics {
	struct sp_module_count *probes; /* by module name, kept across reloads */
	size_t nprobes;
	uint64_t rejected[SP_REJECT_COUNT];
	uint64_t reloads_ok, reloads_failed;
	bool last_reload_ok;
	unsigned in_flight;
	double start_time;              /* Unix seconds */
};

void sp_metrics_init(struct sp_expmetrics *m);
void sp_metrics_free(struct sp_expmetrics *m);
/* Counts a finished probe of @p module. */
void sp_metrics_probe(struct sp_expmetrics *m, const char *module, bool success);
/* Writes every metric to @p out. */
void sp_metrics_write(FILE *out, const struct sp_expmetrics *m);

#endif
