/*
 * test_sdnotify.c - sdnotify_send() speaks the NOTIFY_SOCKET protocol.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

/* A datagram socket bound to addr, standing in for the service manager. */
static int manager_socket(const struct sockaddr_un *addr, unsigned len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (const struct sockaddr *)addr, len), 0);
	return fd;
}

/* Receive one datagram within a second into buf; its length or -1. */
static ssize_t receive(int fd, char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 1000) != 1)
		return -1;
	n = recv(fd, buf, size - 1, MSG_DONTWAIT);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

START_TEST(path_socket_receives_ready)
{
	char dir[] = "/tmp/sdnotify-XXXXXX", path[64], buf[64];
	struct sockaddr_un addr;
	unsigned len;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	ck_assert_int_eq(sdnotify_address(path, &addr, &len), 0);
	fd = manager_socket(&addr, len);
	setenv("NOTIFY_SOCKET", path, 1);
	sdnotify_send("READY=1");
	ck_assert_int_eq(receive(fd, buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "READY=1");
	sdnotify_send("STATUS=serving\nRELOADING=1");
	ck_assert_int_gt(receive(fd, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "STATUS=serving\nRELOADING=1");
	close(fd);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(abstract_socket_receives_ready)
{
	char name[64], buf[64];
	struct sockaddr_un addr;
	unsigned len;
	int fd;

	snprintf(name, sizeof(name), "@superd-test-notify-%ld", (long)getpid());
	ck_assert_int_eq(sdnotify_address(name, &addr, &len), 0);
	ck_assert_int_eq(addr.sun_path[0], '\0');
	fd = manager_socket(&addr, len);
	setenv("NOTIFY_SOCKET", name, 1);
	sdnotify_send("READY=1");
	ck_assert_int_eq(receive(fd, buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "READY=1");
	close(fd);
}
END_TEST

START_TEST(unset_or_bad_socket_is_a_no_op)
{
	struct sockaddr_un addr;
	unsigned len;

	unsetenv("NOTIFY_SOCKET");
	sdnotify_send("READY=1");
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	sdnotify_send("READY=1");
	setenv("NOTIFY_SOCKET", "/nonexistent/superd/notify", 1);
	sdnotify_send("READY=1");
	ck_assert_int_eq(sdnotify_address("", &addr, &len), -1);
	ck_assert_int_eq(sdnotify_address("@", &addr, &len), -1);
	ck_assert_int_eq(sdnotify_address("relative", &addr, &len), -1);
	ck_assert_int_eq(sdnotify_address(NULL, &addr, &len), -1);
}
END_TEST

START_TEST(overlong_path_is_refused)
{
	char name[200];
	struct sockaddr_un addr;
	unsigned len;

	memset(name, 'a', sizeof(name) - 1);
	name[0] = '/';
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(sdnotify_address(name, &addr, &len), -1);
}
END_TEST

static Suite *sdnotify_suite(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("protocol");

	tcase_add_test(tc, path_socket_receives_ready);
	tcase_add_test(tc, abstract_socket_receives_ready);
	tcase_add_test(tc, unset_or_bad_socket_is_a_no_op);
	tcase_add_test(tc, overlong_path_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sdnotify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
