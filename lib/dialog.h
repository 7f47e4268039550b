/* SPDX-License-Identifier: MIT */
/*
 * dialog.h - one SMTP dialog with one address: the state machine that,
 * given a reply in a state, decides what to send and where to go.
 */
#ifndef SP_DIALOG_H
#define SP_DIALOG_H

#include <stdint.h>
#include <sys/socket.h>

#include "internal.h"

struct event_base;
struct sp_dialog;

typedef void (*sp_dialog_done_fn)(struct sp_dialog *d, void *arg);

struct sp_dialog_env {
	struct event_base *base;
	const smtpprobe_opts *opts;
	int64_t t0;                /* probe start, for timestamps */
	smtpprobe_line_fn line;    /* transcript sink, may be NULL */
	void *line_arg;
	/* TLS context the probe's dialogs share (trust anchors loaded once);
	 * NULL: the dialog makes its own. Not freed by the dialog. */
	struct ssl_ctx_st *tls_ctx;
};

/*
 * Creates a dialog that fills @p r. @p done is called exactly once, from the
 * event loop (never from inside another call of this API), after which the
 * caller frees the dialog.
 */
struct sp_dialog *sp_dialog_new(const struct sp_dialog_env *env,
	struct smtpprobe_result *r, sp_dialog_done_fn done, void *arg);
/* Connects to @p sa and runs the dialog. @return 0 or -1 (ENOMEM). */
int sp_dialog_start(struct sp_dialog *d, const struct sockaddr *sa, socklen_t len);
/*
 * DANE: the TLS handshake waits, once it is due, until sp_dialog_tls_go();
 * then it is verified by the usable TLSA records in the result's DANE
 * facts, if any. Hold before sp_dialog_start(); go at any time.
 */
void sp_dialog_tls_hold(struct sp_dialog *d);
void sp_dialog_tls_go(struct sp_dialog *d);
/* Ends a running dialog with @p status (timeout, cancel); done follows. */
void sp_dialog_abort(struct sp_dialog *d, smtpprobe_status status);
void sp_dialog_free(struct sp_dialog *d);

#endif
