/* SPDX-License-Identifier: MIT */
/*
 * auth.h - SASL PLAIN, LOGIN and CRAM-MD5 client responses (RFC 4616,
 * draft-murchison-sasl-login, RFC 2195). Pure: the HMAC-MD5 that CRAM-MD5
 * needs is handed in, so this file knows no crypto library. Every buffer
 * that held a secret is wiped before it is freed.
 */
#ifndef SP_AUTH_H
#define SP_AUTH_H

#include <stddef.h>

typedef void (*sp_hmac_md5_fn)(const void *key, size_t keylen, const void *msg,
	size_t msglen, unsigned char out[16]);

/* @return a malloc'd NUL-terminated base64 encoding of @p in, or NULL. */
char *sp_b64_encode(const void *in, size_t len);
/*
 * Decodes base64 (no whitespace) into @p out. @return the decoded length,
 * or -1 when the input is not base64 or does not fit @p cap.
 */
long sp_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap);

/* The PLAIN initial response: base64("\0user\0pass"). NULL on ENOMEM. */
char *sp_auth_plain(const char *user, const char *pass);
/*
 * The CRAM-MD5 response to a base64 challenge: base64("user " hex(HMAC)).
 * NULL when the challenge is not base64 or on ENOMEM.
 */
char *sp_auth_cram_md5(const char *user, const char *pass, const char *challenge,
	size_t len, sp_hmac_md5_fn hmac);
/* Wipes and frees a response. */
void sp_auth_free(char *s);

#endif
