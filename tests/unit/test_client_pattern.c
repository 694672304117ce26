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

/* xinetd's chargen: ring '!'..'}' (93), 72-character lines, starting over
 * after 95 lines. */
static unsigned char *xinetd_stream(size_t len)
{
	unsigned char *b = malloc(len);

	for (size_t i = 0; i < len; i++) {
		size_t line = (i / 74) % 95, col = i % 74;

		b[i] = col == 72 ? '\r' : col == 73 ? '\n'
		                     : (unsigned char)('!' + (line + col) % 93);
	}
	return b;
}

/* Feed a whole buffer to a judge: 0 right, -1 wrong. */
static int judge(const unsigned char *b, size_t len, int strict)
{
	struct chargen_judge *j = malloc(sizeof(*j));
	int rc;

	chargen_judge_init(j, strict);
	rc = chargen_judge_feed(j, b, len);
	if (chargen_judge_end(j) < 0)
		rc = -1;
	free(j);
	return rc;
}

START_TEST(lenient_judge_takes_any_rotating_ring)
{
	unsigned char *x = xinetd_stream(30000), *r = stream(0, 30000);
	struct chargen_judge *j = malloc(sizeof(*j));
	char what[128];

	ck_assert_int_eq(judge(r, 30000, 0), 0);
	ck_assert_int_eq(judge(r, 30000, 1), 0);
	ck_assert_int_eq(judge(x, 30000, 0), 0);
	ck_assert_int_eq(judge(x, 30000, 1), -1);
	ck_assert_int_eq(judge(x + 100, 20000, 0), 0); /* mid-line start */
	chargen_judge_init(j, 0);
	chargen_judge_feed(j, x, 30000);
	chargen_judge_end(j);
	chargen_judge_describe(j, what, sizeof(what));
	ck_assert_str_eq(what, "a rotating pattern of 93 characters ('!' to '}'), "
	                       "not RFC 864's 95");
	chargen_judge_init(j, 0);
	chargen_judge_feed(j, r, 30000);
	chargen_judge_end(j);
	chargen_judge_describe(j, what, sizeof(what));
	ck_assert_str_eq(what, "the RFC 864 pattern");
	free(j);
	free(x);
	free(r);
}
END_TEST

START_TEST(lenient_judge_still_finds_damage)
{
	unsigned char *b = stream(0, 30000);

	b[20000] = b[20001]; /* one character out of sequence */
	ck_assert_int_eq(judge(b, 30000, 0), -1);
	free(b);
	b = stream(0, 30000);
	b[5 * 74 + 72] = 'x'; /* a CR gone: a line too long */
	ck_assert_int_eq(judge(b, 30000, 0), -1);
	free(b);
	b = stream(0, 30000);
	b[300] = 0x7f; /* not printable */
	ck_assert_int_eq(judge(b, 30000, 0), -1);
	free(b);
	/* damage in a later buffer, after the exact check has aligned */
	b = stream(0, 30000);
	b[25000] = b[25002];
	{
		struct chargen_judge *j = malloc(sizeof(*j));
		int rc = 0;

		chargen_judge_init(j, 0);
		for (size_t off = 0; off < 30000 && rc == 0; off += 4096)
			rc = chargen_judge_feed(j, b + off,
			                        30000 - off < 4096 ? 30000 - off : 4096);
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(chargen_judge_end(j), -1);
		free(j);
	}
	free(b);
	/* a short line may only be the last one (a datagram cut short) */
	b = stream(0, 30000);
	memcpy(b + 3 * 74 + 40, "\r\n", 2);
	ck_assert_int_eq(judge(b, 3 * 74 + 42, 0), 0);
	ck_assert_int_eq(judge(b, 30000, 0), -1);
	free(b);
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
	tcase_add_test(tc, lenient_judge_takes_any_rotating_ring);
	tcase_add_test(tc, lenient_judge_still_finds_damage);
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
