/* SPDX-License-Identifier: MIT */
/*
 * dane.c - a target's DANE facts: the TLSA lookup's outcome with each
 * record classified, and what the handshake made of them.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "resolve.h"

struct sp_dane_facts *
sp_dane_new(void)
{
	struct sp_dane_facts *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->usec = -1;
	f->depth = -1;
	f->match = (size_t)-1;
	return f;
}

void
sp_dane_free(struct sp_dane_facts *f)
{
	if (f == NULL)
		return;
	free(f->set);
	free(f);
}

void
sp_dane_rearm(struct sp_dane_facts *f)
{
	f->auth = SMTPPROBE_DANE_NOT_APPLIED;
	f->depth = -1;
	f->match = (size_t)-1;
	for (size_t i = 0; f->set != NULL && i < f->set->n; i++)
		if (f->use[i] != SMTPPROBE_TLSA_UNUSABLE)
			f->use[i] = SMTPPROBE_TLSA_UNTRIED;
}

static smtpprobe_tlsa_lookup
lookup_state(int status, bool timed_out)
{
	switch (status) {
	case 0:
		return SMTPPROBE_TLSA_FOUND;
	case SP_DNS_NXDOMAIN:
	case SP_DNS_NODATA:
		return SMTPPROBE_TLSA_NONE;
	case SP_DNS_CANCELLED:
		return timed_out ? SMTPPROBE_TLSA_UNFINISHED : SMTPPROBE_TLSA_UNASKED;
	default:
		return SMTPPROBE_TLSA_FAILED;
	}
}

int
sp_dane_take(struct sp_dane_facts *f, int status, const struct sp_tlsaset *set,
	bool timed_out, int64_t usec)
{
	f->usec = usec;
	f->lookup = lookup_state(status, timed_out);
	if (f->lookup == SMTPPROBE_TLSA_UNASKED || f->lookup == SMTPPROBE_TLSA_UNFINISHED)
		return 0;
	/* A failed lookup's AD says nothing; a denial's says it is secure. */
	f->tlsa = f->lookup != SMTPPROBE_TLSA_FAILED && set != NULL && set->ad ?
	    SMTPPROBE_DNSSEC_SECURE : SMTPPROBE_DNSSEC_INSECURE;
	if (f->lookup != SMTPPROBE_TLSA_FOUND || set == NULL)
		return 0;
	if ((f->set = malloc(sizeof(*f->set))) == NULL) {
		f->lookup = SMTPPROBE_TLSA_FAILED;
		return -1;
	}
	memcpy(f->set, set, sizeof(*set));
	for (size_t i = 0; i < set->n; i++) {
		bool usable = sp_tlsa_usable(&set->rec[i]);

		f->use[i] = usable ? SMTPPROBE_TLSA_UNTRIED : SMTPPROBE_TLSA_UNUSABLE;
		f->usable += usable;
	}
	/* Records that are not DNSSEC-validated authenticate nothing. */
	if (f->tlsa != SMTPPROBE_DNSSEC_SECURE)
		f->usable = 0;
	return 0;
}

void
sp_dane_matched(struct sp_dane_facts *f, smtpprobe_dane_auth auth, int depth,
	unsigned usage, unsigned selector, unsigned mtype, const unsigned char *data, size_t len)
{
	f->auth = auth;
	f->depth = auth == SMTPPROBE_DANE_NO_MATCH ? -1 : depth;
	for (size_t i = 0; f->set != NULL && i < f->set->n; i++) {
		const struct sp_tlsa *t = &f->set->rec[i];

		if (f->use[i] == SMTPPROBE_TLSA_UNUSABLE)
			continue;
		/* Telling which record OpenSSL matched, by its fields: no matching of ours. */
		if (f->match == (size_t)-1 && f->depth >= 0 && t->usage == usage &&
		    t->selector == selector && t->mtype == mtype && t->len == len &&
		    (len == 0 || memcmp(t->data, data, len) == 0)) {
			f->match = i;
			f->use[i] = SMTPPROBE_TLSA_MATCHED;
		} else {
			f->use[i] = SMTPPROBE_TLSA_NO_MATCH;
		}
	}
}

/* ------------------------------------------------------------ the public face */

static const struct sp_dane_facts *
facts(const smtpprobe_result *r)
{
	return r->dane;
}

smtpprobe_dnssec
smtpprobe_result_dnssec_mx(const smtpprobe_result *r)
{
	return facts(r) != NULL ? facts(r)->mx : SMTPPROBE_DNSSEC_UNASKED;
}

smtpprobe_dnssec
smtpprobe_result_dnssec_addr(const smtpprobe_result *r)
{
	return facts(r) != NULL ? facts(r)->addr : SMTPPROBE_DNSSEC_UNASKED;
}

smtpprobe_dnssec
smtpprobe_result_dnssec_tlsa(const smtpprobe_result *r)
{
	return facts(r) != NULL ? facts(r)->tlsa : SMTPPROBE_DNSSEC_UNASKED;
}

smtpprobe_tlsa_lookup
smtpprobe_result_tlsa_lookup(const smtpprobe_result *r)
{
	return facts(r) != NULL ? facts(r)->lookup : SMTPPROBE_TLSA_UNASKED;
}

int64_t
smtpprobe_result_tlsa_usec(const smtpprobe_result *r)
{
	return facts(r) != NULL ? facts(r)->usec : -1;
}

size_t
smtpprobe_result_tlsa_count(const smtpprobe_result *r)
{
	return facts(r) != NULL && facts(r)->set != NULL ? facts(r)->set->n : 0;
}

int
smtpprobe_result_tlsa_record(const smtpprobe_result *r, size_t i, unsigned *usage,
	unsigned *selector, unsigned *mtype, const unsigned char **data, size_t *len)
{
	const struct sp_tlsa *t;

	if (i >= smtpprobe_result_tlsa_count(r))
		return -1;
	t = &facts(r)->set->rec[i];
	if (usage != NULL)
		*usage = t->usage;
	if (selector != NULL)
		*selector = t->selector;
	if (mtype != NULL)
		*mtype = t->mtype;
	if (data != NULL)
		*data = t->data;
	if (len != NULL)
		*len = t->len;
	return 0;
}

smtpprobe_tlsa_use
smtpprobe_result_tlsa_use(const smtpprobe_result *r, size_t i)
{
	return i < smtpprobe_result_tlsa_count(r) ? facts(r)->use[i] : SMTPPROBE_TLSA_UNUSABLE;
}

smtpprobe_dane_auth
smtpprobe_result_dane_auth(const smtpprobe_result *r)
{
	return facts(r) != NULL ? facts(r)->auth : SMTPPROBE_DANE_NOT_APPLIED;
}

int
smtpprobe_result_dane_depth(const smtpprobe_result *r)
{
	return facts(r) != NULL ? facts(r)->depth : -1;
}
