/* SPDX-License-Identifier: MIT */
/*
 * dnssec_lookup.c - the DANE lookups of lib/resolve.c on the command line,
 * for tests/integration/dnssec-resolve.test against the real DNSSEC bed:
 * every lookup runs at once on one event loop, then one line each, in the
 * order given:
 *
 *   dnssec_lookup [-s ADDR[:PORT]] [-w SECONDS] LOOKUP...
 *     LOOKUP: tlsa:HOST:PORT  mx:DOMAIN  addrs:NAME (AAAA and A)  a:NAME
 *     -s  the resolver (--dns-server); without it, udns's own choice
 *         (/etc/resolv.conf, $NAMESERVERS, $RES_OPTIONS)
 *     -w  give up after SECONDS (default 30): the resolver is freed, and
 *         every lookup still out completes as cancelled
 *
 *   tlsa HOST status=ok ad=1 tcp=0 tcperr=0 n=1 dropped=0 malformed=0 ms=3 rec=3.1.1.32.usable.0a1b2c3d4e5f6071...
 *     (each record: usage.selector.mtype.length.usable|unusable.first 8 bytes)
 *   mx DOMAIN status=NODATA ad=1 n=0 ms=2
 *   addrs NAME status=ok ad=0 n=1 ms=1 addr=127.0.0.1
 *
 * Exit status 0 when every lookup completed exactly once, else 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "resolve.h"

#define MAX_LOOKUPS 64
#define LINE_MAX_LEN 2048

struct lookup;

struct run {
	struct sp_resolver *rs;
	struct lookup *l;
	size_t n, pending;
	struct event *deadline;
};

struct run;

struct lookup {
	struct run *run;
	const char *what;
	char name[SP_NAME_MAX];
	unsigned port;
	int completions;
	struct timespec t0;
	char line[LINE_MAX_LEN];
};

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static const char *
status_name(int status, char *buf, size_t len)
{
	switch (status) {
	case 0:
		return "ok";
	case SP_DNS_NODATA:
		return "NODATA";
	case SP_DNS_NXDOMAIN:
		return "NXDOMAIN";
	case SP_DNS_TEMPFAIL:
		return "TEMPFAIL";
	case SP_DNS_CANCELLED:
		return "CANCELLED";
	}
	snprintf(buf, len, "other(%d)", status);
	return buf;
}

/* Appends to a lookup's line, cut at its end. */
static void say(struct lookup *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(struct lookup *l, const char *fmt, ...)
{
	size_t used = strlen(l->line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->line + used, sizeof(l->line) - used, fmt, ap);
	va_end(ap);
}

static void
head(struct lookup *l, int status)
{
	char buf[32];

	l->completions++;
	l->line[0] = '\0';
	/* The last completion lets the loop end before the deadline. */
	if (--l->run->pending == 0)
		evtimer_del(l->run->deadline);
	say(l, "%s %s status=%s", l->what, l->name, status_name(status, buf, sizeof(buf)));
}

static void
on_tlsa(void *arg, int status, const struct sp_tlsaset *set)
{
	struct lookup *l = arg;

	head(l, status);
	say(l, " ad=%d tcp=%d tcperr=%d n=%zu dropped=%zu malformed=%zu ms=%.0f", set->ad,
		set->via_tcp, set->tcp_error, set->n, set->dropped, set->malformed, ms_since(&l->t0));
	for (size_t i = 0; i < set->n; i++) {
		const struct sp_tlsa *t = &set->rec[i];
		char hex[32];

		sp_tlsa_hex(t, 8, hex, sizeof(hex));
		say(l, "%s%u.%u.%u.%zu.%s.%s", i == 0 ? " rec=" : ",", t->usage, t->selector,
			t->mtype, t->len, sp_tlsa_usable(t) ? "usable" : "unusable", hex);
	}
}

static void
on_mx(void *arg, int status, const struct sp_mxrecs *mx)
{
	struct lookup *l = arg;

	head(l, status);
	say(l, " ad=%d n=%zu ms=%.0f", mx->ad, mx->n, ms_since(&l->t0));
	for (size_t i = 0; i < mx->n; i++)
		say(l, "%s%u:%s", i == 0 ? " mx=" : ",", mx->mx[i].pref, mx->mx[i].name);
}

static void
on_addrs(void *arg, int status, const struct sp_addrs *a)
{
	struct lookup *l = arg;

	head(l, status);
	say(l, " ad=%d n=%zu ms=%.0f", a->ad, a->n, ms_since(&l->t0));
	for (size_t i = 0; i < a->n; i++) {
		char text[INET6_ADDRSTRLEN] = "?";
		const struct sockaddr_storage *ss = &a->a[i];

		if (ss->ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, text, sizeof(text));
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, text,
				sizeof(text));
		say(l, "%s%s", i == 0 ? " addr=" : ",", text);
	}
}

