/* SPDX-License-Identifier: MIT */
/*
 * judge.h - results + thresholds + policy -> plugin states, and for each
 * target the fact that decided its state, as data: a reason and the fields
 * it needs. No words here: output.c turns verdicts into text.
 */
#ifndef SP_JUDGE_H
#define SP_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <smtpprobe.h>
#include "cfg.h"

/* What decided a target's state: the first fact found of its worst state. */
enum sp_reason {
	SP_REASON_NONE,         /* OK: every check passed */
	SP_REASON_STATUS,       /* the library's outcome: timeout, refused, TLS, protocol... */
	SP_REASON_REPLY,        /* .exchange: a reply of a failing class */
	SP_REASON_RELAY_OPEN,   /* .exchange: RCPT accepted, --expect-reply rcpt=5 */
	SP_REASON_ACCEPTED,     /* .exchange: a 2xx where --expect-reply wants class .want */
	SP_REASON_UNEXPECTED,   /* .exchange: another class than --expect-reply's .want */
	SP_REASON_BANNER,       /* -e: the banner, .exchange, lacks the text */
	SP_REASON_EXTENSION,    /* --require-ext: keyword .index not advertised */
	SP_REASON_RESPONSE,     /* -R: the reply .exchange does not match pattern .index */
	SP_REASON_CERT_EXPIRED, /* -D: the certificate expired -.days days ago */
	SP_REASON_CERT_EXPIRES, /* -D: the certificate expires in .days days */
	SP_REASON_RDNS,         /* --require-fcrdns: reverse DNS not forward-confirmed */
	SP_REASON_RDNS_NAME,    /* --require-fcrdns: the banner names another host than the PTR */
	SP_REASON_TIME,         /* -w/-c: .stage (SMTPPROBE_STAGE_COUNT: the total) took .secs */
	SP_REASON_DANE,         /* --dane: .dane, a finding of SPEC 8's table */
	SP_REASON_COUNT
};

/* DANE (SPEC 8): a target's first finding, in the order of the table. */
enum sp_dane_finding {
	SP_DANE_NONE,           /* DANE off, or nothing learnt (not reached, timed out) */
	SP_DANE_MX_INSECURE,    /* -M: the MX RRset had no AD */
	SP_DANE_ADDR_INSECURE,  /* the host's address records had no AD */
	SP_DANE_TLSA_FAILED,    /* SERVFAIL or no answer: bogus or broken DNSSEC */
	SP_DANE_TLSA_NONE,      /* securely no TLSA records */
	SP_DANE_TLSA_INSECURE,  /* TLSA answer (or denial) without AD */
	SP_DANE_TLSA_UNUSABLE,  /* secure records, none usable for SMTP */
	SP_DANE_NO_MATCH,       /* the chain matched no usable record */
	SP_DANE_CHECK_FAILED,   /* DANE-TA matched, its chain or name check failed */
	SP_DANE_AUTHENTICATED   /* a record matched */
};

struct sp_verdict {
	const smtpprobe_result *r;
	enum sp_state state;
	enum sp_reason reason;
	size_t exchange;       /* REPLY ... BANNER, RESPONSE */
	size_t index;          /* EXTENSION: into cfg->require_ext; RESPONSE: into cfg->responses */
	int want;              /* ACCEPTED, UNEXPECTED: the class asked for */
	long days;             /* CERT_*: whole days left, negative once expired */
	smtpprobe_stage stage; /* TIME */
	double secs;           /* TIME; against -c's range when CRITICAL, else -w's */
	enum sp_dane_finding dane; /* every target's, whatever decided its state */
};

struct sp_report {
	enum sp_state state;   /* all targets, as --mx-policy combines them */
	size_t n;
	struct sp_verdict *v;  /* one per target, in the probe's order */
	const char *notes;     /* the probe's own notes (not owned), or NULL */
};

/*
 * Judges @p n results (a probe's targets, in its order; none is an internal
 * error, UNKNOWN). @p notes: the probe's own. @return 0, or -1 when out of
 * memory.
 */
int sp_judge(const struct sp_config *cfg, const smtpprobe_result *const *results, size_t n,
	const char *notes, struct sp_report *rep);
void sp_report_free(struct sp_report *rep);
/* Judged and worded as one target: one host, or a domain whose MX lookup failed. */
bool sp_report_single(const struct sp_config *cfg, const struct sp_report *rep);
enum sp_state sp_worst(enum sp_state a, enum sp_state b);
/* @return the DANE finding of @p r (SP_DANE_NONE with DANE off). */
enum sp_dane_finding sp_dane_finding(const smtpprobe_result *r);
/* Whole time of a target, DNS included, in microseconds. */
int64_t sp_total_usec(const smtpprobe_result *r);
/* Whole days the certificate is still valid (negative once expired). @return
 * false when no certificate was seen. */
bool sp_cert_days(const smtpprobe_result *r, long *days);

/*
 * A reply as one line, the way it is judged and shown: "250 2.1.5 Ok" (-e
 * searches it, the status line quotes it), and "250 Ok" (-R matches it, as
 * check_smtp does).
 */
void sp_reply_text(const smtpprobe_result *r, size_t i, char *buf, size_t len);
void sp_response_text(const smtpprobe_result *r, size_t i, char *buf, size_t len);
/* @return the index of the @p nth exchange of stage @p st, or (size_t)-1. */
size_t sp_find_stage(const smtpprobe_result *r, smtpprobe_stage st, size_t nth);

#endif
