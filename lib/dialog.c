/* SPDX-License-Identifier: MIT */
/*
 * dialog.c - the SMTP client state machine.
 *
 * The dialog runs in two phases. Up to the greeting it is strictly one
 * command, one reply (D_BANNER, D_GREET, D_HELO). After it, the rest is a
 * script of steps (extra commands, MAIL, RCPT..., DATA and the message or
 * RSET, QUIT) with two cursors: steps sent and steps judged. Without
 * PIPELINING a step is sent only when every earlier one is judged; with it,
 * steps are sent in RFC 2920 groups, and each reply is still judged on its
 * own, in order. With CHUNKING (RFC 3030) the message goes as BDAT <n> LAST
 * instead of DATA, 354 and the dot, in the group of MAIL and RCPT. The
 * first failure decides; after it the dialog winds down to QUIT.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "addr.h"
#include "auth.h"
#include "dialog.h"
#include "message.h"
#include "dane.h"
#include "tls.h"
#include "transport.h"

enum dstate {
	D_CONNECT, /* TCP connect under way */
	D_BANNER,  /* connected, waiting for the greeting; nothing may be sent */
	D_GREET,   /* EHLO or LHLO sent */
	D_HELO,    /* HELO sent after EHLO was refused */
	D_STARTTLS, /* STARTTLS sent */
	D_TLS,     /* TLS handshake under way; any plaintext now is an attack */
	D_AUTH,    /* an AUTH exchange under way */
	D_SCRIPT,  /* the steps after the greeting */
	D_DONE,    /* finished; the done callback is scheduled */
	D_COUNT
};

static const char *const dstate_names[] = {
	"connect", "banner", "greet", "helo", "starttls", "tls", "auth", "script", "done",
};
_Static_assert(sizeof(dstate_names) / sizeof(dstate_names[0]) == D_COUNT,
	"a name for every state");

/*
 * K_BDAT is BDAT <n> LAST with the message, answered once (RFC 3030), in
 * place of K_DATA and K_MESSAGE. K_DELIVERY sends nothing: it stands for
 * one more LMTP answer to the end of the message (RFC 2033 4.2), one per
 * accepted recipient after the first.
 */
enum kind {
	K_COMMAND, K_MAIL, K_RCPT, K_DATA, K_MESSAGE, K_BDAT, K_DELIVERY, K_RSET, K_QUIT, K_COUNT
};

static const smtpprobe_stage kind_stage[] = {
	SMTPPROBE_STAGE_COMMAND, SMTPPROBE_STAGE_MAIL, SMTPPROBE_STAGE_RCPT,
	SMTPPROBE_STAGE_DATA, SMTPPROBE_STAGE_DATA, SMTPPROBE_STAGE_DATA, SMTPPROBE_STAGE_DATA,
	SMTPPROBE_STAGE_RSET, SMTPPROBE_STAGE_QUIT,
};
_Static_assert(sizeof(kind_stage) / sizeof(kind_stage[0]) == K_COUNT,
	"a stage for every kind of step");

struct step {
	enum kind kind;
	unsigned idx;      /* which command or recipient */
	int ex;            /* its exchange in the result */
};

struct sp_dialog {
	struct sp_dialog_env env;
	struct smtpprobe_result *r;
	sp_dialog_done_fn done;
	void *arg;
	struct sp_conn *conn;
	struct event *finish_ev;
	struct sp_reply_parser parser;
	enum dstate state;
	unsigned reply_lines;
	struct sp_strv lines;  /* the reply in progress, as kept for the report */
	size_t lines_bytes;
	int greet_ex;
	size_t owed;           /* replies the server owes us for what we sent */
	size_t owed_now;       /* of those, the ones that may be in this input */
	int64_t connect_at;
	struct step *steps;
	size_t nsteps, maxsteps, sent, judged;
	bool pipelining;
	bool winding_down;     /* decided: only QUIT is left to do */
	bool notify_noted;
	const struct sp_tls_ops *tls; /* the TLS module, when TLS or CRAM-MD5 is used */
	struct ssl_ctx_st *tls_ctx;
	bool own_ctx;          /* made by this dialog, not the probe's */
	struct ssl_st *ssl;    /* owned by the connection once handed over */
	bool tls_up, authed;
	bool tls_held;         /* DANE: the handshake waits for the TLSA records */
	bool tls_waiting;      /* ...and it is due */
	bool dane;             /* the handshake is verified by TLSA records */
	unsigned replies_after_tls;
	int64_t tls_start;
	int auth_step, auth_ex;
	char *message;
	size_t msglen;
	size_t msgsize;        /* what SIZE= and BDAT count (RFC 1870, RFC 3030) */
	bool chunking;         /* the message goes as BDAT: CHUNKING advertised */
	char helo[280];
};

static void finish(struct sp_dialog *d);
static void flush(struct sp_dialog *d);

static int64_t
now(const struct sp_dialog *d)
{
	return sp_now_usec() - d->env.t0;
}

static void
trace(struct sp_dialog *d, smtpprobe_dir dir, const char *s, size_t len)
{
	if (d->env.line != NULL)
		d->env.line(d->r, dir, s, len, now(d), d->env.line_arg);
}

