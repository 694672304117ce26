/*
 * test_options.c - the option accessors modules get from the host: node
 * access, booleans, whole numbers with ranges, strings, unknown keys, and
 * the exact "FILE:LINE:COLUMN: service NAME: message" of every error, which
 * is core's own for the same value (values.c: one home for both).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conftree.h"
#include "diag.h"
#include "options.h"
#include "runconf.h"
#include "values.h"

#define MAX_LINES 16

static char *lines[MAX_LINES];
static unsigned nlines;
static struct superd_opt *tree;
static struct superd_service svc;

static void capture(const char *line)
{
	if (nlines < MAX_LINES)
		lines[nlines] = strdup(line);
	nlines++;
}

/* Options as a module sees them: the value of `options:` in a service. */
static const superd_opt *opts(const char *yaml)
{
	conftree_free(tree);
	tree = conftree_parse("t.yaml", yaml, strlen(yaml));
	ck_assert_ptr_nonnull(tree);
	svc.name = "web";
	svc.at = tree;
	return conftree_get(tree, "options");
}

static void setup(void)
{
	for (unsigned i = 0; i < MAX_LINES; i++) {
		free(lines[i]);
		lines[i] = NULL;
	}
	nlines = 0;
	diag_set_sink(capture);
}

static void teardown(void)
{
	conftree_free(tree);
	tree = NULL;
}

/* Exactly one error was reported, and it reads want. */
static void expect_line(const char *want)
{
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], want);
}

START_TEST(access_nodes)
{
	const superd_opt *o = opts("options:\n  root: /srv\n  index: [a, b]\n  m: {x: 1}\n");
	const superd_opt *index = opt_get(o, "index");

	ck_assert_int_eq(opt_kind(o), SUPERD_OPT_MAP);
	ck_assert_uint_eq(opt_count(o), 3);
	ck_assert_str_eq(opt_key_at(o, 0), "root");
	ck_assert_str_eq(opt_key_at(o, 2), "m");
	ck_assert_ptr_null(opt_key_at(o, 3));
	ck_assert_str_eq(opt_str(opt_at(o, 0)), "/srv");
	ck_assert_int_eq(opt_kind(index), SUPERD_OPT_SEQ);
	ck_assert_uint_eq(opt_count(index), 2);
	ck_assert_str_eq(opt_str(opt_at(index, 1)), "b");
	ck_assert_ptr_null(opt_at(index, 2));
	ck_assert_ptr_null(opt_key_at(index, 0));
	ck_assert_ptr_null(opt_get(index, "a"));
	ck_assert_ptr_null(opt_str(index));
	ck_assert_uint_eq(opt_count(opt_get(o, "root")), 0);
	ck_assert_ptr_null(opt_at(opt_get(o, "root"), 0));
	ck_assert_ptr_null(opt_get(o, "missing"));
	ck_assert_int_eq(opt_kind(NULL), -1);
	ck_assert_uint_eq(opt_count(NULL), 0);
	ck_assert_ptr_null(opt_str(NULL));
	ck_assert_ptr_null(opt_get(NULL, "x"));
	ck_assert_int_eq(opt_kind(opt_get(o, "m")), SUPERD_OPT_MAP);
}
END_TEST

START_TEST(bool_words)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "ON" };
	static const char *const no[] = { "false", "False", "no", "NO", "off", "Off" };
	char yaml[64];
	int b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(yaml, sizeof(yaml), "options: {v: %s}\n", yes[i]);
		b = 0;
		ck_assert_int_eq(opt_bool(&svc, opt_get(opts(yaml), "v"), &b), 0);
		ck_assert_int_eq(b, 1);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(yaml, sizeof(yaml), "options: {v: %s}\n", no[i]);
		b = 1;
		ck_assert_int_eq(opt_bool(&svc, opt_get(opts(yaml), "v"), &b), 0);
		ck_assert_int_eq(b, 0);
	}
	ck_assert_uint_eq(nlines, 0);
}
END_TEST

START_TEST(bool_absent_keeps_default)
{
	int b = 7;

	ck_assert_int_eq(opt_bool(&svc, opt_get(opts("options: {}\n"), "v"), &b), 0);
	ck_assert_int_eq(b, 7);
	ck_assert_uint_eq(nlines, 0);
}
END_TEST

START_TEST(bool_quoted_is_not_a_bool)
{
	int b = 7;

	ck_assert_int_eq(opt_bool(&svc, opt_get(opts("options:\n  listing: \"true\"\n"),
	                                        "listing"), &b), -1);
	ck_assert_int_eq(b, 7);
	expect_line("t.yaml:2:12: service web: expected true or false, got 'true'");
}
END_TEST

START_TEST(bool_wrong_word)
{
	int b;

	ck_assert_int_eq(opt_bool(&svc, opt_get(opts("options:\n  listing: maybe\n"),
	                                        "listing"), &b), -1);
	expect_line("t.yaml:2:12: service web: expected true or false, got 'maybe'");
}
END_TEST

