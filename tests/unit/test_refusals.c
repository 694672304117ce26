/*
 * test_refusals.c - refused handshakes logged once per burst
 * (core/run/refusals.c): the first of a burst is logged, the rest counted
 * by reason (most frequent first, more than REFUSALS_REASONS reasons as
 * "other") and summed up once per window; a quiet window starts a new
 * burst.
 */
#include <check.h>
#include <string.h>

#include "refusals.h"

START_TEST(first_logged_rest_summed)
{
	struct refusals r = { 0 };
	char buf[256];

	ck_assert_int_eq(refusals_add(&r, 1000, 10000, "handshake timeout"), 1);
	ck_assert_int_eq(refusals_add(&r, 1001, 10000, "no shared cipher"), 0);
	ck_assert_int_eq(refusals_add(&r, 1002, 10000, "handshake timeout"), 0);
	ck_assert_int_eq(refusals_add(&r, 1003, 10000, "handshake timeout"), 0);
	ck_assert_uint_eq(refusals_summary(&r, 11000, buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "2 handshake timeout, 1 no shared cipher");
	/* a window after the summary: counted again, not logged */
	ck_assert_int_eq(refusals_add(&r, 12000, 10000, "x"), 0);
	ck_assert_uint_eq(refusals_summary(&r, 21000, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "1 x");
	/* nothing counted: nothing to say */
	ck_assert_uint_eq(refusals_summary(&r, 31000, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	/* a quiet window: the next refusal is logged on its own again */
	ck_assert_int_eq(refusals_add(&r, 41001, 10000, "y"), 1);
}
END_TEST

START_TEST(many_reasons_and_small_buffers)
{
	struct refusals r = { 0 };
	char buf[16];
	const char *why[] = { "a", "b", "c", "d", "e", "f" };

	ck_assert_int_eq(refusals_add(&r, 5, 100, "first"), 1);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(refusals_add(&r, 6, 100, why[i]), 0);
	ck_assert_uint_eq(refusals_summary(&r, 200, buf, sizeof(buf)), 6);
	ck_assert_uint_lt(strlen(buf), sizeof(buf));
	ck_assert(strncmp(buf, "1 a, 1 b, 1 c", 13) == 0);
	{
		char big[256];

		for (int i = 0; i < 6; i++)
			refusals_add(&r, 201, 100, why[i]);
		refusals_summary(&r, 400, big, sizeof(big));
		ck_assert_str_eq(big, "1 a, 1 b, 1 c, 1 d, 2 other");
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("refusals");
	TCase *tc = tcase_create("burst");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, first_logged_rest_summed);
	tcase_add_test(tc, many_reasons_and_small_buffers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
