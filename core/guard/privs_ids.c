/*
 * privs_ids.c - resolving a user and group to ids, and becoming them.
 *
 * No logging here: the exec module links this file into its own .so, and
 * privs_apply runs in children between fork and execve.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* setresuid, getgrouplist */
#endif
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"

/* A decimal id ("0" .. "4294967294"), or -1 if s is not one. */
static long long parse_id(const char *s)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v >= 0xffffffffull)
		return -1;
	return (long long)v;
}

/* Resolve group (name or number) to a gid. 0 or -1 (message in err). */
static int group_resolve(const char *group, gid_t *gid, char *err, size_t errlen)
{
	long long id = parse_id(group);
	struct group *gr;

	if (id >= 0) {
		*gid = (gid_t)id;
		return 0;
	}
	errno = 0;
	gr = getgrnam(group);
	if (!gr) {
		snprintf(err, errlen, "unknown group '%s'", group);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* The user's supplementary groups from the group database. */
static int groups_of_user(const char *name, gid_t gid, struct privs_ids *ids,
                          char *err, size_t errlen)
{
	int n = 32;

	for (;;) {
		gid_t *g = realloc(ids->groups, (size_t)n * sizeof(*g));
		int want = n;

		if (!g) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		ids->groups = g;
		if (getgrouplist(name, gid, g, &want) >= 0) {
			ids->ngroups = want;
			return 0;
		}
		if (want <= n || want > 65536) {
			snprintf(err, errlen, "cannot list the groups of '%s'", name);
			return -1;
		}
		n = want;
	}
}

/* See privs.h. */
int privs_resolve(const char *user, const char *group, struct privs_ids *ids,
                  char *err, size_t errlen)
{
	long long id = parse_id(user);
	struct passwd *pw;

	memset(ids, 0, sizeof(*ids));
	snprintf(ids->name, sizeof(ids->name), "%s", user);
	errno = 0;
	pw = id >= 0 ? getpwuid((uid_t)id) : getpwnam(user);
	if (!pw && id < 0) {
		snprintf(err, errlen, "unknown user '%s'", user);
		return -1;
	}
	ids->uid = pw ? pw->pw_uid : (uid_t)id;
	if (group) {
		if (group_resolve(group, &ids->gid, err, errlen) < 0)
			return -1;
	} else if (pw) {
		ids->gid = pw->pw_gid;
	} else {
		snprintf(err, errlen, "user %s has no passwd entry: name a group", user);
		return -1;
	}
	if (!group && pw)
		return groups_of_user(pw->pw_name, ids->gid, ids, err, errlen);
	ids->groups = malloc(sizeof(gid_t));
	if (!ids->groups) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ids->groups[0] = ids->gid;
	ids->ngroups = 1;
	return 0;
}

void privs_ids_free(struct privs_ids *ids)
{
	free(ids->groups);
	ids->groups = NULL;
	ids->ngroups = 0;
}

/* See privs.h: system calls only, so it is safe between fork and exec. */
int privs_apply(const struct privs_ids *ids)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (setgroups((size_t)ids->ngroups, ids->groups) < 0)
		return -1;
	if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
		return -1;
	if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
		return -1;
	if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -1;
	if (r != ids->uid || e != ids->uid || s != ids->uid ||
	    rg != ids->gid || eg != ids->gid || sg != ids->gid) {
		errno = EPERM;
		return -1;
	}
	if (ids->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}
