/* SPDX-License-Identifier: MIT */
/*
 * scriptsrv.h - the one scripted SMTP server of the C tests: it runs in the
 * test's process on the library's event_base, for the unit tests of the
 * dialog and the probe, the allocation-failure walk, the soak and the
 * scale bench. Header-only; every function is static inline.
 *
 * A script (struct ss_script) says what every connection to a listener
 * gets: a banner (maybe late), then for each command line the reply of the
 * first rule whose prefix it starts with (any case; "" matches anything;
 * no rule: 500). A rule's flags:
 *   SS_HOLD      queue the reply until an unheld one is sent: a test of
 *                pipelining can only complete if the client sent the later
 *                command without waiting for the earlier reply
 *   SS_DELAY(ms) send it that late; the replies after it wait behind it
 *   SS_CLOSE     close the connection once the reply is written
 *   SS_STARTTLS  after the reply, a TLS handshake, then the dialog in TLS
 *   SS_PLAIN     the rule applies only before TLS
 * A reply starting with 354 starts the message (DATA); "BDAT <n> [LAST]"
 * reads n octets, then answers with its rule (a refusal; not the catch-all
 * ""), or 250, or for LAST data_reply (RFC 3030). Commands sent before a scripted banner are
 * answered after it.
 *
 * Records (unless the script is lean): every read() chunk; per command its
 * line, the read that completed it, after how many reads its reply left and
 * when both happened (CLOCK_MONOTONIC); the bytes that came before the
 * banner was written whole; the message as received and with the dot
 * stuffing undone. A recording connection is kept, closed, until ss_free()
 * so the test can read what it got. A lean connection (the soak, the
 * bench: many connections, fast) records nothing and is reused once closed.
 *
 * Ready-made scripts for the soak's modes: ss_mode_script(SS_OK) ...
 * With SS_TLS defined before including (OpenSSL is linked), SS_STARTTLS and
 * smtps work, with a self-signed certificate (EC P-256, CN and SAN DNS
 * mini.test, SAN IP 127.0.0.1) made by ss_tls_init(): no session cache, a
 * close_notify before each close.
 *
 * Its own allocations go through SS_MALLOC, SS_CALLOC and SS_FREE (define
 * them first: test_alloc.c routes them past its counting wrappers);
 * libevent's and OpenSSL's are theirs. A broken expectation of the server
 * is SS_ASSERT (default: a message and abort(); cmocka's assert_true in the
 * unit tests).
 */
#ifndef SP_SCRIPTSRV_H
#define SP_SCRIPTSRV_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef SS_TLS
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

