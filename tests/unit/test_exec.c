/*
 * test_exec.c - the exec module against the fake host: every option
 * checked at configure (positioned errors), and real programs run on a
 * socketpair: /bin/cat, the environment, stderr lines, exit notes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* the module sources included below need it */
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakehost.h"
#include "privs.h"
#include "../../modules/exec/exec.c"
#include "../../modules/exec/spawn.c"

static const struct superd_module *M = &superd_module;

/* configure with yaml; expect failure with an error containing needle. */
static void configure_fails(const char *yaml, const char *needle)
{
	struct superd_service *svc = fake_service("x");
	void *inst = NULL;

	fake_reset();
	ck_assert_msg(fake_configure(M, svc, yaml, &inst) == -1, "accepted: %s", yaml);
	ck_assert_msg(fake_log_contains(needle), "%s: wanted '%s', got '%s'", yaml,
	              needle, fake_last_log());
	ck_assert_msg(fake_log_contains("test.yaml:"), "no position: %s", fake_last_log());
	fake_service_free(svc);
}

static struct exec_instance *configure_ok(struct superd_service *svc, const char *yaml)
{
	void *inst = NULL;

	fake_reset();
	ck_assert_msg(fake_configure(M, svc, yaml, &inst) == 0, "%s: %s", yaml,
	              fake_last_log());
	return inst;
}

START_TEST(options_checked)
{
	struct superd_service *svc = fake_service("x");
	void *inst = NULL;
	char noexec[] = "/tmp/test_exec_noexec.XXXXXX";
	char yaml[256];
	int fd;

	ck_assert_int_eq(fake_configure(M, svc, NULL, &inst), -1);
	ck_assert(fake_log_contains("argv"));
	fake_service_free(svc);
	configure_fails("{}", "argv");
	configure_fails("argv: /bin/cat", "non-empty list");
	configure_fails("argv: []", "non-empty list");
	configure_fails("argv: [/no/such/program]", "No such file");
	configure_fails("argv: [no-such-program-xyz]", "not found in PATH");
	configure_fails("argv: [/tmp]", "not a regular file");
	configure_fails("argv: [[a]]", "expected a string");
	configure_fails("{argv: [/bin/cat], bogus: 1}", "bogus");
	configure_fails("{argv: [/bin/cat], env: [a]}", "mapping");
	configure_fails("{argv: [/bin/cat], env: {'A-B': x}}", "not a variable name");
	configure_fails("{argv: [/bin/cat], env: {TCPREMOTEIP: x}}", "set by superd");
	configure_fails("{argv: [/bin/cat], env: {A: [x]}}", "expected a string");
	configure_fails("{argv: [/bin/cat], user: no-such-user-xyz}", "unknown user");
	configure_fails("{argv: [/bin/cat], user: root, group: no-such-group-xyz}",
	                "unknown group");
	configure_fails("{argv: [/bin/cat], group: root}", "group needs user");
	configure_fails("{argv: [/bin/cat], wait: maybe}", "true or false");

	fd = mkstemp(noexec);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, 0644), 0);
	close(fd);
	snprintf(yaml, sizeof(yaml), "argv: [%s]", noexec);
	configure_fails(yaml, "not executable"); /* even for root: no x bit */
	unlink(noexec);
}
END_TEST

START_TEST(options_resolved)
{
	struct superd_service *svc = fake_service("x");
	struct exec_instance *inst;

	inst = configure_ok(svc, "{argv: [sh, -c, 'echo hi'], env: {A: b}}");
	ck_assert(strcmp(inst->path, "/bin/sh") == 0 || strcmp(inst->path, "/usr/bin/sh") == 0);
	ck_assert_str_eq(inst->argv[0], "sh");
	ck_assert_str_eq(inst->argv[2], "echo hi");
	ck_assert_ptr_null(inst->argv[3]);
	ck_assert_uint_eq(inst->nenv, 2);
	ck_assert_str_eq(inst->env[0], "A=b");
	ck_assert_int_eq(strncmp(inst->env[1], "PATH=", 5), 0);
	ck_assert_int_eq(inst->wait, 0);
	ck_assert_int_eq(svc->wait, 0);
	M->destroy(inst);

	inst = configure_ok(svc, "{argv: [/bin/cat], env: {PATH: /x}, user: root}");
	ck_assert_uint_eq(inst->nenv, 1);
	ck_assert_int_eq(inst->as_user, 1);
	/* the host resolved the user and keeps it for the service's children */
	ck_assert_ptr_nonnull(svc->user_ids);
	ck_assert_uint_eq(svc->user_ids->uid, 0);
	M->destroy(inst);

	/* A relative program is relative to the configuration's directory. */
	ck_assert_int_eq(symlink("/bin/cat", "/tmp/test_exec_cat_link") == 0 || errno == EEXIST, 1);
	inst = configure_ok(svc, "argv: [./test_exec_cat_link]");
	ck_assert_str_eq(inst->path, "/tmp/./test_exec_cat_link");
	M->destroy(inst);
	unlink("/tmp/test_exec_cat_link");
	fake_service_free(svc);
}
END_TEST

