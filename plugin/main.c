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
	if (cfg->starttls || cfg->tls || cfg->cert_days_set)
		return "TLS (-S, -s, -D) is not supported by this build yet";
	if (cfg->auth_mech != NULL || cfg->auth_user != NULL)
		return "SMTP AUTH (-A, -U) is not supported by this build yet";
	if (cfg->mx_domain != NULL)
		return "MX checks (-M) are not supported by this build yet";
	if (cfg->proxy != SP_PROXY_NONE)
		return "the PROXY protocol (-r) is not supported by this build yet";
	if (cfg->output == SP_OUTPUT_LLD)
		return "--output lld needs -M, which this build does not support yet";
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

static smtpprobe_opts *
library_opts(const struct sp_config *cfg)
{
	smtpprobe_opts *o = smtpprobe_opts_new();

	if (o == NULL)
		return NULL;
	if (smtpprobe_opts_set_host(o, cfg->host, cfg->port) == -1 ||
	    smtpprobe_opts_set_family(o, cfg->family) == -1 ||
	    (cfg->fqdn && smtpprobe_opts_set_helo_name(o, cfg->fqdn) == -1) ||
	    smtpprobe_opts_set_lmtp(o, cfg->lmtp) == -1 ||
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
	    (cfg->dns_server && smtpprobe_opts_set_dns_server(o, cfg->dns_addr, cfg->dns_port) == -1)) {
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

	if (run->collect)
		sp_transcript_add(&run->transcript, dir, line, len, usec);
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
		printf("SMTP UNKNOWN - out of memory\n");
		return SP_UNKNOWN;
	}
	if (cfg->output == SP_OUTPUT_JSON)
		sp_output_json(stdout, cfg, &rep, t);
	else
		sp_output_nagios(stdout, cfg, &rep, t);
	state = rep.state;
	sp_report_free(&rep);
	return state;
}

static enum sp_state
run_check(const struct sp_config *cfg)
{
	struct run run = { .cfg = cfg, .collect = cfg->verbose > 0 || cfg->transcript != NULL };
	smtpprobe_callbacks cb = { on_done, on_line };
	struct event_base *base = event_base_new();
	smtpprobe_opts *o = library_opts(cfg);
	smtpprobe_probe *p = NULL;
	enum sp_state state = SP_UNKNOWN;

	run.base = base;
	if (base == NULL || o == NULL || (p = smtpprobe_probe_start(base, o, &cb, &run)) == NULL) {
		printf("SMTP UNKNOWN - cannot start the check: %s\n", strerror(errno));
		goto out;
	}
	event_base_dispatch(base);
	if (cfg->transcript != NULL && write_transcript(cfg->transcript, &run.transcript) == -1) {
		printf("SMTP UNKNOWN - cannot write transcript %s: %s\n", cfg->transcript, strerror(errno));
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
		printf("SMTP UNKNOWN - %s\n", err);
		break;
	case SP_RUN:
		if ((why = unsupported(&cfg)) != NULL)
			printf("SMTP UNKNOWN - %s\n", why);
		else
			state = run_check(&cfg);
		break;
	}
	sp_config_free(&cfg);
	return (int)state;
}