#ifndef SS_MALLOC
#define SS_MALLOC malloc
#define SS_CALLOC calloc
#define SS_FREE free
#endif
#ifndef SS_ASSERT
#define SS_ASSERT(c) ((c) ? (void)0 : \
	(fprintf(stderr, "%s:%d: scriptsrv: %s\n", __FILE__, __LINE__, #c), abort()))
#endif

/* ================================================================ API */

#define SS_HOLD 1
#define SS_CLOSE 2
#define SS_STARTTLS 4
#define SS_PLAIN 8
#define SS_DELAY(ms) ((int)(ms) << 8)
#define SS_DELAY_OF(flags) ((unsigned)(flags) >> 8)
#define SS_MAX_CMDS 64
#define SS_MAX_CHUNKS 256
#define SS_MAX_HELD 16

struct ss_rule {
	const char *prefix;   /* NULL ends the table */
	const char *reply;    /* whole reply, CRLFs included */
	int flags;            /* SS_HOLD, SS_DELAY(ms), SS_CLOSE, SS_STARTTLS, SS_PLAIN */
};

struct ss_script {
	const char *banner;        /* NULL: never greet */
	unsigned banner_delay_ms;
	const struct ss_rule *rules;  /* NULL: ss_std_rules */
	const char *data_reply;    /* after the final "." or BDAT LAST; NULL: a Postfix queue reply */
	int data_flags;
	unsigned close_after;      /* close, unanswered, on command N (1-based) */
	bool close_after_banner;
	bool silent;               /* never answer a command */
	bool drip;                 /* one byte per write, 1 ms apart */
	unsigned drip_forever_ms;  /* instead of a banner: "220-" lines, a byte per period */
	bool smtps;                /* implicit TLS: the handshake, then the banner (SS_TLS) */
	bool lean;                 /* no records; the connection reused once closed */
};

#define SS_STD_BANNER "220 probe.test ESMTP ready\r\n"

static const struct ss_rule ss_std_rules[] = {
	{ "EHLO", "250-probe.test Hello\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
		"250 ENHANCEDSTATUSCODES\r\n", 0 },
	{ "HELO", "250 probe.test\r\n", 0 },
	{ "LHLO", "250-probe.test\r\n250 8BITMIME\r\n", 0 },
	{ "MAIL", "250 2.1.0 Ok\r\n", 0 },
	{ "RCPT", "250 2.1.5 Ok\r\n", 0 },
	{ "DATA", "354 End data with <CR><LF>.<CR><LF>\r\n", 0 },
	{ "RSET", "250 2.0.0 Ok\r\n", 0 },
	{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
	{ NULL, NULL, 0 },
};

/* One command as the server got it. */
struct ss_cmd {
	char line[1024];
	unsigned chunk;       /* the read() that completed it (1-based) */
	unsigned replied_at;  /* reads done when its reply was written; 0: none */
	int64_t at_us, replied_us; /* when it arrived, when its reply was written */
};

struct ss_server;

struct ss_conn {
	struct ss_server *srv;
	struct ss_conn *next;      /* in srv->conns */
	struct ss_conn *free_next; /* in srv->pool */
	evutil_socket_t fd;
	bool closed, greeted;
	struct event *rd, *wr, *banner_tm, *drip_tm, *delay_tm;
	struct evbuffer *in, *out, *held;
	unsigned *held_at[SS_MAX_HELD];
	int64_t *held_us[SS_MAX_HELD];
	unsigned nheld;
	bool delaying;        /* a delayed reply is pending: later ones queue behind it */
	bool close_when_sent; /* SS_CLOSE */
	/* what arrived (chunk, chunklen, cmds: NULL when lean) */
	unsigned nreads;
	char **chunk;
	size_t *chunklen;
	struct ss_cmd *cmds;
	unsigned ncmds;
	size_t early_bytes;   /* received before the banner was written whole */
	/* what left */
	size_t written, banner_len;
	bool banner_queued;
	/* the message (raw, msg: NULL when lean) */
	bool in_data, msg_done;
	struct ss_cmd *bdat;  /* a BDAT whose chunk is being read */
	bool in_bdat;
	const struct ss_rule *bdat_rule; /* its scripted answer: the chunk is discarded */
	size_t bdat_left;
	bool bdat_last;
	struct evbuffer *raw, *msg;   /* as received; with the stuffing undone, no final "." */
	unsigned msg_first_chunk, msg_reply_at;
	int64_t msg_reply_us;
	unsigned drip_pos;
#ifdef SS_TLS
	SSL *ssl;             /* once STARTTLS was answered, or from the start (smtps) */
	bool handshaking;
#endif
};

struct ss_server {
	struct event_base *base;
	struct evconnlistener *lis;
	const struct ss_script *sc;
	unsigned port;
	struct ss_conn *conns, **tail; /* every connection made, in accept order */
	struct ss_conn *pool;          /* lean connections closed, for reuse */
	unsigned long naccepted, nquits, nclosed;
};

/* The soak's modes (ss_mode_script()). */
enum ss_mode {
	SS_OK,        /* 220, EHLO 250 (PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES), MAIL,
	               * RCPT 250, DATA 354 / 250 queued, RSET, NOOP 250, QUIT 221 and close */
	SS_RCPT450,   /* SS_OK with RCPT 450 4.2.0 greylisted */
	SS_RCPT550,   /* SS_OK with RCPT 550 5.1.1 user unknown */
	SS_SILENT,    /* accepts and never writes */
	SS_BANNER554, /* 554 banner, then 503 to anything but QUIT */
	SS_CHUNKING,  /* SS_OK advertising CHUNKING too */
#ifdef SS_TLS
	SS_STARTTLS_OK, /* SS_OK advertising STARTTLS, the same dialog inside TLS */
	SS_SMTPS,     /* implicit TLS, then SS_OK's dialog */
#endif
	SS_MODES
};

static inline const struct ss_script *ss_mode_script(enum ss_mode mode);
/* On 127.0.0.1, a port of the kernel's choice. @return NULL when it could not listen. */
static inline struct ss_server *ss_new(struct event_base *base, const struct ss_script *sc);
/* On @p sin (port 0: the kernel's choice). */
static inline struct ss_server *ss_new_at(struct event_base *base, const struct ss_script *sc,
    const struct sockaddr_in *sin);
/* Closes the listener and every connection; frees the records. NULL: nothing. */
static inline void ss_free(struct ss_server *srv);
/* The first (usually only) connection. */
static inline struct ss_conn *ss_first_conn(const struct ss_server *srv);
/* A port on 127.0.0.1 where nothing listens (listened on, then closed). */
static inline unsigned ss_closed_port(struct event_base *base);
#ifdef SS_TLS
/* The certificate and context, made once; the certificate written to @p ca_pem (PEM). */
static inline int ss_tls_init(const char *ca_pem);
static inline void ss_tls_fini(void);
static unsigned long ss_tls_handshakes; /* completed by the server */
#endif

/* ================================================================ inside */

#ifdef SS_TLS
static SSL_CTX *ss_tls_ctx;
static inline bool ss_tls_start(struct ss_conn *c);
#endif

static inline int64_t
ss_mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline struct timeval
ss_ms(unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

static inline bool
ss_has_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static inline void ss_conn_close(struct ss_conn *c);

static inline bool
ss_banner_done(const struct ss_conn *c)
{
	return c->banner_queued && c->written >= c->banner_len;
}

#ifdef SS_TLS
/* Blocking enough for replies of a few hundred bytes on loopback. */
static inline void
ss_tls_write(struct ss_conn *c)
{
	size_t len;

	while ((len = evbuffer_get_length(c->out)) > 0) {
		const unsigned char *p = evbuffer_pullup(c->out, -1);
		int n = SSL_write(c->ssl, p, (int)len);
		int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, n);

		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			continue;
		if (n <= 0) {
			ERR_clear_error();
			evbuffer_drain(c->out, len);
			return;
		}
		evbuffer_drain(c->out, (size_t)n);
		c->written += (size_t)n;
	}
}
#endif

static inline void
ss_flush(struct ss_conn *c)
{
	static const struct timeval ms1 = { 0, 1000 };

	if (c->closed)
		return;
#ifdef SS_TLS
	if (c->ssl != NULL) {
		ss_tls_write(c);
		return;
	}
#endif
	if (c->srv->sc->drip) {
		if (evbuffer_get_length(c->out) > 0 && !evtimer_pending(c->drip_tm, NULL))
			evtimer_add(c->drip_tm, &ms1);
		return;
	}
	while (evbuffer_get_length(c->out) > 0) {
		int n = evbuffer_write(c->out, c->fd);

		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				evbuffer_drain(c->out, evbuffer_get_length(c->out));
				return;
			}
			event_add(c->wr, NULL);
			return;
		}
		c->written += (size_t)n;
	}
}

static inline void
ss_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ss_flush(arg);
}

