/*
 * test_http_mime.c - Content-Type by extension: the built-in table, a
 * mime.types file (built-in entries win), case-insensitivity, defaults.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../modules/http/mime.h"

static const char *look(const struct mime_table *t, const char *name)
{
	return mime_lookup(t, name, strlen(name));
}

START_TEST(test_builtin)
{
	struct mime_table t;

	ck_assert_int_eq(mime_table_init(&t, NULL), 0);
	ck_assert_str_eq(look(&t, "/index.html"), "text/html; charset=utf-8");
	ck_assert_str_eq(look(&t, "/a/b.HTM"), "text/html; charset=utf-8");
	ck_assert_str_eq(look(&t, "x.css"), "text/css; charset=utf-8");
	ck_assert_str_eq(look(&t, "x.png"), "image/png");
	ck_assert_str_eq(look(&t, "x.JPEG"), "image/jpeg");
	ck_assert_str_eq(look(&t, "x.svg"), "image/svg+xml");
	ck_assert_str_eq(look(&t, "x.tar.gz"), "application/gzip");
	ck_assert_str_eq(look(&t, "x.txt"), "text/plain; charset=utf-8");
	ck_assert_str_eq(look(&t, "x.woff2"), "font/woff2");
	/* unknown, none, dot directories, dotfiles */
	ck_assert_str_eq(look(&t, "x.unknownext"), HTTP_MIME_DEFAULT);
	ck_assert_str_eq(look(&t, "Makefile"), HTTP_MIME_DEFAULT);
	ck_assert_str_eq(look(&t, "/a.html/file"), HTTP_MIME_DEFAULT);
	ck_assert_str_eq(look(&t, "x."), HTTP_MIME_DEFAULT);
	ck_assert_str_eq(look(&t, "x.averyveryverylongextension"), HTTP_MIME_DEFAULT);
	ck_assert_str_eq(look(&t, "/d/.html"), "text/html; charset=utf-8");
	mime_table_free(&t);
}
END_TEST

START_TEST(test_file)
{
	char path[] = "/tmp/test_http_mime.XXXXXX";
	struct mime_table t;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs("# comment line\n"
	      "application/x-superd-test\tsdt SDX  # trailing comment\n"
	      "text/x-override html\n"
	      "\n"
	      "not-a-type foo\n"
	      "image/x-new\tnewimg\r\n", f);
	fclose(f);
	ck_assert_int_eq(mime_table_init(&t, path), 0);
	unlink(path);
	ck_assert_str_eq(look(&t, "a.sdt"), "application/x-superd-test");
	ck_assert_str_eq(look(&t, "a.sdx"), "application/x-superd-test");
	ck_assert_str_eq(look(&t, "a.SDX"), "application/x-superd-test");
	ck_assert_str_eq(look(&t, "a.newimg"), "image/x-new");
	ck_assert_str_eq(look(&t, "a.foo"), HTTP_MIME_DEFAULT);
	ck_assert_str_eq(look(&t, "a.html"), "text/html; charset=utf-8");
	ck_assert_str_eq(look(&t, "a.png"), "image/png");
	mime_table_free(&t);
}
END_TEST

START_TEST(test_missing_file)
{
	struct mime_table t;

	ck_assert_int_eq(mime_table_init(&t, "/nonexistent/mime.types"), 0);
	ck_assert_str_eq(look(&t, "a.png"), "image/png");
	mime_table_free(&t);
}
END_TEST

START_TEST(test_system_file)
{
	struct mime_table t;

	if (access("/etc/mime.types", R_OK) != 0)
		return;
	ck_assert_int_eq(mime_table_init(&t, "/etc/mime.types"), 0);
	ck_assert_uint_gt(t.count, 100);
	ck_assert_str_eq(look(&t, "x.pdf"), "application/pdf");
	mime_table_free(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_mime");
	TCase *tc = tcase_create("mime");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_builtin);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_system_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
