/* SPDX-License-Identifier: MIT */
/*
 * fuzz_options.c - libFuzzer harness for the plugin's option parser
 * (plugin/options.c with extraopts.c, regexguard.c, secret.c), argv built
 * from the input cut at NUL bytes.
 *
 * Must never crash or leak (LeakSanitizer runs at every input's end in
 * libFuzzer's -detect_leaks mode), must always leave a NUL-terminated
 * message in its buffer and a valid output format, and every value it
 * accepts that reaches the wire (host, EHLO name, MAIL FROM, RCPT TO,
 * NOTIFY, extra commands, headers, subject, AUTH user and password, SNI)
 * must be free of CR, LF and NUL -- the SPEC's "no SMTP command injection"
 * rule. The parser writes those straight into the library's options: the
 * library's option sources are compiled in, so they are read as the
 * library holds them (lib/internal.h), and copied as a probe copies them.
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
#include "internal.h"

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
check_strv(const struct sp_strv *l)
{
	for (size_t i = 0; i < l->n; i++) {
		CHECK(l->v[i] != NULL);
		check_wire(l->v[i]);
	}
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

/* What the parser accepted, as the library holds it. */
static void
check_accepted(const struct sp_config *cfg)
{
	const smtpprobe_opts *o = cfg->lib;
	smtpprobe_opts *copy;

	CHECK(o != NULL);
	CHECK(o->hosts.n > 0 || o->mx_domain != NULL);
	CHECK(o->hosts.n == 0 || o->mx_domain == NULL);
	check_strv(&o->hosts);
	check_wire(o->mx_domain);
	check_wire(o->helo);
	check_wire(o->from);
	check_wire(o->notify);
	check_wire(o->subject);
	check_wire(o->sni);
	check_wire(o->auth_user);
	check_wire(o->auth_pass);
	CHECK(o->auth == SMTPPROBE_AUTH_NONE || (o->auth_user != NULL && o->auth_pass != NULL));
	check_strv(&o->rcpts);
	check_strv(&o->commands);
	check_strv(&o->headers);
	check_list(&cfg->require_ext);
	CHECK(cfg->nresponses <= o->commands.n);
	CHECK(o->timeout_ms > 0);
	CHECK(o->body == NULL || memchr(o->body, '\0', o->bodylen) == NULL);
	/* a probe starts from a copy of them */
	copy = sp_opts_dup(o);
	CHECK(copy != NULL);
	smtpprobe_opts_free(copy);
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
	CHECK(cfg.output == SP_OUTPUT_NAGIOS || cfg.output == SP_OUTPUT_JSON ||
		cfg.output == SP_OUTPUT_LLD || cfg.output == SP_OUTPUT_PROMETHEUS);
	if (act == SP_RUN)
		check_accepted(&cfg);
	sp_config_free(&cfg);
	sp_config_free(&cfg); /* documented as harmless */
	free(buf);
	return 0;
}
