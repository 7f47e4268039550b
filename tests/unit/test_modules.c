/* SPDX-License-Identifier: MIT */
/*
 * test_modules.c - smtp_probe_exporter's pure parts: ini sections into
 * modules (plugin/modules.c), allow-target globs and CIDRs, the target
 * parameter, and /probe's query string (plugin/expquery.c).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../plugin/expquery.h"
#include "../../plugin/modules.h"

/* ------------------------------------------------------------ allow-target */

static struct sp_allow
allow_of(const char *const *values, size_t n)
{
	struct sp_allow a = { { NULL, 0, 0 }, NULL, 0 };
	char err[200];

	for (size_t i = 0; i < n; i++)
		if (sp_allow_add(&a, values[i], err, sizeof(err)) != 0)
			fail_msg("allow-target \"%s\" refused: %s", values[i], err);
	return a;
}

static void
test_allow_cidr(void **state)
{
	static const char *const v[] = { "192.0.2.0/24", "10.0.0.0/7", "198.51.100.7",
		"2001:db8::/33" };
	struct sp_allow a = allow_of(v, 4);

	(void)state;
	assert_true(sp_allow_match(&a, "192.0.2.1"));
	assert_true(sp_allow_match(&a, "192.0.2.255"));
	assert_false(sp_allow_match(&a, "192.0.3.1"));
	assert_true(sp_allow_match(&a, "11.255.255.255")); /* /7 takes 10 and 11 */
	assert_false(sp_allow_match(&a, "12.0.0.0"));
	assert_true(sp_allow_match(&a, "198.51.100.7"));
	assert_false(sp_allow_match(&a, "198.51.100.8"));
	assert_true(sp_allow_match(&a, "2001:db8:7fff::1"));
	assert_false(sp_allow_match(&a, "2001:db8:8000::1"));
	/* The IPv4 address an IPv4-mapped literal dials */
	assert_true(sp_allow_match(&a, "::ffff:192.0.2.9"));
	assert_false(sp_allow_match(&a, "::ffff:203.0.113.1"));
	/* No glob: names are not admitted by CIDRs */
	assert_false(sp_allow_match(&a, "mx.example.org"));
	sp_allow_free(&a);
}

static void
test_allow_zero_prefix(void **state)
{
	static const char *const v[] = { "0.0.0.0/0" };
	struct sp_allow a = allow_of(v, 1);

	(void)state;
	assert_true(sp_allow_match(&a, "203.0.113.9"));
	assert_false(sp_allow_match(&a, "2001:db8::1")); /* another family */
	sp_allow_free(&a);
}

static void
test_allow_glob(void **state)
{
	static const char *const v[] = { "*.example.org", "mx?.example.net" };
	struct sp_allow a = allow_of(v, 2);

	(void)state;
	assert_true(sp_allow_match(&a, "mx.example.org"));
	assert_true(sp_allow_match(&a, "MX.Example.ORG"));    /* FNM_CASEFOLD */
	assert_true(sp_allow_match(&a, "a.b.example.org"));
	assert_false(sp_allow_match(&a, "example.org"));
	assert_false(sp_allow_match(&a, "mx.example.org.evil.test"));
	assert_true(sp_allow_match(&a, "mx1.example.net"));
	assert_false(sp_allow_match(&a, "mx12.example.net"));
	sp_allow_free(&a);
}

static void
test_allow_star_admits_no_literal(void **state)
{
	static const char *const v[] = { "*" };
	struct sp_allow a = allow_of(v, 1);

	(void)state;
	assert_true(sp_allow_match(&a, "anything.example"));
	assert_false(sp_allow_match(&a, "127.0.0.1"));
	assert_false(sp_allow_match(&a, "::1"));
	sp_allow_free(&a);
}

static void
test_allow_empty_admits_nothing(void **state)
{
	struct sp_allow a = { { NULL, 0, 0 }, NULL, 0 };

	(void)state;
	assert_false(sp_allow_match(&a, "127.0.0.1"));
	assert_false(sp_allow_match(&a, "mx.example.org"));
}

