/*
 * probe.c - one target: resolve it, dial its addresses in turn until one
 * connects, run the dialog, and report once. The deadline covers it all.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dialog.h"
#include "resolve.h"

struct smtpprobe_probe {
	struct event_base *base;
	smtpprobe_opts *opts;
	smtpprobe_callbacks cb;
	void *arg;
	int64_t t0;
	struct event *deadline, *finish_ev;
	struct sp_resolver *rs;
	struct sp_query *query;
	int64_t dns_start, dns_usec;
	struct sp_addrs addrs;
	size_t next_addr;
	struct smtpprobe_result *result;
	struct sp_dialog *dialog;
	char notes[SP_NOTES_MAX];
	bool timed_out, done, freeing;
};

static int64_t
elapsed(const struct smtpprobe_probe *p)
{
	return sp_now_usec() - p->t0;
}

static void
info(struct smtpprobe_probe *p, const char *what)
{
	if (p->cb.line != NULL && p->result != NULL)
		p->cb.line(p->result, SMTPPROBE_DIR_INFO, what, strlen(what), elapsed(p), p->arg);
}

static unsigned
port_of(const smtpprobe_opts *o)
{
	return o->port != 0 ? o->port : SP_DEFAULT_PORT;
}

/* A fresh result for the host, carrying what the probe learnt so far. */
static int
new_result(struct smtpprobe_probe *p)
{
	sp_result_free(p->result);
	if ((p->result = sp_result_new(p->opts->host, port_of(p->opts))) == NULL)
		return -1;
	if (p->dns_usec >= 0)
		sp_result_stage_time(p->result, SMTPPROBE_STAGE_DNS, p->dns_start, p->dns_usec);
	if (p->notes[0] != '\0')
		sp_result_note(p->result, "%s", p->notes);
	return 0;
}

static void
schedule_finish(struct smtpprobe_probe *p)
{
	event_active(p->finish_ev, 0, 0);
}

static void
fail_probe(struct smtpprobe_probe *p, smtpprobe_status st, smtpprobe_stage stage, const char *reason)
{
	if (p->result == NULL && new_result(p) == -1) {
		schedule_finish(p);
		return;
	}
	sp_result_fail(p->result, st, stage, -1, "%s", reason);
	p->result->end = elapsed(p);
	schedule_finish(p);
}

static void dialog_done(struct sp_dialog *d, void *arg);

static void
set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

static void
start_next(struct smtpprobe_probe *p)
{
	struct sockaddr_storage *ss = &p->addrs.a[p->next_addr++];
	struct sp_dialog_env env = {
		p->base, p->opts, p->t0, p->cb.line, p->arg,
	};
	const void *in = ss->ss_family == AF_INET6 ?
	    (const void *)&((struct sockaddr_in6 *)ss)->sin6_addr :
	    (const void *)&((struct sockaddr_in *)ss)->sin_addr;

	if (new_result(p) == -1) {
		schedule_finish(p);
		return;
	}
	inet_ntop(ss->ss_family, in, p->result->addr, sizeof(p->result->addr));
	set_port(ss, p->result->port);
	if ((p->dialog = sp_dialog_new(&env, p->result, dialog_done, p)) == NULL ||
	    sp_dialog_start(p->dialog, (struct sockaddr *)ss,
		ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) == -1)
		fail_probe(p, SMTPPROBE_E_INTERNAL, SMTPPROBE_STAGE_CONNECT, "out of memory");
}

/* A refused address is not the verdict while another may answer. */
static void
dialog_done(struct sp_dialog *d, void *arg)
{
	struct smtpprobe_probe *p = arg;
	struct smtpprobe_result *r = p->result;

	sp_dialog_free(d);
	p->dialog = NULL;
	if (r->status == SMTPPROBE_E_CONNECT && p->next_addr < p->addrs.n && !p->timed_out) {
		size_t len = strlen(p->notes);

		snprintf(p->notes + len, sizeof(p->notes) - len, "%s%s: %s",
			len > 0 ? "; " : "", r->addr, r->reason);
		start_next(p);
		return;
	}
	schedule_finish(p);
}

static void
addrs_done(void *arg, int status, const struct sp_addrs *addrs)
{
	struct smtpprobe_probe *p = arg;
	char reason[SP_REASON_MAX];

	p->query = NULL;
	p->dns_usec = elapsed(p) - p->dns_start;
	if (status == SP_DNS_CANCELLED && p->timed_out) {
		snprintf(reason, sizeof(reason), "dns timeout after %.3fs", p->opts->timeout_ms / 1000.0);
		fail_probe(p, SMTPPROBE_E_TIMEOUT, SMTPPROBE_STAGE_DNS, reason);
		return;
	}
	if (status != 0) {
		snprintf(reason, sizeof(reason), "DNS lookup of %s failed: %s",
			p->opts->host, sp_dns_strerror(status));
		fail_probe(p, status == SP_DNS_CANCELLED ? SMTPPROBE_CANCELLED : SMTPPROBE_E_DNS,
			SMTPPROBE_STAGE_DNS, reason);
		return;
	}
	p->addrs = *addrs;
	start_next(p);
}

