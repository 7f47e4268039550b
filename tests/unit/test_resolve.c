/* SPDX-License-Identifier: MIT */
/*
 * test_resolve.c - the resolver's own rules: which names from the network
 * count as host names, IP literals, the hosts file, and exactly one
 * completion for every lookup of every type, also when it is cancelled or
 * its resolver is freed while the query is still out (to a resolver that
 * never answers: a bound UDP socket nobody reads).
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <event2/event.h>

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
	int addrs, mx, names, last_status;
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

	(void)state;
	assert_non_null(base);
	assert_non_null(rs = sp_resolver_new(base, "127.0.0.1", port));
	sin.sin_addr.s_addr = htonl(0x7f000002);

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
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(c.mx + c.addrs + c.names, 1);
	sp_resolver_free(rs);
	assert_int_equal(c.mx, 2);
	assert_int_equal(c.addrs, 2);
	assert_int_equal(c.names, 1);
	assert_int_equal(c.last_status, SP_DNS_CANCELLED);

	/* Nothing of the resolver is left to keep the loop running. */
	assert_int_equal(event_base_loop(base, EVLOOP_NONBLOCK), 1);
	event_base_free(base);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hostnames),
		cmocka_unit_test(literals),
		cmocka_unit_test(hosts_file),
		cmocka_unit_test(one_completion_each),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