START_TEST(bool_list)
{
	int b;

	ck_assert_int_eq(opt_bool(&svc, opt_get(opts("options:\n  listing: [true]\n"),
	                                        "listing"), &b), -1);
	expect_line("t.yaml:2:12: service web: expected true or false, got a list");
}
END_TEST

START_TEST(uint_values)
{
	unsigned long long v = 0;
	const superd_opt *o = opts("options: {a: 0, b: 30, c: '45', d: 18446744073709551615}\n");

	ck_assert_int_eq(opt_uint(&svc, opt_get(o, "a"), 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(opt_uint(&svc, opt_get(o, "b"), 1, 30, &v), 0);
	ck_assert_uint_eq(v, 30);
	ck_assert_int_eq(opt_uint(&svc, opt_get(o, "c"), 0, 100, &v), 0);
	ck_assert_uint_eq(v, 45);
	ck_assert_int_eq(opt_uint(&svc, opt_get(o, "d"), 0, ~0ULL, &v), 0);
	ck_assert_uint_eq(v, ~0ULL);
	v = 99;
	ck_assert_int_eq(opt_uint(&svc, opt_get(o, "zz"), 0, 1, &v), 0);
	ck_assert_uint_eq(v, 99);
	ck_assert_uint_eq(nlines, 0);
}
END_TEST

START_TEST(uint_above_max)
{
	unsigned long long v = 5;

	ck_assert_int_eq(opt_uint(&svc, opt_get(opts("options:\n  cgi_timeout: 3600\n"),
	                                        "cgi_timeout"), 1, 600, &v), -1);
	ck_assert_uint_eq(v, 5);
	expect_line("t.yaml:2:16: service web: 3600 is out of range (1..600)");
}
END_TEST

START_TEST(uint_below_min)
{
	unsigned long long v;

	ck_assert_int_eq(opt_uint(&svc, opt_get(opts("options: {n: 0}\n"), "n"),
	                          1, 10, &v), -1);
	expect_line("t.yaml:1:14: service web: 0 is out of range (1..10)");
}
END_TEST

START_TEST(uint_overflow)
{
	unsigned long long v;

	ck_assert_int_eq(opt_uint(&svc, opt_get(opts("options: {n: 99999999999999999999}\n"),
	                                        "n"), 0, ~0ULL, &v), -1);
	expect_line("t.yaml:1:14: service web: 99999999999999999999 is out of range "
	            "(0..18446744073709551615)");
}
END_TEST

START_TEST(uint_not_digits)
{
	static const char *const bad[] = { "-1", "+1", "1.5", "0x10", "1e3", "ten", "'1 '", "\"\"" };
	char yaml[64], want[128];
	unsigned long long v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const superd_opt *o;

		setup();
		snprintf(yaml, sizeof(yaml), "options: {n: %s}\n", bad[i]);
		o = opt_get(opts(yaml), "n");
		ck_assert_int_eq(opt_uint(&svc, o, 0, 100, &v), -1);
		snprintf(want, sizeof(want), "t.yaml:1:14: service web: expected a whole "
		         "number, got '%s'", o->str);
		expect_line(want);
	}
}
END_TEST

START_TEST(uint_mapping)
{
	unsigned long long v;

	ck_assert_int_eq(opt_uint(&svc, opt_get(opts("options:\n  n:\n    a: 1\n"), "n"),
	                          0, 100, &v), -1);
	expect_line("t.yaml:3:5: service web: expected a whole number, got a mapping");
}
END_TEST

START_TEST(string_values)
{
	const superd_opt *o = opts("options: {a: /srv, b: '', c: 42, d: [x], e: }\n");
	const char *s = "default";

	ck_assert_int_eq(opt_string(&svc, opt_get(o, "a"), &s), 0);
	ck_assert_str_eq(s, "/srv");
	ck_assert_int_eq(opt_string(&svc, opt_get(o, "b"), &s), 0);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(opt_string(&svc, opt_get(o, "c"), &s), 0);
	ck_assert_str_eq(s, "42");
	ck_assert_int_eq(opt_string(&svc, opt_get(o, "zz"), &s), 0);
	ck_assert_str_eq(s, "42");
	ck_assert_uint_eq(nlines, 0);
	ck_assert_int_eq(opt_string(&svc, opt_get(o, "d"), &s), -1);
	ck_assert_int_eq(opt_string(&svc, opt_get(o, "e"), &s), -1);
	ck_assert_uint_eq(nlines, 2);
	ck_assert_str_eq(lines[0], "t.yaml:1:37: service web: expected a string, got a list");
	ck_assert_str_eq(lines[1], "t.yaml:1:45: service web: expected a string, got nothing");
}
END_TEST

START_TEST(check_keys_known)
{
	static const char *const allowed[] = { "root", "index", NULL };

	ck_assert_int_eq(opt_check_keys(&svc, opts("options: {root: /, index: x}\n"),
	                                allowed), 0);
	ck_assert_int_eq(opt_check_keys(&svc, NULL, allowed), 0);
	ck_assert_uint_eq(nlines, 0);
}
END_TEST

START_TEST(check_keys_first_unknown)
{
	static const char *const allowed[] = { "root", "index", NULL };

	ck_assert_int_eq(opt_check_keys(&svc, opts("options:\n  root: /\n  idnex: x\n"
	                                          "  other: y\n"), allowed), -1);
	expect_line("t.yaml:3:3: service web: unknown option 'idnex' (did you mean 'index'?)");
}
END_TEST

START_TEST(check_keys_not_a_map)
{
	static const char *const allowed[] = { "root", NULL };

	ck_assert_int_eq(opt_check_keys(&svc, opts("options:\n  - root\n"), allowed), -1);
	expect_line("t.yaml:2:3: service web: expected a mapping of options, got a list");
}
END_TEST

START_TEST(check_keys_empty_allowed_list)
{
	static const char *const none[] = { NULL };

	ck_assert_int_eq(opt_check_keys(&svc, opts("options: {a: 1}\n"), none), -1);
	expect_line("t.yaml:1:11: service web: unknown option 'a'");
}
END_TEST

START_TEST(error_at_node_or_service)
{
	const superd_opt *o = opts("x: 1\noptions:\n  root: /nope\n");

	opt_error(&svc, opt_get(o, "root"), "%s does not exist", opt_str(opt_get(o, "root")));
	opt_error(&svc, NULL, "missing option '%s'", "argv");
	ck_assert_uint_eq(nlines, 2);
	ck_assert_str_eq(lines[0], "t.yaml:3:9: service web: /nope does not exist");
	ck_assert_str_eq(lines[1], "t.yaml:1:1: service web: missing option 'argv'");
}
END_TEST

/* A module option and a core key with the same bad value: the same words,
 * each with its own prefix. */
START_TEST(same_message_as_core_keys)
{
	const superd_opt *o = opts("options:\n  n: soon\n  b: maybe\n  s: [x]\n  big: 99\n");
	unsigned long long u;
	const char *text;
	int b;

	ck_assert_int_eq(opt_uint(&svc, opt_get(o, "n"), 0, 9, &u), -1);
	ck_assert_int_eq(conf_uint(opt_get(o, "n"), "service 'web': ", "n", 0, 9, &u), -1);
	ck_assert_int_eq(opt_bool(&svc, opt_get(o, "b"), &b), -1);
	ck_assert_int_eq(conf_bool(opt_get(o, "b"), "global: ", "b", &b), -1);
	ck_assert_int_eq(opt_string(&svc, opt_get(o, "s"), &text), -1);
	ck_assert_int_eq(conf_text(opt_get(o, "s"), "", "s", 1, &text), -1);
	ck_assert_int_eq(opt_uint(&svc, opt_get(o, "big"), 0, 9, &u), -1);
	ck_assert_int_eq(conf_uint(opt_get(o, "big"), "", "big", 0, 9, &u), -1);
	ck_assert_uint_eq(nlines, 8);
	ck_assert_str_eq(lines[0], "t.yaml:2:6: service web: expected a whole number, got 'soon'");
	ck_assert_str_eq(lines[1], "t.yaml:2:6: service 'web': n: expected a whole number, got 'soon'");
	ck_assert_str_eq(lines[2], "t.yaml:3:6: service web: expected true or false, got 'maybe'");
	ck_assert_str_eq(lines[3], "t.yaml:3:6: global: b: expected true or false, got 'maybe'");
	ck_assert_str_eq(lines[4] + strlen("t.yaml:4:6: service web: "),
	                 lines[5] + strlen("t.yaml:4:6: s: "));
	ck_assert_str_eq(lines[6], "t.yaml:5:8: service web: 99 is out of range (0..9)");
	ck_assert_str_eq(lines[7], "t.yaml:5:8: big: 99 is out of range (0..9)");
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("options");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, access_nodes);
	tcase_add_test(tc, bool_words);
	tcase_add_test(tc, bool_absent_keeps_default);
	tcase_add_test(tc, bool_quoted_is_not_a_bool);
	tcase_add_test(tc, bool_wrong_word);
	tcase_add_test(tc, bool_list);
	tcase_add_test(tc, uint_values);
	tcase_add_test(tc, uint_above_max);
	tcase_add_test(tc, uint_below_min);
	tcase_add_test(tc, uint_overflow);
	tcase_add_test(tc, uint_not_digits);
	tcase_add_test(tc, uint_mapping);
	tcase_add_test(tc, string_values);
	tcase_add_test(tc, check_keys_known);
	tcase_add_test(tc, check_keys_first_unknown);
	tcase_add_test(tc, check_keys_not_a_map);
	tcase_add_test(tc, check_keys_empty_allowed_list);
	tcase_add_test(tc, error_at_node_or_service);
	tcase_add_test(tc, same_message_as_core_keys);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(options_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
