/* SPDX-License-Identifier: MIT */
/*
 * dnsmsg.c - a DNS query frame for TCP and the header of its reply. Every
 * offset is checked against the message's end before it is read: the
 * bytes come from the network.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dnsmsg.h"

#include <stdlib.h>
#include <string.h>

#include "tlsa.h"

/* EDNS0 OPT record (RFC 6891): root owner, type, UDP size, TTL, RDLENGTH. */
#define OPT_LEN 11
#define OPT_DO 0x8000

/* @return the length of a well-formed uncompressed name, or 0. */
static size_t
dn_length(dnscc_t *dn, size_t max)
{
	size_t i = 0;

	while (i < max && i < DNS_MAXDN) {
		unsigned label = dn[i];

		if (label == 0)
			return i + 1;
		if (label > DNS_MAXLABEL)
			return 0;
		i += 1 + label;
	}
	return 0;
}

static unsigned char *
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
	return p + 2;
}

static unsigned
get16(dnscc_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

size_t
sp_dnsmsg_query(unsigned char *buf, size_t buflen, unsigned id, dnscc_t *dn, int qtype,
	unsigned udpsize, bool dnssec_ok)
{
	size_t dnlen = dn_length(dn, DNS_MAXDN);
	size_t total = 2 + DNS_HSIZE + dnlen + 4 + OPT_LEN;
	unsigned char *p = buf;

	if (dnlen == 0 || total > buflen)
		return 0;
	p = put16(p, (unsigned)(total - 2));
	p = put16(p, id & 0xffff);
	*p++ = DNS_HF1_RD;
	*p++ = 0;
	p = put16(p, 1);                  /* one question */
	p = put16(p, 0);
	p = put16(p, 0);
	p = put16(p, 1);                  /* the OPT record */
	memcpy(p, dn, dnlen);
	p += dnlen;
	p = put16(p, (unsigned)qtype & 0xffff);
	p = put16(p, DNS_C_IN);
	*p++ = 0;                         /* the root: OPT's owner */
	p = put16(p, DNS_T_OPT);
	p = put16(p, udpsize & 0xffff);
	p = put16(p, 0);                  /* extended rcode, version 0 */
	p = put16(p, dnssec_ok ? OPT_DO : 0);
	put16(p, 0);                      /* no options */
	return total;
}

static void
read_header(dnscc_t *pkt, struct sp_dnsmsg_facts *f)
{
	f->id = dns_qid(pkt);
	f->qr = dns_qr(pkt) != 0;
	f->opcode = dns_opcode(pkt);
	f->aa = dns_aa(pkt) != 0;
	f->tc = dns_tc(pkt) != 0;
	f->rd = dns_rd(pkt) != 0;
	f->ra = dns_ra(pkt) != 0;
	f->ad = dns_ad(pkt) != 0;
	f->cd = dns_cd(pkt) != 0;
	f->rcode = dns_rcode(pkt);
	f->qdcount = dns_numqd(pkt);
	f->ancount = dns_numan(pkt);
	f->nscount = dns_numns(pkt);
	f->arcount = dns_numar(pkt);
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/*
 * The question in place: @p dn's labels, byte for byte but for case. A
 * compression pointer fails the first length byte test (it is over 63).
 */
static bool
question_is(dnscc_t *q, size_t room, dnscc_t *dn, size_t dnlen)
{
	if (room < dnlen)
		return false;
	for (size_t i = 0; i < dnlen; ) {
		unsigned label = dn[i];

		if (q[i] != label)
			return false;
		for (size_t j = i + 1; j <= i + label; j++)
			if (lower(q[j]) != lower(dn[j]))
				return false;
		i += 1 + label;
	}
	return true;
}

enum sp_dnsmsg_err
sp_dnsmsg_reply(dnscc_t *pkt, size_t len, unsigned id, dnscc_t *dn, int qtype,
	struct sp_dnsmsg_facts *f)
{
	size_t dnlen = dn_length(dn, DNS_MAXDN);
	dnscc_t *tail;

	memset(f, 0, sizeof(*f));
	if (len < DNS_HSIZE)
		return SP_DNSMSG_SHORT;
	read_header(pkt, f);
	if (!f->qr || f->opcode != 0)
		return SP_DNSMSG_NOT_REPLY;
	if (f->id != (id & 0xffff))
		return SP_DNSMSG_ID;
	if (f->qdcount != 1 || dnlen == 0)
		return SP_DNSMSG_QUESTION;
	if (len < DNS_HSIZE + dnlen + 4)
		return SP_DNSMSG_SHORT;
	if (!question_is(pkt + DNS_HSIZE, len - DNS_HSIZE, dn, dnlen))
		return SP_DNSMSG_QUESTION;
	tail = pkt + DNS_HSIZE + dnlen;
	if (get16(tail) != ((unsigned)qtype & 0xffff) || get16(tail + 2) != DNS_C_IN)
		return SP_DNSMSG_QUESTION;
	f->qtail = DNS_HSIZE + dnlen;
	return SP_DNSMSG_OK;
}

const char *
sp_dnsmsg_strerror(enum sp_dnsmsg_err err)
{
	switch (err) {
	case SP_DNSMSG_OK:
		return "no error";
	case SP_DNSMSG_SHORT:
		return "reply cut short";
	case SP_DNSMSG_NOT_REPLY:
		return "not a reply to a query";
	case SP_DNSMSG_ID:
		return "another query's id";
	case SP_DNSMSG_QUESTION:
		return "not the question asked";
	}
	return "unknown";
}

int
sp_dnsmsg_status(const struct sp_dnsmsg_facts *f)
{
	switch (f->rcode) {
	case DNS_R_NOERROR:
		if (f->tc)
			return DNS_E_TEMPFAIL;
		return f->ancount == 0 ? DNS_E_NODATA : 0;
	case DNS_R_NXDOMAIN:
		return DNS_E_NXDOMAIN;
	default:
		return DNS_E_TEMPFAIL;
	}
}

int
sp_dnsmsg_parse(dnscc_t *pkt, size_t len, const struct sp_dnsmsg_facts *f, dnscc_t *dn,
	dns_parse_fn *parse, void **res)
{
	/* udns's own precondition (dns_initparse asserts it). */
	if (f->qtail == 0 || f->qtail + 4 > len)
		return DNS_E_PROTOCOL;
	return parse(dn, pkt, pkt + f->qtail, pkt + len, res);
}

/* One TLSA RR into the set: kept, counted as dropped or as malformed. */
static void
tlsa_add(struct sp_tlsaset *set, const struct dns_rr *rr)
{
	if (rr->dnsrr_dsz < 3)
		set->malformed++;
	else if (set->n == SP_MAX_TLSA)
		set->dropped++;
	else if (sp_tlsa_parse(rr->dnsrr_dptr, rr->dnsrr_dsz, &set->rec[set->n]) == 0)
		set->n++;
}

int
sp_dnsmsg_parse_tlsa(dnscc_t *qdn, dnscc_t *pkt, dnscc_t *cur, dnscc_t *end, void **res)
{
	struct sp_tlsaset *set;
	struct dns_parse p;
	struct dns_rr rr;
	int r;

	if ((set = calloc(1, sizeof(*set))) == NULL)
		return DNS_E_NOMEM;
	/* dns_nextrr follows a CNAME chain and keeps only qdn's TLSA RRs. */
	dns_initparse(&p, qdn, pkt, cur, end);
	while ((r = dns_nextrr(&p, &rr)) > 0)
		tlsa_add(set, &rr);
	if (r < 0 || set->n + set->dropped + set->malformed == 0) {
		free(set);
		return r < 0 ? DNS_E_PROTOCOL : DNS_E_NODATA;
	}
	*res = set;
	return 0;
}
