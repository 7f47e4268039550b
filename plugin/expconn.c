/* SPDX-License-Identifier: MIT */
/*
 * expconn.c - the header deadline and the connection cap (see expconn.h).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "expconn.h"

struct conn {
	struct bufferevent *bev; /* one reference ours */
	time_t since;            /* reading a request since */
	bool busy;               /* a request is being answered */
};

struct sp_conns {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *sweep;
	struct conn *v;
	size_t n;
	unsigned max, header_secs;
	bool paused;
};

static time_t
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
pause_or_resume(struct sp_conns *c)
{
	bool full = c->n >= c->max;

	if (c->listener == NULL || full == c->paused)
		return;
	if (full)
		evconnlistener_disable(c->listener);
	else
		evconnlistener_enable(c->listener);
	c->paused = full;
}

/* evhttp's: one a connection. A reference of ours keeps it readable. */
static struct bufferevent *
make_bev(struct event_base *base, void *arg)
{
	struct sp_conns *c = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	struct conn *v;

	if (bev == NULL)
		return NULL;
	if ((v = realloc(c->v, (c->n + 1) * sizeof(*v))) != NULL) {
		c->v = v;
		bufferevent_incref(bev);
		v[c->n++] = (struct conn){ bev, now(), false };
		pause_or_resume(c);
	}
	return bev;
}

static bool
freed_by_evhttp(struct bufferevent *bev)
{
	bufferevent_data_cb readcb = NULL;
	bufferevent_event_cb eventcb = NULL;

	bufferevent_getcb(bev, &readcb, NULL, &eventcb, NULL);
	return readcb == NULL && eventcb == NULL;
}

/* Once a second: forget the closed, cut the too slow. */
static void
sweep(evutil_socket_t fd, short what, void *arg)
{
	struct sp_conns *c = arg;
	time_t t = now();
	size_t k = 0;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < c->n; i++) {
		struct conn *x = &c->v[i];

		if (freed_by_evhttp(x->bev)) {
			bufferevent_decref(x->bev);
			continue;
		}
		if (!x->busy && t - x->since >= (time_t)c->header_secs &&
		    bufferevent_getfd(x->bev) >= 0)
			/* evhttp reads the end of the stream and closes it. */
			shutdown(bufferevent_getfd(x->bev), SHUT_RDWR);
		c->v[k++] = *x;
	}
	c->n = k;
	pause_or_resume(c);
}

struct sp_conns *
sp_conns_new(struct event_base *base, struct evhttp *http, unsigned max_conns, unsigned header_secs)
{
	struct sp_conns *c = calloc(1, sizeof(*c));
	struct timeval second = { 1, 0 };

	if (c == NULL)
		return NULL;
	c->base = base;
	c->max = max_conns;
	c->header_secs = header_secs;
	if ((c->sweep = event_new(base, -1, EV_PERSIST, sweep, c)) == NULL ||
	    event_add(c->sweep, &second) < 0) {
		sp_conns_free(c);
		return NULL;
	}
	evhttp_set_bevcb(http, make_bev, c);
	return c;
}

void
sp_conns_set_listener(struct sp_conns *c, struct evconnlistener *l)
{
	c->listener = l;
}

static struct conn *
find(struct sp_conns *c, struct bufferevent *bev)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].bev == bev)
			return &c->v[i];
	return NULL;
}

void
sp_conns_busy(struct sp_conns *c, struct bufferevent *bev)
{
	struct conn *x = find(c, bev);

	if (x != NULL)
		x->busy = true;
}

void
sp_conns_idle(struct sp_conns *c, struct bufferevent *bev)
{
	struct conn *x = find(c, bev);

	if (x != NULL) {
		x->busy = false;
		x->since = now();
	}
}

void
sp_conns_free(struct sp_conns *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		bufferevent_decref(c->v[i].bev);
	free(c->v);
	if (c->sweep != NULL)
		event_free(c->sweep);
	free(c);
}
