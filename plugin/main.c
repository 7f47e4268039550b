/* SPDX-License-Identifier: MIT */
/*
 * main.c - check_smtp_probe: options, run, judge, print, exit.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>
#include <smtpprobe.h>

#include "cfg.h"
#include "judge.h"
#include "output.h"

struct run {
	const struct sp_config *cfg;
	struct event_base *base;
	struct sp_transcript transcript;
	bool collect;
};

/* The parts not built yet are refused plainly rather than ignored. */
static const char *
unsupported(const struct sp_config *cfg)
{
	if (cfg->auth_mech != NULL && !cfg->tls && !cfg->starttls && !cfg->allow_plaintext_auth)
		return "AUTH without TLS refused: use -S or -s, or --allow-plaintext-auth";
	if (cfg->cert_days_set && !cfg->tls && !cfg->starttls)
		return "-D needs TLS: add -S (STARTTLS) or -s (implicit TLS)";
	return NULL;
}

static int
add_all(smtpprobe_opts *o, const struct sp_strlist *l, int (*add)(smtpprobe_opts *, const char *))
{
	for (size_t i = 0; i < l->n; i++)
		if (add(o, l->v[i]) == -1)
			return -1;
	return 0;
}

static int
set_expectations(smtpprobe_opts *o, const struct sp_config *cfg)
{
	for (int s = 0; s < SMTPPROBE_STAGE_COUNT; s++)
		if (cfg->expect_class[s] != 0 &&
		    smtpprobe_opts_set_expect_class(o, (smtpprobe_stage)s, cfg->expect_class[s]) == -1)
			return -1;
	return 0;
}

static smtpprobe_auth
auth_mech(const char *name)
{
	if (name == NULL)
		return SMTPPROBE_AUTH_NONE;
	if (strcmp(name, "PLAIN") == 0)
		return SMTPPROBE_AUTH_PLAIN;
	if (strcmp(name, "LOGIN") == 0)
		return SMTPPROBE_AUTH_LOGIN;
	return SMTPPROBE_AUTH_CRAM_MD5;
}

static int
set_security(smtpprobe_opts *o, const struct sp_config *cfg)
{
	smtpprobe_tls mode = cfg->tls ? SMTPPROBE_TLS_IMPLICIT :
	    cfg->starttls ? SMTPPROBE_TLS_STARTTLS : SMTPPROBE_TLS_NONE;

	/* Lean OpenSSL init: OpenSSL is ours alone, and the process ends with the check. */
	if (smtpprobe_opts_set_tls(o, mode) == -1 ||
	    smtpprobe_opts_set_tls_verify(o, !cfg->insecure) == -1 ||
	    smtpprobe_opts_set_tls_lean_init(o, true) == -1 ||
	    smtpprobe_opts_set_ca(o, cfg->ca_file, cfg->ca_path) == -1 ||
	    smtpprobe_opts_set_sni(o, cfg->sni) == -1 ||
	    smtpprobe_opts_set_tls_min(o, cfg->tls_min) == -1 ||
	    smtpprobe_opts_set_proxy(o, cfg->proxy == SP_PROXY_V2 ? 2 : cfg->proxy == SP_PROXY_V1 ? 1 : 0) == -1)
		return -1;
	if (cfg->auth_mech == NULL)
		return 0;
	return smtpprobe_opts_set_auth(o, auth_mech(cfg->auth_mech), cfg->auth_user,
		cfg->auth_pass != NULL ? cfg->auth_pass : "");
}

/* What reverse DNS may add to a check whose dialogs are done, when only shown. */
#define RDNS_SHOWN_GRACE_MS 500

/*
 * -H HOST (one or more), or -M DOMAIN (lld: its hosts and addresses only). Reverse DNS
 * is looked up only where it is shown or judged (-v, json, --require-fcrdns).
 * It runs beside the dialogs; a slow reverse zone may hold the end of the
 * check only when it is judged (until the deadline), else half a second.
 */
