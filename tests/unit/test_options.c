/* SPDX-License-Identifier: MIT */
/*
 * test_options.c - argv and --extra-opts -> sp_config and the library's
 * options: every option, every refusal, the secrets. The library's sources
 * are compiled in, so its options are read as the library holds them.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../plugin/cfg.h"
#include "internal.h"

/* The library's options as the parse left them. */
#define LIB(r) ((r)->cfg.lib)

#define MAX_ARGS 64

/* One parse: argv copies (the parser may blank -P in them) and the result. */
struct run {
	char *argv[MAX_ARGS + 2];
	int argc;
	struct sp_config cfg;
	char err[256];
	enum sp_action act;
};

static void
run_free(struct run *r)
{
	sp_config_free(&r->cfg);
	for (int i = 0; i < r->argc; i++)
		free(r->argv[i]);
	r->argc = 0;
}

static enum sp_action
run_v(struct run *r, const char *const *args)
{
	run_free(r);
	r->argv[r->argc++] = strdup("check_smtp_probe");
	for (size_t i = 0; args[i] != NULL; i++) {
		assert_true(r->argc < MAX_ARGS);
		r->argv[r->argc++] = strdup(args[i]);
	}
	r->argv[r->argc] = NULL;
	strcpy(r->err, "(untouched)");
	r->act = sp_options_parse(r->argc, r->argv, &r->cfg, r->err, sizeof r->err);
	return r->act;
}

#define RUN(r, ...) run_v((r), (const char *const[]){ __VA_ARGS__, NULL })

/* The parse must succeed. */
#define OK(r, ...) do { \
	if (RUN((r), __VA_ARGS__) != SP_RUN) \
		fail_msg("line %d: refused: %s", __LINE__, (r)->err); \
} while (0)

/* The parse must fail with a message containing @p msg. */
#define BAD(r, msg, ...) do { \
	if (RUN((r), __VA_ARGS__) != SP_USAGE_ERROR) \
		fail_msg("line %d: accepted", __LINE__); \
	if (strstr((r)->err, (msg)) == NULL) \
		fail_msg("line %d: message \"%s\" lacks \"%s\"", __LINE__, (r)->err, (msg)); \
} while (0)

static int
setup(void **state)
{
	struct run *r = calloc(1, sizeof *r);

	/* the environment of the build must not leak into the tests */
	unsetenv("SMTP_PROBE_PASSWORD");
	unsetenv("MP_CONFIG_FILE");
	*state = r;
	return r == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	run_free(*state);
	free(*state);
	return 0;
}

