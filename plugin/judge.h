/* SPDX-License-Identifier: MIT */
/*
 * judge.h - results + thresholds -> plugin states and the reason that
 * decided each. Knows nothing of output formats.
 */
#ifndef SP_JUDGE_H
#define SP_JUDGE_H

#include <stddef.h>
#include <stdint.h>
#include <smtpprobe.h>
#include "cfg.h"

#define SP_WHY_MAX 1200

struct sp_target_verdict {
	const smtpprobe_result *r;
	enum sp_state state;
	char label[320];       /* "host[addr]:port" */
	char why[SP_WHY_MAX];  /* the status text for this target (raw server text inside) */
};

struct sp_report {
	enum sp_state state;
	size_t n;
	struct sp_target_verdict *v;
	char summary[SP_WHY_MAX + 400]; /* status line text after "SMTP STATE - " */
	const char *notes;     /* the probe's own notes (owned by the probe) */
};

/* @return 0, or -1 when out of memory. */
int sp_judge(const struct sp_config *cfg, const smtpprobe_probe *p, struct sp_report *rep);
void sp_report_free(struct sp_report *rep);
const char *sp_state_name(enum sp_state s);
/* Whole time of a target, DNS included, in microseconds. */
int64_t sp_total_usec(const smtpprobe_result *r);
enum sp_state sp_worst(enum sp_state a, enum sp_state b);
/* Whole days the certificate is still valid (negative once expired). @return
 * false when no certificate was seen. */
bool sp_cert_days(const smtpprobe_result *r, long *days);

#endif
