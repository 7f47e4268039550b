/* SPDX-License-Identifier: MIT */
/*
 * test_resolve.c - the resolver's own rules: which names from the network
 * count as host names, IP literals, the hosts file, and exactly one
 * completion for every lookup of every type, also when it is cancelled or
 * its resolver is freed while the query is still out (to a resolver that
 * never answers: a bound UDP socket nobody reads); TXT records joined and
 * bounded against the scripted resolver below.
 *
 * The DANE lookups against a scripted resolver in this process (UDP and
 * TCP on one port, each answering as told): the AD bit of answers and of
 * denials, the TCP re-ask of NODATA, NXDOMAIN, SERVFAIL and TC, a TCP
 * reply that is not ours, a TCP resolver that never answers (the
 * deadline, cancel and free while the TCP exchange is out), and the
 * resolver found through udns's environment when none is given.
 *
 * The allocator is wrapped (-Wl,--wrap, as in test_alloc) so that the TLSA
 * path with its TCP re-ask can fail each of our allocations in turn.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <event2/event.h>

#include "dnsmsg.h"
#include "resolve.h"

static void
hostnames(void **state)
{
	char long_label[70], long_name[300];

	(void)state;
	assert_true(sp_hostname_ok("mx1.example.org"));
	assert_true(sp_hostname_ok("a"));
	assert_true(sp_hostname_ok("xn--bcher-kva.example"));
	assert_true(sp_hostname_ok("_dmarc.example.org"));
	assert_false(sp_hostname_ok(""));
	assert_false(sp_hostname_ok("."));
	assert_false(sp_hostname_ok("a..b"));
	assert_false(sp_hostname_ok(".a"));
	assert_false(sp_hostname_ok("-a.example"));
	assert_false(sp_hostname_ok("a-.example"));
	assert_false(sp_hostname_ok("a b.example"));
	assert_false(sp_hostname_ok("a\\032b.example"));   /* udns's escape of a blank */
	assert_false(sp_hostname_ok("a\r\nQUIT.example"));
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_false(sp_hostname_ok(long_label));
	long_label[63] = '\0';
	assert_true(sp_hostname_ok(long_label));
	for (size_t i = 0; i < 254; i++)
		long_name[i] = i % 2 ? '.' : 'a';
	long_name[253] = '\0';
	assert_true(sp_hostname_ok(long_name));
	long_name[253] = 'a';
	long_name[254] = '\0';
	assert_false(sp_hostname_ok(long_name));
}

