/* SPDX-License-Identifier: MIT */
/*
 * fuzz_options.c - libFuzzer harness for the plugin's option parser
 * (plugin/options.c), argv built from the input cut at NUL bytes.
 *
 * Must never crash or leak (LeakSanitizer runs at every input's end in
 * libFuzzer's -detect_leaks mode), must always leave a NUL-terminated
 * message in its buffer, and every value it accepts that reaches the wire
 * (host, EHLO name, MAIL FROM, RCPT TO, NOTIFY, extra commands, headers,
 * subject, AUTH user and password, SNI) must be free of CR, LF and NUL --
 * the SPEC's "no SMTP command injection" rule. The accepted configuration
 * is then handed to the library's option setters, as main.c does.
 *
 * The harness runs in an empty temporary directory with MP_CONFIG_FILE and
 * SMTP_PROBE_PASSWORD unset, so relative --body @FILE, --authfile and
 * --extra-opts paths find nothing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

#define MAX_ARGS 64

static void
check_wire(const char *s)
{
	if (s == NULL)
		return;
	CHECK(strchr(s, '\r') == NULL && strchr(s, '\n') == NULL);
}

static void
check_list(const struct sp_strlist *l)
{
	CHECK(l->n <= l->cap);
	for (size_t i = 0; i < l->n; i++) {
		CHECK(l->v[i] != NULL);
		check_wire(l->v[i]);
	}
}

/* The library's setters, as plugin/main.c calls them. */
static void
to_library(const struct sp_config *cfg)
{
	smtpprobe_opts *o = smtpprobe_opts_new();

	CHECK(o != NULL);
	for (size_t i = 0; i < cfg->hosts.n; i++)
		(void)(i == 0 ? smtpprobe_opts_set_host(o, cfg->hosts.v[0], cfg->port)
			      : smtpprobe_opts_add_host(o, cfg->hosts.v[i]));
	if (cfg->fqdn != NULL)
		(void)smtpprobe_opts_set_helo_name(o, cfg->fqdn);
	if (cfg->from != NULL)
		(void)smtpprobe_opts_set_from(o, cfg->from);
	for (size_t i = 0; i < cfg->rcpts.n; i++)
		(void)smtpprobe_opts_add_rcpt(o, cfg->rcpts.v[i]);
	if (cfg->notify != NULL)
		(void)smtpprobe_opts_set_notify(o, cfg->notify);
	for (size_t i = 0; i < cfg->commands.n; i++)
		(void)smtpprobe_opts_add_command(o, cfg->commands.v[i]);
	if (cfg->subject != NULL)
		(void)smtpprobe_opts_set_subject(o, cfg->subject);
	for (size_t i = 0; i < cfg->headers.n; i++)
		(void)smtpprobe_opts_add_header(o, cfg->headers.v[i]);
	if (cfg->body != NULL)
		(void)smtpprobe_opts_set_body(o, cfg->body, cfg->bodylen);
	(void)smtpprobe_opts_set_quit_after(o, cfg->quit_after);
	for (int s = 0; s < SMTPPROBE_STAGE_COUNT; s++)
		if (cfg->expect_class[s] != 0)
			(void)smtpprobe_opts_set_expect_class(o, (smtpprobe_stage)s, cfg->expect_class[s]);
	(void)smtpprobe_opts_set_timeout_ms(o, cfg->timeout_ms);
	if (cfg->dns_server != NULL)
		(void)smtpprobe_opts_set_dns_server(o, cfg->dns_addr, cfg->dns_port);
	smtpprobe_opts_free(o);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz_options.XXXXXX";

	(void)argc;
	(void)argv;
	unsetenv("MP_CONFIG_FILE");
	unsetenv("SMTP_PROBE_PASSWORD");
	if (mkdtemp(dir) != NULL && chdir(dir) == 0)
		(void)rmdir(dir); /* stays the cwd, empty, and nothing can be created in it */
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2];
	char *buf = malloc(size + 1);
	char err[256];
	struct sp_config cfg;
	enum sp_action act;
	int argc = 0;
	size_t off = 0;

	CHECK(buf != NULL);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"check_smtp_probe";
	while (off <= size && argc < MAX_ARGS + 1) {
		argv[argc++] = buf + off;
		off += strlen(buf + off) + 1;
	}
	argv[argc] = NULL;

	memset(err, 'x', sizeof err);
	act = sp_options_parse(argc, argv, &cfg, err, sizeof err);
	CHECK(memchr(err, '\0', sizeof err) != NULL);
	CHECK(act == SP_RUN || act == SP_HELP || act == SP_VERSION || act == SP_USAGE_ERROR);
	if (act == SP_USAGE_ERROR)
		CHECK(err[0] != '\0');
	if (act == SP_RUN) {
		CHECK(cfg.hosts.n > 0 || cfg.mx_domain != NULL);
		for (size_t i = 0; i < cfg.hosts.n; i++)
			check_wire(cfg.hosts.v[i]);
		check_wire(cfg.mx_domain);
		check_wire(cfg.fqdn);
		check_wire(cfg.from);
		check_wire(cfg.notify);
		check_wire(cfg.subject);
		check_wire(cfg.sni);
		check_wire(cfg.auth_user);
		check_wire(cfg.auth_pass);
		check_wire(cfg.auth_mech);
		check_list(&cfg.rcpts);
		check_list(&cfg.commands);
		check_list(&cfg.headers);
		check_list(&cfg.require_ext);
		CHECK(cfg.timeout_ms > 0);
		CHECK(cfg.body == NULL || memchr(cfg.body, '\0', cfg.bodylen) == NULL);
		to_library(&cfg);
	}
	sp_config_free(&cfg);
	sp_config_free(&cfg); /* documented as harmless */
	free(buf);
	return 0;
}
