/*
 * sandbox.c - what a sandboxed worker may touch (see sandbox.h).
 *
 * Landlock: read beneath the configuration's directory and every path an
 * option names (an http root, a mime.types file...), write to the log
 * file and to files named by options whose key ends in "log" (and create
 * in their directories, for reopening after rotation), /dev/null, and the
 * few system files the C library reads late (time zones, /proc/self).
 * Nothing may be executed.  seccomp: see syscalls.c; services add calls
 * with host->sandbox_syscall.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "landlock.h"
#include "log.h"
#include "sandbox.h"
#include "syscalls.h"

#define PATHS_MAX 256

/** Paths collected for one ruleset. */
struct plist {
	char *v[PATHS_MAX + 1];
	size_t n;
};

/* Add a copy of path (NULL-terminated list, bounded). */
static void plist_add(struct plist *p, const char *path)
{
	if (p->n < PATHS_MAX && (p->v[p->n] = strdup(path)))
		p->n++;
}

static void plist_free(struct plist *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	p->n = 0;
}

/* path's directory (a copy in buf). */
static const char *dir_of(const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "%s", path);
	return dirname(buf);
}

/* A scalar option that names an existing path: read it; a log: write. */
static void option_path(const struct config *cfg, const char *key,
                        const char *s, struct plist *rd, struct plist *wr)
{
	char path[PATH_MAX], dir[PATH_MAX];
	size_t klen = key ? strlen(key) : 0;
	struct stat st;

	if (!s || !*s || strlen(s) >= sizeof(path) - strlen(cfg->dir) - 2)
		return;
	if (s[0] == '/')
		snprintf(path, sizeof(path), "%s", s);
	else
		snprintf(path, sizeof(path), "%s/%s", cfg->dir, s);
	if (klen >= 3 && strcmp(key + klen - 3, "log") == 0) {
		plist_add(wr, path);
		plist_add(wr, dir_of(path, dir, sizeof(dir)));
		return;
	}
	if (stat(path, &st) == 0)
		plist_add(rd, path);
}

/* Walk an options tree for paths. */
static void options_walk(const struct config *cfg, const struct superd_opt *o,
                         const char *key, struct plist *rd, struct plist *wr)
{
	if (!o)
		return;
	if (o->kind == SUPERD_OPT_SCALAR) {
		option_path(cfg, key, o->str, rd, wr);
		return;
	}
	for (size_t i = 0; i < o->n; i++)
		options_walk(cfg, o->items[i],
		             o->kind == SUPERD_OPT_MAP ? o->keys[i]->str : key, rd, wr);
}

/* Everything the workers of rc may read and write. */
static void collect(const struct config *cfg, struct plist *rd, struct plist *wr)
{
	static const char *const sys_read[] = { "/etc/localtime",
		"/usr/share/zoneinfo", "/proc", "/dev/urandom", NULL };
	char dir[PATH_MAX];

	plist_add(rd, cfg->dir);
	for (size_t i = 0; sys_read[i]; i++)
		plist_add(rd, sys_read[i]);
	plist_add(wr, "/dev/null");
	if (cfg->global.log == LOG_TO_FILE && cfg->global.log_file) {
		plist_add(wr, cfg->global.log_file);
		plist_add(wr, dir_of(cfg->global.log_file, dir, sizeof(dir)));
	}
	for (size_t i = 0; i < cfg->nservices; i++)
		options_walk(cfg, cfg->services[i].options, NULL, rd, wr);
}

/* What each service declared with host->sandbox_path. */
static void collect_declared(const struct runconf *rc, struct plist *rd,
                             struct plist *wr)
{
	for (size_t i = 0; i < rc->nsvcs; i++) {
		const struct superd_service *svc = &rc->svcs[i];

		for (size_t k = 0; svc->sandbox_read && svc->sandbox_read[k]; k++)
			plist_add(rd, svc->sandbox_read[k]);
		for (size_t k = 0; svc->sandbox_write && svc->sandbox_write[k]; k++)
			plist_add(wr, svc->sandbox_write[k]);
	}
}