static void
literals(void **state)
{
	struct sockaddr_storage ss;

	(void)state;
	assert_int_equal(sp_parse_literal("192.0.2.1", SMTPPROBE_FAMILY_ANY, &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(sp_parse_literal("2001:db8::1", SMTPPROBE_FAMILY_ANY, &ss), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(sp_parse_literal("2001:db8::1", SMTPPROBE_FAMILY_IPV4, &ss), -1);
	assert_int_equal(sp_parse_literal("192.0.2.1", SMTPPROBE_FAMILY_IPV6, &ss), -1);
	assert_int_equal(sp_parse_literal("mx1.example.org", SMTPPROBE_FAMILY_ANY, &ss), -1);
}

static void
hosts_file(void **state)
{
	char path[] = "/tmp/test_resolve.XXXXXX";
	struct sp_addrs a;
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# comment mail.example\n192.0.2.1 other mail.example # trailing\n"
	    "2001:db8::1\tMAIL.example\nbogus mail.example\n", f);
	fclose(f);
	assert_int_equal(sp_hosts_lookup(path, "mail.example", SMTPPROBE_FAMILY_ANY, &a), 2);
	assert_int_equal(a.a[0].ss_family, AF_INET6);   /* IPv6 first */
	assert_int_equal(a.a[1].ss_family, AF_INET);
	assert_int_equal(sp_hosts_lookup(path, "mail.example", SMTPPROBE_FAMILY_IPV4, &a), 1);
	assert_int_equal(sp_hosts_lookup(path, "comment", SMTPPROBE_FAMILY_ANY, &a), 0);
	assert_int_equal(sp_hosts_lookup("/nonexistent/hosts", "x", SMTPPROBE_FAMILY_ANY, &a), 0);
	unlink(path);
}

/* ------------------------------------------------------------ completions */

struct counts {
	int addrs, mx, names, tlsa, txt, last_status;
};

static void
on_addrs(void *arg, int status, const struct sp_addrs *a)
{
	struct counts *c = arg;

	c->addrs++;
	c->last_status = status;
	assert_int_equal(a->n, 0);
}

static void
on_mx(void *arg, int status, const struct sp_mxrecs *mx)
{
	struct counts *c = arg;

	c->mx++;
	c->last_status = status;
	assert_int_equal(mx->n, 0);
	assert_false(mx->null_mx);
}

static void
on_txt_count(void *arg, int status, const struct sp_txtset *set)
{
	struct counts *c = arg;

	c->txt++;
	c->last_status = status;
	assert_int_equal(set->n, 0);
}

static void
on_tlsa_count(void *arg, int status, const struct sp_tlsaset *set)
{
	struct counts *c = arg;

	c->tlsa++;
	c->last_status = status;
	assert_int_equal(set->n, 0);
	assert_false(set->ad);
}

static void
on_names(void *arg, int status, const struct sp_names *n)
{
	struct counts *c = arg;

	c->names++;
	c->last_status = status;
	assert_int_equal(n->n, 0);
}

/* A UDP port that takes queries and never answers. */
static int
silent_resolver(unsigned *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
one_completion_each(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct event_base *base = event_base_new();
	struct counts c = { 0 };
	struct sp_resolver *rs;
	struct sp_query *q;
	unsigned port;
	int fd = silent_resolver(&port);
	char longname[300];

	(void)state;
	assert_non_null(base);
	assert_non_null(rs = sp_resolver_new(base, "127.0.0.1", port));
	sin.sin_addr.s_addr = htonl(0x7f000002);

	/* Names that cannot be asked: no query, no callback. */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	errno = 0;
	assert_null(sp_resolve_tlsa(rs, "mx.example.org", 0, on_tlsa_count, &c));
	assert_int_equal(errno, EINVAL);
	assert_null(sp_resolve_tlsa(rs, "mx.example.org", 65536, on_tlsa_count, &c));
	assert_null(sp_resolve_tlsa(rs, longname, 25, on_tlsa_count, &c));
	assert_null(sp_resolve_mx_dnssec(rs, longname, on_mx, &c));
	assert_int_equal(c.tlsa + c.mx, 0);

	/* Cancelled: the callback runs once, at once, saying so. */
	assert_non_null(q = sp_resolve_mx(rs, "example.org", on_mx, &c));
	sp_query_cancel(rs, q);
	assert_int_equal(c.mx, 1);
	assert_int_equal(c.last_status, SP_DNS_CANCELLED);

	/* Freed with lookups of every type still out: each completes once. */
	assert_non_null(sp_resolve_mx(rs, "example.org", on_mx, &c));
	assert_non_null(sp_resolve_addrs(rs, "mx1.example.org", SMTPPROBE_FAMILY_ANY, true, on_addrs, &c));
	assert_non_null(sp_resolve_addrs(rs, "mx1.example.org", SMTPPROBE_FAMILY_IPV6, false, on_addrs, &c));
	assert_non_null(sp_resolve_ptr(rs, (struct sockaddr *)&sin, on_names, &c));
	assert_non_null(sp_resolve_mx_dnssec(rs, "example.org", on_mx, &c));
	assert_non_null(sp_resolve_addrs_dnssec(rs, "mx1.example.org", SMTPPROBE_FAMILY_ANY,
		on_addrs, &c));
	assert_non_null(sp_resolve_tlsa(rs, "mx1.example.org.", 25, on_tlsa_count, &c));
	assert_non_null(sp_resolve_txt(rs, "_mta-sts.example.org", on_txt_count, &c));
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(c.mx + c.addrs + c.names + c.tlsa + c.txt, 1);
	sp_resolver_free(rs);
	assert_int_equal(c.mx, 3);
	assert_int_equal(c.addrs, 3);
	assert_int_equal(c.names, 1);
	assert_int_equal(c.tlsa, 1);
	assert_int_equal(c.txt, 1);
	assert_int_equal(c.last_status, SP_DNS_CANCELLED);

	/* Nothing of the resolver is left to keep the loop running. */
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
	close(fd);
}

/* ------------------------------------------------------------ allocations */

/*
 * Allocations made by this program's code (the test and the resolver's
 * sources; not libevent's or udns's, inside their libraries), counted
 * while `counting`, the Nth failed, each block kept in a live set until
 * freed. free() also sees udns's blocks (the resolver frees them): those
 * are simply not in the set.
 */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

#define LIVE_MAX 256

struct alloc_watch {
	bool counting;
	unsigned long n, fail_at;
	void *live[LIVE_MAX];
	size_t nlive;
};

/* The wrappers have no argument to carry it: the one mutable static here. */
static struct alloc_watch aw;

/* A failure says ENOMEM, as the real allocator does. */
static bool
alloc_fails(void)
{
	if (!aw.counting || ++aw.n != aw.fail_at)
		return false;
	errno = ENOMEM;
	return true;
}

static void *
alloc_keep(void *p)
{
	if (p != NULL && aw.counting) {
		assert_true(aw.nlive < LIVE_MAX);
		aw.live[aw.nlive++] = p;
	}
	return p;
}

static void
alloc_forget(void *p)
{
	for (size_t i = 0; p != NULL && i < aw.nlive; i++)
		if (aw.live[i] == p) {
			aw.live[i] = aw.live[--aw.nlive];
			return;
		}
}

void *
__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : alloc_keep(__real_malloc(n));
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return alloc_fails() ? NULL : alloc_keep(__real_calloc(n, m));
}

void *
__wrap_realloc(void *p, size_t n)
{
	void *q;

	if (alloc_fails())
		return NULL;
	if ((q = __real_realloc(p, n)) != NULL) {
		alloc_forget(p);
		alloc_keep(q);
	}
	return q;
}

void
__wrap_free(void *p)
{
	alloc_forget(p);
	__real_free(p);
}

/* ------------------------------------------------------------ a scripted resolver */

/* How one side (UDP or TCP) of the scripted resolver answers. */
struct script {
	unsigned rcode;
	bool ad, tc;
	bool silent;              /* read the query, never answer */
	bool wrong_id;
	unsigned records;         /* records of the type asked for */
	bool aaaa_nodata;         /* AAAA: NODATA whatever else is said */
};

struct fake_dns;

/* One TCP connection to the scripted resolver. */
struct fake_conn {
	struct fake_dns *f;
	int fd;
	struct event *ev;
	unsigned char buf[2048];
	size_t have;
};

#define FAKE_CONNS 8

struct fake_dns {
	int udp, tcp;
	unsigned port;
	struct event *udp_ev, *tcp_ev;
	struct fake_conn conn[FAKE_CONNS];
	size_t nconn;
	struct script on_udp, on_tcp;
	int udp_queries, tcp_queries;
};

/* Appends one record of @p qtype, its owner a pointer to the question. */
static size_t
put_record(unsigned char *p, unsigned qtype, unsigned i)
{
	static const unsigned char mx[] = { 0, 10, 2, 'm', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l',
		'e', 3, 'o', 'r', 'g', 0 };
	unsigned char rdata[64] = { 0 };
	size_t len;

	switch (qtype) {
	case DNS_T_A:
		len = 4;
		rdata[0] = 192, rdata[2] = 2, rdata[3] = (unsigned char)(1 + i);
		break;
	case DNS_T_AAAA:
		len = 16;
		rdata[0] = 0x20, rdata[1] = 0x01, rdata[2] = 0x0d, rdata[3] = 0xb8;
		rdata[15] = (unsigned char)(1 + i);
		break;
	case DNS_T_MX:
		len = sizeof(mx);
		memcpy(rdata, mx, len);
		break;
	case DNS_T_TXT:           /* one record, two strings: "v=STS" "v1; id=a" */
		len = 15;
		memcpy(rdata, "\x05v=STS\x08v1; id=", 14);
		rdata[14] = (unsigned char)('a' + i);
		break;
	default:                  /* TLSA 3 1 1 */
		len = 35;
		rdata[0] = 3, rdata[1] = 1, rdata[2] = 1, rdata[3] = (unsigned char)i;
		break;
	}
	memcpy(p, "\xc0\x0c", 2);
	p[2] = (unsigned char)(qtype >> 8), p[3] = (unsigned char)qtype;
	memcpy(p + 4, "\x00\x01\x00\x00\x01\x2c", 6);          /* IN, TTL 300 */
	p[10] = 0, p[11] = (unsigned char)len;
	memcpy(p + 12, rdata, len);
	return 12 + len;
}

/* The reply to @p q (a query of @p len bytes) as @p sc says. @return its length. */
static size_t
make_reply(const struct script *sc, const unsigned char *q, size_t len, unsigned char *out)
{
	size_t qend = 12, n;
	unsigned qtype, records = sc->records;

	while (qend < len && q[qend] != 0)
		qend += 1 + q[qend];
	qend += 1 + 4;
	assert_true(qend <= len);
	qtype = (unsigned)q[qend - 4] << 8 | q[qend - 3];
	if (sc->aaaa_nodata && qtype == DNS_T_AAAA)
		records = 0;
	memcpy(out, q, qend);
	if (sc->wrong_id)
		out[1] ^= 0x55;
	out[2] = (unsigned char)(0x80 | (q[2] & 0x01) | (sc->tc ? 0x02 : 0));
	out[3] = (unsigned char)(0x80 | (sc->ad ? 0x20 : 0) | sc->rcode);
	memcpy(out + 4, "\x00\x01\x00\x00\x00\x00\x00\x00", 8);
	out[7] = (unsigned char)records;
	n = qend;
	for (unsigned i = 0; i < records; i++)
		n += put_record(out + n, qtype, i);
	return n;
}

static void
fake_udp(evutil_socket_t fd, short what, void *arg)
{
	struct fake_dns *f = arg;
	unsigned char q[1024], r[2048];
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);

	(void)what;
	if (n < 12)
		return;
	f->udp_queries++;
	if (!f->on_udp.silent)
		(void)sendto(fd, r, make_reply(&f->on_udp, q, (size_t)n, r), 0,
			(struct sockaddr *)&from, flen);
}

/* Reads a length-prefixed query; answers when it is whole. */
static void
fake_read(evutil_socket_t fd, short what, void *arg)
{
	struct fake_conn *c = arg;
	struct fake_dns *f = c->f;
	unsigned char r[2 + 2048];
	ssize_t n = recv(fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
	size_t need, len;

	(void)what;
	if (n <= 0) {
		event_del(c->ev);
		return;
	}
	c->have += (size_t)n;
	if (c->have < 2 || c->have < (need = 2 + ((size_t)c->buf[0] << 8 | c->buf[1])))
		return;
	f->tcp_queries++;
	c->have = 0;
	if (f->on_tcp.silent)
		return;
	len = make_reply(&f->on_tcp, c->buf + 2, need - 2, r + 2);
	r[0] = (unsigned char)(len >> 8), r[1] = (unsigned char)len;
	assert_int_equal(send(fd, r, 2 + len, 0), (ssize_t)(2 + len));
}

static void
fake_accept(evutil_socket_t fd, short what, void *arg)
{
	struct fake_dns *f = arg;
	struct fake_conn *c;
	int s = accept(fd, NULL, NULL);

	(void)what;
	if (s < 0)
		return;
	assert_true(f->nconn < FAKE_CONNS);
	c = &f->conn[f->nconn++];
	c->f = f;
	c->fd = s;
	c->ev = event_new(event_get_base(f->tcp_ev), s, EV_READ | EV_PERSIST, fake_read, c);
	assert_non_null(c->ev);
	event_add(c->ev, NULL);
}

/* UDP and TCP on one free port of 127.0.0.1. */
static void
fake_start(struct event_base *base, struct fake_dns *f)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->tcp = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->tcp >= 0);
	setsockopt(f->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(f->tcp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(f->tcp, 8), 0);
	assert_int_equal(getsockname(f->tcp, (struct sockaddr *)&sin, &len), 0);
	f->port = ntohs(sin.sin_port);
	f->udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(f->udp, (struct sockaddr *)&sin, sizeof(sin)), 0);
	f->udp_ev = event_new(base, f->udp, EV_READ | EV_PERSIST, fake_udp, f);
	f->tcp_ev = event_new(base, f->tcp, EV_READ | EV_PERSIST, fake_accept, f);
	assert_non_null(f->udp_ev);
	assert_non_null(f->tcp_ev);
	event_add(f->udp_ev, NULL);
	event_add(f->tcp_ev, NULL);
}