static void
tracef(struct sp_dialog *d, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (d->env.line == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		trace(d, SMTPPROBE_DIR_INFO, buf, strlen(buf));
}

/* Always use this to change state. */
static void
set_state(struct sp_dialog *d, enum dstate s)
{
	tracef(d, "state %s -> %s", dstate_names[d->state], dstate_names[s]);
	d->state = s;
}

static smtpprobe_stage
cur_stage(const struct sp_dialog *d)
{
	switch (d->state) {
	case D_CONNECT:
		return SMTPPROBE_STAGE_CONNECT;
	case D_BANNER:
		return SMTPPROBE_STAGE_BANNER;
	case D_GREET:
	case D_HELO:
		return SMTPPROBE_STAGE_EHLO;
	case D_STARTTLS:
		return SMTPPROBE_STAGE_STARTTLS;
	case D_TLS:
		return SMTPPROBE_STAGE_TLS;
	case D_AUTH:
		return SMTPPROBE_STAGE_AUTH;
	case D_SCRIPT:
		if (d->judged < d->nsteps)
			return kind_stage[d->steps[d->judged].kind];
		return SMTPPROBE_STAGE_QUIT;
	default:
		return d->r->stage;
	}
}

static void
internal_error(struct sp_dialog *d)
{
	sp_result_fail(d->r, SMTPPROBE_E_INTERNAL, cur_stage(d), -1,
		"internal error in %s: %s", smtpprobe_stage_name(cur_stage(d)),
		strerror(errno));
	finish(d);
}

/* Sends one command line; @return its exchange index, or -1. */
static int
send_line(struct sp_dialog *d, smtpprobe_stage st, const char *fmt, ...)
{
	char buf[1100];
	va_list ap;
	int n, ex;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((ex = sp_result_exchange(d->r, st, buf, (size_t)n, now(d))) == -1)
		return -1;
	trace(d, SMTPPROBE_DIR_SENT, buf, (size_t)n);
	memcpy(buf + n, "\r\n", 2);
	if (sp_conn_write(d->conn, buf, (size_t)n + 2) == -1)
		return -1;
	d->owed++;
	return ex;
}

/*
 * Records a reply to exchange @p ex, complete now. Its time runs from its
 * command's write (SPEC 7), not from the reply before it: two replies that
 * came in one packet are not a latency of a few microseconds.
 */
static void
record(struct sp_dialog *d, int ex, const struct sp_reply_line *line)
{
	if (sp_result_reply(d->r, ex, line, &d->lines, now(d)) == -1)
		internal_error(d);
}

static int
want_class(const struct sp_dialog *d, smtpprobe_stage st, int dflt)
{
	return d->env.opts->expect[st] != 0 ? d->env.opts->expect[st] : dflt;
}

static bool
good(const struct sp_dialog *d, smtpprobe_stage st, int code)
{
	return code / 100 == want_class(d, st, 2);
}

static void
fail_reply(struct sp_dialog *d, smtpprobe_stage st, int ex)
{
	sp_result_fail(d->r, SMTPPROBE_E_REPLY, st, ex, "%s", "");
}

/* ---------------------------------------------------------- the script */

static void
add_step(struct sp_dialog *d, enum kind k, unsigned idx)
{
	if (d->nsteps < d->maxsteps)
		d->steps[d->nsteps++] = (struct step){ .kind = k, .idx = idx, .ex = -1 };
}

/*
 * Steps that may be followed by more in the same RFC 2920 group. Not the
 * message (after DATA or in BDAT): RFC 2920 would allow QUIT after it, but
 * Haraka refuses a QUIT that arrives with the final dot ("503 ... pipelined
 * after end of DATA") after it has queued the message, and a check must
 * not cry wolf.
 */
static bool
groupable(enum kind k)
{
	return k == K_MAIL || k == K_RCPT || k == K_RSET;
}

static bool
transaction_wanted(const smtpprobe_opts *o)
{
	return o->from != NULL || o->rcpts.n > 0;
}

/* A message can be sent only when every recipient is meant to be accepted. */
static bool
message_wanted(const smtpprobe_opts *o)
{
	return o->data && o->rcpts.n > 0 &&
	    (o->expect[SMTPPROBE_STAGE_MAIL] == 0 || o->expect[SMTPPROBE_STAGE_MAIL] == 2) &&
	    (o->expect[SMTPPROBE_STAGE_RCPT] == 0 || o->expect[SMTPPROBE_STAGE_RCPT] == 2);
}

static int
build_message(struct sp_dialog *d)
{
	const smtpprobe_opts *o = d->env.opts;
	uint64_t rnd = 0;
	char msgid[360];
	struct sp_message_params mp = {
		.from = o->from != NULL ? o->from : "",
		.rcpts = (const char *const *)o->rcpts.v,
		.nrcpts = o->rcpts.n,
		.subject = o->subject,
		.headers = (const char *const *)o->headers.v,
		.nheaders = o->headers.n,
		.body = o->body,
		.bodylen = o->bodylen,
		.date = time(NULL),
		.msgid = msgid,
		.helo = d->helo,
		.bdat = d->chunking,
	};

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint64_t)sp_now_usec() ^ ((uint64_t)getpid() << 32);
	snprintf(msgid, sizeof(msgid), "<smtp-probe.%016llx@%s>",
		(unsigned long long)rnd, d->helo);
	if ((d->message = sp_message_build(&mp, &d->msglen)) == NULL)
		return -1;
	d->msgsize = d->chunking ? d->msglen : sp_message_size(d->message, d->msglen);
	return 0;
}

/*
 * RFC 1870: a client that knows its message exceeds the server's SIZE
 * does not send it. Said as the server's 552 would be, before MAIL.
 */
static bool
message_fits(struct sp_dialog *d)
{
	const struct sp_caps *c = &d->r->caps;

	if (d->message == NULL || !(c->ext & SP_EXT_SIZE) || c->size == 0 || d->msgsize <= c->size)
		return true;
	sp_result_fail(d->r, SMTPPROBE_E_UNSUPPORTED, SMTPPROBE_STAGE_MAIL, -1,
		"message of %zu bytes exceeds the server's SIZE limit of %llu bytes: not sent",
		d->msgsize, (unsigned long long)c->size);
	return false;
}

static void
plan(struct sp_dialog *d)
{
	const smtpprobe_opts *o = d->env.opts;
	smtpprobe_stage qa = o->quit_after;
	bool transaction = transaction_wanted(o);

	d->chunking = (d->r->caps.ext & SP_EXT_CHUNKING) != 0;
	if (message_wanted(o) && build_message(d) == -1) {
		internal_error(d);
		return;
	}
	transaction = transaction && message_fits(d);
	d->nsteps = d->sent = d->judged = 0;
	if (qa == SMTPPROBE_STAGE_COUNT || qa >= SMTPPROBE_STAGE_COMMAND) {
		for (size_t i = 0; i < o->commands.n; i++)
			add_step(d, K_COMMAND, (unsigned)i);
		if (transaction)
			add_step(d, K_MAIL, 0);
	}
	if (transaction && (qa == SMTPPROBE_STAGE_COUNT || qa >= SMTPPROBE_STAGE_RCPT)) {
		for (size_t i = 0; i < o->rcpts.n; i++)
			add_step(d, K_RCPT, (unsigned)i);
		if (qa == SMTPPROBE_STAGE_COUNT && message_wanted(o)) {
			if (d->chunking) {
				add_step(d, K_BDAT, 0);
			} else {
				add_step(d, K_DATA, 0);
				add_step(d, K_MESSAGE, 0);
			}
			for (size_t i = 1; o->lmtp && i < o->rcpts.n; i++)
				add_step(d, K_DELIVERY, (unsigned)i);
		} else if (qa == SMTPPROBE_STAGE_COUNT) {
			add_step(d, K_RSET, 0);
		}
	}
	add_step(d, K_QUIT, 0);
	set_state(d, D_SCRIPT);
	flush(d);
}

/* Only QUIT is left: drop what is not sent, and make sure QUIT follows. */
static void
wind_down(struct sp_dialog *d)
{
	d->winding_down = true;
	d->nsteps = d->sent;
	for (size_t i = 0; i < d->sent; i++)
		if (d->steps[i].kind == K_QUIT)
			return;
	add_step(d, K_QUIT, 0);
}

static void
quit_now(struct sp_dialog *d)
{
	d->nsteps = d->sent = d->judged = 0;
	d->winding_down = true;
	add_step(d, K_QUIT, 0);
	set_state(d, D_SCRIPT);
	flush(d);
}