/* "tlsa:HOST:PORT", "mx:DOMAIN", "addrs:NAME", "a:NAME". @return 0 or -1. */
static int
parse_lookup(const char *arg, struct lookup *l)
{
	const char *colon = strchr(arg, ':'), *rest;
	char *port;

	if (colon == NULL)
		return -1;
	rest = colon + 1;
	if (strlen(rest) >= sizeof(l->name))
		return -1;
	strcpy(l->name, rest);
	if (strncmp(arg, "tlsa:", 5) == 0) {
		l->what = "tlsa";
		if ((port = strrchr(l->name, ':')) == NULL)
			return -1;
		*port++ = '\0';
		l->port = (unsigned)strtoul(port, NULL, 10);
	} else if (strncmp(arg, "mx:", 3) == 0) {
		l->what = "mx";
	} else if (strncmp(arg, "addrs:", 6) == 0) {
		l->what = "addrs";
	} else if (strncmp(arg, "a:", 2) == 0) {
		l->what = "a";
	} else {
		return -1;
	}
	return 0;
}

static struct sp_query *
start(struct sp_resolver *rs, struct lookup *l)
{
	clock_gettime(CLOCK_MONOTONIC, &l->t0);
	if (strcmp(l->what, "tlsa") == 0)
		return sp_resolve_tlsa(rs, l->name, l->port, on_tlsa, l);
	if (strcmp(l->what, "mx") == 0)
		return sp_resolve_mx_dnssec(rs, l->name, on_mx, l);
	return sp_resolve_addrs_dnssec(rs, l->name,
		strcmp(l->what, "a") == 0 ? SMTPPROBE_FAMILY_IPV4 : SMTPPROBE_FAMILY_ANY, on_addrs, l);
}


/* The deadline: freeing the resolver completes what is still out. */
static void
give_up(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	sp_resolver_free(r->rs);
	r->rs = NULL;
}

/* "ADDR" or "ADDR:PORT" (an IPv6 literal has more than one ':'). */
static void
split_server(char *s, unsigned *port)
{
	char *colon = strrchr(s, ':');

	*port = 0;
	if (colon != NULL && strchr(s, ':') == colon) {
		*colon = '\0';
		*port = (unsigned)strtoul(colon + 1, NULL, 10);
	}
}

static int
usage(void)
{
	fprintf(stderr, "usage: dnssec_lookup [-s ADDR[:PORT]] [-w SECONDS] "
		"tlsa:HOST:PORT|mx:DOMAIN|addrs:NAME|a:NAME...\n");
	return 2;
}

static int
finish(struct run *r)
{
	int rc = 0;

	for (size_t i = 0; i < r->n; i++) {
		if (r->l[i].completions != 1) {
			printf("%s %s completions=%d\n", r->l[i].what, r->l[i].name,
				r->l[i].completions);
			rc = 1;
			continue;
		}
		printf("%s\n", r->l[i].line);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static struct lookup lookups[MAX_LOOKUPS];
	struct run r = { .l = lookups };
	struct timeval tv = { 30, 0 };
	struct event_base *base;
	char *server = NULL;
	unsigned port = 0;
	int opt, rc;

	while ((opt = getopt(argc, argv, "s:w:")) != -1) {
		if (opt == 's')
			server = optarg;
		else if (opt == 'w')
			tv.tv_sec = atoi(optarg);
		else
			return usage();
	}
	if (optind >= argc || argc - optind > MAX_LOOKUPS)
		return usage();
	if (server != NULL)
		split_server(server, &port);
	base = event_base_new();
	if (base == NULL || (r.rs = sp_resolver_new(base, server, port)) == NULL) {
		perror("dnssec_lookup: resolver");
		return 1;
	}
	if ((r.deadline = evtimer_new(base, give_up, &r)) == NULL || evtimer_add(r.deadline, &tv))
		return 1;
	for (int i = optind; i < argc; i++) {
		struct lookup *l = &lookups[r.n++];

		l->run = &r;
		if (parse_lookup(argv[i], l) == -1)
			return usage();
		r.pending++;
		if (start(r.rs, l) == NULL) {
			perror(argv[i]);
			return 1;
		}
	}
	event_base_dispatch(base);
	rc = finish(&r);
	sp_resolver_free(r.rs);
	event_free(r.deadline);
	event_base_free(base);
	return rc;
}
