/* SPDX-License-Identifier: MIT */
/*
 * dnstcp.c - a DNS message exchange over TCP on a libevent bufferevent.
 * Callbacks are deferred to the event loop, so no completion ever runs
 * inside sp_dnstcp_start(); one timer bounds the whole exchange, because a
 * bufferevent's own timeouts only measure silence.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dnstcp.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

/* The 2-byte length and the longest message it can announce. */
#define FRAME_MAX (2 + 65535)

struct sp_dnstcp {
	struct bufferevent *bev;
	struct event *timer;
	sp_dnstcp_fn cb;
	void *arg;
};

void
sp_dnstcp_cancel(struct sp_dnstcp *t)
{
	if (t == NULL)
		return;
	if (t->bev != NULL)
		bufferevent_free(t->bev);
	if (t->timer != NULL)
		event_free(t->timer);
	free(t);
}

/* The one completion; the exchange is gone when it returns. */
static void
finish(struct sp_dnstcp *t, int err, const unsigned char *msg, size_t len)
{
	bufferevent_disable(t->bev, EV_READ | EV_WRITE);
	evtimer_del(t->timer);
	t->cb(t->arg, err, msg, len);
	sp_dnstcp_cancel(t);
}

/* Waits for the length, then for the whole message; bytes after it are ignored. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct sp_dnstcp *t = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned char hdr[2];
	size_t need;
	unsigned char *all;

	if (evbuffer_copyout(in, hdr, 2) != 2)
		return;
	need = 2 + ((size_t)hdr[0] << 8 | hdr[1]);
	if (evbuffer_get_length(in) < need)
		return;
	if ((all = evbuffer_pullup(in, (ev_ssize_t)need)) == NULL)
		finish(t, ENOMEM, NULL, 0);
	else
		finish(t, 0, all + 2, need - 2);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct sp_dnstcp *t = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF)
		err = ECONNRESET;
	else if (err == 0)
		err = EIO;
	finish(t, err, NULL, 0);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg, ETIMEDOUT, NULL, 0);
}

/*
 * The socket is made here, as in transport.c: close-on-exec, and a failed
 * socket() is reported instead of dropped by libevent.
 */
static int
connect_to(struct sp_dnstcp *t, const struct sockaddr *sa, socklen_t salen)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	if (bufferevent_setfd(t->bev, fd) == -1) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	/* Deferred callbacks: an immediate failure is reported from the loop. */
	(void)bufferevent_socket_connect(t->bev, (struct sockaddr *)sa, (int)salen);
	return 0;
}

struct sp_dnstcp *
sp_dnstcp_start(struct event_base *base, const struct sockaddr *sa, socklen_t salen,
	const void *frame, size_t len, const struct timeval *timeout, sp_dnstcp_fn cb, void *arg)
{
	struct sp_dnstcp *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	t->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	t->timer = evtimer_new(base, on_timeout, t);
	if (t->bev == NULL || t->timer == NULL || evtimer_add(t->timer, timeout) == -1)
		goto nomem;
	bufferevent_setcb(t->bev, on_read, NULL, on_event, t);
	/* No more than one whole message is ever buffered. */
	bufferevent_setwatermark(t->bev, EV_READ, 0, FRAME_MAX);
	if (bufferevent_write(t->bev, frame, len) == -1 ||
	    bufferevent_enable(t->bev, EV_READ | EV_WRITE) == -1)
		goto nomem;
	if (connect_to(t, sa, salen) == -1) {
		int err = errno;

		sp_dnstcp_cancel(t);
		errno = err;
		return NULL;
	}
	return t;
nomem:
	sp_dnstcp_cancel(t);
	errno = ENOMEM;
	return NULL;
}
