/* SPDX-License-Identifier: MIT */
/*
 * tlsctx.c - a TLS client context made once and lent to many probes (see
 * smtpprobe_tlsctx_new()): a long-running program reads the trust anchors
 * once, not once a probe. The context itself lives in the TLS module;
 * this is the handle the public API gives out.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tls.h"

struct smtpprobe_tlsctx {
	const struct sp_tls_ops *tls; /* the module that made ctx, and frees it */
	struct ssl_ctx_st *ctx;
};

smtpprobe_tlsctx *
smtpprobe_tlsctx_new(const smtpprobe_opts *o, char *err, size_t errlen)
{
	smtpprobe_tlsctx *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((c->tls = sp_tls_load(err, errlen)) == NULL ||
	    (c->ctx = c->tls->ctx_new(o, err, errlen)) == NULL) {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	return c;
}

void
smtpprobe_tlsctx_free(smtpprobe_tlsctx *c)
{
	if (c == NULL)
		return;
	c->tls->ctx_free(c->ctx);
	free(c);
}

int
smtpprobe_opts_set_tlsctx(smtpprobe_opts *o, smtpprobe_tlsctx *c)
{
	o->tlsctx = c;
	return 0;
}

struct ssl_ctx_st *
sp_tlsctx_ssl(const smtpprobe_tlsctx *c)
{
	return c->ctx;
}