/* Replies one byte per write, 1 ms apart. */
static inline void
ss_drip_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval ms1 = { 0, 1000 };
	struct ss_conn *c = arg;
	int n;

	(void)fd;
	(void)what;
	if ((n = evbuffer_write_atmost(c->out, c->fd, 1)) > 0)
		c->written += (size_t)n;
	if (evbuffer_get_length(c->out) > 0)
		evtimer_add(c->drip_tm, &ms1);
}

/* "220-" lines forever, one byte per period: a server that never stops talking. */
static inline void
ss_drip_forever_cb(evutil_socket_t fd, short what, void *arg)
{
	static const char pattern[] = "220-still here\r\n";
	struct ss_conn *c = arg;

	(void)fd;
	(void)what;
	if (write(c->fd, pattern + c->drip_pos, 1) == 1) {
		c->written++;
		c->drip_pos = (c->drip_pos + 1) % (unsigned)(sizeof(pattern) - 1);
	}
}

static inline void
ss_hold(struct ss_conn *c, const char *text, unsigned *at, int64_t *at_us)
{
	SS_ASSERT(c->nheld < SS_MAX_HELD);
	evbuffer_add(c->held, text, strlen(text));
	c->held_at[c->nheld] = at;
	c->held_us[c->nheld++] = at_us;
}

/* Sends what is held, in order, noting when each left. */
static inline void
ss_release(struct ss_conn *c)
{
	int64_t now = c->cmds != NULL ? ss_mono_usec() : 0;

	for (unsigned i = 0; i < c->nheld; i++) {
		if (c->held_at[i] != NULL)
			*c->held_at[i] = c->nreads;
		if (c->held_us[i] != NULL)
			*c->held_us[i] = now;
	}
	c->nheld = 0;
	evbuffer_add_buffer(c->out, c->held);
	ss_flush(c);
	if (c->close_when_sent)
		ss_conn_close(c);
}

static inline void
ss_delay_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ss_conn *c = arg;

	(void)fd;
	(void)what;
	c->delaying = false;
	ss_release(c);
}

static inline void
ss_send_reply(struct ss_conn *c, const char *text, int flags, unsigned *at, int64_t *at_us)
{
	unsigned delay_ms = SS_DELAY_OF(flags);

	ss_hold(c, text, at, at_us);
	if ((flags & SS_HOLD) || c->delaying)
		return;
	if (flags & SS_CLOSE)
		c->close_when_sent = true;
	if (delay_ms > 0) {
		struct timeval tv = ss_ms(delay_ms);

		if (c->delay_tm == NULL)
			c->delay_tm = evtimer_new(c->srv->base, ss_delay_cb, c);
		SS_ASSERT(c->delay_tm != NULL);
		c->delaying = true;
		evtimer_add(c->delay_tm, &tv);
		return;
	}
	ss_release(c);
}