static int
send_rcpt(struct sp_dialog *d, unsigned idx)
{
	const smtpprobe_opts *o = d->env.opts;
	const char *rcpt = o->rcpts.v[idx];

	if (o->notify == NULL)
		return send_line(d, SMTPPROBE_STAGE_RCPT, "RCPT TO:<%s>", rcpt);
	if (d->r->caps.ext & SP_EXT_DSN)
		return send_line(d, SMTPPROBE_STAGE_RCPT, "RCPT TO:<%s> NOTIFY=%s", rcpt, o->notify);
	if (!d->notify_noted) {
		sp_result_note(d->r, "server lacks DSN: NOTIFY not sent");
		d->notify_noted = true;
	}
	return send_line(d, SMTPPROBE_STAGE_RCPT, "RCPT TO:<%s>", rcpt);
}

static int
send_mail(struct sp_dialog *d)
{
	const char *from = d->env.opts->from != NULL ? d->env.opts->from : "";

	/* SIZE= declares the message we will send; without one there is none. */
	if (d->message != NULL && (d->r->caps.ext & SP_EXT_SIZE))
		return send_line(d, SMTPPROBE_STAGE_MAIL, "MAIL FROM:<%s> SIZE=%zu", from, d->msgsize);
	return send_line(d, SMTPPROBE_STAGE_MAIL, "MAIL FROM:<%s>", from);
}

