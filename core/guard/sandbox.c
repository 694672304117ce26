/*
 * sandbox.c - what a sandboxed worker may touch (see sandbox.h).
 *
 * Landlock, from what the configuration names by meaning, never from
 * guesses at option values: core's own paths (the log file and its
 * directory, /dev/null, time zones, /proc, /dev/urandom) and what each
 * service's module declared with host->sandbox_path (http: its roots to
 * read, body_temp_dir and access_log to write).  Certificates, keys,
 * module files and the configuration are read by the master before the
 * workers start, and UNIX sockets are already open: workers get none of
 * them.  Nothing may be executed.  seccomp: see syscalls.c; services add
 * calls with host->sandbox_syscall.
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
#include <unistd.h>

#include "landlock.h"
#include "log.h"
#include "options.h"
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

/*
 * What core names for the workers of rc: the log file (and its
 * directory, to reopen it after rotation), /dev/null, and the few system
 * files the C library reads late (time zones, /proc/self).  Nothing is
 * guessed from option values: modules declare their paths.
 */
static void collect(const struct config *cfg, struct plist *rd, struct plist *wr)
{
	static const char *const sys_read[] = { "/etc/localtime",
		"/usr/share/zoneinfo", "/proc", "/dev/urandom", NULL };
	char dir[PATH_MAX];

	for (size_t i = 0; sys_read[i]; i++)
		plist_add(rd, sys_read[i]);
	plist_add(wr, "/dev/null");
	if (cfg->global.log == LOG_TO_FILE && cfg->global.log_file) {
		plist_add(wr, cfg->global.log_file);
		plist_add(wr, dir_of(cfg->global.log_file, dir, sizeof(dir)));
	}
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

/* host->sandbox_option (see sandbox.h). */
int sandbox_service_option(superd_service *svc, const superd_opt *o,
                           unsigned mode)
{
	const char *v = NULL;
	char *path = NULL;
	int rc;

	if (!o)
		return 0;
	if (opt_string(svc, o, &v) < 0)
		return -1;
	if (!*v) {
		opt_error(svc, o, "a path expected");
		return -1;
	}
	if (v[0] != '/' && asprintf(&path, "%s/%s", svc->config_dir, v) < 0) {
		opt_error(svc, o, "out of memory");
		return -1;
	}
	rc = sandbox_service_path(svc, path ? path : v, mode);
	if (rc < 0)
		opt_error(svc, o, "out of memory");
	free(path);
	return rc;
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
