/*
 * worker.h - a worker process: one event loop over every listener of its
 * configuration, serving connections and datagrams until told to stop.
 *
 * Signals: SIGTERM/SIGINT stop accepting and exit when the last connection
 * ends (or after `global: stop_timeout`); SIGUSR2 does the same after a
 * reload, with WORKER_RELOAD_GRACE_MS; SIGUSR1 reopens the log file.
 */
#ifndef SUPERD_WORKER_H
#define SUPERD_WORKER_H

#include "loop.h"
#include "runconf.h"

/** Grace time when the server stops and no configuration says (the
    default of `global: stop_timeout`). */
#define WORKER_STOP_GRACE_MS 10000
/** Grace time for an old worker's connections after a reload. */
#define WORKER_RELOAD_GRACE_MS 30000

/**
 * Become worker number index (0 to workers - 1) for rc, in a child just
 * forked by the master; parent is the master's loop (freed here).  The
 * worker accepts from its own sockets of each listener's SO_REUSEPORT
 * group (see listener_grow).  Never returns.
 */
void worker_run(struct runconf *rc, struct loop *parent, unsigned index)
    __attribute__((noreturn));

#endif
