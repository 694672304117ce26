/*
 * test_conftree.c - the YAML tree: positions, kinds, quoting, every error
 * kind with its exact text, the limits, and garbage input that must never
 * crash or hang the loader.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conftree.h"
#include "diag.h"

#define MAX_LINES 64

static char *lines[MAX_LINES];
static unsigned nlines;

/* diag sink: keep every line for the assertions. */
static void capture(const char *line)
{
	if (nlines < MAX_LINES)
		lines[nlines] = strdup(line);
	nlines++;
}

static void setup(void)
{
	for (unsigned i = 0; i < MAX_LINES; i++) {
		free(lines[i]);
		lines[i] = NULL;
	}
	nlines = 0;
	diag_reset();
	diag_set_sink(capture);
}

static struct superd_opt *parse(const char *yaml)
{
	return conftree_parse("t.yaml", yaml, strlen(yaml));
}

/* Parsing yaml must fail with exactly one diagnostic, want. */
static void expect_error(const char *yaml, const char *want)
{
	struct superd_opt *t = parse(yaml);

	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], want);
}

START_TEST(tree_positions_and_kinds)
{
	struct superd_opt *t = parse("a: 1\nb:\n  - x\n  - 'y'\nc: {d: \"e\"}\n");
	const struct superd_opt *b, *c;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->kind, SUPERD_OPT_MAP);
	ck_assert_uint_eq(t->n, 3);
	ck_assert_str_eq(t->keys[0]->str, "a");
	ck_assert_uint_eq(t->keys[0]->line, 1);
	ck_assert_uint_eq(t->keys[0]->col, 1);
	ck_assert_str_eq(t->items[0]->str, "1");
	ck_assert_uint_eq(t->items[0]->col, 4);
	b = conftree_get(t, "b");
	ck_assert_int_eq(b->kind, SUPERD_OPT_SEQ);
	ck_assert_uint_eq(b->n, 2);
	ck_assert_uint_eq(b->items[1]->line, 4);
	ck_assert_uint_eq(b->items[1]->col, 5);
	ck_assert_int_eq(b->items[0]->quoted, 0);
	ck_assert_int_eq(b->items[1]->quoted, 1);
	ck_assert_ptr_null(b->keys);
	c = conftree_get(t, "c");
	ck_assert_int_eq(c->kind, SUPERD_OPT_MAP);
	ck_assert_str_eq(conftree_get(c, "d")->str, "e");
	ck_assert_int_eq(conftree_get(c, "d")->quoted, 1);
	ck_assert_str_eq(t->file, "t.yaml");
	ck_assert_ptr_eq(c->file, t->file);
	ck_assert_ptr_null(conftree_get(t, "zz"));
	ck_assert_ptr_null(conftree_get(b, "a"));
	ck_assert_uint_eq(nlines, 0);
	conftree_free(t);
}
END_TEST

START_TEST(tree_block_and_tagged_scalars_count_as_quoted)
{
	struct superd_opt *t = parse("a: |\n  text\nb: !!str true\nc: true\n");

	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->items[0]->str, "text\n");
	ck_assert_int_eq(t->items[0]->quoted, 1);
	ck_assert_int_eq(t->items[1]->quoted, 1);
	ck_assert_int_eq(t->items[2]->quoted, 0);
	conftree_free(t);
}
END_TEST

START_TEST(error_syntax)
{
	expect_error("a: [1, 2\nb: 3\n",
	             "t.yaml:2:2: YAML syntax error: did not find expected ',' or ']' "
	             "(while parsing a flow sequence at line 1, column 4)");
}
END_TEST

START_TEST(error_syntax_indentation)
{
	expect_error("x:\n  - a\n  b: c\n",
	             "t.yaml:3:3: YAML syntax error: did not find expected '-' "
	             "indicator (while parsing a block collection at line 2, column 3)");
}
END_TEST

START_TEST(error_tab_indent)
{
	struct superd_opt *t = parse("a:\n\tb: c\n");

	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_msg(strncmp(lines[0], "t.yaml:2:1: YAML syntax error: ", 31) == 0,
	              "%s", lines[0]);
}
END_TEST