static int
set_target(smtpprobe_opts *o, const struct sp_config *cfg)
{
	bool rdns = (cfg->require_fcrdns || cfg->verbose > 0 || cfg->output == SP_OUTPUT_JSON) &&
	    cfg->output != SP_OUTPUT_LLD;
	unsigned grace = cfg->require_fcrdns ? 0 : RDNS_SHOWN_GRACE_MS;

	if (smtpprobe_opts_set_rdns(o, rdns, grace) == -1)
		return -1;
	if (cfg->mx_domain == NULL) {
		if (smtpprobe_opts_set_host(o, cfg->hosts.v[0], cfg->port) == -1 ||
		    (cfg->max_targets_set && smtpprobe_opts_set_max_targets(o, cfg->max_targets) == -1))
			return -1;
		for (size_t i = 1; i < cfg->hosts.n; i++)
			if (smtpprobe_opts_add_host(o, cfg->hosts.v[i]) == -1)
				return -1;
		return 0;
	}
	return smtpprobe_opts_set_mx(o, cfg->mx_domain, cfg->port) == -1 ||
	    smtpprobe_opts_set_max_targets(o, cfg->max_targets) == -1 ||
	    smtpprobe_opts_set_resolve_only(o, cfg->output == SP_OUTPUT_LLD) == -1 ? -1 : 0;
}

static smtpprobe_opts *
library_opts(const struct sp_config *cfg)
{
	smtpprobe_opts *o = smtpprobe_opts_new();

	if (o == NULL)
		return NULL;
	if (set_target(o, cfg) == -1 ||
	    smtpprobe_opts_set_family(o, cfg->family) == -1 ||
	    (cfg->fqdn && smtpprobe_opts_set_helo_name(o, cfg->fqdn) == -1) ||
	    smtpprobe_opts_set_lmtp(o, cfg->lmtp) == -1 ||
	    smtpprobe_opts_set_pipelining(o, !cfg->no_pipelining) == -1 ||
	    (cfg->from && smtpprobe_opts_set_from(o, cfg->from) == -1) ||
	    add_all(o, &cfg->rcpts, smtpprobe_opts_add_rcpt) == -1 ||
	    (cfg->notify && smtpprobe_opts_set_notify(o, cfg->notify) == -1) ||
	    add_all(o, &cfg->commands, smtpprobe_opts_add_command) == -1 ||
	    smtpprobe_opts_set_data(o, cfg->data) == -1 ||
	    (cfg->subject && smtpprobe_opts_set_subject(o, cfg->subject) == -1) ||
	    add_all(o, &cfg->headers, smtpprobe_opts_add_header) == -1 ||
	    (cfg->body && smtpprobe_opts_set_body(o, cfg->body, cfg->bodylen) == -1) ||
	    smtpprobe_opts_set_quit_after(o, cfg->quit_after) == -1 ||
	    set_expectations(o, cfg) == -1 ||
	    smtpprobe_opts_set_timeout_ms(o, cfg->timeout_ms) == -1 ||
	    (cfg->dns_server && smtpprobe_opts_set_dns_server(o, cfg->dns_addr, cfg->dns_port) == -1) ||
	    set_security(o, cfg) == -1) {
		smtpprobe_opts_free(o);
		return NULL;
	}
	return o;
}

static void
on_line(const smtpprobe_result *r, smtpprobe_dir dir, const char *line, size_t len,
	int64_t usec, void *arg)
{
	struct run *run = arg;
	char *buf;
	int n;

	if (!run->collect)
		return;
	if (!sp_multi_target(run->cfg) || *smtpprobe_result_addr(r) == '\0') {
		sp_transcript_add(&run->transcript, dir, line, len, usec);
		return;
	}
	/* The dialogs run at once: each line says whose it is. */
	if ((buf = malloc(len + 64)) == NULL)
		return;
	n = snprintf(buf, 64, "[%s] ", smtpprobe_result_addr(r));
	memcpy(buf + n, line, len);
	sp_transcript_add(&run->transcript, dir, buf, (size_t)n + len, usec);
	free(buf);
}

static void
on_done(smtpprobe_probe *p, void *arg)
{
	struct run *run = arg;

	(void)p;
	event_base_loopbreak(run->base);
}

