/* SPDX-License-Identifier: MIT */
/*
 * expconn.h - the exporter's guard over its HTTP connections, which
 * libevent 2.1's evhttp lacks: a connection gets a few seconds to send each
 * request whole (evhttp's own timeout restarts with every byte, so a client
 * sending a byte a second would hold on forever), and at most so many are
 * open at once (past that the listener pauses: the kernel's backlog waits).
 *
 * It hands evhttp the bufferevent of every connection (evhttp_set_bevcb)
 * and keeps a reference to it: after evhttp frees it the callbacks are
 * gone, which a sweep once a second sees, and only then lets it go.
 */
#ifndef SP_EXPCONN_H
#define SP_EXPCONN_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct evhttp;
struct evconnlistener;
struct bufferevent;

struct sp_conns;

/* @return a guard for @p http's connections, or NULL. */
struct sp_conns *sp_conns_new(struct event_base *base, struct evhttp *http,
	unsigned max_conns, unsigned header_secs);
/* The listener to pause when too many are open (NULL: none). */
void sp_conns_set_listener(struct sp_conns *c, struct evconnlistener *l);
/* A request of @p bev's connection arrived whole: its time stops until... */
void sp_conns_busy(struct sp_conns *c, struct bufferevent *bev);
/* ...its reply is sent: the next request's time starts. */
void sp_conns_idle(struct sp_conns *c, struct bufferevent *bev);
/* Frees the guard; call after evhttp_free(). */
void sp_conns_free(struct sp_conns *c);

#endif
