/* SPDX-License-Identifier: MIT */
/*
 * opts.c - the options object: setters that copy and check every value
 * before it can reach the wire.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* RFC 5321 allows 512 octets for a command line; be generous but bounded. */
#define SP_ARG_MAX 1000

bool
sp_wire_safe(const char *s, size_t len)
{
	if (len > SP_ARG_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return false;
	return true;
}

int
sp_strv_add(struct sp_strv *sv, const char *s)
{
	char **v;
	char *copy;

	if ((copy = strdup(s)) == NULL)
		return -1;
	/* Room for 4, then doubled: a reply's lines arrive one by one. The
	 * capacity is implied by n (only this function grows a list). */
	if (sv->n == 0 || (sv->n >= 4 && (sv->n & (sv->n - 1)) == 0)) {
		if (sv->n > SIZE_MAX / (2 * sizeof(*v)) ||
		    (v = realloc(sv->v, (sv->n == 0 ? 4 : 2 * sv->n) * sizeof(*v))) == NULL) {
			free(copy);
			return -1;
		}
		sv->v = v;
	}
	sv->v[sv->n++] = copy;
	return 0;
}

void
sp_strv_free(struct sp_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static int
strv_dup(struct sp_strv *dst, const struct sp_strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (sp_strv_add(dst, src->v[i]) == -1)
			return -1;
	return 0;
}

/* Replaces *dst with a checked copy of @p s (NULL clears). */
unsigned
sp_opts_port(const smtpprobe_opts *o)
{
	if (o->port != 0)
		return o->port;
	return o->tls == SMTPPROBE_TLS_IMPLICIT ? SP_DEFAULT_TLS_PORT : SP_DEFAULT_PORT;
}

static int
set_str(char **dst, const char *s)
{
	char *copy = NULL;

	if (s != NULL) {
		if (!sp_wire_safe(s, strlen(s))) {
			errno = EINVAL;
			return -1;
		}
		if ((copy = strdup(s)) == NULL)
			return -1;
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static int
add_str(struct sp_strv *sv, const char *s)
{
	if (s == NULL || !sp_wire_safe(s, strlen(s))) {
		errno = EINVAL;
		return -1;
	}
	return sp_strv_add(sv, s);
}

/* Secrets leave no copy behind in freed memory. */
static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

smtpprobe_opts *
smtpprobe_opts_new(void)
{
	smtpprobe_opts *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->quit_after = SMTPPROBE_STAGE_COUNT;
	o->timeout_ms = SP_DEFAULT_TIMEOUT_MS;
	o->tls_verify = true;
	o->max_targets = SP_DEFAULT_MAX_TARGETS;
	if ((o->hosts_file = strdup("/etc/hosts")) == NULL) {
		free(o);
		return NULL;
	}
	return o;
}

void
smtpprobe_opts_free(smtpprobe_opts *o)
{
	if (o == NULL)
		return;
	sp_strv_free(&o->hosts);
	free(o->helo);
	free(o->from);
	sp_strv_free(&o->rcpts);
	free(o->notify);
	sp_strv_free(&o->commands);
	free(o->subject);
	sp_strv_free(&o->headers);
	free(o->body);
	free(o->dns_addr);
	free(o->hosts_file);
	free(o->mx_domain);
	free(o->ca_file);
	free(o->ca_dir);
	free(o->sni);
	free(o->auth_user);
	wipe_free(o->auth_pass);
	free(o);
}

smtpprobe_opts *
sp_opts_dup(const smtpprobe_opts *o)
{
	smtpprobe_opts *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	*c = *o;
	c->helo = c->from = c->notify = c->subject = NULL;
	c->body = c->dns_addr = c->hosts_file = c->mx_domain = NULL;
	c->ca_file = c->ca_dir = c->sni = c->auth_user = c->auth_pass = NULL;
	c->hosts = c->rcpts = c->commands = c->headers = (struct sp_strv){ 0 };
	if (strv_dup(&c->hosts, &o->hosts) || set_str(&c->helo, o->helo) ||
	    set_str(&c->from, o->from) || set_str(&c->notify, o->notify) ||
	    set_str(&c->subject, o->subject) ||
	    set_str(&c->dns_addr, o->dns_addr) ||
	    set_str(&c->hosts_file, o->hosts_file) ||
	    set_str(&c->mx_domain, o->mx_domain) ||
	    set_str(&c->ca_file, o->ca_file) || set_str(&c->ca_dir, o->ca_dir) ||
	    set_str(&c->sni, o->sni) || set_str(&c->auth_user, o->auth_user) ||
	    set_str(&c->auth_pass, o->auth_pass) ||
	    strv_dup(&c->rcpts, &o->rcpts) ||
	    strv_dup(&c->commands, &o->commands) ||
	    strv_dup(&c->headers, &o->headers))
		goto fail;
	if (o->body != NULL) {
		if ((c->body = malloc(o->bodylen + 1)) == NULL)
			goto fail;
		memcpy(c->body, o->body, o->bodylen + 1);
	}
	return c;
fail:
	smtpprobe_opts_free(c);
	return NULL;
}

smtpprobe_opts *
smtpprobe_opts_dup(const smtpprobe_opts *opts)
{
	if (opts == NULL) {
		errno = EINVAL;
		return NULL;
	}
	return sp_opts_dup(opts);
}

static bool
host_ok(const char *host)
{
	return host != NULL && *host != '\0' && strlen(host) <= 253 &&
	    sp_wire_safe(host, strlen(host));
}

int
smtpprobe_opts_set_host(smtpprobe_opts *o, const char *host, unsigned port)
{
	struct sp_strv one = { 0 };

	if (!host_ok(host) || port > 65535) {
		errno = EINVAL;
		return -1;
	}
	if (sp_strv_add(&one, host) == -1)
		return -1;
	sp_strv_free(&o->hosts);
	o->hosts = one;
	o->port = port;
	free(o->mx_domain);
	o->mx_domain = NULL;
	return 0;
}

int
smtpprobe_opts_add_host(smtpprobe_opts *o, const char *host)
{
	if (!host_ok(host) || o->mx_domain != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (o->hosts.n == SP_MAX_TARGETS_LIMIT) {
		errno = E2BIG;
		return -1;
	}
	return sp_strv_add(&o->hosts, host);
}

int
smtpprobe_opts_set_port(smtpprobe_opts *o, unsigned port)
{
	if (port > 65535) {
		errno = EINVAL;
		return -1;
	}
	o->port = port;
	return 0;
}

int
smtpprobe_opts_set_mx(smtpprobe_opts *o, const char *domain, unsigned port)
{
	if (domain == NULL || *domain == '\0' || strlen(domain) > 253 || port > 65535) {
		errno = EINVAL;
		return -1;
	}
	if (set_str(&o->mx_domain, domain) == -1)
		return -1;
	o->port = port;
	sp_strv_free(&o->hosts);
	return 0;
}

int
smtpprobe_opts_set_max_targets(smtpprobe_opts *o, unsigned n)
{
	if (n == 0 || n > SP_MAX_TARGETS_LIMIT) {
		errno = EINVAL;
		return -1;
	}
	o->max_targets = n;
	o->max_targets_set = true;
	return 0;
}

int
smtpprobe_opts_set_rdns(smtpprobe_opts *o, bool on, unsigned grace_ms)
{
	o->rdns = on;
	o->rdns_grace_ms = grace_ms;
	return 0;
}

/* The policy is about TLS with verified certificates: both come with it. */
int
smtpprobe_opts_set_mta_sts(smtpprobe_opts *o, bool on)
{
	o->mta_sts = on;
	if (on && o->tls == SMTPPROBE_TLS_NONE)
		o->tls = SMTPPROBE_TLS_STARTTLS;
	if (on)
		o->tls_verify = true;
	return 0;
}

int
smtpprobe_opts_set_tlsrpt(smtpprobe_opts *o, bool on)
{
	o->tlsrpt = on;
	return 0;
}

int
smtpprobe_opts_set_resolve_only(smtpprobe_opts *o, bool on)
{
	o->resolve_only = on;
	return 0;
}

int
smtpprobe_opts_set_family(smtpprobe_opts *o, smtpprobe_family family)
{
	if (family > SMTPPROBE_FAMILY_IPV6) {
		errno = EINVAL;
		return -1;
	}
	o->family = family;
	return 0;
}

int
smtpprobe_opts_set_helo_name(smtpprobe_opts *o, const char *name)
{
	return set_str(&o->helo, name);
}

int
smtpprobe_opts_set_lmtp(smtpprobe_opts *o, bool lmtp)
{
	o->lmtp = lmtp;
	return 0;
}

int
smtpprobe_opts_set_pipelining(smtpprobe_opts *o, bool pipelining)
{
	o->no_pipelining = !pipelining;
	return 0;
}

/* Addresses go inside <...>: angle brackets and blanks would break out. */
static bool
addr_ok(const char *a)
{
	return strpbrk(a, "<> \t") == NULL;
}

int
smtpprobe_opts_set_from(smtpprobe_opts *o, const char *addr)
{
	if (addr != NULL && !addr_ok(addr)) {
		errno = EINVAL;
		return -1;
	}
	return set_str(&o->from, addr);
}

int
smtpprobe_opts_add_rcpt(smtpprobe_opts *o, const char *addr)
{
	if (addr == NULL || *addr == '\0' || !addr_ok(addr)) {
		errno = EINVAL;
		return -1;
	}
	return add_str(&o->rcpts, addr);
}

int
smtpprobe_opts_set_notify(smtpprobe_opts *o, const char *notify)
{
	if (notify != NULL && strpbrk(notify, " \t") != NULL) {
		errno = EINVAL;
		return -1;
	}
	return set_str(&o->notify, notify);
}

int
smtpprobe_opts_add_command(smtpprobe_opts *o, const char *command)
{
	return add_str(&o->commands, command);
}

int
smtpprobe_opts_set_data(smtpprobe_opts *o, bool data)
{
	o->data = data;
	return 0;
}

int
smtpprobe_opts_set_subject(smtpprobe_opts *o, const char *subject)
{
	return set_str(&o->subject, subject);
}

int
smtpprobe_opts_add_header(smtpprobe_opts *o, const char *header)
{
	if (header == NULL || strchr(header, ':') == NULL) {
		errno = EINVAL;
		return -1;
	}
	return add_str(&o->headers, header);
}

int
smtpprobe_opts_set_body(smtpprobe_opts *o, const char *body, size_t len)
{
	char *copy = NULL;

	if (body != NULL) {
		if (memchr(body, '\0', len) != NULL) {
			errno = EINVAL;
			return -1;
		}
		if ((copy = malloc(len + 1)) == NULL)
			return -1;
		memcpy(copy, body, len);
		copy[len] = '\0';
	}
	free(o->body);
	o->body = copy;
	o->bodylen = body != NULL ? len : 0;
	return 0;
}

int
smtpprobe_opts_set_quit_after(smtpprobe_opts *o, smtpprobe_stage stage)
{
	switch (stage) {
	case SMTPPROBE_STAGE_BANNER:
	case SMTPPROBE_STAGE_EHLO:
	case SMTPPROBE_STAGE_STARTTLS:
	case SMTPPROBE_STAGE_AUTH:
	case SMTPPROBE_STAGE_MAIL:
	case SMTPPROBE_STAGE_RCPT:
	case SMTPPROBE_STAGE_COUNT:
		o->quit_after = stage;
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

int
smtpprobe_opts_set_expect_class(smtpprobe_opts *o, smtpprobe_stage stage, int klass)
{
	if (stage >= SMTPPROBE_STAGE_COUNT ||
	    (klass != 0 && klass != 2 && klass != 4 && klass != 5)) {
		errno = EINVAL;
		return -1;
	}
	o->expect[stage] = klass;
	return 0;
}

int
smtpprobe_opts_set_timeout_ms(smtpprobe_opts *o, unsigned ms)
{
	if (ms == 0) {
		errno = EINVAL;
		return -1;
	}
	o->timeout_ms = ms;
	return 0;
}

int
smtpprobe_opts_set_dns_server(smtpprobe_opts *o, const char *addr, unsigned port)
{
	if (port > 65535) {
		errno = EINVAL;
		return -1;
	}
	o->dns_port = port;
	return set_str(&o->dns_addr, addr);
}

int
smtpprobe_opts_set_hosts_file(smtpprobe_opts *o, const char *path)
{
	return set_str(&o->hosts_file, path != NULL && *path != '\0' ? path : NULL);
}

int
smtpprobe_opts_set_tls(smtpprobe_opts *o, smtpprobe_tls mode)
{
	if (mode > SMTPPROBE_TLS_IMPLICIT) {
		errno = EINVAL;
		return -1;
	}
	o->tls = mode;
	return 0;
}

int
smtpprobe_opts_set_tls_verify(smtpprobe_opts *o, bool verify)
{
	o->tls_verify = verify;
	return 0;
}

int
smtpprobe_opts_set_tls_lean_init(smtpprobe_opts *o, bool lean)
{
	o->tls_lean_init = lean;
	return 0;
}

int
smtpprobe_opts_set_ca(smtpprobe_opts *o, const char *file, const char *dir)
{
	if (set_str(&o->ca_file, file) == -1)
		return -1;
	return set_str(&o->ca_dir, dir);
}

int
smtpprobe_opts_set_sni(smtpprobe_opts *o, const char *name)
{
	if (name != NULL && (*name == '\0' || strlen(name) > 253 || strpbrk(name, " \t/") != NULL)) {
		errno = EINVAL;
		return -1;
	}
	return set_str(&o->sni, name);
}

int
smtpprobe_opts_set_tls_min(smtpprobe_opts *o, const char *version)
{
	/* OpenSSL's TLS1_x_VERSION values, spelt out to keep OpenSSL out of here. */
	static const struct { const char *name; int v; } versions[] = {
		{ "1.0", 0x0301 }, { "1.1", 0x0302 }, { "1.2", 0x0303 }, { "1.3", 0x0304 },
	};

	if (version == NULL) {
		o->tls_min = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(version, versions[i].name) == 0) {
			o->tls_min = versions[i].v;
			return 0;
		}
	errno = EINVAL;
	return -1;
}

int
smtpprobe_opts_set_auth(smtpprobe_opts *o, smtpprobe_auth mech, const char *user,
	const char *password)
{
	if (mech > SMTPPROBE_AUTH_CRAM_MD5 ||
	    (mech != SMTPPROBE_AUTH_NONE && (user == NULL || password == NULL))) {
		errno = EINVAL;
		return -1;
	}
	if (set_str(&o->auth_user, mech != SMTPPROBE_AUTH_NONE ? user : NULL) == -1)
		return -1;
	wipe_free(o->auth_pass);
	o->auth_pass = NULL;
	if (mech != SMTPPROBE_AUTH_NONE && set_str(&o->auth_pass, password) == -1)
		return -1;
	o->auth = mech;
	return 0;
}

int
smtpprobe_opts_set_proxy(smtpprobe_opts *o, int version)
{
	if (version < 0 || version > 2) {
		errno = EINVAL;
		return -1;
	}
	o->proxy = version;
	return 0;
}

int
smtpprobe_opts_set_dane(smtpprobe_opts *o, smtpprobe_dane mode)
{
	if ((unsigned)mode > SMTPPROBE_DANE_AUTO) {
		errno = EINVAL;
		return -1;
	}
	o->dane = mode;
	return 0;
}

/* Read back: thin, and safe on an out-of-range stage. */

unsigned smtpprobe_opts_port(const smtpprobe_opts *o) { return o->port; }
unsigned smtpprobe_opts_timeout_ms(const smtpprobe_opts *o) { return o->timeout_ms; }
size_t smtpprobe_opts_host_count(const smtpprobe_opts *o) { return o->hosts.n; }
const char *smtpprobe_opts_mx_domain(const smtpprobe_opts *o) { return o->mx_domain; }
unsigned smtpprobe_opts_max_targets(const smtpprobe_opts *o) { return o->max_targets; }
smtpprobe_dane smtpprobe_opts_dane(const smtpprobe_opts *o) { return o->dane; }

int
smtpprobe_opts_expect_class(const smtpprobe_opts *o, smtpprobe_stage stage)
{
	return (unsigned)stage < SMTPPROBE_STAGE_COUNT ? o->expect[stage] : 0;
}
