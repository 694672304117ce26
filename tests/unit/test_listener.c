/*
 * test_listener.c - binding listeners: socket options per address form, a
 * stale UNIX socket file replaced but a live one refused, UDP packet info
 * only on wildcard addresses, and the reference count.
 */
#include "conf.h"

#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listener.h"

/* An IPv4 loopback address on an ephemeral port. */
static struct listen_addr v4_addr(int socktype, const char *ip)
{
	struct listen_addr la = { .family = AF_INET, .socktype = socktype };
	struct sockaddr_in *sin = (struct sockaddr_in *)&la.ss;

	la.proto = socktype == SOCK_DGRAM ? SUPERD_PROTO_UDP : SUPERD_PROTO_TCP;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	la.sslen = sizeof(*sin);
	snprintf(la.text, sizeof(la.text), "%s:0", ip);
	return la;
}

/* A UNIX address at path. */
static struct listen_addr unix_addr(const char *path)
{
	struct listen_addr la = { .family = AF_UNIX, .socktype = SOCK_STREAM,
	                          .proto = SUPERD_PROTO_UNIX };
	struct sockaddr_un *sun = (struct sockaddr_un *)&la.ss;

	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
	la.sslen = sizeof(*sun);
	snprintf(la.text, sizeof(la.text), "unix:%s", path);
	return la;
}

static int int_opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	getsockopt(fd, level, name, &v, &len);
	return v;
}

START_TEST(tcp_is_nonblocking_cloexec_reuseaddr_listening)
{
	struct listen_addr la = v4_addr(SOCK_STREAM, "127.0.0.1");
	struct listener *ls = listener_open(&la, "t");

	ck_assert_ptr_nonnull(ls);
	ck_assert(fcntl(ls->fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(ls->fd, F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(int_opt(ls->fd, SOL_SOCKET, SO_REUSEADDR), 1);
	ck_assert_int_eq(int_opt(ls->fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	ck_assert_int_eq(ls->pktinfo, 0);
	listener_release(ls);
}
END_TEST

START_TEST(udp_pktinfo_only_on_wildcard)
{
	struct listen_addr one = v4_addr(SOCK_DGRAM, "127.0.0.1");
	struct listen_addr any = v4_addr(SOCK_DGRAM, "0.0.0.0");
	struct listener *a = listener_open(&one, "t");
	struct listener *b = listener_open(&any, "t");

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(a->pktinfo, 0);
	ck_assert_int_eq(b->pktinfo, 1);
	ck_assert_int_eq(int_opt(b->fd, IPPROTO_IP, IP_PKTINFO), 1);
	listener_release(a);
	listener_release(b);
}
END_TEST

START_TEST(explicit_ipv6_is_v6only)
{
	struct listen_addr la = { .family = AF_INET6, .socktype = SOCK_STREAM,
	                          .proto = SUPERD_PROTO_TCP };
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&la.ss;
	struct listener *ls;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = in6addr_loopback;
	la.sslen = sizeof(*sin6);
	ls = listener_open(&la, "t");
	if (!ls)
		return; /* no IPv6 here */
	ck_assert_int_eq(int_opt(ls->fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	listener_release(ls);
}
END_TEST

START_TEST(stale_unix_socket_is_replaced_live_one_refused)
{
	char path[] = "/tmp/superd-test-listener-XXXXXX";
	char sock[64];
	struct listen_addr la;
	struct listener *ls, *again;
	struct stat st;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/s", path);
	la = unix_addr(sock);
	/* A socket file nobody listens on: a crashed server's leftover. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&la.ss, la.sslen), 0);
	close(fd);
	ls = listener_open(&la, "t");
	ck_assert_ptr_nonnull(ls);
	/* Now it is live: a second bind must not steal it. */
	again = listener_open(&la, "t");
	ck_assert_ptr_null(again);
	ck_assert_int_eq(stat(sock, &st), 0);
	/* Shared, then closed (and unlinked) with the last reference. */
	listener_ref(ls);
	listener_release(ls);
	ck_assert_int_eq(stat(sock, &st), 0);
	listener_release(ls);
	ck_assert_int_eq(stat(sock, &st), -1);
	rmdir(path);
}
END_TEST

START_TEST(address_in_use_fails)
{
	struct listen_addr la = v4_addr(SOCK_STREAM, "127.0.0.1");
	struct listener *a = listener_open(&la, "t"), *b;
	struct sockaddr_in bound;
	socklen_t len = sizeof(bound);

	ck_assert_ptr_nonnull(a);
	getsockname(a->fd, (struct sockaddr *)&bound, &len);
	memcpy(&la.ss, &bound, sizeof(bound));
	b = listener_open(&la, "t");
	ck_assert_ptr_null(b);
	listener_release(a);
}
END_TEST

static Suite *listener_suite(void)
{
	Suite *s = suite_create("listener");
	TCase *tc = tcase_create("listener");

	tcase_add_test(tc, tcp_is_nonblocking_cloexec_reuseaddr_listening);
	tcase_add_test(tc, udp_pktinfo_only_on_wildcard);
	tcase_add_test(tc, explicit_ipv6_is_v6only);
	tcase_add_test(tc, stale_unix_socket_is_replaced_live_one_refused);
	tcase_add_test(tc, address_in_use_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(listener_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
