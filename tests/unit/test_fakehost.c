/*
 * test_fakehost.c - the fake host itself: kept input, pause, close/abort,
 * sendfile, timers in order, watches, children, replies and logs, so the
 * module suites can trust it.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakehost.h"

/* A test module: consumes whole lines ("\n"-ended) and echoes them; the
 * line "close" closes, "abort" aborts, "pause" pauses reading. */
struct line_state {
	int opens, closes;
};

static const struct superd_host *H;

static int line_open(superd_conn *c, void *inst, void *state)
{
	((struct line_state *)state)->opens++;
	return inst == (void *)1 ? -1 : 0;
}

static size_t line_data(superd_conn *c, void *inst, void *state,
                        const unsigned char *data, size_t len)
{
	size_t used = 0;

	for (;;) {
		const unsigned char *line = data + used;
		const unsigned char *nl = memchr(line, '\n', len - used);
		size_t n;

		if (!nl)
			return used; /* keep the rest: wait for its end */
		n = (size_t)(nl - line) + 1;
		if (n == 6 && memcmp(line, "close", 5) == 0)
			return SUPERD_DATA_CLOSE;
		if (n == 6 && memcmp(line, "abort", 5) == 0)
			return SUPERD_DATA_ABORT;
		H->write(c, line, n);
		used += n;
		if (n == 6 && memcmp(line, "pause", 5) == 0) {
			H->pause_read(c, 1);
			return used;
		}
	}
}

static int closes_seen;

static void line_close(superd_conn *c, void *inst, void *state)
{
	closes_seen++;
}

static const struct superd_module line_module = {
	SUPERD_MODULE_HEADER,
	.name = "line",
	.version = "1",
	.protocols = SUPERD_PROTO_TCP,
	.conn_size = sizeof(struct line_state),
	.on_open = line_open,
	.on_data = line_data,
	.on_close = line_close,
};

