/* SPDX-License-Identifier: MIT */
/*
 * result.c - what one target's dialog found, and the names of things.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dane.h"
#include "internal.h"

static const char *const stage_names[] = {
	"dns", "connect", "tls", "banner", "ehlo", "starttls", "auth",
	"command", "mail", "rcpt", "data", "rset", "quit",
};
_Static_assert(sizeof(stage_names) / sizeof(stage_names[0]) == SMTPPROBE_STAGE_COUNT,
	"a name for every stage");

static const char *const status_names[] = {
	"ok", "reply", "dns", "connect", "timeout", "closed", "protocol",
	"tls", "certificate", "unsupported", "internal", "cancelled", "local",
};
_Static_assert(sizeof(status_names) / sizeof(status_names[0]) == SMTPPROBE_STATUS_COUNT,
	"a name for every status");

static const char *const rdns_names[] = {
	"none", "failed", "no-ptr", "unconfirmed", "confirmed",
};
_Static_assert(sizeof(rdns_names) / sizeof(rdns_names[0]) == SMTPPROBE_RDNS_COUNT,
	"a name for every reverse DNS outcome");

const char *
smtpprobe_rdns_name(smtpprobe_rdns rdns)
{
	return (unsigned)rdns < SMTPPROBE_RDNS_COUNT ? rdns_names[rdns] : "?";
}

const char *
smtpprobe_stage_name(smtpprobe_stage s)
{
	return (unsigned)s < SMTPPROBE_STAGE_COUNT ? stage_names[s] : "?";
}

smtpprobe_stage
smtpprobe_stage_from_name(const char *name)
{
	for (unsigned i = 0; name != NULL && i < SMTPPROBE_STAGE_COUNT; i++)
		if (strcasecmp(name, stage_names[i]) == 0)
			return (smtpprobe_stage)i;
	return SMTPPROBE_STAGE_COUNT;
}

const char *
smtpprobe_status_name(smtpprobe_status s)
{
	return (unsigned)s < SMTPPROBE_STATUS_COUNT ? status_names[s] : "?";
}

const char *
smtpprobe_version(void)
{
	return PACKAGE_VERSION;
}

int64_t
sp_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct smtpprobe_result *
sp_result_new(const char *host, unsigned port)
{
	struct smtpprobe_result *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->host = strdup(host)) == NULL) {
		free(r);
		return NULL;
	}
	r->port = port;
	r->decider = -1;
	r->mx_pref = -1;
	return r;
}

void
sp_result_free(struct smtpprobe_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nex; i++) {
		free(r->ex[i].command);
		free(r->ex[i].text);
		sp_strv_free(&r->ex[i].lines);
	}
	free(r->ex);
	free(r->tls);
	sp_dane_free(r->dane);
	free(r->host);
	free(r);
}

int
sp_result_exchange(struct smtpprobe_result *r, smtpprobe_stage st, const char *cmd, size_t len,
	int64_t sent)
{
	struct sp_exchange *ex;

	if (r->nex == r->capex) {
		size_t cap = r->capex ? r->capex * 2 : 8;

		if ((ex = realloc(r->ex, cap * sizeof(*ex))) == NULL)
			return -1;
		r->ex = ex;
		r->capex = cap;
	}
	ex = &r->ex[r->nex];
	memset(ex, 0, sizeof(*ex));
	ex->stage = st;
	ex->sent = sent;
	if ((ex->command = strndup(cmd, len)) == NULL)
		return -1;
	return (int)r->nex++;
}

static int
code_rank(int code)
{
	static const int ranks[] = { 0, 0, 2, 1, 3, 4 };

	return code >= 100 && code < 600 ? ranks[code / 100] : 0;
}

int
sp_result_reply(struct smtpprobe_result *r, int i, const struct sp_reply_line *line,
	struct sp_strv *lines, int64_t at)
{
	struct sp_exchange *ex = &r->ex[i];
	struct sp_stage_rec *s = &r->stages[ex->stage];
	char text[SP_TEXT_MAX];

	ex->code = line->code;
	ex->usec = at - ex->sent;
	sp_result_stage_time(r, ex->stage, ex->sent, at);
	s->pipelined = s->pipelined || ex->pipelined;
	memcpy(ex->enhanced, line->enhanced, sizeof(ex->enhanced));
	sp_strv_free(&ex->lines);
	ex->lines = *lines;
	*lines = (struct sp_strv){ 0 };
	sp_reply_join((const char *const *)ex->lines.v, ex->lines.n, text, sizeof(text));
	free(ex->text);
	if ((ex->text = strdup(text)) == NULL)
		return -1;
	/* The stage keeps its worst reply; an intermediate 3xx (354) ranks
	 * below a final 2xx, so DATA shows the reply to the message. */
	if (s->code == 0 || code_rank(line->code) >= code_rank(s->code))
		s->code = line->code;
	return 0;
}

