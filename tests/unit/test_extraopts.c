/* SPDX-License-Identifier: MIT */
/*
 * test_extraopts.c - plugin/extraopts.c: ini sections read as options, and
 * the argument vector with them before the command line.
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../plugin/extraopts.h"

static const char ini_text[] =
	"; monitoring-plugins ini\n"
	"port=1\n"
	"[other]\n"
	"port=2\n"
	"\n"
	"[check_smtp_probe]\n"
	"  hostname = ini.example.org  \n"
	"port=2525\n"
	"# a comment\n"
	"lmtp\n"
	"authpass=ini#secret;x\n"
	"\n"
	"[special]\n"
	"hostname=special.example.org\n"
	"[ check_smtp_probe ]\n"
	"verbose\n";

static void
temp_text(char path[64], const char *text)
{
	int fd;

	strcpy(path, "/tmp/test_extraopts.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* The list holds exactly the strings given, in order. */
static void
check_list(const struct sp_strlist *l, const char *const *want, size_t n)
{
	if (l->n != n)
		fail_msg("%zu entries, want %zu", l->n, n);
	for (size_t i = 0; i < n; i++)
		if ((want[i] == NULL) != (l->v[i] == NULL) ||
		    (want[i] != NULL && strcmp(want[i], l->v[i]) != 0))
			fail_msg("entry %zu is \"%s\", want \"%s\"", i, l->v[i] ? l->v[i] : "(null)",
				want[i] ? want[i] : "(null)");
}

#define CHECK_LIST(l, ...) do { \
	const char *const w_[] = { __VA_ARGS__ }; \
	check_list((l), w_, sizeof w_ / sizeof w_[0]); \
} while (0)

static void
test_sections(void **state)
{
	struct sp_strlist ini = { NULL, 0, 0 };
	char path[64], loc[160], err[256];

	(void)state;
	temp_text(path, ini_text);
	snprintf(loc, sizeof loc, "@%s", path);
	assert_int_equal(sp_extraopts_load(loc, &ini, err, sizeof err), 0);
	/* the default section, both of its parts; '#' and ';' inside a value stay */
	CHECK_LIST(&ini, "--hostname=ini.example.org", "--port=2525", "--lmtp",
		"--authpass=ini#secret;x", "--verbose");
	snprintf(loc, sizeof loc, "other@%s", path);
	assert_int_equal(sp_extraopts_load(loc, &ini, err, sizeof err), 0);
	assert_int_equal(ini.n, 6);
	assert_string_equal(ini.v[5], "--port=2");
	sp_strlist_free(&ini, true);

	setenv("MP_CONFIG_FILE", path, 1);
	assert_int_equal(sp_extraopts_load("special", &ini, err, sizeof err), 0);
	CHECK_LIST(&ini, "--hostname=special.example.org");
	sp_strlist_free(&ini, true);
	unsetenv("MP_CONFIG_FILE");
	unlink(path);
}

static void
test_refused(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "[check_smtp_probe]\nhost name=h\n", "bad key \"host name\"" },
		{ "[check_smtp_probe]\nhost.name=h\n", "bad key" },
		{ "[check_smtp_probe\nhostname=h\n", ":1: bad section line" },
		{ "[other]\nhostname=h\n", "no section [check_smtp_probe] in " },
	};
	struct sp_strlist ini = { NULL, 0, 0 };
	char path[64], loc[160], err[256], longsec[300];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		temp_text(path, bad[i].text);
		snprintf(loc, sizeof loc, "@%s", path);
		assert_int_equal(sp_extraopts_load(loc, &ini, err, sizeof err), -1);
		if (strstr(err, bad[i].msg) == NULL || strncmp(err, "--extra-opts: ", 14) != 0)
			fail_msg("\"%s\" lacks \"%s\"", err, bad[i].msg);
		sp_strlist_free(&ini, true);
		unlink(path);
	}
	assert_int_equal(sp_extraopts_load("x@/nonexistent/plugins.ini", &ini, err, sizeof err), -1);
	assert_non_null(strstr(err, "--extra-opts: cannot read /nonexistent/plugins.ini"));
	assert_int_equal(sp_extraopts_load("x@", &ini, err, sizeof err), -1);
	assert_string_equal(err, "--extra-opts: empty file name after '@'");
	memset(longsec, 's', sizeof longsec - 1);
	longsec[sizeof longsec - 1] = '\0';
	assert_int_equal(sp_extraopts_load(longsec, &ini, err, sizeof err), -1);
	assert_string_equal(err, "--extra-opts: section name too long");
	setenv("MP_CONFIG_FILE", "/nonexistent/plugins.ini", 1);
	if (access("/etc/nagios/plugins.ini", F_OK) != 0) {
		assert_int_equal(sp_extraopts_load("", &ini, err, sizeof err), -1);
		assert_non_null(strstr(err, "no ini file found"));
	}
	unsetenv("MP_CONFIG_FILE");
	assert_int_equal(ini.n, 0);
}

