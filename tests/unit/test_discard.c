/*
 * test_discard.c - the discard module (RFC 863) through the fake host.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../modules/discard.c"
#include "fakehost.h"

START_TEST(tcp_consumes_everything_and_sends_nothing)
{
	struct superd_service *svc;
	struct fake_conn *c;
	unsigned char block[8192];
	void *inst;
	int rc = 1;

	fake_reset();
	svc = fake_service("discard");
	ck_assert_int_eq(fake_configure(&superd_module, svc, NULL, &inst), 0);
	c = fake_open(&superd_module, inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40000, &rc);
	ck_assert_int_eq(rc, 0);
	memset(block, 0, sizeof(block));
	for (int i = 0; i < 200; i++) {
		fake_data(c, block, sizeof(block));
		ck_assert_uint_eq(c->inlen, 0);
	}
	ck_assert_uint_eq(c->outlen, 0);
	ck_assert_int_eq(c->closed, 0);
	fake_eof(c);
	ck_assert_int_eq(c->closed, 1);
	ck_assert_uint_eq(c->outlen, 0);
	fake_close(c);
	superd_module.destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(tcp_receive_queue_is_kept_short)
{
	struct superd_service *svc;
	struct fake_conn *c;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), val = 0, rc = 1;
	socklen_t len = sizeof(val);
	void *inst;

	ck_assert_int_ge(fd, 0);
	fake_reset();
	svc = fake_service("discard");
	ck_assert_int_eq(fake_configure(&superd_module, svc, NULL, &inst), 0);
	fake_set_next_fd(fd);
	c = fake_open(&superd_module, inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40001, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, &len), 0);
	ck_assert_int_eq(val, 2 * CLASSIC_RCVBUF); /* Linux doubles it */
	fake_close(c);
	close(fd);
	superd_module.destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(udp_never_replies)
{
	struct superd_service *svc;
	void *inst;

	fake_reset();
	svc = fake_service("discard");
	ck_assert_int_eq(fake_configure(&superd_module, svc, NULL, &inst), 0);
	fake_datagram(&superd_module, inst, "x", 1, "127.0.0.1", 40000);
	fake_datagram(&superd_module, inst, "", 0, "::1", 40000);
	ck_assert_uint_eq(fake_reply_count(), 0);
	superd_module.destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(options_are_refused)
{
	struct superd_service *svc;
	void *inst = NULL;

	fake_reset();
	svc = fake_service("discard");
	ck_assert_int_eq(fake_configure(&superd_module, svc, "sink: yes", &inst),
	                 -1);
	ck_assert_ptr_nonnull(strstr(fake_last_log(), "sink"));
	ck_assert_int_eq(fake_configure(&superd_module, svc, "[a, b]", &inst), -1);
	fake_service_free(svc);
}
END_TEST

static Suite *discard_suite(void)
{
	Suite *s = suite_create("discard");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, tcp_consumes_everything_and_sends_nothing);
	tcase_add_test(tc, tcp_receive_queue_is_kept_short);
	tcase_add_test(tc, udp_never_replies);
	tcase_add_test(tc, options_are_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(discard_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
