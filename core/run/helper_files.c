/*
 * helper_files.c - certificate and key files through the spawn helper.
 *
 * After `global: user` the master cannot read a key only root may read,
 * yet a reload (an ACME renewal) must read it again.  The helper keeps
 * root: the master asks it to open a path, and it opens only a `cert`,
 * `key` or `client_ca` that the configuration file on disk names (read
 * again for each request), so a compromised master cannot read anything
 * else.  The descriptor travels back with SCM_RIGHTS.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "helper.h"
#include "helper_msg.h"
#include "log.h"

/* How long the master waits for the helper's answer. */
#define OPEN_WAIT_MS 5000

/* Diagnostics of the helper's own read of the file: the master reports. */
static void diag_drop(const char *line)
{
	(void)line;
}

/* Does the service configuration name path as a TLS file? */
static int tls_names(const struct tls_conf *tc, const char *path)
{
	if (!tc)
		return 0;
	if (tc->client_ca && strcmp(tc->client_ca, path) == 0)
		return 1;
	for (size_t i = 0; i < tc->ncerts; i++)
		if (strcmp(tc->certs[i].cert, path) == 0 ||
		    strcmp(tc->certs[i].key, path) == 0)
			return 1;
	return 0;
}

/* Does the configuration file at cfg_path (read now) name path? */
static int named_on_disk(const char *cfg_path, const char *path)
{
	struct config *cfg;
	int found = 0;

	diag_set_sink(diag_drop);
	cfg = config_load(cfg_path);
	diag_set_sink(NULL);
	for (size_t i = 0; cfg && i < cfg->nservices && !found; i++)
		found = tls_names(cfg->services[i].tls, path);
	config_free(cfg);
	return found;
}

/* Open path as the helper: a regular file, or -1 with errno. */
static int open_regular(const char *path)
{
	struct stat st;
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* In the helper: answer an OPEN request on sock (see helper.h). */
void helper_answer_open(int sock, const char *cfg_path, const char *path)
{
	struct helper_hdr r = { .type = HM_OPENED, .a = -1 };
	int fd = -1;

	if (!named_on_disk(cfg_path, path)) {
		log_msg(SUPERD_LOG_ERROR, NULL, "spawn helper: refused to open "
		        "%.200s: not a tls file of %s", path, cfg_path);
		r.b = EPERM;
	} else if ((fd = open_regular(path)) < 0) {
		r.b = errno;
	} else {
		r.a = 0;
	}
	if (helper_send(sock, &r, NULL, 0, fd >= 0 ? &fd : NULL, fd >= 0) < 0)
		log_errno(NULL, "spawn helper: send", errno);
	if (fd >= 0)
		close(fd);
}

/* Wait (bounded) until sock has the answer.  0, or -1 with errno. */
static int wait_answer(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	int n;

	do
		n = poll(&p, 1, OPEN_WAIT_MS);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* In the master: have the helper open path (see helper.h). */
int helper_open_file(const char *path)
{
	struct helper_hdr m = { .type = HM_OPEN };
	const char *strs[1] = { path };
	char *buf = NULL;
	int sock = helper_ctl_fd(), fd = -1, fds[1] = { -1 };
	ssize_t n;

	if (sock < 0) {
		errno = EACCES;
		return -1;
	}
	if (helper_send(sock, &m, strs, 1, NULL, 0) < 0 || wait_answer(sock) < 0)
		return -1;
	buf = malloc(HELPER_MSG_MAX + 1);
	if (!buf)
		return -1;
	n = helper_recv(sock, buf, fds, 1);
	if (n > 0 && ((struct helper_hdr *)buf)->type == HM_OPENED && fds[0] >= 0) {
		fd = fds[0];
	} else {
		if (fds[0] >= 0)
			close(fds[0]);
		errno = n < 0 ? errno : n == 0 ? EPIPE :
		        ((struct helper_hdr *)buf)->b ? ((struct helper_hdr *)buf)->b
		                                      : EPROTO;
	}
	free(buf);
	return fd;
}
