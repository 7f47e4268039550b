/* SPDX-License-Identifier: MIT */
/*
 * range.h - Monitoring Plugins threshold ranges ("10", "10:", "~:10",
 * "10:20", "@10:20"), and thresholds per stage ("connect=0.5,banner=2").
 */
#ifndef SP_RANGE_H
#define SP_RANGE_H

#include <stdbool.h>
#include <smtpprobe.h>

struct sp_range {
	double start, end;     /* bounds; used only when the flag says so */
	bool start_inf;        /* "~": no lower bound */
	bool end_inf;          /* "10:": no upper bound */
	bool inside;           /* "@": alert inside the range */
	char text[32];         /* as given, for perfdata; "" when unset */
};

/* Per-stage and total thresholds of one level (warning or critical). */
struct sp_level {
	bool total_set;
	struct sp_range total;
	bool stage_set[SMTPPROBE_STAGE_COUNT];
	struct sp_range stage[SMTPPROBE_STAGE_COUNT];
};

/* @return 0, or -1 when @p s is not a range (C locale numbers). */
int sp_range_parse(const char *s, struct sp_range *r);
/* @return true when @p value raises an alert under @p r. */
bool sp_range_alert(const struct sp_range *r, double value);
/*
 * Parses a -w/-c argument: a bare range applies to the total time;
 * "STAGE=RANGE[,STAGE=RANGE...]" to stages ("time" or "total" names the
 * total). Later values override earlier ones. @return 0, or -1 with a
 * message in @p err.
 */
int sp_level_parse(const char *arg, struct sp_level *lvl, char *err, size_t errlen);

#endif