/* Writes a temporary file (mode @p mode) and returns its name in @p path. */
static void
temp_file(char path[64], const void *data, size_t len, mode_t mode)
{
	int fd;

	strcpy(path, "/tmp/test_options.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
temp_text(char path[64], const char *text)
{
	temp_file(path, text, strlen(text), 0600);
}

/* ------------------------------------------------------------ fields */

static void
test_defaults(void **state)
{
	struct run *r = *state;

	OK(r, "-H", "mx.example.org");
	assert_int_equal(LIB(r)->hosts.n, 1);
	assert_string_equal(LIB(r)->hosts.v[0], "mx.example.org");
	assert_int_equal(LIB(r)->port, 0);
	assert_int_equal(LIB(r)->family, SMTPPROBE_FAMILY_ANY);
	assert_null(LIB(r)->mx_domain);
	assert_int_equal(r->cfg.mx_policy, SP_MX_WORST);
	assert_null(r->cfg.expect);
	assert_null(LIB(r)->helo);
	assert_null(LIB(r)->from);
	assert_null(LIB(r)->notify);
	assert_int_equal(LIB(r)->rcpts.n, 0);
	assert_int_equal(LIB(r)->commands.n, 0);
	assert_false(LIB(r)->data);
	assert_null(LIB(r)->body);
	assert_int_equal(LIB(r)->quit_after, SMTPPROBE_STAGE_COUNT);
	for (int i = 0; i < SMTPPROBE_STAGE_COUNT; i++)
		assert_int_equal(LIB(r)->expect[i], 0);
	assert_int_equal(LIB(r)->tls, SMTPPROBE_TLS_NONE);
	assert_true(LIB(r)->tls_verify);
	assert_false(r->cfg.cert_days_set);
	assert_null(LIB(r)->auth_pass);
	assert_int_equal(LIB(r)->proxy, 0);
	assert_false(r->cfg.warn.total_set);
	assert_int_equal(LIB(r)->timeout_ms, 10000);
	assert_int_equal(r->cfg.timeout_state, SP_CRITICAL);
	assert_int_equal(r->cfg.verbose, 0);
	assert_int_equal(r->cfg.output, SP_OUTPUT_NAGIOS);
	assert_string_equal(r->err, "");
}

static void
test_target_options(void **state)
{
	struct run *r = *state;

	OK(r, "--hostname", "192.0.2.1", "-p", "2525", "-4");
	assert_int_equal(LIB(r)->hosts.n, 1);
	assert_string_equal(LIB(r)->hosts.v[0], "192.0.2.1");
	assert_int_equal(LIB(r)->port, 2525);
	assert_int_equal(LIB(r)->family, SMTPPROBE_FAMILY_IPV4);
	OK(r, "-H", "2001:db8::1", "--port=65535", "-4", "--use-ipv6");
	assert_int_equal(LIB(r)->port, 65535);
	assert_int_equal(LIB(r)->family, SMTPPROBE_FAMILY_IPV6);
	OK(r, "-M", "example.org", "--mx-policy", "primary");
	assert_int_equal(LIB(r)->hosts.n, 0);
	assert_string_equal(LIB(r)->mx_domain, "example.org");
	assert_int_equal(r->cfg.mx_policy, SP_MX_PRIMARY);
	OK(r, "--mx=example.org", "--mx-policy=ANY");
	assert_int_equal(r->cfg.mx_policy, SP_MX_ANY);

	static const char *const bad_ports[] = { "0", "65536", "-1", "+25", "25a", "", " 25", "99999999999999999999" };
	for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++)
		BAD(r, "-p/--port", "-H", "h", "-p", bad_ports[i]);
	BAD(r, "--mx-policy", "-M", "example.org", "--mx-policy", "best");
	OK(r, "-M", "example.org");
	assert_int_equal(LIB(r)->max_targets, 32);
	assert_false(r->cfg.require_fcrdns);
	OK(r, "-M", "example.org", "--max-targets", "1024", "--require-fcrdns");
	assert_int_equal(LIB(r)->max_targets, 1024);
	assert_true(r->cfg.require_fcrdns);
	BAD(r, "--max-targets", "-M", "example.org", "--max-targets", "0");
	BAD(r, "--max-targets", "-M", "example.org", "--max-targets", "1025");
	BAD(r, "--max-targets", "-M", "example.org", "--max-targets", "5x");
}

static void
test_dns_server(void **state)
{
	static const struct { const char *arg, *addr; unsigned port; } good[] = {
		{ "192.0.2.53", "192.0.2.53", 0 },
		{ "192.0.2.53:5353", "192.0.2.53", 5353 },
		{ "[2001:db8::53]:5353", "2001:db8::53", 5353 },
		{ "[::1]", "::1", 0 },
		{ "::1", "::1", 0 },
		{ "2001:db8::53", "2001:db8::53", 0 },
	};
	static const char *const bad[] = {
		"", "dns.example.org", "192.0.2.300", "192.0.2.53:", "192.0.2.53:0",
		"192.0.2.53:65536", "[::1", "[::1]x", "[::1]:", "[192.0.2.53]:53",
		"fe80::1%eth0", "1.2.3.4:53:53x", "[]",
	};
	struct run *r = *state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		OK(r, "-H", "h", "--dns-server", good[i].arg);
		assert_string_equal(LIB(r)->dns_addr, good[i].addr);
		assert_int_equal(LIB(r)->dns_port, good[i].port);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		BAD(r, "--dns-server", "-H", "h", "--dns-server", bad[i]);
}

static void
test_dialog_options(void **state)
{
	struct run *r = *state;

	OK(r, "-H", "h", "-e", "ESMTP Postfix", "-F", "probe.example.net", "-L",
		"-f", "probe@example.net", "--rcpt", "a@example.org", "--rcpt=b@example.org",
		"-C", "NOOP", "--command", "VRFY postmaster", "-R", "^250", "--data",
		"--subject", "probe", "--header", "X-Probe: 1", "--header=X-Other: two",
		"--body", "hello\n.\nworld", "--quit-after", "RCPT", "-q", "--no-pipelining");
	assert_string_equal(r->cfg.expect, "ESMTP Postfix");
	assert_string_equal(LIB(r)->helo, "probe.example.net");
	assert_true(LIB(r)->lmtp);
	assert_true(LIB(r)->no_pipelining);
	assert_string_equal(LIB(r)->from, "probe@example.net");
	assert_int_equal(LIB(r)->rcpts.n, 2);
	assert_string_equal(LIB(r)->rcpts.v[0], "a@example.org");
	assert_string_equal(LIB(r)->rcpts.v[1], "b@example.org");
	assert_int_equal(LIB(r)->commands.n, 2);
	assert_string_equal(LIB(r)->commands.v[1], "VRFY postmaster");
	assert_int_equal(r->cfg.nresponses, 1);
	assert_string_equal(r->cfg.responses[0].pattern, "^250");
	assert_int_equal(regexec(&r->cfg.responses[0].re, "250 ok", 0, NULL, 0), 0);
	assert_true(LIB(r)->data);
	assert_string_equal(LIB(r)->subject, "probe");
	assert_int_equal(LIB(r)->headers.n, 2);
	assert_string_equal(LIB(r)->headers.v[1], "X-Other: two");
	assert_int_equal(LIB(r)->bodylen, 13);
	assert_memory_equal(LIB(r)->body, "hello\n.\nworld", 13);
	assert_int_equal(LIB(r)->quit_after, SMTPPROBE_STAGE_RCPT);
	assert_true(r->cfg.ignore_quit_failure);

	/* the null sender */
	OK(r, "-H", "h", "-f", "", "--rcpt", "a@example.org");
	assert_string_equal(LIB(r)->from, "");
}

static void
test_many_list_entries(void **state)
{
	struct run *r = *state;
	const char *args[MAX_ARGS + 1];
	int n = 0;

	/* enough to make the lists grow several times */
	args[n++] = "-H";
	args[n++] = "h";
	while (n < MAX_ARGS - 3) {
		args[n++] = "--rcpt";
		args[n++] = "x@example.org";
	}
	args[n] = NULL;
	assert_int_equal(run_v(r, args), SP_RUN);
	assert_int_equal(LIB(r)->rcpts.n, (size_t)(n - 2) / 2);
	assert_true(LIB(r)->rcpts.n > 16);
}

static void
test_tls_options(void **state)
{
	struct run *r = *state;

	OK(r, "-H", "h", "-S", "-D", "30,14", "--sni=mail.example.org", "--insecure",
		"--ca-file", "/etc/ssl/certs/ca-certificates.crt", "--ca-path=/etc/ssl/certs",
		"--tls-min", "1.2");
	assert_int_equal(LIB(r)->tls, SMTPPROBE_TLS_STARTTLS);
	assert_true(r->cfg.cert_days_set);
	assert_int_equal(r->cfg.cert_warn_days, 30);
	assert_int_equal(r->cfg.cert_crit_days, 14);
	assert_string_equal(LIB(r)->sni, "mail.example.org");
	assert_false(LIB(r)->tls_verify);
	assert_string_equal(LIB(r)->ca_file, "/etc/ssl/certs/ca-certificates.crt");
	assert_string_equal(LIB(r)->ca_dir, "/etc/ssl/certs");
	assert_int_equal(LIB(r)->tls_min, 0x0303); /* TLS1_2_VERSION */

	static const char *const implicit[] = { "-s", "--tls", "--ssl" };
	for (size_t i = 0; i < 3; i++) {
		OK(r, "-H", "h", implicit[i]);
		assert_int_equal(LIB(r)->tls, SMTPPROBE_TLS_IMPLICIT);
		assert_int_equal(LIB(r)->port, 0); /* the library picks 465 */
	}
	OK(r, "-H", "h", "-D", "30", "--sni", "-S");
	assert_int_equal(r->cfg.cert_warn_days, 30);
	assert_int_equal(r->cfg.cert_crit_days, 0);
	assert_null(LIB(r)->sni);
	OK(r, "-H", "h", "-D", "7,7", "-S");

	static const char *const bad_days[] = { "14,30", "-1", "a", "30,", ",14", "30,14,7", "" };
	for (size_t i = 0; i < sizeof bad_days / sizeof bad_days[0]; i++)
		BAD(r, "-D/--certificate", "-H", "h", "-D", bad_days[i]);
	BAD(r, "--tls-min", "-H", "h", "--tls-min", "1.4");
	BAD(r, "--tls-min", "-H", "h", "--tls-min", "TLSv1.2");
	BAD(r, "--sni", "-H", "h", "--sni=");
	BAD(r, "--sni", "-H", "h", "--sni=a b");
	BAD(r, "--ca-file", "-H", "h", "--ca-file=");
	BAD(r, "exclude each other", "-H", "h", "-S", "-s");
	BAD(r, "exclude each other", "-H", "h", "--ssl", "--starttls");
}

static void
test_auth_and_proxy(void **state)
{
	struct run *r = *state;

	OK(r, "-H", "h", "-A", "cram-md5", "-U", "user", "-P", "pw", "--allow-plaintext-auth");
	assert_int_equal(LIB(r)->auth, SMTPPROBE_AUTH_CRAM_MD5);
	assert_string_equal(LIB(r)->auth_user, "user");
	assert_string_equal(LIB(r)->auth_pass, "pw");
	OK(r, "-H", "h", "--authtype=Login", "--authuser=u", "--authpass=p", "-S");
	assert_int_equal(LIB(r)->auth, SMTPPROBE_AUTH_LOGIN);
	/* without -A, no AUTH, whatever else is given */
	OK(r, "-H", "h", "-U", "u", "-P", "p");
	assert_int_equal(LIB(r)->auth, SMTPPROBE_AUTH_NONE);
	assert_null(LIB(r)->auth_pass);
	/* AUTH sends the password: only over TLS, unless allowed */
	BAD(r, "AUTH without TLS refused: use -S or -s, or --allow-plaintext-auth",
		"-H", "h", "-A", "PLAIN", "-U", "u", "-P", "p");
	OK(r, "-H", "h", "-A", "PLAIN", "-U", "u", "-P", "p", "-s");
	BAD(r, "-D needs TLS", "-H", "h", "-D", "30");
	OK(r, "-H", "h", "-D", "30", "-s");
	BAD(r, "-A/--authtype", "-H", "h", "-A", "GSSAPI", "-U", "u", "-P", "p");
	BAD(r, "needs -U", "-H", "h", "-A", "PLAIN", "-P", "p");
	BAD(r, "needs -U", "-H", "h", "-A", "PLAIN", "-U", "u");

	OK(r, "-H", "h", "-r");
	assert_int_equal(LIB(r)->proxy, 1);
	OK(r, "-H", "h", "-rv2");
	assert_int_equal(LIB(r)->proxy, 2);
	OK(r, "-H", "h", "--proxy=V1");
	assert_int_equal(LIB(r)->proxy, 1);
	OK(r, "-H", "h", "--proxy");
	assert_int_equal(LIB(r)->proxy, 1);
	OK(r, "-H", "h", "--proxy=v2");
	assert_int_equal(LIB(r)->proxy, 2);
	BAD(r, "-r/--proxy", "-H", "h", "--proxy=v3");
	/* an optional argument must be attached: "-r v2" leaves "v2" over */
	BAD(r, "unexpected argument", "-H", "h", "-r", "v2");
}

static void
test_output_options(void **state)
{
	struct run *r = *state;

	OK(r, "-H", "h", "-w", "connect=0.5,banner=2", "-c", "5", "-v", "--verbose", "-vv",
		"--transcript", "/tmp/t.log", "--output", "json");
	assert_true(r->cfg.warn.stage_set[SMTPPROBE_STAGE_CONNECT]);
	assert_true(r->cfg.warn.stage[SMTPPROBE_STAGE_CONNECT].end == 0.5);
	assert_true(r->cfg.warn.stage_set[SMTPPROBE_STAGE_BANNER]);
	assert_false(r->cfg.warn.total_set);
	assert_true(r->cfg.crit.total_set);
	assert_string_equal(r->cfg.crit.total.text, "5");
	assert_int_equal(r->cfg.verbose, 4);
	assert_string_equal(r->cfg.transcript, "/tmp/t.log");
	assert_int_equal(r->cfg.output, SP_OUTPUT_JSON);
	OK(r, "-H", "h", "--output=lld", "--output", "nagios");
	assert_int_equal(r->cfg.output, SP_OUTPUT_NAGIOS);
	OK(r, "-M", "example.org", "--output=LLD");
	assert_int_equal(r->cfg.output, SP_OUTPUT_LLD);
	BAD(r, "--output lld lists the MX hosts of -M DOMAIN", "-H", "h", "--output=lld");

	/* -w is single-valued: the last one replaces the whole level */
	OK(r, "-H", "h", "-w", "1", "-w", "ehlo=2");
	assert_false(r->cfg.warn.total_set);
	assert_true(r->cfg.warn.stage_set[SMTPPROBE_STAGE_EHLO]);

	BAD(r, "-w/--warning: unknown stage \"bogus\"", "-H", "h", "-w", "bogus=1");
	BAD(r, "-c/--critical", "-H", "h", "-c", "abc");
	BAD(r, "--output", "-H", "h", "--output", "xml");
	BAD(r, "--transcript", "-H", "h", "--transcript=");
}

/* ------------------------------------------------------------ refusals */

static void
test_crlf_refused(void **state)
{
	/* every value that reaches the wire; the bad byte goes in the middle */
	static const struct {
		const char *opt, *before, *after;
		const char *name;
	} wire[] = {
		{ "-H", "mx", ".example.org", "-H/--hostname" },
		{ "-M", "example", ".org", "-M/--mx" },
		{ "-f", "probe", "@example.net", "-f/--from" },
		{ "--rcpt", "kate", "@example.org", "--rcpt" },
		{ "-F", "probe", ".example.net", "-F/--fqdn" },
		{ "-C", "NOOP", "RSET", "-C/--command" },
		{ "--header", "X-A: b", "c", "--header" },
		{ "--subject", "probe", "DATA", "--subject" },
		{ "-U", "user", "name", "-U/--authuser" },
		{ "-P", "pass", "word", "-P/--authpass" },
		{ "--sni", "mail", ".example.org", "--sni" },
	};
	static const char *const ctrl[] = { "\r", "\n", "\r\n" };
	struct run *r = *state;
	char value[128], sni[160], msg[80];

	for (size_t i = 0; i < sizeof wire / sizeof wire[0]; i++) {
		for (size_t c = 0; c < 3; c++) {
			snprintf(value, sizeof value, "%s%s%s", wire[i].before, ctrl[c], wire[i].after);
			snprintf(msg, sizeof msg, "%s contains CR, LF or NUL", wire[i].name);
			if (strcmp(wire[i].opt, "--sni") == 0) {
				snprintf(sni, sizeof sni, "--sni=%s", value);
				BAD(r, msg, "-H", "h", sni);
			} else if (strcmp(wire[i].opt, "-H") == 0 || strcmp(wire[i].opt, "-M") == 0) {
				BAD(r, msg, wire[i].opt, value);
			} else {
				BAD(r, msg, "-H", "h", wire[i].opt, value);
			}
		}
	}
}

static void
test_address_checks(void **state)
{
	static const char *const bad_from[] = {
		"<a@example.org>", "a@example.org>", "a b@example.org", "a\t@example.org",
	};
	static const char *const bad_rcpt[] = {
		"postmaster", "", "<postmaster@example.org>", "a @example.org",
	};
	struct run *r = *state;
	char longaddr[300];

	for (size_t i = 0; i < sizeof bad_from / sizeof bad_from[0]; i++)
		BAD(r, "-f/--from", "-H", "h", "-f", bad_from[i]);
	for (size_t i = 0; i < sizeof bad_rcpt / sizeof bad_rcpt[0]; i++)
		BAD(r, "--rcpt", "-H", "h", "--rcpt", bad_rcpt[i]);
	memset(longaddr, 'a', sizeof longaddr);
	memcpy(longaddr + 250, "@x.org", 7);
	BAD(r, "longer", "-H", "h", "--rcpt", longaddr);
	OK(r, "-H", "h", "--rcpt", "\"quoted\"@example.org");
}

static void
test_host_and_fqdn_checks(void **state)
{
	static const char *const good_fqdn[] = {
		"probe.example.net", "localhost", "[192.0.2.1]", "[IPv6:2001:db8::1]", "a-b.c-d",
	};
	static const char *const bad_fqdn[] = {
		"", "mail_host.example", "a b", "[bogus]", "[192.0.2.1", "[2001:db8::1]",
		"probe.example.net/", "\xc3\xa9xample.org", ".", ".example.org",
		"probe..example.org", "probe.example.org.",
	};
	struct run *r = *state;
	char host[300];

	for (size_t i = 0; i < sizeof good_fqdn / sizeof good_fqdn[0]; i++)
		OK(r, "-H", "h", "-F", good_fqdn[i]);
	for (size_t i = 0; i < sizeof bad_fqdn / sizeof bad_fqdn[0]; i++)
		BAD(r, "-F/--fqdn", "-H", "h", "-F", bad_fqdn[i]);

	BAD(r, "-H/--hostname", "-H", "mx example.org");
	BAD(r, "-H/--hostname", "-H", "mx\texample.org");
	BAD(r, "-H/--hostname", "-H", "");
	BAD(r, "-M/--mx", "-M", "");
	memset(host, 'a', sizeof host);
	host[253] = '\0';
	OK(r, "-H", host);
	host[253] = 'a';
	host[254] = '\0';
	BAD(r, "-H/--hostname", "-H", host);
}

static void
test_header_checks(void **state)
{
	static const char *const good[] = { "X-Probe: 1", "X-Empty:", "Subject:x", "X!#$%&'*+-.^_`|~: y" };
	static const char *const bad[] = { "X-Probe 1", ": value", "X Probe: 1", "", "X-\x01: 1", "\xc3\xa9: 1" };
	struct run *r = *state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		OK(r, "-H", "h", "--header", good[i]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		BAD(r, "--header", "-H", "h", "--header", bad[i]);
}

static void
test_command_checks(void **state)
{
	struct run *r = *state;
	char longcmd[520];

	memset(longcmd, 'A', sizeof longcmd);
	longcmd[510] = '\0';
	OK(r, "-H", "h", "-C", longcmd);
	longcmd[510] = 'A';
	longcmd[511] = '\0';
	BAD(r, "-C/--command", "-H", "h", "-C", longcmd);
	BAD(r, "-C/--command", "-H", "h", "-C", "");
	BAD(r, "more -R/--response than -C/--command", "-H", "h", "-R", "^250");
	BAD(r, "more -R", "-H", "h", "-C", "NOOP", "-R", "^250", "-R", "^250");
	OK(r, "-H", "h", "-C", "NOOP", "-C", "HELP", "-R", "^250");
	BAD(r, "bad regular expression", "-H", "h", "-C", "NOOP", "-R", "(250");
	BAD(r, "bad regular expression", "-H", "h", "-C", "NOOP", "-R", "[a");
	/* found by tests/fuzz/fuzz_options: glibc's regcomp() would take gigabytes */
	BAD(r, "is too complex", "-H", "h", "-C", "NOOP", "-R", "ect-r++++++++++++++++++++++++++++e");
	BAD(r, "is too complex", "-H", "h", "-C", "NOOP", "-R", "((a{1,255}){1,255}){1,255}");
	BAD(r, "is too complex", "-H", "h", "-C", "NOOP", "-R", "5?+++++++++++");
	/* quadratic compile time: 15 s for a{1,19000} (a 30-minute fuzz run) */
	BAD(r, "is too complex", "-H", "h", "-C", "NOOP", "-R", "a{1,19000}");
	BAD(r, "is too complex", "-H", "h", "-C", "NOOP", "-R",
		"%{8,9602}9690468%{8,56}95:,\0220\02288%{8,5206}8");
	OK(r, "-H", "h", "-C", "NOOP", "-R", "^250[ -][^ ]{1,64} (OK|Ok|ok)");
	OK(r, "-H", "h", "-C", "NOOP", "-R", "^25[0-2]( |-).{0,200}(OK|Ok)+$");
}

static void
test_missing_host(void **state)
{
	struct run *r = *state;

	BAD(r, "no host: give -H HOST or -M DOMAIN", "-p", "25");
	BAD(r, "no host", "-v");
	BAD(r, "not both", "-H", "h", "-M", "example.org");
	BAD(r, "not both", "-H", "h", "-H", "i", "-M", "example.org");
}

static void
test_many_hosts(void **state)
{
	struct run *r = *state;
	char **argv = calloc(2 * 1026 + 2, sizeof(*argv));
	char name[1025][32];
	int n = 1;

	assert_non_null(argv);
	argv[0] = "check_smtp_probe";
	for (int i = 0; i < 1025; i++) {
		snprintf(name[i], sizeof name[i], "127.1.%u.%u", (unsigned)i / 250, (unsigned)i % 250 + 1);
		argv[n++] = "-H";
		argv[n++] = name[i];
		if (i == 1023) {
			assert_int_equal(sp_options_parse(n, argv, &r->cfg, r->err, sizeof r->err), SP_RUN);
			assert_int_equal(LIB(r)->hosts.n, 1024);
			assert_string_equal(LIB(r)->hosts.v[1023], "127.1.4.24");
			sp_config_free(&r->cfg);
		}
	}
	assert_int_equal(sp_options_parse(n, argv, &r->cfg, r->err, sizeof r->err), SP_USAGE_ERROR);
	assert_non_null(strstr(r->err, "at most 1024 hosts"));
	BAD(r, "contains CR, LF or NUL", "-H", "a.example.org", "-H", "b\r\nRCPT");
	free(argv);
}

static void
test_data_needs_from_and_rcpt(void **state)
{
	struct run *r = *state;

	BAD(r, "--data needs", "-H", "h", "--data");
	BAD(r, "--data needs", "-H", "h", "--data", "-f", "a@example.org");
	BAD(r, "--data needs", "-H", "h", "--data", "--rcpt", "a@example.org");
	OK(r, "-H", "h", "--data", "-f", "", "--rcpt", "a@example.org");
}

static void
test_timeout_forms(void **state)
{
	static const struct { const char *arg; unsigned ms; enum sp_state st; } good[] = {
		{ "5", 5000, SP_CRITICAL },
		{ "2:UNKNOWN", 2000, SP_UNKNOWN },
		{ "0.5:ok", 500, SP_OK },
		{ "3:Warning", 3000, SP_WARNING },
		{ "3:critical", 3000, SP_CRITICAL },
		{ "3:3", 3000, SP_UNKNOWN },
		{ "3600", 3600000, SP_CRITICAL },
		{ "1.2345", 1234, SP_CRITICAL },
		{ ".25", 250, SP_CRITICAL },
		{ "7.", 7000, SP_CRITICAL },
		{ "0.001", 1, SP_CRITICAL },
	};
	static const char *const bad[] = {
		"0", "-1", "abc", "3601", "3600.001", "2:", "2:bogus", "", ":critical",
		"1.2.3", "0.0001", ".", "1e3", " 5", "5 ", "2:4", "0x10",
	};
	struct run *r = *state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		OK(r, "-H", "h", "-t", good[i].arg);
		assert_int_equal(LIB(r)->timeout_ms, good[i].ms);
		assert_int_equal(r->cfg.timeout_state, good[i].st);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		BAD(r, "-t/--timeout", "-H", "h", "--timeout", bad[i]);
}

static void
test_notify_forms(void **state)
{
	static const struct { const char *arg, *want; } good[] = {
		{ "success,failure,delay", "SUCCESS,FAILURE,DELAY" },
		{ "Never", "NEVER" },
		{ "delay", "DELAY" },
		{ "FAILURE,success", "FAILURE,SUCCESS" },
	};
	static const char *const bad[] = {
		"never,success", "success,never", "success,success", "bogus", "",
		"success,", ",success", "success,,delay", "success ,delay",
	};
	struct run *r = *state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		OK(r, "-H", "h", "--notify", good[i].arg);
		assert_string_equal(LIB(r)->notify, good[i].want);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		BAD(r, "--notify", "-H", "h", "--notify", bad[i]);
}

static void
test_expect_reply_forms(void **state)
{
	static const char *const bad[] = {
		"rcpt", "rcpt=3", "rcpt=", "bogus=5", "connect=5", "dns=2", "tls=2",
		"=5", "rcpt=55", "rcpt=5x", "rcptrcptrcptrcptrcpt=5",
	};
	struct run *r = *state;

	OK(r, "-H", "h", "--expect-reply", "rcpt=5", "--expect-reply=MAIL=4",
		"--expect-reply", "banner=4", "--expect-reply", "banner=2");
	assert_int_equal(LIB(r)->expect[SMTPPROBE_STAGE_RCPT], 5);
	assert_int_equal(LIB(r)->expect[SMTPPROBE_STAGE_MAIL], 4);
	assert_int_equal(LIB(r)->expect[SMTPPROBE_STAGE_BANNER], 2);
	assert_int_equal(LIB(r)->expect[SMTPPROBE_STAGE_EHLO], 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		BAD(r, "--expect-reply", "-H", "h", "--expect-reply", bad[i]);
}

static void
test_require_ext(void **state)
{
	static const char *const bad[] = {
		"", "A,,B", "-X", "A B", "STARTTLS,", ",STARTTLS", "AUTH=PLAIN", "X_Y",
	};
	struct run *r = *state;

	OK(r, "-H", "h", "--require-ext", "STARTTLS,pipelining", "--require-ext=8BITMIME",
		"--require-ext", "x-exps");
	assert_int_equal(r->cfg.require_ext.n, 4);
	assert_string_equal(r->cfg.require_ext.v[0], "STARTTLS");
	assert_string_equal(r->cfg.require_ext.v[1], "PIPELINING");
	assert_string_equal(r->cfg.require_ext.v[2], "8BITMIME");
	assert_string_equal(r->cfg.require_ext.v[3], "X-EXPS");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		BAD(r, "--require-ext", "-H", "h", "--require-ext", bad[i]);
}

static void
test_quit_after(void **state)
{
	static const struct { const char *name; smtpprobe_stage st; } good[] = {
		{ "banner", SMTPPROBE_STAGE_BANNER }, { "ehlo", SMTPPROBE_STAGE_EHLO },
		{ "starttls", SMTPPROBE_STAGE_STARTTLS }, { "auth", SMTPPROBE_STAGE_AUTH },
		{ "mail", SMTPPROBE_STAGE_MAIL }, { "Rcpt", SMTPPROBE_STAGE_RCPT },
	};
	static const char *const bad[] = { "data", "quit", "connect", "dns", "rset", "bogus", "" };
	struct run *r = *state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		OK(r, "-H", "h", "--quit-after", good[i].name);
		assert_int_equal(LIB(r)->quit_after, good[i].st);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		BAD(r, "--quit-after", "-H", "h", "--quit-after", bad[i]);
}

static void
test_getopt_errors(void **state)
{
	struct run *r = *state;

	BAD(r, "unknown or ambiguous option --bogus", "-H", "h", "--bogus");
	BAD(r, "unknown option -x", "-H", "h", "-x");
	BAD(r, "unknown option -x", "-H", "h", "-4x");
	BAD(r, "-H/--hostname needs an argument", "-H");
	BAD(r, "--rcpt needs an argument", "-H", "h", "--rcpt");
	BAD(r, "-L/--lmtp takes no argument", "-H", "h", "--lmtp=1");
	BAD(r, "--data takes no argument", "-H", "h", "--data=1");
	BAD(r, "--no-pipelining takes no argument", "-H", "h", "--no-pipelining=1");
	BAD(r, "ambiguous", "-H", "h", "--ca=x");
	BAD(r, "unexpected argument \"stray\"", "-H", "h", "stray");
	BAD(r, "unexpected argument", "-H", "h", "--", "-v");
	/* a value is never quoted back: it may be a secret */
	BAD(r, "unknown or ambiguous option --authpasx", "-H", "h", "--authpasx=s3cret");
	assert_null(strstr(r->err, "s3cret"));
	/* unambiguous abbreviations work, as with getopt_long everywhere */
	OK(r, "--host=h", "--verb");
	assert_int_equal(r->cfg.verbose, 1);
}

/* Even a refused command line says its output format, so the UNKNOWN goes out in it. */
static void
test_output_on_error(void **state)
{
	struct run *r = *state;

	BAD(r, "unknown or ambiguous option --bogus", "-H", "h", "--bogus", "--output", "json");
	assert_int_equal(r->cfg.output, SP_OUTPUT_JSON);
	BAD(r, "-H/--hostname contains CR, LF or NUL", "--output=json", "-H", "a\rb");
	assert_int_equal(r->cfg.output, SP_OUTPUT_JSON);
	BAD(r, "no host", "--output", "lld");
	assert_int_equal(r->cfg.output, SP_OUTPUT_LLD);
	/* the first error is told, the later ones are not */
	BAD(r, "-p/--port", "-H", "h", "-p", "0", "--bogus", "-x", "--output", "json");
	assert_int_equal(r->cfg.output, SP_OUTPUT_JSON);
	BAD(r, "--output", "-H", "h", "--output", "xml");
	assert_int_equal(r->cfg.output, SP_OUTPUT_NAGIOS);
	/* -P is blanked even after an error */
	BAD(r, "unknown option -x", "-x", "-P", "secret");
	assert_memory_equal(r->argv[3], "\0\0\0\0\0\0", 6);
	BAD(r, "not a regular file", "--extra-opts=missing@/dev/null", "--output=json");
	assert_int_equal(r->cfg.output, SP_OUTPUT_JSON);
}

/* The library's setters have the last word: their EINVAL names the option. */
static void
test_library_refusals(void **state)
{
	struct run *r = *state;
	char subject[1100];

	BAD(r, "--sni: \"a/b\" is not accepted", "-H", "h", "--sni=a/b");
	memset(subject, 's', sizeof subject - 1);
	subject[sizeof subject - 1] = '\0';
	BAD(r, "--subject: \"sss", "-H", "h", "--subject", subject);
}

/* -p and -H/-M in either order; the library's default port stays its own. */
static void
test_port_and_targets(void **state)
{
	struct run *r = *state;

	OK(r, "-p", "2525", "-H", "a", "-H", "b");
	assert_int_equal(LIB(r)->port, 2525);
	assert_int_equal(LIB(r)->hosts.n, 2);
	OK(r, "-H", "a", "-p", "2525", "-H", "b");
	assert_int_equal(LIB(r)->port, 2525);
	OK(r, "-p", "2525", "-M", "example.org");
	assert_int_equal(LIB(r)->port, 2525);
	assert_string_equal(LIB(r)->mx_domain, "example.org");
	OK(r, "-M", "example.org", "-p", "2525");
	assert_int_equal(LIB(r)->port, 2525);
	assert_int_equal(smtpprobe_opts_host_count(LIB(r)), 0);
	/* -M after -H (or the other way) clears the other in the library: still refused */
	BAD(r, "not both", "-M", "example.org", "-H", "h");
	/* reverse DNS where shown or judged, resolve only for lld */
	OK(r, "-H", "h");
	assert_false(LIB(r)->rdns);
	OK(r, "-H", "h", "-v");
	assert_true(LIB(r)->rdns);
	assert_int_equal(LIB(r)->rdns_grace_ms, 500);
	OK(r, "-H", "h", "--require-fcrdns");
	assert_int_equal(LIB(r)->rdns_grace_ms, 0);
	OK(r, "-M", "example.org", "--output", "lld", "-v");
	assert_false(LIB(r)->rdns);
	assert_true(LIB(r)->resolve_only);
	assert_true(LIB(r)->tls_lean_init);
}

static void
test_help_and_version(void **state)
{
	struct run *r = *state;

	assert_int_equal(RUN(r, "-h"), SP_HELP);
	assert_int_equal(RUN(r, "--help"), SP_HELP);
	assert_int_equal(RUN(r, "-V"), SP_VERSION);
	assert_int_equal(RUN(r, "-H", "h", "--version"), SP_VERSION);
}

/* getopt state from an earlier call, even a half-read cluster, is gone. */
static void
test_parse_repeatable(void **state)
{
	struct run *r = *state;

	BAD(r, "unknown option -x", "-H", "h", "-xv");
	OK(r, "-H", "h", "-4");
	assert_int_equal(r->cfg.verbose, 0);
	assert_int_equal(LIB(r)->family, SMTPPROBE_FAMILY_IPV4);
	BAD(r, "-p/--port", "-H", "h", "-p", "0", "-6");
	OK(r, "-H", "h", "-v");
	assert_int_equal(r->cfg.verbose, 1);
	assert_int_equal(LIB(r)->family, SMTPPROBE_FAMILY_ANY);
	/* freeing twice, and freeing after an error, is fine */
	sp_config_free(&r->cfg);
	sp_config_free(&r->cfg);
}

/* The parser prints nothing, even on errors. */
static void
test_silent(void **state)
{
	struct run *r = *state;
	char path[64];
	struct stat st;
	int saved = dup(2), fd;

	temp_text(path, "");
	fd = open(path, O_WRONLY);
	assert_true(saved >= 0 && fd >= 0);
	fflush(stderr);
	dup2(fd, 2);
	RUN(r, "--bogus", "-x", "-H");
	RUN(r, "-H");
	RUN(r, "-H", "h", "--rcpt");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	unlink(path);
	assert_int_equal(st.st_size, 0);
}

/* ------------------------------------------------------------ secrets */

/* The password reaches the library only with AUTH asked for (over TLS). */
#define WITH_AUTH "-A", "PLAIN", "-U", "u", "-S"

static void
test_password_blanked(void **state)
{
	struct run *r = *state;

	OK(r, "-H", "h", "-P", "secret1", WITH_AUTH);
	assert_string_equal(LIB(r)->auth_pass, "secret1");
	assert_memory_equal(r->argv[4], "\0\0\0\0\0\0\0", 7);

	OK(r, "-H", "h", "-Psecret2", WITH_AUTH);
	assert_string_equal(LIB(r)->auth_pass, "secret2");
	assert_memory_equal(r->argv[3], "-P\0\0\0\0\0\0\0", 9);

	OK(r, "-H", "h", "--authpass=secret3", "-U", "u", WITH_AUTH);
	assert_string_equal(LIB(r)->auth_pass, "secret3");
	assert_memory_equal(r->argv[3], "--authpass=\0\0\0\0\0\0\0", 18);
	/* the other arguments are left alone */
	assert_string_equal(r->argv[4], "-U");
	assert_string_equal(r->argv[5], "u");

	/* the last -P wins */
	OK(r, "-H", "h", "-P", "one", "-P", "two", WITH_AUTH);
	assert_string_equal(LIB(r)->auth_pass, "two");
	assert_memory_equal(r->argv[4], "\0\0\0", 3);
}

static void
test_env_password(void **state)
{
	struct run *r = *state;

	setenv("SMTP_PROBE_PASSWORD", "envsecret", 1);
	OK(r, "-H", "h", "-U", "u", WITH_AUTH);
	assert_string_equal(LIB(r)->auth_pass, "envsecret");
	OK(r, "-H", "h", "-U", "u", "-P", "cli", WITH_AUTH);
	assert_string_equal(LIB(r)->auth_pass, "cli");
	OK(r, "-H", "h", "-A", "PLAIN", "-U", "u", "-S");
	setenv("SMTP_PROBE_PASSWORD", "bad\rsecret", 1);
	BAD(r, "SMTP_PROBE_PASSWORD contains CR, LF or NUL", "-H", "h");
	setenv("SMTP_PROBE_PASSWORD", "", 1); /* as Icinga 2 sets an unused env entry */
	OK(r, "-H", "h", "-U", "u");
	assert_null(LIB(r)->auth_pass);
	BAD(r, "needs -U USER and a password", "-H", "h", WITH_AUTH);
	unsetenv("SMTP_PROBE_PASSWORD");
	OK(r, "-H", "h");
	assert_null(LIB(r)->auth_pass);
}

static void
test_authfile(void **state)
{
	struct run *r = *state;
	char path[64], arg[80];

	temp_text(path, "# probe account\nusername=probe@example.org\n\npassword = p@ss word\r\n");
	snprintf(arg, sizeof arg, "--authfile=%s", path);
	OK(r, "-H", "h", "-A", "LOGIN", arg, "-S");
	assert_string_equal(LIB(r)->auth_user, "probe@example.org");
	assert_string_equal(LIB(r)->auth_pass, "p@ss word");
	/* -U and -P win over the file, before or after it */
	OK(r, "-H", "h", "-U", "other", arg, "-P", "cli", "-A", "PLAIN", "-S");
	assert_string_equal(LIB(r)->auth_user, "other");
	assert_string_equal(LIB(r)->auth_pass, "cli");
	/* the file wins over the environment */
	setenv("SMTP_PROBE_PASSWORD", "envsecret", 1);
	OK(r, "-H", "h", arg, "-A", "PLAIN", "-S");
	assert_string_equal(LIB(r)->auth_pass, "p@ss word");
	unsetenv("SMTP_PROBE_PASSWORD");

	assert_int_equal(chmod(path, 0644), 0);
	BAD(r, "readable by everyone", "-H", "h", arg);
	unlink(path);
	BAD(r, "cannot read", "-H", "h", arg);

	static const struct { const char *text; size_t len; const char *msg; } bad[] = {
		{ "password=a\0b\n", 13, "NUL" },
		{ "password=a\rb\n", 13, "--authfile contains CR, LF or NUL" },
		{ "username=u\npasswort=x\n", 22, "unknown key" },
		{ "just a line\n", 12, "not key=value" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		temp_file(path, bad[i].text, bad[i].len, 0600);
		snprintf(arg, sizeof arg, "--authfile=%s", path);
		BAD(r, bad[i].msg, "-H", "h", arg);
		unlink(path);
	}
	BAD(r, "not a regular file", "-H", "h", "--authfile", "/tmp");
}

static void
test_body_file(void **state)
{
	struct run *r = *state;
	char path[64], arg[80];
	const size_t big = 1024 * 1024;
	char *data = calloc(1, big + 1);

	assert_non_null(data);
	temp_text(path, "line 1\n.\nline 3\n");
	snprintf(arg, sizeof arg, "@%s", path);
	OK(r, "-H", "h", "--body", arg);
	assert_int_equal(LIB(r)->bodylen, 16);
	assert_memory_equal(LIB(r)->body, "line 1\n.\nline 3\n", 16);
	unlink(path);
	BAD(r, "--body", "-H", "h", "--body", arg);

	temp_file(path, "a\0b", 3, 0600);
	snprintf(arg, sizeof arg, "@%s", path);
	BAD(r, "NUL", "-H", "h", "--body", arg);
	unlink(path);

	/* exactly 1 MiB is fine, a byte more is not */
	memset(data, 'x', big + 1);
	temp_file(path, data, big, 0644);
	snprintf(arg, sizeof arg, "@%s", path);
	OK(r, "-H", "h", "--body", arg);
	assert_int_equal(LIB(r)->bodylen, big);
	unlink(path);
	temp_file(path, data, big + 1, 0644);
	snprintf(arg, sizeof arg, "@%s", path);
	BAD(r, "larger than", "-H", "h", "--body", arg);
	unlink(path);
	free(data);

	/* an empty file is an empty body; the last --body wins */
	temp_text(path, "");
	snprintf(arg, sizeof arg, "@%s", path);
	OK(r, "-H", "h", "--body", "first", "--body", arg);
	assert_int_equal(LIB(r)->bodylen, 0);
	assert_non_null(LIB(r)->body);
	unlink(path);
}

/* ------------------------------------------------------------ --extra-opts */

static const char ini_text[] =
	"; monitoring-plugins ini\n"
	"port=1\n"
	"[other]\n"
	"port=2\n"
	"\n"
	"[check_smtp_probe]\n"
	"  hostname = ini.example.org  \n"
	"port=2525\n"
	"rcpt=ini@example.org\n"
	"# a comment\n"
	"lmtp\n"
	"authpass=ini#secret;x\n"
	"\n"
	"[special]\n"
	"hostname=special.example.org\n"
	"verbose\n"
	"[ check_smtp_probe ]\n"
	"verbose\n";

static void
test_extra_opts_file(void **state)
{
	struct run *r = *state;
	char path[64], arg[120];

	temp_text(path, ini_text);
	snprintf(arg, sizeof arg, "--extra-opts=@%s", path);
	OK(r, arg, WITH_AUTH); /* the password reaches the library with AUTH only */
	assert_int_equal(LIB(r)->hosts.n, 1);
	assert_string_equal(LIB(r)->hosts.v[0], "ini.example.org");
	assert_int_equal(LIB(r)->port, 2525);
	assert_true(LIB(r)->lmtp);
	assert_int_equal(LIB(r)->rcpts.n, 1);
	assert_string_equal(LIB(r)->auth_pass, "ini#secret;x");
	assert_int_equal(r->cfg.verbose, 1); /* the section's second part counts too */

	/* the command line wins for single values; lists add up, ini first */
	OK(r, "-p", "25", "--rcpt", "cli@example.org", arg, "-H", "cli.example.org");
	assert_int_equal(LIB(r)->port, 25);
	assert_int_equal(LIB(r)->hosts.n, 1);
	assert_string_equal(LIB(r)->hosts.v[0], "cli.example.org");
	assert_int_equal(LIB(r)->rcpts.n, 2);
	assert_string_equal(LIB(r)->rcpts.v[0], "ini@example.org");
	assert_string_equal(LIB(r)->rcpts.v[1], "cli@example.org");
	/* several -H on the command line: all of them, the ini's dropped */
	OK(r, arg, "-H", "a.example.org", "-H", "b.example.org");
	assert_int_equal(LIB(r)->hosts.n, 2);
	assert_string_equal(LIB(r)->hosts.v[0], "a.example.org");
	assert_string_equal(LIB(r)->hosts.v[1], "b.example.org");

	snprintf(arg, sizeof arg, "--extra-opts=special@%s", path);
	OK(r, arg);
	assert_int_equal(LIB(r)->hosts.n, 1);
	assert_string_equal(LIB(r)->hosts.v[0], "special.example.org");
	assert_int_equal(LIB(r)->port, 0);
	assert_int_equal(r->cfg.verbose, 1);

	snprintf(arg, sizeof arg, "--extra-opts=missing@%s", path);
	BAD(r, "no section [missing]", arg);
	snprintf(arg, sizeof arg, "--extra-opts=@%s.none", path);
	BAD(r, "cannot read", arg);
	BAD(r, "empty file name", "--extra-opts=special@");
	/* abbreviated, it would be read after the command line: refused */
	snprintf(arg, sizeof arg, "--extra=@%s", path);
	BAD(r, "spelled out", "-H", "h", arg);
	unlink(path);
}

static void
test_extra_opts_search(void **state)
{
	struct run *r = *state;
	char path[64];

	temp_text(path, ini_text);
	setenv("MP_CONFIG_FILE", path, 1);
	OK(r, "--extra-opts");
	assert_int_equal(LIB(r)->hosts.n, 1);
	assert_string_equal(LIB(r)->hosts.v[0], "ini.example.org");
	OK(r, "--extra-opts=special", "-v");
	assert_int_equal(LIB(r)->hosts.n, 1);
	assert_string_equal(LIB(r)->hosts.v[0], "special.example.org");
	assert_int_equal(r->cfg.verbose, 2);
	/* two of them: both sections, in order */
	OK(r, "--extra-opts=special", "--extra-opts=other");
	assert_int_equal(LIB(r)->port, 2);
	/* after "--" it is no option */
	BAD(r, "unexpected argument", "-H", "h", "--", "--extra-opts");
	unsetenv("MP_CONFIG_FILE");
	unlink(path);
}

static void
test_extra_opts_bad_ini(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "[check_smtp_probe]\nbogus-option=1\n", "unknown or ambiguous option --bogus-option" },
		{ "[check_smtp_probe]\nport=0\nhostname=h\n", "-p/--port" },
		{ "[check_smtp_probe]\nhost name=h\n", "bad key" },
		{ "[check_smtp_probe\nhostname=h\n", "bad section line" },
		{ "[check_smtp_probe]\nextra-opts=x\n", "spelled out" },
		{ "[check_smtp_probe]\nrcpt=a\r@b\n", "--rcpt contains CR, LF or NUL" },
		{ "[other]\nhostname=h\n", "no section [check_smtp_probe]" },
	};
	struct run *r = *state;
	char path[64], arg[120];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		temp_text(path, bad[i].text);
		snprintf(arg, sizeof arg, "--extra-opts=@%s", path);
		BAD(r, bad[i].msg, arg);
		unlink(path);
	}
}

/* ------------------------------------------------------------ help */

static void
test_help_text(void **state)
{
	static const char *const names[] = {
		"Usage:", "--hostname", "--port", "--use-ipv4", "--use-ipv6", "--mx ",
		"--mx-policy", "--dns-server", "--expect ", "--fqdn", "--lmtp", "--no-pipelining", "--from",
		"--rcpt", "--notify", "--command", "--response", "--data", "--subject",
		"--header", "--body", "--quit-after", "--expect-reply", "--require-ext",
		"--ignore-quit-failure", "--starttls", "--tls", "--ssl", "--certificate",
		"--sni", "--insecure", "--ca-file", "--ca-path", "--tls-min", "--authtype",
		"--authuser", "--authpass", "--authfile", "--allow-plaintext-auth",
		"--proxy", "--warning", "--critical", "--timeout", "--verbose",
		"--transcript", "--output", "--extra-opts", "--help", "--version",
		"SMTP_PROBE_PASSWORD", "MP_CONFIG_FILE",
	};
	char path[64], *text;
	int saved = dup(1), fd;
	FILE *f;
	long len;

	temp_text(path, "");
	fd = open(path, O_WRONLY);
	assert_true(saved >= 0 && fd >= 0);
	fflush(stdout);
	dup2(fd, 1);
	sp_options_help();
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);

	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(path);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strstr(text, names[i]) == NULL)
			fail_msg("help lacks \"%s\"", names[i]);
	assert_int_equal(strncmp(text, "Usage: check_smtp_probe", 23), 0);
	free(text);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_target_options),
		T(test_dns_server),
		T(test_dialog_options),
		T(test_many_list_entries),
		T(test_tls_options),
		T(test_auth_and_proxy),
		T(test_output_options),
		T(test_crlf_refused),
		T(test_address_checks),
		T(test_host_and_fqdn_checks),
		T(test_header_checks),
		T(test_command_checks),
		T(test_missing_host),
		T(test_many_hosts),
		T(test_data_needs_from_and_rcpt),
		T(test_timeout_forms),
		T(test_notify_forms),
		T(test_expect_reply_forms),
		T(test_require_ext),
		T(test_quit_after),
		T(test_getopt_errors),
		T(test_output_on_error),
		T(test_library_refusals),
		T(test_port_and_targets),
		T(test_help_and_version),
		T(test_parse_repeatable),
		T(test_silent),
		T(test_password_blanked),
		T(test_env_password),
		T(test_authfile),
		T(test_body_file),
		T(test_extra_opts_file),
		T(test_extra_opts_search),
		T(test_extra_opts_bad_ini),
		T(test_help_text),
	};
#undef T

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
