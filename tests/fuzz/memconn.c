/* SPDX-License-Identifier: MIT */
/*
 * memconn.c - lib/transport.c's interface over memory, for fuzz_dialog.
 *
 * Linked in place of transport.c, so the state machine runs unchanged on
 * an event loop while the "server" is a script in memory: no sockets, no
 * kernel, thousands of dialogs a second. The harness hands bytes in with
 * memconn_feed() and reads what the client wrote from memconn_output().
 * A TLS switch is simulated: it succeeds or fails as the harness says; no
 * handshake runs (the SSL object stays unconnected).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <event2/event.h>
#include "memconn.h"
#include "tls.h"
#include "transport.h"

struct sp_conn {
	struct sp_conn_cb cb;
	void *arg;
	struct event *connect_ev;
	const struct sp_tls_ops *ops;
	struct ssl_st *ssl;
	bool stopped;
	struct memconn_out out;
};

/* The one connection of the current dialog (a dialog makes one). */
static struct sp_conn *current;
static bool tls_succeeds;

/* A pending TLS switch happens between reads, as transport.c does it. */
static void
switch_tls(struct sp_conn *c)
{
	if (c->ssl == NULL || c->out.tls_up)
		return;
	if (tls_succeeds) {
		c->out.tls_up = true;
		c->cb.tls_up(c->arg);
	} else {
		c->stopped = true;
		c->cb.failed(c->arg, EPROTO);
	}
}

static void
connected_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->stopped)
		return;
	c->cb.connected(c->arg);
	if (current == c && !c->stopped)
		switch_tls(c); /* implicit TLS starts from the connect callback */
}

struct sp_conn *
sp_conn_new(struct event_base *base, const struct sp_conn_cb *cb, void *arg)
{
	struct sp_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if ((c->connect_ev = event_new(base, -1, 0, connected_cb, c)) == NULL) {
		free(c);
		return NULL;
	}
	c->cb = *cb;
	c->arg = arg;
	current = c;
	return c;
}

int
sp_conn_connect(struct sp_conn *c, const struct sockaddr *sa, socklen_t len)
{
	(void)sa;
	(void)len;
	event_active(c->connect_ev, 0, 0);
	return 0;
}

int
sp_conn_write(struct sp_conn *c, const void *data, size_t len)
{
	char *b;

	if (c->stopped)
		c->out.late_writes++;
	if (c->out.len + len > MEMCONN_OUT_MAX)
		return -1; /* a client that writes without end is a finding too */
	if ((b = realloc(c->out.buf, c->out.len + len + 1)) == NULL)
		return -1;
	memcpy(b + c->out.len, data, len);
	c->out.len += len;
	b[c->out.len] = '\0';
	c->out.buf = b;
	c->out.writes++;
	return 0;
}

int
sp_conn_start_tls(struct sp_conn *c, const struct sp_tls_ops *ops, struct ssl_st *ssl)
{
	if (c->ssl != NULL) {
		ops->ssl_free(ssl);
		errno = EALREADY;
		return -1;
	}
	c->ops = ops;
	c->ssl = ssl;
	c->out.tls_starts++;
	return 0;
}

const struct sp_tls_error *
sp_conn_tls_error(const struct sp_conn *c)
{
	static const struct sp_tls_error none = { "", "", false };
	static const struct sp_tls_error failed = {
		"handshake failure (simulated)", "handshake failure (simulated)", false
	};

	(void)c;
	return tls_succeeds ? &none : &failed;
}

int
sp_conn_proxy_header(struct sp_conn *c, int version)
{
	static const char v1[] = "PROXY TCP4 127.0.0.1 127.0.0.1 40000 25\r\n";

	(void)version;
	return sp_conn_write(c, v1, sizeof(v1) - 1);
}

void
sp_conn_stop(struct sp_conn *c)
{
	c->stopped = true;
}

int
sp_conn_local(const struct sp_conn *c, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	(void)c;
	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(40000);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return 0;
}

void
sp_conn_free(struct sp_conn *c)
{
	if (c == NULL)
		return;
	if (current == c)
		current = NULL;
	event_free(c->connect_ev);
	if (c->ssl != NULL)
		c->ops->ssl_free(c->ssl);
	free(c->out.buf);
	free(c);
}

/* ------------------------------------------------------------ the harness's side */

void
memconn_set_tls(bool succeeds)
{
	tls_succeeds = succeeds;
}

bool
memconn_feed(const char *data, size_t len)
{
	struct sp_conn *c = current;

	if (c == NULL || c->stopped)
		return false;
	if (len == 0) {
		c->stopped = true;
		c->cb.failed(c->arg, 0); /* the server closed */
		return false;
	}
	c->cb.input(c->arg, data, len);
	if (current == c && !c->stopped)
		switch_tls(c);
	return current == c && !c->stopped;
}

const struct memconn_out *
memconn_output(void)
{
	return current != NULL ? &current->out : NULL;
}