static void
test_allow_refused(void **state)
{
	static const char *const bad[] = { "", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/-1",
		"10.0.0.0/8x", "host/8", "a b", "mx.example.org;", "%", "*.exa\nmple" };
	struct sp_allow a = { { NULL, 0, 0 }, NULL, 0 };
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sp_allow_add(&a, bad[i], err, sizeof(err)) != -1)
			fail_msg("allow-target \"%s\" accepted", bad[i]);
	assert_int_equal(a.globs.n, 0);
	assert_int_equal(a.ncidrs, 0);
	sp_allow_free(&a);
}

/* ------------------------------------------------------------ target */

static void
target_ok(const char *target, const char *host, unsigned port)
{
	char h[SP_TARGET_HOST_MAX + 1], err[200];
	unsigned p = 99;

	if (sp_target_parse(target, h, sizeof(h), &p, err, sizeof(err)) != 0)
		fail_msg("target \"%s\" refused: %s", target, err);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
}

static void
test_target_good(void **state)
{
	(void)state;
	target_ok("mx.example.org", "mx.example.org", 0);
	target_ok("mx.example.org:2525", "mx.example.org", 2525);
	target_ok("192.0.2.1:25", "192.0.2.1", 25);
	target_ok("[2001:db8::1]:587", "2001:db8::1", 587);
	target_ok("[2001:db8::1]", "2001:db8::1", 0);
	target_ok("2001:db8::1", "2001:db8::1", 0);
	target_ok("_dmarc-host.example", "_dmarc-host.example", 0);
	target_ok("h:65535", "h", 65535);
}

static void
test_target_bad(void **state)
{
	char long_name[300];
	static const char *const bad[] = {
		"", "a b", "host\r\n", "host\n", "-oops", ".dot", "mx.example.org:", "mx:0",
		"mx:65536", "mx:+25", "mx:2 5", "mx:025x", "[mx.example.org]", "[2001:db8::1]x",
		"[2001:db8::1", "2001:db8::zz", "host/path", "user@host", "ho\"st", "h:1:2x",
		"h\x7f", "h\xc3\xa9",
	};
	char h[SP_TARGET_HOST_MAX + 1], err[200];
	unsigned p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sp_target_parse(bad[i], h, sizeof(h), &p, err, sizeof(err)) != -1)
			fail_msg("target \"%s\" accepted", bad[i]);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(sp_target_parse(long_name, h, sizeof(h), &p, err, sizeof(err)), -1);
	long_name[SP_TARGET_HOST_MAX] = '\0'; /* 253: the most a name may be */
	assert_int_equal(sp_target_parse(long_name, h, sizeof(h), &p, err, sizeof(err)), 0);
}

/* ------------------------------------------------------------ modules */

struct ini {
	struct sp_ini_section s[4];
	size_t n;
};

/* A section of "--key[=value]" strings, NULL-ended. */
static void
section(struct ini *ini, const char *name, ...)
{
	struct sp_ini_section *s = &ini->s[ini->n++];
	va_list ap;
	const char *a;

	s->name = strdup(name);
	memset(&s->opts, 0, sizeof(s->opts));
	va_start(ap, name);
	while ((a = va_arg(ap, const char *)) != NULL)
		assert_int_equal(sp_strlist_add_copy(&s->opts, a), 0);
	va_end(ap);
}

static void
ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->s[i].name);
		sp_strlist_free(&ini->s[i].opts, true);
	}
	ini->n = 0;
}

static void
test_modules_split(void **state)
{
	struct ini ini = { .n = 0 };
	struct sp_modules mods;
	const struct sp_module *m;
	char err[300];

	(void)state;
	section(&ini, "smtp", "--starttls", "--from=a@b.example", "--allow-target=*.example.org",
		"--allow-target=10.0.0.0/8", NULL);
	section(&ini, "mx_check", "--mx", "--timeout=5", NULL);
	assert_int_equal(sp_modules_from_ini(ini.s, ini.n, &mods, err, sizeof(err)), 0);
	assert_int_equal(mods.n, 2);
	m = sp_modules_find(&mods, "smtp");
	assert_non_null(m);
	assert_false(m->mx);
	assert_int_equal(m->args.n, 2);
	assert_string_equal(m->args.v[0], "--starttls");
	assert_string_equal(m->args.v[1], "--from=a@b.example");
	assert_int_equal(m->allow.globs.n, 1);
	assert_int_equal(m->allow.ncidrs, 1);
	m = sp_modules_find(&mods, "mx_check");
	assert_non_null(m);
	assert_true(m->mx);
	assert_int_equal(m->args.n, 1);
	assert_int_equal(m->allow.globs.n + m->allow.ncidrs, 0);
	assert_null(sp_modules_find(&mods, "nope"));
	sp_modules_free(&mods);
	ini_free(&ini);
}