static void
resolve(struct smtpprobe_probe *p)
{
	const smtpprobe_opts *o = p->opts;

	if (sp_parse_literal(o->host, o->family, &p->addrs.a[0]) == 0) {
		p->addrs.n = 1;
		start_next(p);
		return;
	}
	if (sp_hosts_lookup(o->hosts_file, o->host, o->family, &p->addrs) > 0) {
		start_next(p);
		return;
	}
	p->dns_start = elapsed(p);
	p->dns_usec = 0;
	if ((p->rs = sp_resolver_new(p->base, o->dns_addr, o->dns_port)) == NULL) {
		fail_probe(p, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "no resolver could be set up");
		return;
	}
	p->query = sp_resolve_addrs(p->rs, o->host, o->family, addrs_done, p);
	if (p->query == NULL)
		fail_probe(p, SMTPPROBE_E_DNS, SMTPPROBE_STAGE_DNS, "DNS query could not be sent");
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtpprobe_probe *p = arg;

	p->timed_out = true;
	if (p->query != NULL)
		sp_query_cancel(p->rs, p->query);
	if (p->dialog != NULL)
		sp_dialog_abort(p->dialog, SMTPPROBE_E_TIMEOUT);
}

static void
complete(struct smtpprobe_probe *p)
{
	if (p->done)
		return;
	p->done = true;
	event_del(p->deadline);
	/* Nothing of ours may keep the caller's event loop alive. */
	sp_resolver_free(p->rs);
	p->rs = NULL;
	if (p->result != NULL && p->result->end == 0)
		p->result->end = elapsed(p);
	info(p, "probe done");
	p->cb.done(p, p->arg); /* may free p */
}

static void
finish_cb(evutil_socket_t fd, short what, void *arg)
{
	complete(arg);
}

smtpprobe_probe *
smtpprobe_probe_start(struct event_base *base, const smtpprobe_opts *opts,
	const smtpprobe_callbacks *cb, void *arg)
{
	struct smtpprobe_probe *p;
	struct timeval tv;

	if (base == NULL || opts == NULL || opts->host == NULL || cb == NULL || cb->done == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->base = base;
	p->cb = *cb;
	p->arg = arg;
	p->t0 = sp_now_usec();
	p->dns_usec = -1;
	p->opts = sp_opts_dup(opts);
	p->deadline = evtimer_new(base, deadline_cb, p);
	p->finish_ev = event_new(base, -1, 0, finish_cb, p);
	tv.tv_sec = opts->timeout_ms / 1000;
	tv.tv_usec = (opts->timeout_ms % 1000) * 1000;
	if (p->opts == NULL || p->deadline == NULL || p->finish_ev == NULL ||
	    evtimer_add(p->deadline, &tv) == -1) {
		p->done = true; /* no callback for a probe that never started */
		smtpprobe_probe_free(p);
		errno = ENOMEM;
		return NULL;
	}
	resolve(p);
	return p;
}

void
smtpprobe_probe_cancel(smtpprobe_probe *p)
{
	if (p->done)
		return;
	if (p->query != NULL)
		sp_query_cancel(p->rs, p->query);
	if (p->dialog != NULL) {
		sp_dialog_abort(p->dialog, SMTPPROBE_CANCELLED);
		sp_dialog_free(p->dialog);
		p->dialog = NULL;
	}
	/* A dialog that finished keeps its outcome; only a probe with no
	 * result at all needs one saying it was cancelled. */
	if (p->result == NULL && new_result(p) == 0)
		sp_result_fail(p->result, SMTPPROBE_CANCELLED, SMTPPROBE_STAGE_DNS, -1, "cancelled");
	complete(p);
}

void
smtpprobe_probe_free(smtpprobe_probe *p)
{
	if (p == NULL || p->freeing)
		return;
	p->freeing = true;
	smtpprobe_probe_cancel(p);
	sp_dialog_free(p->dialog);
	sp_resolver_free(p->rs);
	if (p->deadline != NULL)
		event_free(p->deadline);
	if (p->finish_ev != NULL)
		event_free(p->finish_ev);
	sp_result_free(p->result);
	smtpprobe_opts_free(p->opts);
	free(p);
}

bool
smtpprobe_probe_done(const smtpprobe_probe *p)
{
	return p->done;
}

size_t
smtpprobe_probe_count(const smtpprobe_probe *p)
{
	return p->result != NULL ? 1 : 0;
}

const smtpprobe_result *
smtpprobe_probe_result(const smtpprobe_probe *p, size_t i)
{
	return i == 0 ? p->result : NULL;
}

int64_t
smtpprobe_probe_dns_usec(const smtpprobe_probe *p)
{
	return p->dns_usec;
}
