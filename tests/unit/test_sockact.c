/*
 * test_sockact.c - sockets passed with LISTEN_FDS/LISTEN_PID are matched to
 * listen addresses by address and type.
 *
 * main() opens the "passed" sockets before Check runs, so they are fds 3..6
 * exactly as systemd would pass them; each test runs in its own forked
 * child and sets LISTEN_PID to that child's pid.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockact.h"
#include "superd/module.h"

#define PASSED 4 /* fds 3 (tcp v4), 4 (udp v4), 5 (tcp v4, 2nd), 6 (unix) */

static unsigned short tcp_port, udp_port, tcp2_port;
static char unix_path[64];

/* The kernel-chosen port of an inet socket. */
static unsigned short port_of(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		return 0;
	return ntohs(sin.sin_port);
}

/* A socket of type bound to 127.0.0.1 on a free port; must land on fd want. */
static int open_inet(int type, int want)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, type, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd != want || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -1;
	if (type == SOCK_STREAM && listen(fd, 8) < 0)
		return -1;
	return fd;
}

/* A listening UNIX stream socket on a fresh path; must land on fd want. */
static int open_unix(int want)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(unix_path, sizeof(unix_path), "/tmp/sockact-test-%ld",
	         (long)getpid());
	unlink(unix_path);
	strcpy(sun.sun_path, unix_path);
	if (fd != want || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 8) < 0)
		return -1;
	return fd;
}

/* A listen_addr for 127.0.0.1:port of type (built with memcpy: no aliasing). */
static struct listen_addr inet_addr_of(unsigned short port, int type)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct listen_addr la;

	memset(&la, 0, sizeof(la));
	la.family = AF_INET;
	la.socktype = type;
	la.proto = type == SOCK_STREAM ? SUPERD_PROTO_TCP : SUPERD_PROTO_UDP;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memcpy(&la.ss, &sin, sizeof(sin));
	la.sslen = sizeof(sin);
	return la;
}

/* A listen_addr for the UNIX path. */
static struct listen_addr unix_addr_of(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct listen_addr la;

	memset(&la, 0, sizeof(la));
	la.family = AF_UNIX;
	la.socktype = SOCK_STREAM;
	la.proto = SUPERD_PROTO_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	memcpy(&la.ss, &sun, sizeof(sun));
	la.sslen = sizeof(sun);
	return la;
}

/* Pretend systemd passed our PASSED sockets to this process. */
static void activate(long pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%ld", pid);
	setenv("LISTEN_PID", text, 1);
	setenv("LISTEN_FDS", "4", 1);
	setenv("LISTEN_FDNAMES", "a:b:c:d", 1);
}

START_TEST(matching_addresses_are_taken_once)
{
	struct listen_addr tcp = inet_addr_of(tcp_port, SOCK_STREAM);
	struct listen_addr udp = inet_addr_of(udp_port, SOCK_DGRAM);
	struct listen_addr tcp2 = inet_addr_of(tcp2_port, SOCK_STREAM);
	struct listen_addr un = unix_addr_of(unix_path);

	activate(getpid());
	ck_assert_int_eq(sockact_init(), PASSED);
	ck_assert_int_eq(sockact_take(&udp), 4);
	ck_assert_int_eq(sockact_take(&tcp2), 5);
	ck_assert_int_eq(sockact_take(&tcp), 3);
	ck_assert_int_eq(sockact_take(&un), 6);
	ck_assert_int_eq(sockact_take(&tcp), -1);
	ck_assert_int_eq(sockact_take(&un), -1);
}
END_TEST

START_TEST(other_addresses_do_not_match)
{
	struct listen_addr wrong_type = inet_addr_of(tcp_port, SOCK_DGRAM);
	struct listen_addr wrong_port = inet_addr_of(1, SOCK_STREAM);
	struct listen_addr wrong_host = inet_addr_of(tcp_port, SOCK_STREAM);
	struct listen_addr wrong_path = unix_addr_of("/tmp/sockact-nothing");

	struct sockaddr_in other = { .sin_family = AF_INET };

	other.sin_port = htons(tcp_port);
	other.sin_addr.s_addr = htonl(0x7f000002);
	memcpy(&wrong_host.ss, &other, sizeof(other));
	activate(getpid());
	ck_assert_int_eq(sockact_init(), PASSED);
	ck_assert_int_eq(sockact_take(&wrong_type), -1);
	ck_assert_int_eq(sockact_take(&wrong_port), -1);
	ck_assert_int_eq(sockact_take(&wrong_host), -1);
	ck_assert_int_eq(sockact_take(&wrong_path), -1);
}
END_TEST

START_TEST(variables_are_consumed_and_fds_made_cloexec)
{
	int fd;

	for (fd = 3; fd < 3 + PASSED; fd++)
		ck_assert_int_eq(fcntl(fd, F_SETFD, 0), 0);
	activate(getpid());
	ck_assert_int_eq(sockact_init(), PASSED);
	ck_assert_ptr_null(getenv("LISTEN_PID"));
	ck_assert_ptr_null(getenv("LISTEN_FDS"));
	ck_assert_ptr_null(getenv("LISTEN_FDNAMES"));
	for (fd = 3; fd < 3 + PASSED; fd++)
		ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}
END_TEST

START_TEST(another_pid_passes_nothing)
{
	struct listen_addr tcp = inet_addr_of(tcp_port, SOCK_STREAM);

	activate((long)getpid() + 1);
	ck_assert_int_eq(sockact_init(), 0);
	ck_assert_ptr_null(getenv("LISTEN_FDS"));
	ck_assert_int_eq(sockact_take(&tcp), -1);
	setenv("LISTEN_PID", "garbage", 1);
	setenv("LISTEN_FDS", "4", 1);
	ck_assert_int_eq(sockact_init(), 0);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	ck_assert_int_eq(sockact_init(), 0);
}
END_TEST

START_TEST(unused_sockets_are_closed)
{
	struct listen_addr udp = inet_addr_of(udp_port, SOCK_DGRAM);

	activate(getpid());
	ck_assert_int_eq(sockact_init(), PASSED);
	ck_assert_int_eq(sockact_take(&udp), 4);
	sockact_close_unused();
	ck_assert_int_ge(fcntl(4, F_GETFD), 0);
	ck_assert_int_eq(fcntl(3, F_GETFD), -1);
	ck_assert_int_eq(fcntl(5, F_GETFD), -1);
	ck_assert_int_eq(fcntl(6, F_GETFD), -1);
}
END_TEST

static Suite *sockact_suite(void)
{
	Suite *s = suite_create("sockact");
	TCase *tc = tcase_create("activation");

	tcase_add_test(tc, matching_addresses_are_taken_once);
	tcase_add_test(tc, other_addresses_do_not_match);
	tcase_add_test(tc, variables_are_consumed_and_fds_made_cloexec);
	tcase_add_test(tc, another_pid_passes_nothing);
	tcase_add_test(tc, unused_sockets_are_closed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed, fd;

	/* Free fds 3..6 (an inherited fd would shift them), then open. */
	for (fd = 3; fd < 3 + PASSED; fd++)
		close(fd);
	if (open_inet(SOCK_STREAM, 3) < 0 || open_inet(SOCK_DGRAM, 4) < 0 ||
	    open_inet(SOCK_STREAM, 5) < 0 || open_unix(6) < 0) {
		perror("test_sockact: set-up");
		return EXIT_FAILURE;
	}
	tcp_port = port_of(3);
	udp_port = port_of(4);
	tcp2_port = port_of(5);
	sr = srunner_create(sockact_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	unlink(unix_path);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