static void
trace_message(struct sp_dialog *d)
{
	const char *p = d->message, *end = d->message + d->msglen, *eol;

	if (d->env.line == NULL)
		return;
	while (p < end && (eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t len = (size_t)(eol - p);

		trace(d, SMTPPROBE_DIR_SENT, p, len > 0 && p[len - 1] == '\r' ? len - 1 : len);
		p = eol + 1;
	}
}

/* "delivery to <rcpt>": an LMTP answer names its recipient (RFC 2033 4.2). */
static int
delivery_exchange(struct sp_dialog *d, unsigned idx)
{
	char what[1100];

	snprintf(what, sizeof(what), "delivery to <%s>", d->env.opts->rcpts.v[idx]);
	return sp_result_exchange(d->r, SMTPPROBE_STAGE_DATA, what, strlen(what), now(d));
}

/* Counted as SIZE= counts it, so the two numbers a user sees agree. */
static int
send_message(struct sp_dialog *d)
{
	char what[64];
	int ex;

	snprintf(what, sizeof(what), "message (%zu bytes)", d->msgsize);
	ex = d->env.opts->lmtp ? delivery_exchange(d, 0) :
	    sp_result_exchange(d->r, SMTPPROBE_STAGE_DATA, what, strlen(what), now(d));
	if (ex == -1)
		return -1;
	trace_message(d);
	if (sp_conn_write(d->conn, d->message, d->msglen) == -1)
		return -1;
	d->owed++;
	return ex;
}

/*
 * BDAT <n> LAST and the message, unstuffed, in one write: n is its exact
 * octet count, the SIZE= of MAIL. Its one reply ends the message; with
 * LMTP it is the first recipient's answer, named as such (RFC 2033 4.2).
 */
static int
send_bdat(struct sp_dialog *d)
{
	char cmd[64];
	int n = snprintf(cmd, sizeof(cmd), "BDAT %zu LAST", d->msglen);
	int ex = d->env.opts->lmtp ? delivery_exchange(d, 0) :
	    sp_result_exchange(d->r, SMTPPROBE_STAGE_DATA, cmd, (size_t)n, now(d));

	if (ex == -1)
		return -1;
	trace(d, SMTPPROBE_DIR_SENT, cmd, (size_t)n);
	trace_message(d);
	memcpy(cmd + n, "\r\n", 2);
	if (sp_conn_write(d->conn, cmd, (size_t)n + 2) == -1 ||
	    sp_conn_write(d->conn, d->message, d->msglen) == -1)
		return -1;
	d->owed++;
	d->r->chunking = true;
	return ex;
}

static int
send_step(struct sp_dialog *d, struct step *s)
{
	const smtpprobe_opts *o = d->env.opts;

	switch (s->kind) {
	case K_COMMAND:
		return s->ex = send_line(d, SMTPPROBE_STAGE_COMMAND, "%s", o->commands.v[s->idx]);
	case K_MAIL:
		return s->ex = send_mail(d);
	case K_RCPT:
		return s->ex = send_rcpt(d, s->idx);
	case K_DATA:
		return s->ex = send_line(d, SMTPPROBE_STAGE_DATA, "DATA");
	case K_MESSAGE:
		return s->ex = send_message(d);
	case K_BDAT:
		return s->ex = send_bdat(d);
	case K_DELIVERY:
		if ((s->ex = delivery_exchange(d, s->idx)) != -1)
			d->owed++;
		return s->ex;
	case K_RSET:
		return s->ex = send_line(d, SMTPPROBE_STAGE_RSET, "RSET");
	case K_QUIT:
		return s->ex = send_line(d, SMTPPROBE_STAGE_QUIT, "QUIT");
	default:
		errno = EINVAL;
		return -1;
	}
}

/*
 * Steps first..sent leave in one write (transport.h): they share its time,
 * and when more than one command is among them, each is pipelined (the
 * first included), its time overlapping the others'.
 */
static void
stamp_write(struct sp_dialog *d, size_t first, int64_t t)
{
	size_t commands = 0;

	for (size_t i = first; i < d->sent; i++)
		commands += d->steps[i].kind != K_DELIVERY;
	for (size_t i = first; i < d->sent; i++) {
		struct sp_exchange *ex = &d->r->ex[d->steps[i].ex];

		ex->sent = t;
		ex->pipelined = commands > 1;
	}
}

/*
 * May @p s leave with the unanswered steps before it (RFC 2920)? After MAIL,
 * RCPT or RSET, an extra command never. BDAT LAST delivers to every
 * recipient accepted so far: it joins the group only behind one RCPT, whose
 * refusal leaves the server none, so that BDAT is refused (RFC 3030) and
 * nothing delivered; behind several it waits until each was accepted.
 * QUIT may follow BDAT LAST (a command like any other, RFC 3030 4.1), which
 * makes a delivery check cost what a RCPT check costs; it never follows the
 * dot of DATA, where Haraka refuses it.
 */
static bool
joins_group(const struct sp_dialog *d, const struct step *s)
{
	enum kind prev = d->steps[d->sent - 1].kind;

	if (s->kind == K_DELIVERY)
		return true;
	if (d->pipelining && s->kind == K_QUIT && d->chunking &&
	    (prev == K_BDAT || prev == K_DELIVERY))
		return true;
	if (!d->pipelining || !groupable(prev) || s->kind == K_COMMAND)
		return false;
	return s->kind != K_BDAT || d->env.opts->rcpts.n == 1;
}

/* Sends what may be sent now: one step, or a whole group with PIPELINING. */
static void
flush(struct sp_dialog *d)
{
	size_t first = d->sent;
	int64_t t = now(d);

	while (d->state == D_SCRIPT && d->sent < d->nsteps) {
		struct step *s = &d->steps[d->sent];

		if (d->sent > d->judged && !joins_group(d, s))
			break;
		if (send_step(d, s) == -1) {
			internal_error(d);
			return;
		}
		d->sent++;
	}
	stamp_write(d, first, t);
}

static void
judge_data(struct sp_dialog *d, const struct sp_reply_line *line, int ex)
{
	int want = d->env.opts->expect[SMTPPROBE_STAGE_DATA];

	if (line->code == 354) {
		/* Decided already: closing now is the only way not to deliver. */
		if (d->winding_down) {
			tracef(d, "closing instead of sending the message");
			finish(d);
		}
		return;
	}
	if (want == 0 || line->code / 100 != want)
		fail_reply(d, SMTPPROBE_STAGE_DATA, ex);
	wind_down(d);
}

/*
 * An LMTP recipient refused after a 4xx for an earlier one decides: the
 * state is the worst answer's, and every answer is read before QUIT.
 */
static void
fail_delivery(struct sp_dialog *d, int ex, int code)
{
	struct smtpprobe_result *r = d->r;

	if (r->status == SMTPPROBE_E_REPLY && r->stage == SMTPPROBE_STAGE_DATA &&
	    r->decider >= 0 && r->ex[r->decider].code / 100 == 4 && code / 100 == 5)
		r->status = SMTPPROBE_OK;
	fail_reply(d, SMTPPROBE_STAGE_DATA, ex);
}

/* The reply to the end of the message, or one LMTP recipient's answer. */
static void
judge_message(struct sp_dialog *d, const struct sp_reply_line *line, int ex)
{
	if (!good(d, SMTPPROBE_STAGE_DATA, line->code)) {
		fail_delivery(d, ex, line->code);
		wind_down(d);
		return;
	}
	/* Only a known form is an id; otherwise the reply is quoted. */
	if (d->r->queue_id[0] == '\0')
		sp_reply_queue_id(d->r->ex[ex].text, d->r->queue_id, sizeof(d->r->queue_id));
}

static void
judge_step(struct sp_dialog *d, const struct step *s, const struct sp_reply_line *line)
{
	smtpprobe_stage st = kind_stage[s->kind];

	switch (s->kind) {
	case K_COMMAND:
		/* Extra commands are the caller's to judge (-R). */
		return;
	case K_DATA:
		judge_data(d, line, s->ex);
		return;
	case K_MESSAGE:
	case K_BDAT:
	case K_DELIVERY:
		judge_message(d, line, s->ex);
		return;
	case K_MAIL:
		if (!good(d, st, line->code))
			fail_reply(d, st, s->ex);
		if (line->code / 100 != 2)
			wind_down(d);
		return;
	case K_RCPT:
		if (!good(d, st, line->code)) {
			fail_reply(d, st, s->ex);
			wind_down(d);
		}
		return;
	default:
		if (!good(d, st, line->code))
			fail_reply(d, st, s->ex);
		return;
	}
}

/*
 * Replies that RFC 5321 4.3.2 gives to other commands only: a server that
 * answers with one is a reply out of step (a PROXY header taken for a
 * command, a reply lost or doubled), and judging on would misjudge
 * everything after it. QUIT's one good reply is 221.
 */
static bool
fits(enum kind k, int code)
{
	switch (code) {
	case 221:
		return k == K_QUIT || k == K_COMMAND;
	case 354:
		return k == K_DATA || k == K_COMMAND;
	case 220:
	case 235:
	case 334:
		return k == K_COMMAND;
	default:
		return k != K_QUIT || code / 100 != 2;
	}
}

/* Where a reply out of step most likely came from, when we know. */
static const char *
proxy_hint(const struct sp_dialog *d)
{
	return d->env.opts->proxy != 0 ?
	    " (did the server take the PROXY header for a command?)" : "";
}

static void
out_of_step(struct sp_dialog *d, smtpprobe_stage st, int ex, int code)
{
	sp_result_fail(d->r, SMTPPROBE_E_PROTOCOL, st, ex,
		"protocol error in %s: %d is no reply to %s, the dialog is out of step%s",
		smtpprobe_stage_name(st), code, d->r->ex[ex].command[0] ? d->r->ex[ex].command : "it",
		proxy_hint(d));
	finish(d);
}

static void
script_reply(struct sp_dialog *d, const struct sp_reply_line *line)
{
	struct step *s;

	if (d->judged >= d->sent) {
		sp_result_fail(d->r, SMTPPROBE_E_PROTOCOL, cur_stage(d), -1,
			"protocol error: a reply to no command%s", proxy_hint(d));
		finish(d);
		return;
	}
	s = &d->steps[d->judged++];
	record(d, s->ex, line);
	if (d->state != D_SCRIPT)
		return;
	if (!fits(s->kind, line->code)) {
		out_of_step(d, kind_stage[s->kind], s->ex, line->code);
		return;
	}
	judge_step(d, s, line);
	if (d->state != D_SCRIPT)
		return;
	if (d->judged >= d->nsteps)
		finish(d);
	else
		flush(d);
}

/* ---------------------------------------------------------- TLS, AUTH */

static void send_greeting(struct sp_dialog *d, const char *verb, enum dstate next);
static void after_greeting(struct sp_dialog *d);

/* With usable TLSA records, verified by them (RFC 7672); else as configured. */
static struct ssl_st *
new_ssl(struct sp_dialog *d, char *err, size_t errlen)
{
	const struct sp_dane_facts *f = d->r->dane;
	const struct sp_tlsaset *set = sp_dane_handshake_set(f);
	const smtpprobe_opts *o = d->env.opts;

	d->dane = set != NULL;
	if (d->dane)
		return d->tls->ssl_new_dane(d->tls_ctx, d->r->host, d->r->host, set, f->use,
			err, errlen);
	return d->tls->ssl_new(d->tls_ctx, o->sni != NULL ? o->sni : d->r->host, err, errlen);
}

static void
start_tls(struct sp_dialog *d)
{
	const smtpprobe_opts *o = d->env.opts;
	char err[200];

	d->tls_start = now(d);
	if (d->state != D_TLS)
		set_state(d, D_TLS);
	if (d->tls_held) {
		tracef(d, "handshake waits for the TLSA records");
		d->tls_waiting = true;
		return;
	}
	if (d->tls_ctx == NULL && (d->tls_ctx = d->tls->ctx_new(o, err, sizeof(err))) != NULL)
		d->own_ctx = true;
	if (d->tls_ctx == NULL) {
		sp_result_fail(d->r, SMTPPROBE_E_TLS, SMTPPROBE_STAGE_TLS, -1, "TLS setup failed: %s", err);
		finish(d);
		return;
	}
	d->ssl = new_ssl(d, err, sizeof(err));
	if (d->ssl == NULL || sp_conn_start_tls(d->conn, d->tls, d->ssl) == -1) {
		d->ssl = NULL;
		sp_result_fail(d->r, SMTPPROBE_E_TLS, SMTPPROBE_STAGE_TLS, -1, "TLS setup failed: %s", err);
		finish(d);
	}
}

void
sp_dialog_tls_hold(struct sp_dialog *d)
{
	d->tls_held = true;
}

void
sp_dialog_tls_go(struct sp_dialog *d)
{
	d->tls_held = false;
	if (!d->tls_waiting || d->state != D_TLS)
		return;
	d->tls_waiting = false;
	start_tls(d);
}

/* What OpenSSL's DANE made of the handshake, into the result's facts. */
static smtpprobe_dane_auth
dane_outcome(struct sp_dialog *d)
{
	unsigned u = 0, s = 0, m = 0;
	const unsigned char *data = NULL;
	size_t len = 0;
	int depth;
	smtpprobe_dane_auth a = d->tls->dane_outcome(d->ssl, &depth, &u, &s, &m, &data, &len);

	sp_dane_matched(d->r->dane, a, depth, u, s, m, data, len);
	return a;
}

/* PKIX's verdict counts unless DANE decides: by the records, or (require) by their absence. */
static bool
pkix_decides(const struct sp_dialog *d)
{
	return d->env.opts->tls_verify && !d->dane && d->env.opts->dane != SMTPPROBE_DANE_REQUIRE;
}

/* RFC 3207 4.2: after the handshake nothing learnt before it is trusted. */
static void
on_tls_up(void *arg)
{
	struct sp_dialog *d = arg;
	int64_t t = now(d);
	bool implicit = d->env.opts->tls == SMTPPROBE_TLS_IMPLICIT;

	sp_result_stage_time(d->r, SMTPPROBE_STAGE_TLS, d->tls_start, t);
	d->tls_up = true;
	if (d->tls->facts(d->ssl, d->r) == -1) {
		internal_error(d);
		return;
	}
	tracef(d, "TLS up: %s %s", d->r->tls->version, d->r->tls->cipher);
	if (d->dane && dane_outcome(d) != SMTPPROBE_DANE_AUTHENTICATED) {
		sp_result_fail(d->r, SMTPPROBE_E_CERT, SMTPPROBE_STAGE_TLS, -1,
			"certificate verification failed: %s", d->r->tls->error);
		finish(d);
		return;
	}
	if (d->r->tls->error[0] != '\0' && !d->dane) {
		if (pkix_decides(d)) {
			sp_result_fail(d->r, SMTPPROBE_E_CERT, SMTPPROBE_STAGE_TLS, -1,
				"certificate verification failed: %s", d->r->tls->error);
			finish(d);
			return;
		}
		sp_result_note(d->r, "certificate not verified: %s", d->r->tls->error);
	}
	if (implicit) {
		d->connect_at = t;
		d->owed = 1; /* the greeting */
		set_state(d, D_BANNER);
		return;
	}
	sp_caps_clear(&d->r->caps);
	sp_reply_reset(&d->parser);
	d->r->greeting = SMTPPROBE_GREETING_NONE;
	send_greeting(d, d->env.opts->lmtp ? "LHLO" : "EHLO", D_GREET);
}

/*
 * Only a handshake that stopped at our verification fails for the
 * certificate; when the server ended it (an alert, a close), that is the
 * failure, and a chain that would not have verified is a note beside it.
 */
static void
tls_failed(struct sp_dialog *d, int err)
{
	const struct sp_tls_error *e = sp_conn_tls_error(d->conn);
	const char *cert = d->ssl != NULL ? d->tls->verify_error(d->ssl) : NULL;

	if (!d->tls_up)
		sp_result_stage_time(d->r, SMTPPROBE_STAGE_TLS, d->tls_start, now(d));
	if (e->queue[0] != '\0')
		sp_result_note(d->r, "OpenSSL error queue: %s", e->queue);
	if (d->dane && d->ssl != NULL)
		(void)dane_outcome(d);
	if (cert != NULL && e->verify) {
		sp_result_fail(d->r, SMTPPROBE_E_CERT, SMTPPROBE_STAGE_TLS, -1,
			"certificate verification failed: %s", cert);
		finish(d);
		return;
	}
	if (cert != NULL)
		sp_result_note(d->r, "certificate not verified: %s", cert);
	sp_result_fail(d->r, SMTPPROBE_E_TLS, SMTPPROBE_STAGE_TLS, -1, "TLS handshake failed: %s",
		e->reason[0] ? e->reason : err == 0 ? "connection closed by server" : strerror(err));
	finish(d);
}

static void
starttls_reply(struct sp_dialog *d, const struct sp_reply_line *line)
{
	record(d, d->greet_ex, line);
	if (line->code / 100 == 2) {
		start_tls(d);
		return;
	}
	fail_reply(d, SMTPPROBE_STAGE_STARTTLS, d->greet_ex);
	quit_now(d);
}

static const char *const mech_names[] = { "", "PLAIN", "LOGIN", "CRAM-MD5" };
static const unsigned mech_bits[] = { 0, SP_AUTH_PLAIN, SP_AUTH_LOGIN, SP_AUTH_CRAM_MD5 };

/*
 * Sends an AUTH line carrying a secret. The exchange is named by the
 * mechanism alone and the transcript shows "****": no output ever holds
 * the payload, and the line is wiped once libevent has its copy.
 */
static int
send_secret(struct sp_dialog *d, const char *prefix, char *secret, const char *shown)
{
	size_t plen = strlen(prefix), slen = secret != NULL ? strlen(secret) : 0;
	char cmd[32], *buf;
	int ex, rc;

	if (secret == NULL || (buf = malloc(plen + slen + 2)) == NULL) {
		sp_auth_free(secret);
		return -1;
	}
	memcpy(buf, prefix, plen);
	memcpy(buf + plen, secret, slen);
	memcpy(buf + plen + slen, "\r\n", 2);
	snprintf(cmd, sizeof(cmd), "AUTH %s", mech_names[d->env.opts->auth]);
	ex = sp_result_exchange(d->r, SMTPPROBE_STAGE_AUTH, cmd, strlen(cmd), now(d));
	if (ex != -1)
		trace(d, SMTPPROBE_DIR_SENT, shown, strlen(shown));
	rc = ex != -1 ? sp_conn_write(d->conn, buf, plen + slen + 2) : -1;
	if (rc != -1)
		d->owed++;
	explicit_bzero(buf, plen + slen + 2);
	free(buf);
	sp_auth_free(secret);
	return rc == -1 ? -1 : ex;
}

static void
auth_start(struct sp_dialog *d)
{
	const smtpprobe_opts *o = d->env.opts;
	const char *mech = mech_names[o->auth];

	if (!(d->r->caps.auth & mech_bits[o->auth])) {
		sp_result_fail(d->r, SMTPPROBE_E_UNSUPPORTED, SMTPPROBE_STAGE_AUTH, -1,
			"server does not offer AUTH %s", mech);
		quit_now(d);
		return;
	}
	set_state(d, D_AUTH);
	d->auth_step = 0;
	if (o->auth == SMTPPROBE_AUTH_PLAIN)
		d->auth_ex = send_secret(d, "AUTH PLAIN ", sp_auth_plain(o->auth_user, o->auth_pass),
			"AUTH PLAIN ****");
	else
		d->auth_ex = send_line(d, SMTPPROBE_STAGE_AUTH, "AUTH %s", mech);
	if (d->auth_ex == -1)
		internal_error(d);
}

/* The next response to a 334 challenge, or NULL when there is none. */
static char *
auth_response(struct sp_dialog *d, const struct sp_reply_line *line)
{
	const smtpprobe_opts *o = d->env.opts;
	const char *chal = line->rawlen > 4 ? line->raw + 4 : "";

	if (o->auth == SMTPPROBE_AUTH_LOGIN && d->auth_step < 2)
		return sp_b64_encode(d->auth_step == 0 ? o->auth_user : o->auth_pass,
			strlen(d->auth_step == 0 ? o->auth_user : o->auth_pass));
	if (o->auth == SMTPPROBE_AUTH_CRAM_MD5 && d->auth_step == 0)
		return sp_auth_cram_md5(o->auth_user, o->auth_pass, chal, strlen(chal), d->tls->hmac_md5);
	return NULL;
}

static void
auth_reply(struct sp_dialog *d, const struct sp_reply_line *line)
{
	char *resp;

	record(d, d->auth_ex, line);
	if (line->code == 235) {
		d->authed = true;
		after_greeting(d);
		return;
	}
	if (line->code == 334 && (resp = auth_response(d, line)) != NULL) {
		d->auth_step++;
		if ((d->auth_ex = send_secret(d, "", resp, "****")) == -1)
			internal_error(d);
		return;
	}
	fail_reply(d, SMTPPROBE_STAGE_AUTH, d->auth_ex);
	quit_now(d);
}

/* After a good greeting: STARTTLS, then AUTH, then the script, as asked. */
static void
after_greeting(struct sp_dialog *d)
{
	const smtpprobe_opts *o = d->env.opts;
	smtpprobe_stage qa = o->quit_after;

	if (o->tls == SMTPPROBE_TLS_STARTTLS && !d->tls_up && qa != SMTPPROBE_STAGE_EHLO) {
		if (!(d->r->caps.ext & SP_EXT_STARTTLS)) {
			sp_result_fail(d->r, SMTPPROBE_E_UNSUPPORTED, SMTPPROBE_STAGE_STARTTLS, -1,
				"server does not advertise STARTTLS");
			quit_now(d);
			return;
		}
		set_state(d, D_STARTTLS);
		if ((d->greet_ex = send_line(d, SMTPPROBE_STAGE_STARTTLS, "STARTTLS")) == -1)
			internal_error(d);
		return;
	}
	if (o->auth != SMTPPROBE_AUTH_NONE && !d->authed &&
	    qa != SMTPPROBE_STAGE_EHLO && qa != SMTPPROBE_STAGE_STARTTLS) {
		auth_start(d);
		return;
	}
	plan(d);
}

/* ------------------------------------------------- banner and greeting */

static void
send_greeting(struct sp_dialog *d, const char *verb, enum dstate next)
{
	set_state(d, next);
	if ((d->greet_ex = send_line(d, SMTPPROBE_STAGE_EHLO, "%s %s", verb, d->helo)) == -1)
		internal_error(d);
}

/* The greeting's first line names the server; later lines are prose. */
static void
take_banner_name(struct sp_dialog *d, const struct sp_exchange *ex)
{
	const char *text;
	size_t len;

	if (ex->lines.n == 0)
		return;
	text = sp_reply_line_text(ex->lines.v[0], strlen(ex->lines.v[0]), &len);
	sp_reply_banner_name(text, len, d->r->banner_name, sizeof(d->r->banner_name));
}

static void
banner_reply(struct sp_dialog *d, const struct sp_reply_line *line)
{
	/* The server speaks first: the banner is timed from the connection. */
	int ex = sp_result_exchange(d->r, SMTPPROBE_STAGE_BANNER, "", 0, d->connect_at);

	if (ex == -1) {
		internal_error(d);
		return;
	}
	record(d, ex, line);
	if (d->state == D_DONE)
		return;
	take_banner_name(d, &d->r->ex[ex]);
	if (!good(d, SMTPPROBE_STAGE_BANNER, line->code))
		fail_reply(d, SMTPPROBE_STAGE_BANNER, ex);
	if (line->code / 100 != 2 || d->env.opts->quit_after == SMTPPROBE_STAGE_BANNER)
		quit_now(d);
	else
		send_greeting(d, d->env.opts->lmtp ? "LHLO" : "EHLO", D_GREET);
}

static void
greet_reply(struct sp_dialog *d, const struct sp_reply_line *line)
{
	bool ehlo = d->state == D_GREET;

	record(d, d->greet_ex, line);
	/* RFC 5321 4.3.2: EHLO and HELO succeed with 250 alone. */
	if (good(d, SMTPPROBE_STAGE_EHLO, line->code) && line->code == 250) {
		d->r->greeting = !ehlo ? SMTPPROBE_GREETING_HELO :
		    d->env.opts->lmtp ? SMTPPROBE_GREETING_LHLO : SMTPPROBE_GREETING_EHLO;
		if (!d->tls_up)
			d->r->starttls_offered = (d->r->caps.ext & SP_EXT_STARTTLS) != 0;
		d->pipelining = (d->r->caps.ext & SP_EXT_PIPELINING) != 0 &&
		    !d->env.opts->no_pipelining;
		after_greeting(d);
		return;
	}
	/* Behind a PROXY header, "command not recognised" is its answer. */
	if (ehlo && d->env.opts->proxy != 0 && (line->code == 500 || line->code == 502)) {
		sp_result_fail(d->r, SMTPPROBE_E_PROTOCOL, SMTPPROBE_STAGE_EHLO, d->greet_ex,
			"protocol error in ehlo: %d %s%s%s; the server took the PROXY header for a command",
			line->code, line->enhanced, *line->enhanced ? " " : "", d->r->ex[d->greet_ex].text);
		finish(d);
		return;
	}
	if (ehlo && !d->env.opts->lmtp && (line->code == 500 || line->code == 502)) {
		/* A fallback, not a failure: the stage is judged by HELO's reply. */
		d->r->stages[SMTPPROBE_STAGE_EHLO].code = 0;
		sp_caps_clear(&d->r->caps);
		send_greeting(d, "HELO", D_HELO);
		return;
	}
	if (!good(d, SMTPPROBE_STAGE_EHLO, line->code))
		fail_reply(d, SMTPPROBE_STAGE_EHLO, d->greet_ex);
	quit_now(d);
}

static void
on_reply(struct sp_dialog *d, const struct sp_reply_line *line)
{
	if (d->tls_up)
		d->replies_after_tls++;
	switch (d->state) {
	case D_BANNER:
		banner_reply(d, line);
		break;
	case D_GREET:
	case D_HELO:
		greet_reply(d, line);
		break;
	case D_STARTTLS:
		starttls_reply(d, line);
		break;
	case D_AUTH:
		auth_reply(d, line);
		break;
	case D_SCRIPT:
		script_reply(d, line);
		break;
	case D_DONE:
		break;
	default:
		sp_result_fail(d->r, SMTPPROBE_E_INTERNAL, cur_stage(d), -1,
			"internal error: reply in state %s", dstate_names[d->state]);
		finish(d);
	}
}

/* ----------------------------------------------------- transport events */

/*
 * A reply that starts when the server owes none was written before it could
 * have read our next command: a confused or hostile server, and taking it as
 * the answer to what we send next would misjudge everything after it.
 */
static bool
unsolicited(struct sp_dialog *d)
{
	if (d->reply_lines > 0 || d->owed_now > 0)
		return false;
	sp_result_fail(d->r, SMTPPROBE_E_PROTOCOL, cur_stage(d), -1,
		"protocol error in %s: a reply to no command%s", smtpprobe_stage_name(cur_stage(d)),
		proxy_hint(d));
	finish(d);
	return true;
}

/*
 * An AUTH LOGIN prompt is base64 ("334 VXNlcm5hbWU6"): the transcript
 * shows it decoded beside it, as swaks does. Only prompts: our answers
 * are secrets and are never shown.
 */
static void
trace_received(struct sp_dialog *d, const struct sp_reply_line *line)
{
	unsigned char plain[64];
	char buf[SP_REPLY_MAX_LINE + 80];
	long n = -1;

	if (d->state == D_AUTH && d->env.opts->auth == SMTPPROBE_AUTH_LOGIN &&
	    line->code == 334 && line->rawlen > 4)
		n = sp_b64_decode(line->raw + 4, line->rawlen - 4, plain, sizeof(plain));
	for (long i = 0; i < n; i++)
		if (plain[i] < 0x20 || plain[i] >= 0x7f)
			n = -1;
	if (n <= 0) {
		trace(d, SMTPPROBE_DIR_RECEIVED, line->raw, line->rawlen);
		return;
	}
	snprintf(buf, sizeof(buf), "%.*s (%.*s)", (int)line->rawlen, line->raw, (int)n, (char *)plain);
	trace(d, SMTPPROBE_DIR_RECEIVED, buf, strlen(buf));
}

/* Every line is kept up to a bound; the last one always (it is the reply's). */
static int
keep_line(struct sp_dialog *d, const struct sp_reply_line *line)
{
	if (!line->last && (d->lines.n + 1 >= SP_KEEP_LINES || d->lines_bytes + line->rawlen > SP_KEEP_BYTES))
		return 0;
	d->lines_bytes = line->last ? 0 : d->lines_bytes + line->rawlen;
	return sp_strv_add(&d->lines, line->raw);
}

static void
on_line(struct sp_dialog *d, const struct sp_reply_line *line)
{
	trace_received(d, line);
	if (unsolicited(d))
		return;
	if (keep_line(d, line) == -1) {
		internal_error(d);
		return;
	}
	if (line->last) {
		d->owed_now--;
		d->owed--;
	}
	if (d->state == D_GREET)
		sp_caps_line(&d->r->caps, line->raw + (line->rawlen > 4 ? 4 : line->rawlen),
			line->rawlen > 4 ? line->rawlen - 4 : 0, d->reply_lines == 0);
	d->reply_lines = line->last ? 0 : d->reply_lines + 1;
	if (!line->last)
		return;
	on_reply(d, line);
	/* Taken by the exchange it answered; a reply no exchange took is dropped. */
	sp_strv_free(&d->lines);
}

static void
on_input(void *arg, const char *data, size_t len)
{
	struct sp_dialog *d = arg;
	struct sp_reply_line line;
	size_t used;

	/* Only what we had sent before these bytes came can be answered by them. */
	d->owed_now = d->owed;
	while (len > 0 && d->state != D_DONE) {
		/* Plaintext after the STARTTLS 220 (curl's test980, RFC 3207 5). */
		if (d->state == D_TLS) {
			sp_result_fail(d->r, SMTPPROBE_E_PROTOCOL, SMTPPROBE_STAGE_STARTTLS, -1,
				"protocol error: response injection after STARTTLS (%zu bytes)", len);
			finish(d);
			return;
		}
		switch (sp_reply_feed(&d->parser, data, len, &used, &line)) {
		case SP_REPLY_MORE:
			return;
		case SP_REPLY_LINE:
		case SP_REPLY_DONE:
			on_line(d, &line);
			break;
		case SP_REPLY_ERROR:
			if (d->parser.err == SP_REPLY_E_NOMEM) {
				internal_error(d);
				return;
			}
			sp_result_fail(d->r, SMTPPROBE_E_PROTOCOL, cur_stage(d), -1,
				"protocol error in %s reply: %s",
				smtpprobe_stage_name(cur_stage(d)),
				sp_reply_strerror(d->parser.err));
			finish(d);
			return;
		}
		data += used;
		len -= used;
	}
}

static void
choose_helo(struct sp_dialog *d)
{
	struct sockaddr_storage ss = { 0 };

	if (d->env.opts->helo != NULL) {
		snprintf(d->helo, sizeof(d->helo), "%s", d->env.opts->helo);
		return;
	}
	/* RFC 5321 4.1.4: a FQDN, or else the address literal of our end. */
	if (gethostname(d->helo, sizeof(d->helo)) == 0 && strchr(d->helo, '.') != NULL)
		return;
	if (sp_conn_local(d->conn, &ss) == -1 ||
	    sp_addr_literal(&ss, d->helo, sizeof(d->helo)) == NULL)
		snprintf(d->helo, sizeof(d->helo), "localhost.localdomain");
}

static void
on_connected(void *arg)
{
	struct sp_dialog *d = arg;
	int64_t t = now(d);

	sp_result_stage_time(d->r, SMTPPROBE_STAGE_CONNECT, d->connect_at, t);
	d->connect_at = t;
	tracef(d, "connected to %s port %u", d->r->addr, d->r->port);
	choose_helo(d);
	if (d->env.opts->proxy != 0) {
		if (sp_conn_proxy_header(d->conn, d->env.opts->proxy) == -1) {
			internal_error(d);
			return;
		}
		tracef(d, "PROXY protocol v%d header sent", d->env.opts->proxy);
	}
	if (d->env.opts->tls == SMTPPROBE_TLS_IMPLICIT) {
		start_tls(d);
	} else {
		d->owed = 1; /* the greeting */
		set_state(d, D_BANNER);
	}
}

static void
on_failed(void *arg, int err)
{
	struct sp_dialog *d = arg;
	smtpprobe_stage st = cur_stage(d);

	if (d->state == D_DONE)
		return;
	/*
	 * TLS 1.3 ends the client's handshake before the server has checked
	 * ours: its alert (certificate required) comes with the first reply
	 * read after it, and it is the handshake's failure all the same.
	 */
	if (d->state == D_TLS || (d->tls_up && d->replies_after_tls == 0 &&
	    sp_conn_tls_error(d->conn)->reason[0] != '\0')) {
		tls_failed(d, err);
		return;
	}
	if (d->state == D_CONNECT) {
		sp_result_stage_time(d->r, st, d->connect_at, now(d));
		sp_result_fail(d->r, SMTPPROBE_E_CONNECT, st, -1, "connect failed: %s", strerror(err));
	} else if (err == 0) {
		sp_result_fail(d->r, SMTPPROBE_E_CLOSED, st, -1,
			"connection closed by server during %s", smtpprobe_stage_name(st));
	} else {
		sp_result_fail(d->r, SMTPPROBE_E_CLOSED, st, -1, "connection lost during %s: %s",
			smtpprobe_stage_name(st), strerror(err));
	}
	finish(d);
}

/* ------------------------------------------------------------ lifecycle */


static void
finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_dialog *d = arg;

	sp_conn_free(d->conn);
	d->conn = NULL;
	d->done(d, d->arg); /* may free d */
}

