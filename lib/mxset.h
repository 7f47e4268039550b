/* SPDX-License-Identifier: MIT */
/*
 * mxset.h - a domain's MX set as a sending MTA sees it: the MX lookup, the
 * domain itself when it has none (implicit MX, RFC 5321 5.1), the null MX
 * (RFC 7505), each MX host's addresses, and a target per address, made in
 * preference order through the owner's hook, which enforces its limit.
 *
 * An MTA-STS check (RFC 8461) does not go here but beside it, in
 * lib/mtasts.c with an env and a done of its own: the probe starts it with
 * the MX set, and when both are done holds each target's MX host name
 * against the policy; for DANE the MX set would only record whether its
 * MX and address answers were DNSSEC-validated and pass that to each target.
 */
#ifndef SP_MXSET_H
#define SP_MXSET_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

struct event_base;
struct sp_resolver;
struct sp_target;
struct sp_mxset;

/* What the MX set gets from its owner; copied, so it may live on the stack. */
struct sp_mxset_env {
	struct event_base *base;
	const smtpprobe_opts *opts;  /* mx_domain, family, max_targets, resolve_only */
	int64_t t0;                  /* the owner's start, for timestamps */
	/* The owner's resolver, made on first need; NULL when it cannot be. */
	struct sp_resolver *(*resolver)(void *owner);
	/*
	 * A new target (target.h) for @p host, which lives as long as the MX
	 * set; the MX set starts or fails it at once. @return NULL at the
	 * owner's target limit or on ENOMEM: the MX set counts it as skipped.
	 */
	struct sp_target *(*new_target)(void *owner, const char *host, int pref,
		int64_t dns_start, int64_t dns_usec);
	/* @return true once the owner's deadline has passed: dial no more. */
	bool (*past_deadline)(void *owner);
	/* Something the domain as a whole has to say ("no MX record: ..."). */
	void (*note)(void *owner, const char *text);
	void *owner;
};

/*
 * Called exactly once, from the event loop (never from inside a call of
 * this API), when every MX host has been looked up and has made its
 * targets, or the domain has failed as a whole (one target says why).
 */
typedef void (*sp_mxset_done_fn)(struct sp_mxset *m, void *arg);

/* @return an MX set for env->opts->mx_domain, not yet started, or NULL (ENOMEM). */
struct sp_mxset *sp_mxset_new(const struct sp_mxset_env *env, sp_mxset_done_fn done, void *arg);
/* Starts the MX lookup; everything else follows from its answer. */
void sp_mxset_start(struct sp_mxset *m);
/*
 * Ends every lookup for @p why, SMTPPROBE_E_TIMEOUT or SMTPPROBE_CANCELLED:
 * hosts not yet looked up become failed targets, addresses found but not
 * yet dialled "not dialled" ones. The targets already made are the owner's
 * to abort.
 */
void sp_mxset_abort(struct sp_mxset *m, smtpprobe_status why);
/* @return true until the done callback has been called. */
bool sp_mxset_busy(const struct sp_mxset *m);
/*
 * @return the DNS stage's time in usec (the MX lookup and every host's
 * addresses), or -1 before the lookup started; its start in @p start.
 */
int64_t sp_mxset_dns_usec(const struct sp_mxset *m, int64_t *start);
/* Frees the MX set; the host names targets were given go with it. */
void sp_mxset_free(struct sp_mxset *m);

#endif
