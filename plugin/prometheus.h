/* SPDX-License-Identifier: MIT */
/*
 * prometheus.h - verdicts and results -> the Prometheus text exposition
 * format 0.0.4 (--output prometheus, SPEC 10): what node_exporter's
 * textfile collector and Prometheus itself read.
 */
#ifndef SP_PROMETHEUS_H
#define SP_PROMETHEUS_H

#include <stdio.h>
#include "judge.h"

/* The metrics of every target of @p rep; the exit state stays rep->state. */
void sp_output_prometheus(FILE *out, const struct sp_config *cfg, const struct sp_report *rep);
/* The same, every sample's "target" label @p target (the exporter's parameter, as given). */
void sp_output_prometheus_target(FILE *out, const struct sp_config *cfg, const struct sp_report *rep,
	const char *target);
/*
 * UNKNOWN before any check ran (bad options, no event loop): @p why as a
 * comment, probe_success 0 and probe_smtp_state 3, so that a scrape still
 * reads a valid exposition.
 */
void sp_output_prometheus_unknown(FILE *out, const char *why);

/* Writes @p s as the inside of a label value: escaped, controls and broken UTF-8 as '?'. */
void sp_prometheus_label_value(FILE *out, const char *s);

/*
 * The stage and the reason probe_smtp_failed_phase_info gives a verdict
 * (the exporter logs them too). @return false when there is none to give.
 */
bool sp_prometheus_failed_phase(const struct sp_verdict *v, const char **phase, const char **reason);

#endif
