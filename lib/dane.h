/* SPDX-License-Identifier: MIT */
/*
 * dane.h - what DANE (RFC 7672) learnt about one target: the DNSSEC state
 * of its MX, address and TLSA answers, its TLSA records and what became of
 * each, and whether the handshake was authenticated by one. Facts only:
 * the plugin judges them against SPEC 8's table.
 *
 * The lookup itself goes through the resolver (sp_resolve_tlsa) and the
 * matching through OpenSSL's DANE support in the TLS module (tls.c): this
 * file only keeps and classifies what they report.
 */
#ifndef SP_DANE_H
#define SP_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "tlsa.h"

struct sp_dane_facts {
	smtpprobe_dnssec mx, addr, tlsa;   /* each answer's AD state */
	smtpprobe_tlsa_lookup lookup;
	int64_t usec;                       /* the TLSA lookup's time, -1 until it ends */
	struct sp_tlsaset *set;             /* NULL until records came */
	smtpprobe_tlsa_use use[SP_MAX_TLSA];
	size_t usable;                      /* records OpenSSL is given */
	smtpprobe_dane_auth auth;
	int depth;                          /* of the match, -1 for none */
	size_t match;                       /* index of the matching record, (size_t)-1 */
};

/* Fresh facts: nothing asked yet. NULL on ENOMEM. */
struct sp_dane_facts *sp_dane_new(void);
void sp_dane_free(struct sp_dane_facts *f);

/* For the next address of the same host: what its handshake made of the records is undone. */
void sp_dane_rearm(struct sp_dane_facts *f);

/*
 * Takes the TLSA lookup's outcome (status and set as sp_resolve_tlsa()
 * reports them, @p timed_out when the deadline cancelled it) and classifies
 * each record. @return 0, or -1 when out of memory (then the lookup counts
 * as failed).
 */
int sp_dane_take(struct sp_dane_facts *f, int status, const struct sp_tlsaset *set,
	bool timed_out, int64_t usec);

/* The usable records, for the handshake: NULL when there are none. */
static inline const struct sp_tlsaset *
sp_dane_handshake_set(const struct sp_dane_facts *f)
{
	return f != NULL && f->usable > 0 ? f->set : NULL;
}

/*
 * After a handshake that verified by the records: which of them matched
 * (fields as OpenSSL reports the matching one) at @p depth; the others
 * that are usable are "no match". @p auth is the handshake's outcome.
 */
void sp_dane_matched(struct sp_dane_facts *f, smtpprobe_dane_auth auth, int depth,
	unsigned usage, unsigned selector, unsigned mtype, const unsigned char *data, size_t len);

#endif
