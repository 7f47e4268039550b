/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dnsmsg.c - libFuzzer harness for the DNS frame around udns
 * (lib/dnsmsg.c): the input is a reply as a resolver could send it over
 * TCP, any bytes up to a message's 65535. Checked, never a crash:
 *  - sp_dnsmsg_reply() against a fixed query: OK only when the header says
 *    QR, opcode 0, that id, one question, and the question is that name
 *    (any case), type and class IN, uncompressed, inside the message;
 *    qtail then points at its type and class;
 *  - the same reply against the question it carries itself (its name read
 *    with dns_getdn, its id and type), so that the answer section reaches
 *    the parsers whatever the fuzzer made of the header: sp_dnsmsg_status()
 *    follows udns's rules, and with status 0 the reply goes to the parser
 *    udns would use for the type (A, AAAA, MX, PTR, TXT: udns's own; TLSA:
 *    sp_dnsmsg_parse_tlsa, whose set is checked: at most SP_MAX_TLSA
 *    records, each within SP_TLSA_MAX_DATA, none counted twice);
 *  - a query frame built for the reply's name answers itself: its length
 *    prefix is right, and with QR set it passes sp_dnsmsg_reply().
 * The message is copied to a buffer of its exact size, so a read past its
 * end is ASan's to see (in our code; udns's parsers are not instrumented).
 *
 * Found here: udns 0.4's dns_getdn() writes the terminator of a 256-byte
 * name one byte past a DNS_MAXDN buffer and returns 256 (its own buffers
 * are padded: DNS_DNPAD). So the name is read into a padded buffer, and a
 * 256-byte one is no name. lib/ never calls dns_getdn() itself; inside
 * udns the byte lands in the padding at the end of struct dns_rr's and
 * struct dns_parse's name buffers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "tlsa.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

#define FIXED_ID 0x1234
#define FIXED_NAME "_25._tcp.mx.example.org"

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* What sp_dnsmsg_reply() may accept, said again from the bytes. */
static void
check_accepted(const unsigned char *pkt, size_t len, unsigned id, dnscc_t *dn, int qtype,
	const struct sp_dnsmsg_facts *f)
{
	size_t dnlen = dns_dnlen(dn);

	CHECK(len >= DNS_HSIZE + dnlen + 4);
	CHECK((pkt[2] & 0x80) && ((pkt[2] >> 3) & 15) == 0);
	CHECK(get16(pkt) == (id & 0xffff) && get16(pkt + 4) == 1);
	CHECK(f->qtail == DNS_HSIZE + dnlen && f->qtail + 4 <= len);
	CHECK(get16(pkt + f->qtail) == (unsigned)qtype && get16(pkt + f->qtail + 2) == DNS_C_IN);
	CHECK(dns_dnequal(pkt + DNS_HSIZE, dn) == dnlen);
	CHECK(f->rcode == (pkt[3] & 15u) && f->ad == ((pkt[3] & 0x20) != 0));
	CHECK(f->tc == ((pkt[2] & 0x02) != 0));
}

static void
check_tlsaset(const struct sp_tlsaset *set, unsigned ancount)
{
	CHECK(set->n <= SP_MAX_TLSA);
	CHECK(set->n + set->dropped + set->malformed > 0);
	CHECK(set->n + set->dropped + set->malformed <= ancount);
	CHECK(set->dropped == 0 || set->n == SP_MAX_TLSA);
	CHECK(!set->ad && !set->via_tcp && set->tcp_error == 0);
	for (size_t i = 0; i < set->n; i++) {
		char hex[24];

		CHECK(set->rec[i].len <= SP_TLSA_MAX_DATA);
		CHECK(sp_tlsa_hex(&set->rec[i], 8, hex, sizeof(hex)) < sizeof(hex));
		(void)sp_tlsa_check(&set->rec[i]);
	}
}

