/* SPDX-License-Identifier: MIT */
/*
 * results.h - results for the judge's and the output's unit tests, built
 * without sockets through the library's own internal functions
 * (sp_result_new, sp_result_exchange, sp_result_reply, sp_result_fail;
 * lib/result.c and lib/reply.c are compiled into the test), with each
 * reply parsed by the real reply parser, as a dialog records it.
 */
#ifndef TEST_RESULTS_H
#define TEST_RESULTS_H

#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "../../plugin/judge.h"

/* A target: host name, address ("" for none), port; the dialog "ran" from 0 to @p end_usec. */
static struct smtpprobe_result *
t_result(const char *host, const char *addr, unsigned port, int64_t end_usec)
{
	struct smtpprobe_result *r = sp_result_new(host, port);

	assert_non_null(r);
	snprintf(r->addr, sizeof r->addr, "%s", addr);
	r->start = 0;
	r->end = end_usec;
	return r;
}

/*
 * One exchange: @p cmd as sent ("" for the banner), @p reply the server's
 * bytes ("250-a\r\n250 2.1.5 Ok\r\n"; NULL for none), its stage starting at
 * @p start and taking @p usec. @return the exchange's index.
 */
static size_t
t_exchange(struct smtpprobe_result *r, smtpprobe_stage st, const char *cmd, const char *reply,
	int64_t start, int64_t usec)
{
	struct sp_reply_parser p;
	struct sp_reply_line line;
	struct sp_strv lines = { 0 };
	size_t used, off = 0, len = reply != NULL ? strlen(reply) : 0;
	int i = sp_result_exchange(r, st, cmd, strlen(cmd), start);

	assert_true(i >= 0);
	sp_reply_init(&p);
	while (off < len) {
		enum sp_reply_event ev = sp_reply_feed(&p, reply + off, len - off, &used, &line);

		off += used;
		assert_true(ev != SP_REPLY_ERROR);
		if (ev == SP_REPLY_LINE || ev == SP_REPLY_DONE) {
			char *raw = strndup(line.raw, line.rawlen);

			assert_non_null(raw);
			assert_int_equal(sp_strv_add(&lines, raw), 0);
			free(raw);
		}
		if (ev == SP_REPLY_DONE)
			assert_int_equal(sp_result_reply(r, i, &line, &lines, start + usec), 0);
	}
	sp_reply_free(&p);
	sp_strv_free(&lines);
	/* Without a reply the stage still waited; with one, counted once. */
	sp_result_stage_time(r, st, start, start + usec);
	return (size_t)i;
}

/* The usual start: banner and EHLO, with the capabilities of @p caps ("PIPELINING,SIZE 1000"; "" for none). */
static void
t_greet(struct smtpprobe_result *r, const char *banner_name, const char *caps)
{
	char banner[300];

	snprintf(banner, sizeof banner, "220 %s ESMTP\r\n", banner_name);
	sp_result_stage_time(r, SMTPPROBE_STAGE_CONNECT, 0, 100);
	t_exchange(r, SMTPPROBE_STAGE_BANNER, "", banner, 100, 1900);
	snprintf(r->banner_name, sizeof r->banner_name, "%s", banner_name);
	t_exchange(r, SMTPPROBE_STAGE_EHLO, "EHLO probe.example.net", "250 ok\r\n", 2000, 400);
	r->greeting = SMTPPROBE_GREETING_EHLO;
	for (const char *p = caps; *p != '\0';) {
		size_t n = strcspn(p, ",");

		sp_caps_line(&r->caps, p, n, false);
		p += n + (p[n] == ',');
	}
	r->starttls_offered = (r->caps.ext & SP_EXT_STARTTLS) != 0;
}

/* The end of a good dialog: QUIT 221. */
static void
t_quit(struct smtpprobe_result *r, int64_t start)
{
	t_exchange(r, SMTPPROBE_STAGE_QUIT, "QUIT", "221 2.0.0 Bye\r\n", start, 190);
}

/* TLS facts: a handshake that completed, the certificate valid until @p not_after. */
static void
t_tls(struct smtpprobe_result *r, const char *version, int64_t not_after, const char *error)
{
	r->tls = calloc(1, sizeof *r->tls);
	assert_non_null(r->tls);
	snprintf(r->tls->version, sizeof r->tls->version, "%s", version);
	snprintf(r->tls->cipher, sizeof r->tls->cipher, "TLS_AES_256_GCM_SHA384");
	snprintf(r->tls->subject, sizeof r->tls->subject, "CN=mx.example.org");
	snprintf(r->tls->issuer, sizeof r->tls->issuer, "CN=Test CA");
	snprintf(r->tls->sans, sizeof r->tls->sans, "DNS:mx.example.org");
	snprintf(r->tls->error, sizeof r->tls->error, "%s", error);
	r->tls->not_after = not_after;
}

/* A parse of a command line that must succeed. */
static void
t_config(struct sp_config *cfg, const char *const *args)
{
	char *argv[64];
	char err[256];
	int argc = 0;

	argv[argc++] = strdup("check_smtp_probe");
	for (size_t i = 0; args[i] != NULL; i++)
		argv[argc++] = strdup(args[i]);
	argv[argc] = NULL;
	if (sp_options_parse(argc, argv, cfg, err, sizeof err) != SP_RUN)
		fail_msg("options refused: %s", err);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
}

#define CONFIG(cfg, ...) t_config((cfg), (const char *const[]){ __VA_ARGS__, NULL })

/*
 * The fixture core of the judge's, output's, Prometheus and MTA-STS tests:
 * a configuration, its targets, their report.
 */
#define T_MAX_TARGETS 8
struct t_fixture {
	struct sp_config cfg;
	struct smtpprobe_result *r[T_MAX_TARGETS];
	size_t n;
	struct sp_report rep;
};

/* No password or ini file from the environment reaches a test's options. */
static inline void
t_fixture_env(void)
{
	unsetenv("SMTP_PROBE_PASSWORD");
	unsetenv("MP_CONFIG_FILE");
}

static inline void
t_fixture_free(struct t_fixture *t)
{
	sp_report_free(&t->rep);
	for (size_t i = 0; i < t->n; i++)
		sp_result_free(t->r[i]);
	sp_config_free(&t->cfg);
}

/* A new target whose dialog ran from 0 to @p end_usec. */
static inline struct smtpprobe_result *
t_fixture_target(struct t_fixture *t, const char *host, const char *addr, int64_t end_usec)
{
	assert_true(t->n < T_MAX_TARGETS);
	return t->r[t->n++] = t_result(host, addr, 25, end_usec);
}

/* Judges the targets afresh, with no probe notes. */
static inline void
t_fixture_judge(struct t_fixture *t)
{
	sp_report_free(&t->rep);
	assert_int_equal(sp_judge(&t->cfg, (const smtpprobe_result *const *)t->r, t->n, "", &t->rep), 0);
}

#endif
