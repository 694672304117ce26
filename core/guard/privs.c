/*
 * privs.c - the master's privilege drop after binding, and the
 * descriptor limit (resolving and applying ids: privs_ids.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "privs.h"

/* See privs.h. */
int privs_drop(const char *user, const char *group)
{
	struct privs_ids ids;
	char err[160];
	int rc = 0;

	if (!user)
		return 0;
	if (privs_resolve(user, group, &ids, err, sizeof(err)) < 0) {
		log_msg(SUPERD_LOG_ERROR, NULL, "cannot drop privileges: %s", err);
		privs_ids_free(&ids);
		return -1;
	}
	if (geteuid() != 0) {
		if (geteuid() != ids.uid)
			log_msg(SUPERD_LOG_INFO, NULL,
			        "not started as root: keeping uid %u (user %s ignored)",
			        (unsigned)geteuid(), user);
		goto done;
	}
	if (privs_apply(&ids) < 0) {
		log_errno(NULL, "dropping privileges", errno);
		rc = -1;
		goto done;
	}
	log_msg(SUPERD_LOG_DEBUG, NULL, "running as user %s (uid %u, gid %u)",
	        user, (unsigned)ids.uid, (unsigned)ids.gid);
done:
	privs_ids_free(&ids);
	return rc;
}

/* See privs.h. */
int privs_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_errno(NULL, "getrlimit(RLIMIT_NOFILE)", errno);
		return -1;
	}
	if (rl.rlim_cur == rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY)
		rl.rlim_cur = 1u << 20; /* the kernel's default nr_open */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_msg(SUPERD_LOG_INFO, NULL,
		        "cannot raise the open file limit to %llu: %s",
		        (unsigned long long)rl.rlim_max, strerror(errno));
		return -1;
	}
	return 0;
}