START_TEST(udp_needs_wait)
{
	struct superd_service *svc = fake_service("u");
	struct service_conf conf = { .name = "u", .protocols = SUPERD_PROTO_UDP };
	struct exec_instance *inst;

	svc->conf = &conf;
	fake_reset();
	ck_assert_int_eq(fake_configure(M, svc, "argv: [/bin/cat]", (void **)&inst), -1);
	ck_assert(fake_log_contains("wait: true"));
	inst = configure_ok(svc, "{argv: [/bin/cat], wait: true}");
	ck_assert_int_eq(inst->wait, 1);
	ck_assert_int_eq(svc->wait, 1);
	M->destroy(inst);
	svc->conf = NULL;
	fake_service_free(svc);
}
END_TEST

/* Read from fd until EOF (bounded); returns bytes read. */
static size_t read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = read(fd, buf + got, size - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

/* Reap the connection's program and tell the fake host. */
static int reap(struct fake_conn *c)
{
	struct exec_conn *ec = c->state;
	pid_t pid = ec->child->pid;
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(fake_child_exit(pid, status), 1);
	return status;
}

/* A connection on a socketpair: sv[1] is the client's end. */
static struct fake_conn *open_pair(struct exec_instance *inst, int sv[2])
{
	struct fake_conn *c;
	int rc = -1;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	fake_set_next_fd(sv[0]);
	c = fake_open(M, inst, SUPERD_PROTO_TCP, "127.0.0.2", 40123, &rc);
	ck_assert_int_eq(rc, 0);
	return c;
}

START_TEST(runs_cat)
{
	struct superd_service *svc = fake_service("cat");
	struct exec_instance *inst = configure_ok(svc, "argv: [/bin/cat]");
	struct fake_conn *c;
	char buf[256];
	int sv[2], status;

	c = open_pair(inst, sv);
	ck_assert_int_eq(c->paused, 1);
	ck_assert_uint_eq(c->timeout_ms, 0);
	ck_assert_uint_eq(fake_child_count(), 1);
	/* The program got a blocking socket; we get O_NONBLOCK back later. */
	ck_assert_int_eq(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(write(sv[1], "hello\n", 6), 6);
	ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
	status = reap(c);
	ck_assert_int_ne(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	close(sv[0]); /* the host's close: the client sees EOF */
	ck_assert_uint_eq(read_all(sv[1], buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "hello\n");
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_str_eq(c->note, "exit 0");
	ck_assert_int_eq(c->closed, 1);
	ck_assert_uint_eq(fake_watch_count(), 0);
	fake_close(c);
	close(sv[1]);
	M->destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(environment_and_fds)
{
	struct superd_service *svc = fake_service("env");
	struct exec_instance *inst = configure_ok(svc,
	    "{argv: [/bin/sh, -c, 'env; ls /proc/self/fd; trap; "
	    "grep -E \"^Sig(Ign|Blk)\" /proc/self/status'], env: {GREETING: hi there}}");
	struct fake_conn *c;
	char buf[4096], want[128];
	int sv[2];

	c = open_pair(inst, sv);
	ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
	reap(c);
	close(sv[0]);
	read_all(sv[1], buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "GREETING=hi there\n"), "%s", buf);
	ck_assert(strstr(buf, "PATH=/usr/local/sbin:"));
	ck_assert(strstr(buf, "PROTO=TCP\n"));
	ck_assert(strstr(buf, "TCPREMOTEIP=127.0.0.2\n"));
	ck_assert(strstr(buf, "TCPREMOTEPORT=40123\n"));
	ck_assert(strstr(buf, "TCPLOCALIP=127.0.0.1\n"));
	snprintf(want, sizeof(want), "TCPLOCALPORT=%u\n", c->peer.local_port);
	ck_assert(strstr(buf, want));
	ck_assert(strstr(buf, "REMOTE_ADDR=127.0.0.2\n"));
	ck_assert(strstr(buf, "REMOTE_PORT=40123\n"));
	/* fds: 0, 1, 2 and the one ls opens for /proc/self/fd (3). */
	ck_assert_msg(strstr(buf, "\n0\n1\n2\n3\n"), "%s", buf);
	ck_assert_msg(!strstr(buf, "\n4\n"), "%s", buf);
	/* No trap is set: the signal dispositions came back to default. */
	ck_assert_msg(!strstr(buf, "trap --"), "%s", buf);
	/* The test ignores SIGPIPE (as superd does): the program must not. */
	ck_assert_msg(strstr(buf, "SigIgn:\t0000000000000000\n"), "%s", buf);
	ck_assert_msg(strstr(buf, "SigBlk:\t0000000000000000\n"), "%s", buf);
	ck_assert_str_eq(c->note, "exit 0");
	fake_close(c);
	close(sv[1]);
	M->destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(stderr_is_logged)
{
	struct superd_service *svc = fake_service("err");
	struct exec_instance *inst = configure_ok(svc,
	    "argv: [/bin/sh, -c, 'echo first >&2; printf partial >&2; exit 3']");
	struct fake_conn *c;
	struct exec_conn *ec;
	char buf[64];
	int sv[2], status;

	c = open_pair(inst, sv);
	ec = c->state;
	ck_assert_int_eq(fake_watch_count(), 0); /* the host logs stderr */
	status = reap(c); /* exit: the pipe is drained and closed */
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	ck_assert_msg(fake_log_contains("err: pid"), "%s", fake_last_log());
	ck_assert(fake_log_contains(": first"));
	ck_assert(fake_log_contains(": partial"));
	ck_assert_str_eq(c->note, "exit 3");
	ck_assert_ptr_nonnull(ec->child);
	close(sv[0]);
	read_all(sv[1], buf, sizeof(buf));
	fake_close(c);
	close(sv[1]);
	M->destroy(inst);
	fake_service_free(svc);
}
END_TEST

START_TEST(killed_program_noted)
{
	struct superd_service *svc = fake_service("k");
	struct exec_instance *inst = configure_ok(svc, "argv: [/bin/sh, -c, 'kill -9 $$']");
	struct fake_conn *c;
	int sv[2];

	c = open_pair(inst, sv);
	reap(c);
	ck_assert_str_eq(c->note, "signal 9");
	fake_close(c);
	close(sv[0]);
	close(sv[1]);
	M->destroy(inst);
	fake_service_free(svc);
}
END_TEST

/* The host closes first: the program is told to stop, then reaped. */
START_TEST(host_closes_first)
{
	struct superd_service *svc = fake_service("slow");
	struct exec_instance *inst = configure_ok(svc, "argv: [/bin/sleep, '30']");
	struct fake_conn *c;
	struct exec_child *ch;
	int sv[2], status;
	pid_t pid;

	c = open_pair(inst, sv);
	ch = ((struct exec_conn *)c->state)->child;
	pid = ch->pid;
	fake_close(c);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert_int_eq(fake_child_exit(pid, status), 1);
	ck_assert(fake_log_contains("connection already closed"));
	close(sv[0]);
	close(sv[1]);
	M->destroy(inst);
	fake_service_free(svc);
}
END_TEST

/* The program vanished after configure: a logged error, connection refused. */
START_TEST(program_gone_at_run_time)
{
	struct superd_service *svc = fake_service("gone");
	struct exec_instance *inst;
	struct fake_conn *c;
	int sv[2], rc = 0;

	ck_assert_int_eq(symlink("/bin/cat", "/tmp/test_exec_gone") == 0 || errno == EEXIST, 1);
	inst = configure_ok(svc, "argv: [/tmp/test_exec_gone]");
	unlink("/tmp/test_exec_gone");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fake_set_next_fd(sv[0]);
	c = fake_open(M, inst, SUPERD_PROTO_TCP, "127.0.0.1", 5555, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert(fake_log_contains("cannot run /tmp/test_exec_gone"));
	ck_assert_uint_eq(fake_child_count(), 0);
	ck_assert_uint_eq(fake_watch_count(), 0);
	if (c)
		fake_close(c);
	close(sv[0]);
	close(sv[1]);
	M->destroy(inst);
	fake_service_free(svc);
}
END_TEST

static pid_t failing_spawn(superd_service *svc, const struct superd_spawn *spec)
{
	errno = EAGAIN;
	return -1;
}

/* The host cannot start a process: logged, the client refused. */
START_TEST(spawn_failure)
{
	struct superd_service *svc = fake_service("nofork");
	struct exec_instance *inst = configure_ok(svc, "argv: [/bin/sleep, '30']");
	struct superd_host host = *fake_host();
	struct fake_conn *c;
	int sv[2], rc = 0;

	host.spawn = failing_spawn;
	inst->host = &host;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	fake_set_next_fd(sv[0]);
	c = fake_open(M, inst, SUPERD_PROTO_TCP, "127.0.0.1", 5555, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert(fake_log_contains("cannot run /bin/sleep"));
	ck_assert_str_eq(c->note, "exec failed");
	ck_assert_uint_eq(fake_child_count(), 0);
	ck_assert_int_ne(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	fake_close(c);
	close(sv[0]);
	close(sv[1]);
	M->destroy(inst);
	fake_service_free(svc);
}
END_TEST

/* An ABI 1.1 host has no spawn: exec says so at configure. */
START_TEST(needs_abi_1_2)
{
	struct superd_service *svc = fake_service("old");
	struct superd_host host = *fake_host();
	superd_opt *o = fake_opts("argv: [/bin/cat]");
	void *inst = NULL;

	host.abi_minor = 1;
	fake_reset();
	ck_assert_int_eq(M->configure(&host, svc, o, &inst), -1);
	ck_assert_msg(fake_log_contains("ABI 1.2"), "%s", fake_last_log());
	fake_opts_free(o);
	fake_service_free(svc);
}
END_TEST

/* As root, with user: the program runs as that user. */
START_TEST(runs_as_user)
{
	struct superd_service *svc = fake_service("who");
	struct exec_instance *inst;
	struct fake_conn *c;
	char buf[256], want[64];
	int sv[2];

	if (geteuid() != 0)
		return;
	inst = configure_ok(svc, "{argv: [/bin/sh, -c, 'id -u; id -g'], user: '12345', group: '23456'}");
	c = open_pair(inst, sv);
	ck_assert_int_eq(shutdown(sv[1], SHUT_WR), 0);
	reap(c);
	close(sv[0]);
	read_all(sv[1], buf, sizeof(buf));
	snprintf(want, sizeof(want), "12345\n23456\n");
	ck_assert_str_eq(buf, want);
	ck_assert_str_eq(c->note, "exit 0");
	fake_close(c);
	close(sv[1]);
	M->destroy(inst);
	fake_service_free(svc);
}
END_TEST

/* wait style: the listening socket is the program's stdin and stdout. */
START_TEST(serve_hands_over_listener)
{
	struct superd_service *svc = fake_service("w");
	struct exec_instance *inst = configure_ok(svc,
	    "{argv: [/bin/sh, -c, 'echo $PROTO; ls -l /proc/self/fd/0'], wait: true}");
	int sv[2], out[2], status;
	char buf[512];
	pid_t pid;

	ck_assert_int_eq(svc->wait, 1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(pipe(out), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(out[1], 2);
		_exit(exec_serve(sv[0], NULL, inst));
	}
	close(out[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_ge(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 1);
	ck_assert_int_eq(strncmp(buf, "UNIX\n", 5), 0);
	close(out[0]);
	close(sv[0]);
	close(sv[1]);
	M->destroy(inst);
	fake_service_free(svc);
}
END_TEST

static Suite *exec_suite(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("module");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, options_checked);
	tcase_add_test(tc, options_resolved);
	tcase_add_test(tc, udp_needs_wait);
	tcase_add_test(tc, runs_cat);
	tcase_add_test(tc, environment_and_fds);
	tcase_add_test(tc, stderr_is_logged);
	tcase_add_test(tc, killed_program_noted);
	tcase_add_test(tc, host_closes_first);
	tcase_add_test(tc, program_gone_at_run_time);
	tcase_add_test(tc, spawn_failure);
	tcase_add_test(tc, needs_abi_1_2);
	tcase_add_test(tc, runs_as_user);
	tcase_add_test(tc, serve_hands_over_listener);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(exec_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
