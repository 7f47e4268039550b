/* SPDX-License-Identifier: MIT */
/*
 * dnsmsg.h - the frame of a DNS message around udns's own work, for asking
 * over TCP (RFC 7766) what udns asked over UDP: a query (2-byte length,
 * header, one question, an EDNS0 OPT record with the DO bit) and the
 * header facts of a reply, whose answer section then goes to udns's
 * parsers exactly as udns would hand it over. udns encodes the names
 * (dns_ptodn) and parses the records (dns_initparse, dns_nextrr, the
 * dns_parse_fn functions); nothing here does DNS work of its own beyond
 * the header. Pure: bytes in, facts out; no I/O, no libevent.
 */
#ifndef SP_DNSMSG_H
#define SP_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>

#include <udns.h>

/* udns 0.4's enum has no TLSA (RFC 6698). */
#define SP_DNS_T_TLSA 52

/* A DNS message over TCP: its length is 16 bits. */
#define SP_DNSMSG_MAX 65535
/* Length prefix, header, the longest name, type and class, the OPT record. */
#define SP_DNSMSG_QUERY_MAX (2 + DNS_HSIZE + DNS_MAXDN + 4 + 11)

/*
 * Writes a TCP query frame for @p dn (a name from dns_ptodn) and @p qtype,
 * class IN, with RD; the OPT record says @p udpsize and, when @p dnssec_ok,
 * the DO bit. @return the frame's length, or 0 when @p dn is no valid name
 * or @p buflen is too small.
 */
size_t sp_dnsmsg_query(unsigned char *buf, size_t buflen, unsigned id, dnscc_t *dn,
	int qtype, unsigned udpsize, bool dnssec_ok);

/* What a reply is not, when it is not the reply to our query. */
enum sp_dnsmsg_err {
	SP_DNSMSG_OK,
	SP_DNSMSG_SHORT,          /* no whole header or question */
	SP_DNSMSG_NOT_REPLY,      /* QR clear, or an opcode other than QUERY */
	SP_DNSMSG_ID,             /* another query's id */
	SP_DNSMSG_QUESTION        /* not exactly the one question asked */
};

struct sp_dnsmsg_facts {
	unsigned id;
	bool qr, aa, tc, rd, ra, ad, cd;
	unsigned opcode, rcode;   /* rcode: the header's 4 bits */
	unsigned qdcount, ancount, nscount, arcount;
	size_t qtail;             /* offset of the question's type and class */
};

/*
 * Reads the header of @p pkt into @p f (whenever it has one) and checks it
 * answers the query @p id for @p dn, @p qtype, class IN: the question must
 * be there once, spelled without compression (udns's parsers read it in
 * place), equal to @p dn but for letter case.
 */
enum sp_dnsmsg_err sp_dnsmsg_reply(dnscc_t *pkt, size_t len, unsigned id, dnscc_t *dn,
	int qtype, struct sp_dnsmsg_facts *f);

/* @return the reason in words ("another query's id"). */
const char *sp_dnsmsg_strerror(enum sp_dnsmsg_err err);

/*
 * The status udns 0.4 gives such a reply over UDP: 0 when the answer
 * section is for the parser to judge, DNS_E_NODATA when NOERROR has no
 * answers, DNS_E_NXDOMAIN, and DNS_E_TEMPFAIL for TC and every other rcode.
 */
int sp_dnsmsg_status(const struct sp_dnsmsg_facts *f);

/*
 * Hands the reply to a udns parser as udns itself does (from the
 * question's type and class on). Only for a reply sp_dnsmsg_reply()
 * accepted and sp_dnsmsg_status() gave 0. @return the parser's status.
 */
int sp_dnsmsg_parse(dnscc_t *pkt, size_t len, const struct sp_dnsmsg_facts *f, dnscc_t *dn,
	dns_parse_fn *parse, void **res);

/*
 * A udns parser (dns_parse_fn) for a TLSA RRset: *res becomes a
 * malloc'ed struct sp_tlsaset (see tlsa.h; its ad, via_tcp and tcp_error
 * are left for the caller). @return 0, DNS_E_NODATA when the answer holds
 * no TLSA record for the name, DNS_E_PROTOCOL, DNS_E_NOMEM.
 */
int sp_dnsmsg_parse_tlsa(dnscc_t *qdn, dnscc_t *pkt, dnscc_t *cur, dnscc_t *end, void **res);

#endif
