/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stsparse.c - libFuzzer harness for MTA-STS and TLS-RPT (lib/stsparse.c).
 * The input is a policy text as a hostile HTTPS server could serve it, and
 * the same bytes cut at each LF are the TXT records of a hostile zone
 * (each copied to its own allocation, so ASan sees a byte read past one).
 * Checked:
 *  - the policy: 0 exactly when there is no fault; the MX list within
 *    SP_STS_MAX_MX, each pattern a NUL-terminated lower-case LDH name or
 *    "*." and one, on a line that exists, in line order, covered by itself;
 *    nlines is the text's count of lines (when valid); the fault line
 *    exists and fault_text is that line shown: NUL-terminated, printable,
 *    at most SP_STS_SHOW bytes and "...";
 *  - the TXT judges: the count of records led by the version token
 *    (counted again here), the status agreeing with it, an OK id of 1-32
 *    letters and digits found in the record as "id=", bad[] shown as above;
 *  - sp_sts_pattern_covers() agrees with RFC 8461 4.1 written out here again
 *    over pairs of records, in any case.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stsparse.h"

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

#define MAX_RECS 8

/* @p s (within @p size bytes) is a display copy of the @p len bytes at @p p. */
static void
check_shown(const char *s, size_t size, const char *p, size_t len)
{
	size_t n = strnlen(s, size), keep = len > SP_STS_SHOW ? SP_STS_SHOW : len;

	CHECK(n < size);
	CHECK(n == keep + (keep < len ? 3 : 0));
	for (size_t i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)p[i];

		CHECK(s[i] == (c >= 0x20 && c <= 0x7e ? (char)c : '?'));
	}
	CHECK(keep == len || memcmp(s + keep, "...", 3) == 0);
}

/* The @p want-th line (1-based) of the text, without its LF or CRLF. */
static void
nth_line(const char *t, size_t len, unsigned want, const char **p, size_t *n)
{
	size_t pos = 0;

	for (unsigned line = 1;; line++) {
		const char *lf = memchr(t + pos, '\n', len - pos);
		size_t end = lf != NULL ? (size_t)(lf - t) : len;

		CHECK(pos < len);
		if (line == want) {
			*p = t + pos;
			*n = end - pos;
			if (lf != NULL && *n > 0 && (*p)[*n - 1] == '\r')
				(*n)--;
			return;
		}
		pos = end + 1;
	}
}

static size_t
count_lines(const char *t, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += t[i] == '\n';
	return n + (len > 0 && t[len - 1] != '\n');
}

static void
check_pattern(const char *mx)
{
	size_t n = strnlen(mx, 256), start = 0;

	CHECK(n > 0 && n < 256);
	CHECK(mx[n - 1] != '.');
	if (mx[0] == '*') {
		CHECK(mx[1] == '.');
		start = 2;
	}
	for (size_t i = start; i < n; i++)
		CHECK((mx[i] >= 'a' && mx[i] <= 'z') || (mx[i] >= '0' && mx[i] <= '9') ||
		    mx[i] == '-' || mx[i] == '.');
	CHECK(n - start <= 253 && n - start > 0);
	/* it covers itself, or one name under it */
	if (start == 0) {
		CHECK(sp_sts_pattern_covers(mx, mx));
	} else {
		char host[260];

		snprintf(host, sizeof(host), "x%s", mx + 1);
		CHECK(sp_sts_pattern_covers(mx, host));
		CHECK(!sp_sts_pattern_covers(mx, mx + 2));
	}
}