/* The done callback always comes from the loop, never from inside a call. */
static void
finish(struct sp_dialog *d)
{
	if (d->state == D_DONE)
		return;
	if (d->r->status == SMTPPROBE_OK)
		d->r->stage = cur_stage(d);
	set_state(d, D_DONE);
	d->r->end = now(d);
	if (d->conn != NULL)
		sp_conn_stop(d->conn);
	event_active(d->finish_ev, 0, 0);
}

struct sp_dialog *
sp_dialog_new(const struct sp_dialog_env *env, struct smtpprobe_result *r,
	sp_dialog_done_fn done, void *arg)
{
	struct sp_dialog *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->env = *env;
	d->r = r;
	d->done = done;
	d->arg = arg;
	/* Commands, MAIL, RCPT and an LMTP answer per recipient, DATA, message, RSET, QUIT. */
	d->maxsteps = env->opts->commands.n + 2 * env->opts->rcpts.n + 6;
	sp_reply_init(&d->parser);
	d->steps = calloc(d->maxsteps, sizeof(*d->steps));
	d->finish_ev = event_new(env->base, -1, 0, finish_cb, d);
	if (d->steps == NULL || d->finish_ev == NULL) {
		sp_dialog_free(d);
		return NULL;
	}
	return d;
}

/* A local failure, not the server's: its errno tells the caller what to do. */
static void
no_socket(struct sp_dialog *d, int err)
{
	sp_result_fail(d->r, SMTPPROBE_E_LOCAL, SMTPPROBE_STAGE_CONNECT, -1, "no socket: %s%s",
		err == EMFILE || err == ENFILE ? "file descriptor limit reached: " : "", strerror(err));
	d->r->local_errno = err;
	finish(d);
}

