/*
 * test_log.c - the log: line format, levels, files and rotation, bounds.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "superd/module.h"

static char dir[64];
static char path[128];

/* A fresh directory and log path for each test. */
static void setup(void)
{
	strcpy(dir, "/tmp/superd-test-log.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/superd.log", dir);
}

/* Remove what a test left. */
static void teardown(void)
{
	char old[160];

	log_close();
	log_set_json(0);
	snprintf(old, sizeof(old), "%s.1", path);
	unlink(old);
	unlink(path);
	rmdir(dir);
}

/* The whole content of file p (static buffer). */
static const char *slurp(const char *p)
{
	static char buf[16384];
	ssize_t n;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* Assert that text matches the extended regex re. */
static void assert_matches(const char *text, const char *re)
{
	regex_t rx;
	int rc;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&rx, text, 0, NULL, 0);
	regfree(&rx);
	ck_assert_msg(rc == 0, "\"%s\" does not match /%s/", text, re);
}

/* The line prefix for this process at level name. */
static const char *prefix_re(const char *level)
{
	static char re[128];

	snprintf(re, sizeof(re),
	         "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z "
	         "superd\\[%ld\\]: %s: ", (long)getpid(), level);
	return re;
}

START_TEST(test_file_format)
{
	char re[512];
	struct stat st;

	umask(0);
	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	log_msg(SUPERD_LOG_INFO, "echo", "hello %d", 5);
	log_msg(SUPERD_LOG_WARN, NULL, "plain");
	errno = EMFILE;
	log_errno("echo", "accept", EMFILE);
	ck_assert_int_eq(errno, EMFILE);
	snprintf(re, sizeof(re), "^%secho: hello 5\n", prefix_re("info"));
	assert_matches(slurp(path), re);
	snprintf(re, sizeof(re), "\n%splain\n", prefix_re("warn"));
	assert_matches(slurp(path), re);
	snprintf(re, sizeof(re), "\n%secho: accept: Too many open files\n$",
	         prefix_re("error"));
	assert_matches(slurp(path), re);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
}
END_TEST

START_TEST(test_levels)
{
	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_WARN), 0);
	ck_assert_int_eq(log_get_level(), SUPERD_LOG_WARN);
	log_msg(SUPERD_LOG_INFO, NULL, "not this");
	log_msg(SUPERD_LOG_DEBUG, NULL, "nor this");
	log_msg(SUPERD_LOG_ERROR, NULL, "this");
	log_msg(SUPERD_LOG_WARN, NULL, "and this");
	ck_assert_ptr_null(strstr(slurp(path), "not this"));
	ck_assert_ptr_null(strstr(slurp(path), "nor this"));
	ck_assert_ptr_nonnull(strstr(slurp(path), ": error: this\n"));
	ck_assert_ptr_nonnull(strstr(slurp(path), ": warn: and this\n"));
	log_set_level(SUPERD_LOG_DEBUG);
	ck_assert_int_eq(log_get_level(), SUPERD_LOG_DEBUG);
	log_msg(SUPERD_LOG_DEBUG, "x", "now this");
	ck_assert_ptr_nonnull(strstr(slurp(path), ": debug: x: now this\n"));
	log_set_level(99);
	ck_assert_int_eq(log_get_level(), SUPERD_LOG_DEBUG);
}
END_TEST

