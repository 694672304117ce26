/*
 * test_daytime.c - the daytime module (RFC 867) through the fake host.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/daytime.c"
#include "fakehost.h"

/* daytime_format(t) as a string (static buffer: one at a time). */
static const char *format_at(time_t t)
{
	static char buf[DAYTIME_LINE_MAX];

	ck_assert_uint_gt(daytime_format(t, buf, sizeof(buf)), 0);
	return buf;
}

START_TEST(format_at_known_instants)
{
	ck_assert_str_eq(format_at(0), "Thursday, January 1, 1970 00:00:00-UTC\r\n");
	ck_assert_str_eq(format_at(1795696496),
	                 "Thursday, November 26, 2026 12:34:56-UTC\r\n");
	ck_assert_str_eq(format_at(951782400),
	                 "Tuesday, February 29, 2000 00:00:00-UTC\r\n");
	ck_assert_str_eq(format_at(2085978496),
	                 "Thursday, February 7, 2036 06:28:16-UTC\r\n");
	ck_assert_str_eq(format_at(4102444799),
	                 "Thursday, December 31, 2099 23:59:59-UTC\r\n");
}
END_TEST

START_TEST(format_refuses_a_small_buffer)
{
	char buf[10];

	ck_assert_uint_eq(daytime_format(0, buf, sizeof(buf)), 0);
}
END_TEST

/* Is line the daytime line of a second within 2 s of now? */
static int is_current_line(const unsigned char *line, size_t len)
{
	time_t now = time(NULL);

	for (time_t t = now - 2; t <= now + 2; t++) {
		const char *want = format_at(t);

		if (len == strlen(want) && memcmp(line, want, len) == 0)
			return 1;
	}
	return 0;
}

START_TEST(tcp_sends_one_line_then_closes)
{
	struct superd_service *svc;
	struct fake_conn *c;
	void *inst;
	int rc = 1;

	fake_reset();
	svc = fake_service("daytime");
	ck_assert_int_eq(fake_configure(&superd_module, svc, NULL, &inst), 0);
	c = fake_open(&superd_module, inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40000, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(c->closed, 1);
	ck_assert(is_current_line(c->out, c->outlen));
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
	svc = fake_service("daytime");
	ck_assert_int_eq(fake_configure(&superd_module, svc, NULL, &inst), 0);
	fake_datagram(&superd_module, inst, "", 0, "127.0.0.1", 40000);
	fake_datagram(&superd_module, inst, "what time?", 10, "::1", 40001);
	ck_assert_uint_eq(fake_reply_count(), 2);
	r = fake_reply(1, &len);
	ck_assert(is_current_line(r, len));
	superd_module.destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(options_are_refused)
{
	struct superd_service *svc;
	void *inst = NULL;

	fake_reset();
	svc = fake_service("daytime");
	ck_assert_int_eq(fake_configure(&superd_module, svc, "format: iso", &inst),
	                 -1);
	ck_assert_ptr_nonnull(strstr(fake_last_log(), "format"));
	fake_service_free(svc);
}
END_TEST

static Suite *daytime_suite(void)
{
	Suite *s = suite_create("daytime");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, format_at_known_instants);
	tcase_add_test(tc, format_refuses_a_small_buffer);
	tcase_add_test(tc, tcp_sends_one_line_then_closes);
	tcase_add_test(tc, udp_answers_each_datagram);
	tcase_add_test(tc, options_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(daytime_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
