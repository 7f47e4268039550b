/* SPDX-License-Identifier: MIT */
/*
 * sts.c - the public accessors of a domain's MTA-STS and TLS-RPT facts
 * (struct smtpprobe_sts, filled by mtasts.c).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "mtasts.h"

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
