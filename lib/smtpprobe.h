/* SPDX-License-Identifier: MIT */
/*
 * smtpprobe.h - libsmtpprobe: the SMTP client dialog of a monitoring probe,
 * as an asynchronous state machine on a libevent event_base.
 *
 * Ownership rules, once for the whole API:
 *  - Every smtpprobe_*_new() / smtpprobe_opts_dup() / smtpprobe_probe_start()
 *    result is freed by its matching *_free(); nothing else frees it.
 *  - Strings passed in are copied; strings returned are owned by the object
 *    they came from and live as long as it does.
 *  - A shared TLS context (smtpprobe_tlsctx_new()) is lent, never owned: options
 *    and the probes started from them only point at it, so it must outlive
 *    every probe started while it was set.
 *  - A started probe calls its done callback exactly once: on completion, on
 *    smtpprobe_probe_cancel(), and on smtpprobe_probe_free() of a probe still
 *    running (status SMTPPROBE_CANCELLED). The callback may free the probe.
 *
 * The library prints nothing, exits nothing and keeps no global state: any
 * number of probes may run on one event_base. It touches no signal either:
 * a program should ignore SIGPIPE, as libevent's writes to a server that
 * has reset the connection raise it.
 */
#ifndef SMTPPROBE_H
#define SMTPPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SMTPPROBE_BUILDING) && defined(HAVE_VISIBILITY) && HAVE_VISIBILITY
#define SMTPPROBE_API __attribute__((visibility("default")))
#else
#define SMTPPROBE_API
#endif

struct event_base; /* libevent; forward-declared so users need not include it */

/** The stages of a dialog, in the order they run. */
typedef enum smtpprobe_stage {
	SMTPPROBE_STAGE_DNS,      /**< A/AAAA (and MX) lookups */
	SMTPPROBE_STAGE_CONNECT,  /**< TCP connect */
	SMTPPROBE_STAGE_TLS,      /**< TLS handshake (implicit or after STARTTLS) */
	SMTPPROBE_STAGE_BANNER,   /**< the 220 greeting */
	SMTPPROBE_STAGE_EHLO,     /**< EHLO, HELO fallback or LHLO */
	SMTPPROBE_STAGE_STARTTLS, /**< STARTTLS command */
	SMTPPROBE_STAGE_AUTH,     /**< SMTP AUTH exchange */
	SMTPPROBE_STAGE_COMMAND,  /**< user-supplied extra commands */
	SMTPPROBE_STAGE_MAIL,     /**< MAIL FROM */
	SMTPPROBE_STAGE_RCPT,     /**< RCPT TO, one per recipient */
	SMTPPROBE_STAGE_DATA,     /**< DATA, 354, message, 250 */
	SMTPPROBE_STAGE_RSET,     /**< RSET when no message is sent */
	SMTPPROBE_STAGE_QUIT,     /**< QUIT */
	SMTPPROBE_STAGE_COUNT
} smtpprobe_stage;

/** What decided the outcome of one target's dialog. */
typedef enum smtpprobe_status {
	SMTPPROBE_OK,          /**< every stage got its expected reply */
	SMTPPROBE_E_REPLY,     /**< a reply of the wrong class; see the decider */
	SMTPPROBE_E_DNS,       /**< name resolution failed */
	SMTPPROBE_E_CONNECT,   /**< TCP connect failed */
	SMTPPROBE_E_TIMEOUT,   /**< the deadline passed */
	SMTPPROBE_E_CLOSED,    /**< the server closed the connection */
	SMTPPROBE_E_PROTOCOL,  /**< the server broke the protocol */
	SMTPPROBE_E_TLS,       /**< TLS handshake failed */
	SMTPPROBE_E_CERT,      /**< certificate verification failed */
	SMTPPROBE_E_UNSUPPORTED, /**< the server lacks a needed extension */
	SMTPPROBE_E_INTERNAL,  /**< out of memory or a bug of ours */
	SMTPPROBE_CANCELLED,   /**< cancelled or freed before completion */
	SMTPPROBE_E_LOCAL,     /**< a local resource failed: no socket (see smtpprobe_result_errno()), no TLS module */
	SMTPPROBE_STATUS_COUNT
} smtpprobe_status;

/** Transcript direction. */
typedef enum smtpprobe_dir {
	SMTPPROBE_DIR_SENT,     /**< client to server (">>>") */
	SMTPPROBE_DIR_RECEIVED, /**< server to client ("<<<") */
	SMTPPROBE_DIR_INFO      /**< an event of ours (connected, TLS up...) */
} smtpprobe_dir;

/** Address families for smtpprobe_opts_set_family(). */
typedef enum smtpprobe_family {
	SMTPPROBE_FAMILY_ANY,
	SMTPPROBE_FAMILY_IPV4,
	SMTPPROBE_FAMILY_IPV6
} smtpprobe_family;

/** Reverse DNS of a target's address, as found (smtpprobe_opts_set_rdns()). */
typedef enum smtpprobe_rdns {
	SMTPPROBE_RDNS_NONE,        /**< not looked up (or not finished in time) */
	SMTPPROBE_RDNS_FAILED,      /**< the lookup failed (SERVFAIL, timeout) */
	SMTPPROBE_RDNS_NO_PTR,      /**< no PTR record (NXDOMAIN, no data, not a host name) */
	SMTPPROBE_RDNS_UNCONFIRMED, /**< no PTR name resolves back to the address */
	SMTPPROBE_RDNS_CONFIRMED,   /**< forward-confirmed: PTR name -> the address */
	SMTPPROBE_RDNS_COUNT
} smtpprobe_rdns;

/** TLS modes for smtpprobe_opts_set_tls(). */
typedef enum smtpprobe_tls {
	SMTPPROBE_TLS_NONE,
	SMTPPROBE_TLS_STARTTLS, /**< STARTTLS after EHLO, then EHLO again */
	SMTPPROBE_TLS_IMPLICIT  /**< TLS from the first byte (SMTPS, port 465) */
} smtpprobe_tls;

