/*
 * tls.h - OpenSSL for the dialog: the context, one SSL per connection with
 * SNI and the host name to check, the verdict on the certificate, and the
 * facts worth reporting. Verification is one step of its own, so DANE
 * (RFC 7672) can replace it later.
 */
#ifndef SP_TLS_H
#define SP_TLS_H

#include <stddef.h>

#include "internal.h"

struct ssl_ctx_st;
struct ssl_st;

/* @return a client context for @p o, or NULL with a reason in @p err. */
struct ssl_ctx_st *sp_tls_ctx_new(const smtpprobe_opts *o, char *err, size_t errlen);
void sp_tls_ctx_free(struct ssl_ctx_st *ctx);
/*
 * @return an SSL that sends SNI and checks the certificate against @p name
 * (a DNS name or an IP literal), or NULL with a reason in @p err.
 */
struct ssl_st *sp_tls_new(struct ssl_ctx_st *ctx, const char *name, char *err, size_t errlen);
/* Fills r->tls from a completed handshake. @return 0, or -1 on ENOMEM. */
int sp_tls_facts(struct ssl_st *ssl, struct smtpprobe_result *r);
/* @return true when the peer's certificate verified; else why, in words. */
bool sp_tls_verified(struct ssl_st *ssl, char *why, size_t len);
/* OpenSSL's reason for error code @p e, in words. */
void sp_tls_reason(unsigned long e, char *buf, size_t len);
/* HMAC-MD5 for CRAM-MD5 (auth.c stays free of crypto libraries). */
void sp_tls_hmac_md5(const void *key, size_t keylen, const void *msg, size_t msglen,
	unsigned char out[16]);

#endif
