/*
 * test_proc.c - serve() children: what the child gets (fd 3, blocking,
 * other descriptors closed, default signals), its stderr logged line by
 * line, its exit reaped and logged.
 */
#include "conf.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host.h"
#include "log.h"
#include "loop.h"
#include "proc.h"

static int exited;
static int exit_status;

/* The child: report what it sees on fd as one byte of flags, exit 7. */
static int probe_serve(int fd, const struct superd_peer *peer, void *instance)
{
	unsigned char flags = 0;
	struct sigaction sa;

	if (fd == 3)
		flags |= 1;
	if (!(fcntl(fd, F_GETFL) & O_NONBLOCK))
		flags |= 2;
	if (fcntl(4, F_GETFD) < 0 && fcntl(5, F_GETFD) < 0)
		flags |= 4;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		flags |= 8;
	if (peer->proto == SUPERD_PROTO_TCP)
		flags |= 16;
	host_table()->log(instance, SUPERD_LOG_INFO, "logged by the child");
	fputs("first line\nsecond", stderr);
	fflush(stderr);
	if (write(fd, &flags, 1) != 1)
		return 1;
	return 7;
}

static void child_done(pid_t pid, int status, void *arg)
{
	exited = 1;
	exit_status = status;
}

static void on_sigchld(struct loop *l, int signo, void *arg)
{
	proc_reap();
}

/* The whole log file as text. */
static char *read_log(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(serve_child_gets_a_clean_start_and_is_reaped_and_logged)
{
	struct superd_module mod = { SUPERD_MODULE_HEADER, .name = "p",
	                             .serve = probe_serve };
	struct superd_service svc = { .name = "probe", .module = &mod };
	struct sockaddr sa = { .sa_family = AF_UNIX };
	char logpath[] = "/tmp/superd-test-proc-XXXXXX";
	struct loop *l = loop_new("poll");
	unsigned char flags = 0;
	int sv[2], extra, lfd;
	pid_t pid;

	lfd = mkstemp(logpath);
	ck_assert_int_ge(lfd, 0);
	close(lfd);
	ck_assert_int_eq(log_open(LOG_TO_FILE, logpath, SUPERD_LOG_INFO), 0);
	signal(SIGPIPE, SIG_IGN);
	host_set_loop(l);
	ck_assert_int_eq(loop_signal(l, SIGCHLD, on_sigchld, NULL), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	extra = open("/dev/null", O_RDONLY); /* must not reach the child */
	svc.instance = &svc;
	pid = proc_spawn_serve(l, &svc, sv[0], &sa, sizeof(sa), SUPERD_PROTO_TCP,
	                       child_done, NULL);
	ck_assert_int_gt(pid, 0);
	close(sv[0]);
	for (int i = 0; i < 500 && !exited; i++)
		loop_run_once(l, 10);
	for (int i = 0; i < 50; i++)
		loop_run_once(l, 10); /* let the stderr pipe reach EOF */
	ck_assert_int_eq(exited, 1);
	ck_assert(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 7);
	ck_assert_int_eq(read(sv[1], &flags, 1), 1);
	ck_assert_uint_eq(flags, 1 | 2 | 4 | 8 | 16);
	ck_assert_ptr_nonnull(strstr(read_log(logpath), "probe: stderr: first line"));
	ck_assert_ptr_nonnull(strstr(read_log(logpath), "probe: stderr: second"));
	ck_assert_ptr_nonnull(strstr(read_log(logpath), "exit 7"));
	/* host->log in the child reaches the log through the stderr pipe. */
	ck_assert_ptr_nonnull(strstr(read_log(logpath), "probe: logged by the child"));
	ck_assert_uint_eq(proc_count(), 0);
	close(extra);
	close(sv[1]);
	log_close();
	unlink(logpath);
	loop_free(l);
}
END_TEST

START_TEST(status_descriptions)
{
	char buf[96];

	proc_describe_status(3 << 8, buf, sizeof(buf));
	ck_assert_str_eq(buf, "exit 3");
	proc_describe_status(SIGKILL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "signal 9 (Killed)");
}
END_TEST

static Suite *proc_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("proc");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, serve_child_gets_a_clean_start_and_is_reaped_and_logged);
	tcase_add_test(tc, status_descriptions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
