/* SPDX-License-Identifier: MIT */
/*
 * transport.h - one TCP connection on a bufferevent: it connects, moves
 * bytes and reports what happened. It judges nothing.
 */
#ifndef SP_TRANSPORT_H
#define SP_TRANSPORT_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct sp_conn;

struct sp_conn_cb {
	void (*connected)(void *arg);
	/* Bytes arrived; the callee consumes all of them. */
	void (*input)(void *arg, const char *data, size_t len);
	/* The connection failed (err = errno) or the peer closed it (err = 0). */
	void (*failed)(void *arg, int err);
	/* The TLS handshake completed. */
	void (*tls_up)(void *arg);
};

struct ssl_st;
struct sp_tls_ops;
struct sp_tls_error;

/* @return a connection, or NULL (ENOMEM). Nothing happens until connect. */
struct sp_conn *sp_conn_new(struct event_base *base, const struct sp_conn_cb *cb, void *arg);
/*
 * Starts connecting. A failure may be reported through cb->failed before
 * this returns, so callers must not free anything from that callback.
 * @return 0, or -1 (errno) when nothing could be started.
 */
int sp_conn_connect(struct sp_conn *c, const struct sockaddr *sa, socklen_t len);
/*
 * Queues bytes. What a callback of the connection queued leaves in one
 * write as it returns; what was queued elsewhere, in one write when the
 * loop next runs.
 */
int sp_conn_write(struct sp_conn *c, const void *data, size_t len);
/*
 * Starts a TLS handshake over the connection with @p ssl (owned from now
 * on), through the TLS module's @p ops. Called from a callback of the
 * connection, it begins once that callback has returned, so bytes already
 * received are never handed to TLS; otherwise at once. @return 0 or -1
 * (ENOMEM).
 */
int sp_conn_start_tls(struct sp_conn *c, const struct sp_tls_ops *ops, struct ssl_st *ssl);
/* OpenSSL's errors of the last TLS failure (all empty if none). */
const struct sp_tls_error *sp_conn_tls_error(const struct sp_conn *c);
/* Queues a PROXY protocol header (version 1 or 2) for this connection. */
int sp_conn_proxy_header(struct sp_conn *c, int version);
/* Stops reading: nothing more is reported. */
void sp_conn_stop(struct sp_conn *c);
/* The local address, for the EHLO address literal. @return 0 or -1. */
int sp_conn_local(const struct sp_conn *c, struct sockaddr_storage *ss);
/* Closes and frees. */
void sp_conn_free(struct sp_conn *c);

#endif