/** The greeting that worked, smtpprobe_result_greeting_verb(). */
typedef enum smtpprobe_greeting {
	SMTPPROBE_GREETING_NONE, /**< none worked (or none was sent) */
	SMTPPROBE_GREETING_EHLO, /**< ESMTP */
	SMTPPROBE_GREETING_HELO, /**< plain SMTP: EHLO was refused with 500 or 502 */
	SMTPPROBE_GREETING_LHLO  /**< LMTP */
} smtpprobe_greeting;

/** SASL mechanisms for smtpprobe_opts_set_auth(). */
typedef enum smtpprobe_auth {
	SMTPPROBE_AUTH_NONE,
	SMTPPROBE_AUTH_PLAIN,
	SMTPPROBE_AUTH_LOGIN,
	SMTPPROBE_AUTH_CRAM_MD5
} smtpprobe_auth;

/** DANE (RFC 7672) for smtpprobe_opts_set_dane(). */
typedef enum smtpprobe_dane {
	SMTPPROBE_DANE_OFF,
	SMTPPROBE_DANE_REQUIRE, /**< every target needs usable, DNSSEC-validated TLSA records */
	SMTPPROBE_DANE_AUTO     /**< DANE where it applies, PKIX as configured elsewhere */
} smtpprobe_dane;

/** The DNSSEC state of an answer on the DANE path: its AD bit. */
typedef enum smtpprobe_dnssec {
	SMTPPROBE_DNSSEC_UNASKED,  /**< not looked up with DNSSEC (or not at all) */
	SMTPPROBE_DNSSEC_INSECURE, /**< answered without AD */
	SMTPPROBE_DNSSEC_SECURE    /**< answered (or denied) with AD */
} smtpprobe_dnssec;

/** How a target's TLSA lookup ended. */
typedef enum smtpprobe_tlsa_lookup {
	SMTPPROBE_TLSA_UNASKED,   /**< DANE off, or the target never got so far */
	SMTPPROBE_TLSA_FOUND,     /**< an RRset came (smtpprobe_result_tlsa_count() records) */
	SMTPPROBE_TLSA_NONE,      /**< NXDOMAIN or NODATA: the host publishes none */
	SMTPPROBE_TLSA_FAILED,    /**< SERVFAIL or no answer: bogus or broken DNSSEC */
	SMTPPROBE_TLSA_UNFINISHED /**< the deadline came first */
} smtpprobe_tlsa_lookup;

/** What became of one TLSA record. */
typedef enum smtpprobe_tlsa_use {
	SMTPPROBE_TLSA_UNUSABLE, /**< usage 0/1, unknown selector or matching type, bad length */
	SMTPPROBE_TLSA_UNTRIED,  /**< usable, but no handshake was verified by it */
	SMTPPROBE_TLSA_NO_MATCH, /**< usable, the chain did not match it */
	SMTPPROBE_TLSA_MATCHED   /**< the chain matched it (smtpprobe_result_dane_depth()) */
} smtpprobe_tlsa_use;

/** Whether the handshake was authenticated by TLSA records. */
typedef enum smtpprobe_dane_auth {
	SMTPPROBE_DANE_NOT_APPLIED,   /**< no usable records, or no handshake */
	SMTPPROBE_DANE_AUTHENTICATED, /**< a record matched and the checks it implies passed */
	SMTPPROBE_DANE_NO_MATCH,      /**< the chain matched no record */
	SMTPPROBE_DANE_CHECK_FAILED   /**< DANE-TA matched, but the chain or name check failed */
} smtpprobe_dane_auth;

typedef struct smtpprobe_opts smtpprobe_opts;
typedef struct smtpprobe_tlsctx smtpprobe_tlsctx;
typedef struct smtpprobe_probe smtpprobe_probe;
typedef struct smtpprobe_result smtpprobe_result;
/** A domain's MTA-STS and TLS-RPT facts (RFC 8461, RFC 8460); owned by its probe. */
typedef struct smtpprobe_sts smtpprobe_sts;

/** The TXT record of _mta-sts.DOMAIN or _smtp._tls.DOMAIN, as found. */
typedef enum smtpprobe_txt_status {
	SMTPPROBE_TXT_NOT_ASKED,  /**< the lookup was not asked for */
	SMTPPROBE_TXT_OK,         /**< exactly one record of the version, well-formed */
	SMTPPROBE_TXT_NONE,       /**< no record of the version (NXDOMAIN, NODATA or other TXT only) */
	SMTPPROBE_TXT_SEVERAL,    /**< more than one record of the version */
	SMTPPROBE_TXT_MALFORMED,  /**< one record of the version, not well-formed */
	SMTPPROBE_TXT_DNS_ERROR,  /**< the lookup failed (SERVFAIL, timeout): see the DNS status */
	SMTPPROBE_TXT_TIMEOUT     /**< the probe's deadline passed first */
} smtpprobe_txt_status;

/** How fetching the MTA-STS policy over HTTPS ended. */
typedef enum smtpprobe_fetch {
	SMTPPROBE_FETCH_NOT_ASKED,   /**< no fetch was asked for */
	SMTPPROBE_FETCH_OK,          /**< 200, text/plain, within the size limit */
	SMTPPROBE_FETCH_DNS,         /**< the policy host has no address (see the DNS status) */
	SMTPPROBE_FETCH_CONNECT,     /**< TCP connect failed (see the errno) */
	SMTPPROBE_FETCH_TLS,         /**< TLS handshake failed (see the TLS error) */
	SMTPPROBE_FETCH_CERT,        /**< the certificate did not verify (see the verify code) */
	SMTPPROBE_FETCH_TIMEOUT,     /**< the probe's deadline passed first */
	SMTPPROBE_FETCH_HTTP_STATUS, /**< a status other than 200 and not a redirect */
	SMTPPROBE_FETCH_REDIRECT,    /**< a 3xx status: redirects are not followed */
	SMTPPROBE_FETCH_MEDIA_TYPE,  /**< 200 with a media type other than text/plain */
	SMTPPROBE_FETCH_TOO_LARGE,   /**< the body exceeded the size limit (64 KiB) */
	SMTPPROBE_FETCH_PROTOCOL,    /**< no valid HTTP response (closed early, malformed) */
	SMTPPROBE_FETCH_LOCAL        /**< a local failure: memory, socket, TLS module */
} smtpprobe_fetch;

