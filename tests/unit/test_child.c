/*
 * test_child.c - core's one spawn path (child.c, child_exec.c, the
 * spawn_spec.c translation behind host->spawn): what a child gets and
 * loses, errors from execve, stderr in the log, timeout and stop
 * (SIGTERM, then SIGKILL of the group), the 1.2 host table, and a
 * program started without copying its parent (vfork).
 */
#include "conf.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "conftree.h"
#include "host.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "runconf.h"
#include "spawn_spec.h"

static int exited;
static int exit_status;
static char logpath[64];

static void on_exit_cb(pid_t pid, int status, void *arg)
{
	exited = 1;
	exit_status = status;
}

static void on_sigchld(struct loop *l, int signo, void *arg)
{
	proc_reap();
}

/* The whole log file as text. */
static const char *read_log(void)
{
	static char buf[16384];
	FILE *f = fopen(logpath, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A loop with SIGCHLD reaping, and a log file. */
static struct loop *setup(void)
{
	struct loop *l = loop_new("poll");
	int fd;

	snprintf(logpath, sizeof(logpath), "/tmp/superd-test-child-XXXXXX");
	fd = mkstemp(logpath);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(log_open(LOG_TO_FILE, logpath, SUPERD_LOG_INFO), 0);
	ck_assert_int_eq(loop_signal(l, SIGCHLD, on_sigchld, NULL), 0);
	host_set_loop(l);
	signal(SIGPIPE, SIG_IGN); /* the child must not inherit this */
	exited = 0;
	return l;
}

static void teardown(struct loop *l)
{
	log_close();
	unlink(logpath);
	host_set_loop(NULL);
	loop_free(l);
}

/* Run the loop until the child exited (bounded by ms). */
static void wait_exit(struct loop *l, int ms)
{
	for (int i = 0; i < ms / 10 && !exited; i++)
		loop_run_once(l, 10);
	ck_assert_msg(exited, "the child did not exit within %d ms", ms);
}

/* Read fd to EOF (bounded) into buf. */
static void read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

/* The services here may start any program (declared with SANDBOX_EXEC). */
static char *any_program[] = { "/", NULL };

/* What a spawned program sees: fds, signals, session, directory, limits. */
START_TEST(program_gets_the_reset)
{
	struct loop *l = setup();
	struct superd_service svc = { .name = "t", .sandbox_exec = any_program };
	char *argv[] = { "/bin/sh", "-c",
	                 "ls /proc/self/fd; grep -E '^Sig(Ign|Blk)' /proc/self/status;"
	                 " pwd; ps -o sid= -o pgid= -p $$ | tr -s ' '; echo $$;"
	                 " ulimit -n; ulimit -t; echo oops >&2", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct sandbox_conf lim = { .files = 64, .cpu = 5 };
	struct superd_spawn sp = { .size = sizeof(sp), .path = "/bin/sh", .argv = argv,
	                           .envp = envp, .dir = "/tmp",
	                           .flags = SUPERD_SPAWN_SETSID, .log_tag = "probe",
	                           .on_exit = on_exit_cb };
	int out[2], extra = open("/dev/null", O_RDONLY); /* must not leak */
	char buf[4096], want[64];
	pid_t pid;

	svc.child_limits = &lim;
	ck_assert_int_ge(extra, 0);
	ck_assert_int_eq(pipe(out), 0);
	sp.fd[0] = SUPERD_SPAWN_NULL;
	sp.fd[1] = out[1];
	sp.fd[2] = SUPERD_SPAWN_LOG;
	pid = host_table()->spawn(&svc, &sp);
	ck_assert_int_gt(pid, 0);
	close(out[1]);
	read_all(out[0], buf, sizeof(buf));
	wait_exit(l, 5000);
	ck_assert(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0);
	ck_assert_msg(strncmp(buf, "0\n1\n2\n3\n", 8) == 0 && !strstr(buf, "\n4\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "SigIgn:\t0000000000000000\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "SigBlk:\t0000000000000000\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "\n/tmp\n"), "%s", buf);
	snprintf(want, sizeof(want), "%d %d\n%d\n64\n5\n", (int)pid, (int)pid, (int)pid);
	ck_assert_msg(strstr(buf, want), "want %s in %s", want, buf);
	ck_assert_msg(strstr(read_log(), "t: probe: oops"), "%s", read_log());
	ck_assert_uint_eq(child_count(), 0);
	close(out[0]);
	close(extra);
	teardown(l);
}
END_TEST

/* A program the service did not declare is refused and logged. */
START_TEST(undeclared_program_is_refused)
{
	struct loop *l = setup();
	char *only[] = { "/bin/true", NULL };
	struct superd_service svc = { .name = "t", .sandbox_exec = only };
	char *argv[] = { "x", NULL }, *envp[] = { NULL };
	struct superd_spawn sp = { .size = sizeof(sp), .path = "/bin/false",
	                           .argv = argv, .envp = envp,
	                           .fd = { -1, -1, -1 } };

	ck_assert_int_eq(host_table()->spawn(&svc, &sp), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_msg(strstr(read_log(), "t: refused to start /bin/false: not a "
	                     "program the configuration names"), "%s", read_log());
	svc.sandbox_exec = NULL;
	ck_assert_int_eq(host_table()->spawn(&svc, &sp), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_uint_eq(child_count(), 0);
	teardown(l);
}
END_TEST

/* A declared directory covers what is beneath it, by whole components. */
START_TEST(declared_paths_match_whole_components)
{
	char *decl[] = { "/srv/cgi/", "/usr/bin/env", NULL };
	struct superd_service svc = { .name = "t", .sandbox_exec = decl };

	ck_assert(spawn_path_allowed(&svc, "/srv/cgi/a.cgi"));
	ck_assert(spawn_path_allowed(&svc, "/srv/cgi/sub/b.cgi"));
	ck_assert(spawn_path_allowed(&svc, "/usr/bin/env"));
	ck_assert(!spawn_path_allowed(&svc, "/srv/cgi-other/a.cgi"));
	ck_assert(!spawn_path_allowed(&svc, "/srv/cgi/../../bin/sh"));
	ck_assert(!spawn_path_allowed(&svc, "/srv/cgi/sub/.."));
	ck_assert(!spawn_path_allowed(&svc, "/usr/bin/envx"));
	ck_assert(!spawn_path_allowed(&svc, "srv/cgi/a.cgi"));
	ck_assert(!spawn_path_allowed(&svc, NULL));
}
END_TEST

/* execve's error comes back from spawn as errno; nothing is left behind. */
START_TEST(exec_errors_are_returned)
{
	struct loop *l = setup();
	struct superd_service svc = { .name = "t", .sandbox_exec = any_program };
	char *argv[] = { "x", NULL }, *envp[] = { NULL };
	struct superd_spawn sp = { .size = sizeof(sp), .path = "/no/such/program",
	                           .argv = argv, .envp = envp,
	                           .fd = { -1, -1, -1 } };

	ck_assert_int_eq(host_table()->spawn(&svc, &sp), -1);
	ck_assert_int_eq(errno, ENOENT);
	sp.path = "/etc/passwd";
	ck_assert_int_eq(host_table()->spawn(&svc, &sp), -1);
	ck_assert_int_eq(errno, EACCES);
	sp.path = "/bin/true";
	sp.dir = "/no/such/dir";
	ck_assert_int_eq(host_table()->spawn(&svc, &sp), -1);
	ck_assert_int_eq(errno, ENOENT);
	sp.dir = NULL;
	sp.flags = SUPERD_SPAWN_AS_USER; /* the service has no user */
	ck_assert_int_eq(host_table()->spawn(&svc, &sp), -1);
	ck_assert_int_eq(errno, EPERM);
	sp.flags = 0;
	sp.size = 8; /* a spec from nowhere */
	ck_assert_int_eq(host_table()->spawn(&svc, &sp), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(child_count(), 0);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1); /* all reaped */
	teardown(l);
}
END_TEST

/*
 * A program's child borrows the parent's memory until its execve (vfork)
 * instead of sharing it copy-on-write: rewriting 8,192 pages after a spawn
 * then costs no page fault each (after a fork it costs one per page).
 */
START_TEST(a_program_starts_without_copying_the_parent)
{
	size_t pages = 8192, len = pages * (size_t)sysconf(_SC_PAGESIZE);
	char *argv[] = { "true", NULL }, *envp[] = { NULL };
	struct child_spec spec = { .path = "/bin/true", .argv = argv,
	                           .envp = envp, .fd = { -1, -1, -1, -1 } };
	unsigned char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct rusage before, after;
	int status;

	ck_assert(mem != MAP_FAILED);
	(void)madvise(mem, len, MADV_NOHUGEPAGE); /* a fault per page */
	memset(mem, 1, len);
	for (int round = 0; round < 3; round++) {
		pid_t pid;

		ck_assert_int_eq(getrusage(RUSAGE_SELF, &before), 0);
		pid = child_fork(&spec);
		ck_assert_int_gt(pid, 0);
		memset(mem, round + 2, len);
		ck_assert_int_eq(getrusage(RUSAGE_SELF, &after), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		ck_assert_msg(after.ru_minflt - before.ru_minflt < (long)pages / 8,
		              "%ld page faults rewriting %zu pages after a spawn",
		              after.ru_minflt - before.ru_minflt, pages);
	}
	ck_assert_int_eq(munmap(mem, len), 0);
}
END_TEST

/* timeout_ms: SIGTERM to the group; a child ignoring it gets SIGKILL. */
START_TEST(timeout_terms_then_kills_the_group)
{
	struct loop *l = setup();
	struct superd_service svc = { .name = "t", .sandbox_exec = any_program };
	char *argv[] = { "/bin/sh", "-c",
	                 "trap '' TERM; sleep 30 >/dev/null & echo $!; exec >&-; wait; sleep 30", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct superd_spawn sp = { .size = sizeof(sp), .path = "/bin/sh", .argv = argv,
	                           .envp = envp, .fd = { -1, -1, SUPERD_SPAWN_LOG },
	                           .flags = SUPERD_SPAWN_SETPGRP, .timeout_ms = 100,
	                           .on_exit = on_exit_cb };
	char buf[64], path[64], stat[256] = "";
	int out[2];
	pid_t pid;

	ck_assert_int_eq(pipe(out), 0);
	sp.fd[1] = out[1];
	pid = host_table()->spawn(&svc, &sp);
	ck_assert_int_gt(pid, 0);
	close(out[1]);
	read_all(out[0], buf, sizeof(buf)); /* the background sleep's pid */
	close(out[0]);
	wait_exit(l, 5000);
	ck_assert(WIFSIGNALED(exit_status) && WTERMSIG(exit_status) == SIGKILL);
	ck_assert_msg(strstr(read_log(), "timed out"), "%s", read_log());
	/* the group went too: the background sleep is dead (gone or a zombie
	 * waiting for whoever reaps orphans here) */
	snprintf(path, sizeof(path), "/proc/%d/stat", atoi(buf));
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(path, "r");

		stat[0] = '\0';
		if (f) {
			if (!fgets(stat, sizeof(stat), f))
				stat[0] = '\0';
			fclose(f);
		}
		if (!stat[0] || strstr(stat, ") Z "))
			break;
		usleep(10000);
	}
	ck_assert_msg(!stat[0] || strstr(stat, ") Z "), "still running: %s", stat);
	teardown(l);
}
END_TEST

/* spawn_stop: a cooperative child ends with SIGTERM; unknown pids ignored. */
START_TEST(stop_sends_term)
{
	struct loop *l = setup();
	struct superd_service svc = { .name = "t", .sandbox_exec = any_program };
	char *argv[] = { "/bin/sleep", "30", NULL }, *envp[] = { NULL };
	struct superd_spawn sp = { .size = sizeof(sp), .path = "/bin/sleep", .argv = argv,
	                           .envp = envp, .fd = { -1, -1, -1 },
	                           .on_exit = on_exit_cb };
	pid_t pid = host_table()->spawn(&svc, &sp);

	ck_assert_int_gt(pid, 0);
	host_table()->spawn_stop(pid);
	host_table()->spawn_stop(pid); /* twice: no harm */
	host_table()->spawn_stop(1);   /* not ours: ignored */
	wait_exit(l, 5000);
	ck_assert(WIFSIGNALED(exit_status) && WTERMSIG(exit_status) == SIGTERM);
	teardown(l);
}
END_TEST

/* As root: the service's user and group, and no way back. */
START_TEST(as_user)
{
	struct loop *l;
	struct superd_service svc = { .name = "t", .sandbox_exec = any_program };
	char *argv[] = { "/bin/sh", "-c", "id -u; id -g; id -G", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct superd_spawn sp = { .size = sizeof(sp), .path = "/bin/sh", .argv = argv,
	                           .envp = envp, .flags = SUPERD_SPAWN_AS_USER,
	                           .on_exit = on_exit_cb };
	struct superd_opt *o = conftree_parse("t.yaml", "{user: '12345', group: '23456'}", 31);
	const struct superd_host *h = host_table();
	char buf[256];
	int out[2];

	if (geteuid() != 0) {
		fprintf(stderr, "test_child: as_user skipped: needs root\n");
		conftree_free(o);
		return;
	}
	l = setup();
	ck_assert_int_eq(pipe(out), 0);
	sp.fd[0] = -1;
	sp.fd[1] = out[1];
	sp.fd[2] = -1;
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(h->service_user(&svc, h->opt_get(o, "user"), h->opt_get(o, "group")), 0);
	ck_assert_int_gt(host_table()->spawn(&svc, &sp), 0);
	close(out[1]);
	read_all(out[0], buf, sizeof(buf));
	wait_exit(l, 5000);
	ck_assert_str_eq(buf, "12345\n23456\n23456\n");
	close(out[0]);
	spawn_service_free(&svc);
	conftree_free(o);
	teardown(l);
}
END_TEST

static Suite *child_suite(void)
{
	Suite *s = suite_create("child");
	TCase *tc = tcase_create("child");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, program_gets_the_reset);
	tcase_add_test(tc, undeclared_program_is_refused);
	tcase_add_test(tc, declared_paths_match_whole_components);
	tcase_add_test(tc, exec_errors_are_returned);
	tcase_add_test(tc, a_program_starts_without_copying_the_parent);
	tcase_add_test(tc, timeout_terms_then_kills_the_group);
	tcase_add_test(tc, stop_sends_term);
	tcase_add_test(tc, as_user);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(child_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
