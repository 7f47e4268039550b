/* SPDX-License-Identifier: MIT */
/*
 * sts.c - a domain's MTA-STS and TLS-RPT facts (struct smtpprobe_sts):
 * the pure steps mtasts.c takes to fill them, and the public accessors.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "mtasts.h"

_Static_assert((int)SP_STS_TXT_OK == (int)SP_TLSRPT_OK && (int)SP_STS_TXT_NONE == (int)SP_TLSRPT_NONE &&
	(int)SP_STS_TXT_SEVERAL == (int)SP_TLSRPT_SEVERAL &&
	(int)SP_STS_TXT_MALFORMED == (int)SP_TLSRPT_MALFORMED, "the two TXT verdicts agree");
_Static_assert((int)SMTPPROBE_STS_FAULT_TOO_MANY_MX == (int)SP_STS_FAULT_TOO_MANY_MX &&
	(int)SMTPPROBE_STS_FAULT_BAD_MAX_AGE == (int)SP_STS_FAULT_BAD_MAX_AGE &&
	(int)SMTPPROBE_STS_FAULT_NONE == (int)SP_STS_FAULT_NONE, "faults mirrored from stsparse.h");

smtpprobe_txt_status
sp_mtasts_txt_status(int dns_status, int parser_status)
{
	if (dns_status == SP_DNS_NXDOMAIN || dns_status == SP_DNS_NODATA)
		return SMTPPROBE_TXT_NONE;
	if (dns_status != 0)
		return SMTPPROBE_TXT_DNS_ERROR;
	switch (parser_status) {
	case SP_STS_TXT_OK:
		return SMTPPROBE_TXT_OK;
	case SP_STS_TXT_SEVERAL:
		return SMTPPROBE_TXT_SEVERAL;
	case SP_STS_TXT_MALFORMED:
		return SMTPPROBE_TXT_MALFORMED;
	default:
		return SMTPPROBE_TXT_NONE;
	}
}

void
sp_mtasts_take_policy(struct smtpprobe_sts *s, const char *text, size_t len)
{
	static const smtpprobe_sts_mode modes[] = {
		[SP_STS_MODE_NONE] = SMTPPROBE_STS_MODE_NONE,
		[SP_STS_MODE_TESTING] = SMTPPROBE_STS_MODE_TESTING,
		[SP_STS_MODE_ENFORCE] = SMTPPROBE_STS_MODE_ENFORCE,
	};

	s->mode = SMTPPROBE_STS_MODE_UNKNOWN;
	if (sp_sts_policy_parse(text, len, &s->policy) == 0)
		s->mode = modes[s->policy.mode];
}

smtpprobe_txt_status
smtpprobe_sts_txt_status(const smtpprobe_sts *s)
{
	return s->sts_asked ? s->txt.status : SMTPPROBE_TXT_NOT_ASKED;
}

int
smtpprobe_sts_txt_dns_status(const smtpprobe_sts *s)
{
	return s->txt.dns_status;
}

const char *
smtpprobe_sts_txt_id(const smtpprobe_sts *s)
{
	return s->txt.status == SMTPPROBE_TXT_OK ? s->sts_txt.id : "";
}

size_t
smtpprobe_sts_txt_count(const smtpprobe_sts *s)
{
	return s->txt.n;
}

const char *
smtpprobe_sts_txt_record(const smtpprobe_sts *s, size_t i)
{
	return i < s->txt.n ? s->txt.rec[i] : "";
}

int64_t
smtpprobe_sts_dns_usec(const smtpprobe_sts *s)
{
	return s->dns_usec;
}

smtpprobe_fetch
smtpprobe_sts_fetch_outcome(const smtpprobe_sts *s)
{
	return s->sts_asked ? s->fetch.outcome : SMTPPROBE_FETCH_NOT_ASKED;
}

int
smtpprobe_sts_http_code(const smtpprobe_sts *s)
{
	return s->fetch.http_code;
}

const char *
smtpprobe_sts_content_type(const smtpprobe_sts *s)
{
	return s->fetch.ctype;
}

const char *
smtpprobe_sts_fetch_addr(const smtpprobe_sts *s)
{
	return s->fetch.addr;
}

int
smtpprobe_sts_fetch_dns_status(const smtpprobe_sts *s)
{
	return s->fetch.dns_status;
}

int
smtpprobe_sts_fetch_errno(const smtpprobe_sts *s)
{
	return s->fetch.err;
}

const char *
smtpprobe_sts_tls_error(const smtpprobe_sts *s)
{
	return s->fetch.tls_error;
}

long
smtpprobe_sts_verify_code(const smtpprobe_sts *s)
{
	return s->fetch.verify_code;
}

const char *
smtpprobe_sts_verify_error(const smtpprobe_sts *s)
{
	return s->fetch.verify_text;
}

int64_t
smtpprobe_sts_cert_not_after(const smtpprobe_sts *s)
{
	return s->fetch.not_after;
}

int64_t
smtpprobe_sts_fetch_usec(const smtpprobe_sts *s)
{
	return s->fetch.usec;
}

smtpprobe_sts_mode
smtpprobe_sts_policy_mode(const smtpprobe_sts *s)
{
	return s->mode;
}

unsigned long
smtpprobe_sts_policy_max_age(const smtpprobe_sts *s)
{
	return s->policy.max_age;
}

size_t
smtpprobe_sts_policy_mx_count(const smtpprobe_sts *s)
{
	return s->policy.nmx;
}

const char *
smtpprobe_sts_policy_mx(const smtpprobe_sts *s, size_t i)
{
	return i < s->policy.nmx ? s->policy.mx[i] : "";
}

smtpprobe_sts_fault
smtpprobe_sts_policy_fault(const smtpprobe_sts *s)
{
	return (smtpprobe_sts_fault)s->policy.fault;
}

unsigned
smtpprobe_sts_policy_fault_line(const smtpprobe_sts *s)
{
	return s->policy.fault_line;
}

const char *
smtpprobe_sts_policy_fault_text(const smtpprobe_sts *s)
{
	return s->policy.fault_text;
}

const char *
smtpprobe_sts_policy_text(const smtpprobe_sts *s)
{
	return s->text != NULL ? s->text : "";
}

smtpprobe_txt_status
smtpprobe_sts_tlsrpt_status(const smtpprobe_sts *s)
{
	return s->tlsrpt_asked ? s->rpt.status : SMTPPROBE_TXT_NOT_ASKED;
}

int
smtpprobe_sts_tlsrpt_dns_status(const smtpprobe_sts *s)
{
	return s->rpt.dns_status;
}

size_t
smtpprobe_sts_tlsrpt_rua_count(const smtpprobe_sts *s)
{
	return s->rpt.status == SMTPPROBE_TXT_OK ? s->tlsrpt.nrua : 0;
}

size_t
smtpprobe_sts_tlsrpt_count(const smtpprobe_sts *s)
{
	return s->rpt.n;
}

const char *
smtpprobe_sts_tlsrpt_record(const smtpprobe_sts *s, size_t i)
{
	return i < s->rpt.n ? s->rpt.rec[i] : "";
}

/* Pure, without udns: the statuses a TXT or address lookup of ours ends in. */
const char *
smtpprobe_dns_status_name(int status)
{
	switch (status) {
	case 0:
		return "no error";
	case SP_DNS_TEMPFAIL:
		return "SERVFAIL or no answer";
	case SP_DNS_NXDOMAIN:
		return "NXDOMAIN";
	case SP_DNS_NODATA:
		return "no record";
	case SP_DNS_CANCELLED:
		return "cancelled";
	default:
		return "DNS error";
	}
}
