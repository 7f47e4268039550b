/* SPDX-License-Identifier: MIT */
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
 *   MS_CHUNKING MS_OK advertising CHUNKING too: BDAT <n> [LAST] and its
 *               n octets, 250 (queued after LAST) (RFC 3030)
 *
 * With MS_TLS defined before including (the soak does; test_alloc, whose
 * malloc wrappers would count OpenSSL's allocations, does not), two more,
 * with a self-signed certificate (EC P-256, CN and SAN DNS mini.test, SAN
 * IP 127.0.0.1) made at ms_tls_init() with OpenSSL's API:
 *   MS_STARTTLS  MS_OK advertising STARTTLS: 220, a TLS handshake, then
 *                the same dialog inside TLS
 *   MS_SMTPS     implicit TLS: the handshake first, then MS_OK's dialog
 * The server's TLS: no session cache (so that the soak's memory is the
 * client's), TLS 1.3 tickets as OpenSSL sends them by default, a
 * close_notify before each close.
 *
 * The scale bench (tests/bench/manysmtp.c) listens on many addresses with
 * ms_init_at() and sets banner_delay_ms: the banner then comes that long
 * after the accept, and commands sent before it are answered after it.
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

#ifdef MS_TLS
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

enum ms_mode {
	MS_OK, MS_RCPT450, MS_RCPT550, MS_SILENT, MS_BANNER554, MS_CHUNKING,
#ifdef MS_TLS
	MS_STARTTLS, MS_SMTPS,
#endif
	MS_MODES
};

#ifndef MS_MAX_CONNS
#define MS_MAX_CONNS 1024
#endif
#define MS_LINE 1024  /* RFC 5321 lines are 1000 bytes; small keeps the soak's RSS steady */

struct ms_server;

struct ms_conn {
	struct ms_server *srv;
	evutil_socket_t fd;
	struct event *rd;
	struct event *greet; /* the banner's timer, with banner_delay_ms */
	bool used, in_data, greeted;
	size_t bdat_left;  /* octets of a BDAT chunk still to read */
	bool bdat_last;
#ifdef MS_TLS
	SSL *ssl;          /* once STARTTLS was answered, or from the start (SMTPS) */
	bool handshaking;
#endif
	size_t inlen;
	char in[MS_LINE];
};

struct ms_server {
	struct event_base *base;
	struct evconnlistener *lis;
	enum ms_mode mode;
	unsigned port;
	unsigned banner_delay_ms; /* 0: the banner at once */
	unsigned long accepted, sessions_closed;
};

/* All servers of the process share the connection slots. */
static struct ms_conn ms_conns[MS_MAX_CONNS];

#ifdef MS_TLS
static SSL_CTX *ms_tls_ctx;
static unsigned long ms_tls_handshakes;
#endif

static void
ms_close(struct ms_conn *c)
{
	if (!c->used)
		return;
#ifdef MS_TLS
	if (c->ssl != NULL) {
		if (!c->handshaking)
			(void)SSL_shutdown(c->ssl); /* close_notify, not waiting for the peer's */
		SSL_free(c->ssl);
		c->ssl = NULL;
		ERR_clear_error();
	}
#endif
	event_free(c->rd);
	if (c->greet != NULL)
		event_free(c->greet);
	evutil_closesocket(c->fd);
	c->srv->sessions_closed++;
	c->used = false;
}

/* Blocking enough for replies of a few hundred bytes on loopback. */
static void
ms_send(struct ms_conn *c, const char *s)
{
	size_t len = strlen(s), off = 0;

#ifdef MS_TLS
	while (c->ssl != NULL && off < len) {
		int n = SSL_write(c->ssl, s + off, (int)(len - off));
		int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, n);

		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			continue;
		if (n <= 0) {
			ERR_clear_error();
			return;
		}
		off += (size_t)n;
	}
	if (c->ssl != NULL)
		return;
#endif
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

/* A BDAT chunk read whole: its answer. */
static void
ms_bdat_done(struct ms_conn *c)
{
	if (c->bdat_left == 0)
		ms_send(c, c->bdat_last ? "250 2.0.0 Ok: queued as SOAK1234\r\n" : "250 2.0.0 Ok\r\n");
}

#ifdef MS_TLS
static bool ms_tls_start(struct ms_conn *c);
#endif

/*
 * One command line (without CRLF). @return false when the rest of the input
 * must not be read: the connection closed, or STARTTLS switched it to TLS.
 */
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
#ifdef MS_TLS
	else if (m == MS_STARTTLS && c->ssl == NULL && ms_is(line, "EHLO"))
		ms_send(c, "250-mini.test Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
		    "250-STARTTLS\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
	else if (m == MS_STARTTLS && c->ssl == NULL && ms_is(line, "STARTTLS")) {
		ms_send(c, "220 2.0.0 Ready to start TLS\r\n");
		/* Anything after the command was sent before the handshake: dropped. */
		c->inlen = 0;
		if (!ms_tls_start(c))
			ms_close(c);
		return false;
	}
#endif
	else if ((ms_is(line, "EHLO") || ms_is(line, "LHLO")) && m == MS_CHUNKING)
		ms_send(c, "250-mini.test Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
		    "250-CHUNKING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n");
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
	} else if (ms_is(line, "BDAT ") && m == MS_CHUNKING) {
		char *end;

		c->bdat_left = strtoul(line + 5, &end, 10);
		c->bdat_last = strcasecmp(end, " LAST") == 0;
		ms_bdat_done(c);
	} else if (ms_is(line, "RSET") || ms_is(line, "NOOP"))
		ms_send(c, "250 2.0.0 Ok\r\n");
	else
		ms_send(c, "502 5.5.2 Error: command not recognized\r\n");
	return true;
}