/** The policy's mode. */
typedef enum smtpprobe_sts_mode {
	SMTPPROBE_STS_MODE_UNKNOWN,  /**< no valid policy */
	SMTPPROBE_STS_MODE_NONE,
	SMTPPROBE_STS_MODE_TESTING,
	SMTPPROBE_STS_MODE_ENFORCE
} smtpprobe_sts_mode;

/** What is wrong with a fetched policy: the first fault, at a line. */
typedef enum smtpprobe_sts_fault {
	SMTPPROBE_STS_FAULT_NONE,       /**< valid (or not parsed: no policy fetched) */
	SMTPPROBE_STS_FAULT_NO_VERSION, /**< no version line */
	SMTPPROBE_STS_FAULT_BAD_VERSION,/**< version other than STSv1 */
	SMTPPROBE_STS_FAULT_NO_MODE,
	SMTPPROBE_STS_FAULT_BAD_MODE,   /**< mode not enforce, testing or none */
	SMTPPROBE_STS_FAULT_NO_MAX_AGE,
	SMTPPROBE_STS_FAULT_BAD_MAX_AGE,/**< not an integer 0..31557600 */
	SMTPPROBE_STS_FAULT_NO_MX,      /**< no mx line and the mode is not none */
	SMTPPROBE_STS_FAULT_MX_IP,      /**< an mx pattern that is an IP address */
	SMTPPROBE_STS_FAULT_BAD_MX,     /**< an mx pattern that is no host name or wildcard */
	SMTPPROBE_STS_FAULT_BAD_LINE,   /**< a line that is not "key: value" */
	SMTPPROBE_STS_FAULT_DUPLICATE,  /**< version, mode or max_age twice */
	SMTPPROBE_STS_FAULT_TOO_MANY_MX /**< more mx patterns than kept (32) */
} smtpprobe_sts_fault;

/** @return the lower-case name of a stage ("rcpt"), or "?" if out of range. */
SMTPPROBE_API const char *smtpprobe_stage_name(smtpprobe_stage stage);
/** @return the stage named @p name (case-insensitive), or SMTPPROBE_STAGE_COUNT. */
SMTPPROBE_API smtpprobe_stage smtpprobe_stage_from_name(const char *name);
/** @return a short name of a status ("timeout"), or "?" if out of range. */
SMTPPROBE_API const char *smtpprobe_status_name(smtpprobe_status status);
/** @return a short name ("confirmed", "no-ptr"), or "?" if out of range. */
SMTPPROBE_API const char *smtpprobe_rdns_name(smtpprobe_rdns rdns);
/** @return the library version, "MAJOR.MINOR.PATCH". */
SMTPPROBE_API const char *smtpprobe_version(void);

/*
 * Options. Setters copy their arguments and return 0, or -1 with errno set:
 * EINVAL for a value that may not go on the wire (CR, LF or NUL inside, or
 * out of range), ENOMEM when out of memory.
 */

/** @return new options with defaults (port 25, timeout 10 s), or NULL. */
SMTPPROBE_API smtpprobe_opts *smtpprobe_opts_new(void);
/** Frees @p opts; probes started from them keep their own copy. */
SMTPPROBE_API void smtpprobe_opts_free(smtpprobe_opts *opts);
/**
 * A copy of @p opts to change on its own (another host, say), freed by
 * smtpprobe_opts_free(); a TLS context set on @p opts is shared, not copied.
 * @return the copy, or NULL (ENOMEM, or EINVAL for a NULL @p opts).
 */
SMTPPROBE_API smtpprobe_opts *smtpprobe_opts_dup(const smtpprobe_opts *opts);

/**
 * The one host to check (clearing any others and the MX domain).
 * @param host a name or an IP literal. @param port 0 for the default: 25,
 * or 465 with SMTPPROBE_TLS_IMPLICIT (RFC 8314).
 */
SMTPPROBE_API int smtpprobe_opts_set_host(smtpprobe_opts *opts, const char *host, unsigned port);
/**
 * One more host, after smtpprobe_opts_set_host(): every host is a target of
 * its own, all dialled at once, each as a single host is (its addresses in
 * turn). At most 1024 hosts (E2BIG); EINVAL with an MX domain set.
 */
SMTPPROBE_API int smtpprobe_opts_add_host(smtpprobe_opts *opts, const char *host);
/**
 * The port of the hosts or of the MX set, which stay as they are (for a
 * caller that reads the port and the targets in either order). @param port
 * 0 for the default: 25, or 465 with SMTPPROBE_TLS_IMPLICIT.
 */
SMTPPROBE_API int smtpprobe_opts_set_port(smtpprobe_opts *opts, unsigned port);
SMTPPROBE_API int smtpprobe_opts_set_family(smtpprobe_opts *opts, smtpprobe_family family);
/** Name sent in EHLO/HELO/LHLO. */
SMTPPROBE_API int smtpprobe_opts_set_helo_name(smtpprobe_opts *opts, const char *name);
/** LHLO instead of EHLO (RFC 2033). */
SMTPPROBE_API int smtpprobe_opts_set_lmtp(smtpprobe_opts *opts, bool lmtp);
/**
 * @param pipelining true (the default): when the server advertises
 * PIPELINING, send MAIL, RCPT and what follows in RFC 2920 groups, the
 * fewest round trips, their stage times overlapping; false: one command at
 * a time even then, so each stage's time is its own round trip (the
 * server's latency for that command alone). BDAT is still used with
 * CHUNKING. @return 0.
 */