static inline const struct ss_rule *
ss_match(const struct ss_conn *c, const char *line)
{
	const struct ss_rule *rules = c->srv->sc->rules != NULL ? c->srv->sc->rules : ss_std_rules;

	for (const struct ss_rule *r = rules; r->prefix != NULL; r++) {
#ifdef SS_TLS
		if ((r->flags & SS_PLAIN) && c->ssl != NULL)
			continue;
#endif
		if (ss_has_prefix(line, r->prefix))
			return r;
	}
	return NULL;
}

static inline const char *
ss_data_reply(const struct ss_script *sc)
{
	return sc->data_reply != NULL ? sc->data_reply : "250 2.0.0 Ok: queued as ABC123\r\n";
}

/*
 * The chunk is read: a scripted answer (a refusal: the chunk discarded),
 * or for LAST the script's reply to the end of the message, else 250.
 */
static inline void
ss_bdat_end(struct ss_conn *c)
{
	struct ss_cmd *cmd = c->bdat;
	const struct ss_rule *rule = c->bdat_rule;
	unsigned *at = cmd != NULL ? &cmd->replied_at : NULL;
	int64_t *at_us = cmd != NULL ? &cmd->replied_us : NULL;

	c->bdat = NULL;
	c->in_bdat = false;
	if (rule != NULL) {
		ss_send_reply(c, rule->reply, rule->flags, at, at_us);
	} else if (!c->bdat_last) {
		ss_send_reply(c, "250 2.0.0 chunk accepted\r\n", 0, at, at_us);
	} else {
		c->msg_done = true;
		ss_send_reply(c, ss_data_reply(c->srv->sc), c->srv->sc->data_flags, at, at_us);
	}
}

/* "BDAT <n> [LAST]": the next n octets are the chunk, answered once read. */
static inline void
ss_bdat_begin(struct ss_conn *c, const char *line, struct ss_cmd *cmd, const struct ss_rule *rule)
{
	char *end;
	unsigned long n = strtoul(line + 5, &end, 10);

	SS_ASSERT(end != line + 5);
	c->bdat = cmd;
	c->in_bdat = true;
	c->bdat_rule = rule;
	c->bdat_left = n;
	c->bdat_last = strcasecmp(end, " LAST") == 0;
	if (n == 0)
		ss_bdat_end(c);
}

/* Takes what has come of the chunk. @return false when nothing had. */
static inline bool
ss_bdat_take(struct ss_conn *c)
{
	size_t n = evbuffer_get_length(c->in);

	if (n > c->bdat_left)
		n = c->bdat_left;
	if (n == 0)
		return false;
	if (c->msg_first_chunk == 0)
		c->msg_first_chunk = c->nreads;
	if (c->raw != NULL) {
		char *buf = SS_MALLOC(n);

		SS_ASSERT(buf != NULL);
		evbuffer_remove(c->in, buf, n);
		evbuffer_add(c->raw, buf, n);
		if (c->bdat_rule == NULL)
			evbuffer_add(c->msg, buf, n);
		SS_FREE(buf);
	} else {
		evbuffer_drain(c->in, n);
	}
	c->bdat_left -= n;
	if (c->bdat_left == 0)
		ss_bdat_end(c);
	return true;
}

/* A message line, with its CRLF. */
static inline void
ss_data_line(struct ss_conn *c, const char *raw, size_t rawlen, size_t len)
{
	if (c->msg_first_chunk == 0)
		c->msg_first_chunk = c->nreads;
	if (c->raw != NULL)
		evbuffer_add(c->raw, raw, rawlen);
	if (len == 1 && raw[0] == '.') {
		c->in_data = false;
		c->msg_done = true;
		ss_send_reply(c, ss_data_reply(c->srv->sc), c->srv->sc->data_flags,
			&c->msg_reply_at, &c->msg_reply_us);
		return;
	}
	if (c->msg == NULL)
		return;
	if (raw[0] == '.')
		evbuffer_add(c->msg, raw + 1, rawlen - 1);
	else
		evbuffer_add(c->msg, raw, rawlen);
}

/*
 * One line with its CRLF. @return false when the rest of the input must not
 * be read: the connection closed, or STARTTLS switched it to TLS.
 */
