/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the library's files share and the world does not see:
 * the options and result structures behind the public opaque types.
 */
#ifndef SP_INTERNAL_H
#define SP_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "smtpprobe.h"
#include "caps.h"
#include "reply.h"

#define SP_DEFAULT_PORT 25
#define SP_DEFAULT_TLS_PORT 465 /* SMTPS, RFC 8314 */
#define SP_DEFAULT_TIMEOUT_MS 10000u
#define SP_ADDR_MAX 46 /* INET6_ADDRSTRLEN */
#define SP_REASON_MAX 160
#define SP_QUEUE_ID_MAX 128
#define SP_NOTES_MAX 512
#define SP_DEFAULT_MAX_TARGETS 32
#define SP_MAX_TARGETS_LIMIT 1024

/* A list of owned strings, grown only by sp_strv_add() (its room follows from n). */
struct sp_strv {
	char **v;
	size_t n;
};

int sp_strv_add(struct sp_strv *sv, const char *s);
void sp_strv_free(struct sp_strv *sv);
/* @return true when @p s may go on the wire: no CR, LF or NUL, not too long. */
bool sp_wire_safe(const char *s, size_t len);

struct smtpprobe_opts {
	struct sp_strv hosts; /* -H: each a target of its own, checked at once */
	unsigned port;
	smtpprobe_family family;
	char *helo;
	bool lmtp;
	bool no_pipelining;  /* one command at a time even with PIPELINING */
	char *from;          /* NULL: no MAIL unless recipients are given */
	struct sp_strv rcpts;
	char *notify;
	struct sp_strv commands;
	bool data;
	char *subject;
	struct sp_strv headers;
	char *body;
	size_t bodylen;
	smtpprobe_stage quit_after; /* SMTPPROBE_STAGE_COUNT: none */
	int expect[SMTPPROBE_STAGE_COUNT];
	unsigned timeout_ms;
	char *dns_addr;
	unsigned dns_port;
	char *hosts_file;
	smtpprobe_tls tls;
	bool tls_verify;
	bool tls_lean_init; /* see smtpprobe_opts_set_tls_lean_init() */
	char *ca_file, *ca_dir, *sni;
	int tls_min;         /* OpenSSL's TLS1_x_VERSION, 0 for its default */
	smtpprobe_tlsctx *tlsctx; /* lent (smtpprobe_opts_set_tlsctx()); NULL: per probe */
	smtpprobe_auth auth;
	char *auth_user, *auth_pass;
	int proxy;           /* PROXY protocol version, 0 for none */
	char *mx_domain;     /* set instead of hosts: check every MX host of it */
	unsigned max_targets; /* MX: addresses checked at most; hosts too, once set */
	bool max_targets_set;
	bool rdns;           /* look up PTR and confirm it forward, per address */
	unsigned rdns_grace_ms; /* its time after the last dialog; 0: the deadline */
	bool resolve_only;   /* MX: find hosts and addresses, dial nothing */
	bool mta_sts;        /* MX: the domain's MTA-STS policy (mtasts.c) */
	bool tlsrpt;         /* MX: the domain's TLS-RPT record */
	smtpprobe_dane dane;
};

/* The port to dial: as set, else 465 for implicit TLS, else 25. */
unsigned sp_opts_port(const smtpprobe_opts *o);
/* The SSL_CTX of a shared context (lib/tlsctx.c). */
struct ssl_ctx_st *sp_tlsctx_ssl(const smtpprobe_tlsctx *ctx);
/* A deep copy, so a probe owns its options (a shared TLS context stays lent). NULL on ENOMEM. */
smtpprobe_opts *sp_opts_dup(const smtpprobe_opts *o);

/* A reply's text as quoted: its lines joined (reply.h), at most this long. */
#define SP_TEXT_MAX 512
/* Lines and bytes of one reply kept for the report (the parser allows more). */
#define SP_KEEP_LINES 64
#define SP_KEEP_BYTES 16384