SMTPPROBE_API int smtpprobe_opts_set_pipelining(smtpprobe_opts *opts, bool pipelining);
/** MAIL FROM address, without angle brackets ("" for the null sender). */
SMTPPROBE_API int smtpprobe_opts_set_from(smtpprobe_opts *opts, const char *addr);
/** Adds a RCPT TO address, without angle brackets. */
SMTPPROBE_API int smtpprobe_opts_add_rcpt(smtpprobe_opts *opts, const char *addr);
/** DSN NOTIFY parameter value ("SUCCESS,FAILURE", "NEVER"), sent when DSN is advertised. */
SMTPPROBE_API int smtpprobe_opts_set_notify(smtpprobe_opts *opts, const char *notify);
/** Adds an extra command sent after EHLO (and AUTH), before MAIL. */
SMTPPROBE_API int smtpprobe_opts_add_command(smtpprobe_opts *opts, const char *command);
/**
 * Send a test message after the recipients: with DATA, dot-stuffed, or
 * when the server advertises CHUNKING as "BDAT <n> LAST" with the message
 * as it is (RFC 3030), in the PIPELINING group of MAIL and RCPT when there
 * is one recipient (behind several, after each was accepted).
 */
SMTPPROBE_API int smtpprobe_opts_set_data(smtpprobe_opts *opts, bool data);
SMTPPROBE_API int smtpprobe_opts_set_subject(smtpprobe_opts *opts, const char *subject);
/** Adds a header line "Name: value" to the test message. */
SMTPPROBE_API int smtpprobe_opts_add_header(smtpprobe_opts *opts, const char *header);
/** Message body; bare LF or CRLF line ends, dot-stuffed when sent. NUL refused. */
SMTPPROBE_API int smtpprobe_opts_set_body(smtpprobe_opts *opts, const char *body, size_t len);
/** Stop (with QUIT) after this stage: banner, ehlo, starttls, auth, mail or rcpt. */
SMTPPROBE_API int smtpprobe_opts_set_quit_after(smtpprobe_opts *opts, smtpprobe_stage stage);
/**
 * The reply class (2, 4 or 5) that counts as good for a stage; 0 restores
 * the default (2xx, and 354 for the DATA command).
 */
SMTPPROBE_API int smtpprobe_opts_set_expect_class(smtpprobe_opts *opts, smtpprobe_stage stage, int klass);
/** Deadline for the whole probe, DNS included. */
SMTPPROBE_API int smtpprobe_opts_set_timeout_ms(smtpprobe_opts *opts, unsigned ms);
/** Resolver to ask instead of /etc/resolv.conf; @param port 0 for 53. */
SMTPPROBE_API int smtpprobe_opts_set_dns_server(smtpprobe_opts *opts, const char *addr, unsigned port);
/**
 * Check every mail exchanger of @p domain instead of one host: its MX
 * records by preference (or the domain itself when it has none, RFC 5321
 * 5.1), every address of every host by its own dialog, all at once. A null
 * MX (RFC 7505) ends as SMTPPROBE_E_DNS "domain accepts no mail". Clears
 * the host of smtpprobe_opts_set_host(), as that clears the domain.
 * MX names are looked up in DNS only, as an MTA does, not in the hosts file.
 * @param port 0 for the default.
 */
SMTPPROBE_API int smtpprobe_opts_set_mx(smtpprobe_opts *opts, const char *domain, unsigned port);
/**
 * The most targets (addresses, and hosts without one) an MX probe checks;
 * default 32, at most 1024. Once set, it caps a list of hosts too (the
 * first @p n are checked), which is otherwise checked whole.
 */
SMTPPROBE_API int smtpprobe_opts_set_max_targets(smtpprobe_opts *opts, unsigned n);
/**
 * Look up the reverse DNS of each address dialled (PTR, then the PTR name
 * forward, which must give the address back), alongside the dialog. Off by
 * default. It takes no time from the dialogs; once they have all ended,
 * lookups still running get at most @p grace_ms more (0: until the
 * deadline), then end as SMTPPROBE_RDNS_NONE, "unfinished".
 */
SMTPPROBE_API int smtpprobe_opts_set_rdns(smtpprobe_opts *opts, bool on, unsigned grace_ms);
/** MX probes only: find the hosts and addresses, dial nothing (discovery). */
SMTPPROBE_API int smtpprobe_opts_set_resolve_only(smtpprobe_opts *opts, bool on);
/** Path of the hosts file consulted before DNS (default /etc/hosts; NULL or "" to skip). */
SMTPPROBE_API int smtpprobe_opts_set_hosts_file(smtpprobe_opts *opts, const char *path);
/** STARTTLS or implicit TLS; certificates are verified unless told otherwise. */
SMTPPROBE_API int smtpprobe_opts_set_tls(smtpprobe_opts *opts, smtpprobe_tls mode);
/**
 * @param verify false to go on after a failed certificate verification (the
 * failure is still reported by smtpprobe_result_cert_error()).
 */
SMTPPROBE_API int smtpprobe_opts_set_tls_verify(smtpprobe_opts *opts, bool verify);
/**
 * For a program that uses OpenSSL only through this library and exits soon
 * after its probes, like a monitoring plugin: the first TLS use initialises
 * OpenSSL without its exit-time cleanup and without libcrypto's error
 * strings (libssl's stay; the library words the rest itself), about a
 * tenth of a TLS check's instructions. Process-wide, and without effect if
 * OpenSSL was initialised before; the default is off.
 */
SMTPPROBE_API int smtpprobe_opts_set_tls_lean_init(smtpprobe_opts *opts, bool lean);
/** Trust anchors instead of the system store; either may be NULL. */
SMTPPROBE_API int smtpprobe_opts_set_ca(smtpprobe_opts *opts, const char *file, const char *dir);
/** Name sent as SNI and checked against the certificate (default: the host name). */
SMTPPROBE_API int smtpprobe_opts_set_sni(smtpprobe_opts *opts, const char *name);
/** Lowest TLS version accepted: "1.0", "1.1", "1.2" or "1.3"; NULL for OpenSSL's default. */
SMTPPROBE_API int smtpprobe_opts_set_tls_min(smtpprobe_opts *opts, const char *version);
/**
 * A TLS client context made once for many probes (a long-running program
 * such as an exporter: trust anchors read once, not once a probe), from the
 * TLS settings of @p opts (trust anchors, lowest version, verification).
 * Loads the TLS module. @return the context, or NULL with a reason in
 * @p err (and errno set).
 */