int
sp_dialog_start(struct sp_dialog *d, const struct sockaddr *sa, socklen_t len)
{
	static const struct sp_conn_cb cb = { on_connected, on_input, on_failed, on_tls_up };

	const smtpprobe_opts *o = d->env.opts;
	char err[200];

	if ((o->tls != SMTPPROBE_TLS_NONE || o->auth == SMTPPROBE_AUTH_CRAM_MD5) &&
	    (d->tls = sp_tls_load(err, sizeof(err))) == NULL) {
		d->r->start = now(d);
		sp_result_fail(d->r, SMTPPROBE_E_LOCAL, SMTPPROBE_STAGE_CONNECT, -1, "%s", err);
		finish(d);
		return 0;
	}
	/* Loading trust anchors must not hold up a PROXY header or the
	 * handshake; a failure here is reported when start_tls() retries. */
	if (o->tls != SMTPPROBE_TLS_NONE && (d->tls_ctx = d->env.tls_ctx) == NULL)
		d->own_ctx = (d->tls_ctx = d->tls->ctx_new(o, err, sizeof(err))) != NULL;
	if ((d->conn = sp_conn_new(d->env.base, &cb, d)) == NULL)
		return -1;
	d->r->start = d->connect_at = now(d);
	d->state = D_CONNECT;
	if (sp_conn_connect(d->conn, sa, len) == -1)
		no_socket(d, errno);
	return 0;
}

