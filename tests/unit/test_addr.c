/* SPDX-License-Identifier: MIT */
/*
 * test_addr.c - lib/addr.c: IPv4 and IPv6 addresses to text and to RFC
 * 5321 address literals, ports both ways, lengths and sameness; other
 * families and buffers too small are refused, never written past or cut.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "addr.h"

/* ------------------------------------------------------------ helpers */

/* @return @p text (IPv4 or IPv6) with @p port as a sockaddr_storage. */
static struct sockaddr_storage
ip(const char *text, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
	}
	return ss;
}

static struct sockaddr_storage
other_family(sa_family_t family)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = family;
	return ss;
}

static void
check_text(const char *in, const char *want)
{
	struct sockaddr_storage ss = ip(in, 25);
	char buf[INET6_ADDRSTRLEN];

	assert_ptr_equal(sp_addr_text(&ss, buf, sizeof(buf)), buf);
	assert_string_equal(buf, want);
}

static void
check_literal(const char *in, const char *want)
{
	struct sockaddr_storage ss = ip(in, 25);
	char buf[64];

	assert_ptr_equal(sp_addr_literal(&ss, buf, sizeof(buf)), buf);
	assert_string_equal(buf, want);
}

/* ------------------------------------------------------------ text */

static void
test_text(void **state)
{
	(void)state;
	check_text("192.0.2.1", "192.0.2.1");
	check_text("0.0.0.0", "0.0.0.0");
	check_text("255.255.255.255", "255.255.255.255");
	check_text("2001:db8::1", "2001:db8::1");
	check_text("2001:0DB8:0:0:0:0:0:1", "2001:db8::1");
	check_text("::1", "::1");
	check_text("::ffff:192.0.2.1", "::ffff:192.0.2.1");
	check_text("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* The port is no part of the text. */
static void
test_text_no_port(void **state)
{
	struct sockaddr_storage ss = ip("198.51.100.7", 2525);
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	assert_non_null(sp_addr_text(&ss, buf, sizeof(buf)));
	assert_string_equal(buf, "198.51.100.7");
}

/* Another family, or no room: NULL and an empty string, nothing past @p len. */
static void
test_text_refused(void **state)
{
	struct sockaddr_storage ss = ip("192.0.2.123", 25), un = other_family(AF_UNIX),
		none = other_family(AF_UNSPEC);
	char buf[16];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_null(sp_addr_text(&un, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	assert_null(sp_addr_text(&none, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	memset(buf, 'x', sizeof(buf));
	assert_null(sp_addr_text(&ss, buf, 11)); /* "192.0.2.123" needs 12 */
	assert_string_equal(buf, "");
	assert_int_equal(buf[11], 'x');
	assert_non_null(sp_addr_text(&ss, buf, 12));
	assert_string_equal(buf, "192.0.2.123");
	memset(buf, 'x', sizeof(buf));
	assert_null(sp_addr_text(&ss, buf, 0));
	assert_int_equal(buf[0], 'x');
}

/* ------------------------------------------------------------ literals */

static void
test_literal(void **state)
{
	(void)state;
	check_literal("192.0.2.1", "[192.0.2.1]");
	check_literal("2001:db8::25", "[IPv6:2001:db8::25]");
	check_literal("::1", "[IPv6:::1]");
	check_literal("::ffff:192.0.2.1", "[IPv6:::ffff:192.0.2.1]");
}

/* A cut literal would name another address: none at all instead. */
static void
test_literal_refused(void **state)
{
	struct sockaddr_storage v4 = ip("192.0.2.1", 25), v6 = ip("2001:db8::1", 25),
		un = other_family(AF_UNIX);
	char buf[32];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_null(sp_addr_literal(&v4, buf, 11)); /* "[192.0.2.1]" needs 12 */
	assert_string_equal(buf, "");
	assert_non_null(sp_addr_literal(&v4, buf, 12));
	assert_string_equal(buf, "[192.0.2.1]");
	assert_null(sp_addr_literal(&v6, buf, 18)); /* "[IPv6:2001:db8::1]" needs 19 */
	assert_string_equal(buf, "");
	assert_non_null(sp_addr_literal(&v6, buf, 19));
	assert_null(sp_addr_literal(&un, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	memset(buf, 'x', sizeof(buf));
	assert_null(sp_addr_literal(&v4, buf, 0));
	assert_int_equal(buf[0], 'x');
}

/* ------------------------------------------------------------ ports, lengths */

static void
test_port(void **state)
{
	static const unsigned ports[] = { 0, 25, 465, 587, 2525, 65535 };

	(void)state;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct sockaddr_storage v4 = ip("192.0.2.1", 1), v6 = ip("2001:db8::1", 1);

		sp_addr_set_port(&v4, ports[i]);
		sp_addr_set_port(&v6, ports[i]);
		assert_int_equal(sp_addr_port(&v4), ports[i]);
		assert_int_equal(sp_addr_port(&v6), ports[i]);
		/* In network order in the structure, as connect() wants it. */
		assert_int_equal(((struct sockaddr_in *)&v4)->sin_port, htons((uint16_t)ports[i]));
		assert_int_equal(((struct sockaddr_in6 *)&v6)->sin6_port, htons((uint16_t)ports[i]));
	}
}

/* Setting a port changes the port alone. */
static void
test_set_port_keeps_address(void **state)
{
	struct sockaddr_storage ss = ip("2001:db8::abcd", 25), before;
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	before = ss;
	sp_addr_set_port(&ss, 587);
	assert_true(sp_addr_same(&ss, &before));
	assert_non_null(sp_addr_text(&ss, buf, sizeof(buf)));
	assert_string_equal(buf, "2001:db8::abcd");
}

/* Another family: no port to read, none written. */
static void
test_port_other_family(void **state)
{
	struct sockaddr_storage un = other_family(AF_UNIX), copy;

	(void)state;
	memset((char *)&un + sizeof(sa_family_t), 0x5a, sizeof(un) - sizeof(sa_family_t));
	copy = un;
	sp_addr_set_port(&un, 25);
	assert_memory_equal(&un, &copy, sizeof(un));
	assert_int_equal(sp_addr_port(&un), 0);
}

static void
test_len(void **state)
{
	struct sockaddr_storage v4 = ip("192.0.2.1", 25), v6 = ip("::1", 25),
		un = other_family(AF_UNIX), none = other_family(AF_UNSPEC);

	(void)state;
	assert_int_equal(sp_addr_len(&v4), sizeof(struct sockaddr_in));
	assert_int_equal(sp_addr_len(&v6), sizeof(struct sockaddr_in6));
	assert_int_equal(sp_addr_len(&un), 0);
	assert_int_equal(sp_addr_len(&none), 0);
}

/* ------------------------------------------------------------ sameness */

static void
test_same(void **state)
{
	struct sockaddr_storage a = ip("192.0.2.1", 25), b = ip("192.0.2.1", 587),
		c = ip("192.0.2.2", 25), d = ip("2001:db8::1", 25), e = ip("2001:db8::1", 0),
		mapped = ip("::ffff:192.0.2.1", 25), none = other_family(AF_UNSPEC);

	(void)state;
	assert_true(sp_addr_same(&a, &b));     /* ports aside */
	assert_false(sp_addr_same(&a, &c));
	assert_true(sp_addr_same(&d, &e));
	assert_false(sp_addr_same(&a, &d));
	assert_false(sp_addr_same(&a, &mapped)); /* another family, though it maps */
	assert_false(sp_addr_same(&none, &none));
}

/* The address alone: an IPv6 scope or flow label is not the address. */
static void
test_same_ignores_scope(void **state)
{
	struct sockaddr_storage a = ip("fe80::1", 25), b = ip("fe80::1", 25);

	(void)state;
	((struct sockaddr_in6 *)&b)->sin6_scope_id = 2;
	((struct sockaddr_in6 *)&b)->sin6_flowinfo = htonl(7);
	assert_true(sp_addr_same(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_no_port),
		cmocka_unit_test(test_text_refused),
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_literal_refused),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_set_port_keeps_address),
		cmocka_unit_test(test_port_other_family),
		cmocka_unit_test(test_len),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_same_ignores_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
