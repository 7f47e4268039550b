/* SPDX-License-Identifier: MIT */
/*
 * cfg.h - the plugin's validated configuration, as built from argv and
 * --extra-opts by options.c: the library's options, which say what the
 * dialog does (their setters have checked every value, and strings that
 * reach the wire hold no CR, LF or NUL), and beside them only what the
 * plugin itself judges or prints.
 */
#ifndef SP_CFG_H
#define SP_CFG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <smtpprobe.h>
#include "range.h"
#include "strlist.h"

/* Plugin exit states, Monitoring Plugins' numbering. */
enum sp_state { SP_OK = 0, SP_WARNING = 1, SP_CRITICAL = 2, SP_UNKNOWN = 3 };

enum sp_output { SP_OUTPUT_NAGIOS, SP_OUTPUT_JSON, SP_OUTPUT_LLD, SP_OUTPUT_PROMETHEUS };
enum sp_mx_policy { SP_MX_WORST, SP_MX_ANY, SP_MX_PRIMARY };

/* A -R pattern, compiled once, and its text for the status line. */
struct sp_response {
	char *pattern;
	regex_t re;
};

struct sp_config {
	smtpprobe_opts *lib;          /* everything the dialog does (owned) */

	/* judged by the plugin */
	const char *expect;           /* -e, text the banner must contain; NULL: none */
	struct sp_response *responses; /* -R, paired in order with the -C commands */
	size_t nresponses;
	struct sp_strlist require_ext; /* --require-ext, upper-cased */
	bool ignore_quit_failure;     /* -q */
	bool cert_days_set;           /* -D WARN[,CRIT] */
	int cert_warn_days, cert_crit_days;
	bool require_fcrdns;          /* --require-fcrdns */
	bool mta_sts;                 /* --mta-sts: judge the domain's MTA-STS policy */
	bool tlsrpt;                  /* --tlsrpt: a missing TLS-RPT record is a WARNING */
	enum sp_mx_policy mx_policy;  /* --mx-policy */
	struct sp_level warn, crit;   /* -w, -c */
	enum sp_state timeout_state;  /* -t SECONDS:STATE, default CRITICAL */

	/* printed */
	int verbose;                  /* -v, repeatable */
	const char *transcript;       /* --transcript FILE */
	enum sp_output output;        /* --output; set even when parsing failed */
};

/* Several targets at once: the MX set of -M, or more than one -H. */
static inline bool
sp_multi_target(const struct sp_config *cfg)
{
	return smtpprobe_opts_mx_domain(cfg->lib) != NULL || smtpprobe_opts_host_count(cfg->lib) > 1;
}

/* What sp_options_parse() asks main() to do. */
enum sp_action { SP_RUN, SP_HELP, SP_VERSION, SP_USAGE_ERROR };

/*
 * Fills @p cfg from argv, with --extra-opts sections inserted before the
 * command line (the command line wins). On SP_USAGE_ERROR, @p err holds one
 * line for the UNKNOWN status ("--rcpt contains CR, LF or NUL"), the first
 * error found. Whatever the outcome, cfg->output is the format the command
 * line asked for, so that even an UNKNOWN goes out in it. Every string in
 * cfg is an owned copy. Blanks the -P password in argv so ps does not show
 * it. On anything but SP_RUN, cfg is already freed (freeing again is
 * harmless).
 */
enum sp_action sp_options_parse(int argc, char **argv, struct sp_config *cfg,
	char *err, size_t errlen);
/* Frees what sp_options_parse() allocated (the library's options wipe the password); keeps cfg->output. */
void sp_config_free(struct sp_config *cfg);
/* Prints --help text to stdout. */
void sp_options_help(void);

#endif