/*
 * Since when the dialog has waited: for the connection, the handshake, the
 * banner (timed from the connection), or the oldest command without a reply.
 */
static int64_t
waiting_since(const struct sp_dialog *d)
{
	if (d->state == D_TLS)
		return d->tls_start;
	for (size_t i = 0; d->state != D_CONNECT && i < d->r->nex; i++)
		if (d->r->ex[i].code == 0)
			return d->r->ex[i].sent;
	return d->connect_at;
}

void
sp_dialog_abort(struct sp_dialog *d, smtpprobe_status status)
{
	smtpprobe_stage st = cur_stage(d);
	int64_t t = now(d);

	if (d->state == D_DONE)
		return;
	/* The stage that was waiting gets the time it waited. */
	sp_result_stage_time(d->r, st, waiting_since(d), t);
	if (status == SMTPPROBE_E_TIMEOUT)
		sp_result_fail(d->r, status, st, -1, "%s timeout after %.3fs",
			smtpprobe_stage_name(st), d->env.opts->timeout_ms / 1000.0);
	else
		sp_result_fail(d->r, status, st, -1, "%s", smtpprobe_status_name(status));
	finish(d);
}

void
sp_dialog_free(struct sp_dialog *d)
{
	if (d == NULL)
		return;
	if (d->finish_ev != NULL)
		event_free(d->finish_ev);
	sp_conn_free(d->conn);
	if (d->own_ctx)
		d->tls->ctx_free(d->tls_ctx);
	sp_reply_free(&d->parser);
	sp_strv_free(&d->lines);
	free(d->steps);
	free(d->message);
	free(d);
}