static void
fake_stop(struct fake_dns *f)
{
	event_free(f->udp_ev);
	event_free(f->tcp_ev);
	for (size_t i = 0; i < f->nconn; i++) {
		event_free(f->conn[i].ev);
		close(f->conn[i].fd);
	}
	close(f->udp);
	close(f->tcp);
}

/* What a lookup delivered. */
struct got {
	int calls, status;
	bool ad, via_tcp;
	int tcp_error;
	size_t n, dropped;
};

static void
got_tlsa(void *arg, int status, const struct sp_tlsaset *set)
{
	struct got *g = arg;

	g->calls++;
	g->status = status;
	g->ad = set->ad;
	g->via_tcp = set->via_tcp;
	g->tcp_error = set->tcp_error;
	g->n = set->n;
}

static void
got_mx(void *arg, int status, const struct sp_mxrecs *mx)
{
	struct got *g = arg;

	g->calls++;
	g->status = status;
	g->ad = mx->ad;
	g->n = mx->n;
}

static void
got_addrs(void *arg, int status, const struct sp_addrs *a)
{
	struct got *g = arg;

	g->calls++;
	g->status = status;
	g->ad = a->ad;
	g->n = a->n;
}

static void
got_txt(void *arg, int status, const struct sp_txtset *set)
{
	struct got *g = arg;

	g->calls++;
	g->status = status;
	g->n = set->n;
	g->dropped = set->dropped;
	/* The set lives for the call only: its text is checked here. */
	if (set->n > 0) {
		assert_int_equal(set->rec[0].len, 13);
		assert_string_equal(set->rec[0].txt, "v=STSv1; id=a");
	}
}

