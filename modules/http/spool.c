/*
 * spool.c - request bodies for CGI programs, in memory while small and
 * in an unlinked temporary file past SPOOL_MEM_MAX (see spool.h).
 *
 * The temporary file is made with O_TMPFILE, which never has a name; on a
 * file system without it, mkostemp(3) and an immediate unlink(2).  Either
 * way the space is given back when the last descriptor closes, even if
 * the worker dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spool.h"

/* Start an empty spool in memory (see spool.h). */
int spool_open(struct http_spool *sp)
{
	sp->len = 0;
	sp->on_disk = 0;
	sp->fd = memfd_create("superd-body", MFD_CLOEXEC);
	return sp->fd < 0 ? -1 : 0;
}

/* Write all of p to fd, retrying short writes and EINTR. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* An unlinked file in dir: O_TMPFILE, else a named one removed at once. */
static int tmpfile_in(const char *dir)
{
	char *name;
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	if (asprintf(&name, "%s/superd-body-XXXXXX", dir) < 0)
		return -1;
	fd = mkostemp(name, O_CLOEXEC);
	if (fd >= 0 && unlink(name) < 0) {
		int err = errno;

		close(fd);
		fd = -1;
		errno = err;
	}
	free(name);
	return fd;
}

/* Copy the memory spool into a temporary file in dir. 0 or -1 (errno). */
static int spool_to_disk(struct http_spool *sp, const char *dir)
{
	char buf[16384];
	off_t off = 0;
	int fd = tmpfile_in(dir);

	if (fd < 0)
		return -1;
	while ((uint64_t)off < sp->len) {
		ssize_t n = pread(sp->fd, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(fd, buf, (size_t)n) < 0) {
			int err = n == 0 ? EIO : errno;

			close(fd);
			errno = err;
			return -1;
		}
		off += n;
	}
	close(sp->fd);
	sp->fd = fd;
	sp->on_disk = 1;
	return 0;
}

/* Append n bytes (see spool.h). */
int spool_write(struct http_spool *sp, const char *dir, const char *p,
                size_t n)
{
	if (!sp->on_disk && sp->len + n > SPOOL_MEM_MAX &&
	    spool_to_disk(sp, dir) < 0)
		return -1;
	if (write_all(sp->fd, p, n) < 0)
		return -1;
	sp->len += n;
	return 0;
}

/* Hand over the fd, rewound (see spool.h). */
int spool_take(struct http_spool *sp)
{
	int fd = sp->fd;

	sp->fd = -1;
	if (fd >= 0 && lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Drop the spool (see spool.h). */
void spool_close(struct http_spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
	sp->len = 0;
	sp->on_disk = 0;
}
