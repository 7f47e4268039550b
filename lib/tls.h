/* SPDX-License-Identifier: MIT */
/*
 * tls.h - the TLS half of the library: OpenSSL contexts, one SSL per
 * connection with SNI and the name to check, the verdict on the
 * certificate, the facts worth reporting, and libevent's OpenSSL filter.
 *
 * It is a module of its own, smtpprobe-tls.so (tls.c), that sp_tls_load()
 * brings in the first time a dialog needs TLS or CRAM-MD5: a plain check
 * never maps, relocates or initialises OpenSSL, which is most of what a
 * short-lived plugin process would otherwise spend. Verification stays one
 * step of its own, so DANE (RFC 7672) can replace it later.
 */
#ifndef SP_TLS_H
#define SP_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

struct bufferevent;
struct ssl_ctx_st;
struct ssl_st;
struct sp_tlsaset;

/* Why a TLS connection failed, as OpenSSL's filter queued it. */
struct sp_tls_error {
	char reason[160];  /* the first error with words, else the first; "" if none */
	char queue[320];   /* every queued error, "; "-joined (for -v) */
	bool verify;       /* the handshake stopped at the certificate's verification */
};

struct sp_tls_ops {
	/* PACKAGE_VERSION of the build: module and library must match. */
	const char *version;
	/* @return a client context for @p o, or NULL with a reason in @p err. */
	struct ssl_ctx_st *(*ctx_new)(const smtpprobe_opts *o, char *err, size_t errlen);
	void (*ctx_free)(struct ssl_ctx_st *ctx);
	/*
	 * @return an SSL that sends SNI and checks the certificate against
	 * @p name (a DNS name or an IP literal), or NULL with a reason in @p err.
	 */
	struct ssl_st *(*ssl_new)(struct ssl_ctx_st *ctx, const char *name, char *err, size_t errlen);
	void (*ssl_free)(struct ssl_st *ssl);
	/* Fills r->tls from a completed handshake. @return 0, or -1 on ENOMEM. */
	int (*facts)(struct ssl_st *ssl, struct smtpprobe_result *r);
	/*
	 * DANE (RFC 7672): an SSL that sends @p base as SNI and verifies the
	 * chain by the records of @p set whose @p use is not UNUSABLE, with
	 * OpenSSL's DANE support (DANE-EE without name checks; DANE-TA with
	 * @p base and @p host as reference identifiers). The handshake stops
	 * when none matches. NULL with a reason in @p err.
	 */
	struct ssl_st *(*ssl_new_dane)(struct ssl_ctx_st *ctx, const char *base, const char *host,
		const struct sp_tlsaset *set, const smtpprobe_tlsa_use *use, char *err, size_t errlen);
	/*
	 * After a DANE handshake ended (or failed): its outcome, and for an
	 * authenticated one the matching record's fields and @p depth.
	 */
	smtpprobe_dane_auth (*dane_outcome)(struct ssl_st *ssl, int *depth, unsigned *usage,
		unsigned *selector, unsigned *mtype, const unsigned char **data, size_t *len);
	/* @return why the chain failed verification, or NULL when it did not. */
	const char *(*verify_error)(struct ssl_st *ssl);
	/* HMAC-MD5 for CRAM-MD5 (auth.c stays free of crypto libraries). */
	void (*hmac_md5)(const void *key, size_t keylen, const void *msg, size_t msglen,
		unsigned char out[16]);
	/* @return @p under wrapped in a client TLS filter that owns @p ssl, or NULL. */
	struct bufferevent *(*filter_new)(struct bufferevent *under, struct ssl_st *ssl);
	/* Takes the OpenSSL errors the filter queued (all empty if none). */
	void (*filter_error)(struct bufferevent *bev, struct sp_tls_error *err);
};

/*
 * @return the TLS module's operations (loading it on first use), or NULL
 * with the reason in @p err when it cannot be found or does not match.
 */
const struct sp_tls_ops *sp_tls_load(char *err, size_t errlen);

#endif
