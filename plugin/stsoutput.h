/* SPDX-License-Identifier: MIT */
/*
 * stsoutput.h - the words for a domain's MTA-STS and TLS-RPT verdict
 * (stsverdict.h): the status line's part, long output, perfdata, JSON.
 */
#ifndef SP_STSOUTPUT_H
#define SP_STSOUTPUT_H

#include <stdio.h>
#include "judge.h"

/* The status line's MTA-STS part ("MTA-STS enforce, 2 of 2 MX covered"), then TLS-RPT's; "" when not asked. */
void sp_sts_summary(const struct sp_report *rep, char *buf, size_t len);
/* A target's SP_REASON_STS_UNCOVERED: "mx2.example.org is not covered by the MTA-STS policy (enforce)". */
void sp_sts_uncovered_text(const struct sp_verdict *v, char *buf, size_t len);
/* Perfdata sts_dns, sts_fetch, sts_cert_days (unprefixed: the domain's). */
void sp_sts_perfdata(FILE *out, const struct sp_config *cfg, const struct sp_report *rep);
/* -v: the TXT records, the policy's first lines, the pattern each MX host matched. */
void sp_sts_long(FILE *out, const struct sp_report *rep);
/* JSON: ,"mta_sts":{...},"tls_rpt":{...} (nothing when not asked). */
void sp_sts_json(FILE *out, const struct sp_report *rep);

#endif
