/* SPDX-License-Identifier: MIT */
/*
 * daneout.h - DANE findings and TLSA records in words (SPEC 8): the status
 * line's part, the -v lines, the JSON "dane" object, the "tlsa" perfdata.
 */
#ifndef SP_DANEOUT_H
#define SP_DANEOUT_H

#include <stdio.h>
#include "judge.h"

/* "DANE 3 1 1", or the finding ("no TLSA records at _25._tcp.mx.example.org"). */
void sp_dane_text(const smtpprobe_result *r, enum sp_dane_finding f, char *buf, size_t len);
/* -v: the AD states and every TLSA record with what became of it. */
void sp_dane_long(FILE *out, const smtpprobe_result *r);
/* ,"dane":{...} for a target, with DANE on. */
void sp_dane_json(FILE *out, const struct sp_config *cfg, const smtpprobe_result *r,
	enum sp_dane_finding f);
/* " tlsa=0.000812s;;;0" (with a prefix for several targets) when the lookup ended. */
void sp_dane_perf(FILE *out, const char *prefix, const smtpprobe_result *r);

#endif