/* The parser udns would be given for @p qtype; NULL for types we never ask. */
static dns_parse_fn *
parser_for(int qtype)
{
	switch (qtype) {
	case DNS_T_A:
		return dns_parse_a4;
	case DNS_T_AAAA:
		return dns_parse_a6;
	case DNS_T_MX:
		return dns_parse_mx;
	case DNS_T_PTR:
		return dns_parse_ptr;
	case DNS_T_TXT:
		return dns_parse_txt;
	case SP_DNS_T_TLSA:
		return sp_dnsmsg_parse_tlsa;
	default:
		return NULL;
	}
}

/* The answer section of an accepted reply, through the type's parser. */
static void
parse_answer(const unsigned char *pkt, size_t len, dnscc_t *dn, int qtype,
	const struct sp_dnsmsg_facts *f)
{
	dns_parse_fn *parse = parser_for(qtype);
	int status = sp_dnsmsg_status(f), r;
	void *res = NULL;

	CHECK(status == 0 || status == DNS_E_NODATA || status == DNS_E_NXDOMAIN ||
		status == DNS_E_TEMPFAIL);
	CHECK(status != 0 || (f->rcode == 0 && !f->tc && f->ancount > 0));
	if (status != 0 || parse == NULL)
		return;
	r = sp_dnsmsg_parse(pkt, len, f, dn, parse, &res);
	CHECK(r <= 0);
	CHECK((r == 0) == (res != NULL));
	if (r == 0 && qtype == SP_DNS_T_TLSA)
		check_tlsaset(res, f->ancount);
	free(res);
}

/* A query for @p dn, with QR set, is a reply to itself. */
static void
check_query(dnscc_t *dn, int qtype, unsigned id)
{
	unsigned char frame[SP_DNSMSG_QUERY_MAX];
	struct sp_dnsmsg_facts f;
	size_t n = sp_dnsmsg_query(frame, sizeof(frame), id, dn, qtype, 1232, true);

	CHECK(n > 2 + DNS_HSIZE && get16(frame) == n - 2);
	frame[2 + 2] |= 0x80;
	CHECK(sp_dnsmsg_reply(frame + 2, n - 2, id, dn, qtype, &f) == SP_DNSMSG_OK);
	CHECK(f.qdcount == 1 && f.arcount == 1 && f.ancount == 0 && f.rd && !f.ad);
	CHECK(sp_dnsmsg_status(&f) == DNS_E_NODATA);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char fixed[DNS_MAXDN], own[DNS_MAXDN + DNS_DNPAD], *pkt;
	dnscc_t *cur;
	struct sp_dnsmsg_facts f;
	enum sp_dnsmsg_err err;
	int n;

	if (size > SP_DNSMSG_MAX)
		return 0;
	if ((pkt = malloc(size == 0 ? 1 : size)) == NULL)
		return 0;
	memcpy(pkt, data, size);
	CHECK(dns_ptodn(FIXED_NAME, 0, fixed, sizeof(fixed), NULL) > 0);
	err = sp_dnsmsg_reply(pkt, size, FIXED_ID, fixed, SP_DNS_T_TLSA, &f);
	CHECK(strlen(sp_dnsmsg_strerror(err)) > 0);
	if (err == SP_DNSMSG_OK) {
		check_accepted(pkt, size, FIXED_ID, fixed, SP_DNS_T_TLSA, &f);
		parse_answer(pkt, size, fixed, SP_DNS_T_TLSA, &f);
	}
	/* The reply's own question, when it has one that udns can read. */
	cur = pkt + DNS_HSIZE;
	if (size >= DNS_HSIZE && (n = dns_getdn(pkt, &cur, pkt + size, own, DNS_MAXDN)) > 0 &&
	    n <= DNS_MAXDN && cur + 4 <= pkt + size) {
		int qtype = (int)get16(cur);
		unsigned id = get16(pkt);

		if (sp_dnsmsg_reply(pkt, size, id, own, qtype, &f) == SP_DNSMSG_OK) {
			check_accepted(pkt, size, id, own, qtype, &f);
			parse_answer(pkt, size, own, qtype, &f);
		}
		check_query(own, qtype, id);
	}
	free(pkt);
	return 0;
}
