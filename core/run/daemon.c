/*
 * daemon.c - detaching from the terminal and the pid file.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

/* The pid file written, absolute, and the pid written into it. */
static char pidfile_path[PATH_MAX];
static pid_t pidfile_pid;

/* Fork; the parent exits at once. */
static int fork_and_leave(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_errno(NULL, "fork", errno);
		return -1;
	}
	if (pid > 0)
		_exit(0);
	return 0;
}

/* Detach from the terminal (see daemon.h). */
int daemon_detach(void)
{
	int fd;

	if (fork_and_leave() < 0)
		return -1;
	if (setsid() < 0) {
		log_errno(NULL, "setsid", errno);
		return -1;
	}
	if (fork_and_leave() < 0)
		return -1;
	if (chdir("/") < 0)
		log_errno(NULL, "chdir /", errno);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_errno(NULL, "open /dev/null", errno);
		return -1;
	}
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

/* Make path absolute in pidfile_path. */
static int pidfile_set_path(const char *path)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/') {
		n = snprintf(pidfile_path, sizeof(pidfile_path), "%s", path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -1;
		n = snprintf(pidfile_path, sizeof(pidfile_path), "%s/%s", cwd, path);
	}
	if (n < 0 || (size_t)n >= sizeof(pidfile_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Write our pid (see daemon.h). */
int pidfile_write(const char *path)
{
	char buf[32];
	int fd, len;

	if (pidfile_set_path(path) < 0)
		goto fail;
	fd = open(pidfile_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)len) != len) {
		close(fd);
		goto fail;
	}
	if (close(fd) < 0)
		goto fail;
	pidfile_pid = getpid();
	return 0;

fail:
	log_msg(SUPERD_LOG_ERROR, NULL, "pid file %s: %s", path, strerror(errno));
	pidfile_path[0] = '\0';
	return -1;
}

/* Remove our pid file, only if it still names us. */
void pidfile_remove(void)
{
	char buf[32] = "";
	ssize_t n;
	int fd;

	if (!pidfile_path[0] || pidfile_pid != getpid())
		return;
	fd = open(pidfile_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0 && atoi(buf) == (int)pidfile_pid && unlink(pidfile_path) < 0)
		log_msg(SUPERD_LOG_WARN, NULL, "cannot remove pid file %s: %s",
		        pidfile_path, strerror(errno));
	pidfile_path[0] = '\0';
}