/* Drops what c->in holds of a BDAT chunk, and answers once it is all read. */
static void
ms_bdat_take(struct ms_conn *c)
{
	size_t n = c->inlen < c->bdat_left ? c->inlen : c->bdat_left;

	if (n == 0)
		return;
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
	c->bdat_left -= n;
	ms_bdat_done(c);
}

/*
 * The complete lines in c->in, and the BDAT chunks between them. @return
 * false as ms_line() does.
 */
static bool
ms_lines(struct ms_conn *c)
{
	for (;;) {
		char *nl;
		size_t linelen;

		ms_bdat_take(c);
		if (c->bdat_left > 0 || (nl = memchr(c->in, '\n', c->inlen)) == NULL)
			break;
		*nl = '\0';
		linelen = (size_t)(nl - c->in) + 1;
		if (nl > c->in && nl[-1] == '\r')
			nl[-1] = '\0';
		if (c->srv->mode != MS_SILENT && !ms_line(c, c->in))
			return false;
		memmove(c->in, c->in + linelen, c->inlen - linelen);
		c->inlen -= linelen;
	}
	if (c->inlen == sizeof(c->in) - 1)
		c->inlen = 0; /* a line too long: forget it */
	return true;
}

#ifdef MS_TLS
/* The handshake, then every record OpenSSL has: it may hold more than the socket shows. */
static void
ms_tls_read(struct ms_conn *c)
{
	for (;;) {
		int n, e;

		if (c->handshaking) {
			n = SSL_accept(c->ssl);
			if (n == 1) {
				c->handshaking = false;
				ms_tls_handshakes++;
				if (c->srv->mode == MS_SMTPS)
					ms_send(c, "220 mini.test ESMTP ready\r\n");
				continue;
			}
		} else {
			n = SSL_read(c->ssl, c->in + c->inlen, (int)(sizeof(c->in) - 1 - c->inlen));
			if (n > 0) {
				c->inlen += (size_t)n;
				if (!ms_lines(c))
					return;
				continue;
			}
		}
		e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_READ)
			return;
		if (e == SSL_ERROR_WANT_WRITE)
			continue; /* small writes on loopback: the buffer drains at once */
		ms_close(c);
		return;
	}
}
#endif

static void
ms_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ms_conn *c = arg;
	ssize_t n;

	(void)what;
#ifdef MS_TLS
	if (c->ssl != NULL) {
		ms_tls_read(c);
		return;
	}
