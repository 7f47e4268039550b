/* SPDX-License-Identifier: MIT */
/*
 * options.c - argv (and --extra-opts ini sections) -> a validated sp_config.
 *
 * check_smtp's option letters keep their meaning. Every value that can
 * reach the wire is checked here, before anything is sent: CR, LF or NUL in
 * one would let a command line inject SMTP commands. What the dialog needs
 * goes straight into the library's options through their setters, which
 * check it again (a setter's EINVAL is a usage error naming the option);
 * the configuration keeps only what the plugin judges or prints.
 *
 * Every string kept is a copy, so nothing depends on argv or on the ini
 * file buffers, which are wiped and freed before sp_options_parse()
 * returns. The parser prints nothing and never exits: main() decides what
 * to do with SP_HELP, SP_VERSION and SP_USAGE_ERROR.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "extraopts.h"
#include "regexguard.h"
#include "secret.h"

/* What reverse DNS may add to a check whose dialogs are done, when only shown. */
#define RDNS_SHOWN_GRACE_MS 500

#define HOST_MAX 253               /* RFC 1035 name length in text form */
#define MAX_HOSTS 1024             /* -H: smtpprobe_opts_add_host()'s E2BIG */
#define ADDR_MAX 254               /* RFC 5321 path is 256 octets with <> */
#define COMMAND_MAX 510            /* RFC 5321 command line is 512 with CRLF */
#define TIMEOUT_MAX_S 3600
#define CERT_DAYS_MAX 100000

/* Values of long options that have no short letter: above any char. */
enum {
	OPT_RCPT = 256, OPT_NOTIFY, OPT_DATA, OPT_SUBJECT, OPT_HEADER, OPT_BODY,
	OPT_QUIT_AFTER, OPT_EXPECT_REPLY, OPT_REQUIRE_EXT, OPT_TRANSCRIPT,
	OPT_OUTPUT, OPT_EXTRA_OPTS, OPT_SNI, OPT_INSECURE, OPT_CA_FILE,
	OPT_CA_PATH, OPT_TLS_MIN, OPT_AUTHFILE, OPT_ALLOW_PLAINTEXT,
	OPT_MX_POLICY, OPT_DNS_SERVER, OPT_MAX_TARGETS, OPT_REQUIRE_FCRDNS,
	OPT_NO_PIPELINING, OPT_DANE,
};

/* ':' first: getopt reports a missing argument as ':' and prints nothing. */
static const char short_options[] = ":H:p:46e:F:Lf:C:R:qw:c:t:vhVSsD:A:U:P:r::M:";

static const struct option long_options[] = {
	{ "hostname", required_argument, NULL, 'H' },
	{ "port", required_argument, NULL, 'p' },
	{ "use-ipv4", no_argument, NULL, '4' },
	{ "use-ipv6", no_argument, NULL, '6' },
	{ "mx", required_argument, NULL, 'M' },
	{ "mx-policy", required_argument, NULL, OPT_MX_POLICY },
	{ "dns-server", required_argument, NULL, OPT_DNS_SERVER },
	{ "max-targets", required_argument, NULL, OPT_MAX_TARGETS },
	{ "require-fcrdns", no_argument, NULL, OPT_REQUIRE_FCRDNS },
	{ "expect", required_argument, NULL, 'e' },
	{ "fqdn", required_argument, NULL, 'F' },
	{ "lmtp", no_argument, NULL, 'L' },
	{ "no-pipelining", no_argument, NULL, OPT_NO_PIPELINING },
	{ "from", required_argument, NULL, 'f' },
	{ "rcpt", required_argument, NULL, OPT_RCPT },
	{ "notify", required_argument, NULL, OPT_NOTIFY },
	{ "command", required_argument, NULL, 'C' },
	{ "response", required_argument, NULL, 'R' },
	{ "data", no_argument, NULL, OPT_DATA },
	{ "subject", required_argument, NULL, OPT_SUBJECT },
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "body", required_argument, NULL, OPT_BODY },
	{ "quit-after", required_argument, NULL, OPT_QUIT_AFTER },
	{ "expect-reply", required_argument, NULL, OPT_EXPECT_REPLY },
	{ "require-ext", required_argument, NULL, OPT_REQUIRE_EXT },
	{ "ignore-quit-failure", no_argument, NULL, 'q' },
	{ "starttls", no_argument, NULL, 'S' },
	{ "tls", no_argument, NULL, 's' },
	{ "ssl", no_argument, NULL, 's' },
	{ "certificate", required_argument, NULL, 'D' },
	{ "sni", optional_argument, NULL, OPT_SNI },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "dane", optional_argument, NULL, OPT_DANE },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "ca-path", required_argument, NULL, OPT_CA_PATH },
	{ "tls-min", required_argument, NULL, OPT_TLS_MIN },
	{ "authtype", required_argument, NULL, 'A' },
	{ "authuser", required_argument, NULL, 'U' },
	{ "authpass", required_argument, NULL, 'P' },
	{ "authfile", required_argument, NULL, OPT_AUTHFILE },
	{ "allow-plaintext-auth", no_argument, NULL, OPT_ALLOW_PLAINTEXT },
	{ "proxy", optional_argument, NULL, 'r' },
	{ "warning", required_argument, NULL, 'w' },
	{ "critical", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "transcript", required_argument, NULL, OPT_TRANSCRIPT },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "extra-opts", optional_argument, NULL, OPT_EXTRA_OPTS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/*
 * The state of one sp_options_parse() call. Besides the configuration it
 * fills, it notes which options the command line gave, for the checks
 * across options once getopt is done, and holds the parts of the two
 * library calls that take several options at once: smtpprobe_opts_set_ca()
 * (--ca-file, --ca-path) and smtpprobe_opts_set_auth() (-A, -U, -P,
 * --authfile, SMTP_PROBE_PASSWORD; the password wiped when done).
 */
