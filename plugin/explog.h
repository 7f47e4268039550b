/* SPDX-License-Identifier: MIT */
/*
 * explog.h - smtp_probe_exporter's log: logfmt lines on stderr,
 *   ts=2026-12-05T08:00:00.123Z level=info msg="probe failed" module=smtp ...
 * Values are quoted when they need it and their control bytes escaped, so a
 * line is always one line. Nothing secret is ever passed in.
 */
#ifndef SP_EXPLOG_H
#define SP_EXPLOG_H

#include <stdbool.h>

enum sp_log_level { SP_LOG_DEBUG, SP_LOG_INFO, SP_LOG_ERROR };

/* The least level written (default info). */
void sp_log_set_level(enum sp_log_level level);
/* @return 0 for "debug", "info", "error", else -1. */
int sp_log_parse_level(const char *s, enum sp_log_level *level);
/*
 * One line: ts, level, msg, then the key/value pairs that follow @p msg
 * (const char * each), ended by NULL.
 */
void sp_log(enum sp_log_level level, const char *msg, ...) __attribute__((sentinel));

#endif