static inline bool
ss_line(struct ss_conn *c, char *raw, size_t rawlen)
{
	const struct ss_script *sc = c->srv->sc;
	size_t len = rawlen;
	struct ss_cmd *cmd = NULL;
	const struct ss_rule *rule;
	const char *line = raw;

	if (len > 0 && raw[len - 1] == '\n')
		len--;
	if (len > 0 && raw[len - 1] == '\r')
		len--;
	if (c->in_data) {
		ss_data_line(c, raw, rawlen, len);
		return true;
	}
	if (c->cmds != NULL) {
		SS_ASSERT(c->ncmds < SS_MAX_CMDS);
		cmd = &c->cmds[c->ncmds];
		snprintf(cmd->line, sizeof(cmd->line), "%.*s", (int)len, raw);
		cmd->chunk = c->nreads;
		cmd->at_us = ss_mono_usec();
		line = cmd->line;
	} else {
		raw[len] = '\0';
	}
	c->ncmds++;
	if (ss_has_prefix(line, "QUIT"))
		c->srv->nquits++;
	if (sc->close_after != 0 && c->ncmds == sc->close_after) {
		ss_conn_close(c);
		return false;
	}
	if (sc->silent)
		return true;
	rule = ss_match(c, line);
	if (ss_has_prefix(line, "BDAT ")) {
		if (rule != NULL && rule->prefix[0] == '\0')
			rule = NULL; /* a catch-all does not refuse a chunk */
		ss_bdat_begin(c, line, cmd, rule);
		return true;
	}
	ss_send_reply(c, rule != NULL ? rule->reply : "500 5.5.2 Error: command not recognized\r\n",
		rule != NULL ? rule->flags & ~SS_STARTTLS : 0, cmd != NULL ? &cmd->replied_at : NULL,
		cmd != NULL ? &cmd->replied_us : NULL);
	if (c->closed)
		return false;
	if (rule != NULL && strncmp(rule->reply, "354", 3) == 0)
		c->in_data = true;
#ifdef SS_TLS
	if (rule != NULL && (rule->flags & SS_STARTTLS)) {
		/* Anything after the command was sent before the handshake: dropped. */
		evbuffer_drain(c->in, evbuffer_get_length(c->in));
		if (!ss_tls_start(c))
			ss_conn_close(c);
		return false;
	}
#endif
	return true;
}

/* The complete lines in c->in, and the BDAT chunks between them. */
static inline void
ss_lines(struct ss_conn *c)
{
	char small[1024];

	while (!c->closed) {
		struct evbuffer_ptr eol;
		size_t rawlen;
		char *raw;
		bool open;

		if (c->in_bdat) {
			if (!ss_bdat_take(c))
				return;
			continue;
		}
		if ((eol = evbuffer_search_eol(c->in, NULL, NULL, EVBUFFER_EOL_LF)).pos == -1)
			return;
		rawlen = (size_t)eol.pos + 1;
		raw = rawlen < sizeof(small) ? small : SS_MALLOC(rawlen + 1);
		SS_ASSERT(raw != NULL);
		evbuffer_remove(c->in, raw, rawlen);
		raw[rawlen] = '\0';
		open = ss_line(c, raw, rawlen);
		if (raw != small)
			SS_FREE(raw);
		if (!open)
			return;
	}
}

/* What was read: recorded, then its lines handled (once the banner is out). */
static inline void
ss_got(struct ss_conn *c, const char *buf, size_t n)
{
	if (c->chunk != NULL && c->nreads < SS_MAX_CHUNKS) {
		c->chunk[c->nreads] = SS_MALLOC(n);
		SS_ASSERT(c->chunk[c->nreads] != NULL);
		memcpy(c->chunk[c->nreads], buf, n);
		c->chunklen[c->nreads] = n;
	}
	c->nreads++;
	if (!ss_banner_done(c))
		c->early_bytes += n;
	evbuffer_add(c->in, buf, n);
	if (c->greeted || c->srv->sc->banner == NULL)
		ss_lines(c);
}

#ifdef SS_TLS
/* The handshake, then every record OpenSSL has: it may hold more than the socket shows. */
static inline void
ss_tls_read(struct ss_conn *c)
{
	char buf[8192];

	while (!c->closed && c->ssl != NULL) {
		int n, e;

		if (c->handshaking) {
			n = SSL_accept(c->ssl);
			if (n == 1) {
				c->handshaking = false;
				ss_tls_handshakes++;
				if (c->srv->sc->smtps && c->srv->sc->banner != NULL) {
					c->banner_len = c->written + strlen(c->srv->sc->banner);
					c->banner_queued = true;
					c->greeted = true;
					evbuffer_add(c->out, c->srv->sc->banner, strlen(c->srv->sc->banner));
					ss_flush(c);
				}
				continue;
			}
		} else {
			n = SSL_read(c->ssl, buf, (int)sizeof(buf));
			if (n > 0) {
				SSL *before = c->ssl;

				ss_got(c, buf, (size_t)n);
				if (c->ssl != before)
					return;
				continue;
			}
		}
		e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_READ)
			return;
		if (e == SSL_ERROR_WANT_WRITE)
			continue; /* small writes on loopback: the buffer drains at once */
		ss_conn_close(c);
		return;
	}
}
#endif