START_TEST(kept_input_is_handed_again_with_what_follows)
{
	struct fake_conn *c;
	int rc = 1;

	fake_reset();
	H = fake_host();
	c = fake_open(&line_module, NULL, SUPERD_PROTO_TCP, "10.1.2.3", 5555, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(c->peer.remote_ip, "10.1.2.3");
	ck_assert_uint_eq(c->peer.remote_port, 5555);
	ck_assert_int_eq(((struct line_state *)c->state)->opens, 1);
	fake_data(c, "hel", 3);
	ck_assert_uint_eq(c->inlen, 3);
	ck_assert_uint_eq(c->outlen, 0);
	fake_data(c, "lo\nwor", 6);
	ck_assert_uint_eq(c->outlen, 6);
	ck_assert(memcmp(c->out, "hello\n", 6) == 0);
	ck_assert_uint_eq(c->inlen, 3);
	ck_assert(memcmp(c->in, "wor", 3) == 0);
	/* pausing keeps input back until fake_data(c, NULL, 0) after resume */
	fake_data(c, "\npause\nx\n", 9);
	ck_assert_int_eq(c->paused, 1);
	ck_assert_uint_eq(c->outlen, 16); /* "wor\n", "pause\n" */
	ck_assert_uint_eq(c->inlen, 2);
	fake_data(c, "y\n", 2);
	ck_assert_uint_eq(c->outlen, 16);
	ck_assert_uint_eq(c->inlen, 4);
	H->pause_read((superd_conn *)c, 0);
	fake_data(c, NULL, 0);
	ck_assert_uint_eq(c->outlen, 20);
	ck_assert_uint_eq(c->inlen, 0);
	ck_assert(memcmp(c->out, "hello\nwor\npause\nx\ny\n", 20) == 0);
	fake_data(c, "close\nignored\n", 14);
	ck_assert_int_eq(c->closed, 1);
	fake_data(c, "more\n", 5); /* dropped once closed */
	ck_assert_uint_eq(c->outlen, 20);
	closes_seen = 0;
	fake_close(c);
	ck_assert_int_eq(closes_seen, 1);
}
END_TEST

START_TEST(abort_and_refused_open)
{
	struct fake_conn *c;
	int rc = 0;

	fake_reset();
	H = fake_host();
	c = fake_open(&line_module, NULL, SUPERD_PROTO_TCP, "::1", 1, &rc);
	fake_data(c, "abort\n", 6);
	ck_assert_int_eq(c->closed, 2);
	ck_assert_int_eq(H->write((superd_conn *)c, "x", 1), -1);
	fake_close(c);
	/* on_open refusing: closed=2 and no on_close, as the real host */
	closes_seen = 0;
	c = fake_open(&line_module, (void *)1, SUPERD_PROTO_TCP, "::1", 1, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(c->closed, 2);
	fake_close(c);
	ck_assert_int_eq(closes_seen, 0);
}
END_TEST

START_TEST(sendfile_reads_the_range_and_closes_the_fd)
{
	char path[] = "/tmp/fakehost-XXXXXX";
	int fd = mkstemp(path);
	struct fake_conn *c;

	fake_reset();
	H = fake_host();
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	c = fake_open(&line_module, NULL, SUPERD_PROTO_TCP, "127.0.0.1", 2, NULL);
	ck_assert_int_eq(H->sendfile((superd_conn *)c, fd, 3, 4), 0);
	ck_assert_uint_eq(c->outlen, 4);
	ck_assert(memcmp(c->out, "3456", 4) == 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* closed */
	fake_close(c);
	unlink(path);
}
END_TEST

static char fired[16];
static size_t nfired;

static void mark(void *arg)
{
	fired[nfired++] = *(const char *)arg;
}

START_TEST(timers_fire_in_order_on_the_fake_clock)
{
	superd_timer *b;
	uint64_t t0;

	fake_reset();
	H = fake_host();
	nfired = 0;
	t0 = H->now_ms();
	H->timer_add(30, mark, "c");
	H->timer_add(10, mark, "a");
	b = H->timer_add(20, mark, "b");
	H->timer_add(10, mark, "A"); /* same time: in the order added */
	ck_assert_uint_eq(fake_timer_count(), 4);
	H->timer_cancel(b);
	fake_advance(15);
	ck_assert_uint_eq(nfired, 2);
	ck_assert(memcmp(fired, "aA", 2) == 0);
	ck_assert_uint_eq(H->now_ms(), t0 + 15);
	fake_advance(100);
	ck_assert_uint_eq(nfired, 3);
	ck_assert_int_eq(fired[2], 'c');
	ck_assert_uint_eq(fake_timer_count(), 0);
}
END_TEST

static int watch_hits, child_status;

static void on_watch(int fd, unsigned events, void *arg)
{
	watch_hits += (int)events;
}

static void on_child(pid_t pid, int status, void *arg)
{
	child_status = status;
}

START_TEST(watches_children_replies_and_logs)
{
	superd_watch *w;
	struct superd_service *svc;

	fake_reset();
	H = fake_host();
	w = H->watch_add(7, SUPERD_EV_IN, on_watch, NULL);
	ck_assert_int_eq(fake_watch_events(7), SUPERD_EV_IN);
	H->watch_set(w, SUPERD_EV_OUT);
	ck_assert_int_eq(fake_watch_events(7), SUPERD_EV_OUT);
	ck_assert_int_eq(fake_watch_fire(7, SUPERD_EV_OUT), 1);
	ck_assert_int_eq(fake_watch_fire(8, SUPERD_EV_IN), 0);
	ck_assert_int_eq(watch_hits, SUPERD_EV_OUT);
	H->watch_del(w);
	ck_assert_uint_eq(fake_watch_count(), 0);
	ck_assert_int_eq(fake_watch_events(7), -1);

	ck_assert_int_eq(H->child_watch(1234, on_child, NULL), 0);
	ck_assert_uint_eq(fake_child_count(), 1);
	ck_assert_int_eq(fake_child_exit(1234, 42 << 8), 1);
	ck_assert_int_eq(child_status, 42 << 8);
	ck_assert_int_eq(fake_child_exit(1234, 0), 0);

	svc = fake_service("svc");
	H->log(svc, SUPERD_LOG_WARN, "hello %d", 42);
	ck_assert_str_eq(fake_last_log(), "svc: hello 42");
	ck_assert_int_eq(fake_last_log_level(), SUPERD_LOG_WARN);
	ck_assert(fake_log_contains("hello 4"));
	ck_assert_str_eq(H->service_name(svc), "svc");
	ck_assert_str_eq(H->config_dir(svc), "/tmp");
	H->service_set_wait(svc, 1);
	ck_assert_int_eq(svc->wait, 1);
	fake_service_free(svc);
	fake_reset();
	ck_assert_ptr_null(fake_last_log());
	ck_assert_uint_eq(fake_reply_count(), 0);
}
END_TEST

START_TEST(module_without_configure_refuses_options)
{
	struct superd_service *svc = fake_service("line");
	void *inst = (void *)1;

	fake_reset();
	ck_assert_int_eq(fake_configure(&line_module, svc, NULL, &inst), 0);
	ck_assert_ptr_null(inst);
	ck_assert_int_eq(fake_configure(&line_module, svc, "a: 1", &inst), -1);
	ck_assert(fake_log_contains("test.yaml:1:1"));
	ck_assert_int_eq(fake_configure(&line_module, svc, "a: [", &inst), -1);
	fake_service_free(svc);
}
END_TEST

static Suite *fakehost_suite(void)
{
	Suite *s = suite_create("fakehost");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, kept_input_is_handed_again_with_what_follows);
	tcase_add_test(tc, abort_and_refused_open);
	tcase_add_test(tc, sendfile_reads_the_range_and_closes_the_fd);
	tcase_add_test(tc, timers_fire_in_order_on_the_fake_clock);
	tcase_add_test(tc, watches_children_replies_and_logs);
	tcase_add_test(tc, module_without_configure_refuses_options);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fakehost_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
