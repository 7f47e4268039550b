/* SPDX-License-Identifier: MIT */
/*
 * mtasts.c - the domain's MTA-STS and TLS-RPT check; see mtasts.h. Up to
 * three things run at once: the two TXT lookups and the policy fetch
 * (started together, as the TXT record's id only matters to a sender's
 * cache), and the check is done when none is left. The parsers
 * (stsparse.c) judge the bytes; this file gathers facts and owns them.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

enum { PART_STS_TXT, PART_RPT_TXT, PART_FETCH, PARTS };

struct sp_mtasts {
	struct sp_mtasts_env env;
	sp_mtasts_done_fn done;
	void *arg;
	int64_t start;
	struct sp_query *q[2];           /* PART_STS_TXT, PART_RPT_TXT */
	struct sp_httpget *get;
	bool running[PARTS];
	bool started, called;
	struct smtpprobe_sts s;
};

/* ------------------------------------------------------------ completion */

static bool
any_running(const struct sp_mtasts *m)
{
	for (int i = 0; i < PARTS; i++)
		if (m->running[i])
			return true;
	return false;
}

static void
part_ended(struct sp_mtasts *m, int part)
{
	m->running[part] = false;
	if (part != PART_FETCH) {
		int64_t t = sp_now_usec() - m->start;

		if (t > m->s.dns_usec)
			m->s.dns_usec = t;
	}
	if (!any_running(m) && !m->called) {
		m->called = true;
		m->done(m, m->arg);
	}
}

/* ------------------------------------------------------------ TXT */

/* Keeps what a TXT answer held, made printable, for -v and JSON. */
static void
keep_records(struct sp_sts_txtfacts *f, const struct sp_txtset *set)
{
	f->n = 0;
	for (size_t i = 0; set != NULL && i < set->n; i++, f->n++) {
		size_t j = 0;

		for (; j < set->rec[i].len && j + 1 < SP_STS_REC_SHOW; j++) {
			char c = set->rec[i].txt[j];

			f->rec[i][j] = c >= 0x20 && c < 0x7f ? c : '?';
		}
		f->rec[i][j] = '\0';
	}
}

/* The parser sees the records as they came (cut ones at SP_TXT_MAX). */
static size_t
as_recs(const struct sp_txtset *set, struct sp_txtrec *recs)
{
	for (size_t i = 0; i < set->n; i++)
		recs[i] = (struct sp_txtrec){ set->rec[i].txt, set->rec[i].len };
	return set->n;
}

/* Either TXT lookup's answer: kept for display, judged by its parser. */
static void
txt_done(struct sp_mtasts *m, int part, int status, const struct sp_txtset *set)
{
	struct sp_sts_txtfacts *f = part == PART_STS_TXT ? &m->s.txt : &m->s.rpt;
	struct sp_txtrec recs[SP_MAX_TXT];
	size_t n = status == 0 ? as_recs(set, recs) : 0;
	int verdict;

	m->q[part] = NULL;
	if (status != SP_DNS_CANCELLED) {
		keep_records(f, status == 0 ? set : NULL);
		if (part == PART_STS_TXT) {
			sp_sts_txt_judge(recs, n, &m->s.sts_txt);
			verdict = (int)m->s.sts_txt.status;
		} else {
			sp_tlsrpt_judge(recs, n, &m->s.tlsrpt);
			verdict = (int)m->s.tlsrpt.status;
		}
		f->dns_status = status;
		f->status = sp_mtasts_txt_status(status, verdict);
	}
	part_ended(m, part);
}

static void
sts_txt_cb(void *arg, int status, const struct sp_txtset *set)
{
	txt_done(arg, PART_STS_TXT, status, set);
}

static void
rpt_txt_cb(void *arg, int status, const struct sp_txtset *set)
{
	txt_done(arg, PART_RPT_TXT, status, set);
}

/* A lookup that cannot be asked ends at once as a DNS error. */
static void
start_txt(struct sp_mtasts *m, int part, const char *prefix, sp_txt_fn cb,
	struct sp_sts_txtfacts *f)
{
	struct sp_resolver *rs = m->env.resolver(m->env.owner);
	char name[SP_NAME_MAX + 16];
	int n = snprintf(name, sizeof(name), "%s.%s", prefix, m->env.opts->mx_domain);

