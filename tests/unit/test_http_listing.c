/*
 * test_http_listing.c - the pure parts of listings: natural,
 * case-insensitive name order, human-readable sizes, ?C=&O= parsing, and
 * a page built in pieces equal to the page built at once.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../modules/http/http.h"
#include "../../modules/http/listing.h"

static int sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

START_TEST(test_name_order)
{
	static const char *const sorted[] = {
		"", "01", "1", "2", "10", "a", "A1", "a2", "a10", "B", "b",
		"file2.txt", "file10.txt", "file10a", "file9999999999999999999999",
		"file10000000000000000000000", "x", "\xc3\xa9",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			ck_assert_msg(sign(http_listing_name_cmp(sorted[i], sorted[j])) ==
			              (i < j ? -1 : i > j), "%s vs %s",
			              sorted[i], sorted[j]);
}
END_TEST

/* The human size of v, as a C string. */
static const char *human(unsigned long long v)
{
	static char out[32];

	out[http_listing_human_size(v, out)] = '\0';
	return out;
}

START_TEST(test_human_size)
{
	ck_assert_str_eq(human(0), "0 B");
	ck_assert_str_eq(human(1023), "1023 B");
	ck_assert_str_eq(human(1024), "1.0 KiB");
	ck_assert_str_eq(human(1536), "1.5 KiB");
	ck_assert_str_eq(human(10 * 1024 - 1), "9.9 KiB");
	ck_assert_str_eq(human(10 * 1024), "10 KiB");
	ck_assert_str_eq(human(1023 * 1024 + 1023), "1023 KiB");
	ck_assert_str_eq(human(1024 * 1024), "1.0 MiB");
	ck_assert_str_eq(human(5497558138880ull), "5.0 TiB");
	ck_assert_str_eq(human(~0ull), "15 EiB");
}
END_TEST

START_TEST(test_order_query)
{
	struct listing_order o;

	http_listing_parse_order("", 0, &o);
	ck_assert(o.column == 'N' && !o.descending);
	http_listing_parse_order("C=M&O=D", 7, &o);
	ck_assert(o.column == 'M' && o.descending);
	http_listing_parse_order("O=D;C=S", 7, &o);
	ck_assert(o.column == 'S' && o.descending);
	http_listing_parse_order("C=X&O=Z&CC=M&C=MM&x=1", 21, &o);
	ck_assert(o.column == 'N' && !o.descending);
	http_listing_parse_order("C=M&O=D", 5, &o); /* only "C=M&O" */
	ck_assert(o.column == 'M' && !o.descending);
}
END_TEST

/* A directory of n files with long names, as a fd. */
static int make_dir(char *tmpl, int n)
{
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < n; i++) {
		char name[256];
		int f;

		snprintf(name, sizeof(name), "f%d-%0180d<&>", i, i);
		f = openat(fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		ck_assert_int_ge(f, 0);
		ck_assert_int_eq(write(f, name, (size_t)i % 7), (ssize_t)(i % 7));
		close(f);
	}
	return fd;
}

START_TEST(test_pieces)
{
	char tmpl[] = "/tmp/superd-listing-XXXXXX";
	int fd = make_dir(tmpl, 200), rc;
	char rm[64];
	struct listing_order o = { 'N', 0 };
	struct listing_snaps snaps = { { NULL } };
	struct http_listing *whole, *part;
	struct hbuf a = { 0 }, b = { 0 };
	size_t pieces = 0;

	whole = http_listing_open(&snaps, fd, "/d/", 3, &o, NULL, "/s.css");
	part = http_listing_open(&snaps, fd, "/d/", 3, &o, NULL, "/s.css");
	ck_assert(whole && part);
	ck_assert_uint_eq(http_listing_count(whole), 200);
	ck_assert_int_eq(http_listing_next(whole, &a, 1u << 30), 1);
	do {
		size_t before = b.len;

		rc = http_listing_next(part, &b, 4096);
		ck_assert_int_ge(rc, 0);
		ck_assert_uint_lt(b.len - before, 4096 + 1024); /* one row past */
		pieces++;
	} while (rc == 0);
	ck_assert_uint_gt(pieces, 10);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(!memcmp(a.p, b.p, a.len));
	ck_assert_ptr_nonnull(strstr(a.p, "<link rel=\"stylesheet\" href=\"/s.css\">"));
	ck_assert_ptr_null(strstr(a.p, "<&>"));
	http_listing_free(whole);
	http_listing_free(part);
	http_listing_snaps_release(&snaps);
	hbuf_free(&a);
	hbuf_free(&b);
	close(fd);
	snprintf(rm, sizeof(rm), "rm -rf '%s'", tmpl);
	ck_assert_int_eq(system(rm), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("http_listing");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_name_order);
	tcase_add_test(tc, test_human_size);
	tcase_add_test(tc, test_order_query);
	tcase_add_test(tc, test_pieces);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
