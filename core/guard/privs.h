/*
 * privs.h - dropping root after binding, raising the descriptor limit, and
 * the user/group switch of exec children.
 *
 * Names are resolved once (privs_resolve: may read /etc/passwd and
 * /etc/group); privs_apply only makes system calls, so a child may call it
 * between fork and execve.
 */
#ifndef SUPERD_PRIVS_H
#define SUPERD_PRIVS_H

#include <stddef.h>
#include <sys/types.h>

/** A resolved identity: user, primary group, supplementary groups. */
struct privs_ids {
	uid_t uid;
	gid_t gid;
	gid_t *groups;     /**< supplementary groups (malloc'ed) */
	int ngroups;
	char name[64];     /**< the user as written, for messages */
};

/**
 * Resolve user (a name or a number) and group (a name, a number, or NULL:
 * the user's primary group).  Supplementary groups: the user's groups from
 * the group database when group is NULL, otherwise only group.  0, or -1
 * with a message in err ("unknown user 'x'").
 */
int privs_resolve(const char *user, const char *group, struct privs_ids *ids,
                  char *err, size_t errlen);
void privs_ids_free(struct privs_ids *ids);

/**
 * Become ids: setgroups, setresgid, setresuid, each checked, then verify
 * that root cannot be regained.  Only system calls (safe after fork).
 * 0, or -1 with errno (EPERM when root could be regained).
 */
int privs_apply(const struct privs_ids *ids);

/**
 * Drop root to user/group (see privs_resolve).  user NULL: nothing to do.
 * Not root: a no-op if already that user, else logged and ignored (a
 * normal user cannot switch).  0, or -1 (logged).
 */
int privs_drop(const char *user, const char *group);

/** Raise the soft RLIMIT_NOFILE to the hard limit; logs when it cannot. */
int privs_raise_nofile(void);

#endif
