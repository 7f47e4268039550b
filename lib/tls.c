/* SPDX-License-Identifier: MIT */
/*
 * tls.c - the TLS module (smtpprobe-tls.so): OpenSSL contexts, certificate
 * verification and facts, libevent's OpenSSL filter. Its one exported
 * symbol is the table of operations, smtpprobe_tls_module; see tls.h.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "tlsa.h"

/*
 * An error's reason string when loaded (libssl's always are; libcrypto's
 * not after the lean init), else the errno text of a system error, else
 * the error's code, which OpenSSL's errstr(1) explains.
 * @return false when only the code could be given.
 */
static bool
tls_reason(unsigned long e, char *buf, size_t len)
{
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else if (e != 0 && ERR_SYSTEM_ERROR(e))
		snprintf(buf, len, "%s", strerror(ERR_GET_REASON(e)));
	else if (e != 0) {
		snprintf(buf, len, "OpenSSL error %08lX", e);
		return false;
	} else
		snprintf(buf, len, "unknown error");
	return true;
}

static void
ossl_err(char *err, size_t errlen, const char *what)
{
	char reason[160];

	tls_reason(ERR_get_error(), reason, sizeof(reason));
	snprintf(err, errlen, "%s: %s", what, reason);
	ERR_clear_error();
}

/* A directory of c_rehash links ("5ad8a5d6.0"): a readdir() finds one soon. */
static bool
hashed_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;

	while (d != NULL && !found && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		found = n >= 10 && n <= 12 && strspn(e->d_name, "0123456789abcdef") == 8 &&
		    e->d_name[8] == '.' && strspn(e->d_name + 9, "0123456789") == n - 9;
	}
	if (d != NULL)
		closedir(d);
	return found;
}

/*
 * The system's trust anchors. OpenSSL's defaults parse the whole bundle
 * file (Debian: ~140 certificates, 236 M instructions, a dozen plain checks'
 * worth) before the first byte is sent. Its hashed directory holds the same
 * anchors and is read as a chain needs them: used whenever there is one,
 * and the defaults only without it (or with SSL_CERT_FILE set).
 */
static int
load_system_store(SSL_CTX *ctx)
{
	const char *dir = secure_getenv(X509_get_default_cert_dir_env());

	if (dir == NULL)
		dir = X509_get_default_cert_dir();
	if (secure_getenv(X509_get_default_cert_file_env()) == NULL && hashed_dir(dir))
		return SSL_CTX_load_verify_dir(ctx, dir);
	return SSL_CTX_set_default_verify_paths(ctx);
}

/*
 * Of a short-lived process's TLS check, OpenSSL's exit-time cleanup takes
 * 1.4 M instructions and loading libcrypto's error strings 0.9 M (of
 * ~24 M); an owner of the process may skip both. libssl's strings, which
 * name handshake failures, stay.
 */
static void
lean_init(const smtpprobe_opts *o)
{
	if (o->tls_lean_init)
		OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, NULL);
}

/* Names the file: a reason alone would not say which option is wrong. */
static void
anchors_err(const smtpprobe_opts *o, char *err, size_t errlen)
{
	const char *path = o->ca_file != NULL ? o->ca_file : o->ca_dir;
	char reason[160];
	bool worded = tls_reason(ERR_get_error(), reason, sizeof(reason));

	ERR_clear_error();
	if (path == NULL)
		snprintf(err, errlen, "cannot load trust anchors: %s", reason);
	else
		snprintf(err, errlen, "cannot load trust anchors from %s: %s%s", path,
			worded ? "" : "no PEM certificate read: ", reason);
}