static int
write_transcript(const char *path, const struct sp_transcript *t)
{
	/* It may hold addresses and message text: not for other users' eyes. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n = 0;

	if (fd == -1)
		return -1;
	if (t->len > 0)
		n = write(fd, t->buf, t->len);
	if (close(fd) == -1 || n != (ssize_t)t->len)
		return -1;
	return 0;
}

static enum sp_state
report(const struct sp_config *cfg, const smtpprobe_probe *p, const struct sp_transcript *t)
{
	struct sp_report rep;
	enum sp_state state;

	if (sp_judge(cfg, p, &rep) == -1) {
		sp_output_unknown(stdout, cfg->output == SP_OUTPUT_JSON, "out of memory");
		return SP_UNKNOWN;
	}
	state = rep.state;
	if (cfg->output == SP_OUTPUT_LLD)
		state = sp_output_lld(stdout, cfg, &rep, t);
	else if (cfg->output == SP_OUTPUT_JSON)
		sp_output_json(stdout, cfg, &rep, t);
	else
		sp_output_nagios(stdout, cfg, &rep, t);
	sp_report_free(&rep);
	return state;
}

/*
 * A dialog is a descriptor: many targets may need more than the usual soft
 * limit of 1024. Raised as far as the hard limit allows; past it, the
 * targets without a socket say so (UNKNOWN, "file descriptor limit").
 */
static void
raise_fd_limit(const struct sp_config *cfg)
{
	rlim_t want = (rlim_t)(cfg->mx_domain != NULL ? cfg->max_targets : cfg->hosts.n) + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * With epoll, libevent's change list folds the add and delete of a write
 * event around each command into nothing: 12 epoll_ctl calls a dialog
 * become 4. (Its one caveat, dup()ed descriptors, does not arise here.)
 */
static struct event_base *
base_new(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (ec == NULL)
		return NULL;
	event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

static enum sp_state
run_check(const struct sp_config *cfg)
{
	struct run run = { .cfg = cfg, .collect = cfg->verbose > 0 || cfg->transcript != NULL };
	smtpprobe_callbacks cb = { on_done, on_line };
	struct event_base *base = base_new();
	smtpprobe_opts *o = library_opts(cfg);
	smtpprobe_probe *p = NULL;
	enum sp_state state = SP_UNKNOWN;
	char why[600];

	raise_fd_limit(cfg);
	run.base = base;
	if (base == NULL || o == NULL || (p = smtpprobe_probe_start(base, o, &cb, &run)) == NULL) {
		snprintf(why, sizeof(why), "cannot start the check: %s", strerror(errno));
		sp_output_unknown(stdout, cfg->output == SP_OUTPUT_JSON, why);
		goto out;
	}
	event_base_dispatch(base);
	if (cfg->transcript != NULL && write_transcript(cfg->transcript, &run.transcript) == -1) {
		snprintf(why, sizeof(why), "cannot write transcript %s: %s", cfg->transcript, strerror(errno));
		sp_output_unknown(stdout, cfg->output == SP_OUTPUT_JSON, why);
		goto out;
	}
	state = report(cfg, p, &run.transcript);
out:
	smtpprobe_probe_free(p);
	smtpprobe_opts_free(o);
	if (base != NULL)
		event_base_free(base);
	sp_transcript_free(&run.transcript);
	return state;
}

/*
 * Whether the command line asked for JSON, read without the parser (which
 * has refused it): the last --output before "--" counts, as it would.
 */
static bool
wants_json(int argc, char **argv)
{
	bool json = false;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], "--output=", 9) == 0)
			json = strcmp(argv[i] + 9, "json") == 0;
		else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
			json = strcmp(argv[++i], "json") == 0;
	}
	return json;
}

int
main(int argc, char **argv)
{
	struct sp_config cfg;
	char err[512];
	const char *why;
	enum sp_state state = SP_UNKNOWN;

	switch (sp_options_parse(argc, argv, &cfg, err, sizeof(err))) {
	case SP_HELP:
		sp_options_help();
		break;
	case SP_VERSION:
		printf("check_smtp_probe %s (libsmtpprobe %s)\n", PACKAGE_VERSION, smtpprobe_version());
		break;
	case SP_USAGE_ERROR:
		sp_output_unknown(stdout, wants_json(argc, argv), err);
		break;
	case SP_RUN:
		if ((why = unsupported(&cfg)) != NULL)
			sp_output_unknown(stdout, cfg.output == SP_OUTPUT_JSON, why);
		else
			state = run_check(&cfg);
		break;
	}
	sp_config_free(&cfg);
	return (int)state;
}
