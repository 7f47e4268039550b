/* SPDX-License-Identifier: MIT */
/*
 * stsverdict.h - the domain's MTA-STS and TLS-RPT verdict as data (SPEC 9):
 * what stsjudge.c decided from the library's facts, for stsoutput.c to word.
 */
#ifndef SP_STSVERDICT_H
#define SP_STSVERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <smtpprobe.h>
#include "cfg.h"

/* What decided the policy's own state. */
enum sp_sts_finding {
	SP_STS_FINDING_OK,        /* a valid policy: .mode, .covered of .hosts */
	SP_STS_FINDING_TXT,       /* the _mta-sts TXT record: smtpprobe_sts_txt_status() */
	SP_STS_FINDING_FETCH,     /* the fetch: smtpprobe_sts_fetch_outcome() */
	SP_STS_FINDING_POLICY,    /* the policy's first fault */
	SP_STS_FINDING_CERT_EXPIRED, /* -D: the policy host's certificate, .days */
	SP_STS_FINDING_CERT_EXPIRES,
	SP_STS_FINDING_UNCOVERED  /* hosts the policy does not cover (each target says which) */
};

/* What decided the TLS-RPT state. */
enum sp_rpt_finding {
	SP_RPT_FINDING_NONE,      /* not asked, or one well-formed record */
	SP_RPT_FINDING_STATUS,    /* smtpprobe_sts_tlsrpt_status() is not OK */
};

struct sp_sts_verdict {
	const smtpprobe_sts *s;   /* NULL: neither MTA-STS nor TLS-RPT was asked */
	bool sts;                 /* --mta-sts */
	enum sp_state state;      /* the policy's own state (not the targets') */
	enum sp_sts_finding finding;
	smtpprobe_sts_mode mode;
	long days;                /* CERT_*: whole days left */
	size_t hosts, covered;    /* MX hosts, and those a pattern covers */
	enum sp_state rpt_state;
	enum sp_rpt_finding rpt;
	bool rpt_required;        /* --tlsrpt: a missing record is a WARNING */
};

#endif