void
sp_result_stage_time(struct smtpprobe_result *r, smtpprobe_stage st, int64_t from, int64_t to)
{
	struct sp_stage_rec *s = &r->stages[st];

	if (!s->ran) {
		s->ran = true;
		s->start = s->end = from;
	}
	if (from < s->end)
		from = s->end;
	if (to > from) {
		s->usec += to - from;
		s->end = to;
	}
}

void
sp_result_fail(struct smtpprobe_result *r, smtpprobe_status status,
	smtpprobe_stage st, int decider, const char *fmt, ...)
{
	va_list ap;

	if (r->status != SMTPPROBE_OK)
		return;
	r->status = status;
	r->stage = st;
	r->decider = decider;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

void
sp_notes_vadd(char *notes, size_t size, const char *fmt, va_list ap)
{
	size_t len = strlen(notes);

	if (len > 0 && len + 2 < size) {
		memcpy(notes + len, "; ", 3);
		len += 2;
	}
	if (len < size)
		vsnprintf(notes + len, size - len, fmt, ap);
}

void
sp_result_note(struct smtpprobe_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sp_notes_vadd(r->notes, sizeof(r->notes), fmt, ap);
	va_end(ap);
}

/* Public accessors: thin, and safe on out-of-range arguments. */

const char *smtpprobe_result_host(const smtpprobe_result *r) { return r->host; }
const char *smtpprobe_result_addr(const smtpprobe_result *r) { return r->addr; }
unsigned smtpprobe_result_port(const smtpprobe_result *r) { return r->port; }
smtpprobe_status smtpprobe_result_status(const smtpprobe_result *r) { return r->status; }
smtpprobe_stage smtpprobe_result_stage(const smtpprobe_result *r) { return r->stage; }
const char *smtpprobe_result_reason(const smtpprobe_result *r) { return r->reason; }
int smtpprobe_result_decider(const smtpprobe_result *r) { return r->decider; }
int smtpprobe_result_errno(const smtpprobe_result *r) { return r->local_errno; }
bool smtpprobe_result_starttls_offered(const smtpprobe_result *r) { return r->starttls_offered; }
const char *smtpprobe_result_queue_id(const smtpprobe_result *r) { return r->queue_id; }
bool smtpprobe_result_chunking(const smtpprobe_result *r) { return r->chunking; }
smtpprobe_greeting smtpprobe_result_greeting_verb(const smtpprobe_result *r) { return r->greeting; }

const char *
smtpprobe_result_greeting(const smtpprobe_result *r)
{
	static const char *const verbs[] = { "", "EHLO", "HELO", "LHLO" };

	return (unsigned)r->greeting < sizeof(verbs) / sizeof(verbs[0]) ? verbs[r->greeting] : "";
}
const char *smtpprobe_result_notes(const smtpprobe_result *r) { return r->notes; }
const char *smtpprobe_result_caps(const smtpprobe_result *r) { return r->caps.text; }
uint64_t smtpprobe_result_size_limit(const smtpprobe_result *r) { return r->caps.size; }
int smtpprobe_result_mx_pref(const smtpprobe_result *r) { return r->mx_pref; }
smtpprobe_rdns smtpprobe_result_rdns(const smtpprobe_result *r) { return r->rdns; }
const char *smtpprobe_result_ptr(const smtpprobe_result *r) { return r->ptr; }
const char *smtpprobe_result_rdns_text(const smtpprobe_result *r) { return r->rdns_text; }
const char *smtpprobe_result_banner_name(const smtpprobe_result *r) { return r->banner_name; }

int64_t
smtpprobe_result_usec(const smtpprobe_result *r)
{
	return r->end > r->start ? r->end - r->start : 0;
}

bool
smtpprobe_result_has_ext(const smtpprobe_result *r, const char *keyword)
{
	return keyword != NULL && sp_caps_has(&r->caps, keyword);
}

bool
smtpprobe_stage_ran(const smtpprobe_result *r, smtpprobe_stage s)
{
	return (unsigned)s < SMTPPROBE_STAGE_COUNT && r->stages[s].ran;
}

int64_t
smtpprobe_stage_start_usec(const smtpprobe_result *r, smtpprobe_stage s)
{
	return smtpprobe_stage_ran(r, s) ? r->stages[s].start : 0;
}

int64_t
smtpprobe_stage_usec(const smtpprobe_result *r, smtpprobe_stage s)
{
	return smtpprobe_stage_ran(r, s) ? r->stages[s].usec : 0;
}

bool
smtpprobe_stage_pipelined(const smtpprobe_result *r, smtpprobe_stage s)
{
	return smtpprobe_stage_ran(r, s) && r->stages[s].pipelined;
}

int
smtpprobe_stage_code(const smtpprobe_result *r, smtpprobe_stage s)
{
	return smtpprobe_stage_ran(r, s) ? r->stages[s].code : 0;
}

size_t smtpprobe_exchange_count(const smtpprobe_result *r) { return r->nex; }

smtpprobe_stage
smtpprobe_exchange_stage(const smtpprobe_result *r, size_t i)
{
	return i < r->nex ? r->ex[i].stage : SMTPPROBE_STAGE_COUNT;
}

const char *
smtpprobe_exchange_command(const smtpprobe_result *r, size_t i)
{
	return i < r->nex ? r->ex[i].command : "";
}

int
smtpprobe_exchange_code(const smtpprobe_result *r, size_t i)
{
	return i < r->nex ? r->ex[i].code : 0;
}

const char *
smtpprobe_exchange_enhanced(const smtpprobe_result *r, size_t i)
{
	return i < r->nex ? r->ex[i].enhanced : "";
}

const char *
smtpprobe_exchange_text(const smtpprobe_result *r, size_t i)
{
	return i < r->nex && r->ex[i].text != NULL ? r->ex[i].text : "";
}

size_t
smtpprobe_exchange_line_count(const smtpprobe_result *r, size_t i)
{
	return i < r->nex ? r->ex[i].lines.n : 0;
}

const char *
smtpprobe_exchange_line(const smtpprobe_result *r, size_t i, size_t j)
{
	return i < r->nex && j < r->ex[i].lines.n ? r->ex[i].lines.v[j] : "";
}

int64_t
smtpprobe_exchange_usec(const smtpprobe_result *r, size_t i)
{
	return i < r->nex ? r->ex[i].usec : 0;
}

bool
smtpprobe_exchange_pipelined(const smtpprobe_result *r, size_t i)
{
	return i < r->nex && r->ex[i].pipelined;
}

/* TLS facts: "" and 0 until a handshake completed. */

#define TLS_FACT(field) (r->tls != NULL ? r->tls->field : "")

const char *smtpprobe_result_tls_version(const smtpprobe_result *r) { return TLS_FACT(version); }
const char *smtpprobe_result_tls_cipher(const smtpprobe_result *r) { return TLS_FACT(cipher); }
const char *smtpprobe_result_cert_subject(const smtpprobe_result *r) { return TLS_FACT(subject); }
const char *smtpprobe_result_cert_issuer(const smtpprobe_result *r) { return TLS_FACT(issuer); }
const char *smtpprobe_result_cert_sans(const smtpprobe_result *r) { return TLS_FACT(sans); }
const char *smtpprobe_result_cert_error(const smtpprobe_result *r) { return TLS_FACT(error); }

int64_t
smtpprobe_result_cert_not_after(const smtpprobe_result *r)
{
	return r->tls != NULL ? r->tls->not_after : 0;
}
