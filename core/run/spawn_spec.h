/*
 * spawn_spec.h - host->spawn and friends: a module's struct superd_spawn made
 * into core's child spec, with the service's user and sandbox limits.
 *
 * Shared by the real host (host.c) and the unit tests' fake host, so a
 * module's children are set up the same way in both.
 */
#ifndef SUPERD_SPAWN_H
#define SUPERD_SPAWN_H

#include "child.h"
#include "superd/module.h"

/**
 * Fill out from a module's spec for svc: program, fds, directory, flags,
 * the service's user (SUPERD_SPAWN_AS_USER) and limits.  fd[2] ==
 * SUPERD_SPAWN_LOG is left to the caller (it becomes -1 here).  0, or -1
 * with errno EINVAL (a spec too small or without a program) or EPERM
 * (AS_USER for a service with no user).
 */
int spawn_spec_make(const superd_service *svc, const struct superd_spawn *in,
                    struct child_spec *out);

/** The service's part of every child spec: its sandbox limits. */
void service_child_spec(const superd_service *svc, struct child_spec *spec);

/** host->service_user (see module.h). */
int spawn_service_user(superd_service *svc, const superd_opt *user,
                       const superd_opt *group);
/** host->service_spawns (see module.h): kept in svc for superd -t. */
void spawn_service_spawns(superd_service *svc, const superd_opt *at,
                          const char *what);
/** host->service_protocols (see module.h). */
unsigned spawn_service_protocols(const superd_service *svc);
/** host->spawn_exec (see module.h). */
int spawn_exec(superd_service *svc, const struct superd_spawn *spec);
/**
 * Whether svc may start path: an absolute path without "..", equal to or
 * beneath a path the service declared with SUPERD_SANDBOX_EXEC.
 */
int spawn_path_allowed(const superd_service *svc, const char *path);
/** Free what spawn_service_user kept in svc. */
void spawn_service_free(superd_service *svc);

#endif
