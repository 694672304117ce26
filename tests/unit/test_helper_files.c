/*
 * test_helper_files.c - the spawn helper opens for the master only the
 * tls files (cert, key, client_ca) that the configuration file on disk
 * names (core/run/helper_files.c): a named key comes back as a descriptor,
 * anything else is refused with EPERM and no descriptor.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "helper_msg.h"

static char dir[] = "/tmp/superd-helperfiles-XXXXXX";
static char cfg[256], key[256], cert[256], ca[256];

/* Write text to path. */
static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* A configuration naming cert, key and client_ca (absolute paths). */
static void setup(void)
{
	char yaml[1024];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cfg, sizeof(cfg), "%s/superd.yaml", dir);
	snprintf(key, sizeof(key), "%s/site.key", dir);
	snprintf(cert, sizeof(cert), "%s/site.pem", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	put(key, "the key\n");
	put(cert, "the cert\n");
	put(ca, "the ca\n");
	snprintf(yaml, sizeof(yaml), "services:\n  s:\n    module: echo\n"
	         "    listen: 7\n    tls: {cert: site.pem, key: %s,\n"
	         "          client_ca: ca.pem}\n", key);
	put(cfg, yaml);
}

static void teardown(void)
{
	unlink(cfg);
	unlink(key);
	unlink(cert);
	unlink(ca);
	rmdir(dir);
}

/* Ask for path as the master would; the answer's fd (or -1) and errno. */
static int ask(const char *path, int *err)
{
	int sv[2], fds[1];
	char *buf = malloc(HELPER_MSG_MAX + 1);
	const struct helper_hdr *r = (const struct helper_hdr *)buf;
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	helper_answer_open(sv[0], cfg, path);
	n = helper_recv(sv[1], buf, fds, 1);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(r->type, HM_OPENED);
	*err = r->b;
	ck_assert_int_eq(r->a < 0, fds[0] < 0);
	free(buf);
	close(sv[0]);
	close(sv[1]);
	return fds[0];
}

START_TEST(named_files_only)
{
	char got[32] = "";
	int err = 0, fd;

	fd = ask(key, &err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, got, sizeof(got) - 1), 8);
	ck_assert_str_eq(got, "the key\n");
	close(fd);
	fd = ask(cert, &err); /* relative in the file: resolved beside it */
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = ask(ca, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(ask("/etc/passwd", &err), -1);
	ck_assert_int_eq(err, EPERM);
	ck_assert_int_eq(ask(cfg, &err), -1); /* the configuration itself */
	ck_assert_int_eq(err, EPERM);
	ck_assert_int_eq(ask(dir, &err), -1);
	ck_assert_int_eq(err, EPERM);
}
END_TEST

START_TEST(named_but_not_a_file)
{
	int err = 0;

	/* named, but now a directory: refused without a descriptor */
	ck_assert_int_eq(unlink(key), 0);
	ck_assert_int_eq(mkdir(key, 0700), 0);
	ck_assert_int_eq(ask(key, &err), -1);
	ck_assert_int_eq(err, EINVAL);
	ck_assert_int_eq(rmdir(key), 0);
	put(key, "again\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("helper_files");
	TCase *tc = tcase_create("open");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, named_files_only);
	tcase_add_test(tc, named_but_not_a_file);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
