/* SPDX-License-Identifier: MIT */
/*
 * target.h - one target's life: the result it fills, the addresses it
 * dials in turn (the next when one refuses: -H), the lookup of its host
 * (an IP literal, the hosts file, then DNS), reverse DNS beside its dialog,
 * its dialog, its failures and its end.
 *
 * DANE (RFC 7672): per target a TLSA lookup started beside the connection
 * (through the env's resolver), its facts in the result (dane.h); the
 * dialog's handshake waits for it and verifies by its records; the
 * target's done waits for it as for its dialog.
 */
#ifndef SP_TARGET_H
#define SP_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "internal.h"

struct event_base;
struct ssl_ctx_st;
struct sp_resolver;
struct sp_target;

/* What a target gets from its owner; copied, so it may live on the stack. */
struct sp_target_env {
	struct event_base *base;
	const smtpprobe_opts *opts;
	int64_t t0;                 /* the owner's start, for timestamps */
	smtpprobe_line_fn line;     /* transcript sink, may be NULL */
	void *line_arg;
	/* The owner's shared resolver and TLS context (trust anchors loaded
	 * once), made on first need: a literal address without reverse DNS
	 * never needs a resolver. Either may return NULL; neither is freed by
	 * the target. */
	struct sp_resolver *(*resolver)(void *owner);
	struct ssl_ctx_st *(*tls_ctx)(void *owner);
	/* Reverse DNS of a target has ended (it may outlive done). */
	void (*rdns_ended)(void *owner);
	void *owner;
};

/*
 * Called exactly once, from the event loop (never from inside a call of
 * this API), when the target's verdict is final: its lookup and dialogs
 * are over and no address is left to try. Reverse DNS may still run then:
 * it only annotates the result, and the owner decides how long to wait
 * (sp_target_rdns_running, sp_target_rdns_expire, env->rdns_ended).
 */
typedef void (*sp_target_done_fn)(struct sp_target *t, void *arg);

/*
 * A target for @p host (it must outlive the target), with a fresh result.
 * @p pref is the MX preference, -1 for none; @p dns_usec the time its host
 * took to resolve from @p dns_start (usec since t0), -1 when none was
 * looked up yet. Nothing runs until one of the start or fail calls below,
 * one of which must follow. @return the target, or NULL (ENOMEM).
 */
struct sp_target *sp_target_new(const struct sp_target_env *env, const char *host, int pref,
	int64_t dns_start, int64_t dns_usec, sp_target_done_fn done, void *arg);

/* -H: resolves the host (IP literal, hosts file, DNS), then dials its addresses in turn. */
void sp_target_start_host(struct sp_target *t);
/* MX: dials the one address the MX set found for the host. */
void sp_target_start_addr(struct sp_target *t, const struct sockaddr_storage *ss);
/* DANE, -M: whether the MX RRset and the host's address records were DNSSEC-validated. */
void sp_target_dnssec(struct sp_target *t, bool mx_ad, bool addr_ad);
/*
 * Records @p ss without dialling it and ends the target: found only, with
 * @p st SMTPPROBE_OK (resolve only), else failed with @p st as "not
 * dialled: @p why".
 */
void sp_target_skip(struct sp_target *t, const struct sockaddr_storage *ss,
	smtpprobe_status st, const char *why);
/* Ends a target that could not start: its host's lookup failed, or too late. */
void sp_target_fail(struct sp_target *t, smtpprobe_status st, smtpprobe_stage stage,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Ends what the target runs (its lookup, reverse DNS, dialog) for @p why,
 * SMTPPROBE_E_TIMEOUT or SMTPPROBE_CANCELLED, and tries no further
 * address. A timed-out dialog ends its own way, from the loop; a cancelled
 * one is closed at once, since the owner completes before the loop runs.
 */
void sp_target_abort(struct sp_target *t, smtpprobe_status why);
/* The owner's grace for reverse DNS is over: ends it, saying so in the result. */
void sp_target_rdns_expire(struct sp_target *t);

/* @return true until the done callback has been called. */
bool sp_target_busy(const struct sp_target *t);
/* @return true while the reverse DNS lookup runs. */
bool sp_target_rdns_running(const struct sp_target *t);
/* @return the usec its host's own lookup took (0 while it runs), -1 when none was made. */
int64_t sp_target_dns_usec(const struct sp_target *t);
/* @return the result: the owner reads it and may close its time. */
struct smtpprobe_result *sp_target_result(const struct sp_target *t);

/* Frees the target and its result; no callback follows. */
void sp_target_free(struct sp_target *t);

#endif
