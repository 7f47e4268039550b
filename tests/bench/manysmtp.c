/*
 * manysmtp - N fake SMTP servers in one process, for the scale part of
 * `make bench` (issue 7).
 *
 *   manysmtp --count N --banner-delay MS --ready-file FILE
 *
 * Listens on N loopback addresses 127.1.X.Y (Y = 1..250), all on one port.
 * Each connection gets its 220 banner MS milliseconds after it was accepted
 * (a slow server, so that the checks overlap); then EHLO, QUIT and anything
 * else are answered at once, and commands sent early (pipelined) in order
 * after the banner. Once listening it writes the port and then the N
 * addresses, one a line, to FILE (atomically). Runs until SIGTERM/SIGINT.
 *
 * C and epoll rather than a script: at N = 1000 the servers must cost the
 * two CPUs little, or the bench measures them instead of the client.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 64000
#define LINE_MAX_BYTES 1024

static const char EHLO[] = "250-fake.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
	"250 ENHANCEDSTATUSCODES\r\n";

struct conn {
	int fd;
	bool listener, greeted, closed;
	uint64_t due_ms;     /* when the banner is due */
	struct conn *next;   /* in the queue of banners, in order of due_ms */
	size_t len;
	char buf[LINE_MAX_BYTES];
};

/* The one delay makes the banner queue a FIFO: accepted last, due last. */
struct server {
	int ep;
	unsigned delay_ms;
	struct conn *head, *tail;
};

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
put(struct conn *c, const char *s, size_t n)
{
	/* Replies are a few hundred bytes into an empty loopback buffer. */
	if (!c->closed && write(c->fd, s, n) != (ssize_t)n)
		c->closed = true;
}

/* Frees now unless the banner queue still points at it. */
static void
conn_close(struct server *s, struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->closed = true;
	if (c->greeted)
		free(c);
}

/* Answers every whole line; false when the connection is gone. */
static bool
answer(struct server *s, struct conn *c)
{
	char *nl;

	while (!c->closed && (nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t n = (size_t)(nl - c->buf) + 1;

		if (strncasecmp(c->buf, "EHLO", 4) == 0)
			put(c, EHLO, sizeof(EHLO) - 1);
		else if (strncasecmp(c->buf, "QUIT", 4) == 0) {
			put(c, "221 2.0.0 Bye\r\n", 15);
			conn_close(s, c);
			return false;
		} else
			put(c, "250 2.0.0 Ok\r\n", 14);
		memmove(c->buf, c->buf + n, c->len - n);
		c->len -= n;
	}
	if (c->closed) {
		conn_close(s, c);
		return false;
	}
	return true;
}

static void
on_readable(struct server *s, struct conn *c)
{
	ssize_t n;

	/* A line longer than the buffer is dropped: no client here sends one. */
	if (c->len == sizeof(c->buf))
		c->len = 0;
	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(s, c);
		return;
	}
	c->len += (size_t)n;
	if (c->greeted)
		answer(s, c);
}

static void
on_accept(struct server *s, struct conn *l)
{
	int fd;

	while ((fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = calloc(1, sizeof(*c));
		struct epoll_event ev = { .events = EPOLLIN };

		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->due_ms = now_ms() + s->delay_ms;
		ev.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			close(fd);
			free(c);
			continue;
		}
		if (s->tail != NULL)
			s->tail->next = c;
		else
			s->head = c;
		s->tail = c;
	}
}

/* Sends the banners that are due; returns the wait for the next, or -1. */
static int
greet_due(struct server *s)
{
	uint64_t now = now_ms();

	while (s->head != NULL && s->head->due_ms <= now) {
		struct conn *c = s->head;

		s->head = c->next;
		if (s->head == NULL)
			s->tail = NULL;
		c->greeted = true;
		if (c->closed) {
			free(c);
			continue;
		}
		put(c, "220 fake.example ESMTP\r\n", 24);
		answer(s, c);
	}
	return s->head != NULL ? (int)(s->head->due_ms - now) : -1;
}

/* The port the kernel gives the first address, taken on all the others. */
static int
listen_all(struct server *s, unsigned count, unsigned *port)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		unsigned i;
		int *fds = calloc(count, sizeof(*fds));

		if (fds == NULL)
			return -1;
		*port = 0;
		for (i = 0; i < count; i++) {
			struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)*port) };
			socklen_t len = sizeof(sin);
			int one = 1;

			sin.sin_addr.s_addr = htonl(0x7f010000u | (i / 250) << 8 | (i % 250 + 1));
			fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fds[i] < 0)
				break;
			setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
			    listen(fds[i], 4096) == -1 ||
			    getsockname(fds[i], (struct sockaddr *)&sin, &len) == -1) {
				close(fds[i]);
				break;
			}
			*port = ntohs(sin.sin_port);
		}
		if (i == count) {
			for (i = 0; i < count; i++) {
				struct conn *l = calloc(1, sizeof(*l));
				struct epoll_event ev = { .events = EPOLLIN };

				if (l == NULL)
					return -1;
				l->fd = fds[i];
				l->listener = true;
				ev.data.ptr = l;
				if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fds[i], &ev) == -1)
					return -1;
			}
			free(fds);
			return 0;
		}
		while (i-- > 0)
			close(fds[i]);
		free(fds);
	}
	return -1;
}

static int
write_ready(const char *path, unsigned count, unsigned port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%u\n", port);
	for (unsigned i = 0; i < count; i++)
		fprintf(f, "127.1.%u.%u\n", i / 250, i % 250 + 1);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: manysmtp --count N --banner-delay MS --ready-file FILE\n");
	exit(2);
}

static void
parse_args(int argc, char **argv, unsigned *count, unsigned *delay, const char **ready)
{
	static const struct option lo[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "banner-delay", required_argument, NULL, 'd' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'n')
			*count = (unsigned)strtoul(optarg, NULL, 10);
		else if (ch == 'd')
			*delay = (unsigned)strtoul(optarg, NULL, 10);
		else if (ch == 'r')
			*ready = optarg;
		else
			usage();
	}
	if (*count == 0 || *count > MAX_COUNT || *ready == NULL)
		usage();
}

int
main(int argc, char **argv)
{
	struct server s = { .ep = epoll_create1(EPOLL_CLOEXEC), .delay_ms = 200 };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *ready = NULL;
	unsigned count = 0, port;

	parse_args(argc, argv, &count, &s.delay_ms, &ready);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (s.ep < 0 || listen_all(&s, count, &port) == -1) {
		perror("manysmtp: cannot listen on every address");
		return 1;
	}
	if (write_ready(ready, count, port) == -1) {
		perror("manysmtp: cannot write the ready file");
		return 1;
	}
	while (!stopping) {
		struct epoll_event ev[256];
		int n = epoll_wait(s.ep, ev, 256, greet_due(&s));

		for (int i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;

			if (c->listener)
				on_accept(&s, c);
			else if (c->fd >= 0)
				on_readable(&s, c);
		}
	}
	return 0;
}
