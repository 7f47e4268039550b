/* SPDX-License-Identifier: MIT */
/*
 * test_resconf.c - the resolver udns asks, found again as udns 0.4's
 * dns_init() finds it: the first nameserver that parses, the environment
 * before the file, the port of "options port:N" and $RES_OPTIONS, and
 * 127.0.0.1 when nothing names a server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "resconf.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void
table(void **state)
{
	static const struct {
		const char *conf;
		struct sp_resconf_env env;
		const char *addr;
		unsigned port;
	} cases[] = {
		{ "nameserver 192.0.2.53\n", { 0 }, "192.0.2.53", 53 },
		{ "nameserver 192.0.2.1\nnameserver 192.0.2.2\n", { 0 }, "192.0.2.1", 53 },
		{ "nameserver\t2001:db8::53\r\n", { 0 }, "2001:db8::53", 53 },
		/* A line udns cannot use is skipped, the next one counts. */
		{ "nameserver bogus\nnameserver 192.0.2.2\n", { 0 }, "192.0.2.2", 53 },
		/* Only the first word after the keyword is read. */
		{ "nameserver bogus 192.0.2.9\n", { 0 }, "127.0.0.1", 53 },
		/* Keywords at the start of the line only; no comments are special. */
		{ " nameserver 192.0.2.1\n#nameserver 192.0.2.2\n", { 0 }, "127.0.0.1", 53 },
		{ "search example.org\ndomain example.org\n", { 0 }, "127.0.0.1", 53 },
		{ "", { 0 }, "127.0.0.1", 53 },
		{ NULL, { 0 }, "127.0.0.1", 53 },
		{ "nameserver 192.0.2.1", { 0 }, "192.0.2.1", 53 },   /* no final newline */
		{ "nameserver 192.0.2.1\noptions ndots:2 port:5353 edns0\n", { 0 }, "192.0.2.1", 5353 },
		{ "options port=54\nnameserver 192.0.2.1\n", { 0 }, "192.0.2.1", 54 },
		{ "options port:0\n", { 0 }, "127.0.0.1", 1 },
		{ "options port:99999999999\n", { 0 }, "127.0.0.1", 65535 },
		{ "options port:x portx:7 port\n", { 0 }, "127.0.0.1", 53 },
		/* The environment: $NSCACHEIP, else $NAMESERVERS, replace the file. */
		{ "nameserver 192.0.2.1\n", { "192.0.2.7 192.0.2.8", NULL, NULL }, "192.0.2.7", 53 },
		{ "nameserver 192.0.2.1\n", { NULL, "bad 192.0.2.8", NULL }, "192.0.2.8", 53 },
		{ "nameserver 192.0.2.1\n", { "192.0.2.7", "192.0.2.8", NULL }, "192.0.2.7", 53 },
		{ "nameserver 192.0.2.1\n", { "nothing", NULL, NULL }, "127.0.0.1", 53 },
		{ "nameserver 192.0.2.1\n", { "", NULL, NULL }, "127.0.0.1", 53 },
		{ "nameserver 192.0.2.1\noptions port:54\n", { NULL, NULL, "timeout:1 port:55" },
			"192.0.2.1", 55 },
		{ "nameserver 192.0.2.1\noptions port:54\n", { NULL, NULL, "timeout:1" },
			"192.0.2.1", 54 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char addr[64];
		unsigned port = 0;

		memset(addr, 'x', sizeof(addr));
		assert_int_equal(sp_resconf_server(cases[i].conf, &cases[i].env, addr, sizeof(addr),
			&port), 0);
		if (strcmp(addr, cases[i].addr) != 0 || port != cases[i].port)
			fail_msg("case %zu: got %s port %u, want %s port %u", i, addr, port,
				cases[i].addr, cases[i].port);
	}
}

static void
small_buffer(void **state)
{
	struct sp_resconf_env env = { 0 };
	char addr[10];
	unsigned port;

	(void)state;
	assert_int_equal(sp_resconf_server("nameserver 2001:db8::53\n", &env, addr, sizeof(addr),
		&port), -1);
	assert_int_equal(sp_resconf_server("nameserver 192.0.2.1\n", &env, addr, 10, &port), 0);
	assert_int_equal(sp_resconf_server("nameserver 192.0.2.10\n", &env, addr, 10, &port), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