/* The first module of one section fails with @p why in the message. */
static void
module_refused(const char *name, const char *arg, const char *why)
{
	struct ini ini = { .n = 0 };
	struct sp_modules mods;
	char err[300];

	section(&ini, name, "--starttls", arg, NULL);
	if (sp_modules_from_ini(ini.s, ini.n, &mods, err, sizeof(err)) != -1)
		fail_msg("module [%s] with %s accepted", name, arg);
	if (strstr(err, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err, why);
	assert_null(mods.v);
	assert_int_equal(mods.n, 0);
	ini_free(&ini);
}

static void
test_modules_refused(void **state)
{
	(void)state;
	module_refused("m", "--hostname=evil.example", "\"hostname\" is not allowed");
	module_refused("m", "--host=evil.example", "\"host\" is not allowed"); /* getopt's abbreviation */
	module_refused("m", "--output=json", "\"output\" is not allowed");
	module_refused("m", "--out=json", "\"out\" is not allowed");
	module_refused("m", "--transcript=/tmp/x", "\"transcript\" is not allowed");
	module_refused("m", "--verbose", "\"verbose\" is not allowed");
	module_refused("m", "--extra-opts=x@/etc/passwd", "\"extra-opts\" is not allowed");
	module_refused("m", "--mx=example.org", "mx takes no value");
	module_refused("m", "--allow-target=10.0.0.0/40", "not an address/prefix");
	module_refused("m", "--allow-target", "empty");
	module_refused("bad name", "--tls", "a name is");
	module_refused("", "--tls", "a name is");
}

/* ------------------------------------------------------------ query string */

static void
query_ok(const char *query, const char *target, const char *module)
{
	struct sp_query q;
	char err[200];

	if (sp_query_parse(query, &q, err, sizeof(err)) != 0)
		fail_msg("query \"%s\" refused: %s", query, err);
	assert_string_equal(q.target, target);
	assert_string_equal(q.module, module);
}

static void
test_query(void **state)
{
	static const char *const bad[] = {
		"target=mx", "module=smtp", "", "target=a&target=b&module=m",
		"target=a&module=m&module=n", "target=host%00.evil&module=m",
		"target=a&module=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct sp_query q;
	char err[200];

	(void)state;
	query_ok("target=mx.example.org:25&module=smtp", "mx.example.org:25", "smtp");
	query_ok("module=smtp&target=%5B2001%3Adb8%3A%3A1%5D%3A25", "[2001:db8::1]:25", "smtp");
	query_ok("target=a+b&module=smtp&debug=1", "a b", "smtp"); /* '+' decoded; the target check refuses it */
	query_ok("target=h%0D%0A&module=m", "h\r\n", "m");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sp_query_parse(bad[i], &q, err, sizeof(err)) != -1)
			fail_msg("query \"%s\" accepted", bad[i]);
	assert_int_equal(sp_query_parse(NULL, &q, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_cidr),
		cmocka_unit_test(test_allow_zero_prefix),
		cmocka_unit_test(test_allow_glob),
		cmocka_unit_test(test_allow_star_admits_no_literal),
		cmocka_unit_test(test_allow_empty_admits_nothing),
		cmocka_unit_test(test_allow_refused),
		cmocka_unit_test(test_target_good),
		cmocka_unit_test(test_target_bad),
		cmocka_unit_test(test_modules_split),
		cmocka_unit_test(test_modules_refused),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests_name("modules", tests, NULL, NULL);
}
