/*
 * test_client_pattern.c - superd-client's judges: the chargen stream
 * checker, RFC 868 decoding and formatting, daytime lines.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* The endless chargen stream from line 0, written independently. */
static unsigned char stream_byte(size_t pos)
{
	size_t line = pos / 74, col = pos % 74;

	if (col >= 72)
		return col == 72 ? '\r' : '\n';
	return (unsigned char)(0x20 + (line + col) % 95);
}

static unsigned char *stream(size_t start, size_t len)
{
	unsigned char *b = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		b[i] = stream_byte(start + i);
	return b;
}

START_TEST(chargen_stream_from_any_offset_is_right)
{
	static const size_t starts[] = { 0, 1, 73, 74, 7029, 7030, 12345 };
	static const size_t lens[] = { 0, 1, 40, 147, 148, 149, 20000 };

	for (size_t s = 0; s < sizeof(starts) / sizeof(starts[0]); s++) {
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			struct chargen_check *ck = malloc(sizeof(*ck));
			unsigned char *b = stream(starts[s], lens[l]);
			size_t off = 0;

			chargen_check_init(ck);
			while (off < lens[l]) { /* odd-sized pieces */
				size_t n = lens[l] - off < 997 ? lens[l] - off : 997;

				ck_assert_int_eq(chargen_check_feed(ck, b + off, n), 0);
				off += n;
			}
			ck_assert_int_eq(chargen_check_end(ck), 0);
			free(b);
			free(ck);
		}
	}
}
END_TEST

START_TEST(chargen_one_wrong_byte_is_found)
{
	struct chargen_check *ck = malloc(sizeof(*ck));
	unsigned char *b = stream(0, 100000);

	b[54321] ^= 1;
	chargen_check_init(ck);
	ck_assert_int_eq(chargen_check_feed(ck, b, 100000), -1);
	ck_assert_uint_eq(ck->bad_at, 54321);
	/* a wrong byte in the head: no alignment exists */
	b[54321] ^= 1;
	b[10] = 'X' + 0x80;
	chargen_check_init(ck);
	ck_assert_int_eq(chargen_check_feed(ck, b, 100000), -1);
	/* short and wrong: found at the end */
	chargen_check_init(ck);
	ck_assert_int_eq(chargen_check_feed(ck, (const unsigned char *)"abd", 3), 0);
	ck_assert_int_eq(chargen_check_end(ck), -1);
	/* lines without CR LF are wrong */
	chargen_check_init(ck);
	memset(b, 'a', 200);
	ck_assert_int_eq(chargen_check_feed(ck, b, 200), -1);
	free(b);
	free(ck);
}
END_TEST

START_TEST(time_decoding_and_the_2036_wrap)
{
	char text[64];

	ck_assert_int_eq(time_decode(2208988800u), 0);
	ck_assert_int_eq(time_decode(0xeeb2a5f0u), 1795696496);
	ck_assert_int_eq(time_decode(0xffffffffu), 2085978495);
	ck_assert_int_eq(time_decode(0), 2085978496); /* after the wrap */
	ck_assert_int_eq(time_decode(5), 2085978501);
	time_format(1795696496, text, sizeof(text));
	ck_assert_str_eq(text, "Thu Nov 26 12:34:56 UTC 2026");
	time_format(2085978496, text, sizeof(text));
	ck_assert_str_eq(text, "Thu Feb  7 06:28:16 UTC 2036");
}
END_TEST

START_TEST(daytime_lines)
{
#define LINE(s) (const unsigned char *)(s), sizeof(s) - 1
	ck_assert(daytime_line_ok(LINE("Thursday, November 26, 2026 12:34:56-UTC\r\n")));
	ck_assert(daytime_line_ok(LINE("26 NOV 2026 12:34:56 UTC\n")));
	ck_assert(daytime_line_ok(LINE("no newline")));
	ck_assert(!daytime_line_ok(LINE("")));
	ck_assert(!daytime_line_ok(LINE("\r\n")));
	ck_assert(!daytime_line_ok(LINE("two\nlines\n")));
	ck_assert(!daytime_line_ok(LINE("nul\0inside\n")));
#undef LINE
}
END_TEST

static Suite *client_suite(void)
{
	Suite *s = suite_create("client_pattern");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, chargen_stream_from_any_offset_is_right);
	tcase_add_test(tc, chargen_one_wrong_byte_is_found);
	tcase_add_test(tc, time_decoding_and_the_2036_wrap);
	tcase_add_test(tc, daytime_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(client_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
