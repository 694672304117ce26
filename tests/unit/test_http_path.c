/*
 * test_http_path.c - request path decoding and normalisation, URL
 * encoding, and opening beneath the root (symbolic links that leave it
 * are refused, links that stay inside are followed).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../modules/http/path.h"

static const struct {
	const char *raw;
	const char *want; /* NULL: 400 */
} norm_cases[] = {
	{ "/", "/" },
	{ "/a/b", "/a/b" },
	{ "/a/b/", "/a/b/" },
	{ "/a//b///c", "/a/b/c" },
	{ "/a/./b", "/a/b" },
	{ "/a/b/..", "/a/" },
	{ "/a/b/../c", "/a/c" },
	{ "/a/.", "/a/" },
	{ "/.", "/" },
	{ "/a/..", "/" },
	{ "/a%20b", "/a b" },
	{ "/%41%42c", "/ABc" },
	{ "/a%2Fb", "/a/b" },
	{ "/a/%2e%2e/b", "/b" },
	{ "/a/%2E/b", "/a/b" },
	{ "/a/...", "/a/..." },
	{ "/a/..b", "/a/..b" },
	{ "/%c3%a9t%C3%A9", "/\xc3\xa9t\xc3\xa9" },
	{ "/%2525", "/%25" },
	/* refused */
	{ "/..", NULL },
	{ "/../etc/passwd", NULL },
	{ "/a/../../b", NULL },
	{ "/%2e%2e/etc/passwd", NULL },
	{ "/a/%2e%2e%2f%2e%2e/x", NULL },
	{ "/..%2f..%2fetc", NULL },
	{ "/a%00b", NULL },
	{ "/a%0a", NULL },
	{ "/a%0D%0Ab", NULL },
	{ "/a%7f", NULL },
	{ "/a%", NULL },
	{ "/a%4", NULL },
	{ "/a%zz", NULL },
	{ "a/b", NULL },
	{ "", NULL },
};

START_TEST(test_normalize)
{
	char out[256];
	size_t n = 0;
	int rc = http_path_normalize(norm_cases[_i].raw, strlen(norm_cases[_i].raw),
	                             out, sizeof(out), &n);

	if (!norm_cases[_i].want) {
		ck_assert_msg(rc == 400, "%s: want 400, got %d", norm_cases[_i].raw, rc);
		return;
	}
	ck_assert_msg(rc == 0, "%s: got %d", norm_cases[_i].raw, rc);
	ck_assert_str_eq(out, norm_cases[_i].want);
	ck_assert_uint_eq(n, strlen(norm_cases[_i].want));
}
END_TEST

START_TEST(test_url_encode)
{
	char out[64];

	ck_assert_uint_eq(http_url_encode("a b?#%\"<>&", 10, out, sizeof(out), 0), 26);
	ck_assert_str_eq(out, "a%20b%3F%23%25%22%3C%3E%26");
	http_url_encode("/d/x:y", 6, out, sizeof(out), 1);
	ck_assert_str_eq(out, "/d/x%3Ay");
	http_url_encode("/d/", 3, out, sizeof(out), 0);
	ck_assert_str_eq(out, "%2Fd%2F");
	http_url_encode("\xc3\xa9-_.~", 6, out, sizeof(out), 0);
	ck_assert_str_eq(out, "%C3%A9-_.~");
	/* too small: truncated, the needed length returned */
	ck_assert_uint_eq(http_url_encode("abcdef", 6, out, 4, 0), 6);
	ck_assert_uint_eq(strlen(out), 3);
}
END_TEST

/* A scratch tree: root/{file,dir/inner,in-link->file,out-link->/etc/passwd,
 * abs-link->root/file, up-link->../outside} and outside (a sibling). */
static char base[64], root[128], root_real[PATH_MAX];
static int rootfd = -1;

static void tree_setup(void)
{
	char p[256];

	snprintf(base, sizeof(base), "/tmp/test_http_path.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(root, sizeof(root), "%s/root", base);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/file", root);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/dir", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dir/inner", root);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/outside", base);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/in-link", root);
	ck_assert_int_eq(symlink("dir/inner", p), 0);
	snprintf(p, sizeof(p), "%s/out-link", root);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/up-link", root);
	ck_assert_int_eq(symlink("../outside", p), 0);
	snprintf(p, sizeof(p), "%s/dir-up", root);
	ck_assert_int_eq(symlink("..", p), 0);
	ck_assert_ptr_nonnull(realpath(root, root_real));
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(rootfd, 0);
}

static void tree_teardown(void)
{
	char cmd[128];

	close(rootfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
}

static int try_open(const char *rel)
{
	int fd = http_open_beneath(rootfd, root_real, rel, O_RDONLY);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno;
}

START_TEST(test_open_beneath)
{
	ck_assert_int_eq(try_open(""), 0);
	ck_assert_int_eq(try_open("file"), 0);
	ck_assert_int_eq(try_open("dir/inner"), 0);
	ck_assert_int_eq(try_open("in-link"), 0);
	ck_assert_int_eq(try_open("missing"), ENOENT);
	ck_assert_int_eq(try_open("file/x"), ENOTDIR);
	ck_assert_int_ne(try_open("out-link"), 0);
	ck_assert_int_ne(try_open("up-link"), 0);
	ck_assert_int_ne(try_open("dir-up/outside"), 0);
	ck_assert_int_ne(try_open("dir-up/root/file"), 0);
	ck_assert_int_ne(try_open("../outside"), 0);
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("http_path");
	TCase *tc = tcase_create("normalize");

	tcase_add_loop_test(tc, test_normalize, 0,
	                    sizeof(norm_cases) / sizeof(norm_cases[0]));
	tcase_add_test(tc, test_url_encode);
	suite_add_tcase(s, tc);
	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, tree_setup, tree_teardown);
	tcase_add_test(tc, test_open_beneath);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(path_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