START_TEST(error_invalid_utf8_positioned)
{
	expect_error("a: 1\nb: x\xff\n",
	             "t.yaml:2:5: YAML syntax error: invalid leading UTF-8 octet");
}
END_TEST

START_TEST(error_raw_nul_byte)
{
	static const char yaml[] = "a: 1\nb: x\0y\n";
	struct superd_opt *t = conftree_parse("t.yaml", yaml, sizeof(yaml) - 1);

	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "t.yaml:2:5: YAML syntax error: control "
	                 "characters are not allowed");
}
END_TEST

START_TEST(error_escaped_nul_in_scalar)
{
	expect_error("a: \"x\\0y\"\n", "t.yaml:1:4: a NUL byte inside a string is not allowed");
}
END_TEST

START_TEST(error_duplicate_key)
{
	expect_error("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at line 1)");
}
END_TEST

START_TEST(error_duplicate_keys_all_reported_in_order)
{
	struct superd_opt *t = parse("s:\n  x: 1\n  y: 2\n  x: 3\n  y: 4\n  x: 5\n");

	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 3);
	ck_assert_str_eq(lines[0], "t.yaml:4:3: duplicate key 'x' (first at line 2)");
	ck_assert_str_eq(lines[1], "t.yaml:5:3: duplicate key 'y' (first at line 3)");
	ck_assert_str_eq(lines[2], "t.yaml:6:3: duplicate key 'x' (first at line 2)");
}
END_TEST

START_TEST(error_non_scalar_key)
{
	expect_error("[a]: 1\n", "t.yaml:1:1: a mapping key must be a string, not a list");
}
END_TEST

START_TEST(error_map_key)
{
	expect_error("? {a: 1}\n: 2\n", "t.yaml:1:3: a mapping key must be a string, not a mapping");
}
END_TEST

START_TEST(error_alias)
{
	struct superd_opt *t = parse("a: &x [1]\nb: *x\nc: *x\n");

	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 2);
	ck_assert_str_eq(lines[0], "t.yaml:2:4: YAML aliases (*x) are not supported");
	ck_assert_str_eq(lines[1], "t.yaml:3:4: YAML aliases (*x) are not supported");
}
END_TEST

START_TEST(error_billion_laughs_is_cheap)
{
	static const char yaml[] =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	struct superd_opt *t = parse(yaml);

	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 72);
	ck_assert_str_eq(lines[0], "t.yaml:2:8: YAML aliases (*a) are not supported");
}
END_TEST

START_TEST(error_merge_key_alias)
{
	struct superd_opt *t = parse("base: &b {timeout: 1}\nsvc:\n  <<: *b\n");

	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "t.yaml:3:7: YAML aliases (*b) are not supported");
}
END_TEST

START_TEST(anchor_alone_is_harmless)
{
	struct superd_opt *t = parse("a: &x 1\n");

	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->items[0]->str, "1");
	conftree_free(t);
}
END_TEST

START_TEST(error_deep_nesting)
{
	char buf[1024];
	struct superd_opt *t;

	memset(buf, '[', 200);
	buf[200] = '\0';
	t = parse(buf);
	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "t.yaml:1:65: nesting deeper than 64 levels");
}
END_TEST

START_TEST(nesting_at_the_limit_is_fine)
{
	char buf[256];
	struct superd_opt *t, *o;
	unsigned depth = 0;

	memset(buf, '[', CONFTREE_MAX_DEPTH);
	memset(buf + CONFTREE_MAX_DEPTH, ']', CONFTREE_MAX_DEPTH);
	buf[2 * CONFTREE_MAX_DEPTH] = '\0';
	t = parse(buf);
	ck_assert_ptr_nonnull(t);
	for (o = t; o->n; o = o->items[0])
		depth++;
	ck_assert_uint_eq(depth, CONFTREE_MAX_DEPTH - 1);
	conftree_free(t);
}
END_TEST

