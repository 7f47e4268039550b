/* SPDX-License-Identifier: MIT */
/*
 * exphttp.c - smtp_probe_exporter's HTTP handlers, blackbox_exporter's
 * convention: /probe?target=HOST[:PORT]&module=NAME runs one fresh check and
 * answers 200 with its metrics, failed or not (probe_success says which);
 * what is refused is refused before any connection: 400 a malformed
 * request, 404 an unknown module, 403 a target the module does not admit,
 * 503 past --max-concurrent, 405 a method other than GET and HEAD.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "explog.h"
#include "expquery.h"
#include "exporter.h"
#include "judge.h"
#include "prometheus.h"

#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define SCRAPE_HEADER "X-Prometheus-Scrape-Timeout-Seconds"

/* One probe in flight: its request, its configuration, its module set. */
struct sp_inflight {
	struct sp_exporter *x;
	struct evhttp_request *req;
	struct bufferevent *bev;     /* its connection's, for the header guard */
	struct sp_modset *ms;        /* a reference: a reload may replace it meanwhile */
	const struct sp_module *m;
	struct sp_config cfg;        /* the module's, with options of its own (modset.h) */
	smtpprobe_probe *p;
	char target[SP_TARGET_MAX + 1];
	struct sp_inflight *prev, *next;
};

/*
 * RFC 9110's IMF-fixdate of the loop's time. evhttp would format one for
 * every answer (gmtime and a printf, a few per cent of a probe's work); it
 * changes once a second. By hand: day and month names in English whatever
 * the locale.
 */
static const char *
http_date(struct sp_exporter *x)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct timeval tv;
	struct tm tm;

	if (event_base_gettimeofday_cached(x->base, &tv) < 0)
		return NULL;
	if (x->date[0] != '\0' && tv.tv_sec == x->date_at)
		return x->date;
	if (gmtime_r(&tv.tv_sec, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return NULL;
	snprintf(x->date, sizeof(x->date), "%.3s, %02d %.3s %04d %02d:%02d:%02d GMT",
		days + 3 * tm.tm_wday, tm.tm_mday, months + 3 * tm.tm_mon, tm.tm_year + 1900,
		tm.tm_hour, tm.tm_min, tm.tm_sec);
	x->date_at = tv.tv_sec;
	return x->date;
}

/* Sends @p body (NULL: none; emptied) as the answer. */
static void
send_body(struct sp_exporter *x, struct evhttp_request *req, int code, const char *reason,
	const char *type, struct evbuffer *body)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *date = http_date(x);

	evhttp_add_header(h, "Content-Type", type);
	if (date != NULL)
		evhttp_add_header(h, "Date", date);
	if (body != NULL && evhttp_request_get_command(req) == EVHTTP_REQ_HEAD)
		evbuffer_drain(body, evbuffer_get_length(body));
	if (evcon != NULL)
		sp_conns_idle(x->conns, evhttp_connection_get_bufferevent(evcon));
	evhttp_send_reply(req, code, reason, body);
}

static void
reply(struct sp_exporter *x, struct evhttp_request *req, int code, const char *reason,
	const char *type, const char *body, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (b != NULL)
		evbuffer_add(b, body, len);
	send_body(x, req, code, reason, type, b);
	if (b != NULL)
		evbuffer_free(b);
}

static ssize_t
body_write(void *cookie, const char *data, size_t len)
{
	return evbuffer_add(cookie, data, len) == 0 ? (ssize_t)len : -1;
}

/*
 * A stream into @p body through the caller's @p buf: an answer is a few
 * KiB, and open_memstream() cost more than the text written into it (its
 * zeroed buffer, its growth, and a copy into the evbuffer after).
 */
static FILE *
body_open(struct evbuffer *body, char *buf, size_t size)
{
	static const cookie_io_functions_t io = { .write = body_write };
	FILE *out = fopencookie(body, "w", io);

	if (out != NULL && setvbuf(out, buf, _IOFBF, size) != 0) {
		fclose(out);
		return NULL;
	}
	return out;
}

static void
reply_text(struct sp_exporter *x, struct evhttp_request *req, int code, const char *reason,
	const char *text)
{
	reply(x, req, code, reason, "text/plain; charset=utf-8", text, strlen(text));
}

/* The exposition text in @p body, or a 500 when it could not be written whole; frees @p body. */
static void
send_exposition(struct sp_exporter *x, struct evhttp_request *req, struct evbuffer *body,
	bool written)
{
	if (written)
		send_body(x, req, 200, "OK", PROM_TYPE, body);
	else
		reply_text(x, req, 500, "Internal Server Error", "out of memory\n");
	if (body != NULL)
		evbuffer_free(body);
}

