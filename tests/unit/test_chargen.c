/*
 * test_chargen.c - the chargen module (RFC 864) through the fake host.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/chargen.c"
#include "fakehost.h"

/* The RFC's first lines, written out by hand. */
static const char line0[] = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLM"
                            "NOPQRSTUVWXYZ[\\]^_`abcdefg\r\n";
static const char line1[] = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMN"
                            "OPQRSTUVWXYZ[\\]^_`abcdefgh\r\n";
static const char line2[] = "\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNO"
                            "PQRSTUVWXYZ[\\]^_`abcdefghi\r\n";
static const char line94[] = "~ !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJK"
                             "LMNOPQRSTUVWXYZ[\\]^_`abcdef\r\n";

/*
 * Check buf against the pattern from stream position start, built
 * independently of the module: a 95-character ring read 72 at a time.
 * Returns the first bad index, or len when all match.
 */
static size_t pattern_mismatch(const unsigned char *buf, size_t len,
                               size_t start)
{
	char ring[95];

	for (int i = 0; i < 95; i++)
		ring[i] = (char)(' ' + i);
	for (size_t i = 0; i < len; i++) {
		size_t pos = start + i, line = pos / 74, col = pos % 74;
		char want = col == 72 ? '\r' : col == 73 ? '\n'
		                      : ring[(line + col) % 95];

		if (buf[i] != (unsigned char)want)
			return i;
	}
	return len;
}

struct chargen_fixture {
	struct superd_service *svc;
	void *inst;
};

static void fixture_up(struct chargen_fixture *f)
{
	fake_reset();
	f->svc = fake_service("chargen");
	ck_assert_int_eq(fake_configure(&superd_module, f->svc, NULL, &f->inst), 0);
}

static void fixture_down(struct chargen_fixture *f)
{
	superd_module.destroy(f->inst);
	fake_service_free(f->svc);
	fake_reset();
}

START_TEST(first_three_lines_are_the_rfc_ones)
{
	struct chargen_fixture f;
	struct fake_conn *c;
	int rc = 1;

	fixture_up(&f);
	c = fake_open(&superd_module, f.inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40000, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_ge(c->outlen, 3 * 74);
	ck_assert(memcmp(c->out, line0, 74) == 0);
	ck_assert(memcmp(c->out + 74, line1, 74) == 0);
	ck_assert(memcmp(c->out + 148, line2, 74) == 0);
	fake_close(c);
	fixture_down(&f);
}
END_TEST

START_TEST(pattern_wraps_after_95_lines)
{
	struct chargen_fixture f;
	struct fake_conn *c;

	fixture_up(&f);
	c = fake_open(&superd_module, f.inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40000, NULL);
	ck_assert_uint_ge(c->outlen, 97 * 74);
	ck_assert(memcmp(c->out + 94 * 74, line94, 74) == 0);
	ck_assert(memcmp(c->out + 95 * 74, line0, 74) == 0);
	ck_assert(memcmp(c->out + 96 * 74, line1, 74) == 0);
	fake_close(c);
	fixture_down(&f);
}
END_TEST

START_TEST(stream_continues_exactly_across_drains)
{
	struct chargen_fixture f;
	struct fake_conn *c;
	size_t first;

	fixture_up(&f);
	c = fake_open(&superd_module, f.inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40000, NULL);
	first = c->outlen;
	for (int i = 0; i < 5; i++)
		fake_drain(c);
	ck_assert_uint_gt(c->outlen, first);
	ck_assert_uint_eq(pattern_mismatch(c->out, c->outlen, 0), c->outlen);
	ck_assert_int_eq(c->closed, 0);
	fake_close(c);
	fixture_down(&f);
}
END_TEST

START_TEST(a_full_socket_stops_the_burst)
{
	struct chargen_fixture f;
	struct fake_conn *c;

	fixture_up(&f);
	c = fake_open(&superd_module, f.inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40000, NULL);
	ck_assert_uint_eq(c->outlen, CHARGEN_BURST * (size_t)CHARGEN_CHUNK);
	c->pending = 100; /* the socket took only part of it */
	c->outlen = 0;
	fake_drain(c);
	ck_assert_uint_eq(c->outlen, CHARGEN_CHUNK);
	fake_close(c);
	fixture_down(&f);
}
END_TEST

START_TEST(input_and_half_close_do_not_stop_it)
{
	struct chargen_fixture f;
	struct fake_conn *c;
	size_t before;

	fixture_up(&f);
	c = fake_open(&superd_module, f.inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40000, NULL);
	before = c->outlen;
	fake_data(c, "hello\r\n", 7);
	ck_assert_uint_eq(c->inlen, 0);
	ck_assert_uint_eq(c->outlen, before);
	fake_eof(c);
	ck_assert_int_eq(c->closed, 0);
	fake_drain(c);
	ck_assert_uint_gt(c->outlen, before);
	ck_assert_uint_eq(pattern_mismatch(c->out, c->outlen, 0), c->outlen);
	fake_close(c);
	fixture_down(&f);
}
END_TEST

START_TEST(udp_answers_0_to_512_pattern_characters)
{
	struct chargen_fixture f;
	size_t count[513] = { 0 }, distinct = 0, total = 0;
	const size_t n = 2000;

	fixture_up(&f);
	for (size_t i = 0; i < n; i++) {
		char req[16];
		int len = snprintf(req, sizeof(req), "%zu", i % 7);

		fake_datagram(&superd_module, f.inst, req, (size_t)len,
		              "127.0.0.1", 40000 + (unsigned)(i % 3));
	}
	ck_assert_uint_eq(fake_reply_count(), n);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		const unsigned char *r = fake_reply(i, &len);

		ck_assert_uint_le(len, 512);
		/* each answer starts at the beginning of a line */
		ck_assert_uint_eq(pattern_mismatch(r, len, (i % 95) * 74), len);
		if (count[len]++ == 0)
			distinct++;
		total += len;
	}
	/* lengths spread over the range, not one fixed size */
	ck_assert_uint_gt(distinct, 300);
	ck_assert_uint_gt(total / n, 200);
	ck_assert_uint_lt(total / n, 312);
	fixture_down(&f);
}
END_TEST

START_TEST(options_are_refused)
{
	struct superd_service *svc;
	void *inst = NULL;

	fake_reset();
	svc = fake_service("chargen");
	ck_assert_int_eq(fake_configure(&superd_module, svc, "width: 80", &inst),
	                 -1);
	ck_assert_ptr_nonnull(strstr(fake_last_log(), "width"));
	fake_service_free(svc);
}
END_TEST

static Suite *chargen_suite(void)
{
	Suite *s = suite_create("chargen");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, first_three_lines_are_the_rfc_ones);
	tcase_add_test(tc, pattern_wraps_after_95_lines);
	tcase_add_test(tc, stream_continues_exactly_across_drains);
	tcase_add_test(tc, a_full_socket_stops_the_burst);
	tcase_add_test(tc, input_and_half_close_do_not_stop_it);
	tcase_add_test(tc, udp_answers_0_to_512_pattern_characters);
	tcase_add_test(tc, options_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(chargen_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
