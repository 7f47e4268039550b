/* SPDX-License-Identifier: MIT */
/*
 * mtasts.h - a domain's MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) check:
 * the TXT records of _mta-sts.DOMAIN and _smtp._tls.DOMAIN and the policy
 * fetch, all at once and beside the MX set (the probe starts both), with
 * an env and one done of its own. The facts land in struct smtpprobe_sts,
 * which the public accessors read; holding each target's MX host against
 * the policy is sp_mtasts_pattern(), called by the probe when both ended.
 */
#ifndef SP_MTASTS_H
#define SP_MTASTS_H

#include <stdbool.h>
#include <stdint.h>

#include "httpget.h"
#include "resolve.h"
#include "stsparse.h"

#define SP_STS_PORT 443
#define SP_STS_PATH "/.well-known/mta-sts.txt"
#define SP_STS_REC_SHOW 256       /* bytes of a TXT record kept for display */

struct event_base;
struct sp_tls_ops;
struct ssl_ctx_st;
struct sp_mtasts;

/* One TXT lookup's facts, as the plugin sees them. */
struct sp_sts_txtfacts {
	smtpprobe_txt_status status;
	int dns_status;
	size_t n;                         /* records kept for display */
	char rec[SP_MAX_TXT][SP_STS_REC_SHOW];
};

struct smtpprobe_sts {
	bool sts_asked, tlsrpt_asked;
	struct sp_sts_txtfacts txt, rpt;
	struct sp_sts_txt sts_txt;        /* the parser's verdict on _mta-sts */
	struct sp_tlsrpt tlsrpt;          /* ... and on _smtp._tls */
	int64_t dns_usec;                 /* the later lookup's end, -1 before */
	struct sp_httpget_facts fetch;    /* body kept as text below */
	char *text;                       /* the policy as fetched, NUL-terminated */
	smtpprobe_sts_mode mode;          /* UNKNOWN unless the policy is valid */
	struct sp_sts_policy policy;
};

/* What the check needs from its owner; copied, so it may live on the stack. */
struct sp_mtasts_env {
	struct event_base *base;
	const smtpprobe_opts *opts;       /* mx_domain, mta_sts, tlsrpt, family */
	struct sp_resolver *(*resolver)(void *owner);
	/* The TLS module and the shared context with the trust anchors; NULL if none. */
	struct ssl_ctx_st *(*tls_ctx)(void *owner, const struct sp_tls_ops **ops);
	void *owner;
};

/* Called once, from the event loop or from sp_mtasts_abort(). */
typedef void (*sp_mtasts_done_fn)(struct sp_mtasts *m, void *arg);

/* @return a check of env->opts->mx_domain, not yet started, or NULL (ENOMEM). */
struct sp_mtasts *sp_mtasts_new(const struct sp_mtasts_env *env, sp_mtasts_done_fn done, void *arg);
/* Starts the lookups and the fetch the options ask for. */
void sp_mtasts_start(struct sp_mtasts *m);
/* Ends what still runs as timed out (or cancelled); the done callback comes before it returns. */
void sp_mtasts_abort(struct sp_mtasts *m, bool cancelled);
/* @return true until the done callback has been called. */
bool sp_mtasts_busy(const struct sp_mtasts *m);
/* @return the facts gathered so far. */
const struct smtpprobe_sts *sp_mtasts_facts(const struct sp_mtasts *m);
/* @return the index of the policy pattern covering @p host, or -1 (none, or no valid policy). */
int sp_mtasts_pattern(const struct sp_mtasts *m, const char *host);
void sp_mtasts_free(struct sp_mtasts *m);

/*
 * Pure helpers, unit-tested: a TXT lookup's outcome from its DNS status
 * and the parser's verdict, and the policy's parse into the facts.
 */
smtpprobe_txt_status sp_mtasts_txt_status(int dns_status, int parser_status);
void sp_mtasts_take_policy(struct smtpprobe_sts *s, const char *text, size_t len);

#endif
