/*
 * spawn_spec.c - host->spawn's spec, the service's user for its children, and
 * the other service facts a module may ask for (see spawn_spec.h).
 */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "options.h"
#include "privs.h"
#include "runconf.h"
#include "spawn_spec.h"

/* Make core's spec from a module's (see spawn_spec.h). */
int spawn_spec_make(const superd_service *svc, const struct superd_spawn *in,
                    struct child_spec *out)
{
	memset(out, 0, sizeof(*out));
	if (!in || in->size < sizeof(*in) || !in->path || !in->argv) {
		errno = EINVAL;
		return -1;
	}
	if ((in->flags & SUPERD_SPAWN_AS_USER) && !svc->user_ids) {
		errno = EPERM;
		return -1;
	}
	if (!spawn_path_allowed(svc, in->path)) {
		log_msg(SUPERD_LOG_ERROR, svc->name, "refused to start %.256s: not a "
		        "program the configuration names for this service (a module "
		        "declares them with sandbox_path and SUPERD_SANDBOX_EXEC)",
		        in->path);
		errno = EPERM;
		return -1;
	}
	out->path = in->path;
	out->argv = in->argv;
	out->envp = in->envp;
	for (int i = 0; i < 3; i++)
		out->fd[i] = in->fd[i] >= 0 ? in->fd[i] : -1;
	out->fd[3] = -1;
	out->dir = in->dir;
	out->flags = in->flags & (SUPERD_SPAWN_SETSID | SUPERD_SPAWN_SETPGRP);
	/* already that user and group (say superd dropped to it): no switch */
	if ((in->flags & SUPERD_SPAWN_AS_USER) &&
	    (svc->user_ids->uid != geteuid() || svc->user_ids->gid != getegid()))
		out->ids = svc->user_ids;
	service_child_spec(svc, out);
	return 0;
}

/* The service's sandbox limits for every child it starts. */
void service_child_spec(const superd_service *svc, struct child_spec *spec)
{
	spec->limits = svc->child_limits;
}

/* Resolve the user (and group) the service's children run as. */
int spawn_service_user(superd_service *svc, const superd_opt *user,
                       const superd_opt *group)
{
	const char *u = NULL, *g = NULL;
	struct privs_ids *ids;
	char err[160];

	if (opt_string(svc, user, &u) < 0 || opt_string(svc, group, &g) < 0)
		return -1;
	if (!u) {
		opt_error(svc, group ? group : user, "a group needs a user");
		return -1;
	}
	ids = calloc(1, sizeof(*ids));
	if (!ids) {
		opt_error(svc, user, "out of memory");
		return -1;
	}
	if (privs_resolve(u, g, ids, err, sizeof(err)) < 0) {
		opt_error(svc, strstr(err, "group") && group ? group : user, "%s", err);
		free(ids);
		return -1;
	}
	spawn_service_free(svc);
	svc->user_ids = ids;
	return 0;
}

/* Note that the service starts programs (superd -t's root warning). */
void spawn_service_spawns(superd_service *svc, const superd_opt *at,
                          const char *what)
{
	svc->spawns_at = at;
	snprintf(svc->spawns_what, sizeof(svc->spawns_what), "%s",
	         what && *what ? what : "programs");
}

/* The protocols of the service's listeners. */
unsigned spawn_service_protocols(const superd_service *svc)
{
	return svc->conf ? svc->conf->protocols : 0;
}

/* Become the program in a serve() child (see module.h). */
int spawn_exec(superd_service *svc, const struct superd_spawn *spec)
{
	struct child_spec cs;

	if (spawn_spec_make(svc, spec, &cs) < 0)
		return -1;
	if (spec->fd[2] == SUPERD_SPAWN_LOG)
		cs.fd[2] = 2;
	/* a user this process cannot switch to (global: user dropped it):
	 * the helper runs the program, and this child waits for its end */
	if (cs.ids && geteuid() != 0 && helper_active())
		return helper_run(svc->name, &cs);
	return child_become(&cs);
}

/* Whether svc declared path (or a directory above it) for execution. */
int spawn_path_allowed(const superd_service *svc, const char *path)
{
	size_t len;

	if (!path || path[0] != '/' || strstr(path, "/../") ||
	    (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0))
		return 0;
	for (size_t i = 0; svc->sandbox_exec && svc->sandbox_exec[i]; i++) {
		const char *p = svc->sandbox_exec[i];

		len = strlen(p);
		while (len > 1 && p[len - 1] == '/')
			len--;
		if (strncmp(path, p, len) == 0 &&
		    (path[len] == '\0' || path[len] == '/' || len == 1))
			return 1;
	}
	return 0;
}

/* Free the service's resolved user. */
void spawn_service_free(superd_service *svc)
{
	if (!svc->user_ids)
		return;
	privs_ids_free(svc->user_ids);
	free(svc->user_ids);
	svc->user_ids = NULL;
}
