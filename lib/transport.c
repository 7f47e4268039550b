/* SPDX-License-Identifier: MIT */
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
#include <sys/uio.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "addr.h"
#include "tls.h"
#include "transport.h"

struct sp_conn {
	struct bufferevent *bev;
	struct sp_conn_cb cb;
	void *arg;
	int stopped;
	int fd;
	const struct sp_tls_ops *tls_ops;
	struct ssl_st *pending_ssl; /* TLS to start when the current callback returns */
	int in_cb;                  /* inside conn_read or conn_event */
	int direct;                 /* plain and connected: see send_now() */
	int sent;                   /* send_now() sent bytes in this callback */
	int tls;
	struct sp_tls_error tls_error;
};

static void conn_read(struct bufferevent *bev, void *arg);
static void conn_event(struct bufferevent *bev, short what, void *arg);

static void
quickack(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

/*
 * Under TLS every read re-arms TCP_QUICKACK, so what arrives is
 * acknowledged at once. The delayed ACK otherwise meets a server's Nagle:
 * Postfix writes its TLS 1.3 session tickets, then holds the EHLO reply
 * until they are acknowledged, 40 ms later. The socket's own input sees
 * every read, below the TLS filter, which consumes the tickets without a
 * word to us.
 */
static void
quickack_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)buf;
	if (info->n_added > 0)
		quickack(*(const int *)arg);
}

/*
 * On a plain connection what a callback queued leaves as it returns, in one
 * sendmsg() of ours: libevent would first ask the loop whether the socket
 * is writable, which costs two epoll_ctl() calls and a wakeup per command
 * group. What the socket does not take at once, or an error (which
 * libevent then meets and reports), is left to libevent's write event.
 */
static void
send_now(struct sp_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec vec[16];
	struct iovec iov[16];
	struct msghdr msg = { .msg_iov = iov };
	ssize_t n;
	int nv;

	if (evbuffer_get_length(out) == 0)
		return;
	nv = evbuffer_peek(out, -1, NULL, vec, 16);
	for (int i = 0; i < nv && i < 16; i++)
		iov[i] = (struct iovec){ vec[i].iov_base, vec[i].iov_len };
	msg.msg_iovlen = (size_t)(nv < 16 ? nv : 16);
	n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0) {
		evbuffer_drain(out, (size_t)n);
		c->sent = 1;
	}
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE);
}

/* libevent has sent what send_now() left: writing is ours again. */
static void
conn_drained(struct bufferevent *bev, void *arg)
{
	struct sp_conn *c = arg;

	if (c->direct)
		bufferevent_disable(bev, EV_WRITE);
}

/*
 * The end of a callback of a plain connection: what it queued leaves now,
 * and if a read sent nothing back, its ACK is not delayed either (a reply
 * split over two segments, or pipelined replies, would otherwise wait on
 * the server's Nagle for our delayed ACK).
 */
static void
after_callback(struct sp_conn *c, bool read)
{
	if (!c->direct)
		return;
	send_now(c);
	if (read && !c->sent && !c->stopped)
		quickack(c->fd);
	c->sent = 0;
}

