/*
 * miniserver.h - a small scripted SMTP server on a libevent event_base, for
 * the soak test and the allocation-failure test, which share the process
 * (and the event loop) with the library.
 *
 * It never calls malloc() itself: connections live in a fixed array and
 * libevent allocates its events and buffers through its own calls into
 * libc. That matters for tests/unit/test_alloc.c, whose malloc wrappers
 * must count the library's allocations only.
 *
 * One listener per behaviour (ms_new(base, MS_OK) ...); every connection to
 * it gets the same script:
 *   MS_OK       220, EHLO 250 (PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES),
 *               MAIL 250, RCPT 250, DATA 354 / 250 queued, RSET 250, QUIT 221
 *   MS_RCPT450  the same with RCPT 450 4.2.0 greylisted
 *   MS_RCPT550  the same with RCPT 550 5.1.1 user unknown
 *   MS_SILENT   accepts and never writes (the client's deadline must fire)
 *   MS_BANNER554 554 banner, then 503 to anything but QUIT
 */
#ifndef SP_MINISERVER_H
#define SP_MINISERVER_H

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum ms_mode { MS_OK, MS_RCPT450, MS_RCPT550, MS_SILENT, MS_BANNER554, MS_MODES };

#define MS_MAX_CONNS 1024
#define MS_LINE 1024  /* RFC 5321 lines are 1000 bytes; small keeps the soak's RSS steady */

struct ms_server;

struct ms_conn {
	struct ms_server *srv;
	evutil_socket_t fd;
	struct event *rd;
	bool used, in_data;
	size_t inlen;
	char in[MS_LINE];
};

struct ms_server {
	struct event_base *base;
	struct evconnlistener *lis;
	enum ms_mode mode;
	unsigned port;
	unsigned long accepted, sessions_closed;
};

/* All servers of the process share the connection slots. */
static struct ms_conn ms_conns[MS_MAX_CONNS];

static void
ms_close(struct ms_conn *c)
{
	if (!c->used)
		return;
	event_free(c->rd);
	evutil_closesocket(c->fd);
	c->srv->sessions_closed++;
	c->used = false;
}

/* Blocking enough for replies of a few hundred bytes on loopback. */
static void
ms_send(struct ms_conn *c, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

static bool
ms_is(const char *line, const char *verb)
{
	return strncasecmp(line, verb, strlen(verb)) == 0;
}

/* One command line (without CRLF). @return false once the connection closed. */
static bool
ms_line(struct ms_conn *c, const char *line)
{
	enum ms_mode m = c->srv->mode;

	if (c->in_data) {
		if (strcmp(line, ".") == 0) {
			c->in_data = false;
			ms_send(c, "250 2.0.0 Ok: queued as SOAK1234\r\n");
		}
		return true;
	}
	if (ms_is(line, "QUIT")) {
		ms_send(c, "221 2.0.0 Bye\r\n");
		ms_close(c);
		return false;
	}
	if (m == MS_BANNER554)
		ms_send(c, "503 5.5.1 Error: bad sequence of commands\r\n");
	else if (ms_is(line, "EHLO") || ms_is(line, "LHLO"))
		ms_send(c, "250-mini.test Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
		    "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
	else if (ms_is(line, "HELO"))
		ms_send(c, "250 mini.test\r\n");
	else if (ms_is(line, "MAIL"))
		ms_send(c, "250 2.1.0 Ok\r\n");
	else if (ms_is(line, "RCPT"))
		ms_send(c, m == MS_RCPT450 ? "450 4.2.0 <a@b>: Recipient address rejected: Greylisted\r\n" :
		    m == MS_RCPT550 ? "550 5.1.1 <a@b>: Recipient address rejected: User unknown\r\n" :
		    "250 2.1.5 Ok\r\n");
	else if (ms_is(line, "DATA")) {
		ms_send(c, "354 End data with <CR><LF>.<CR><LF>\r\n");
		c->in_data = true;
	} else if (ms_is(line, "RSET") || ms_is(line, "NOOP"))
		ms_send(c, "250 2.0.0 Ok\r\n");
	else
		ms_send(c, "502 5.5.2 Error: command not recognized\r\n");
	return true;
}

static void
ms_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ms_conn *c = arg;
	ssize_t n;

	(void)what;
	n = recv(fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		ms_close(c);
		return;
	}
	c->inlen += (size_t)n;
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		size_t linelen;

		if (nl == NULL)
			break;
		*nl = '\0';
		linelen = (size_t)(nl - c->in) + 1;
		if (nl > c->in && nl[-1] == '\r')
			nl[-1] = '\0';
		if (c->srv->mode != MS_SILENT && !ms_line(c, c->in))
			return;
		memmove(c->in, c->in + linelen, c->inlen - linelen);
		c->inlen -= linelen;
	}
	if (c->inlen == sizeof(c->in) - 1)
		c->inlen = 0; /* a line too long: forget it */
}

static void
ms_accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct ms_server *srv = arg;
	struct ms_conn *c = NULL;
	int one = 1;

	(void)lis;
	(void)sa;
	(void)salen;
	for (size_t i = 0; i < MS_MAX_CONNS; i++) {
		if (!ms_conns[i].used) {
			c = &ms_conns[i];
			break;
		}
	}
	if (c == NULL) {
		evutil_closesocket(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	c->rd = event_new(srv->base, fd, EV_READ | EV_PERSIST, ms_read_cb, c);
	if (c->rd == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->used = true;
	srv->accepted++;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evutil_make_socket_nonblocking(fd);
	event_add(c->rd, NULL);
	if (srv->mode == MS_BANNER554)
		ms_send(c, "554 5.7.1 No SMTP service here\r\n");
	else if (srv->mode != MS_SILENT)
		ms_send(c, "220 mini.test ESMTP ready\r\n");
}

/* @return 0, or -1 when the listener could not be made. */
static int
ms_init(struct ms_server *srv, struct event_base *base, enum ms_mode mode)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(srv, 0, sizeof(*srv));
	memset(&sin, 0, sizeof(sin));
	srv->base = base;
	srv->mode = mode;
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->lis = evconnlistener_new_bind(base, ms_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	    (struct sockaddr *)&sin, sizeof(sin));
	if (srv->lis == NULL)
		return -1;
	if (getsockname(evconnlistener_get_fd(srv->lis), (struct sockaddr *)&ss, &len) != 0)
		return -1;
	srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

/* Closes the listener and every connection it accepted. */
static void
ms_fini(struct ms_server *srv)
{
	for (size_t i = 0; i < MS_MAX_CONNS; i++)
		if (ms_conns[i].used && ms_conns[i].srv == srv)
			ms_close(&ms_conns[i]);
	if (srv->lis != NULL)
		evconnlistener_free(srv->lis);
	srv->lis = NULL;
}

#endif