static void
check_policy(const char *t, size_t len)
{
	static struct sp_sts_policy p;
	int rc;

	memset(&p, 0xa5, sizeof(p));
	rc = sp_sts_policy_parse(t, len, &p);
	CHECK(rc == 0 || rc == -1);
	CHECK((rc == 0) == (p.fault == SP_STS_FAULT_NONE));
	CHECK(p.fault >= SP_STS_FAULT_NONE && p.fault <= SP_STS_FAULT_TOO_MANY_MX);
	CHECK(p.nmx <= SP_STS_MAX_MX);
	CHECK(p.nlines <= count_lines(t, len));
	for (size_t i = 0; i < p.nmx; i++) {
		check_pattern(p.mx[i]);
		CHECK(p.mx_line[i] >= 1 && p.mx_line[i] <= p.nlines);
		CHECK(i == 0 || p.mx_line[i] > p.mx_line[i - 1]);
		CHECK(sp_sts_policy_match(&p, p.mx[i]) >= 0);
		CHECK(sp_sts_policy_match(&p, p.mx[i]) <= (int)i);
	}
	if (rc == 0) {
		CHECK(p.fault_line == 0);
		CHECK(p.mode == SP_STS_MODE_NONE || p.mode == SP_STS_MODE_TESTING ||
		    p.mode == SP_STS_MODE_ENFORCE);
		CHECK(p.max_age <= SP_STS_MAX_AGE_MAX);
		CHECK(p.nmx > 0 || p.mode == SP_STS_MODE_NONE);
		CHECK(p.nlines == count_lines(t, len));
		CHECK(len <= SP_STS_POLICY_MAX);
		return;
	}
	if (p.fault_line == 0) {
		CHECK(p.fault == SP_STS_FAULT_NO_VERSION || p.fault == SP_STS_FAULT_NO_MODE ||
		    p.fault == SP_STS_FAULT_NO_MAX_AGE || p.fault == SP_STS_FAULT_NO_MX ||
		    (p.fault == SP_STS_FAULT_BAD_LINE && len > SP_STS_POLICY_MAX));
		CHECK(p.fault_text[0] == '\0');
	} else {
		const char *lp;
		size_t ln;

		CHECK(p.fault_line == p.nlines);
		nth_line(t, len, p.fault_line, &lp, &ln);
		check_shown(p.fault_text, sizeof(p.fault_text), lp, ln);
	}
}

static bool
led_by(const char *p, size_t len, const char *v)
{
	size_t vl = strlen(v);

	return len >= vl && memcmp(p, v, vl) == 0 &&
	    (len == vl || p[vl] == ';' || p[vl] == ' ' || p[vl] == '\t');
}

static size_t
count_led(const struct sp_txtrec *r, size_t n, const char *v, const struct sp_txtrec **first)
{
	size_t c = 0;

	*first = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!led_by(r[i].p, r[i].len, v))
			continue;
		if (*first == NULL)
			*first = &r[i];
		c++;
	}
	return c;
}

/*
 * The status agrees with the count @p c of records led by the version;
 * bad[] is empty, or the first of them shown. The TLS-RPT statuses have
 * the MTA-STS values (lib/stsparse.c asserts it).
 */
static void
check_counted(int status, size_t c, const char *bad, size_t size, const struct sp_txtrec *first)
{
	CHECK(status >= SP_STS_TXT_OK && status <= SP_STS_TXT_MALFORMED);
	CHECK((status == SP_STS_TXT_NONE) == (c == 0));
	CHECK((status == SP_STS_TXT_SEVERAL) == (c > 1));
	if (status == SP_STS_TXT_OK || status == SP_STS_TXT_NONE)
		CHECK(bad[0] == '\0');
	else
		check_shown(bad, size, first->p, first->len);
}

/* An OK MTA-STS record: its id is 1-32 letters and digits, found as "id=". */
static void
check_sts_id(const struct sp_sts_txt *t, const struct sp_txtrec *first)
{
	size_t il = strnlen(t->id, sizeof(t->id));
	char want[40];

	if (t->status != SP_STS_TXT_OK) {
		CHECK(il == 0);
		return;
	}
	CHECK(il >= 1 && il <= 32);
	for (size_t i = 0; i < il; i++)
		CHECK((t->id[i] >= 'a' && t->id[i] <= 'z') || (t->id[i] >= 'A' && t->id[i] <= 'Z') ||
		    (t->id[i] >= '0' && t->id[i] <= '9'));
	snprintf(want, sizeof(want), "id=%s", t->id);
	CHECK(memmem(first->p, first->len, want, strlen(want)) != NULL);
	CHECK(first->len > 8 && memcmp(first->p, "v=STSv1;", 8) == 0);
}