/* Runs the loop until @p g has its completion, or @p secs pass. */
static void
wait_for(struct event_base *base, const struct got *g, int secs)
{
	time_t end = time(NULL) + secs;

	while (g->calls == 0 && time(NULL) <= end) {
		struct timeval tick = { 0, 50000 };

		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
}

/* Runs the loop until the scripted resolver has read @p n TCP queries. */
static void
wait_tcp_queries(struct event_base *base, const struct fake_dns *f, int n)
{
	time_t end = time(NULL) + 10;

	while (f->tcp_queries < n && time(NULL) <= end) {
		struct timeval tick = { 0, 50000 };

		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	assert_int_equal(f->tcp_queries, n);
}

/* One TLSA lookup of mx.example.org:25 against @p f. */
static struct got
tlsa_case(struct event_base *base, struct fake_dns *f)
{
	struct sp_resolver *rs = sp_resolver_new(base, "127.0.0.1", f->port);
	struct got g = { 0 };

	assert_non_null(rs);
	assert_non_null(sp_resolve_tlsa(rs, "mx.example.org", 25, got_tlsa, &g));
	wait_for(base, &g, 10);
	assert_int_equal(g.calls, 1);
	sp_resolver_free(rs);
	assert_int_equal(g.calls, 1);
	return g;
}

/*
 * TXT records: each record's strings joined, at most SP_MAX_TXT kept and
 * the rest counted, NXDOMAIN and NODATA as such; one completion each.
 */
static void
txt_records(void **state)
{
	static const struct {
		struct script udp;
		int status;
		size_t n, dropped;
	} cases[] = {
		{ { .records = 2 }, 0, 2, 0 },
		{ { .records = SP_MAX_TXT + 2 }, 0, SP_MAX_TXT, 2 },
		{ { .records = 0 }, SP_DNS_NODATA, 0, 0 },
		{ { .rcode = 3 }, SP_DNS_NXDOMAIN, 0, 0 },
	};
	struct event_base *base = event_base_new();

	(void)state;
	assert_non_null(base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_dns f = { .on_udp = cases[i].udp, .on_tcp = { .silent = true } };
		struct sp_resolver *rs;
		struct got g = { 0 };

		fake_start(base, &f);
		assert_non_null(rs = sp_resolver_new(base, "127.0.0.1", f.port));
		assert_non_null(sp_resolve_txt(rs, "_mta-sts.example.org", got_txt, &g));
		wait_for(base, &g, 10);
		sp_resolver_free(rs);
		assert_int_equal(g.calls, 1);
		assert_int_equal(g.status, cases[i].status);
		assert_int_equal(g.n, cases[i].n);
		assert_int_equal(g.dropped, cases[i].dropped);
		assert_int_equal(f.tcp_queries, 0);
		fake_stop(&f);
	}
	event_base_free(base);
}

static void
tcp_reask(void **state)
{
	static const struct {
		const char *what;
		struct script udp, tcp;
		int status;
		bool ad, via_tcp;
		int tcp_error;
		size_t n, tcp_queries;
	} cases[] = {
		{ "secure answer over UDP: no TCP",
			{ .ad = true, .records = 2 }, { .silent = true },
			0, true, false, 0, 2, 0 },
		{ "insecure answer over UDP",
			{ .records = 1 }, { .silent = true }, 0, false, false, 0, 1, 0 },
		{ "NODATA: its AD bit from TCP",
			{ .ad = true }, { .ad = true }, SP_DNS_NODATA, true, true, 0, 0, 1 },
		{ "NODATA, insecure over TCP",
			{ .ad = true }, { 0 }, SP_DNS_NODATA, false, true, 0, 0, 1 },
		{ "NXDOMAIN: its AD bit from TCP",
			{ .rcode = 3 }, { .rcode = 3, .ad = true }, SP_DNS_NXDOMAIN, true, true, 0, 0, 1 },
		{ "TC over UDP, whole over TCP",
			{ .tc = true, .ad = true }, { .ad = true, .records = 4 }, 0, true, true, 0, 4, 1 },
		{ "SERVFAIL both ways",
			{ .rcode = 2 }, { .rcode = 2 }, SP_DNS_TEMPFAIL, false, true, 0, 0, 1 },
		{ "SERVFAIL over UDP, answered over TCP",
			{ .rcode = 2 }, { .ad = true, .records = 1 }, 0, true, true, 0, 1, 1 },
		{ "a TCP reply to another id: udns's answer stands",
			{ .ad = true }, { .ad = true, .wrong_id = true, .records = 1 },
			SP_DNS_NODATA, false, false, EBADMSG, 0, 1 },
		{ "REFUSED over TCP is a failure, not a denial",
			{ .ad = true }, { .rcode = 5, .ad = true }, SP_DNS_TEMPFAIL, false, true, 0, 0, 1 },
	};
	struct event_base *base = event_base_new();

	(void)state;
	assert_non_null(base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_dns f = { .on_udp = cases[i].udp, .on_tcp = cases[i].tcp };
		struct got g;

		fake_start(base, &f);
		g = tlsa_case(base, &f);
		if (g.status != cases[i].status || g.ad != cases[i].ad ||
		    g.via_tcp != cases[i].via_tcp || g.tcp_error != cases[i].tcp_error ||
		    g.n != cases[i].n || (size_t)f.tcp_queries != cases[i].tcp_queries)
			fail_msg("%s: status %d ad %d tcp %d err %d n %zu tcpq %d", cases[i].what,
				g.status, g.ad, g.via_tcp, g.tcp_error, g.n, f.tcp_queries);
		fake_stop(&f);
	}
	/* Nothing is left to keep the loop running. */
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}

/* MX and addresses with the DO bit: AD of answers and of an MX denial. */
static void
dnssec_mx_addrs(void **state)
{
	struct event_base *base = event_base_new();
	struct fake_dns f = { 0 };
	struct sp_resolver *rs;
	struct got g = { 0 };

	(void)state;
	fake_start(base, &f);
	assert_non_null(rs = sp_resolver_new(base, "127.0.0.1", f.port));

	f.on_udp = (struct script){ .ad = true, .records = 2 };
	assert_non_null(sp_resolve_mx_dnssec(rs, "example.org", got_mx, &g));
	wait_for(base, &g, 10);
	assert_true(g.calls == 1 && g.status == 0 && g.ad && g.n == 1);

	/* A denial of MX: asked again over TCP for its AD bit. */
	memset(&g, 0, sizeof(g));
	f.on_udp = (struct script){ .rcode = 3 };
	f.on_tcp = (struct script){ .rcode = 3, .ad = true };
	assert_non_null(sp_resolve_mx_dnssec(rs, "example.org", got_mx, &g));
	wait_for(base, &g, 10);
	assert_true(g.calls == 1 && g.status == SP_DNS_NXDOMAIN && g.ad);
	assert_int_equal(f.tcp_queries, 1);

	/* Secure A, no AAAA: the addresses are secure, the denial not asked. */
	memset(&g, 0, sizeof(g));
	f.on_udp = (struct script){ .ad = true, .records = 1, .aaaa_nodata = true };
	assert_non_null(sp_resolve_addrs_dnssec(rs, "mx.example.org", SMTPPROBE_FAMILY_ANY,
		got_addrs, &g));
	wait_for(base, &g, 10);
	assert_true(g.calls == 1 && g.status == 0 && g.ad && g.n == 1);
	assert_int_equal(f.tcp_queries, 1);

	/* Both answered, without AD. */
	memset(&g, 0, sizeof(g));
	f.on_udp = (struct script){ .records = 1 };
	assert_non_null(sp_resolve_addrs_dnssec(rs, "mx.example.org", SMTPPROBE_FAMILY_ANY,
		got_addrs, &g));
	wait_for(base, &g, 10);
	assert_true(g.calls == 1 && g.status == 0 && !g.ad && g.n == 2);

	/* The plain lookups never claim AD, whatever the resolver says. */
	memset(&g, 0, sizeof(g));
	f.on_udp = (struct script){ .ad = true, .records = 1 };
	assert_non_null(sp_resolve_addrs(rs, "mx.example.org", SMTPPROBE_FAMILY_IPV4, true,
		got_addrs, &g));
	wait_for(base, &g, 10);
	assert_true(g.calls == 1 && g.status == 0 && !g.ad);

	sp_resolver_free(rs);
	fake_stop(&f);
	event_base_free(base);
}

/*
 * A TCP resolver that reads and never answers: the deadline (the
 * resolver's timeout, 1 s here through $RES_OPTIONS, which also gives the
 * port: no server is named, as without --dns-server), and cancel or free
 * while the exchange is out: one completion each, nothing left behind.
 */
static void
tcp_silent(void **state)
{
	struct event_base *base = event_base_new();
	struct fake_dns f = { .on_udp = { .ad = true }, .on_tcp = { .silent = true } };
	struct sp_resolver *rs;
	struct got g = { 0 }, g2 = { 0 };
	struct sp_query *q;
	char opts[64];
	time_t t0;

	(void)state;
	fake_start(base, &f);
	snprintf(opts, sizeof(opts), "port:%u timeout:1", f.port);
	setenv("NAMESERVERS", "127.0.0.1", 1);
	setenv("RES_OPTIONS", opts, 1);
	rs = sp_resolver_new(base, NULL, 0);
	unsetenv("NAMESERVERS");
	unsetenv("RES_OPTIONS");
	assert_non_null(rs);

	t0 = time(NULL);
	assert_non_null(sp_resolve_tlsa(rs, "mx.example.org", 25, got_tlsa, &g));
	wait_for(base, &g, 10);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.status, SP_DNS_NODATA);
	assert_int_equal(g.tcp_error, ETIMEDOUT);
	assert_false(g.ad);
	assert_true(time(NULL) - t0 <= 3);
	assert_int_equal(f.tcp_queries, 1);

	/* Cancelled while the TCP query is out. */
	memset(&g, 0, sizeof(g));
	assert_non_null(q = sp_resolve_tlsa(rs, "mx.example.org", 25, got_tlsa, &g));
	wait_tcp_queries(base, &f, 2);
	sp_query_cancel(rs, q);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.status, SP_DNS_CANCELLED);

	/* The resolver freed while the TCP query is out. */
	memset(&g, 0, sizeof(g));
	assert_non_null(sp_resolve_tlsa(rs, "mx.example.org", 25, got_tlsa, &g));
	assert_non_null(sp_resolve_mx_dnssec(rs, "example.org", got_mx, &g2));
	wait_tcp_queries(base, &f, 4);
	sp_resolver_free(rs);
	assert_true(g.calls == 1 && g.status == SP_DNS_CANCELLED && g.n == 0);
	assert_true(g2.calls == 1 && g2.status == SP_DNS_CANCELLED);

	fake_stop(&f);
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
}