static void
refuse(struct sp_exporter *x, struct evhttp_request *req, enum sp_reject why, int code,
	const char *reason, const char *text)
{
	x->metrics.rejected[why]++;
	reply_text(x, req, code, reason, text);
}

/* GET and HEAD only; busy from here until the reply, for the header guard. */
static bool
method_ok(struct sp_exporter *x, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (evcon != NULL)
		sp_conns_busy(x->conns, evhttp_connection_get_bufferevent(evcon));
	if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
	reply_text(x, req, 405, "Method Not Allowed", "only GET and HEAD\n");
	return false;
}

/* ------------------------------------------------------------ a probe's end */

static void
unlink_probe(struct sp_inflight *f)
{
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		f->x->probes = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	f->x->metrics.in_flight--;
}

static void
inflight_free(struct sp_inflight *f)
{
	sp_modset_probe_config_free(&f->cfg);
	sp_modset_unref(f->ms);
	free(f);
}

static void
log_failure(const struct sp_inflight *f, const struct sp_report *rep, int64_t usec)
{
	const char *phase = "", *reason = "";
	char state[16], secs[32];

	for (size_t i = 0; i < rep->n; i++)
		if (sp_prometheus_failed_phase(&rep->v[i], &phase, &reason))
			break;
	snprintf(state, sizeof(state), "%d", (int)rep->state);
	snprintf(secs, sizeof(secs), "%.4f", (double)usec / 1e6);
	sp_log(SP_LOG_INFO, "probe failed", "module", f->m->name, "target", f->target,
		"phase", phase, "reason", reason, "state", state, "duration_seconds", secs, NULL);
}

/*
 * The verdict in the exposition format, as check_smtp_probe --output
 * prometheus prints it, into @p body. @return whether the probe was OK;
 * *written false when the text could not be written whole.
 */
static bool
render(struct sp_inflight *f, struct evbuffer *body, bool *written)
{
	size_t n = smtpprobe_probe_count(f->p);
	const smtpprobe_result **results = calloc(n > 0 ? n : 1, sizeof(*results));
	struct sp_report rep;
	int64_t usec = 0;
	char buf[8192];
	FILE *out = body_open(body, buf, sizeof(buf));
	bool ok = false;

	for (size_t i = 0; results != NULL && i < n; i++) {
		results[i] = smtpprobe_probe_result(f->p, i);
		if (sp_total_usec(results[i]) > usec)
			usec = sp_total_usec(results[i]);
	}
	if (out != NULL && results != NULL &&
	    sp_judge(&f->cfg, results, n, smtpprobe_probe_notes(f->p), &rep) == 0) {
		sp_output_prometheus_target(out, &f->cfg, &rep, f->target);
		ok = rep.state == SP_OK;
		if (!ok)
			log_failure(f, &rep, usec);
		else
			sp_log(SP_LOG_DEBUG, "probe succeeded", "module", f->m->name, "target", f->target, NULL);
		sp_report_free(&rep);
	} else if (out != NULL)
		sp_output_prometheus_unknown(out, "out of memory");
	*written = out != NULL && fclose(out) == 0;
	free(results);
	return ok;
}

static void
probe_done(smtpprobe_probe *p, void *arg)
{
	struct sp_inflight *f = arg;
	struct evbuffer *body;
	bool ok, written = false;

	unlink_probe(f);
	if (f->x->stopping) { /* abandoned: the connection goes with evhttp */
		smtpprobe_probe_free(p);
		inflight_free(f);
		return;
	}
	body = evbuffer_new();
	ok = body != NULL && render(f, body, &written);
	sp_metrics_probe(&f->x->metrics, f->m->name, ok);
	send_exposition(f->x, f->req, body, written);
	smtpprobe_probe_free(p);
	inflight_free(f);
}

/* ------------------------------------------------------------ a probe's start */

/*
 * The module's timeout, lowered to Prometheus's scrape timeout less half a
 * second (an answer must reach it in time), but never below half of it.
 */
static unsigned
deadline_ms(struct evhttp_request *req, unsigned module_ms)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), SCRAPE_HEADER);
	unsigned long whole = 0, ms;
	unsigned frac = 0, scale = 100;
	const char *s = h;

	if (h == NULL || *h < '0' || *h > '9')
		return module_ms;
	for (; *s >= '0' && *s <= '9' && whole < 100000; s++)
		whole = whole * 10 + (unsigned long)(*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
			frac += (unsigned)(*s - '0') * scale;
	if (*s != '\0' || whole >= 100000)
		return module_ms;
	ms = whole * 1000 + frac;
	ms = ms >= 1000 ? ms - 500 : ms / 2; /* at 1 s and more, ms - 500 >= ms / 2 */
	if (ms == 0)
		ms = 1;
	return ms < module_ms ? (unsigned)ms : module_ms;
}

