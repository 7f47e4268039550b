/* SPDX-License-Identifier: MIT */
/*
 * tlsa.h - TLSA records (RFC 6698) from their RDATA, and which of them an
 * SMTP client may use (RFC 7672 section 3.1.3). Pure: bytes in, facts out;
 * no DNS library, no libevent, no sockets.
 */
#ifndef SP_TLSA_H
#define SP_TLSA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Data kept per record. A full certificate (selector 0, matching type 0)
 * is 0.5-2 KiB, rarely more; 4 KiB leaves room for RSA-4096 keys and long
 * SAN lists. Longer data is cut to this and the record marked oversize:
 * shown, never used (a cut certificate matches nothing).
 */
#define SP_TLSA_MAX_DATA 4096
/* Records kept per RRset; real ones hold 1-4 (a rollover publishes two). */
#define SP_MAX_TLSA 8

struct sp_tlsa {
	uint8_t usage, selector, mtype;
	bool oversize;            /* data was longer than SP_TLSA_MAX_DATA */
	size_t len;               /* bytes in data (at most SP_TLSA_MAX_DATA) */
	unsigned char data[SP_TLSA_MAX_DATA];
};

/* The TLSA RRset of one _PORT._tcp.HOST, as the resolver gave it. */
struct sp_tlsaset {
	size_t n;
	size_t dropped;           /* well-formed records beyond SP_MAX_TLSA */
	size_t malformed;         /* RDATA under 3 bytes: not a TLSA record */
	bool ad;                  /* the answer (or the denial) had the AD bit */
	bool via_tcp;             /* the answer came from the TCP re-ask */
	int tcp_error;            /* errno of a TCP re-ask that failed, else 0 */
	struct sp_tlsa rec[SP_MAX_TLSA];
};

/* Why a record is unusable for SMTP, or SP_TLSA_USABLE. */
enum sp_tlsa_use {
	SP_TLSA_USABLE,
	SP_TLSA_PKIX_USAGE,       /* usage 0 (PKIX-TA) or 1 (PKIX-EE) */
	SP_TLSA_BAD_USAGE,        /* usage above 3 */
	SP_TLSA_BAD_SELECTOR,     /* selector above 1 */
	SP_TLSA_BAD_MTYPE,        /* matching type above 2 */
	SP_TLSA_BAD_LENGTH,       /* data length wrong for the matching type */
	SP_TLSA_OVERSIZE          /* data longer than SP_TLSA_MAX_DATA */
};

/*
 * Parses TLSA RDATA (usage, selector, matching type, data) into @p out.
 * @return 0, or -1 when @p len is under 3 (no TLSA record at all).
 */
int sp_tlsa_parse(const unsigned char *rdata, size_t len, struct sp_tlsa *out);

/*
 * RFC 7672 section 3.1.3: usage 2 or 3, selector 0 or 1, matching type 0
 * (data not empty), 1 (32 bytes) or 2 (64 bytes). Checked in that order,
 * so the first reason is the one given.
 */
enum sp_tlsa_use sp_tlsa_check(const struct sp_tlsa *t);

static inline bool
sp_tlsa_usable(const struct sp_tlsa *t)
{
	return sp_tlsa_check(t) == SP_TLSA_USABLE;
}

/* @return the reason in words ("usage 0/1 (PKIX) is not for SMTP"). */
const char *sp_tlsa_use_str(enum sp_tlsa_use use);

/*
 * The first @p max bytes of the data in lower-case hex, with "..." when
 * there is more, NUL-terminated and cut to fit @p outlen (at a whole
 * byte). @return the length written.
 */
size_t sp_tlsa_hex(const struct sp_tlsa *t, size_t max, char *out, size_t outlen);

#endif