struct parser {
	struct sp_config *cfg;
	smtpprobe_opts *o;      /* cfg->lib */
	char *err;
	size_t errlen;
	bool failed;            /* err holds the first error; only --output is still read */
	char name[48];          /* "-H/--hostname" of the option at hand, for messages */
	struct sp_strlist ini;  /* "--key=value" strings from ini files (owned, wiped) */
	struct sp_strlist args; /* the argv getopt runs over; entries not owned */
	bool cli_hosts;         /* a -H of the command line has replaced the ini's */
	bool bare_sni;          /* --sni without =NAME: a NAME after a space is a stray word */

	/* given on the command line (or the ini), for the checks across options */
	bool host, mx, starttls, tls, data, from, plaintext_auth;
	bool insecure, literal; /* --insecure; a -H or -M that is an IP literal */
	smtpprobe_dane dane;
	size_t rcpts, commands;

	/* parts of one library call each; strings point into args, except the password */
	const char *ca_file, *ca_path;
	smtpprobe_auth auth_mech;
	const char *auth_user, *authfile;
	char *auth_pass;        /* -P (owned: argv's is blanked), wiped */
	struct sp_authfile af;  /* --authfile's text, wiped */
	const char *user, *pass; /* what AUTH will use, once the secrets are read */
};

/* ------------------------------------------------------------ small helpers */

/* Keeps the first error: a later one is often only its consequence. */
__attribute__((format(printf, 2, 3)))
static int
fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (!ps->failed && ps->err != NULL && ps->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->errlen, fmt, ap);
		va_end(ap);
	}
	ps->failed = true;
	return -1;
}

/*
 * A library setter's result. EINVAL (the library refuses what the plugin's
 * own checks let through, such as a 2000-byte --subject) names the option
 * and quotes @p arg unless it is NULL (a secret); anything else is memory.
 */
static int
lib_set(struct parser *ps, int rc, const char *arg)
{
	if (rc == 0)
		return 0;
	if (errno != EINVAL)
		return fail(ps, "out of memory");
	if (arg == NULL)
		return fail(ps, "%s: value not accepted", ps->name);
	return fail(ps, "%s: \"%s\" is not accepted", ps->name, arg);
}

static const struct option *
option_by_val(int val)
{
	for (const struct option *o = long_options; o->name != NULL; o++)
		if (o->val == val)
			return o;
	return NULL;
}

/* "-H/--hostname", "--rcpt": how messages name an option. */
static void
set_name(struct parser *ps, int val)
{
	const struct option *o = option_by_val(val);

	if (o == NULL)
		snprintf(ps->name, sizeof ps->name, "-%c", val);
	else if (val < 256)
		snprintf(ps->name, sizeof ps->name, "-%c/--%s", val, o->name);
	else
		snprintf(ps->name, sizeof ps->name, "--%s", o->name);
}

/* Replaces an owned string field; the old value is freed. */
static int
set_str(struct parser *ps, const char **field, const char *value)
{
	char *d = strdup(value);

	if (d == NULL)
		return fail(ps, "out of memory");
	free((char *)*field);
	*field = d;
	return 0;
}

static bool
has_crlf(const char *s, size_t len)
{
	return memchr(s, '\r', len) != NULL || memchr(s, '\n', len) != NULL ||
		memchr(s, '\0', len) != NULL;
}

/* The one check every wire-bound value passes: no CR, LF or NUL. */
static int
check_wire(struct parser *ps, const char *s)
{
	if (has_crlf(s, strlen(s)))
		return fail(ps, "%s contains CR, LF or NUL", ps->name);
	return 0;
}