static void
start_probe(struct sp_exporter *x, struct evhttp_request *req, const struct sp_module *m,
	size_t idx, const char *target, const char *host, unsigned port)
{
	struct sp_inflight *f = calloc(1, sizeof(*f));
	smtpprobe_callbacks cb = { probe_done, NULL };
	char err[512];

	if (f == NULL) {
		reply_text(x, req, 500, "Internal Server Error", "out of memory\n");
		return;
	}
	*f = (struct sp_inflight){ .x = x, .req = req, .ms = x->modset, .m = m };
	snprintf(f->target, sizeof(f->target), "%s", target);
	sp_modset_ref(f->ms);
	if (sp_modset_probe_config(f->ms, idx, host, port, &f->cfg, err, sizeof(err)) < 0) {
		/* The module parsed with a dummy target: this one was refused. */
		inflight_free(f);
		refuse(x, req, SP_REJECT_BAD_REQUEST, 400, "Bad Request", "bad target\n");
		return;
	}
	smtpprobe_opts_set_timeout_ms(f->cfg.lib, deadline_ms(req, smtpprobe_opts_timeout_ms(f->cfg.lib)));
	smtpprobe_opts_set_tlsctx(f->cfg.lib, f->ms->tls[idx]);
	f->next = x->probes;
	if (x->probes != NULL)
		x->probes->prev = f;
	x->probes = f;
	x->metrics.in_flight++;
	if ((f->p = smtpprobe_probe_start(x->base, f->cfg.lib, &cb, f)) == NULL) {
		unlink_probe(f);
		inflight_free(f);
		reply_text(x, req, 500, "Internal Server Error", "cannot start the probe\n");
	}
}

static void
on_probe(struct evhttp_request *req, void *arg)
{
	struct sp_exporter *x = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const struct sp_module *m;
	char host[SP_TARGET_HOST_MAX + 1], err[200];
	struct sp_query q;
	unsigned port;

	if (!method_ok(x, req))
		return;
	if (sp_query_parse(query, &q, err, sizeof(err)) < 0) {
		refuse(x, req, SP_REJECT_BAD_REQUEST, 400, "Bad Request",
			"give target=HOST[:PORT] and module=NAME, once each\n");
		return;
	}
	if (sp_target_parse(q.target, host, sizeof(host), &port, err, sizeof(err)) < 0) {
		refuse(x, req, SP_REJECT_BAD_REQUEST, 400, "Bad Request", "bad target\n");
		return;
	}
	if ((m = sp_modules_find(&x->modset->mods, q.module)) == NULL) {
		refuse(x, req, SP_REJECT_UNKNOWN_MODULE, 404, "Not Found", "unknown module\n");
		return;
	}
	if (!sp_allow_match(&m->allow, host)) {
		refuse(x, req, SP_REJECT_FORBIDDEN, 403, "Forbidden", "target not allowed\n");
		return;
	}
	if (x->metrics.in_flight >= x->max_concurrent) {
		refuse(x, req, SP_REJECT_CONCURRENCY, 503, "Service Unavailable", "too many probes\n");
		return;
	}
	start_probe(x, req, m, (size_t)(m - x->modset->mods.v), q.target, host, port);
}

static void
on_metrics(struct evhttp_request *req, void *arg)
{
	struct sp_exporter *x = arg;
	struct evbuffer *body;
	char buf[8192];
	FILE *out;

	if (!method_ok(x, req))
		return;
	body = evbuffer_new();
	out = body != NULL ? body_open(body, buf, sizeof(buf)) : NULL;
	if (out != NULL)
		sp_metrics_write(out, &x->metrics);
	send_exposition(x, req, body, out != NULL && fclose(out) == 0);
}

static void
on_healthy(struct evhttp_request *req, void *arg)
{
	if (method_ok(arg, req))
		reply_text(arg, req, 200, "OK", "OK\n");
}

static void
on_other(struct evhttp_request *req, void *arg)
{
	if (method_ok(arg, req))
		reply_text(arg, req, 404, "Not Found",
			"smtp_probe_exporter: /probe?target=HOST[:PORT]&module=NAME, /metrics, /-/healthy\n");
}

void
sp_http_setup(struct sp_exporter *x)
{
	evhttp_set_cb(x->http, "/probe", on_probe, x);
	evhttp_set_cb(x->http, "/metrics", on_metrics, x);
	evhttp_set_cb(x->http, "/-/healthy", on_healthy, x);
	evhttp_set_gencb(x->http, on_other, x);
}

void
sp_http_abandon(struct sp_exporter *x)
{
	x->stopping = true;
	while (x->probes != NULL)
		smtpprobe_probe_free(x->probes->p); /* its done callback frees the rest */
}