SMTPPROBE_API smtpprobe_tlsctx *smtpprobe_tlsctx_new(const smtpprobe_opts *opts, char *err, size_t errlen);
/** Frees @p ctx; no probe that uses it may still exist. NULL is fine. */
SMTPPROBE_API void smtpprobe_tlsctx_free(smtpprobe_tlsctx *ctx);
/**
 * Probes started from @p opts use @p ctx (not owned; NULL: each probe makes
 * its own, the default) instead of making a context of their own. It must
 * have been made from options with the same TLS settings. @return 0.
 */
SMTPPROBE_API int smtpprobe_opts_set_tlsctx(smtpprobe_opts *opts, smtpprobe_tlsctx *ctx);
/** @return the deadline of the whole probe, in milliseconds. */
SMTPPROBE_API unsigned smtpprobe_opts_timeout_ms(const smtpprobe_opts *opts);
/**
 * SMTP AUTH after EHLO (after STARTTLS when that is set). The password is
 * copied, never reported, and wiped when the options are freed.
 */
SMTPPROBE_API int smtpprobe_opts_set_auth(smtpprobe_opts *opts, smtpprobe_auth mech,
	const char *user, const char *password);
/** Send a PROXY protocol header (version 1 or 2; 0 for none) before anything else. */
SMTPPROBE_API int smtpprobe_opts_set_proxy(smtpprobe_opts *opts, int version);
/**
 * MTA-STS (RFC 8461) for the domain of smtpprobe_opts_set_mx(): its TXT
 * record, the policy over HTTPS (verified with the trust anchors of
 * smtpprobe_opts_set_ca()), and each MX target's host held against the
 * policy. Turning it on turns STARTTLS on (unless implicit TLS is set) and
 * verification on; smtpprobe_probe_start() fails with EINVAL when
 * verification is then turned off again or no MX domain is set.
 */
SMTPPROBE_API int smtpprobe_opts_set_mta_sts(smtpprobe_opts *opts, bool on);
/** Looks up the domain's TLS-RPT record (RFC 8460) as well (MX probes only). */
SMTPPROBE_API int smtpprobe_opts_set_tlsrpt(smtpprobe_opts *opts, bool on);
/**
 * DANE (RFC 7672): every DNS query of the check carries the DO bit and its
 * AD bit is kept; each target's TLSA records (_PORT._tcp.HOST) are looked
 * up beside its connection, and a handshake with usable records is
 * verified by them through OpenSSL's DANE support, instead of the CA
 * system. Needs TLS (smtpprobe_opts_set_tls()); the hosts file is not read.
 */
SMTPPROBE_API int smtpprobe_opts_set_dane(smtpprobe_opts *opts, smtpprobe_dane mode);

/*
 * Options read back: for a program that fills them piece by piece from its
 * command line and then decides from what is set (how many targets, which
 * reply class a stage expects), so that it keeps no copy of its own.
 */

/** @return the port as set, 0 for the default. */
SMTPPROBE_API unsigned smtpprobe_opts_port(const smtpprobe_opts *opts);
/** @return how many hosts are set (0 when an MX domain is). */
SMTPPROBE_API size_t smtpprobe_opts_host_count(const smtpprobe_opts *opts);
/** @return the domain of smtpprobe_opts_set_mx(), or NULL. */
SMTPPROBE_API const char *smtpprobe_opts_mx_domain(const smtpprobe_opts *opts);
/** @return the target limit of smtpprobe_opts_set_max_targets() (default 32). */
SMTPPROBE_API unsigned smtpprobe_opts_max_targets(const smtpprobe_opts *opts);
/** @return the good reply class set for @p stage, 0 for the default (or out of range). */
SMTPPROBE_API int smtpprobe_opts_expect_class(const smtpprobe_opts *opts, smtpprobe_stage stage);
/** @return the DANE mode set. */
SMTPPROBE_API smtpprobe_dane smtpprobe_opts_dane(const smtpprobe_opts *opts);

/*
 * Probes.
 */

/** Called exactly once per started probe. May free the probe. */
typedef void (*smtpprobe_done_fn)(smtpprobe_probe *probe, void *arg);
/**
 * Called for every line sent or received and for events of ours. Secrets are
 * already redacted. @p usec is the time since the probe started.
 */
typedef void (*smtpprobe_line_fn)(const smtpprobe_result *target, smtpprobe_dir dir,
	const char *line, size_t len, int64_t usec, void *arg);

typedef struct smtpprobe_callbacks {
	smtpprobe_done_fn done; /**< required */
	smtpprobe_line_fn line; /**< optional transcript sink */
} smtpprobe_callbacks;

/**
 * Starts a probe of the target in @p opts on @p base. The options are copied.
 * @return the probe, or NULL with errno set (EINVAL: no host; ENOMEM). No
 * callback is made when NULL is returned.
 */
SMTPPROBE_API smtpprobe_probe *smtpprobe_probe_start(struct event_base *base,
	const smtpprobe_opts *opts, const smtpprobe_callbacks *cb, void *arg);
/** Stops a running probe; its done callback runs before this returns. */
SMTPPROBE_API void smtpprobe_probe_cancel(smtpprobe_probe *probe);
/** Frees a probe (cancelling it first if still running). */
SMTPPROBE_API void smtpprobe_probe_free(smtpprobe_probe *probe);
/** @return true once the done callback has been called. */
SMTPPROBE_API bool smtpprobe_probe_done(const smtpprobe_probe *probe);
/**
 * @return the number of targets: one for a host given by name or address
 * (addresses refused before the one that answered are in its notes); for
 * an MX probe one per address of each MX host (and one per host that has
 * no address), best preference first, or one for the domain when its MX
 * lookup failed or it accepts no mail.
 */