static SSL_CTX *
ctx_new(const smtpprobe_opts *o, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	int ok;

	lean_init(o);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		ossl_err(err, errlen, "TLS context");
		return NULL;
	}
	if (o->ca_file != NULL || o->ca_dir != NULL)
		ok = SSL_CTX_load_verify_locations(ctx, o->ca_file, o->ca_dir);
	else
		ok = load_system_store(ctx);
	if (!ok) {
		anchors_err(o, err, errlen);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (o->tls_min != 0 && !SSL_CTX_set_min_proto_version(ctx, o->tls_min)) {
		ossl_err(err, errlen, "lowest TLS version");
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* OpenSSL's DANE needs its digests set up on the context (RFC 7672). */
	if (o->dane != SMTPPROBE_DANE_OFF && SSL_CTX_dane_enable(ctx) <= 0) {
		ossl_err(err, errlen, "DANE");
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* With verification off the chain is still checked, for the report.
	 * DANE's require mode judges by the records alone: their SSLs verify
	 * by them, the others' PKIX verdict is only reported. */
	SSL_CTX_set_verify(ctx, o->tls_verify && o->dane != SMTPPROBE_DANE_REQUIRE ?
	    SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	return ctx;
}

static void
ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}

static SSL *
ssl_new(SSL_CTX *ctx, const char *name, char *err, size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];
	bool literal = inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
	SSL *ssl = SSL_new(ctx);

	if (ssl == NULL) {
		ossl_err(err, errlen, "TLS session");
		return NULL;
	}
	/* RFC 6066: SNI carries host names only, never address literals. */
	if (literal ? !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) :
	    (!SSL_set_tlsext_host_name(ssl, name) || !SSL_set1_host(ssl, name))) {
		ossl_err(err, errlen, "TLS peer name");
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

/*
 * RFC 7672 3.1: DANE-EE matches the leaf alone (no names, no dates: with
 * the name checks off OpenSSL also skips the rest of the chain); DANE-TA
 * builds a chain to the matching anchor and checks a name, the TLSA base
 * domain or the MX host. Records OpenSSL refuses (a digest it lacks) are
 * left out as unusable would be.
 */
static SSL *
ssl_new_dane(SSL_CTX *ctx, const char *base, const char *host, const struct sp_tlsaset *set,
	const smtpprobe_tlsa_use *use, char *err, size_t errlen)
{
	SSL *ssl = SSL_new(ctx);
	int added = 0;

	if (ssl == NULL) {
		ossl_err(err, errlen, "TLS session");
		return NULL;
	}
	if (!SSL_set_tlsext_host_name(ssl, base) || SSL_dane_enable(ssl, base) <= 0 ||
	    (strcasecmp(base, host) != 0 && !SSL_add1_host(ssl, host))) {
		ossl_err(err, errlen, "DANE peer name");
		SSL_free(ssl);
		return NULL;
	}
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (size_t i = 0; i < set->n; i++) {
		const struct sp_tlsa *t = &set->rec[i];

		if (use[i] != SMTPPROBE_TLSA_UNUSABLE &&
		    SSL_dane_tlsa_add(ssl, t->usage, t->selector, t->mtype, t->data, t->len) > 0)
			added++;
	}
	ERR_clear_error();
	if (added == 0) {
		snprintf(err, errlen, "no TLSA record could be used");
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	return ssl;
}

static smtpprobe_dane_auth
dane_outcome(SSL *ssl, int *depth, unsigned *usage, unsigned *selector, unsigned *mtype,
	const unsigned char **data, size_t *len)
{
	uint8_t u, s, m;
	long v = SSL_get_verify_result(ssl);

	*depth = -1;
	if (v == X509_V_ERR_DANE_NO_MATCH)
		return SMTPPROBE_DANE_NO_MATCH;
	if (v != X509_V_OK || SSL_get0_peer_certificate(ssl) == NULL)
		return SMTPPROBE_DANE_CHECK_FAILED;
	if ((*depth = SSL_get0_dane_tlsa(ssl, &u, &s, &m, data, len)) < 0)
		return SMTPPROBE_DANE_CHECK_FAILED;
	*usage = u;
	*selector = s;
	*mtype = m;
	return SMTPPROBE_DANE_AUTHENTICATED;
}

static const char *
verify_error(SSL *ssl)
{
	long v = SSL_get_verify_result(ssl);

	return v == X509_V_OK ? NULL : X509_verify_cert_error_string(v);
}

static bool
verified(SSL *ssl, char *why, size_t len)
{
	const char *e = verify_error(ssl);

	if (SSL_get0_peer_certificate(ssl) == NULL) {
		snprintf(why, len, "no certificate presented");
		return false;
	}
	if (e == NULL)
		return true;
	snprintf(why, len, "%s", e);
	return false;
}


static void
name_line(X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int got = 0;

	buf[0] = '\0';
	if (b == NULL)
		return;
	/* One line, RFC 2253 order reversed as people read it: "CN=x, O=y". */
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0)
		got = BIO_read(b, buf, (int)len - 1);
	buf[got > 0 ? got : 0] = '\0';
	BIO_free(b);
}

static void
append(char *buf, size_t len, const char *kind, const char *val, size_t vlen)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s:%.*s", used ? " " : "", kind, (int)vlen, val);
}

static void
sans_line(X509 *cert, char *buf, size_t len)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	char ip[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const unsigned char *d;
		int n;

		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			append(buf, len, "DNS", (const char *)d, (size_t)ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			n = ASN1_STRING_length(g->d.iPAddress);
			if (inet_ntop(n == 16 ? AF_INET6 : AF_INET, d, ip, sizeof(ip)) != NULL && (n == 4 || n == 16))
				append(buf, len, "IP", ip, strlen(ip));
		}
	}
	GENERAL_NAMES_free(gens);
}