static inline void
ss_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ss_conn *c = arg;
	char buf[8192];
	ssize_t n;

	(void)what;
#ifdef SS_TLS
	if (c->ssl != NULL) {
		ss_tls_read(c);
		return;
	}
#endif
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		ss_conn_close(c);
		return;
	}
	ss_got(c, buf, (size_t)n);
}

static inline void
ss_send_banner(struct ss_conn *c)
{
	const struct ss_script *sc = c->srv->sc;

	c->banner_len = strlen(sc->banner);
	c->banner_queued = true;
	c->greeted = true;
	evbuffer_add(c->out, sc->banner, c->banner_len);
	ss_flush(c);
	if (sc->close_after_banner) {
		SS_ASSERT(evbuffer_get_length(c->out) == 0);
		ss_conn_close(c);
		return;
	}
	ss_lines(c); /* what came before it */
}

static inline void
ss_banner_tm_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ss_send_banner(arg);
}

/* A connection: from the pool (lean), or new with its records. */
static inline struct ss_conn *
ss_conn_get(struct ss_server *srv)
{
	struct ss_conn *c = srv->pool;
	struct evbuffer *in, *out, *held;

	if (c != NULL) {
		struct ss_conn *next = c->next;

		srv->pool = c->free_next;
		in = c->in;
		out = c->out;
		held = c->held;
		evbuffer_drain(in, evbuffer_get_length(in));
		evbuffer_drain(out, evbuffer_get_length(out));
		evbuffer_drain(held, evbuffer_get_length(held));
		memset(c, 0, sizeof(*c));
		c->in = in;
		c->out = out;
		c->held = held;
		c->next = next;
		return c;
	}
	c = SS_CALLOC(1, sizeof(*c));
	SS_ASSERT(c != NULL);
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->held = evbuffer_new();
	SS_ASSERT(c->in && c->out && c->held);
	if (!srv->sc->lean) {
		c->chunk = SS_CALLOC(SS_MAX_CHUNKS, sizeof(*c->chunk));
		c->chunklen = SS_CALLOC(SS_MAX_CHUNKS, sizeof(*c->chunklen));
		c->cmds = SS_CALLOC(SS_MAX_CMDS, sizeof(*c->cmds));
		c->raw = evbuffer_new();
		c->msg = evbuffer_new();
		SS_ASSERT(c->chunk && c->chunklen && c->cmds && c->raw && c->msg);
	}
	*srv->tail = c;
	srv->tail = &c->next;
	return c;
}

static inline void
ss_accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct ss_server *srv = arg;
	const struct ss_script *sc = srv->sc;
	struct ss_conn *c = ss_conn_get(srv);
	int one = 1;

	(void)lis;
	(void)sa;
	(void)salen;
	c->srv = srv;
	c->fd = fd;
	srv->naccepted++;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evutil_make_socket_nonblocking(fd);
	c->rd = event_new(srv->base, fd, EV_READ | EV_PERSIST, ss_read_cb, c);
	c->wr = event_new(srv->base, fd, EV_WRITE, ss_write_cb, c);
	SS_ASSERT(c->rd && c->wr);
	event_add(c->rd, NULL);
	if (sc->drip_forever_ms != 0) {
		struct timeval tv = ss_ms(sc->drip_forever_ms);

		c->drip_tm = event_new(srv->base, -1, EV_PERSIST, ss_drip_forever_cb, c);
		SS_ASSERT(c->drip_tm != NULL);
		event_add(c->drip_tm, &tv);
		return;
	}
	if (sc->drip) {
		c->drip_tm = evtimer_new(srv->base, ss_drip_cb, c);
		SS_ASSERT(c->drip_tm != NULL);
	}
#ifdef SS_TLS
	if (sc->smtps) {
		if (!ss_tls_start(c))
			ss_conn_close(c);
		return;
	}
#endif
	if (sc->banner != NULL && sc->banner_delay_ms > 0) {
		struct timeval tv = ss_ms(sc->banner_delay_ms);

		c->banner_tm = evtimer_new(srv->base, ss_banner_tm_cb, c);
		SS_ASSERT(c->banner_tm != NULL);
		evtimer_add(c->banner_tm, &tv);
	} else if (sc->banner != NULL) {
		ss_send_banner(c);
	}
}