START_TEST(error_deep_block_nesting)
{
	char *buf = malloc(100 * 200), *p = buf;
	struct superd_opt *t;

	for (int i = 0; i < 100; i++)
		p += sprintf(p, "%*sk:\n", 2 * i, "");
	t = parse(buf);
	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "t.yaml:65:129: nesting deeper than 64 levels");
	free(buf);
}
END_TEST

START_TEST(error_two_documents)
{
	expect_error("a: 1\n---\nb: 2\n",
	             "t.yaml:2:1: more than one YAML document (the file must hold one)");
}
END_TEST

START_TEST(error_empty)
{
	expect_error("", "t.yaml: empty configuration");
}
END_TEST

START_TEST(error_only_comments)
{
	expect_error("# nothing here\n\n   # still nothing\n", "t.yaml: empty configuration");
}
END_TEST

START_TEST(error_only_document_marker)
{
	expect_error("---\n", "t.yaml: empty configuration");
}
END_TEST

START_TEST(error_too_many_nodes)
{
	size_t n = CONFTREE_MAX_NODES + 10, len = 2 * n + 2;
	char *buf = malloc(len + 1);
	struct superd_opt *t;

	buf[0] = '[';
	for (size_t i = 0; i < n; i++) {
		buf[1 + 2 * i] = '0';
		buf[2 + 2 * i] = ',';
	}
	buf[len - 1] = ']';
	buf[len] = '\0';
	t = parse(buf);
	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "t.yaml:1:2000000: too many YAML nodes (more than 1000000)");
	free(buf);
}
END_TEST

/* Write text to a fresh temporary file; returns its path (static). */
static const char *temp_file(const char *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/superd-conftree-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

START_TEST(load_file)
{
	const char *path = temp_file("a: b\n", 5);
	struct superd_opt *t = conftree_load(path);

	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->file, path);
	ck_assert_str_eq(t->items[0]->str, "b");
	conftree_free(t);
	unlink(path);
}
END_TEST

START_TEST(load_missing_file)
{
	ck_assert_ptr_null(conftree_load("/nonexistent/superd.yaml"));
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "/nonexistent/superd.yaml: cannot open: No such file or directory");
}
END_TEST

START_TEST(load_directory)
{
	ck_assert_ptr_null(conftree_load("/tmp"));
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "/tmp: cannot read: Is a directory");
}
END_TEST

START_TEST(load_device_is_refused)
{
	ck_assert_ptr_null(conftree_load("/dev/zero"));
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "/dev/zero: not a regular file");
}
END_TEST

START_TEST(load_fifo_does_not_block)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/superd-fifo-%ld", (long)getpid());
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_ptr_null(conftree_load(path));
	ck_assert_uint_eq(nlines, 1);
	ck_assert(strstr(lines[0], ": not a regular file") != NULL);
	unlink(path);
}
END_TEST

START_TEST(load_empty_file)
{
	const char *path = temp_file("", 0);
	char want[128];

	ck_assert_ptr_null(conftree_load(path));
	snprintf(want, sizeof(want), "%s: empty configuration", path);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], want);
	unlink(path);
}
END_TEST

START_TEST(load_too_large)
{
	size_t len = CONFTREE_MAX_BYTES + 100;
	char *big = malloc(len), want[128];
	const char *path;

	memset(big, '#', len);
	path = temp_file(big, len);
	ck_assert_ptr_null(conftree_load(path));
	snprintf(want, sizeof(want), "%s: file too large (more than 8388608 bytes)", path);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], want);
	unlink(path);
	free(big);
}
END_TEST

START_TEST(control_characters_never_reach_the_sink)
{
	struct superd_opt *t = parse("\"a\\nb\\e[31m\": 1\n\"a\\nb\\e[31m\": 2\n");

	ck_assert_ptr_null(t);
	ck_assert_uint_eq(nlines, 1);
	ck_assert_str_eq(lines[0], "t.yaml:2:1: duplicate key 'a?b?[31m' (first at line 1)");
}
END_TEST

