/*
 * test_privs.c - resolving users and groups, dropping root for good, and
 * raising the descriptor limit.
 */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privs.h"

START_TEST(resolve_names_and_numbers)
{
	struct privs_ids ids;
	char err[128];

	ck_assert_int_eq(privs_resolve("root", NULL, &ids, err, sizeof(err)), 0);
	ck_assert_uint_eq(ids.uid, 0);
	ck_assert_uint_eq(ids.gid, 0);
	ck_assert_int_ge(ids.ngroups, 1);
	privs_ids_free(&ids);
	ck_assert_int_eq(privs_resolve("0", "0", &ids, err, sizeof(err)), 0);
	ck_assert_uint_eq(ids.uid, 0);
	ck_assert_int_eq(ids.ngroups, 1);
	privs_ids_free(&ids);
	/* A number with no passwd entry needs a group. */
	ck_assert_int_eq(privs_resolve("54321", "54321", &ids, err, sizeof(err)), 0);
	ck_assert_uint_eq(ids.uid, 54321);
	ck_assert_uint_eq(ids.gid, 54321);
	privs_ids_free(&ids);
	ck_assert_int_eq(privs_resolve("54321", NULL, &ids, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "name a group"));
	privs_ids_free(&ids);
}
END_TEST

START_TEST(resolve_unknown)
{
	struct privs_ids ids;
	char err[128];

	ck_assert_int_eq(privs_resolve("no-such-user-xyz", NULL, &ids, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown user 'no-such-user-xyz'");
	privs_ids_free(&ids);
	ck_assert_int_eq(privs_resolve("root", "no-such-group-xyz", &ids, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown group 'no-such-group-xyz'");
	privs_ids_free(&ids);
}
END_TEST

/* As root: a child drops to nobody and must not get root back. */
START_TEST(apply_drops_for_good)
{
	struct passwd *pw = getpwnam("nobody");
	struct privs_ids ids;
	char err[128];
	int status;
	pid_t pid;

	if (geteuid() != 0 || !pw)
		return; /* needs root and a nobody user */
	ck_assert_int_eq(privs_resolve("nobody", NULL, &ids, err, sizeof(err)), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		gid_t groups[8];

		if (privs_apply(&ids) < 0)
			_exit(1);
		if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
			_exit(2);
		if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
			_exit(3);
		if (getgroups(8, groups) < 0)
			_exit(4);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	privs_ids_free(&ids);
}
END_TEST

/* Not root: switching to another user fails with EPERM, nothing changes. */
START_TEST(apply_needs_root)
{
	struct privs_ids ids;
	char err[128];
	int status;
	pid_t pid;

	ck_assert_int_eq(privs_resolve("54321", "54321", &ids, err, sizeof(err)), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct privs_ids me = { .uid = 1000, .gid = 1000 };
		gid_t g = 1000;

		me.groups = &g;
		me.ngroups = 1;
		if (geteuid() == 0 && privs_apply(&me) < 0)
			_exit(1);
		/* Now unprivileged: another user is out of reach. */
		if (privs_apply(&ids) == 0)
			_exit(2);
		_exit(getuid() == 1000 || geteuid() != 0 ? 0 : 3);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	privs_ids_free(&ids);
}
END_TEST

START_TEST(drop_without_user_is_noop)
{
	ck_assert_int_eq(privs_drop(NULL, NULL), 0);
}
END_TEST

START_TEST(raise_nofile)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max > 1024) {
		rl.rlim_cur = 256;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	privs_raise_nofile();
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert(rl.rlim_cur == rl.rlim_max || rl.rlim_max == RLIM_INFINITY);
}
END_TEST

static Suite *privs_suite(void)
{
	Suite *s = suite_create("privs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, resolve_names_and_numbers);
	tcase_add_test(tc, resolve_unknown);
	tcase_add_test(tc, apply_drops_for_good);
	tcase_add_test(tc, apply_needs_root);
	tcase_add_test(tc, drop_without_user_is_noop);
	tcase_add_test(tc, raise_nofile);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(privs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
