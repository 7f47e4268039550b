/* SPDX-License-Identifier: MIT */
/*
 * httpget.c - one HTTPS GET with evhttp over bufferevent_openssl; see
 * httpget.h. evhttp is given no DNS base: it connects to the address
 * literal our udns lookup found. Its callbacks run inside evhttp, which
 * still uses the connection after they return, so the end is deferred to
 * an event of ours that frees it.
 *
 * evhttp reports a failed connect or handshake as a response with code 0
 * and no errno or TLS detail; what the handshake showed comes from the
 * SSL's own callbacks (struct sp_tls_peer) and the filter's error queue.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "addr.h"
#include "httpcheck.h"
#include "httpget.h"
#include "resolve.h"
#include "tls.h"

#define HEADERS_MAX 8192  /* a policy server's headers need no more */

struct sp_httpget {
	struct sp_httpget_env env;
	char host[SP_NAME_MAX];
	char path[256];
	unsigned port;
	size_t max_body;
	sp_httpget_fn done;
	void *arg;
	int64_t start;
	struct sp_query *dq;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;          /* owned by evcon */
	struct event *fin;
	struct sp_tls_peer peer;
	enum evhttp_request_error req_error;
	bool req_failed, finished, called;
	struct sp_httpget_facts f;
};

/* Only printable ASCII of what the server sent goes into the facts. */
static void
printable(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src != NULL && src[i] != '\0' && i + 1 < len; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

static void
teardown(struct sp_httpget *g)
{
	if (g->dq != NULL) {
		struct sp_query *q = g->dq;

		g->dq = NULL;
		sp_query_cancel(g->env.rs, q);
	}
	if (g->evcon != NULL)
		evhttp_connection_free(g->evcon);   /* frees the bufferevent and SSL */
	g->evcon = NULL;
	g->bev = NULL;
}

/* The one end: facts completed, resources gone, the owner told. */
static void
finish(struct sp_httpget *g)
{
	if (g->called)
		return;
	g->finished = true;
	teardown(g);
	g->f.usec = sp_now_usec() - g->start;
	if (g->f.verify_code == 0)
		g->f.verify_code = g->peer.verify_code;
	if (g->f.verify_code != 0 && g->env.tls != NULL)
		printable(g->f.verify_text, sizeof(g->f.verify_text),
			g->env.tls->verify_text(g->f.verify_code));
	g->f.not_after = g->peer.not_after;
	g->called = true;
	g->done(g, g->arg);
}

static void
fin_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg);
}

static void
defer_finish(struct sp_httpget *g, smtpprobe_fetch outcome)
{
	if (g->finished)
		return;
	g->finished = true;
	g->f.outcome = outcome;
	event_active(g->fin, 0, 0);
}

/* No response: the connect, the handshake or evhttp's reading failed. */
static smtpprobe_fetch
failure_outcome(struct sp_httpget *g, int saved_errno)
{
	struct sp_tls_error te;

	if (g->peer.verify_code != 0)
		return SMTPPROBE_FETCH_CERT;
	if (g->req_failed) {
		switch (g->req_error) {
		case EVREQ_HTTP_TIMEOUT:
			return SMTPPROBE_FETCH_TIMEOUT;
		case EVREQ_HTTP_DATA_TOO_LONG:
			return SMTPPROBE_FETCH_TOO_LARGE;
		default:
			return SMTPPROBE_FETCH_PROTOCOL;
		}
	}
	memset(&te, 0, sizeof(te));
	if (g->bev != NULL)
		g->env.tls->filter_error(g->bev, &te);
	if (te.verify)
		return SMTPPROBE_FETCH_CERT;
	if (te.reason[0] != '\0' || g->peer.started) {
		printable(g->f.tls_error, sizeof(g->f.tls_error), te.reason);
		return SMTPPROBE_FETCH_TLS;
	}
	g->f.err = saved_errno;
	return SMTPPROBE_FETCH_CONNECT;
}

static void
take_body(struct sp_httpget *g, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = in != NULL ? evbuffer_get_length(in) : 0;

	if (len > g->max_body) {
		defer_finish(g, SMTPPROBE_FETCH_TOO_LARGE);
		return;
	}
	if ((g->f.body = malloc(len + 1)) == NULL) {
		g->f.err = ENOMEM;
		defer_finish(g, SMTPPROBE_FETCH_LOCAL);
		return;
	}
	evbuffer_remove(in, g->f.body, len);
	g->f.body[len] = '\0';
	g->f.len = len;
	defer_finish(g, SMTPPROBE_FETCH_OK);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct sp_httpget *g = arg;
	int saved_errno = errno;
	const char *ctype;
	smtpprobe_fetch outcome;

	if (g->finished)
		return;
	if (req == NULL || evhttp_request_get_response_code(req) == 0) {
		defer_finish(g, failure_outcome(g, saved_errno));
		return;
	}
	g->f.http_code = evhttp_request_get_response_code(req);
	ctype = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	printable(g->f.ctype, sizeof(g->f.ctype), ctype);
	outcome = sp_http_judge_response(g->f.http_code, ctype);
	if (outcome == SMTPPROBE_FETCH_OK)
		take_body(g, req);
	else
		defer_finish(g, outcome);
}

