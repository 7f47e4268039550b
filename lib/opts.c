/*
 * opts.c - the options object: setters that copy and check every value
 * before it can reach the wire.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
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
	if ((v = realloc(sv->v, (sv->n + 1) * sizeof(*v))) == NULL) {
		free(copy);
		return -1;
	}
	v[sv->n++] = copy;
	sv->v = v;
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

smtpprobe_opts *
smtpprobe_opts_new(void)
{
	smtpprobe_opts *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->quit_after = SMTPPROBE_STAGE_COUNT;
	o->timeout_ms = SP_DEFAULT_TIMEOUT_MS;
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
	free(o->host);
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
	free(o);
}

smtpprobe_opts *
sp_opts_dup(const smtpprobe_opts *o)
{
	smtpprobe_opts *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	*c = *o;
	c->host = c->helo = c->from = c->notify = c->subject = NULL;
	c->body = c->dns_addr = c->hosts_file = NULL;
	c->rcpts = c->commands = c->headers = (struct sp_strv){ 0 };
	if (set_str(&c->host, o->host) || set_str(&c->helo, o->helo) ||
	    set_str(&c->from, o->from) || set_str(&c->notify, o->notify) ||
	    set_str(&c->subject, o->subject) ||
	    set_str(&c->dns_addr, o->dns_addr) ||
	    set_str(&c->hosts_file, o->hosts_file) ||
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

int
smtpprobe_opts_set_host(smtpprobe_opts *o, const char *host, unsigned port)
{
	if (host == NULL || *host == '\0' || strlen(host) > 253 || port > 65535) {
		errno = EINVAL;
		return -1;
	}
	o->port = port;
	return set_str(&o->host, host);
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