START_TEST(diag_counts_and_positions)
{
	diag_pos("f", 0, 0, "no position %d", 1);
	diag_pos("f", 3, 4, "here");
	diag_at(NULL, "nowhere");
	ck_assert_uint_eq(diag_count(), 3);
	ck_assert_str_eq(lines[0], "f: no position 1");
	ck_assert_str_eq(lines[1], "f:3:4: here");
	ck_assert_str_eq(lines[2], "superd: nowhere");
	diag_reset();
	ck_assert_uint_eq(diag_count(), 0);
}
END_TEST

START_TEST(diag_run_limit)
{
	diag_begin(2);
	for (int i = 0; i < 5; i++)
		diag_pos("f", 1, 1, "error %d", i);
	ck_assert_uint_eq(diag_count(), 5);
	ck_assert_uint_eq(nlines, 3);
	ck_assert_str_eq(lines[1], "f:1:1: error 1");
	ck_assert_str_eq(lines[2], "f: too many errors (more than 2); not showing the rest");
	diag_begin(0);
	diag_pos("f", 1, 1, "shown");
	ck_assert_str_eq(lines[3], "f:1:1: shown");
}
END_TEST

START_TEST(scalar_helpers)
{
	struct superd_opt *t = parse("[true, 'true', Yes, OFF, no, maybe, 42, '42', 007, "
	                             "-1, +1, 1.5, 18446744073709551615, "
	                             "18446744073709551616, ~, null, '', [], {}]");
	struct superd_opt *empty = parse("a:\n");
	unsigned long long v;
	char buf[64];
	int b;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(conftree_bool(t->items[0], &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(conftree_bool(t->items[1], &b), -1);
	ck_assert_int_eq(conftree_bool(t->items[2], &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(conftree_bool(t->items[3], &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(conftree_bool(t->items[4], &b), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(conftree_bool(t->items[5], &b), -1);
	ck_assert_int_eq(conftree_uint(t->items[6], &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(conftree_uint(t->items[7], &v), 0);
	ck_assert_int_eq(conftree_uint(t->items[8], &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(conftree_uint(t->items[9], &v), -1);
	ck_assert_int_eq(conftree_uint(t->items[10], &v), -1);
	ck_assert_int_eq(conftree_uint(t->items[11], &v), -1);
	ck_assert_int_eq(conftree_uint(t->items[12], &v), 0);
	ck_assert_uint_eq(v, 18446744073709551615ULL);
	ck_assert_int_eq(conftree_uint(t->items[13], &v), -2);
	ck_assert(conftree_is_null(t->items[14]));
	ck_assert(conftree_is_null(t->items[15]));
	ck_assert(!conftree_is_null(t->items[16]));
	ck_assert(conftree_is_null(empty->items[0]));
	ck_assert_int_eq(conftree_uint(empty->items[0], &v), -1);
	ck_assert_int_eq(conftree_uint(t->items[16], &v), -1);
	ck_assert_int_eq(conftree_uint(t->items[17], &v), -1);
	ck_assert_str_eq(conftree_what(t->items[17], buf, sizeof(buf)), "a list");
	ck_assert_str_eq(conftree_what(t->items[18], buf, sizeof(buf)), "a mapping");
	ck_assert_str_eq(conftree_what(empty->items[0], buf, sizeof(buf)), "nothing");
	conftree_free(empty);
	ck_assert_str_eq(conftree_what(t->items[14], buf, sizeof(buf)), "nothing");
	ck_assert_str_eq(conftree_what(t->items[5], buf, sizeof(buf)), "'maybe'");
	ck_assert_str_eq(conftree_what(NULL, buf, sizeof(buf)), "nothing");
	conftree_free(t);
}
END_TEST

START_TEST(what_shortens_long_scalars)
{
	struct superd_opt *t = parse("a: 0123456789012345678901234567890123456789xyz\n");
	char buf[64];

	ck_assert_str_eq(conftree_what(t->items[0], buf, sizeof(buf)),
	                 "'0123456789012345678901234567890123456...'");
	conftree_free(t);
}
END_TEST

/* A small deterministic generator, so a failure can be replayed. */
static unsigned long long fuzz_state = 0x9e3779b97f4a7c15ULL;

static unsigned fuzz_next(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return (unsigned)(fuzz_state >> 11);
}

START_TEST(fuzz_garbage_never_crashes)
{
	static const char alphabet[] = "ab:-[]{},&*!|>'\"#?\n\n   \t\\0@%`~\x01\xff\xc3";
	static const char *const seeds[] = {
		"services:\n  echo:\n    module: echo\n    listen: [\"127.0.0.1:7\"]\n",
		"a: &x [1, {b: *x}]\n", "? [a]\n: b\n", "--- |\n  x\n...\n",
	};
	char buf[512];

	for (int round = 0; round < 20000; round++) {
		size_t len = fuzz_next() % sizeof(buf);
		struct superd_opt *t;

		if (round % 2) {
			const char *s = seeds[fuzz_next() % 4];

			len = strlen(s);
			memcpy(buf, s, len);
			for (int k = 0; k < 3; k++)
				buf[fuzz_next() % len] = alphabet[fuzz_next() % (sizeof(alphabet) - 1)];
		} else if (round % 4 == 0) {
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)fuzz_next();
		} else {
			for (size_t i = 0; i < len; i++)
				buf[i] = alphabet[fuzz_next() % (sizeof(alphabet) - 1)];
		}
		t = conftree_parse("fuzz.yaml", buf, len);
		conftree_free(t);
	}
	setup(); /* free the captured lines */
}
END_TEST

static Suite *conftree_suite(void)
{
	Suite *s = suite_create("conftree");
	TCase *tc = tcase_create("tree");
	TCase *slow = tcase_create("slow");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, tree_positions_and_kinds);
	tcase_add_test(tc, tree_block_and_tagged_scalars_count_as_quoted);
	tcase_add_test(tc, error_syntax);
	tcase_add_test(tc, error_syntax_indentation);
	tcase_add_test(tc, error_tab_indent);
	tcase_add_test(tc, error_invalid_utf8_positioned);
	tcase_add_test(tc, error_raw_nul_byte);
	tcase_add_test(tc, error_escaped_nul_in_scalar);
	tcase_add_test(tc, error_duplicate_key);
	tcase_add_test(tc, error_duplicate_keys_all_reported_in_order);
	tcase_add_test(tc, error_non_scalar_key);
	tcase_add_test(tc, error_map_key);
	tcase_add_test(tc, error_alias);
	tcase_add_test(tc, error_billion_laughs_is_cheap);
	tcase_add_test(tc, error_merge_key_alias);
	tcase_add_test(tc, anchor_alone_is_harmless);
	tcase_add_test(tc, error_deep_nesting);
	tcase_add_test(tc, nesting_at_the_limit_is_fine);
	tcase_add_test(tc, error_deep_block_nesting);
	tcase_add_test(tc, error_two_documents);
	tcase_add_test(tc, error_empty);
	tcase_add_test(tc, error_only_comments);
	tcase_add_test(tc, error_only_document_marker);
	tcase_add_test(tc, load_file);
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(tc, load_directory);
	tcase_add_test(tc, load_device_is_refused);
	tcase_add_test(tc, load_fifo_does_not_block);
	tcase_add_test(tc, load_empty_file);
	tcase_add_test(tc, control_characters_never_reach_the_sink);
	tcase_add_test(tc, diag_counts_and_positions);
	tcase_add_test(tc, diag_run_limit);
	tcase_add_test(tc, scalar_helpers);
	tcase_add_test(tc, what_shortens_long_scalars);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(slow, setup, NULL);
	tcase_set_timeout(slow, 120);
	tcase_add_test(slow, error_too_many_nodes);
	tcase_add_test(slow, load_too_large);
	tcase_add_test(slow, fuzz_garbage_never_crashes);
	suite_add_tcase(s, slow);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conftree_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