START_TEST(test_reopen)
{
	char old[160];

	snprintf(old, sizeof(old), "%s.1", path);
	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	log_msg(SUPERD_LOG_INFO, NULL, "first");
	ck_assert_int_eq(rename(path, old), 0);
	log_msg(SUPERD_LOG_INFO, NULL, "second");
	ck_assert_int_eq(log_reopen(), 0);
	log_msg(SUPERD_LOG_INFO, NULL, "third");
	ck_assert_ptr_nonnull(strstr(slurp(old), "first\n"));
	ck_assert_ptr_nonnull(strstr(slurp(old), "second\n"));
	ck_assert_ptr_null(strstr(slurp(old), "third"));
	ck_assert_ptr_nonnull(strstr(slurp(path), "third\n"));
	ck_assert_ptr_null(strstr(slurp(path), "second"));
	/* A failed reopen (a directory is in the way) keeps the old file. */
	ck_assert_int_eq(rename(path, old), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(log_reopen(), -1);
	log_msg(SUPERD_LOG_INFO, NULL, "fourth");
	ck_assert_ptr_nonnull(strstr(slurp(old), "fourth\n"));
	ck_assert_int_eq(rmdir(path), 0);
}
END_TEST

START_TEST(test_open_fails)
{
	char bad[160];

	snprintf(bad, sizeof(bad), "%s/no/such/dir.log", dir);
	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	ck_assert_int_eq(log_open(LOG_TO_FILE, bad, SUPERD_LOG_INFO), -1);
	ck_assert_int_eq(errno, ENOENT);
	log_msg(SUPERD_LOG_INFO, NULL, "kept");
	ck_assert_ptr_nonnull(strstr(slurp(path), "kept\n"));
	ck_assert_int_eq(log_open(LOG_TO_FILE, NULL, SUPERD_LOG_INFO), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_truncation)
{
	char *big = malloc(5001);
	const char *text, *nl;

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 5000);
	big[5000] = '\0';
	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	log_msg(SUPERD_LOG_INFO, "svc", "%s", big);
	log_msg(SUPERD_LOG_INFO, "svc", "after");
	text = slurp(path);
	nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_int_le(nl - text + 1, 2048);
	ck_assert_int_gt(nl - text + 1, 2000);
	ck_assert_int_eq(strncmp(nl - 4, "a...", 4), 0);
	ck_assert_ptr_nonnull(strstr(nl, ": svc: after\n"));
	/* A long service name is cut too. */
	big[3000] = '\0';
	log_msg(SUPERD_LOG_INFO, big, "lost");
	ck_assert_ptr_null(strstr(slurp(path), "lost"));
	free(big);
}
END_TEST

START_TEST(test_control_chars)
{
	const char *text;

	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	log_msg(SUPERD_LOG_INFO, "ht\ttp", "GET /a\nb\r\x1b[31mc\x7f caf\xc3\xa9");
	text = slurp(path);
	ck_assert_ptr_nonnull(strstr(text, ": ht?tp: GET /a?b??[31mc? caf\xc3\xa9\n"));
	ck_assert_ptr_eq(strchr(text, '\n'), text + strlen(text) - 1);
}
END_TEST

/* The JSON line's text after the time field, for exact comparison. */
static const char *after_time(const char *line)
{
	const char *p = strstr(line, "\",\"level\"");

	ck_assert_msg(p != NULL, "no level after time in %s", line);
	return p + 2;
}

START_TEST(test_json_line)
{
	char want[256];
	const char *text;

	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	log_set_json(1);
	log_msg(SUPERD_LOG_WARN, "echo", "hello %d", 5);
	text = slurp(path);
	assert_matches(text, "^\\{\"time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	                     "[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\",\"level\"");
	snprintf(want, sizeof(want),
	         "\"level\":\"warn\",\"pid\":%ld,\"service\":\"echo\",\"msg\":\"hello 5\"}\n",
	         (long)getpid());
	ck_assert_str_eq(after_time(text), want);
}
END_TEST

START_TEST(test_json_escapes)
{
	char want[512];

	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	log_set_json(1);
	/* quotes, backslash, controls, DEL, valid UTF-8 (2, 3, 4 bytes), a
	 * stray continuation, a cut sequence, an overlong '/', a surrogate,
	 * past U+10FFFF, 0xff */
	log_msg(SUPERD_LOG_INFO, NULL, "\"a\\b\"\t\n\x01\x7f|\xc3\xa9\xe2\x82\xac"
	        "\xf0\x9f\x98\x80|\x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80"
	        "|\xff");
	snprintf(want, sizeof(want),
	         "\"level\":\"info\",\"pid\":%ld,\"msg\":\"\\\"a\\\\b\\\"\\u0009\\u000a"
	         "\\u0001\\u007f|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xef\xbf\xbd|"
	         "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
	         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\"}\n",
	         (long)getpid());
	ck_assert_str_eq(after_time(slurp(path)), want);
}
END_TEST

START_TEST(test_json_connection)
{
	struct log_conn c = { "::1", 4242, 1, "eof", 1234, 1, 5, 7 };
	char want[512];
	const char *text;

	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	log_connection(SUPERD_LOG_INFO, "echo", &c, NULL);
	text = slurp(path);
	ck_assert_ptr_nonnull(strstr(text, ": echo: [::1]:4242 eof, 1.234s, in 5, out 7\n"));
	unlink(path);
	ck_assert_int_eq(log_reopen(), 0);
	log_set_json(1);
	c = (struct log_conn){ "unix", -1, 0, "pid 9 exit 1", 20, 0, 0, 0 };
	log_connection(SUPERD_LOG_WARN, "x", &c, NULL);
	snprintf(want, sizeof(want),
	         "\"level\":\"warn\",\"pid\":%ld,\"service\":\"x\",\"msg\":\"unix pid 9 "
	         "exit 1, 0.020s\",\"remote\":\"unix\",\"remote_port\":null,"
	         "\"outcome\":\"pid 9 exit 1\",\"duration\":0.020}\n", (long)getpid());
	ck_assert_str_eq(after_time(slurp(path)), want);
}
END_TEST

START_TEST(test_json_bounded)
{
	char *big = malloc(5001);
	struct log_conn c = { "127.0.0.1", 1, 0, NULL, 0, 1, 0, 0 };
	const char *tail = "...\",\"duration\":0.000,\"in\":0,\"out\":0}";
	const char *text, *nl;

	ck_assert_ptr_nonnull(big);
	memset(big, '\x01', 5000); /* 6 bytes each once escaped */
	big[5000] = '\0';
	c.outcome = big;
	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	log_set_json(1);
	log_connection(SUPERD_LOG_INFO, big, &c, NULL);
	text = slurp(path);
	nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_int_le(nl - text + 1, 8192);
	ck_assert_ptr_eq(nl, text + strlen(text) - 1);
	/* every string closed whole, the object too */
	ck_assert_ptr_nonnull(strstr(text, "\\u0001...\",\"msg\":"));
	ck_assert_ptr_nonnull(strstr(text, "\\u0001...\",\"remote\":"));
	ck_assert_int_eq(strncmp(nl - strlen(tail), tail, strlen(tail)), 0);
	free(big);
}
END_TEST

START_TEST(test_stderr)
{
	int saved = dup(STDERR_FILENO);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char re[256];

	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	ck_assert_int_eq(log_open(LOG_TO_STDERR, NULL, SUPERD_LOG_INFO), 0);
	log_msg(SUPERD_LOG_ERROR, "daytime", "to stderr");
	dup2(saved, STDERR_FILENO);
	close(saved);
	snprintf(re, sizeof(re), "^%sdaytime: to stderr\n$", prefix_re("error"));
	assert_matches(slurp(path), re);
}
END_TEST

START_TEST(test_syslog)
{
	/* Nothing to read back here: it must simply not break. */
	ck_assert_int_eq(log_open(LOG_TO_SYSLOG, NULL, SUPERD_LOG_ERROR), 0);
	log_msg(SUPERD_LOG_DEBUG, "t", "filtered");
	log_errno("t", "test", ENOENT);
	log_close();
}
END_TEST

/* Lines from several processes appending to one file stay whole. */
START_TEST(test_processes_do_not_interleave)
{
	enum { PROCS = 4, LINES = 200, LEN = 1500 };
	static char text[LEN + 1];
	pid_t pids[PROCS];
	char *buf, *line, *save = NULL;
	int lines = 0, status, fd;
	ssize_t n;

	ck_assert_int_eq(log_open(LOG_TO_FILE, path, SUPERD_LOG_INFO), 0);
	for (int k = 0; k < PROCS; k++) {
		pids[k] = fork();
		ck_assert_int_ge(pids[k], 0);
		if (pids[k] > 0)
			continue;
		memset(text, 'a' + k, LEN);
		for (int i = 0; i < LINES; i++)
			log_msg(SUPERD_LOG_INFO, "p", "%s", text);
		_exit(0);
	}
	for (int k = 0; k < PROCS; k++)
		ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
	buf = malloc(PROCS * LINES * 2048);
	ck_assert_ptr_nonnull(buf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, PROCS * LINES * 2048 - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	close(fd);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), lines++) {
		char *msg = strstr(line, ": info: p: ");

		ck_assert_ptr_nonnull(msg);
		msg += strlen(": info: p: ");
		ck_assert_uint_eq(strlen(msg), LEN);
		ck_assert_uint_eq(strspn(msg, (char[]){ msg[0], 0 }), LEN);
	}
	ck_assert_int_eq(lines, PROCS * LINES);
	free(buf);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_format);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_reopen);
	tcase_add_test(tc, test_open_fails);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_control_chars);
	tcase_add_test(tc, test_json_line);
	tcase_add_test(tc, test_json_escapes);
	tcase_add_test(tc, test_json_connection);
	tcase_add_test(tc, test_json_bounded);
	tcase_add_test(tc, test_stderr);
	tcase_add_test(tc, test_syslog);
	tcase_add_test(tc, test_processes_do_not_interleave);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
