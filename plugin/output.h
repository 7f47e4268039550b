/* SPDX-License-Identifier: MIT */
/*
 * output.h - verdicts and results -> text: the words of the status line
 * (the judge gives reasons as data), perfdata and long output, or one JSON
 * document, or Zabbix discovery.
 */
#ifndef SP_OUTPUT_H
#define SP_OUTPUT_H

#include <stdio.h>
#include "judge.h"
#include "transcript.h"

/* @return the length of a valid UTF-8 sequence at @p s (at most @p n bytes), or 0. */
size_t sp_utf8_len(const unsigned char *s, size_t n);

/* @p s as a JSON string, quoted and escaped (broken UTF-8 as U+FFFD). */
void sp_json_str(FILE *out, const char *s);

/* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
const char *sp_state_name(enum sp_state s);

void sp_output_nagios(FILE *out, const struct sp_config *cfg, const struct sp_report *rep,
	const struct sp_transcript *t);
void sp_output_json(FILE *out, const struct sp_config *cfg, const struct sp_report *rep,
	const struct sp_transcript *t);
/*
 * UNKNOWN before any check ran (bad options, no event loop): the status
 * line, or with --output json a JSON document of the same shape, so that a
 * Zabbix item always gets JSON.
 */
void sp_output_unknown(FILE *out, bool json, const char *why);
/* Zabbix LLD of the MX hosts and addresses; @return the exit state. */
enum sp_state sp_output_lld(FILE *out, const struct sp_config *cfg, const struct sp_report *rep,
	const struct sp_transcript *t);

#endif