static void
request_error_cb(enum evhttp_request_error error, void *arg)
{
	struct sp_httpget *g = arg;

	g->req_failed = true;
	g->req_error = error;
}

/* @return 0 with the request sent on its way, or -1 (errno). */
static int
send_request(struct sp_httpget *g, const struct sockaddr_storage *ss)
{
	struct evhttp_request *req;
	struct evkeyvalq *h;
	struct ssl_st *ssl;
	char err[160];

	if (sp_addr_text(ss, g->f.addr, sizeof(g->f.addr)) == NULL ||
	    (ssl = g->env.tls->ssl_new(g->env.ctx, g->host, err, sizeof(err))) == NULL)
		return -1;
	if ((g->bev = g->env.tls->https_new(g->env.base, ssl, &g->peer)) == NULL) {
		g->env.tls->ssl_free(ssl);
		return -1;
	}
	g->evcon = evhttp_connection_base_bufferevent_new(g->env.base, NULL, g->bev,
		g->f.addr, (unsigned short)g->port);
	if (g->evcon == NULL) {
		bufferevent_free(g->bev);
		g->bev = NULL;
		return -1;
	}
	evhttp_connection_set_max_body_size(g->evcon, (ev_ssize_t)g->max_body);
	evhttp_connection_set_max_headers_size(g->evcon, HEADERS_MAX);
	if ((req = evhttp_request_new(request_cb, g)) == NULL)
		return -1;
	evhttp_request_set_error_cb(req, request_error_cb);
	h = evhttp_request_get_output_headers(req);
	if (evhttp_add_header(h, "Host", g->host) != 0 ||
	    evhttp_add_header(h, "User-Agent", PACKAGE_NAME "/" PACKAGE_VERSION) != 0 ||
	    evhttp_add_header(h, "Connection", "close") != 0) {
		evhttp_request_free(req);
		return -1;
	}
	/* On failure evhttp_make_request() has freed the request itself. */
	return evhttp_make_request(g->evcon, req, EVHTTP_REQ_GET, g->path);
}

static void
addrs_cb(void *arg, int status, const struct sp_addrs *addrs)
{
	struct sp_httpget *g = arg;

	g->dq = NULL;
	if (status == SP_DNS_CANCELLED || g->finished)
		return;
	if (status != 0 || addrs->n == 0) {
		g->f.dns_status = status != 0 ? status : SP_DNS_NODATA;
		defer_finish(g, SMTPPROBE_FETCH_DNS);
		return;
	}
	/* The first address, as senders try: one connect within the deadline. */
	if (send_request(g, &addrs->a[0]) == -1) {
		g->f.err = errno != 0 ? errno : ENOMEM;
		defer_finish(g, SMTPPROBE_FETCH_LOCAL);
	}
}

struct sp_httpget *
sp_httpget_start(const struct sp_httpget_env *env, const char *host, unsigned port,
	const char *path, size_t max_body, sp_httpget_fn done, void *arg)
{
	struct sp_httpget *g;

	if (strlen(host) >= SP_NAME_MAX || strlen(path) >= 256 || port == 0 || port > 65535) {
		errno = EINVAL;
		return NULL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->env = *env;
	snprintf(g->host, sizeof(g->host), "%s", host);
	snprintf(g->path, sizeof(g->path), "%s", path);
	g->port = port;
	g->max_body = max_body;
	g->done = done;
	g->arg = arg;
	g->start = sp_now_usec();
	g->f.usec = -1;
	if ((g->fin = event_new(env->base, -1, 0, fin_cb, g)) == NULL) {
		free(g);
		return NULL;
	}
	if (env->rs == NULL || env->tls == NULL || env->ctx == NULL)
		defer_finish(g, SMTPPROBE_FETCH_LOCAL);
	else if ((g->dq = sp_resolve_addrs(env->rs, host, env->family, true, addrs_cb, g)) == NULL) {
		g->f.err = errno;
		defer_finish(g, SMTPPROBE_FETCH_LOCAL);
	}
	return g;
}

void
sp_httpget_abort(struct sp_httpget *g, smtpprobe_fetch why)
{
	if (g->called)
		return;
	if (!g->finished)
		g->f.outcome = why;
	event_del(g->fin);
	finish(g);
}

const struct sp_httpget_facts *
sp_httpget_facts(const struct sp_httpget *g)
{
	return &g->f;
}

void
sp_httpget_free(struct sp_httpget *g)
{
	if (g == NULL)
		return;
	g->called = true;       /* no callback from here on */
	teardown(g);
	event_free(g->fin);
	free(g->f.body);
	free(g);
}
