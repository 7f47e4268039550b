/* SPDX-License-Identifier: MIT */
/*
 * httpget.h - one HTTPS GET in the transport layer, for the MTA-STS
 * policy (RFC 8461 3.3): the host's address from the library's own udns
 * resolver, TCP to that address literal, TLS with SNI and the certificate
 * verified for the host name, one request with that Host, libevent's evhttp
 * over bufferevent_openssl (the SSL from the TLS module, tls.h). It judges
 * nothing: it reports how the fetch ended as a type (httpcheck.c's rules
 * for the response), with the facts behind it and the body.
 */
#ifndef SP_HTTPGET_H
#define SP_HTTPGET_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

struct event_base;
struct sp_resolver;
struct sp_tls_ops;
struct ssl_ctx_st;
struct sp_httpget;

/* What a fetch needs from its owner; copied, so it may live on the stack. */
struct sp_httpget_env {
	struct event_base *base;
	struct sp_resolver *rs;          /* NULL: the fetch fails as LOCAL */
	const struct sp_tls_ops *tls;    /* NULL: the fetch fails as LOCAL */
	struct ssl_ctx_st *ctx;          /* the trust anchors in use */
	smtpprobe_family family;
};

/* How it went; the strings are "" when they do not apply. */
struct sp_httpget_facts {
	smtpprobe_fetch outcome;
	int http_code;           /* 0 when no response came */
	int dns_status;          /* the host's lookup, 0 when it gave addresses */
	int err;                 /* errno of a failed connect or local failure, 0 unknown */
	long verify_code;        /* X509_V_* of the failed verification, 0 if none */
	char verify_text[128];
	char tls_error[160];     /* OpenSSL's reason for a failed handshake */
	char ctype[128];         /* Content-Type as sent, made printable */
	char addr[SP_ADDR_MAX];  /* the address dialled */
	int64_t not_after;       /* the leaf certificate's notAfter, 0 if none seen */
	int64_t usec;            /* from the start to the end, -1 while running */
	char *body;              /* OK: the body, NUL-terminated; else NULL */
	size_t len;
};

/* Called once, from the event loop or from sp_httpget_abort(). */
typedef void (*sp_httpget_fn)(struct sp_httpget *g, void *arg);

/*
 * Starts GET https://@p host@p path on port @p port; a body longer than
 * @p max_body is TOO_LARGE. @return the fetch, or NULL (ENOMEM, EINVAL)
 * and then no callback.
 */
struct sp_httpget *sp_httpget_start(const struct sp_httpget_env *env, const char *host,
	unsigned port, const char *path, size_t max_body, sp_httpget_fn done, void *arg);
/* Ends a running fetch now with @p why (TIMEOUT); its callback runs before this returns. */
void sp_httpget_abort(struct sp_httpget *g, smtpprobe_fetch why);
/* @return the facts; final once the callback has run. */
const struct sp_httpget_facts *sp_httpget_facts(const struct sp_httpget *g);
/* Frees the fetch (aborting it quietly, with no callback, if still running). */
void sp_httpget_free(struct sp_httpget *g);

#endif