/* Parses a decimal integer in [min, max]; digits only, no sign or spaces. */
static int
parse_uint(const char *s, size_t len, unsigned long min, unsigned long max,
	unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -1; /* also stops any overflow */
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------ validators */

static bool
is_ldh(char c)
{
	return isalnum((unsigned char)c) || c == '-';
}

/* -H, -M, --sni: a name or IP literal: printable, no spaces, <= 253 chars. */
static int
check_host(struct parser *ps, const char *s)
{
	size_t len = strlen(s);

	if (check_wire(ps, s) < 0)
		return -1;
	if (len == 0 || len > HOST_MAX)
		return fail(ps, "%s: host name empty or longer than %d", ps->name, HOST_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return fail(ps, "%s: space or control character in host name", ps->name);
	return 0;
}

/* An IP address as -H takes it ("192.0.2.1", "2001:db8::1"). */
static bool
is_ip(const char *s)
{
	unsigned char bin[16];

	return inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1;
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]", RFC 5321's address literals. */
static bool
is_address_literal(const char *s, size_t len)
{
	char buf[64];
	unsigned char bin[16];

	if (len < 3 || s[0] != '[' || s[len - 1] != ']' || len - 2 >= sizeof buf)
		return false;
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0)
		return inet_pton(AF_INET6, buf + 5, bin) == 1;
	return inet_pton(AF_INET, buf, bin) == 1;
}

/* -F: a domain (letters, digits, '-', '.') or an address literal. */
static int
check_fqdn(struct parser *ps, const char *s)
{
	size_t len = strlen(s);

	if (check_wire(ps, s) < 0)
		return -1;
	if (len == 0 || len > HOST_MAX)
		return fail(ps, "%s: name empty or longer than %d", ps->name, HOST_MAX);
	if (s[0] == '[')
		return is_address_literal(s, len) ? 0
			: fail(ps, "%s: bad address literal \"%s\"", ps->name, s);
	for (size_t i = 0; i < len; i++) {
		bool label_end = i + 1 == len || s[i + 1] == '.';

		/* letters, digits and '-', in dot-separated labels none of them empty */
		if ((s[i] == '.' && (i == 0 || label_end)) || (!is_ldh(s[i]) && s[i] != '.'))
			return fail(ps, "%s: \"%s\" is not a domain name", ps->name, s);
	}
	return 0;
}

/* --from, --rcpt: no CR/LF, no '<', '>' or spaces; RCPT needs an '@'. */
static int
check_address(struct parser *ps, const char *s, bool need_at)
{
	size_t len = strlen(s);

	if (check_wire(ps, s) < 0)
		return -1;
	if (len > ADDR_MAX)
		return fail(ps, "%s: address longer than %d", ps->name, ADDR_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f || s[i] == '<' || s[i] == '>')
			return fail(ps, "%s: '<', '>', space or control character in address", ps->name);
	if (need_at && strchr(s, '@') == NULL)
		return fail(ps, "%s: \"%s\" has no '@'", ps->name, s);
	return 0;
}

/* --header: "Name: value", the name printable without space or colon. */
static int
check_header(struct parser *ps, const char *s)
{
	const char *p = s;

	if (check_wire(ps, s) < 0)
		return -1;
	while (*p > ' ' && *p < 0x7f && *p != ':')
		p++;
	if (p == s || *p != ':')
		return fail(ps, "%s: \"%s\" is not \"Name: value\"", ps->name, s);
	return 0;
}

/* ------------------------------------------------------------ target */

/* @return true when @p arg lies in a "--key=value" string of an ini file. */
static bool
from_ini(const struct parser *ps, const char *arg)
{
	for (size_t i = 0; i < ps->ini.n; i++)
		if (arg >= ps->ini.v[i] && arg <= ps->ini.v[i] + strlen(ps->ini.v[i]))
			return true;
	return false;
}

/*
 * -H is repeatable: several hosts, checked at once. As for single values,
 * the command line wins over --extra-opts: its first -H drops the ini's.
 * A -p given before keeps its port.
 */
static int
opt_host(struct parser *ps, const char *arg)
{
	bool replace = smtpprobe_opts_host_count(ps->o) == 0;

	if (check_host(ps, arg) < 0)
		return -1;
	ps->literal |= is_ip(arg);
	if (!ps->cli_hosts && !from_ini(ps, arg)) {
		replace = true;
		ps->cli_hosts = true;
	}
	ps->host = true;
	if (replace)
		return lib_set(ps, smtpprobe_opts_set_host(ps->o, arg, smtpprobe_opts_port(ps->o)), arg);
	if (smtpprobe_opts_add_host(ps->o, arg) == 0)
		return 0;
	if (errno == E2BIG)
		return fail(ps, "%s: at most %d hosts", ps->name, MAX_HOSTS);
	return lib_set(ps, -1, arg);
}

static int
opt_mx(struct parser *ps, const char *arg)
{
	if (check_host(ps, arg) < 0)
		return -1;
	ps->literal |= is_ip(arg);
	ps->mx = true;
	return lib_set(ps, smtpprobe_opts_set_mx(ps->o, arg, smtpprobe_opts_port(ps->o)), arg);
}

static int
opt_port(struct parser *ps, const char *arg)
{
	unsigned long v;

	if (parse_uint(arg, strlen(arg), 1, 65535, &v) < 0)
		return fail(ps, "%s: \"%s\" is not a port (1-65535)", ps->name, arg);
	return lib_set(ps, smtpprobe_opts_set_port(ps->o, (unsigned)v), arg);
}

/* The library's own limit: more would be a port scan, not a check. */
#define MAX_TARGETS_LIMIT 1024

static int
opt_max_targets(struct parser *ps, const char *arg)
{
	unsigned long v;

	if (parse_uint(arg, strlen(arg), 1, MAX_TARGETS_LIMIT, &v) < 0)
		return fail(ps, "%s: \"%s\" is not a number of targets (1-%d)", ps->name, arg,
			MAX_TARGETS_LIMIT);
	return lib_set(ps, smtpprobe_opts_set_max_targets(ps->o, (unsigned)v), arg);
}

static int
opt_mx_policy(struct parser *ps, const char *arg)
{
	if (strcasecmp(arg, "worst") == 0)
		ps->cfg->mx_policy = SP_MX_WORST;
	else if (strcasecmp(arg, "any") == 0)
		ps->cfg->mx_policy = SP_MX_ANY;
	else if (strcasecmp(arg, "primary") == 0)
		ps->cfg->mx_policy = SP_MX_PRIMARY;
	else
		return fail(ps, "%s: \"%s\" is not worst, any or primary", ps->name, arg);
	return 0;
}

/* Splits "1.2.3.4", "1.2.3.4:53", "[::1]:53", "[::1]" or "::1". */
static int
split_dns_server(const char *arg, char *addr, size_t addrlen, const char **port)
{
	const char *end, *colon = strchr(arg, ':');
	size_t len;

	*port = NULL;
	if (arg[0] == '[') {
		end = strchr(arg, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -1;
		if (end[1] == ':')
			*port = end + 2;
		arg++;
	} else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		end = colon; /* one colon: IPv4 with a port */
		*port = colon + 1;
	} else {
		end = arg + strlen(arg); /* no colon, or a bare IPv6 address */
	}
	len = (size_t)(end - arg);
	if (len == 0 || len >= addrlen)
		return -1;
	memcpy(addr, arg, len);
	addr[len] = '\0';
	return 0;
}

static int
opt_dns_server(struct parser *ps, const char *arg)
{
	unsigned char bin[16];
	char addr[64];
	const char *port;
	unsigned long v = 0;

	if (split_dns_server(arg, addr, sizeof addr, &port) < 0 ||
	    (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1) ||
	    (arg[0] == '[' && strchr(addr, ':') == NULL) ||
	    (port != NULL && parse_uint(port, strlen(port), 1, 65535, &v) < 0))
		return fail(ps, "%s: \"%s\" is not ADDR[:PORT] with an IP address", ps->name, arg);
	return lib_set(ps, smtpprobe_opts_set_dns_server(ps->o, addr, (unsigned)v), arg);
}

/* ------------------------------------------------------------ dialog */

static int
opt_fqdn(struct parser *ps, const char *arg)
{
	if (check_fqdn(ps, arg) < 0)
		return -1;
	return lib_set(ps, smtpprobe_opts_set_helo_name(ps->o, arg), arg);
}

static int
opt_from(struct parser *ps, const char *arg)
{
	if (check_address(ps, arg, false) < 0)
		return -1;
	ps->from = true;
	return lib_set(ps, smtpprobe_opts_set_from(ps->o, arg), arg);
}

static int
opt_rcpt(struct parser *ps, const char *arg)
{
	if (check_address(ps, arg, true) < 0)
		return -1;
	ps->rcpts++;
	return lib_set(ps, smtpprobe_opts_add_rcpt(ps->o, arg), arg);
}

/* "SUCCESS,DELAY": any of SUCCESS, FAILURE and DELAY, each once. */
static bool
notify_list_ok(const char *p)
{
	static const char *const words[] = { "SUCCESS", "FAILURE", "DELAY" };
	bool seen[3] = { false, false, false };

	for (;;) {
		size_t n = strcspn(p, ","), w;

		for (w = 0; w < 3; w++)
			if (strlen(words[w]) == n && memcmp(p, words[w], n) == 0)
				break;
		if (w == 3 || seen[w])
			return false;
		seen[w] = true;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

/* --notify: "never" alone, or a list; upper-cased, as RFC 3461 writes them. */
static int
opt_notify(struct parser *ps, const char *arg)
{
	char buf[64];
	size_t len = strlen(arg);

	if (len == 0 || len >= sizeof buf)
		return fail(ps, "%s: \"%s\" is not success,failure,delay or never", ps->name, arg);
	for (size_t i = 0; i <= len; i++)
		buf[i] = (char)toupper((unsigned char)arg[i]);
	if (strcmp(buf, "NEVER") != 0 && !notify_list_ok(buf))
		return fail(ps, "%s: \"%s\" is not success,failure,delay or never", ps->name, arg);
	return lib_set(ps, smtpprobe_opts_set_notify(ps->o, buf), arg);
}

static int
opt_command(struct parser *ps, const char *arg)
{
	if (check_wire(ps, arg) < 0)
		return -1;
	if (arg[0] == '\0' || strlen(arg) > COMMAND_MAX)
		return fail(ps, "%s: command empty or longer than %d", ps->name, COMMAND_MAX);
	ps->commands++;
	return lib_set(ps, smtpprobe_opts_add_command(ps->o, arg), arg);
}

/* -R: compiled here, once: a bad regex is a usage error, not a surprise mid-dialog. */
static int
opt_response(struct parser *ps, const char *arg)
{
	struct sp_config *cfg = ps->cfg;
	struct sp_response *v;
	char msg[512];

	v = realloc(cfg->responses, (cfg->nresponses + 1) * sizeof *v);
	if (v == NULL)
		return fail(ps, "out of memory");
	cfg->responses = v;
	v += cfg->nresponses;
	if ((v->pattern = strdup(arg)) == NULL)
		return fail(ps, "out of memory");
	if (sp_regex_compile(ps->name, arg, &v->re, msg, sizeof msg) < 0) {
		free(v->pattern);
		return fail(ps, "%s", msg);
	}
	cfg->nresponses++;
	return 0;
}

static int
opt_subject(struct parser *ps, const char *arg)
{
	if (check_wire(ps, arg) < 0)
		return -1;
	return lib_set(ps, smtpprobe_opts_set_subject(ps->o, arg), arg);
}

static int
opt_header(struct parser *ps, const char *arg)
{
	if (check_header(ps, arg) < 0)
		return -1;
	return lib_set(ps, smtpprobe_opts_add_header(ps->o, arg), arg);
}

/* --body TEXT or @FILE (up to 1 MiB). */
static int
opt_body(struct parser *ps, const char *arg)
{
	char msg[512], *body;
	size_t len;
	int rc;

	if (arg[0] != '@')
		return lib_set(ps, smtpprobe_opts_set_body(ps->o, arg, strlen(arg)), NULL);
	if (sp_read_body(arg + 1, &body, &len, msg, sizeof msg) < 0)
		return fail(ps, "%s", msg);
	rc = lib_set(ps, smtpprobe_opts_set_body(ps->o, body, len), NULL);
	free(body);
	return rc;
}

/* --quit-after: only the stages after which QUIT makes sense (the library's list). */
static int
opt_quit_after(struct parser *ps, const char *arg)
{
	smtpprobe_stage st = smtpprobe_stage_from_name(arg);

	/* SMTPPROBE_STAGE_COUNT would be "none": not a name to accept */
	if (st == SMTPPROBE_STAGE_COUNT || smtpprobe_opts_set_quit_after(ps->o, st) == -1)
		return fail(ps, "%s: \"%s\" is not banner, ehlo, starttls, auth, mail or rcpt",
			ps->name, arg);
	return 0;
}

/* --expect-reply STAGE=CLASS, for the stages that get an SMTP reply. */
static int
opt_expect_reply(struct parser *ps, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char stage[16];
	smtpprobe_stage st = SMTPPROBE_STAGE_COUNT;

	if (eq != NULL && (size_t)(eq - arg) < sizeof stage) {
		memcpy(stage, arg, (size_t)(eq - arg));
		stage[eq - arg] = '\0';
		st = smtpprobe_stage_from_name(stage);
	}
	if (st == SMTPPROBE_STAGE_DNS || st == SMTPPROBE_STAGE_CONNECT ||
	    st == SMTPPROBE_STAGE_TLS)
		st = SMTPPROBE_STAGE_COUNT; /* no SMTP reply to judge there */
	if (st == SMTPPROBE_STAGE_COUNT)
		return fail(ps, "%s: \"%s\" is not STAGE=CLASS with a stage that gets a reply",
			ps->name, arg);
	/* one digit; 0 (the setter's "default") is no class to ask for */
	if (eq[1] < '1' || eq[1] > '9' || eq[2] != '\0' ||
	    smtpprobe_opts_set_expect_class(ps->o, st, eq[1] - '0') == -1)
		return fail(ps, "%s: \"%s\": the class is 2, 4 or 5", ps->name, arg);
	return 0;
}

/* --require-ext EXT[,EXT...]: EHLO keywords (RFC 5321: ALPHA/DIGIT, then '-'). */
static int
opt_require_ext(struct parser *ps, const char *arg)
{
	for (const char *p = arg;;) {
		size_t n = strcspn(p, ",");
		char *kw;

		if (n == 0 || !isalnum((unsigned char)p[0]))
			return fail(ps, "%s: \"%s\" is not a list of EHLO keywords", ps->name, arg);
		for (size_t i = 0; i < n; i++)
			if (!is_ldh(p[i]))
				return fail(ps, "%s: \"%s\" is not a list of EHLO keywords", ps->name, arg);
		kw = strndup(p, n);
		if (kw == NULL)
			return fail(ps, "out of memory");
		for (size_t i = 0; i < n; i++)
			kw[i] = (char)toupper((unsigned char)kw[i]);
		if (sp_strlist_push(&ps->cfg->require_ext, kw) < 0) {
			free(kw);
			return fail(ps, "out of memory");
		}
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

/* ------------------------------------------------------------ TLS */

/* -S and -s: each noted, for "exclude each other" once all are read. */
static int
opt_tls_mode(struct parser *ps, smtpprobe_tls mode)
{
	if (mode == SMTPPROBE_TLS_IMPLICIT)
		ps->tls = true;
	else
		ps->starttls = true;
	return lib_set(ps, smtpprobe_opts_set_tls(ps->o, mode), NULL);
}

/* --dane[=require|auto]: alone, require (SPEC 8). */
static int
opt_dane(struct parser *ps, const char *arg)
{
	if (arg == NULL || strcasecmp(arg, "require") == 0)
		ps->dane = SMTPPROBE_DANE_REQUIRE;
	else if (strcasecmp(arg, "auto") == 0)
		ps->dane = SMTPPROBE_DANE_AUTO;
	else
		return fail(ps, "%s: \"%s\" is not require or auto", ps->name, arg);
	return lib_set(ps, smtpprobe_opts_set_dane(ps->o, ps->dane), NULL);
}

/* -D WARN[,CRIT]: days; a lone WARN means CRIT 0, as check_smtp does. */
static int
opt_certificate(struct parser *ps, const char *arg)
{
	const char *comma = strchr(arg, ',');
	size_t wlen = comma != NULL ? (size_t)(comma - arg) : strlen(arg);
	unsigned long warn, crit = 0;

	if (parse_uint(arg, wlen, 0, CERT_DAYS_MAX, &warn) < 0 ||
	    (comma != NULL && parse_uint(comma + 1, strlen(comma + 1), 0, CERT_DAYS_MAX, &crit) < 0))
		return fail(ps, "%s: \"%s\" is not WARN[,CRIT] days", ps->name, arg);
	if (warn < crit)
		return fail(ps, "%s: \"%s\": WARN days must not be fewer than CRIT days",
			ps->name, arg);
	ps->cfg->cert_days_set = true;
	ps->cfg->cert_warn_days = (int)warn;
	ps->cfg->cert_crit_days = (int)crit;
	return 0;
}

static int
opt_sni(struct parser *ps, const char *arg)
{
	if (arg == NULL) {
		/* plain --sni: the default, the host name being checked */
		ps->bare_sni = true;
		return lib_set(ps, smtpprobe_opts_set_sni(ps->o, NULL), NULL);
	}
	if (check_host(ps, arg) < 0)
		return -1;
	return lib_set(ps, smtpprobe_opts_set_sni(ps->o, arg), arg);
}

static int
opt_tls_min(struct parser *ps, const char *arg)
{
	if (smtpprobe_opts_set_tls_min(ps->o, arg) == -1)
		return errno == EINVAL ? fail(ps, "%s: \"%s\" is not 1.0, 1.1, 1.2 or 1.3", ps->name, arg)
			: fail(ps, "out of memory");
	return 0;
}

/* A file name: not empty. */
static int
opt_path(struct parser *ps, const char *arg)
{
	if (arg[0] == '\0')
		return fail(ps, "%s: empty file name", ps->name);
	return 0;
}

/* --ca-file and --ca-path are one library call; each keeps the other's value. */
static int
opt_ca(struct parser *ps, const char **field, const char *arg)
{
	if (opt_path(ps, arg) < 0)
		return -1;
	*field = arg;
	return lib_set(ps, smtpprobe_opts_set_ca(ps->o, ps->ca_file, ps->ca_path), arg);
}

/* ------------------------------------------------------------ AUTH, PROXY */

static int
opt_authtype(struct parser *ps, const char *arg)
{
	static const struct { const char *name; smtpprobe_auth mech; } mechs[] = {
		{ "PLAIN", SMTPPROBE_AUTH_PLAIN },
		{ "LOGIN", SMTPPROBE_AUTH_LOGIN },
		{ "CRAM-MD5", SMTPPROBE_AUTH_CRAM_MD5 },
	};

	for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
		if (strcasecmp(arg, mechs[i].name) == 0) {
			ps->auth_mech = mechs[i].mech;
			return 0;
		}
	return fail(ps, "%s: \"%s\" is not PLAIN, LOGIN or CRAM-MD5", ps->name, arg);
}

static int
opt_authuser(struct parser *ps, const char *arg)
{
	if (check_wire(ps, arg) < 0)
		return -1;
	ps->auth_user = arg;
	return 0;
}

/*
 * -P: copied, then blanked where it was found -- in the caller's argv when
 * it came from the command line -- so ps(1) no longer shows it.
 */
static int
opt_authpass(struct parser *ps, char *arg)
{
	char *d = NULL;
	int rc = check_wire(ps, arg);

	if (rc == 0 && (d = strdup(arg)) == NULL)
		rc = fail(ps, "out of memory");
	if (rc == 0) {
		sp_wipe_free(ps->auth_pass);
		ps->auth_pass = d;
	}
	sp_wipe(arg);
	return rc;
}

static int
opt_proxy(struct parser *ps, const char *arg)
{
	int version;

	if (arg == NULL || strcasecmp(arg, "v1") == 0)
		version = 1;
	else if (strcasecmp(arg, "v2") == 0)
		version = 2;
	else
		return fail(ps, "%s: \"%s\" is not v1 or v2", ps->name, arg);
	return lib_set(ps, smtpprobe_opts_set_proxy(ps->o, version), arg);
}

/* ------------------------------------------------------------ judging, output */

static int
opt_level(struct parser *ps, struct sp_level *lvl, const char *arg)
{
	struct sp_level fresh;
	char msg[128];

	/* single-valued: a later -w (command line after ini) replaces the whole level */
	memset(&fresh, 0, sizeof fresh);
	if (sp_level_parse(arg, &fresh, msg, sizeof msg) < 0)
		return fail(ps, "%s: %s", ps->name, msg);
	*lvl = fresh;
	return 0;
}

/* SECONDS as "N[.FFF]" in (0, 3600], to milliseconds; digits beyond ms are cut. */
static int
parse_timeout_ms(const char *s, size_t len, unsigned *ms)
{
	const char *dot = memchr(s, '.', len);
	size_t ilen = dot != NULL ? (size_t)(dot - s) : len;
	unsigned long sec = 0, frac = 0, scale = 100;

	if (ilen > 0 && parse_uint(s, ilen, 0, TIMEOUT_MAX_S, &sec) < 0)
		return -1;
	if (dot == NULL ? ilen == 0 : (ilen == 0 && dot + 1 == s + len))
		return -1; /* no digits at all */
	for (const char *p = dot != NULL ? dot + 1 : s + len; p < s + len; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		frac += (unsigned long)(*p - '0') * scale;
		scale /= 10;
	}
	if (sec * 1000 + frac == 0 || sec * 1000 + frac > TIMEOUT_MAX_S * 1000UL)
		return -1;
	*ms = (unsigned)(sec * 1000 + frac);
	return 0;
}

/* A plugin state by name or number, as monitoring-plugins' -t accepts. */
static int
parse_state(const char *s, enum sp_state *out)
{
	static const char *const names[] = { "ok", "warning", "critical", "unknown" };

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, names[i]) == 0 || (s[0] == '0' + i && s[1] == '\0')) {
			*out = (enum sp_state)i;
			return 0;
		}
	}
	return -1;
}

/* -t SECONDS[:STATE] */
/* -t SECONDS[:STATE]: the library's deadline, and the state the plugin gives its expiry. */
static int
opt_timeout(struct parser *ps, const char *arg)
{
	const char *colon = strchr(arg, ':');
	size_t len = colon != NULL ? (size_t)(colon - arg) : strlen(arg);
	enum sp_state st = SP_CRITICAL;
	unsigned ms;

	if (parse_timeout_ms(arg, len, &ms) < 0)
		return fail(ps, "%s: \"%s\" is not SECONDS (0-%d, more than 0)[:STATE]",
			ps->name, arg, TIMEOUT_MAX_S);
	if (colon != NULL && parse_state(colon + 1, &st) < 0)
		return fail(ps, "%s: \"%s\": the state is ok, warning, critical or unknown",
			ps->name, arg);
	ps->cfg->timeout_state = st;
	return lib_set(ps, smtpprobe_opts_set_timeout_ms(ps->o, ms), arg);
}

static int
opt_output(struct parser *ps, const char *arg)
{
	if (strcasecmp(arg, "nagios") == 0)
		ps->cfg->output = SP_OUTPUT_NAGIOS;
	else if (strcasecmp(arg, "json") == 0)
		ps->cfg->output = SP_OUTPUT_JSON;
	else if (strcasecmp(arg, "lld") == 0)
		ps->cfg->output = SP_OUTPUT_LLD;
	else if (strcasecmp(arg, "prometheus") == 0)
		ps->cfg->output = SP_OUTPUT_PROMETHEUS;
	else
		return fail(ps, "%s: \"%s\" is not nagios, json, lld or prometheus", ps->name, arg);
	return 0;
}

/* ------------------------------------------------------------ dispatch */

#define NOT_MINE 1 /* a group's answer for an option of another group */

/* The target and the dialog: into the library's options. */
static int
dialog_option(struct parser *ps, int c, const char *arg)
{
	smtpprobe_opts *o = ps->o;

	switch (c) {
	case 'H': return opt_host(ps, arg);
	case 'M': return opt_mx(ps, arg);
	case 'p': return opt_port(ps, arg);
	case '4': return lib_set(ps, smtpprobe_opts_set_family(o, SMTPPROBE_FAMILY_IPV4), NULL);
	case '6': return lib_set(ps, smtpprobe_opts_set_family(o, SMTPPROBE_FAMILY_IPV6), NULL);
	case OPT_DNS_SERVER: return opt_dns_server(ps, arg);
	case OPT_MAX_TARGETS: return opt_max_targets(ps, arg);
	case 'F': return opt_fqdn(ps, arg);
	case 'L': return lib_set(ps, smtpprobe_opts_set_lmtp(o, true), NULL);
	case OPT_NO_PIPELINING: return lib_set(ps, smtpprobe_opts_set_pipelining(o, false), NULL);
	case 'f': return opt_from(ps, arg);
	case OPT_RCPT: return opt_rcpt(ps, arg);
	case OPT_NOTIFY: return opt_notify(ps, arg);
	case 'C': return opt_command(ps, arg);
	case OPT_DATA: ps->data = true; return lib_set(ps, smtpprobe_opts_set_data(o, true), NULL);
	case OPT_SUBJECT: return opt_subject(ps, arg);
	case OPT_HEADER: return opt_header(ps, arg);
	case OPT_BODY: return opt_body(ps, arg);
	case OPT_QUIT_AFTER: return opt_quit_after(ps, arg);
	case OPT_EXPECT_REPLY: return opt_expect_reply(ps, arg);
	default: return NOT_MINE;
	}
}

/* TLS, AUTH and PROXY: into the library's options (AUTH once all is read). */
static int
security_option(struct parser *ps, int c, char *arg)
{
	switch (c) {
	case 'S': return opt_tls_mode(ps, SMTPPROBE_TLS_STARTTLS);
	case 's': return opt_tls_mode(ps, SMTPPROBE_TLS_IMPLICIT);
	case OPT_INSECURE:
		ps->insecure = true;
		return lib_set(ps, smtpprobe_opts_set_tls_verify(ps->o, false), NULL);
	case OPT_DANE: return opt_dane(ps, arg);
	case OPT_SNI: return opt_sni(ps, arg);
	case OPT_CA_FILE: return opt_ca(ps, &ps->ca_file, arg);
	case OPT_CA_PATH: return opt_ca(ps, &ps->ca_path, arg);
	case OPT_TLS_MIN: return opt_tls_min(ps, arg);
	case 'A': return opt_authtype(ps, arg);
	case 'U': return opt_authuser(ps, arg);
	case 'P': return opt_authpass(ps, arg);
	case OPT_AUTHFILE: ps->authfile = arg; return opt_path(ps, arg);
	case OPT_ALLOW_PLAINTEXT: ps->plaintext_auth = true; return 0;
	case 'r': return opt_proxy(ps, arg);
	default: return NOT_MINE;
	}
}

/* What the plugin itself judges and prints: into the configuration. */
static int
plugin_option(struct parser *ps, int c, const char *arg)
{
	struct sp_config *cfg = ps->cfg;

	switch (c) {
	case 'e': return set_str(ps, &cfg->expect, arg);
	case 'R': return opt_response(ps, arg);
	case OPT_REQUIRE_EXT: return opt_require_ext(ps, arg);
	case 'q': cfg->ignore_quit_failure = true; return 0;
	case 'D': return opt_certificate(ps, arg);
	case OPT_REQUIRE_FCRDNS: cfg->require_fcrdns = true; return 0;
	case OPT_MX_POLICY: return opt_mx_policy(ps, arg);
	case 'w': return opt_level(ps, &cfg->warn, arg);
	case 'c': return opt_level(ps, &cfg->crit, arg);
	case 't': return opt_timeout(ps, arg);
	case 'v': cfg->verbose += cfg->verbose < INT_MAX; return 0;
	case OPT_TRANSCRIPT: return opt_path(ps, arg) < 0 ? -1 : set_str(ps, &cfg->transcript, arg);
	case OPT_OUTPUT: return opt_output(ps, arg);
	default: return NOT_MINE;
	}
}

/* @return 0, or -1 with a message. @p arg may be NULL for optional arguments. */
static int
handle_option(struct parser *ps, int c, char *arg)
{
	int rc;

	set_name(ps, c);
	if ((rc = dialog_option(ps, c, arg)) != NOT_MINE ||
	    (rc = security_option(ps, c, arg)) != NOT_MINE ||
	    (rc = plugin_option(ps, c, arg)) != NOT_MINE)
		return rc;
	if (c == OPT_EXTRA_OPTS) /* the exact spellings were taken out before getopt ran */
		return fail(ps, "--extra-opts must be spelled out in full on the command line");
	return fail(ps, "internal error: option %d not handled", c);
}

/*
 * getopt's '?' and ':' in words. A long option's value is never quoted back
 * ("--authpas=secret" would otherwise print the secret).
 */
static int
getopt_error(struct parser *ps, int c, char **argv)
{
	const struct option *o = optopt != 0 ? option_by_val(optopt) : NULL;
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	if (c == ':') {
		set_name(ps, optopt);
		return fail(ps, "%s needs an argument", ps->name);
	}
	if (o != NULL) {
		/* glibc: a long option that takes none was given "=value" */
		set_name(ps, optopt);
		return fail(ps, "%s takes no argument", ps->name);
	}
	if (optopt != 0)
		return fail(ps, "unknown option -%c", optopt);
	return fail(ps, "unknown or ambiguous option %.*s", (int)strcspn(arg, "="), arg);
}

/* ------------------------------------------------------------ after getopt */

/* ------------------------------------------------------------ after getopt */

/* The password and user for AUTH: -U and -P win over --authfile, the file over SMTP_PROBE_PASSWORD. */
static int
read_secrets(struct parser *ps)
{
	const char *env;
	char msg[512];

	if (ps->authfile != NULL &&
	    sp_authfile_read(ps->authfile, ps->auth_user == NULL, ps->auth_pass == NULL,
			&ps->af, msg, sizeof msg) < 0)
		return fail(ps, "%s", msg);
	ps->user = ps->auth_user != NULL ? ps->auth_user : ps->af.user;
	ps->pass = ps->auth_pass != NULL ? ps->auth_pass : ps->af.pass;
	if (ps->pass != NULL)
		return 0;
	if (sp_env_password(&env, msg, sizeof msg) < 0)
		return fail(ps, "%s", msg);
	ps->pass = env;
	return 0;
}

/* Checks that need the whole command line. */
static int
check_combination(struct parser *ps)
{
	if (!ps->host && !ps->mx)
		return fail(ps, "no host: give -H HOST or -M DOMAIN");
	if (ps->host && ps->mx)
		return fail(ps, "give -H HOST or -M DOMAIN, not both");
	if (ps->cfg->output == SP_OUTPUT_LLD && !ps->mx)
		return fail(ps, "--output lld lists the MX hosts of -M DOMAIN: give -M");
	if (ps->starttls && ps->tls)
		return fail(ps, "-S/--starttls and -s/--tls exclude each other");
	if (ps->data && (!ps->from || ps->rcpts == 0))
		return fail(ps, "--data needs -f/--from and at least one --rcpt");
	if (ps->cfg->nresponses > ps->commands)
		return fail(ps, "more -R/--response than -C/--command");
	if (ps->auth_mech != SMTPPROBE_AUTH_NONE && (ps->user == NULL || ps->pass == NULL))
		return fail(ps, "-A/--authtype needs -U USER and a password "
			"(-P, --authfile or SMTP_PROBE_PASSWORD)");
	return 0;
}

/* DANE authenticates a name by its certificate: it needs both, and STARTTLS unless -s. */
static int
check_dane(struct parser *ps)
{
	if (ps->insecure)
		return fail(ps, "--dane and --insecure exclude each other: DANE is certificate authentication");
	if (ps->literal)
		return fail(ps, "--dane needs a host name, not an IP address: TLSA records belong to names");
	if (ps->tls || ps->starttls)
		return 0;
	ps->starttls = true;
	return lib_set(ps, smtpprobe_opts_set_tls(ps->o, SMTPPROBE_TLS_STARTTLS), NULL);
}

/* What the plugin will not do, though each option alone is fine. */
static int
check_tls_needs(struct parser *ps)
{
	bool tls;

	if (ps->dane != SMTPPROBE_DANE_OFF && check_dane(ps) < 0)
		return -1;
	tls = ps->starttls || ps->tls;

	if (ps->auth_mech != SMTPPROBE_AUTH_NONE && !tls && !ps->plaintext_auth)
		return fail(ps, "AUTH without TLS refused: use -S or -s, or --allow-plaintext-auth");
	if (ps->cfg->cert_days_set && !tls)
		return fail(ps, "-D needs TLS: add -S (STARTTLS) or -s (implicit TLS)");
	return 0;
}

/*
 * The library calls that wait for the whole command line: AUTH, and reverse
 * DNS, looked up only where it is shown or judged (-v, json,
 * --require-fcrdns). It runs beside the dialogs; a slow reverse zone may
 * hold the end of the check only when it is judged (until the deadline),
 * else half a second. --output lld only resolves.
 */
static int
apply_pending(struct parser *ps)
{
	const struct sp_config *cfg = ps->cfg;
	bool rdns = (cfg->require_fcrdns || cfg->verbose > 0 || cfg->output == SP_OUTPUT_JSON) &&
	    cfg->output != SP_OUTPUT_LLD;

	set_name(ps, 'A');
	if (ps->auth_mech != SMTPPROBE_AUTH_NONE &&
	    lib_set(ps, smtpprobe_opts_set_auth(ps->o, ps->auth_mech, ps->user, ps->pass), NULL) < 0)
		return -1;
	if (smtpprobe_opts_set_rdns(ps->o, rdns, cfg->require_fcrdns ? 0 : RDNS_SHOWN_GRACE_MS) == -1 ||
	    smtpprobe_opts_set_resolve_only(ps->o, cfg->output == SP_OUTPUT_LLD) == -1)
		return fail(ps, "out of memory");
	return 0;
}

/*
 * The defaults are the library's (smtpprobe_opts_new()) but for OpenSSL's
 * lean initialisation: OpenSSL is ours alone, and the process ends with
 * the check.
 */
static int
set_defaults(struct parser *ps)
{
	struct sp_config *cfg = ps->cfg;

	memset(cfg, 0, sizeof *cfg);
	cfg->mx_policy = SP_MX_WORST;
	cfg->timeout_state = SP_CRITICAL;
	cfg->output = SP_OUTPUT_NAGIOS;
	cfg->lib = ps->o = smtpprobe_opts_new();
	if (cfg->lib == NULL || smtpprobe_opts_set_tls_lean_init(cfg->lib, true) == -1)
		return fail(ps, "out of memory");
	return 0;
}

/*
 * Makes the next getopt_long() start afresh, so that parsing can run more
 * than once in a process (tests do). glibc and musl reinitialise completely
 * when optind is 0 -- with 1, glibc would resume inside a short option
 * cluster ("-vx") left half-read by an earlier call. The BSDs want optind 1
 * and optreset instead.
 */
static void
reset_getopt(void)
{
#if defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || \
	defined(__DragonFly__) || defined(__APPLE__)
	optreset = 1;
	optind = 1;
#else
	optind = 0;
#endif
	opterr = 0; /* messages are ours, in err; nothing goes to stderr */
}

/*
 * After an error only --output is still read, so that the UNKNOWN goes out
 * in the format asked for; -P is still blanked.
 */
static void
after_error(struct parser *ps, int c, char *arg)
{
	if (c == OPT_OUTPUT && arg != NULL)
		(void)opt_output(ps, arg);
	else if (c == 'P' && arg != NULL)
		sp_wipe(arg);
}

static enum sp_action
run_getopt(struct parser *ps)
{
	int argc = (int)ps->args.n - 1; /* without the NULL */
	char **argv = ps->args.v;
	int c;

	reset_getopt();
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		if (ps->failed)
			after_error(ps, c, optarg);
		else if (c == 'h')
			return SP_HELP;
		else if (c == 'V')
			return SP_VERSION;
		else if (c == '?' || c == ':')
			getopt_error(ps, c, argv);
		else
			handle_option(ps, c, optarg);
	}
	if (!ps->failed && optind < argc)
		/* getopt's optional arguments take "=" only: say so. */
		fail(ps, "unexpected argument \"%s\"%s", argv[optind],
			ps->bare_sni ? " (a name for --sni goes after \"=\": --sni=NAME)" : "");
	return ps->failed ? SP_USAGE_ERROR : SP_RUN;
}

static void
parser_free(struct parser *ps)
{
	/* the ini strings may hold a password (--authpass=...): wiped */
	sp_strlist_free(&ps->ini, true);
	sp_strlist_free(&ps->args, false);
	sp_wipe_free(ps->auth_pass);
	sp_authfile_free(&ps->af);
}

enum sp_action
sp_options_parse(int argc, char **argv, struct sp_config *cfg, char *err, size_t errlen)
{
	struct parser ps = { .cfg = cfg, .err = err, .errlen = errlen };
	enum sp_action act = SP_USAGE_ERROR;
	char msg[512];

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	(void)set_defaults(&ps);
	if (sp_extraopts_argv(argc, argv, &ps.ini, &ps.args, msg, sizeof msg) < 0)
		fail(&ps, "%s", msg);
	if (ps.args.n > 0)
		act = run_getopt(&ps); /* after an error, still for --output */
	if (act == SP_RUN && (read_secrets(&ps) < 0 || check_combination(&ps) < 0 ||
			check_tls_needs(&ps) < 0 || apply_pending(&ps) < 0))
		act = SP_USAGE_ERROR;
	parser_free(&ps);
	if (act != SP_RUN)
		sp_config_free(cfg); /* safe to call again */
	return act;
}

void
sp_config_free(struct sp_config *cfg)
{
	if (cfg == NULL)
		return;
	smtpprobe_opts_free(cfg->lib); /* wipes the password */
	cfg->lib = NULL;
	free((char *)cfg->expect);
	cfg->expect = NULL;
	free((char *)cfg->transcript);
	cfg->transcript = NULL;
	for (size_t i = 0; i < cfg->nresponses; i++) {
		regfree(&cfg->responses[i].re);
		free(cfg->responses[i].pattern);
	}
	free(cfg->responses);
	cfg->responses = NULL;
	cfg->nresponses = 0;
	sp_strlist_free(&cfg->require_ext, true);
}