SMTPPROBE_API size_t smtpprobe_probe_count(const smtpprobe_probe *probe);
/** @return target @p i, owned by the probe, or NULL if out of range. */
SMTPPROBE_API const smtpprobe_result *smtpprobe_probe_result(const smtpprobe_probe *probe, size_t i);
/** @return the DNS stage time in microseconds, or -1 when no lookup was made. */
SMTPPROBE_API int64_t smtpprobe_probe_dns_usec(const smtpprobe_probe *probe);
/**
 * @return what the probe as a whole has to tell ("no MX records: implicit
 * MX", "target limit 32 reached: 3 addresses not checked"), "; "-joined, or "".
 */
SMTPPROBE_API const char *smtpprobe_probe_notes(const smtpprobe_probe *probe);
/**
 * @return the domain's MTA-STS / TLS-RPT facts, owned by the probe, or NULL
 * when neither was asked for. Complete once the probe is done.
 */
SMTPPROBE_API const smtpprobe_sts *smtpprobe_probe_sts(const smtpprobe_probe *probe);

/*
 * MTA-STS facts of a domain. Strings are owned by the smtpprobe_sts and
 * "" when absent; times are microseconds, -1 when the step did not run.
 */

/** @return the state of the _mta-sts TXT record. */
SMTPPROBE_API smtpprobe_txt_status smtpprobe_sts_txt_status(const smtpprobe_sts *s);
/** @return the lookup's DNS status: 0, or negative as smtpprobe_dns_status_name() names. */
SMTPPROBE_API int smtpprobe_sts_txt_dns_status(const smtpprobe_sts *s);
/** @return the record's id (1-32 letters and digits) when OK. */
SMTPPROBE_API const char *smtpprobe_sts_txt_id(const smtpprobe_sts *s);
/** @return the TXT records found at _mta-sts (any kind), and record @p i (strings joined, made printable). */
SMTPPROBE_API size_t smtpprobe_sts_txt_count(const smtpprobe_sts *s);
SMTPPROBE_API const char *smtpprobe_sts_txt_record(const smtpprobe_sts *s, size_t i);
/** @return the TXT lookup's time (the later of the two lookups when TLS-RPT ran too). */
SMTPPROBE_API int64_t smtpprobe_sts_dns_usec(const smtpprobe_sts *s);

/** @return how the policy fetch ended. */
SMTPPROBE_API smtpprobe_fetch smtpprobe_sts_fetch_outcome(const smtpprobe_sts *s);
/** @return the HTTP status code, or 0 when no response came. */
SMTPPROBE_API int smtpprobe_sts_http_code(const smtpprobe_sts *s);
/** @return the response's Content-Type as sent (SMTPPROBE_FETCH_MEDIA_TYPE), or "". */
SMTPPROBE_API const char *smtpprobe_sts_content_type(const smtpprobe_sts *s);
/** @return the address the policy host was reached at, or "". */
SMTPPROBE_API const char *smtpprobe_sts_fetch_addr(const smtpprobe_sts *s);
/** @return the policy host's DNS status (SMTPPROBE_FETCH_DNS), else 0. */
SMTPPROBE_API int smtpprobe_sts_fetch_dns_status(const smtpprobe_sts *s);
/** @return errno of a failed connect (SMTPPROBE_FETCH_CONNECT, LOCAL), 0 when unknown. */
SMTPPROBE_API int smtpprobe_sts_fetch_errno(const smtpprobe_sts *s);
/** @return OpenSSL's reason for a failed handshake (SMTPPROBE_FETCH_TLS), or "". */
SMTPPROBE_API const char *smtpprobe_sts_tls_error(const smtpprobe_sts *s);
/** @return OpenSSL's X509_V_* code of the failed verification, 0 when it passed. */
SMTPPROBE_API long smtpprobe_sts_verify_code(const smtpprobe_sts *s);
/** @return OpenSSL's words for it ("certificate has expired"), or "". */
SMTPPROBE_API const char *smtpprobe_sts_verify_error(const smtpprobe_sts *s);
/** @return the policy host's certificate notAfter (Unix seconds), 0 when none was seen. */
SMTPPROBE_API int64_t smtpprobe_sts_cert_not_after(const smtpprobe_sts *s);
/** @return the fetch's time: the policy host's lookup, connect, handshake and response. */
SMTPPROBE_API int64_t smtpprobe_sts_fetch_usec(const smtpprobe_sts *s);

/** @return the policy's mode; UNKNOWN unless a fetched policy parsed. */
SMTPPROBE_API smtpprobe_sts_mode smtpprobe_sts_policy_mode(const smtpprobe_sts *s);
/** @return the policy's max_age in seconds. */
SMTPPROBE_API unsigned long smtpprobe_sts_policy_max_age(const smtpprobe_sts *s);
/** @return the policy's mx patterns, and pattern @p i ("*.example.org"). */
SMTPPROBE_API size_t smtpprobe_sts_policy_mx_count(const smtpprobe_sts *s);
SMTPPROBE_API const char *smtpprobe_sts_policy_mx(const smtpprobe_sts *s, size_t i);
/** @return the parse's first fault, its 1-based line (0: none) and that line made printable. */
SMTPPROBE_API smtpprobe_sts_fault smtpprobe_sts_policy_fault(const smtpprobe_sts *s);
SMTPPROBE_API unsigned smtpprobe_sts_policy_fault_line(const smtpprobe_sts *s);
SMTPPROBE_API const char *smtpprobe_sts_policy_fault_text(const smtpprobe_sts *s);
/** @return the policy body as fetched (OK), NUL-terminated (NUL bytes in it end it early), or "". */
SMTPPROBE_API const char *smtpprobe_sts_policy_text(const smtpprobe_sts *s);

