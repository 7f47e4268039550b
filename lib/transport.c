/*
 * transport.c - a connection on a libevent bufferevent.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "transport.h"

struct sp_conn {
	struct bufferevent *bev;
	struct sp_conn_cb cb;
	void *arg;
	int stopped;
};

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct sp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec vec[8];
	int n;

	/* Hand over what is buffered in place, chunk by chunk, without copying. */
	while (!c->stopped && (n = evbuffer_peek(in, -1, NULL, vec, 8)) > 0) {
		size_t total = 0;

		for (int i = 0; i < n && i < 8 && !c->stopped; i++) {
			c->cb.input(c->arg, vec[i].iov_base, vec[i].iov_len);
			total += vec[i].iov_len;
		}
		evbuffer_drain(in, total);
	}
	if (c->stopped)
		evbuffer_drain(in, evbuffer_get_length(in));
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct sp_conn *c = arg;
	int err = EVUTIL_SOCKET_ERROR();

	if (c->stopped)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		evutil_socket_t fd = bufferevent_getfd(bev);
		int one = 1;

		/* Each write is a whole command group: never wait for Nagle. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->cb.connected(c->arg);
		return;
	}
	if (what & BEV_EVENT_EOF)
		err = 0;
	else if (err == 0)
		err = EIO;
	c->stopped = 1;
	c->cb.failed(c->arg, err);
}

struct sp_conn *
sp_conn_new(struct event_base *base, const struct sp_conn_cb *cb, void *arg)
{
	struct sp_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->cb = *cb;
	c->arg = arg;
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	return c;
}

int
sp_conn_connect(struct sp_conn *c, const struct sockaddr *sa, socklen_t len)
{
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) == -1)
		return -1;
	/* An immediate failure has already been reported through conn_event. */
	(void)bufferevent_socket_connect(c->bev, (struct sockaddr *)sa, (int)len);
	return 0;
}

int
sp_conn_write(struct sp_conn *c, const void *data, size_t len)
{
	return bufferevent_write(c->bev, data, len);
}

void
sp_conn_stop(struct sp_conn *c)
{
	c->stopped = 1;
	bufferevent_disable(c->bev, EV_READ);
}

int
sp_conn_local(const struct sp_conn *c, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	return getsockname(bufferevent_getfd(c->bev), (struct sockaddr *)ss, &len);
}

void
sp_conn_free(struct sp_conn *c)
{
	if (c == NULL)
		return;
	bufferevent_free(c->bev);
	free(c);
}