static void
test_argv(void **state)
{
	struct sp_strlist ini = { NULL, 0, 0 }, args = { NULL, 0, 0 };
	char path[64], opt[160], err[256];

	(void)state;
	temp_text(path, "[s]\nport=2525\nhostname=ini.example.org\n");
	snprintf(opt, sizeof opt, "--extra-opts=s@%s", path);
	char *argv[] = { "check_smtp_probe", "-p", "25", opt, "-v", "--", "--extra-opts", NULL };

	/* argv[0], the ini's options, then the command line without --extra-opts */
	assert_int_equal(sp_extraopts_argv(7, argv, &ini, &args, err, sizeof err), 0);
	CHECK_LIST(&args, "check_smtp_probe", "--port=2525", "--hostname=ini.example.org",
		"-p", "25", "-v", "--", "--extra-opts", NULL);
	sp_strlist_free(&args, false);
	sp_strlist_free(&ini, true);

	/* the first error is told, and the rest is still there (for --output) */
	snprintf(opt, sizeof opt, "--extra-opts=missing@%s", path);
	char *bad[] = { "check_smtp_probe", opt, "--extra-opts=@", "--output", "json", NULL };
	assert_int_equal(sp_extraopts_argv(5, bad, &ini, &args, err, sizeof err), -1);
	assert_non_null(strstr(err, "no section [missing]"));
	CHECK_LIST(&args, "check_smtp_probe", "--output", "json", NULL);
	sp_strlist_free(&args, false);
	sp_strlist_free(&ini, true);

	/* an abbreviation is left to getopt (which refuses it: it would come last) */
	char *abbrev[] = { "check_smtp_probe", "--extra=x", NULL };
	assert_int_equal(sp_extraopts_argv(2, abbrev, &ini, &args, err, sizeof err), 0);
	CHECK_LIST(&args, "check_smtp_probe", "--extra=x", NULL);
	sp_strlist_free(&args, false);
	unlink(path);
}

/* smtp_probe_exporter's modules: every section, in order, a repeated one merged. */
static void
test_all_sections(void **state)
{
	static const char *const cs[] = { "--hostname=ini.example.org", "--port=2525", "--lmtp",
		"--authpass=ini#secret;x", "--verbose" };
	static const char *const other[] = { "--port=2" };
	static const char *const special[] = { "--hostname=special.example.org" };
	struct sp_ini_section *secs;
	size_t n;
	char path[64], err[512];

	(void)state;
	temp_text(path, ini_text);
	assert_int_equal(sp_extraopts_load_all(path, &secs, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(secs[0].name, "other");
	check_list(&secs[0].opts, other, 1);
	assert_string_equal(secs[1].name, "check_smtp_probe");
	check_list(&secs[1].opts, cs, 5);
	assert_string_equal(secs[2].name, "special");
	check_list(&secs[2].opts, special, 1);
	sp_extraopts_free_all(secs, n);
	unlink(path);

	temp_text(path, "[a]\nx=1\n[b\n");
	assert_int_equal(sp_extraopts_load_all(path, &secs, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":3: bad section line"));
	assert_null(secs);
	assert_int_equal(n, 0);
	unlink(path);
	assert_int_equal(sp_extraopts_load_all("/nonexistent/x.ini", &secs, &n, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_all_sections),
	};

	unsetenv("MP_CONFIG_FILE");
	return cmocka_run_group_tests_name("extraopts", tests, NULL, NULL);
}