/** @return the state of the _smtp._tls TXT record. */
SMTPPROBE_API smtpprobe_txt_status smtpprobe_sts_tlsrpt_status(const smtpprobe_sts *s);
/** @return its DNS status, as smtpprobe_sts_txt_dns_status(). */
SMTPPROBE_API int smtpprobe_sts_tlsrpt_dns_status(const smtpprobe_sts *s);
/** @return the number of rua URIs of a well-formed record. */
SMTPPROBE_API size_t smtpprobe_sts_tlsrpt_rua_count(const smtpprobe_sts *s);
/** @return the TXT records found at _smtp._tls, and record @p i. */
SMTPPROBE_API size_t smtpprobe_sts_tlsrpt_count(const smtpprobe_sts *s);
SMTPPROBE_API const char *smtpprobe_sts_tlsrpt_record(const smtpprobe_sts *s, size_t i);
/** @return words for a DNS status ("NXDOMAIN", "SERVFAIL or timeout"). */
SMTPPROBE_API const char *smtpprobe_dns_status_name(int status);

/*
 * Results of one target.
 */

/** @return the host name the target was reached by (as given, the MX name, or the domain when its MX lookup failed). */
SMTPPROBE_API const char *smtpprobe_result_host(const smtpprobe_result *r);
/**
 * @return the index of the MTA-STS policy pattern that covers the target's
 * MX host, or -1 (not covered, or no valid policy / no MTA-STS check).
 */
SMTPPROBE_API int smtpprobe_result_sts_pattern(const smtpprobe_result *r);
/** @return the MX preference the host was found with, or -1 (not an MX target). Implicit MX: 0. */
SMTPPROBE_API int smtpprobe_result_mx_pref(const smtpprobe_result *r);
/** @return what reverse DNS found for the address. */
SMTPPROBE_API smtpprobe_rdns smtpprobe_result_rdns(const smtpprobe_result *r);
/** @return the PTR name (the forward-confirmed one when any), or "". */
SMTPPROBE_API const char *smtpprobe_result_ptr(const smtpprobe_result *r);
/** @return reverse DNS in words ("mx1.example.org, forward-confirmed"), or "". */
SMTPPROBE_API const char *smtpprobe_result_rdns_text(const smtpprobe_result *r);
/** @return the name the server gave in its greeting (first word after the code), or "". */
SMTPPROBE_API const char *smtpprobe_result_banner_name(const smtpprobe_result *r);
/** @return the numeric address ("192.0.2.1", "2001:db8::1"), or "" if none. */
SMTPPROBE_API const char *smtpprobe_result_addr(const smtpprobe_result *r);
SMTPPROBE_API unsigned smtpprobe_result_port(const smtpprobe_result *r);
SMTPPROBE_API smtpprobe_status smtpprobe_result_status(const smtpprobe_result *r);
/** @return the stage that decided the outcome (the last stage run when OK). */
SMTPPROBE_API smtpprobe_stage smtpprobe_result_stage(const smtpprobe_result *r);
/** @return the reason in words ("Connection refused", "line over 4096 bytes"), or "". */
SMTPPROBE_API const char *smtpprobe_result_reason(const smtpprobe_result *r);
/** @return with SMTPPROBE_E_LOCAL, the errno of the local failure (EMFILE: the descriptor limit), else 0. */
SMTPPROBE_API int smtpprobe_result_errno(const smtpprobe_result *r);
/**
 * @return true when the server advertised STARTTLS in its first EHLO
 * reply (the capabilities after a handshake no longer list it, RFC 3207).
 */
SMTPPROBE_API bool smtpprobe_result_starttls_offered(const smtpprobe_result *r);
/** @return the index of the exchange that decided the outcome, or -1. */
SMTPPROBE_API int smtpprobe_result_decider(const smtpprobe_result *r);
/** @return total time of this target's dialog in microseconds (connect to close). */
SMTPPROBE_API int64_t smtpprobe_result_usec(const smtpprobe_result *r);

/** @return true when the stage ran (it was started). */
SMTPPROBE_API bool smtpprobe_stage_ran(const smtpprobe_result *r, smtpprobe_stage s);
/** @return when the stage started, microseconds after the probe started. */
SMTPPROBE_API int64_t smtpprobe_stage_start_usec(const smtpprobe_result *r, smtpprobe_stage s);
/**
 * @return the time the stage took in microseconds: the time during which
 * one of its commands waited for its reply, each from the moment it was
 * handed to the socket to the moment its reply was complete (the banner's
 * from the connection; connect, tls and dns as they ran). Commands of a
 * pipelined group leave in one write, so their stages overlap, each at
 * least as long as the one before it; a stage with several commands (two
 * RCPTs) runs, pipelined, from its first write to its last reply, and one
 * command at a time, counts each round trip.
 */
SMTPPROBE_API int64_t smtpprobe_stage_usec(const smtpprobe_result *r, smtpprobe_stage s);
/** @return true when one of the stage's commands left in one write with others (RFC 2920). */
SMTPPROBE_API bool smtpprobe_stage_pipelined(const smtpprobe_result *r, smtpprobe_stage s);
/** @return the reply code that judged the stage (its worst reply), or 0. */
SMTPPROBE_API int smtpprobe_stage_code(const smtpprobe_result *r, smtpprobe_stage s);

/**
 * Exchanges: one per command sent (and one for the banner), in order. The
 * command is the line as sent without CRLF, secrets redacted ("" for the
 * banner); code is 0 when no reply came.
 */
SMTPPROBE_API size_t smtpprobe_exchange_count(const smtpprobe_result *r);
SMTPPROBE_API smtpprobe_stage smtpprobe_exchange_stage(const smtpprobe_result *r, size_t i);
SMTPPROBE_API const char *smtpprobe_exchange_command(const smtpprobe_result *r, size_t i);
SMTPPROBE_API int smtpprobe_exchange_code(const smtpprobe_result *r, size_t i);
/** @return the enhanced status code ("5.1.1"), or "". */
SMTPPROBE_API const char *smtpprobe_exchange_enhanced(const smtpprobe_result *r, size_t i);
/**
 * @return the reply's text: each line's text after the code and enhanced
 * code, joined by single spaces (the first line first), at most 511 bytes
 * (then ending in "...").
 */