/* Append a copy of path to a NULL-terminated list. */
static int strv_push(char ***v, const char *path)
{
	size_t n = 0;
	char **nv, *copy = strdup(path);

	while (*v && (*v)[n])
		n++;
	nv = copy ? realloc(*v, (n + 2) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(copy);
		errno = ENOMEM;
		return -1;
	}
	nv[n] = copy;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

/* host->sandbox_path (see sandbox.h). */
int sandbox_service_path(superd_service *svc, const char *path, unsigned mode)
{
	if (!path || !*path) {
		errno = EINVAL;
		return -1;
	}
	if (mode & SUPERD_SANDBOX_EXEC)
		return strv_push(&svc->sandbox_exec, path);
	return strv_push(mode & SUPERD_SANDBOX_WRITE ? &svc->sandbox_write
	                                             : &svc->sandbox_read, path);
}

/* host->sandbox_syscall (see sandbox.h). */
int sandbox_service_syscall(superd_service *svc, const char *name)
{
	if (!name || !*name || !syscalls_known(name)) {
		errno = EINVAL;
		return -1;
	}
	return strv_push(&svc->sandbox_syscalls, name);
}

/* Free the declared paths and calls (see sandbox.h). */
void sandbox_service_free(superd_service *svc)
{
	char **lists[4] = { svc->sandbox_read, svc->sandbox_write,
	                    svc->sandbox_exec, svc->sandbox_syscalls };

	for (int k = 0; k < 4; k++) {
		for (size_t i = 0; lists[k] && lists[k][i]; i++)
			free(lists[k][i]);
		free(lists[k]);
	}
	svc->sandbox_read = svc->sandbox_write = svc->sandbox_exec = NULL;
	svc->sandbox_syscalls = NULL;
}

/* The Landlock layer. */
static void landlock_layer(const struct runconf *rc)
{
	const struct config *cfg = rc->cfg;
	struct plist rd = { .n = 0 }, wr = { .n = 0 };
	struct landlock_paths lp;

	if (landlock_abi() == 0) {
		log_msg(SUPERD_LOG_INFO, NULL, "sandbox: this kernel has no Landlock; "
		        "workers are not confined to the configured paths");
		return;
	}
	collect(cfg, &rd, &wr);
	collect_declared(rc, &rd, &wr);
	rd.v[rd.n] = NULL;
	wr.v[wr.n] = NULL;
	memset(&lp, 0, sizeof(lp));
	lp.read = (const char *const *)rd.v;
	lp.write = (const char *const *)wr.v;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || landlock_restrict(&lp) < 0)
		log_errno(NULL, "sandbox: landlock", errno);
	plist_free(&rd);
	plist_free(&wr);
}

/* The system calls the services this worker serves declared (only, if
 * isolated; else every service not isolated), for the seccomp filter. */
static void collect_syscalls(const struct runconf *rc,
                             const struct superd_service *only,
                             struct plist *calls)
{
	for (size_t i = 0; i < rc->nsvcs; i++) {
		const struct superd_service *svc = &rc->svcs[i];

		if (only ? svc != only : svc_isolated(svc))
			continue;
		for (char **n = svc->sandbox_syscalls; n && *n; n++)
			plist_add(calls, *n);
	}
	calls->v[calls->n] = NULL;
}

/* Apply global: sandbox in a worker (see sandbox.h). */
void sandbox_worker(const struct runconf *rc, const struct superd_service *only)
{
	const struct config *cfg = rc->cfg;
	struct plist calls = { .n = 0 };

	if (!cfg->global.sandbox)
		return;
	landlock_layer(rc);
	if (!syscalls_available()) {
		log_msg(SUPERD_LOG_INFO, NULL, "sandbox: built without libseccomp; "
		        "workers have no system call filter");
		return;
	}
	collect_syscalls(rc, only, &calls);
	if (syscalls_restrict(log_raw_fd(), (const char *const *)calls.v) < 0)
		log_errno(NULL, "sandbox: seccomp", errno);
	plist_free(&calls);
}
