/*
 * host.h - the struct superd_host table modules call into.
 *
 * Timers, fd watches and now_ms work on the calling process's loop (the
 * worker's, or the master's for wait-style children), set with
 * host_set_loop().
 */
#ifndef SUPERD_HOST_H
#define SUPERD_HOST_H

#include "loop.h"
#include "superd/module.h"

/** The host table handed to every module's configure. */
const struct superd_host *host_table(void);
/** The loop host timers and watches use in this process (NULL: none). */
void host_set_loop(struct loop *l);
struct loop *host_loop(void);

#endif
