/* SPDX-License-Identifier: MIT */
/*
 * test_dnsmsg.c - the DNS frame around udns: a TCP query byte for byte
 * (length, header with RD, question, OPT with DO), the header facts of
 * replies and every way a reply can fail to be ours, udns's status for a
 * reply, and replies handed to udns's parsers (A) and to the TLSA RRset
 * parser (records kept, dropped beyond SP_MAX_TLSA, malformed, a CNAME
 * followed, other names and types skipped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dnsmsg.h"
#include "tlsa.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define QNAME "_25._tcp.mx.example.org"

/* ------------------------------------------------------------ a packet builder */

struct pkt {
	unsigned char b[8192];
	size_t n;
};

static void
put(struct pkt *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void
put16(struct pkt *p, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(p, b, 2);
}

static void
put32(struct pkt *p, unsigned long v)
{
	put16(p, (unsigned)(v >> 16));
	put16(p, (unsigned)v & 0xffff);
}

static size_t
dn_of(const char *name, unsigned char *dn)
{
	int n = dns_ptodn(name, 0, dn, DNS_MAXDN, NULL);

	assert_true(n > 0);
	return (size_t)n;
}

/* Header: @p f1 and @p f2 are the two flag bytes (QR|opcode|AA|TC|RD, RA|Z|AD|CD|rcode). */
static void
header(struct pkt *p, unsigned id, unsigned f1, unsigned f2, unsigned qd, unsigned an)
{
	unsigned char b[2] = { (unsigned char)f1, (unsigned char)f2 };

	p->n = 0;
	put16(p, id);
	put(p, b, 2);
	put16(p, qd);
	put16(p, an);
	put16(p, 0);
	put16(p, 0);
}

static void
question(struct pkt *p, const char *name, unsigned type, unsigned cls)
{
	unsigned char dn[DNS_MAXDN];

	put(p, dn, dn_of(name, dn));
	put16(p, type);
	put16(p, cls);
}

/* An RR whose owner is a pointer to the question (offset 12). */
static void
rr_at_question(struct pkt *p, unsigned type, const void *rdata, size_t len)
{
	put16(p, 0xc00c);
	put16(p, type);
	put16(p, DNS_C_IN);
	put32(p, 300);
	put16(p, (unsigned)len);
	put(p, rdata, len);
}

static void
rr_named(struct pkt *p, const char *owner, unsigned type, const void *rdata, size_t len)
{
	unsigned char dn[DNS_MAXDN];

	put(p, dn, dn_of(owner, dn));
	put16(p, type);
	put16(p, DNS_C_IN);
	put32(p, 300);
	put16(p, (unsigned)len);
	put(p, rdata, len);
}

#define QR 0x80
#define RD 0x01
#define RA 0x80
#define AD 0x20

/* A NOERROR reply with AD to QNAME TLSA, its answer count set later. */
static void
tlsa_reply(struct pkt *p, unsigned id, unsigned an)
{
	header(p, id, QR | RD, RA | AD, 1, an);
	question(p, QNAME, SP_DNS_T_TLSA, DNS_C_IN);
}

/* ------------------------------------------------------------ queries */

static void
query_bytes(void **state)
{
	static const unsigned char want[] = {
		0x00, 0x34,                             /* length: 52 */
		0x12, 0x34, 0x01, 0x00,                 /* id, RD */
		0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		3, '_', '2', '5', 4, '_', 't', 'c', 'p', 2, 'm', 'x',
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'o', 'r', 'g', 0,
		0x00, 0x34, 0x00, 0x01,                 /* TLSA IN */
		0x00, 0x00, 0x29, 0x04, 0xd0,           /* OPT, UDP 1232 */
		0x00, 0x00, 0x80, 0x00, 0x00, 0x00,     /* DO, no options */
	};
	unsigned char dn[DNS_MAXDN], buf[SP_DNSMSG_QUERY_MAX];
	size_t n;

	(void)state;
	dn_of(QNAME, dn);
	n = sp_dnsmsg_query(buf, sizeof(buf), 0x1234, dn, SP_DNS_T_TLSA, 1232, true);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* Without DO the OPT record says only the size. */
	n = sp_dnsmsg_query(buf, sizeof(buf), 0x1234, dn, SP_DNS_T_TLSA, 1232, false);
	assert_int_equal(n, sizeof(want));
	assert_int_equal(buf[n - 4], 0);
	/* The id is 16 bits. */
	n = sp_dnsmsg_query(buf, sizeof(buf), 0x11234, dn, SP_DNS_T_TLSA, 1232, true);
	assert_int_equal(buf[2], 0x12);
	assert_int_equal(buf[3], 0x34);
}

static void
query_refused(void **state)
{
	unsigned char dn[DNS_MAXDN], buf[SP_DNSMSG_QUERY_MAX];
	unsigned char bad[] = { 64, 0 };          /* a label over 63 */
	unsigned char unended[DNS_MAXDN];

	(void)state;
	dn_of(QNAME, dn);
	assert_int_equal(sp_dnsmsg_query(buf, 53, 1, dn, SP_DNS_T_TLSA, 1232, true), 0);
	assert_int_equal(sp_dnsmsg_query(buf, 54, 1, dn, SP_DNS_T_TLSA, 1232, true), 54);
	assert_int_equal(sp_dnsmsg_query(buf, sizeof(buf), 1, bad, DNS_T_A, 1232, true), 0);
	memset(unended, 5, sizeof(unended));      /* labels running past DNS_MAXDN */
	assert_int_equal(sp_dnsmsg_query(buf, sizeof(buf), 1, unended, DNS_T_A, 1232, true), 0);
	/* The root: the shortest name. */
	assert_int_equal(sp_dnsmsg_query(buf, sizeof(buf), 1, (unsigned char *)"", DNS_T_NS,
		512, false), 2 + 12 + 1 + 4 + 11);
}

/* ------------------------------------------------------------ replies */

static void
reply_facts(void **state)
{
	unsigned char dn[DNS_MAXDN];
	struct sp_dnsmsg_facts f;
	struct pkt p;

	(void)state;
	dn_of(QNAME, dn);
	tlsa_reply(&p, 0xbeef, 0);
	p.b[2] |= 0x04;                           /* AA */
	p.b[3] |= 0x10 | DNS_R_NXDOMAIN;          /* CD */
	assert_int_equal(sp_dnsmsg_reply(p.b, p.n, 0xbeef, dn, SP_DNS_T_TLSA, &f), SP_DNSMSG_OK);
	assert_int_equal(f.id, 0xbeef);
	assert_true(f.qr && f.aa && f.rd && f.ra && f.ad && f.cd);
	assert_false(f.tc);
	assert_int_equal(f.opcode, 0);
	assert_int_equal(f.rcode, DNS_R_NXDOMAIN);
	assert_int_equal(f.qdcount, 1);
	assert_int_equal(f.ancount, 0);
	assert_int_equal(f.qtail, 12 + strlen(QNAME) + 2);
	assert_int_equal(sp_dnsmsg_status(&f), DNS_E_NXDOMAIN);
}

/* Builds a reply, spoils it one way, and checks the verdict. */
struct spoil {
	const char *what;
	void (*spoil)(struct pkt *p);
	enum sp_dnsmsg_err want;
};

static void s_none(struct pkt *p) { (void)p; }
static void s_short(struct pkt *p) { p->n = 11; }
static void s_cut_question(struct pkt *p) { p->n -= 1; }
static void s_no_qr(struct pkt *p) { p->b[2] &= (unsigned char)~QR; }
static void s_opcode(struct pkt *p) { p->b[2] |= 0x08; }
static void s_id(struct pkt *p) { p->b[1] ^= 1; }
static void s_qd0(struct pkt *p) { p->b[5] = 0; }
static void s_qd2(struct pkt *p) { p->b[5] = 2; }
static void s_name(struct pkt *p) { p->b[13 + 4] = 'x'; }          /* "_tcp" -> "xtcp" */
static void s_case(struct pkt *p) { p->b[13 + 5] = 'T'; p->b[27] = 'A'; }
static void s_type(struct pkt *p) { p->b[p->n - 3] = DNS_T_A; }
static void s_class(struct pkt *p) { p->b[p->n - 1] = DNS_C_CH; }

/* The question as a pointer to a copy of the name further on. */
static void
s_compressed(struct pkt *p)
{
	unsigned char dn[DNS_MAXDN];
	size_t len = dn_of(QNAME, dn);

	p->n = 12;
	put16(p, 0xc000 | 18);
	put16(p, SP_DNS_T_TLSA);
	put16(p, DNS_C_IN);
	put(p, dn, len);
}

static void
reply_refused(void **state)
{
	static const struct spoil cases[] = {
		{ "as built", s_none, SP_DNSMSG_OK },
		{ "under a header", s_short, SP_DNSMSG_SHORT },
		{ "question cut", s_cut_question, SP_DNSMSG_SHORT },
		{ "QR clear", s_no_qr, SP_DNSMSG_NOT_REPLY },
		{ "opcode 1", s_opcode, SP_DNSMSG_NOT_REPLY },
		{ "another id", s_id, SP_DNSMSG_ID },
		{ "no question", s_qd0, SP_DNSMSG_QUESTION },
		{ "two questions", s_qd2, SP_DNSMSG_QUESTION },
		{ "another name", s_name, SP_DNSMSG_QUESTION },
		{ "other letter case", s_case, SP_DNSMSG_OK },
		{ "another type", s_type, SP_DNSMSG_QUESTION },
		{ "another class", s_class, SP_DNSMSG_QUESTION },
		{ "compressed question", s_compressed, SP_DNSMSG_QUESTION },
	};
	unsigned char dn[DNS_MAXDN];
	struct sp_dnsmsg_facts f;
	struct pkt p;

	(void)state;
	dn_of(QNAME, dn);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		tlsa_reply(&p, 77, 0);
		cases[i].spoil(&p);
		if (sp_dnsmsg_reply(p.b, p.n, 77, dn, SP_DNS_T_TLSA, &f) != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].what,
				sp_dnsmsg_reply(p.b, p.n, 77, dn, SP_DNS_T_TLSA, &f), cases[i].want);
		assert_true(strlen(sp_dnsmsg_strerror(cases[i].want)) > 0);
	}
	/* A name that is none is never matched. */
	assert_int_equal(sp_dnsmsg_reply(p.b, p.n, 77, (unsigned char *)"\x40", SP_DNS_T_TLSA, &f),
		SP_DNSMSG_QUESTION);
}