/* Wraps the socket bufferevent in an OpenSSL filter. */
static void
switch_to_tls(struct sp_conn *c)
{
	struct ssl_st *ssl = c->pending_ssl;
	struct bufferevent *f;

	c->pending_ssl = NULL;
	if (c->stopped) {
		c->tls_ops->ssl_free(ssl);
		return;
	}
	/* OpenSSL's filter writes through the socket bufferevent: libevent's job again. */
	c->direct = 0;
	bufferevent_enable(c->bev, EV_WRITE);
	if (evbuffer_add_cb(bufferevent_get_input(c->bev), quickack_cb, &c->fd) == NULL ||
	    (f = c->tls_ops->filter_new(c->bev, ssl)) == NULL) {
		c->tls_ops->ssl_free(ssl);
		c->stopped = 1;
		c->cb.failed(c->arg, ENOMEM);
		return;
	}
	c->bev = f;
	c->tls = 1;
	bufferevent_setcb(f, conn_read, NULL, conn_event, c);
	bufferevent_enable(f, EV_READ | EV_WRITE);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct sp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec vec[8];
	int n;

	c->in_cb = 1;
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
	c->in_cb = 0;
	after_callback(c, true);
	if (c->pending_ssl != NULL)
		switch_to_tls(c);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct sp_conn *c = arg;
	int err = EVUTIL_SOCKET_ERROR();

	if (c->stopped)
		return;
	if ((what & BEV_EVENT_CONNECTED) && c->tls) {
		c->cb.tls_up(c->arg);
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		evutil_socket_t fd = bufferevent_getfd(bev);
		int one = 1;

		/* Each write is a whole command group: never wait for Nagle. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->direct = 1;
		bufferevent_disable(bev, EV_WRITE);
		c->in_cb = 1;
		c->cb.connected(c->arg);
		c->in_cb = 0;
		after_callback(c, false);
		if (c->pending_ssl != NULL)
			switch_to_tls(c);
		return;
	}
	if (c->tls)
		c->tls_ops->filter_error(bev, &c->tls_error);
	/* OpenSSL's filter can report the close before the last records it
	 * decrypted were read: a server's 221 must not be lost to its EOF. */
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0) {
		conn_read(bev, c);
		if (c->stopped)
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
	bufferevent_setcb(c->bev, conn_read, conn_drained, conn_event, c);
	return c;
}

/*
 * The socket is ours to make: libevent's bufferevent_socket_connect() drops
 * a failed socket() (EMFILE with many targets) without calling back.
 */
int
sp_conn_connect(struct sp_conn *c, const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return -1;
	if (bufferevent_setfd(c->bev, fd) == -1) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	c->fd = fd;
	if (bufferevent_enable(c->bev, EV_READ | EV_WRITE) == -1)
		return -1;
	/* An immediate failure has already been reported through conn_event. */
	(void)bufferevent_socket_connect(c->bev, (struct sockaddr *)sa, (int)len);
	return 0;
}

int
sp_conn_write(struct sp_conn *c, const void *data, size_t len)
{
	if (bufferevent_write(c->bev, data, len) == -1)
		return -1;
	/* Outside a callback the loop sends it: a group written in parts stays whole. */
	if (c->direct && !c->in_cb)
		bufferevent_enable(c->bev, EV_WRITE);
	return 0;
}

int
sp_conn_start_tls(struct sp_conn *c, const struct sp_tls_ops *ops, struct ssl_st *ssl)
{
	if (c->pending_ssl != NULL || c->tls) {
		ops->ssl_free(ssl);
		errno = EALREADY;
		return -1;
	}
	c->tls_ops = ops;
	c->pending_ssl = ssl;
	/* Outside a callback (a handshake that waited for DANE's records) it starts now. */
	if (!c->in_cb)
		switch_to_tls(c);
	return 0;
}

const struct sp_tls_error *
sp_conn_tls_error(const struct sp_conn *c)
{
	return &c->tls_error;
}

/* PROXY v2 (haproxy's proxy-protocol.txt 2.2): signature, then command. */
static const unsigned char proxy_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

static int
proxy_v2(struct sp_conn *c, const struct sockaddr_storage *src, const struct sockaddr_storage *dst)
{
	unsigned char h[16 + 36];
	size_t alen = src->ss_family == AF_INET6 ? 36 : 12;

	memcpy(h, proxy_v2_sig, 12);
	h[12] = 0x21; /* version 2, PROXY */
	h[13] = src->ss_family == AF_INET6 ? 0x21 : 0x11; /* TCP over IPv6 / IPv4 */
	h[14] = 0;
	h[15] = (unsigned char)alen;
	if (src->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)src, *d = (const void *)dst;

		memcpy(h + 16, &s->sin6_addr, 16);
		memcpy(h + 32, &d->sin6_addr, 16);
		memcpy(h + 48, &s->sin6_port, 2);
		memcpy(h + 50, &d->sin6_port, 2);
	} else {
		const struct sockaddr_in *s = (const void *)src, *d = (const void *)dst;

		memcpy(h + 16, &s->sin_addr, 4);
		memcpy(h + 20, &d->sin_addr, 4);
		memcpy(h + 24, &s->sin_port, 2);
		memcpy(h + 26, &d->sin_port, 2);
	}
	return bufferevent_write(c->bev, h, 16 + alen);
}

static int
proxy_v1(struct sp_conn *c, const struct sockaddr_storage *src, const struct sockaddr_storage *dst)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], line[120];
	int n;

	if (sp_addr_text(src, a, sizeof(a)) == NULL || sp_addr_text(dst, b, sizeof(b)) == NULL)
		return -1;
	n = snprintf(line, sizeof(line), "PROXY %s %s %s %u %u\r\n",
		src->ss_family == AF_INET6 ? "TCP6" : "TCP4", a, b, sp_addr_port(src), sp_addr_port(dst));
	return bufferevent_write(c->bev, line, (size_t)n);
}

int
sp_conn_proxy_header(struct sp_conn *c, int version)
{
	struct sockaddr_storage src, dst;
	socklen_t sl = sizeof(src), dl = sizeof(dst);
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	/* The header tells the server who we are, as the kernel sees it. */
	if (getsockname(fd, (struct sockaddr *)&src, &sl) == -1 ||
	    getpeername(fd, (struct sockaddr *)&dst, &dl) == -1 ||
	    src.ss_family != dst.ss_family)
		return -1;
	return version == 2 ? proxy_v2(c, &src, &dst) : proxy_v1(c, &src, &dst);
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
	if (c->pending_ssl != NULL)
		c->tls_ops->ssl_free(c->pending_ssl);
	bufferevent_free(c->bev);
	free(c);
}
