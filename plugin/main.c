/* SPDX-License-Identifier: MIT */
/*
 * main.c - check_smtp_probe: options, run, judge, print, exit.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <smtpprobe.h>

#include "cfg.h"
#include "evbase.h"
#include "judge.h"
#include "output.h"
#include "prometheus.h"

/* UNKNOWN before a report: in the format asked for. */
static void
unknown(enum sp_output output, const char *why)
{
	if (output == SP_OUTPUT_PROMETHEUS)
		sp_output_prometheus_unknown(stdout, why);
	else
		sp_output_unknown(stdout, output == SP_OUTPUT_JSON, why);
}

struct run {
	const struct sp_config *cfg;
	struct event_base *base;
	struct sp_transcript transcript;
	bool collect;
};

static void
on_line(const smtpprobe_result *r, smtpprobe_dir dir, const char *line, size_t len,
	int64_t usec, void *arg)
{
	struct run *run = arg;
	bool whose = sp_multi_target(run->cfg) && *smtpprobe_result_addr(r) != '\0';

	/* The dialogs run at once: each line says whose it is. */
	if (run->collect)
		sp_transcript_add(&run->transcript, dir, whose ? smtpprobe_result_addr(r) : NULL,
			line, len, usec);
}

static void
on_done(smtpprobe_probe *p, void *arg)
{
	struct run *run = arg;

	(void)p;
	event_base_loopbreak(run->base);
}

/* The probe's targets, judged; then printed as asked. */
static enum sp_state
report(const struct sp_config *cfg, const smtpprobe_probe *p, const struct sp_transcript *t)
{
	size_t n = smtpprobe_probe_count(p);
	const smtpprobe_result **results = calloc(n > 0 ? n : 1, sizeof(*results));
	struct sp_report rep;
	enum sp_state state;

	for (size_t i = 0; results != NULL && i < n; i++)
		results[i] = smtpprobe_probe_result(p, i);
	if (results == NULL || sp_judge(cfg, results, n, smtpprobe_probe_notes(p), &rep) == -1) {
		free(results);
		unknown(cfg->output, "out of memory");
		return SP_UNKNOWN;
	}
	sp_judge_sts(cfg, smtpprobe_probe_sts(p), &rep);
	state = rep.state;
	if (cfg->output == SP_OUTPUT_LLD)
		state = sp_output_lld(stdout, cfg, &rep, t);
	else if (cfg->output == SP_OUTPUT_JSON)
		sp_output_json(stdout, cfg, &rep, t);
	else if (cfg->output == SP_OUTPUT_PROMETHEUS)
		sp_output_prometheus(stdout, cfg, &rep);
	else
		sp_output_nagios(stdout, cfg, &rep, t);
	sp_report_free(&rep);
	free(results);
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
	rlim_t want = (rlim_t)(smtpprobe_opts_mx_domain(cfg->lib) != NULL ?
	    smtpprobe_opts_max_targets(cfg->lib) : smtpprobe_opts_host_count(cfg->lib)) + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

static enum sp_state
run_check(const struct sp_config *cfg)
{
	struct run run = { .cfg = cfg, .collect = cfg->verbose > 0 || cfg->transcript != NULL };
	smtpprobe_callbacks cb = { on_done, on_line };
	struct event_base *base = sp_event_base_new();
	smtpprobe_probe *p = NULL;
	enum sp_state state = SP_UNKNOWN;
	char why[600];

	raise_fd_limit(cfg);
	run.base = base;
	if (base == NULL || (p = smtpprobe_probe_start(base, cfg->lib, &cb, &run)) == NULL) {
		snprintf(why, sizeof(why), "cannot start the check: %s", strerror(errno));
		unknown(cfg->output, why);
		goto out;
	}
	event_base_dispatch(base);
	if (cfg->transcript != NULL && sp_transcript_write(cfg->transcript, &run.transcript) == -1) {
		snprintf(why, sizeof(why), "cannot write transcript %s: %s", cfg->transcript, strerror(errno));
		unknown(cfg->output, why);
		goto out;
	}
	state = report(cfg, p, &run.transcript);
out:
	smtpprobe_probe_free(p);
	if (base != NULL)
		event_base_free(base);
	sp_transcript_free(&run.transcript);
	return state;
}

int
main(int argc, char **argv)
{
	struct sp_config cfg;
	char err[512];
	enum sp_state state = SP_UNKNOWN;

	switch (sp_options_parse(argc, argv, &cfg, err, sizeof(err))) {
	case SP_HELP:
		sp_options_help();
		break;
	case SP_VERSION:
		printf("check_smtp_probe %s (libsmtpprobe %s)\n", PACKAGE_VERSION, smtpprobe_version());
		break;
	case SP_USAGE_ERROR:
		unknown(cfg.output, err);
		break;
	case SP_RUN:
		/* A server that resets the connection is a verdict, not a death by SIGPIPE. */
		signal(SIGPIPE, SIG_IGN);
		state = run_check(&cfg);
		break;
	}
	sp_config_free(&cfg);
	return (int)state;
}
