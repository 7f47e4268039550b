/* SPDX-License-Identifier: MIT */
/*
 * stsparse.h - MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) from their bytes:
 * the TXT records of _mta-sts.DOMAIN and _smtp._tls.DOMAIN, the policy
 * text, and which policy pattern covers an MX host. Pure: bytes in, values
 * out into the caller's structs; no allocation, no DNS library, no
 * libevent, no OpenSSL, no sockets.
 *
 * Findings are enums, a line number and a sanitised copy of the offending
 * record or line (printable ASCII, anything else as '?', cut at
 * SP_STS_SHOW bytes with "..." after): the plugin words them.
 */
#ifndef SP_STSPARSE_H
#define SP_STSPARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a record or line kept in bad[] / fault_text[] before "...". */
#define SP_STS_SHOW 80

/* One TXT RR, its strings already joined. */
struct sp_txtrec {
	const char *p;
	size_t len;
};

/*
 * _mta-sts.DOMAIN (RFC 8461 3.1). A record counts when it starts with the
 * version token "v=STSv1" (followed by ';', blank or its end; "v=STSv10"
 * is another version and does not count). The one counted record is OK
 * when it is "v=STSv1;" then ';'-separated fields (blanks around the ';'
 * allowed, one trailing ';' allowed) with exactly one id=1*32(ALPHA/DIGIT)
 * and any other field name=value with the RFC's name and value
 * characters. "v=STSv1 ;" counts but is MALFORMED: 3.1 has senders discard
 * records that do not begin with "v=STSv1;". Two or more counted: SEVERAL
 * (whatever each looks like).
 */
enum sp_sts_txt_status { SP_STS_TXT_OK, SP_STS_TXT_NONE, SP_STS_TXT_SEVERAL, SP_STS_TXT_MALFORMED };
struct sp_sts_txt {
	enum sp_sts_txt_status status;
	char id[33];              /* OK: the id (1-32 ALPHA/DIGIT), else "" */
	size_t count;             /* records starting with the "v=STSv1" token */
	char bad[96];             /* MALFORMED/SEVERAL: sanitised copy of the (first) counted record, else "" */
};
/* Judges the @p n records of @p recs (@p recs may be NULL when @p n is 0). */
void sp_sts_txt_judge(const struct sp_txtrec *recs, size_t n, struct sp_sts_txt *out);

/*
 * _smtp._tls.DOMAIN (RFC 8460 3): the same counting by "v=TLSRPTv1"; the
 * one record is OK when it is "v=TLSRPTv1;" then fields as above with
 * exactly one rua= holding a comma-separated list (blanks around the
 * commas allowed) of URIs whose scheme is mailto: or https: (any case),
 * each with something after the colon and no blank, ';' or control byte.
 */
enum sp_tlsrpt_status { SP_TLSRPT_OK, SP_TLSRPT_NONE, SP_TLSRPT_SEVERAL, SP_TLSRPT_MALFORMED };
struct sp_tlsrpt {
	enum sp_tlsrpt_status status;
	size_t nrua;              /* OK: number of rua URIs (mailto: or https:) */
	char bad[96];             /* MALFORMED/SEVERAL: as in struct sp_sts_txt */
};
void sp_tlsrpt_judge(const struct sp_txtrec *recs, size_t n, struct sp_tlsrpt *out);

enum sp_sts_mode { SP_STS_MODE_NONE, SP_STS_MODE_TESTING, SP_STS_MODE_ENFORCE };
enum sp_sts_fault {
	SP_STS_FAULT_NONE = 0,
	SP_STS_FAULT_NO_VERSION, SP_STS_FAULT_BAD_VERSION, SP_STS_FAULT_NO_MODE, SP_STS_FAULT_BAD_MODE,
	SP_STS_FAULT_NO_MAX_AGE, SP_STS_FAULT_BAD_MAX_AGE, SP_STS_FAULT_NO_MX, SP_STS_FAULT_MX_IP,
	SP_STS_FAULT_BAD_MX, SP_STS_FAULT_BAD_LINE /* not key: value, control bytes, NUL */,
	SP_STS_FAULT_DUPLICATE /* version/mode/max_age twice */, SP_STS_FAULT_TOO_MANY_MX
};
#define SP_STS_MAX_MX 32
#define SP_STS_POLICY_MAX 65536
#define SP_STS_MAX_AGE_MAX 31557600UL
struct sp_sts_policy {
	enum sp_sts_mode mode;
	unsigned long max_age;
	size_t nmx;
	char mx[SP_STS_MAX_MX][256];    /* lower-cased, trailing dot removed */
	unsigned mx_line[SP_STS_MAX_MX];/* 1-based line of each pattern */
	size_t nlines;
	enum sp_sts_fault fault;        /* the first fault found, NONE when valid */
	unsigned fault_line;            /* 1-based; 0 when no one line (e.g. NO_MX) */
	char fault_text[96];            /* sanitised copy of that line, "" when fault_line is 0 */
};

/*
 * Parses a policy (RFC 8461 3.2) of @p len bytes at @p text (NUL bytes are
 * faults, not ends). Lines end in LF or CRLF, the last may end in neither;
 * a CR elsewhere is a control byte. A line is empty (blanks only: skipped)
 * or KEY ":" *WSP VALUE, trailing blanks trimmed, where KEY is
 * (ALPHA/DIGIT) *31(ALPHA/DIGIT/"_"/"-"/".") and case-sensitive (so "Mode:"
 * is an unknown key). Known keys: version (must be STSv1; anywhere in the
 * text, as senders read the fields into a map), mode (enforce, testing or
 * none), max_age (1*10DIGIT, 0..SP_STS_MAX_AGE_MAX), mx (repeatable, at most
 * SP_STS_MAX_MX: a host name of LDH labels, 1-63 bytes each, at most 253 in
 * all, a last label not all digits, one trailing dot allowed; or "*." and
 * such a name; an IPv4 or IPv6 address, bare or in brackets, is MX_IP).
 * Unknown keys are ignored with any value. version, mode and max_age are
 * required, mx unless the mode is none. Text longer than SP_STS_POLICY_MAX
 * is BAD_LINE at line 0 (the fetch refuses it first).
 *
 * Parsing stops at the first fault, so the fields other than fault* then
 * describe the text up to that line only; they stay well-formed.
 * @return 0 when the policy is valid, -1 with fault/fault_line/fault_text set.
 */
int sp_sts_policy_parse(const char *text, size_t len, struct sp_sts_policy *out);

/*
 * Does @p pattern ("mx.example.org" or "*.example.org") cover @p host (RFC
 * 8461 4.1: the wildcard stands for exactly one leftmost label, so
 * "*.example.org" covers "mx.example.org" but neither "example.org" nor
 * "a.mx.example.org"; case-insensitive; one trailing dot on either ignored)?
 * Both are NUL-terminated; an empty host is covered by nothing.
 */
bool sp_sts_pattern_covers(const char *pattern, const char *host);
/* @return the index of the first pattern of @p p that covers @p host, or -1. */
int sp_sts_policy_match(const struct sp_sts_policy *p, const char *host);

#endif