/*
 * The TLSA path (udns NODATA, then the TCP re-ask answering two records)
 * with our Nth allocation failed, for every N until none fails: either
 * no query (ENOMEM, no callback), or exactly one completion whose status
 * says what was lost, and every block freed.
 */
static void
tlsa_out_of_memory(void **state)
{
	struct event_base *base = event_base_new();
	struct fake_dns f = { .on_udp = { .ad = true }, .on_tcp = { .ad = true, .records = 2 } };
	int refused = 0, no_tcp = 0, no_parse = 0, whole = 0;
	bool done = false;

	(void)state;
	fake_start(base, &f);
	for (unsigned long n = 1; !done; n++) {
		struct sp_resolver *rs = sp_resolver_new(base, "127.0.0.1", f.port);
		struct got g = { 0 };
		struct sp_query *q;

		assert_non_null(rs);
		aw = (struct alloc_watch){ .counting = true, .fail_at = n };
		errno = 0;
		if ((q = sp_resolve_tlsa(rs, "mx.example.org", 25, got_tlsa, &g)) == NULL) {
			assert_int_equal(errno, ENOMEM);
			refused++;
		} else {
			wait_for(base, &g, 10);
			assert_int_equal(g.calls, 1);
			if (g.status == 0) {
				assert_true(g.n == 2 && g.ad && g.via_tcp);
				whole++;
			} else if (g.status == SP_DNS_NODATA) {
				assert_int_equal(g.tcp_error, ENOMEM);  /* the exchange */
				no_tcp++;
			} else {
				assert_int_equal(g.status, -5);       /* DNS_E_NOMEM: a parser */
				no_parse++;
			}
		}
		done = aw.n < aw.fail_at;             /* nothing failed: all walked */
		aw.counting = false;
		sp_resolver_free(rs);
		assert_int_equal(g.calls, q == NULL ? 0 : 1);
		assert_int_equal(aw.nlive, 0);
	}
	/* The query and its set; the TCP exchange; the AD wrapper and the
	 * TLSA parser; then nothing fails. */
	assert_int_equal(refused, 2);
	assert_int_equal(no_tcp, 1);
	assert_int_equal(no_parse, 2);
	assert_int_equal(whole, 1);
	fake_stop(&f);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hostnames),
		cmocka_unit_test(literals),
		cmocka_unit_test(hosts_file),
		cmocka_unit_test(one_completion_each),
		cmocka_unit_test(txt_records),
		cmocka_unit_test(tcp_reask),
		cmocka_unit_test(dnssec_mx_addrs),
		cmocka_unit_test(tcp_silent),
		cmocka_unit_test(tlsa_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
