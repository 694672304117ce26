/*
 * test_echo.c - the echo module (RFC 862) through the fake host.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../modules/echo.c"
#include "fakehost.h"

/* A configured echo service, torn down by the test. */
struct echo_fixture {
	struct superd_service *svc;
	void *inst;
};

static void fixture_up(struct echo_fixture *f)
{
	fake_reset();
	f->svc = fake_service("echo");
	ck_assert_int_eq(fake_configure(&superd_module, f->svc, NULL, &f->inst), 0);
	ck_assert_ptr_nonnull(f->inst);
}

static void fixture_down(struct echo_fixture *f)
{
	superd_module.destroy(f->inst);
	fake_service_free(f->svc);
	fake_reset();
}

START_TEST(descriptor_is_valid)
{
	ck_assert_uint_eq(superd_module.magic, SUPERD_MODULE_MAGIC);
	ck_assert_uint_eq(superd_module.abi_major, SUPERD_ABI_MAJOR);
	ck_assert_uint_eq(superd_module.size, sizeof(struct superd_module));
	ck_assert_str_eq(superd_module.name, "echo");
	ck_assert(superd_module.protocols & SUPERD_PROTO_TCP);
	ck_assert(superd_module.protocols & SUPERD_PROTO_UDP);
}
END_TEST

START_TEST(options_are_refused_at_their_position)
{
	struct superd_service *svc;
	void *inst = NULL;

	fake_reset();
	svc = fake_service("echo");
	ck_assert_int_eq(fake_configure(&superd_module, svc, "\n  bufsize: 10\n",
	                                &inst), -1);
	ck_assert_ptr_null(inst);
	ck_assert_uint_ge(fake_log_count(), 1);
	ck_assert_ptr_nonnull(strstr(fake_last_log(), "test.yaml:2:3"));
	ck_assert_ptr_nonnull(strstr(fake_last_log(), "bufsize"));
	fake_service_free(svc);
}
END_TEST

START_TEST(empty_options_map_is_accepted)
{
	struct superd_service *svc;
	void *inst = NULL;

	fake_reset();
	svc = fake_service("echo");
	ck_assert_int_eq(fake_configure(&superd_module, svc, "{}", &inst), 0);
	superd_module.destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(tcp_echoes_a_mebibyte_of_binary_exactly)
{
	struct echo_fixture f;
	const size_t total = 1u << 20;
	unsigned char *data = malloc(total);
	struct fake_conn *c;
	int rc = 1;
	unsigned seed = 12345;

	fixture_up(&f);
	for (size_t i = 0; i < total; i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (unsigned char)(seed >> 16);
	}
	memset(data + 1000, 0, 5000); /* NUL runs too */
	c = fake_open(&superd_module, f.inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40000, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(c->outlen, 0);
	for (size_t off = 0; off < total; off += 4093) {
		size_t n = total - off < 4093 ? total - off : 4093;

		fake_data(c, data + off, n);
		ck_assert_uint_eq(c->inlen, 0);
	}
	ck_assert_uint_eq(c->outlen, total);
	ck_assert(memcmp(c->out, data, total) == 0);
	ck_assert_int_eq(c->closed, 0);
	ck_assert_int_eq(c->reflected, 1); /* the core sends the bytes back */
	fake_close(c);
	free(data);
	fixture_down(&f);
}
END_TEST

/* A host that will not reflect: on_data echoes every byte itself. */
START_TEST(tcp_echoes_by_itself_when_the_host_does_not_reflect)
{
	struct echo_fixture f;
	struct fake_conn *c;
	unsigned char data[70000];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31);
	fixture_up(&f);
	fake_refuse_reflect(1);
	c = fake_open(&superd_module, f.inst, SUPERD_PROTO_TCP, "127.0.0.1",
	              40005, NULL);
	ck_assert_int_eq(c->reflected, 0);
	fake_data(c, data, 1000);
	fake_data(c, data + 1000, sizeof(data) - 1000);
	ck_assert_uint_eq(c->inlen, 0);
	ck_assert_uint_eq(c->outlen, sizeof(data));
	ck_assert(memcmp(c->out, data, sizeof(data)) == 0);
	fake_close(c);
	fixture_down(&f);
}
END_TEST

START_TEST(tcp_half_close_flushes_then_closes)
{
	struct echo_fixture f;
	struct fake_conn *c;

	fixture_up(&f);
	c = fake_open(&superd_module, f.inst, SUPERD_PROTO_TCP, "::1", 40001,
	              NULL);
	fake_data(c, "last words", 10);
	fake_eof(c);
	ck_assert_int_eq(c->closed, 1); /* close = send what is queued first */
	ck_assert_uint_eq(c->outlen, 10);
	ck_assert(memcmp(c->out, "last words", 10) == 0);
	fake_close(c);
	fixture_down(&f);
}
END_TEST

/* SO_RCVBUF of a fresh TCP socket after a connection on it is opened. */
static int rcvbuf_after_open(struct echo_fixture *f, unsigned proto)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), val = 0, rc = 1;
	socklen_t len = sizeof(val);
	struct fake_conn *c;

	ck_assert_int_ge(fd, 0);
	fake_set_next_fd(fd);
	c = fake_open(&superd_module, f->inst, proto,
	              proto == SUPERD_PROTO_UNIX ? NULL : "127.0.0.1", 40004, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, &len), 0);
	fake_close(c);
	close(fd);
	return val;
}

START_TEST(tcp_receive_queue_is_kept_short)
{
	struct echo_fixture f;

	fixture_up(&f);
	/* Linux reports twice what was set (its bookkeeping share) */
	ck_assert_int_eq(rcvbuf_after_open(&f, SUPERD_PROTO_TCP),
	                 2 * CLASSIC_RCVBUF);
	ck_assert_int_ne(rcvbuf_after_open(&f, SUPERD_PROTO_UNIX),
	                 2 * CLASSIC_RCVBUF);
	fixture_down(&f);
}
END_TEST

START_TEST(udp_answers_each_datagram_with_the_same_bytes)
{
	struct echo_fixture f;
	const unsigned char payload[] = { 'a', 0, 'b', 0xff, 0 };
	const unsigned char *r;
	size_t len;

	fixture_up(&f);
	fake_datagram(&superd_module, f.inst, payload, sizeof(payload),
	              "127.0.0.1", 40002);
	fake_datagram(&superd_module, f.inst, "", 0, "::1", 40003);
	ck_assert_uint_eq(fake_reply_count(), 2);
	r = fake_reply(0, &len);
	ck_assert_uint_eq(len, sizeof(payload));
	ck_assert(memcmp(r, payload, len) == 0);
	r = fake_reply(1, &len);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(len, 0);
	fixture_down(&f);
}
END_TEST

static Suite *echo_suite(void)
{
	Suite *s = suite_create("echo");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, descriptor_is_valid);
	tcase_add_test(tc, options_are_refused_at_their_position);
	tcase_add_test(tc, empty_options_map_is_accepted);
	tcase_add_test(tc, tcp_echoes_a_mebibyte_of_binary_exactly);
	tcase_add_test(tc, tcp_echoes_by_itself_when_the_host_does_not_reflect);
	tcase_add_test(tc, tcp_half_close_flushes_then_closes);
	tcase_add_test(tc, tcp_receive_queue_is_kept_short);
	tcase_add_test(tc, udp_answers_each_datagram_with_the_same_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(echo_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