#endif
	if (c->inlen == sizeof(c->in) - 1)
		c->inlen = 0; /* unread before the banner and too long: forget it */
	n = recv(fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		ms_close(c);
		return;
	}
	c->inlen += (size_t)n;
	if (c->greeted)
		(void)ms_lines(c);
}

/* The mode's first words, then whatever the client sent before them. */
static void
ms_greet(struct ms_conn *c)
{
	enum ms_mode m = c->srv->mode;

	c->greeted = true;
	if (m == MS_BANNER554)
		ms_send(c, "554 5.7.1 No SMTP service here\r\n");
#ifdef MS_TLS
	else if (m == MS_SMTPS) {
		if (!ms_tls_start(c))
			ms_close(c);
		return;
	}
#endif
	else if (m != MS_SILENT)
		ms_send(c, "220 mini.test ESMTP ready\r\n");
	(void)ms_lines(c);
}

static void
ms_greet_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ms_greet(arg);
}

static void
ms_accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct ms_server *srv = arg;
	struct ms_conn *c = NULL;
	struct timeval delay = { (time_t)(srv->banner_delay_ms / 1000),
		(suseconds_t)(srv->banner_delay_ms % 1000) * 1000 };
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
	if (srv->banner_delay_ms == 0) {
		ms_greet(c);
		return;
	}
	if ((c->greet = evtimer_new(srv->base, ms_greet_cb, c)) == NULL ||
	    evtimer_add(c->greet, &delay) == -1)
		ms_close(c);
}

/* On @p sin (port 0: the kernel's choice). @return 0, or -1 when the listener could not be made. */
static int
ms_init_at(struct ms_server *srv, struct event_base *base, enum ms_mode mode,
    const struct sockaddr_in *sin)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(srv, 0, sizeof(*srv));
	srv->base = base;
	srv->mode = mode;
	srv->lis = evconnlistener_new_bind(base, ms_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	    (const struct sockaddr *)sin, sizeof(*sin));
	if (srv->lis == NULL)
		return -1;
	if (getsockname(evconnlistener_get_fd(srv->lis), (struct sockaddr *)&ss, &len) != 0)
		return -1;
	srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

/* On 127.0.0.1, a port of the kernel's choice (inline: not every includer uses it). */
static inline int
ms_init(struct ms_server *srv, struct event_base *base, enum ms_mode mode)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return ms_init_at(srv, base, mode, &sin);
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

#ifdef MS_TLS
/* A TLS server side on the connection's socket; the handshake runs as bytes arrive. */
static bool
ms_tls_start(struct ms_conn *c)
{
	if ((c->ssl = SSL_new(ms_tls_ctx)) == NULL || !SSL_set_fd(c->ssl, c->fd)) {
		ERR_clear_error();
		return false;
	}
	c->handshaking = true;
	return true;
}

/*
 * The server's certificate and context, made once. @param ca_pem where the
 * certificate is written (PEM), for the client to trust.
 * @return 0, or -1 (OpenSSL's errors printed).
 */
static int
ms_tls_init(const char *ca_pem)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	X509_EXTENSION *ext = NULL;
	X509V3_CTX v3;
	FILE *f = NULL;
	int rc = -1;

	if (key == NULL || x == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400) == NULL ||
	    (name = X509_get_subject_name(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
		(const unsigned char *)"mini.test", -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key))
		goto out;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "DNS:mini.test,IP:127.0.0.1")) == NULL || !X509_add_ext(x, ext, -1) ||
	    !X509_sign(x, key, EVP_sha256()))
		goto out;
	if ((f = fopen(ca_pem, "w")) == NULL || !PEM_write_X509(f, x) || fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if ((ms_tls_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    !SSL_CTX_use_certificate(ms_tls_ctx, x) || !SSL_CTX_use_PrivateKey(ms_tls_ctx, key))
		goto out;
	SSL_CTX_set_session_cache_mode(ms_tls_ctx, SSL_SESS_CACHE_OFF);
	rc = 0;
out:
	if (rc == -1) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ms_tls_ctx);
		ms_tls_ctx = NULL;
	}
	if (f != NULL)
		fclose(f);
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static void
ms_tls_fini(void)
{
	SSL_CTX_free(ms_tls_ctx);
	ms_tls_ctx = NULL;
}
#endif

#endif
