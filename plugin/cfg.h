/* SPDX-License-Identifier: MIT */
/*
 * cfg.h - the plugin's validated configuration, as built from argv and
 * --extra-opts by options.c. Everything here has been checked: strings that
 * reach the wire hold no CR, LF or NUL.
 */
#ifndef SP_CFG_H
#define SP_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <smtpprobe.h>
#include "range.h"
#include "strlist.h"

/* Plugin exit states, Monitoring Plugins' numbering. */
enum sp_state { SP_OK = 0, SP_WARNING = 1, SP_CRITICAL = 2, SP_UNKNOWN = 3 };

enum sp_output { SP_OUTPUT_NAGIOS, SP_OUTPUT_JSON, SP_OUTPUT_LLD };
enum sp_mx_policy { SP_MX_WORST, SP_MX_ANY, SP_MX_PRIMARY };
enum sp_proxy { SP_PROXY_NONE, SP_PROXY_V1, SP_PROXY_V2 };

struct sp_config {
	/* target */
	struct sp_strlist hosts;     /* -H, each a target; the command line's replace the ini's */
	unsigned port;               /* -p; 0 = default (25, 465 with --tls) */
	smtpprobe_family family;     /* -4 / -6 */
	const char *mx_domain;       /* -M */
	enum sp_mx_policy mx_policy;
	unsigned max_targets;        /* --max-targets, default 32 */
	bool max_targets_set;       /* given: it caps a list of -H too */
	bool require_fcrdns;         /* --require-fcrdns */
	const char *dns_server;      /* --dns-server ADDR[:PORT], split below */
	char dns_addr[64];
	unsigned dns_port;

	/* dialog */
	const char *expect;          /* -e, banner text; NULL = default "220" */
	const char *fqdn;            /* -F; NULL = this host's FQDN */
	bool lmtp;                   /* -L */
	const char *from;            /* -f */
	struct sp_strlist rcpts;     /* --rcpt */
	const char *notify;          /* --notify, upper-cased and checked */
	char notify_buf[64];
	struct sp_strlist commands;  /* -C */
	struct sp_strlist responses; /* -R, POSIX extended regexes, paired with -C */
	bool data;                   /* --data */
	const char *subject;         /* --subject */
	struct sp_strlist headers;   /* --header */
	char *body;                  /* --body TEXT or @FILE contents (owned) */
	size_t bodylen;
	smtpprobe_stage quit_after;  /* --quit-after; SMTPPROBE_STAGE_COUNT = none */
	int expect_class[SMTPPROBE_STAGE_COUNT]; /* --expect-reply; 0 = default */
	struct sp_strlist require_ext; /* --require-ext, split on ',' */
	bool ignore_quit_failure;    /* -q */

	/* TLS, AUTH, PROXY */
	bool starttls;               /* -S */
	bool tls;                    /* -s, --tls, --ssl */
	bool cert_days_set;          /* -D WARN[,CRIT] */
	int cert_warn_days, cert_crit_days;
	const char *sni;             /* --sni=NAME */
	bool insecure;
	const char *ca_file, *ca_path, *tls_min;
	const char *auth_mech;       /* -A */
	const char *auth_user;       /* -U */
	char *auth_pass;             /* -P, --authfile, SMTP_PROBE_PASSWORD (owned, wiped) */
	const char *authfile;
	bool allow_plaintext_auth;
	enum sp_proxy proxy;         /* -r, --proxy */

	/* judging and output */
	struct sp_level warn, crit;  /* -w, -c */
	unsigned timeout_ms;         /* -t SECONDS, default 10 s */
	enum sp_state timeout_state; /* -t SECONDS:STATE, default CRITICAL */
	int verbose;                 /* -v, repeatable */
	const char *transcript;      /* --transcript FILE */
	enum sp_output output;       /* --output */
};

/* Several targets at once: the MX set of -M, or more than one -H. */
static inline bool
sp_multi_target(const struct sp_config *cfg)
{
	return cfg->mx_domain != NULL || cfg->hosts.n > 1;
}

/* What sp_options_parse() asks main() to do. */
enum sp_action { SP_RUN, SP_HELP, SP_VERSION, SP_USAGE_ERROR };

/*
 * Fills @p cfg from argv, with --extra-opts sections inserted before the
 * command line (the command line wins). On SP_USAGE_ERROR, @p err holds one
 * line for the UNKNOWN status ("--rcpt contains CR, LF or NUL"). Every string
 * in cfg is an owned copy. Blanks the -P password in argv so ps does not
 * show it. On anything but SP_RUN, cfg is already freed (freeing again is
 * harmless).
 */
enum sp_action sp_options_parse(int argc, char **argv, struct sp_config *cfg,
	char *err, size_t errlen);
/* Frees what sp_options_parse() allocated; wipes secrets. */
void sp_config_free(struct sp_config *cfg);
/* Prints --help text to stdout. */
void sp_options_help(void);

#endif
