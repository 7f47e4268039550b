/* SPDX-License-Identifier: MIT */
/*
 * test_regexguard.c - plugin/regexguard.c: what glibc's regcomp() would
 * make of a -R pattern, estimated before it is let compile one.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../plugin/regexguard.h"

static void
test_costs(void **state)
{
	(void)state;
	assert_int_equal(sp_regex_cost(""), 0);
	assert_int_equal(sp_regex_cost("^250"), 4);
	assert_int_equal(sp_regex_cost("[a-z]"), 1);       /* a bracket is one element */
	assert_int_equal(sp_regex_cost("[]x]"), 1);
	assert_int_equal(sp_regex_cost("\\(a"), 2);        /* an escape is one element */
	assert_int_equal(sp_regex_cost("a*"), 2);          /* a closure: twice */
	assert_int_equal(sp_regex_cost("a+"), 4);
	assert_int_equal(sp_regex_cost("a{3}"), 4);        /* m + 1 */
	assert_int_equal(sp_regex_cost("a{2,5}"), 6);      /* n + 1 */
	assert_int_equal(sp_regex_cost("a{2,}"), 4);       /* m + 2 for the open end */
	assert_int_equal(sp_regex_cost("(ab)"), 3);        /* its content, plus one */
	assert_int_equal(sp_regex_cost("(ab){3}"), 12);
	assert_int_equal(sp_regex_cost("a{x}"), 4);        /* no interval: four plain elements */
	assert_int_equal(sp_regex_cost("(ab"), 2);         /* unclosed: counted all the same */
	assert_int_equal(sp_regex_cost("a)"), 2);
}

static void
test_too_costly(void **state)
{
	static const char *const costly[] = {
		"ect-r++++++++++++++++++++++++++++e",   /* adjacent repetitions */
		"a+*", "a{2}{3}", "5?+++++++++++",
		"((a{1,255}){1,255}){1,255}",          /* 16 million copies */
		"a{1,19000}",                           /* quadratic compile time */
		"%{8,9602}9690468%{8,56}95:,\0220\02288%{8,5206}8",
		"((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))", /* depth */
	};

	(void)state;
	for (size_t i = 0; i < sizeof costly / sizeof costly[0]; i++)
		if (sp_regex_cost(costly[i]) <= SP_REGEX_COST_MAX)
			fail_msg("\"%s\" passed", costly[i]);
	assert_true(sp_regex_cost("a{1,999}") <= SP_REGEX_COST_MAX);
	assert_true(sp_regex_cost("a{1,1000}") > SP_REGEX_COST_MAX);
	assert_true(sp_regex_cost("^250[ -][^ ]{1,64} (OK|Ok|ok)") <= SP_REGEX_COST_MAX);
	assert_true(sp_regex_cost("^25[0-2]( |-).{0,200}(OK|Ok)+$") <= SP_REGEX_COST_MAX);
}

static void
test_compile(void **state)
{
	regex_t re;
	char err[256];

	(void)state;
	assert_int_equal(sp_regex_compile("-R/--response", "^250 .*ok$", &re, err, sizeof err), 0);
	assert_int_equal(regexec(&re, "250 2.0.0 ok", 0, NULL, 0), 0);
	assert_int_equal(regexec(&re, "550 no", 0, NULL, 0), REG_NOMATCH);
	regfree(&re);

	assert_int_equal(sp_regex_compile("-R/--response", "(250", &re, err, sizeof err), -1);
	assert_non_null(strstr(err, "-R/--response: bad regular expression \"(250\": "));
	assert_int_equal(sp_regex_compile("-R/--response", "a{1,19000}", &re, err, sizeof err), -1);
	assert_string_equal(err, "-R/--response: regular expression \"a{1,19000}\" is too complex "
		"(repetitions expand past 1000 elements)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_costs),
		cmocka_unit_test(test_too_costly),
		cmocka_unit_test(test_compile),
	};

	return cmocka_run_group_tests_name("regexguard", tests, NULL, NULL);
}
