/* SPDX-License-Identifier: MIT */
/*
 * rdns.c - forward-confirmed reverse DNS. The PTR names come from the
 * network and are untrusted: resolve.c keeps only bounded host names, and
 * a name counts only when its own A/AAAA records give the address back.
 * One query is outstanding at any time, so cancelling that query is how
 * the whole lookup ends, once.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "rdns.h"
#include "resolve.h"

struct sp_rdns {
	struct sp_resolver *rs;
	struct sp_query *q;         /* the one query in flight */
	struct sockaddr_storage addr;
	char addrtext[INET6_ADDRSTRLEN];
	struct sp_names names;
	size_t next;                /* the PTR name being confirmed */
	sp_rdns_fn cb;
	void *arg;
};

static void
finish(struct sp_rdns *r, smtpprobe_rdns state, const char *ptr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
finish(struct sp_rdns *r, smtpprobe_rdns state, const char *ptr, const char *fmt, ...)
{
	char text[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->cb(r->arg, state, ptr, text);
	free(r);
}

static void confirm_next(struct sp_rdns *r);

static void
forward_done(void *arg, int status, const struct sp_addrs *addrs)
{
	struct sp_rdns *r = arg;
	const char *name = r->names.name[r->next];

	r->q = NULL;
	if (status == SP_DNS_CANCELLED) {
		finish(r, SMTPPROBE_RDNS_NONE, "", "%s", "");
		return;
	}
	for (size_t i = 0; status == 0 && i < addrs->n; i++)
		if (sp_addr_same(&addrs->a[i], &r->addr)) {
			finish(r, SMTPPROBE_RDNS_CONFIRMED, name, "%s, forward-confirmed", name);
			return;
		}
	r->next++;
	confirm_next(r);
}

static void
confirm_next(struct sp_rdns *r)
{
	smtpprobe_family fam = r->addr.ss_family == AF_INET6 ?
	    SMTPPROBE_FAMILY_IPV6 : SMTPPROBE_FAMILY_IPV4;

	if (r->next == r->names.n) {
		finish(r, SMTPPROBE_RDNS_UNCONFIRMED, r->names.name[0],
			"PTR %s does not resolve back to %s", r->names.name[0], r->addrtext);
		return;
	}
	r->q = sp_resolve_addrs(r->rs, r->names.name[r->next], fam, true, forward_done, r);
	if (r->q == NULL)
		finish(r, SMTPPROBE_RDNS_FAILED, r->names.name[r->next],
			"lookup of PTR name %s could not be sent", r->names.name[r->next]);
}

static void
ptr_done(void *arg, int status, const struct sp_names *names)
{
	struct sp_rdns *r = arg;

	r->q = NULL;
	if (status == SP_DNS_CANCELLED)
		finish(r, SMTPPROBE_RDNS_NONE, "", "%s", "");
	else if (status == 0 && names->n > 0) {
		r->names = *names;
		confirm_next(r);
	} else if (names->invalid > 0)
		finish(r, SMTPPROBE_RDNS_NO_PTR, "", "PTR of %s is not a host name", r->addrtext);
	else if (status == 0 || status == SP_DNS_NXDOMAIN || status == SP_DNS_NODATA)
		finish(r, SMTPPROBE_RDNS_NO_PTR, "", "no PTR record for %s", r->addrtext);
	else
		finish(r, SMTPPROBE_RDNS_FAILED, "", "PTR lookup of %s failed: %s",
			r->addrtext, sp_dns_strerror(status));
}

struct sp_rdns *
sp_rdns_start(struct sp_resolver *rs, const struct sockaddr_storage *ss, sp_rdns_fn cb, void *arg)
{
	struct sp_rdns *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->rs = rs;
	r->cb = cb;
	r->arg = arg;
	r->addr = *ss;
	sp_addr_text(ss, r->addrtext, sizeof(r->addrtext));
	if ((r->q = sp_resolve_ptr(rs, (const struct sockaddr *)ss, ptr_done, r)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
sp_rdns_cancel(struct sp_rdns *r)
{
	sp_query_cancel(r->rs, r->q);
}
