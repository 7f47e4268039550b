/* SPDX-License-Identifier: MIT */
/*
 * test_secret.c - plugin/secret.c: files read whole and bounded, the auth
 * file and SMTP_PROBE_PASSWORD, and secrets wiped.
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

#include "../../plugin/secret.h"

/* Writes a temporary file (mode @p mode) and returns its name in @p path. */
static void
temp_file(char path[64], const void *data, size_t len, mode_t mode)
{
	int fd;

	strcpy(path, "/tmp/test_secret.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

#define ERR_HAS(err, s) do { \
	if (strstr((err), (s)) == NULL) \
		fail_msg("line %d: \"%s\" lacks \"%s\"", __LINE__, (err), (s)); \
} while (0)

static void
test_read_file(void **state)
{
	char path[64], err[256], *buf = NULL;
	size_t len = 0;

	(void)state;
	temp_file(path, "abc\ndef", 7, 0600);
	assert_int_equal(sp_read_file("--x", path, 7, true, &buf, &len, err, sizeof err), 0);
	assert_int_equal(len, 7);
	assert_string_equal(buf, "abc\ndef");
	free(buf);
	/* one byte over the bound */
	assert_int_equal(sp_read_file("--x", path, 6, false, &buf, &len, err, sizeof err), -1);
	ERR_HAS(err, "--x: ");
	ERR_HAS(err, "is larger than 6 bytes");
	/* a secret everyone may read is refused; a plain file is fine */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(sp_read_file("--authfile", path, 64, true, &buf, &len, err, sizeof err), -1);
	ERR_HAS(err, "--authfile: ");
	ERR_HAS(err, "is readable by everyone (chmod o-r)");
	assert_int_equal(sp_read_file("--body", path, 64, false, &buf, &len, err, sizeof err), 0);
	free(buf);
	unlink(path);
	assert_int_equal(sp_read_file("--x", path, 64, false, &buf, &len, err, sizeof err), -1);
	ERR_HAS(err, "cannot read");
	assert_int_equal(sp_read_file("--x", "/tmp", 64, false, &buf, &len, err, sizeof err), -1);
	ERR_HAS(err, "not a regular file");

	temp_file(path, "a\0b", 3, 0600);
	assert_int_equal(sp_read_file("--x", path, 64, false, &buf, &len, err, sizeof err), -1);
	ERR_HAS(err, "contains a NUL byte");
	unlink(path);

	temp_file(path, "", 0, 0600);
	assert_int_equal(sp_read_file("--x", path, 64, false, &buf, &len, err, sizeof err), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	unlink(path);
}

static void
test_read_body(void **state)
{
	char path[64], err[256], *body = NULL;
	size_t len = 0;

	(void)state;
	temp_file(path, "line 1\n.\nline 3\n", 16, 0644);
	assert_int_equal(sp_read_body(path, &body, &len, err, sizeof err), 0);
	assert_int_equal(len, 16);
	assert_memory_equal(body, "line 1\n.\nline 3\n", 17);
	free(body);
	unlink(path);
	assert_int_equal(sp_read_body(path, &body, &len, err, sizeof err), -1);
	ERR_HAS(err, "--body: cannot read");
}

static void
test_trim_and_lines(void **state)
{
	char text[] = "  a = b \r\n\n\tlast\t";
	char *cursor = text, *line;

	(void)state;
	line = sp_next_line(&cursor);
	assert_string_equal(sp_trim(line), "a = b");
	line = sp_next_line(&cursor);
	assert_string_equal(sp_trim(line), "");
	line = sp_next_line(&cursor);
	assert_string_equal(sp_trim(line), "last");
	assert_null(cursor);
	assert_null(sp_next_line(&cursor));
}

static void
test_authfile(void **state)
{
	static const char text[] =
		"# probe account\n; another comment\n\n"
		"username = probe@example.org\n"
		"password= p@ss word \r\n"
		"username=second\n";
	struct sp_authfile af;
	char path[64], err[256];

	(void)state;
	temp_file(path, text, sizeof text - 1, 0600);
	assert_int_equal(sp_authfile_read(path, true, true, &af, err, sizeof err), 0);
	assert_string_equal(af.user, "probe@example.org"); /* the first line of a key counts */
	assert_string_equal(af.pass, "p@ss word");
	sp_authfile_free(&af);
	assert_null(af.text);
	assert_null(af.user);
	/* -U or -P given: that value is not taken from the file */
	assert_int_equal(sp_authfile_read(path, false, true, &af, err, sizeof err), 0);
	assert_null(af.user);
	assert_string_equal(af.pass, "p@ss word");
	sp_authfile_free(&af);
	assert_int_equal(sp_authfile_read(path, true, false, &af, err, sizeof err), 0);
	assert_null(af.pass);
	sp_authfile_free(&af);
	unlink(path);
}

static void
test_authfile_refused(void **state)
{
	static const struct { const char *text; size_t len; const char *msg; } bad[] = {
		{ "password=a\0b\n", 13, "NUL" },
		{ "password=a\rb\n", 13, "--authfile contains CR, LF or NUL" },
		{ "username=u\npasswort=x\n", 22, "unknown key \"passwort\"" },
		{ "just a line\n", 12, "--authfile: a line is not key=value" },
	};
	struct sp_authfile af;
	char path[64], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		temp_file(path, bad[i].text, bad[i].len, 0600);
		assert_int_equal(sp_authfile_read(path, true, true, &af, err, sizeof err), -1);
		ERR_HAS(err, bad[i].msg);
		assert_null(af.text);
		unlink(path);
	}
	/* a CR in a value not wanted is no matter: it is not used */
	temp_file(path, "password=a\rb\n", 13, 0600);
	assert_int_equal(sp_authfile_read(path, true, false, &af, err, sizeof err), 0);
	sp_authfile_free(&af);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(sp_authfile_read(path, true, true, &af, err, sizeof err), -1);
	ERR_HAS(err, "readable by everyone");
	unlink(path);
}

static void
test_env_password(void **state)
{
	const char *pass = "x";
	char err[256];

	(void)state;
	unsetenv("SMTP_PROBE_PASSWORD");
	assert_int_equal(sp_env_password(&pass, err, sizeof err), 0);
	assert_null(pass);
	setenv("SMTP_PROBE_PASSWORD", "", 1); /* as Icinga 2 sets an unused env entry */
	assert_int_equal(sp_env_password(&pass, err, sizeof err), 0);
	assert_null(pass);
	setenv("SMTP_PROBE_PASSWORD", "envsecret", 1);
	assert_int_equal(sp_env_password(&pass, err, sizeof err), 0);
	assert_string_equal(pass, "envsecret");
	setenv("SMTP_PROBE_PASSWORD", "bad\rsecret", 1);
	assert_int_equal(sp_env_password(&pass, err, sizeof err), -1);
	assert_string_equal(err, "SMTP_PROBE_PASSWORD contains CR, LF or NUL");
	assert_null(strstr(err, "secret"));
	unsetenv("SMTP_PROBE_PASSWORD");
}

static void
test_wipe(void **state)
{
	char s[] = "secret";
	char *d = strdup("secret");

	(void)state;
	sp_wipe(s);
	assert_memory_equal(s, "\0\0\0\0\0\0\0", 7);
	sp_wipe(NULL);
	sp_wipe_free(d);
	sp_wipe_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_body),
		cmocka_unit_test(test_trim_and_lines),
		cmocka_unit_test(test_authfile),
		cmocka_unit_test(test_authfile_refused),
		cmocka_unit_test(test_env_password),
		cmocka_unit_test(test_wipe),
	};

	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