	m->running[part] = true;
	f->status = SMTPPROBE_TXT_DNS_ERROR;
	if (rs == NULL || n < 0 || (size_t)n >= sizeof(name) ||
	    (m->q[part] = sp_resolve_txt(rs, name, cb, m)) == NULL) {
		f->dns_status = SP_DNS_TEMPFAIL;
		m->running[part] = false;
	}
}

/* ------------------------------------------------------------ fetch */

static void
fetch_done(struct sp_httpget *g, void *arg)
{
	struct sp_mtasts *m = arg;
	const struct sp_httpget_facts *f = sp_httpget_facts(g);

	m->s.fetch = *f;
	m->s.fetch.body = NULL;
	if (f->outcome == SMTPPROBE_FETCH_OK && f->body != NULL) {
		m->s.text = strdup(f->body);
		sp_mtasts_take_policy(&m->s, f->body, f->len);
	}
	part_ended(m, PART_FETCH);
}

static void
start_fetch(struct sp_mtasts *m)
{
	const struct sp_tls_ops *ops = NULL;
	struct ssl_ctx_st *ctx = m->env.tls_ctx(m->env.owner, &ops);
	struct sp_httpget_env env = {
		.base = m->env.base, .rs = m->env.resolver(m->env.owner),
		.tls = ops, .ctx = ctx, .family = m->env.opts->family,
	};
	char host[SP_NAME_MAX + 16];
	int n = snprintf(host, sizeof(host), "mta-sts.%s", m->env.opts->mx_domain);

	m->running[PART_FETCH] = true;
	if (n < 0 || (size_t)n >= SP_NAME_MAX ||
	    (m->get = sp_httpget_start(&env, host, SP_STS_PORT, SP_STS_PATH,
		    SP_STS_POLICY_MAX, fetch_done, m)) == NULL) {
		m->s.fetch.outcome = SMTPPROBE_FETCH_LOCAL;
		m->running[PART_FETCH] = false;
	}
}

/* ------------------------------------------------------------ public */

struct sp_mtasts *
sp_mtasts_new(const struct sp_mtasts_env *env, sp_mtasts_done_fn done, void *arg)
{
	struct sp_mtasts *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->env = *env;
	m->done = done;
	m->arg = arg;
	m->s.sts_asked = env->opts->mta_sts;
	m->s.tlsrpt_asked = env->opts->tlsrpt || env->opts->mta_sts;
	m->s.dns_usec = -1;
	m->s.fetch.usec = -1;
	return m;
}

void
sp_mtasts_start(struct sp_mtasts *m)
{
	m->start = sp_now_usec();
	m->started = true;
	if (m->s.sts_asked) {
		start_txt(m, PART_STS_TXT, "_mta-sts", sts_txt_cb, &m->s.txt);
		start_fetch(m);
	}
	if (m->s.tlsrpt_asked)
		start_txt(m, PART_RPT_TXT, "_smtp._tls", rpt_txt_cb, &m->s.rpt);
	/* Nothing could be asked: done now, from the owner's next look. */
	if (!any_running(m))
		m->called = true;
}

void
sp_mtasts_abort(struct sp_mtasts *m, bool cancelled)
{
	smtpprobe_txt_status late = cancelled ? SMTPPROBE_TXT_DNS_ERROR : SMTPPROBE_TXT_TIMEOUT;

	for (int part = PART_STS_TXT; part <= PART_RPT_TXT; part++) {
		struct sp_sts_txtfacts *f = part == PART_STS_TXT ? &m->s.txt : &m->s.rpt;

		if (m->q[part] == NULL)
			continue;
		f->status = late;
		f->dns_status = SP_DNS_CANCELLED;
		sp_query_cancel(m->env.resolver(m->env.owner), m->q[part]);
	}
	if (m->get != NULL && m->running[PART_FETCH])
		sp_httpget_abort(m->get, SMTPPROBE_FETCH_TIMEOUT);
}

bool
sp_mtasts_busy(const struct sp_mtasts *m)
{
	return !m->called;
}

const struct smtpprobe_sts *
sp_mtasts_facts(const struct sp_mtasts *m)
{
	return &m->s;
}

int
sp_mtasts_pattern(const struct sp_mtasts *m, const char *host)
{
	if (m->s.mode == SMTPPROBE_STS_MODE_UNKNOWN)
		return -1;
	return sp_sts_policy_match(&m->s.policy, host);
}

void
sp_mtasts_free(struct sp_mtasts *m)
{
	if (m == NULL)
		return;
	m->called = true;
	sp_httpget_free(m->get);
	free(m->s.text);
	free(m);
}