SMTPPROBE_API const char *smtpprobe_exchange_text(const smtpprobe_result *r, size_t i);
/** @return how many lines of the reply were kept (every line, up to 64 and 16 KiB). */
SMTPPROBE_API size_t smtpprobe_exchange_line_count(const smtpprobe_result *r, size_t i);
/** @return line @p j of the reply as received, without CRLF ("250-PIPELINING"), or "". */
SMTPPROBE_API const char *smtpprobe_exchange_line(const smtpprobe_result *r, size_t i, size_t j);
/** @return microseconds from the command's write to its reply (the banner: from the connection), or 0. */
SMTPPROBE_API int64_t smtpprobe_exchange_usec(const smtpprobe_result *r, size_t i);
/** @return true when the command left in one write with others (a pipelined group, the first included). */
SMTPPROBE_API bool smtpprobe_exchange_pipelined(const smtpprobe_result *r, size_t i);

/** @return the queue id from the reply to the end of the message, or "". */
SMTPPROBE_API const char *smtpprobe_result_queue_id(const smtpprobe_result *r);
/**
 * @return true when the message went as "BDAT <n> LAST" (RFC 3030: the
 * server advertised CHUNKING), its one reply (with LMTP, one per
 * recipient) the first exchange of the data stage; false when it went
 * with DATA, 354 and the final dot, or not at all.
 */
SMTPPROBE_API bool smtpprobe_result_chunking(const smtpprobe_result *r);
/** @return the greeting verb that worked: "EHLO", "HELO", "LHLO", or "". */
SMTPPROBE_API const char *smtpprobe_result_greeting(const smtpprobe_result *r);
/** @return the greeting that worked, as a type. */
SMTPPROBE_API smtpprobe_greeting smtpprobe_result_greeting_verb(const smtpprobe_result *r);
/** @return things worth telling that changed nothing ("no DSN: NOTIFY not sent"), "; "-joined, or "". */
SMTPPROBE_API const char *smtpprobe_result_notes(const smtpprobe_result *r);

/*
 * Capabilities advertised in the (last) EHLO/LHLO reply.
 */

/** @return true when the keyword (e.g. "PIPELINING") was advertised; case-insensitive. */
SMTPPROBE_API bool smtpprobe_result_has_ext(const smtpprobe_result *r, const char *keyword);
/** @return the SIZE value, 0 when absent or unlimited. */
SMTPPROBE_API uint64_t smtpprobe_result_size_limit(const smtpprobe_result *r);
/** @return the advertised keywords with their parameters, space-separated ("SIZE=10240000 PIPELINING AUTH=PLAIN,LOGIN"). */
SMTPPROBE_API const char *smtpprobe_result_caps(const smtpprobe_result *r);

/*
 * TLS facts of a target, once a handshake completed ("" or 0 otherwise).
 */

/** @return the protocol version ("TLSv1.3"). */
SMTPPROBE_API const char *smtpprobe_result_tls_version(const smtpprobe_result *r);
/** @return the cipher suite ("TLS_AES_256_GCM_SHA384"). */
SMTPPROBE_API const char *smtpprobe_result_tls_cipher(const smtpprobe_result *r);
/** @return the certificate's subject and issuer, one line each ("CN=mail.example.org"). */
SMTPPROBE_API const char *smtpprobe_result_cert_subject(const smtpprobe_result *r);
SMTPPROBE_API const char *smtpprobe_result_cert_issuer(const smtpprobe_result *r);
/** @return the subject alternative names ("DNS:mail.example.org IP:192.0.2.1"). */
SMTPPROBE_API const char *smtpprobe_result_cert_sans(const smtpprobe_result *r);
/** @return the end of the certificate's validity in seconds since the epoch, or 0. */
SMTPPROBE_API int64_t smtpprobe_result_cert_not_after(const smtpprobe_result *r);
/** @return why verification failed ("certificate has expired"), or "" when it passed. */
SMTPPROBE_API const char *smtpprobe_result_cert_error(const smtpprobe_result *r);

/*
 * DANE facts of a target (smtpprobe_opts_set_dane()); UNASKED, 0 or -1
 * when DANE is off.
 */

/** @return the AD state of the MX RRset (-M only), the target's address records, its TLSA answer. */
SMTPPROBE_API smtpprobe_dnssec smtpprobe_result_dnssec_mx(const smtpprobe_result *r);
SMTPPROBE_API smtpprobe_dnssec smtpprobe_result_dnssec_addr(const smtpprobe_result *r);
SMTPPROBE_API smtpprobe_dnssec smtpprobe_result_dnssec_tlsa(const smtpprobe_result *r);
/** @return how the TLSA lookup ended. */
SMTPPROBE_API smtpprobe_tlsa_lookup smtpprobe_result_tlsa_lookup(const smtpprobe_result *r);
/** @return the TLSA lookup's time in microseconds, -1 when none ended. */
SMTPPROBE_API int64_t smtpprobe_result_tlsa_usec(const smtpprobe_result *r);
/** @return the number of TLSA records kept (at most 8). */
SMTPPROBE_API size_t smtpprobe_result_tlsa_count(const smtpprobe_result *r);
/**
 * Record @p i: its fields and data (owned by the result; at most 4096
 * bytes are kept, smtpprobe_result_tlsa_use() says UNUSABLE for a longer
 * one). Any out-pointer may be NULL. @return 0, or -1 when out of range.
 */
SMTPPROBE_API int smtpprobe_result_tlsa_record(const smtpprobe_result *r, size_t i,
	unsigned *usage, unsigned *selector, unsigned *mtype, const unsigned char **data, size_t *len);
/** @return what became of record @p i (UNUSABLE when out of range). */
SMTPPROBE_API smtpprobe_tlsa_use smtpprobe_result_tlsa_use(const smtpprobe_result *r, size_t i);
/** @return whether the handshake was authenticated by a TLSA record. */
SMTPPROBE_API smtpprobe_dane_auth smtpprobe_result_dane_auth(const smtpprobe_result *r);
/** @return the chain depth of the matching record (0: the leaf), -1 for none. */
SMTPPROBE_API int smtpprobe_result_dane_depth(const smtpprobe_result *r);

#ifdef __cplusplus
}
#endif
#endif /* SMTPPROBE_H */
