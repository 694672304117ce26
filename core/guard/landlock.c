/*
 * landlock.c - Landlock rulesets: probe the ABI, add path-beneath rules,
 * restrict the calling process (see landlock.h).
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock.h"

#if defined(__has_include)
#if __has_include(<linux/landlock.h>) && defined(SYS_landlock_create_ruleset)
#define HAVE_LANDLOCK 1
#include <linux/landlock.h>
#endif
#endif

#ifdef HAVE_LANDLOCK

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_WRITE_V1 (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)
/* Rights that apply to a file (not a directory) in a path-beneath rule. */
#define FS_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE | (1ULL << 14) | (1ULL << 15))
#define FS_REFER (1ULL << 13)    /* ABI 2 */
#define FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */

/* The kernel's Landlock ABI (see landlock.h). */
int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	                 LANDLOCK_CREATE_RULESET_VERSION);

	return v > 0 ? (int)v : 0;
}

/* Every file system right this ABI knows. */
static uint64_t handled_rights(int abi)
{
	uint64_t r = LANDLOCK_ACCESS_FS_EXECUTE | FS_READ | FS_WRITE_V1;

	if (abi >= 2)
		r |= FS_REFER;
	if (abi >= 3)
		r |= FS_TRUNCATE;
	if (abi >= 5)
		r |= FS_IOCTL_DEV;
	return r;
}

/* Allow rights beneath each path of list (missing paths skipped). */
static int add_rules(int rfd, const char *const *list, uint64_t rights)
{
	for (size_t i = 0; list && list[i]; i++) {
		struct landlock_path_beneath_attr pb = { .allowed_access = rights };
		struct stat st;
		int fd = open(list[i], O_PATH | O_CLOEXEC);

		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			return -1;
		}
		if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
			pb.allowed_access &= FS_FILE_RIGHTS;
		pb.parent_fd = fd;
		if (pb.allowed_access &&
		    syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
		            &pb, 0) < 0) {
			int err = errno;

			close(fd);
			errno = err;
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* Confine this process to p (see landlock.h). */
int landlock_restrict(const struct landlock_paths *p)
{
	int abi = landlock_abi(), rfd, rc = -1, err;
	uint64_t all, rd = FS_READ, wr, ex;
	struct landlock_ruleset_attr ra;

	if (abi <= 0) {
		errno = EOPNOTSUPP;
		return -1;
	}
	all = handled_rights(abi);
	wr = all & ~LANDLOCK_ACCESS_FS_EXECUTE;
	ex = FS_READ | LANDLOCK_ACCESS_FS_EXECUTE;
	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = all;
	rfd = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra.handled_access_fs), 0);
	if (rfd < 0)
		return -1;
	if (add_rules(rfd, p->read, rd) == 0 && add_rules(rfd, p->write, wr) == 0 &&
	    add_rules(rfd, p->exec, ex) == 0 &&
	    add_rules(rfd, p->append, LANDLOCK_ACCESS_FS_WRITE_FILE) == 0 &&
	    syscall(SYS_landlock_restrict_self, rfd, 0) == 0)
		rc = 0;
	err = errno;
	close(rfd);
	errno = err;
	return rc;
}

#else /* no Landlock headers */

int landlock_abi(void)
{
	return 0;
}

int landlock_restrict(const struct landlock_paths *p)
{
	(void)p;
	errno = EOPNOTSUPP;
	return -1;
}

#endif
