/*
 * test_time.c - the time module (RFC 868) through the fake host.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/time.c"
#include "fakehost.h"

/* time_encode(t) as the number its 4 big-endian bytes hold. */
static uint32_t encoded(int64_t t)
{
	unsigned char b[4];

	time_encode(t, b);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

START_TEST(encoding_at_known_instants)
{
	unsigned char b[4];

	time_encode(0, b); /* 1970-01-01: 2208988800 = 0x83AA7E80 */
	ck_assert(memcmp(b, "\x83\xaa\x7e\x80", 4) == 0);
	ck_assert_uint_eq(encoded(-2208988800LL), 0);          /* 1900-01-01 */
	ck_assert_uint_eq(encoded(1795696496), 0xeeb2a5f0u);   /* 2026-11-26 12:34:56 */
	ck_assert_uint_eq(encoded(2085978495), 0xffffffffu);   /* last second before the wrap */
	ck_assert_uint_eq(encoded(2085978496), 0);             /* 2036-02-07 06:28:16: wraps */
	ck_assert_uint_eq(encoded(2085978497), 1);
}
END_TEST

/* Is the 4-byte answer within 2 s of now? */
static int is_current(const unsigned char *b, size_t len)
{
	uint32_t got, want;

	if (len != 4)
		return 0;
	got = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	      (uint32_t)b[2] << 8 | b[3];
	want = encoded(time(NULL));
	return (uint32_t)(got - want + 2) <= 4;
}

START_TEST(tcp_sends_four_bytes_then_closes)
{
	struct superd_service *svc;
	struct fake_conn *c;
	void *inst;
	int rc = 1;

	fake_reset();
	svc = fake_service("time");
	ck_assert_int_eq(fake_configure(&superd_module, svc, NULL, &inst), 0);
	c = fake_open(&superd_module, inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40000, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(c->closed, 1);
	ck_assert(is_current(c->out, c->outlen));
	fake_close(c);
	superd_module.destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(udp_answers_each_datagram)
{
	struct superd_service *svc;
	void *inst;
	const unsigned char *r;
	size_t len;

	fake_reset();
	svc = fake_service("time");
	ck_assert_int_eq(fake_configure(&superd_module, svc, NULL, &inst), 0);
	fake_datagram(&superd_module, inst, "", 0, "127.0.0.1", 40000);
	fake_datagram(&superd_module, inst, "x", 1, "::1", 40001);
	ck_assert_uint_eq(fake_reply_count(), 2);
	r = fake_reply(0, &len);
	ck_assert(is_current(r, len));
	r = fake_reply(1, &len);
	ck_assert(is_current(r, len));
	superd_module.destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(options_are_refused)
{
	struct superd_service *svc;
	void *inst = NULL;

	fake_reset();
	svc = fake_service("time");
	ck_assert_int_eq(fake_configure(&superd_module, svc, "epoch: 1900", &inst),
	                 -1);
	ck_assert_ptr_nonnull(strstr(fake_last_log(), "epoch"));
	fake_service_free(svc);
}
END_TEST

static Suite *time_suite(void)
{
	Suite *s = suite_create("time");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, encoding_at_known_instants);
	tcase_add_test(tc, tcp_sends_four_bytes_then_closes);
	tcase_add_test(tc, udp_answers_each_datagram);
	tcase_add_test(tc, options_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(time_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