static void
status_rules(void **state)
{
	static const struct {
		unsigned rcode;
		bool tc;
		unsigned an;
		int want;
	} cases[] = {
		{ DNS_R_NOERROR, false, 1, 0 },
		{ DNS_R_NOERROR, false, 0, DNS_E_NODATA },
		{ DNS_R_NOERROR, true, 1, DNS_E_TEMPFAIL },
		{ DNS_R_NOERROR, true, 0, DNS_E_TEMPFAIL },
		{ DNS_R_NXDOMAIN, false, 0, DNS_E_NXDOMAIN },
		{ DNS_R_NXDOMAIN, false, 2, DNS_E_NXDOMAIN },   /* a CNAME into nothing */
		{ DNS_R_SERVFAIL, false, 0, DNS_E_TEMPFAIL },
		{ DNS_R_REFUSED, false, 0, DNS_E_TEMPFAIL },
		{ DNS_R_FORMERR, false, 0, DNS_E_TEMPFAIL },
		{ DNS_R_NOTIMPL, false, 0, DNS_E_TEMPFAIL },
		{ 15, false, 0, DNS_E_TEMPFAIL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct sp_dnsmsg_facts f = { .rcode = cases[i].rcode, .tc = cases[i].tc,
			.ancount = cases[i].an };

		assert_int_equal(sp_dnsmsg_status(&f), cases[i].want);
	}
}

/* ------------------------------------------------------------ parsers */

static void
udns_parser(void **state)
{
	static const unsigned char a1[] = { 192, 0, 2, 1 }, a2[] = { 192, 0, 2, 2 };
	unsigned char dn[DNS_MAXDN];
	struct sp_dnsmsg_facts f;
	struct dns_rr_a4 *a4 = NULL;
	struct pkt p;

	(void)state;
	dn_of("mx.example.org", dn);
	header(&p, 9, QR | RD, RA | AD, 1, 2);
	question(&p, "mx.example.org", DNS_T_A, DNS_C_IN);
	rr_at_question(&p, DNS_T_A, a1, 4);
	rr_at_question(&p, DNS_T_A, a2, 4);
	assert_int_equal(sp_dnsmsg_reply(p.b, p.n, 9, dn, DNS_T_A, &f), SP_DNSMSG_OK);
	assert_int_equal(sp_dnsmsg_status(&f), 0);
	assert_int_equal(sp_dnsmsg_parse(p.b, p.n, &f, dn, dns_parse_a4, (void **)&a4), 0);
	assert_non_null(a4);
	assert_int_equal(a4->dnsa4_nrr, 2);
	assert_memory_equal(&a4->dnsa4_addr[1], a2, 4);
	free(a4);
	/* Without sp_dnsmsg_reply's blessing, no parser is called. */
	f.qtail = 0;
	assert_int_equal(sp_dnsmsg_parse(p.b, p.n, &f, dn, dns_parse_a4, (void **)&a4),
		DNS_E_PROTOCOL);
}

/* Parses a TLSA reply built in @p p. */
static int
parse_tlsa(struct pkt *p, struct sp_tlsaset **set)
{
	unsigned char dn[DNS_MAXDN];
	struct sp_dnsmsg_facts f;
	int r;

	dn_of(QNAME, dn);
	assert_int_equal(sp_dnsmsg_reply(p->b, p->n, 1, dn, SP_DNS_T_TLSA, &f), SP_DNSMSG_OK);
	if ((r = sp_dnsmsg_status(&f)) != 0)
		return r;
	*set = NULL;
	return sp_dnsmsg_parse(p->b, p->n, &f, dn, sp_dnsmsg_parse_tlsa, (void **)set);
}

static void
tlsa_rrset(void **state)
{
	unsigned char rd[3 + 32] = { 3, 1, 1 }, rrsig[20] = { 0, 52 };
	struct sp_tlsaset *set;
	struct pkt p;

	(void)state;
	memset(rd + 3, 0xab, 32);
	tlsa_reply(&p, 1, 5);
	rr_at_question(&p, SP_DNS_T_TLSA, rd, sizeof(rd));
	rr_at_question(&p, DNS_T_RRSIG, rrsig, sizeof(rrsig));           /* skipped */
	rr_named(&p, "_25._tcp.other.example.org", SP_DNS_T_TLSA, rd, sizeof(rd));
	rr_at_question(&p, SP_DNS_T_TLSA, rd, 2);                       /* malformed */
	rd[0] = 2;
	rd[1] = 0;
	rr_at_question(&p, SP_DNS_T_TLSA, rd, sizeof(rd));
	assert_int_equal(parse_tlsa(&p, &set), 0);
	assert_int_equal(set->n, 2);
	assert_int_equal(set->malformed, 1);
	assert_int_equal(set->dropped, 0);
	assert_false(set->ad);                    /* the caller's to set */
	assert_int_equal(set->rec[0].usage, 3);
	assert_int_equal(set->rec[1].usage, 2);
	assert_int_equal(set->rec[1].selector, 0);
	assert_int_equal(set->rec[1].len, 32);
	assert_true(sp_tlsa_usable(&set->rec[1]));
	free(set);
}

static void
tlsa_many(void **state)
{
	unsigned char rd[3 + 32] = { 3, 1, 1 };
	struct sp_tlsaset *set;
	struct pkt p;

	(void)state;
	tlsa_reply(&p, 1, SP_MAX_TLSA + 3);
	for (unsigned i = 0; i < SP_MAX_TLSA + 3; i++) {
		rd[3] = (unsigned char)i;
		rr_at_question(&p, SP_DNS_T_TLSA, rd, sizeof(rd));
	}
	assert_int_equal(parse_tlsa(&p, &set), 0);
	assert_int_equal(set->n, SP_MAX_TLSA);
	assert_int_equal(set->dropped, 3);
	assert_int_equal(set->rec[SP_MAX_TLSA - 1].data[0], SP_MAX_TLSA - 1);
	free(set);
}

/* udns follows a CNAME from the question to the name holding the records. */
static void
tlsa_cname(void **state)
{
	unsigned char rd[3 + 32] = { 3, 1, 1 }, target[DNS_MAXDN];
	size_t tlen = dn_of("_25._tcp.real.example.net", target);
	struct sp_tlsaset *set;
	struct pkt p;

	(void)state;
	tlsa_reply(&p, 1, 2);
	rr_at_question(&p, DNS_T_CNAME, target, tlen);
	rr_named(&p, "_25._tcp.real.example.net", SP_DNS_T_TLSA, rd, sizeof(rd));
	assert_int_equal(parse_tlsa(&p, &set), 0);
	assert_int_equal(set->n, 1);
	free(set);
}

static void
tlsa_none(void **state)
{
	unsigned char rrsig[20] = { 0, 52 };
	struct sp_tlsaset *set = NULL;
	struct pkt p;

	(void)state;
	/* No answers at all: udns's NODATA, no parser. */
	tlsa_reply(&p, 1, 0);
	assert_int_equal(parse_tlsa(&p, &set), DNS_E_NODATA);
	/* Answers, none a TLSA record of the name. */
	tlsa_reply(&p, 1, 1);
	rr_at_question(&p, DNS_T_RRSIG, rrsig, sizeof(rrsig));
	assert_int_equal(parse_tlsa(&p, &set), DNS_E_NODATA);
	/* A record running past the end of the message. */
	tlsa_reply(&p, 1, 1);
	rr_at_question(&p, SP_DNS_T_TLSA, rrsig, sizeof(rrsig));
	p.n -= 5;
	assert_int_equal(parse_tlsa(&p, &set), DNS_E_PROTOCOL);
	/* Fewer records than the header counts. */
	tlsa_reply(&p, 1, 2);
	rr_at_question(&p, SP_DNS_T_TLSA, rrsig, sizeof(rrsig));
	assert_int_equal(parse_tlsa(&p, &set), DNS_E_PROTOCOL);
	assert_null(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(query_bytes),
		cmocka_unit_test(query_refused),
		cmocka_unit_test(reply_facts),
		cmocka_unit_test(reply_refused),
		cmocka_unit_test(status_rules),
		cmocka_unit_test(udns_parser),
		cmocka_unit_test(tlsa_rrset),
		cmocka_unit_test(tlsa_many),
		cmocka_unit_test(tlsa_cname),
		cmocka_unit_test(tlsa_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