struct sp_exchange {
	smtpprobe_stage stage;
	char *command;       /* as sent, redacted; "" for the banner */
	int code;
	char enhanced[SP_ENHANCED_MAX];
	char *text;          /* every line's text, joined */
	struct sp_strv lines; /* the reply's raw lines, as received */
	int64_t sent;        /* when the command was handed to the socket */
	int64_t usec;        /* from then to its reply */
	bool pipelined;      /* it left in one write with other commands (RFC 2920) */
};

/*
 * A stage's time is the time during which one of its commands waited for
 * its reply: the union of its exchanges' [sent, reply] intervals, which
 * end in order (replies come in order), so [start, end] and usec suffice.
 */
struct sp_stage_rec {
	bool ran;
	bool pipelined;      /* one of its commands was pipelined */
	int64_t start, end, usec;
	int code;            /* worst reply code seen */
};

struct sp_tls_facts {
	char version[16];
	char cipher[64];
	char subject[256];
	char issuer[256];
	char sans[512];
	int64_t not_after;
	char error[128];     /* verification failure, "" when verified */
};

struct smtpprobe_result {
	char *host;
	char addr[SP_ADDR_MAX];
	unsigned port;
	smtpprobe_status status;
	smtpprobe_stage stage;
	char reason[SP_REASON_MAX];
	int decider;
	int64_t start, end;  /* usec since the probe started; end 0 while running */
	struct sp_stage_rec stages[SMTPPROBE_STAGE_COUNT];
	struct sp_exchange *ex;
	size_t nex, capex;
	struct sp_caps caps;
	smtpprobe_greeting greeting;
	char queue_id[SP_QUEUE_ID_MAX];
	bool chunking;       /* the message went as BDAT (RFC 3030), not DATA */
	char notes[SP_NOTES_MAX];
	struct sp_tls_facts *tls; /* NULL until a handshake completed */
	int mx_pref;         /* -1: not reached through an MX record */
	smtpprobe_rdns rdns;
	char ptr[256];       /* PTR name (the confirmed one, when any) */
	char rdns_text[SP_REASON_MAX];
	char banner_name[256]; /* first word of the greeting after the code */
	int local_errno;     /* SMTPPROBE_E_LOCAL: what failed, 0 otherwise */
	bool starttls_offered; /* the first EHLO listed STARTTLS */
	int sts_pattern;     /* MTA-STS: the policy pattern covering host, -1 none */
	struct sp_dane_facts *dane; /* with DANE on: what it learnt (dane.h) */
};

struct smtpprobe_result *sp_result_new(const char *host, unsigned port);
void sp_result_free(struct smtpprobe_result *r);
/*
 * Appends an exchange for a command as sent at @p sent (usec since the probe
 * started); @return its index or -1 (ENOMEM).
 */
int sp_result_exchange(struct smtpprobe_result *r, smtpprobe_stage st, const char *cmd, size_t len,
	int64_t sent);
/*
 * Records the reply that closes exchange @p i, complete at @p at: @p line is
 * its last line, @p lines all its raw lines, taken over (left empty). The
 * exchange and its stage are timed from the exchange's sent time.
 * @return 0 or -1 (ENOMEM).
 */
int sp_result_reply(struct smtpprobe_result *r, int i, const struct sp_reply_line *line,
	struct sp_strv *lines, int64_t at);
/*
 * Counts [@p from, @p to] to a stage, started at the first @p from. Intervals
 * come in the order they end; a part already counted (a pipelined command
 * that waited together with the one before it) is not counted again.
 */
void sp_result_stage_time(struct smtpprobe_result *r, smtpprobe_stage st, int64_t from, int64_t to);
/* The first failure decides; later ones are ignored. */
void sp_result_fail(struct smtpprobe_result *r, smtpprobe_status status,
	smtpprobe_stage st, int decider, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void sp_result_note(struct smtpprobe_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends to a "; "-joined list of notes, truncating at @p size. */
void sp_notes_vadd(char *notes, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Monotonic clock in microseconds. */
int64_t sp_now_usec(void);

#endif
