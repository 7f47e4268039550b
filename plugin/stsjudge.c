/* SPDX-License-Identifier: MIT */
/*
 * stsjudge.c - a domain's MTA-STS policy and TLS-RPT record as SPEC 9
 * judges them, and each MX target held against the policy: what a sending
 * MTA would refuse is CRITICAL under enforce and WARNING under testing;
 * under none the policy is withdrawn and the targets stay as -S judged
 * them. Every failure to get a valid policy (TXT, fetch, parse) is
 * CRITICAL. Decisions only; stsoutput.c words them.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <string.h>

#include "judge.h"

/* The first failure on the way to a policy, in the order a sender meets them. */
static void
judge_policy(const struct sp_config *cfg, const smtpprobe_sts *s, struct sp_sts_verdict *sv)
{
	smtpprobe_fetch f = smtpprobe_sts_fetch_outcome(s);
	long days;

	sv->state = SP_CRITICAL;
	sv->mode = smtpprobe_sts_policy_mode(s);
	if (smtpprobe_sts_txt_status(s) != SMTPPROBE_TXT_OK) {
		sv->finding = SP_STS_FINDING_TXT;
		if (smtpprobe_sts_txt_status(s) == SMTPPROBE_TXT_TIMEOUT)
			sv->state = cfg->timeout_state;
	} else if (f != SMTPPROBE_FETCH_OK) {
		sv->finding = SP_STS_FINDING_FETCH;
		if (f == SMTPPROBE_FETCH_TIMEOUT)
			sv->state = cfg->timeout_state;
	} else if (sv->mode == SMTPPROBE_STS_MODE_UNKNOWN) {
		sv->finding = SP_STS_FINDING_POLICY;
	} else {
		sv->state = SP_OK;
		sv->finding = SP_STS_FINDING_OK;
	}
	/* -D holds for the policy host as for the MX hosts (SPEC 9.5). */
	if (sv->state != SP_OK || !cfg->cert_days_set ||
	    !sp_days_left(smtpprobe_sts_cert_not_after(s), &sv->days))
		return;
	days = sv->days;
	if (days < 0 || days < cfg->cert_crit_days)
		sv->state = SP_CRITICAL;
	else if (days < cfg->cert_warn_days)
		sv->state = SP_WARNING;
	if (sv->state != SP_OK)
		sv->finding = days < 0 ? SP_STS_FINDING_CERT_EXPIRED : SP_STS_FINDING_CERT_EXPIRES;
}

/* What an MTA-STS sender refuses to deliver to, besides an uncovered host. */
static bool
policy_failure(const smtpprobe_result *r)
{
	smtpprobe_status st = smtpprobe_result_status(r);

	return st == SMTPPROBE_E_CERT ||
	    (st == SMTPPROBE_E_UNSUPPORTED && smtpprobe_result_stage(r) == SMTPPROBE_STAGE_STARTTLS);
}

/* Under testing the policy only reports: its refusals become warnings. */
static void
hold_target(const struct sp_sts_verdict *sv, struct sp_verdict *v)
{
	enum sp_state bad = sv->mode == SMTPPROBE_STS_MODE_ENFORCE ? SP_CRITICAL : SP_WARNING;

	if (sv->mode == SMTPPROBE_STS_MODE_TESTING && v->state == SP_CRITICAL &&
	    v->reason == SP_REASON_STATUS && policy_failure(v->r)) {
		v->state = SP_WARNING;
		v->sts_testing = true;
	}
	if (smtpprobe_result_sts_pattern(v->r) >= 0 || smtpprobe_result_mx_pref(v->r) < 0)
		return;
	if (v->state == SP_OK || (v->state == SP_WARNING && bad == SP_CRITICAL)) {
		*v = (struct sp_verdict){ .r = v->r, .state = bad, .reason = SP_REASON_STS_UNCOVERED,
			.want = (int)sv->mode };
	}
}

/* Hosts, not addresses: a host is covered when its name is (all its addresses share it). */
static void
count_covered(const struct sp_report *rep, struct sp_sts_verdict *sv)
{
	for (size_t i = 0; i < rep->n;) {
		const char *host = smtpprobe_result_host(rep->v[i].r);
		bool covered = smtpprobe_result_sts_pattern(rep->v[i].r) >= 0;

		if (smtpprobe_result_mx_pref(rep->v[i].r) < 0) {
			i++;
			continue;
		}
		for (; i < rep->n && strcmp(host, smtpprobe_result_host(rep->v[i].r)) == 0; i++)
			;
		sv->hosts++;
		sv->covered += covered;
	}
}

static void
judge_targets(struct sp_report *rep, struct sp_sts_verdict *sv)
{
	count_covered(rep, sv);
	if (sv->mode == SMTPPROBE_STS_MODE_UNKNOWN || sv->mode == SMTPPROBE_STS_MODE_NONE)
		return;
	for (size_t i = 0; i < rep->n; i++)
		hold_target(sv, &rep->v[i]);
}

/* RFC 8460 3: senders ignore a malformed record, and every one of several. */
static void
judge_tlsrpt(const struct sp_config *cfg, const smtpprobe_sts *s, struct sp_sts_verdict *sv)
{
	smtpprobe_txt_status st = smtpprobe_sts_tlsrpt_status(s);

	sv->rpt_required = cfg->tlsrpt;
	sv->rpt_state = SP_OK;
	sv->rpt = SP_RPT_FINDING_NONE;
	if (st == SMTPPROBE_TXT_NOT_ASKED || st == SMTPPROBE_TXT_OK)
		return;
	sv->rpt = SP_RPT_FINDING_STATUS;
	if (st != SMTPPROBE_TXT_NONE || cfg->tlsrpt)
		sv->rpt_state = SP_WARNING;
}

void
sp_judge_sts(const struct sp_config *cfg, const smtpprobe_sts *s, struct sp_report *rep)
{
	struct sp_sts_verdict *sv = &rep->sts;

	memset(sv, 0, sizeof(*sv));
	if (s == NULL)
		return;
	sv->s = s;
	sv->sts = cfg->mta_sts;
	if (sv->sts) {
		judge_policy(cfg, s, sv);
		judge_targets(rep, sv);
	}
	judge_tlsrpt(cfg, s, sv);
	sp_report_combine(cfg, rep);
}
