/* SPDX-License-Identifier: MIT */
/*
 * dnstcp.h - one DNS exchange over TCP (RFC 7766) on a bufferevent: it
 * connects to the resolver, writes a query frame, reads a 2-byte length
 * and that many bytes, and reports them once, within a deadline. Like the
 * SMTP transport it judges nothing: whether the bytes answer the query is
 * dnsmsg.c's to say.
 */
#ifndef SP_DNSTCP_H
#define SP_DNSTCP_H

#include <stddef.h>
#include <sys/socket.h>

struct event_base;
struct timeval;
struct sp_dnstcp;

/*
 * The one completion: @p err is 0 and @p msg, @p len the message (without
 * its length; valid only for the call), or an errno: ETIMEDOUT (the
 * deadline passed), ECONNRESET (closed before the whole message), ENOMEM,
 * or the connection's own error (ECONNREFUSED, ...). The exchange frees
 * itself when the callback returns: the callee must forget it, and must
 * not cancel it.
 */
typedef void (*sp_dnstcp_fn)(void *arg, int err, const unsigned char *msg, size_t len);

/*
 * Starts the exchange: connect to @p sa, write @p frame (copied), read the
 * reply, all within @p timeout from now. The callback never runs before
 * this returns. @return the exchange, or NULL (errno) and then no callback.
 */
struct sp_dnstcp *sp_dnstcp_start(struct event_base *base, const struct sockaddr *sa,
	socklen_t salen, const void *frame, size_t len, const struct timeval *timeout,
	sp_dnstcp_fn cb, void *arg);

/* Stops the exchange and frees it, without a callback. */
void sp_dnstcp_cancel(struct sp_dnstcp *t);

#endif