/* An OK TLS-RPT record: at least one rua URI, at most one more than its commas. */
static void
check_rua(const struct sp_tlsrpt *t, const struct sp_txtrec *first)
{
	size_t commas = 0;

	if (t->status != SP_TLSRPT_OK) {
		CHECK(t->nrua == 0);
		return;
	}
	for (size_t i = 0; i < first->len; i++)
		commas += first->p[i] == ',';
	CHECK(t->nrua >= 1 && t->nrua <= commas + 1);
	CHECK(memmem(first->p, first->len, "rua=", 4) != NULL);
	CHECK(memcmp(first->p, "v=TLSRPTv1;", 11) == 0);
}

static void
check_txt(const struct sp_txtrec *r, size_t n)
{
	static struct sp_sts_txt sts;
	static struct sp_tlsrpt rpt;
	const struct sp_txtrec *sfirst, *rfirst;
	size_t sc = count_led(r, n, "v=STSv1", &sfirst);
	size_t rc = count_led(r, n, "v=TLSRPTv1", &rfirst);

	memset(&sts, 0xa5, sizeof(sts));
	memset(&rpt, 0xa5, sizeof(rpt));
	sp_sts_txt_judge(r, n, &sts);
	sp_tlsrpt_judge(r, n, &rpt);
	CHECK(sts.count == sc);
	check_counted((int)sts.status, sc, sts.bad, sizeof(sts.bad), sfirst);
	check_counted((int)rpt.status, rc, rpt.bad, sizeof(rpt.bad), rfirst);
	check_sts_id(&sts, sfirst);
	check_rua(&rpt, rfirst);
}

static char
low(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
same(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (low(a[i]) != low(b[i]))
			return false;
	return true;
}

/* RFC 8461 4.1 again: "*." takes one non-empty leftmost label, the rest equal. */
static bool
covers_by_rfc(const char *pat, const char *host)
{
	size_t pl = strlen(pat), hl = strlen(host);
	size_t first;

	if (pl > 0 && pat[pl - 1] == '.')
		pl--;
	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (hl == 0)
		return false;
	if (!(pl >= 2 && pat[0] == '*' && pat[1] == '.'))
		return pl == hl && same(pat, host, hl);
	for (first = 0; first < hl && host[first] != '.'; first++)
		;
	return pl > 2 && first > 0 && first < hl && hl - first - 1 == pl - 2 &&
	    same(host + first + 1, pat + 2, pl - 2);
}

/* Pairs of records as NUL-terminated names, and their case flipped. */
static void
check_covers(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			bool c = sp_sts_pattern_covers(names[i], names[j]);

			CHECK(c == covers_by_rfc(names[i], names[j]));
		}
	}
}

static char *
dup_n(const char *p, size_t len, bool nul)
{
	char *d = malloc(len + (nul ? 1 : 0) + 1);

	CHECK(d != NULL);
	memcpy(d, p, len);
	if (nul)
		d[len] = '\0';
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	struct sp_txtrec recs[MAX_RECS];
	char *copies[MAX_RECS], *names[MAX_RECS];
	size_t n = 0, pos = 0;

	check_policy(t, size);
	while (n < MAX_RECS && pos < size) {
		const char *lf = memchr(t + pos, '\n', size - pos);
		size_t end = lf != NULL ? (size_t)(lf - t) : size;

		copies[n] = dup_n(t + pos, end - pos, false);
		recs[n] = (struct sp_txtrec){ copies[n], end - pos };
		/* names: cut at a NUL, as a C string would be */
		names[n] = dup_n(t + pos, strnlen(t + pos, end - pos), true);
		n++;
		pos = end + 1;
	}
	check_txt(recs, n);
	check_covers(names, n);
	for (size_t i = 0; i < n; i++) {
		free(copies[i]);
		free(names[i]);
	}
	return 0;
}