static int64_t
not_after(X509 *cert)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static int
facts(SSL *ssl, struct smtpprobe_result *r)
{
	struct sp_tls_facts *f = r->tls;
	X509 *cert = SSL_get0_peer_certificate(ssl);

	if (f == NULL && (f = r->tls = calloc(1, sizeof(*f))) == NULL)
		return -1;
	snprintf(f->version, sizeof(f->version), "%s", SSL_get_version(ssl));
	snprintf(f->cipher, sizeof(f->cipher), "%s", SSL_get_cipher_name(ssl));
	if (!verified(ssl, f->error, sizeof(f->error)) && f->error[0] == '\0')
		snprintf(f->error, sizeof(f->error), "not verified");
	if (cert == NULL)
		return 0;
	name_line(X509_get_subject_name(cert), f->subject, sizeof(f->subject));
	name_line(X509_get_issuer_name(cert), f->issuer, sizeof(f->issuer));
	sans_line(cert, f->sans, sizeof(f->sans));
	f->not_after = not_after(cert);
	return 0;
}

static void
hmac_md5(const void *key, size_t keylen, const void *msg, size_t msglen,
	unsigned char out[16])
{
	unsigned int len = 16;

	if (HMAC(EVP_md5(), key, (int)keylen, msg, msglen, out, &len) == NULL)
		memset(out, 0, 16);
}

static struct bufferevent *
filter_new(struct bufferevent *under, SSL *ssl)
{
	struct bufferevent *f = bufferevent_openssl_filter_new(bufferevent_get_base(under),
		under, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);

	/* Servers often close after 221 without close_notify: that is EOF. */
	if (f != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(f, 1);
	return f;
}

/* The first error with words, else the first: see tls_reason(). */
static void
filter_error(struct bufferevent *bev, struct sp_tls_error *err)
{
	unsigned long e, first = 0, worded = 0;

	memset(err, 0, sizeof(*err));
	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		char one[160];
		size_t used = strlen(err->queue);

		if (first == 0)
			first = e;
		if (worded == 0 && ERR_reason_error_string(e) != NULL)
			worded = e;
		if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED)
			err->verify = true;
		tls_reason(e, one, sizeof(one));
		snprintf(err->queue + used, sizeof(err->queue) - used, "%s%s", used ? "; " : "", one);
	}
	if (first != 0)
		tls_reason(worded != 0 ? worded : first, err->reason, sizeof(err->reason));
}

#if HAVE_VISIBILITY
__attribute__((visibility("default")))
#endif
extern const struct sp_tls_ops smtpprobe_tls_module;

const struct sp_tls_ops smtpprobe_tls_module = {
	PACKAGE_VERSION,
	ctx_new, ctx_free, ssl_new, SSL_free, facts, ssl_new_dane, dane_outcome, verify_error, hmac_md5,
	filter_new, filter_error,
};