static inline void
ss_event_free(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

/*
 * A lean server's pool filled to @p n connections up front: a soak that
 * measures its heap must not see the pool grow when, late in a run, more
 * connections than ever before happen to be open on one server at once.
 */
static inline void
ss_pool_reserve(struct ss_server *srv, unsigned n)
{
	struct ss_conn *got = NULL;

	if (!srv->sc->lean)
		return;
	for (unsigned i = 0; i < n; i++) {
		struct ss_conn *c = ss_conn_get(srv);

		c->closed = true;
		c->free_next = got;
		got = c;
	}
	while (got != NULL) {
		struct ss_conn *c = got;

		got = c->free_next;
		c->free_next = srv->pool;
		srv->pool = c;
	}
}

/* Closes the socket; what was recorded stays for the test to read (a lean one goes to the pool). */
static inline void
ss_conn_close(struct ss_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
#ifdef SS_TLS
	if (c->ssl != NULL) {
		if (!c->handshaking)
			(void)SSL_shutdown(c->ssl); /* close_notify, not waiting for the peer's */
		SSL_free(c->ssl);
		c->ssl = NULL;
		ERR_clear_error();
	}
#endif
	ss_event_free(&c->rd);
	ss_event_free(&c->wr);
	ss_event_free(&c->banner_tm);
	ss_event_free(&c->drip_tm);
	ss_event_free(&c->delay_tm);
	evutil_closesocket(c->fd);
	c->srv->nclosed++;
	if (c->cmds == NULL) {
		c->free_next = c->srv->pool;
		c->srv->pool = c;
	}
}

static inline void
ss_conn_free(struct ss_conn *c)
{
	ss_conn_close(c);
	if (c->chunk != NULL)
		for (unsigned i = 0; i < c->nreads && i < SS_MAX_CHUNKS; i++)
			SS_FREE(c->chunk[i]);
	SS_FREE(c->chunk);
	SS_FREE(c->chunklen);
	SS_FREE(c->cmds);
	evbuffer_free(c->in);
	evbuffer_free(c->out);
	evbuffer_free(c->held);
	if (c->raw != NULL)
		evbuffer_free(c->raw);
	if (c->msg != NULL)
		evbuffer_free(c->msg);
	SS_FREE(c);
}

static inline struct ss_server *
ss_new_at(struct event_base *base, const struct ss_script *sc, const struct sockaddr_in *sin)
{
	struct ss_server *srv = SS_CALLOC(1, sizeof(*srv));
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (srv == NULL)
		return NULL;
	/* A client that closes before its replies are written is a case under
	 * test, not a reason for the test process to die of SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	srv->base = base;
	srv->sc = sc;
	srv->tail = &srv->conns;
	srv->lis = evconnlistener_new_bind(base, ss_accept_cb, srv,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
		(const struct sockaddr *)sin, sizeof(*sin));
	if (srv->lis == NULL ||
	    getsockname(evconnlistener_get_fd(srv->lis), (struct sockaddr *)&ss, &len) != 0) {
		ss_free(srv);
		return NULL;
	}
	srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return srv;
}

static inline struct ss_server *
ss_new(struct event_base *base, const struct ss_script *sc)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return ss_new_at(base, sc, &sin);
}

static inline void
ss_free(struct ss_server *srv)
{
	struct ss_conn *c, *next;

	if (srv == NULL)
		return;
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		ss_conn_free(c);
	}
	if (srv->lis != NULL)
		evconnlistener_free(srv->lis);
	SS_FREE(srv);
}

static inline struct ss_conn *
ss_first_conn(const struct ss_server *srv)
{
	SS_ASSERT(srv->conns != NULL);
	return srv->conns;
}

static inline unsigned
ss_closed_port(struct event_base *base)
{
	static const struct ss_script none = { 0 };
	struct ss_server *srv = ss_new(base, &none);
	unsigned port;

	SS_ASSERT(srv != NULL);
	port = srv->port;
	ss_free(srv);
	return port;
}

/* ================================================================ the soak's modes */

#define SS_MINI_EHLO(extra) "250-mini.test Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n" \
	extra "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"
#define SS_MINI_RULES(ehlo, rcpt) \
	{ "EHLO", ehlo, 0 }, { "LHLO", ehlo, 0 }, \
	{ "HELO", "250 mini.test\r\n", 0 }, \
	{ "MAIL", "250 2.1.0 Ok\r\n", 0 }, \
	{ "RCPT", rcpt, 0 }, \
	{ "DATA", "354 End data with <CR><LF>.<CR><LF>\r\n", 0 }, \
	{ "RSET", "250 2.0.0 Ok\r\n", 0 }, { "NOOP", "250 2.0.0 Ok\r\n", 0 }, \
	{ "QUIT", "221 2.0.0 Bye\r\n", SS_CLOSE }, \
	{ "", "502 5.5.2 Error: command not recognized\r\n", 0 }, \
	{ NULL, NULL, 0 }

static inline const struct ss_script *
ss_mode_script(enum ss_mode mode)
{
#define SS_OK_RCPT "250 2.1.5 Ok\r\n"
	static const struct ss_rule ok[] = { SS_MINI_RULES(SS_MINI_EHLO(""), SS_OK_RCPT) };
	static const struct ss_rule r450[] = { SS_MINI_RULES(SS_MINI_EHLO(""),
		"450 4.2.0 <a@b>: Recipient address rejected: Greylisted\r\n") };
	static const struct ss_rule r550[] = { SS_MINI_RULES(SS_MINI_EHLO(""),
		"550 5.1.1 <a@b>: Recipient address rejected: User unknown\r\n") };
	static const struct ss_rule chunking[] = {
		SS_MINI_RULES(SS_MINI_EHLO("250-CHUNKING\r\n"), SS_OK_RCPT) };
	static const struct ss_rule b554[] = {
		{ "QUIT", "221 2.0.0 Bye\r\n", SS_CLOSE },
		{ "", "503 5.5.1 Error: bad sequence of commands\r\n", 0 },
		{ NULL, NULL, 0 },
	};
#ifdef SS_TLS
	static const struct ss_rule starttls[] = {
		{ "EHLO", SS_MINI_EHLO("250-STARTTLS\r\n"), SS_PLAIN },
		{ "STARTTLS", "220 2.0.0 Ready to start TLS\r\n", SS_PLAIN | SS_STARTTLS },
		SS_MINI_RULES(SS_MINI_EHLO(""), SS_OK_RCPT),
	};
#endif
#define SS_MINI_BANNER "220 mini.test ESMTP ready\r\n"
#define SS_MINI_QUEUED "250 2.0.0 Ok: queued as SOAK1234\r\n"
	static const struct ss_script scripts[SS_MODES] = {
		[SS_OK] = { .banner = SS_MINI_BANNER, .rules = ok, .data_reply = SS_MINI_QUEUED, .lean = true },
		[SS_RCPT450] = { .banner = SS_MINI_BANNER, .rules = r450, .data_reply = SS_MINI_QUEUED,
			.lean = true },
		[SS_RCPT550] = { .banner = SS_MINI_BANNER, .rules = r550, .data_reply = SS_MINI_QUEUED,
			.lean = true },
		[SS_SILENT] = { .silent = true, .lean = true },
		[SS_BANNER554] = { .banner = "554 5.7.1 No SMTP service here\r\n", .rules = b554,
			.lean = true },
		[SS_CHUNKING] = { .banner = SS_MINI_BANNER, .rules = chunking,
			.data_reply = SS_MINI_QUEUED, .lean = true },
#ifdef SS_TLS
		[SS_STARTTLS_OK] = { .banner = SS_MINI_BANNER, .rules = starttls,
			.data_reply = SS_MINI_QUEUED, .lean = true },
		[SS_SMTPS] = { .banner = SS_MINI_BANNER, .rules = ok, .data_reply = SS_MINI_QUEUED,
			.smtps = true, .lean = true },
#endif
	};

	return &scripts[mode];
}

/* ================================================================ TLS */

#ifdef SS_TLS
/* A TLS server side on the connection's socket; the handshake runs as bytes arrive. */
static inline bool
ss_tls_start(struct ss_conn *c)
{
	if ((c->ssl = SSL_new(ss_tls_ctx)) == NULL || !SSL_set_fd(c->ssl, c->fd)) {
		ERR_clear_error();
		return false;
	}
	c->handshaking = true;
	return true;
}

static inline int
ss_tls_init(const char *ca_pem)
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
	if ((ss_tls_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    !SSL_CTX_use_certificate(ss_tls_ctx, x) || !SSL_CTX_use_PrivateKey(ss_tls_ctx, key))
		goto out;
	SSL_CTX_set_session_cache_mode(ss_tls_ctx, SSL_SESS_CACHE_OFF);
	rc = 0;
out:
	if (rc == -1) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ss_tls_ctx);
		ss_tls_ctx = NULL;
	}
	if (f != NULL)
		fclose(f);
	X509_EXTENSION_free(ext);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static inline void
ss_tls_fini(void)
{
	SSL_CTX_free(ss_tls_ctx);
	ss_tls_ctx = NULL;
}
#endif

#endif
