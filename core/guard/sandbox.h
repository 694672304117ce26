/*
 * sandbox.h - a worker confines itself after start (`global: sandbox`):
 * Landlock on the paths its configuration names, and the seccomp filter.
 */
#ifndef SUPERD_SANDBOX_H
#define SUPERD_SANDBOX_H

#include "runconf.h"

/**
 * In a worker, once its listeners and helper socket are set up: apply
 * `global: sandbox` for rc (only: the service of an isolated worker, whose
 * declared system calls alone are added; NULL: a shared worker, which
 * adds those of every service not isolated).  What a layer cannot do here (no Landlock in
 * the kernel, no libseccomp in the build) is logged once and skipped; a
 * layer that fails otherwise is logged too, and the worker goes on.
 */
void sandbox_worker(const struct runconf *rc, const struct superd_service *only);

/** host->sandbox_path (see module.h). */
int sandbox_service_path(superd_service *svc, const char *path, unsigned mode);
/** host->sandbox_option (see module.h). */
int sandbox_service_option(superd_service *svc, const superd_opt *o,
                           unsigned mode);
/** host->sandbox_syscall (see module.h). */
int sandbox_service_syscall(superd_service *svc, const char *name);
/** Free what sandbox_service_path and _syscall kept in svc. */
void sandbox_service_free(superd_service *svc);

#endif
