/*
 * worker.h - a worker process: one event loop over every listener of its
 * configuration, serving connections and datagrams until told to stop.
 *
 * Signals: SIGTERM/SIGINT stop accepting and exit when the last connection
 * ends (or after `global: stop_timeout`); SIGUSR2 (a reload retired the
 * worker) does the same with no bound: connections end on their own, the
 * modules close idle ones (on_retire); a second SIGUSR2 means the reload's
 * bound (global reload_timeout) is over: close everything and exit.
 * SIGUSR1 reopens the log file.  EOF on the master's pipe (the master is
 * gone, even killed) stops the worker as SIGTERM does.
 */
#ifndef SUPERD_WORKER_H
#define SUPERD_WORKER_H

#include "loop.h"
#include "runconf.h"

/** Grace time when the server stops and no configuration says (the
    default of `global: stop_timeout`). */
#define WORKER_STOP_GRACE_MS 10000
/** After the grace: how long children have to end before SIGKILL. */
#define WORKER_KILL_DELAY_MS 1000

/**
 * Become worker number index (0 to workers - 1) for rc, in a child just
 * forked by the master; parent is the master's loop (freed here).  The
 * worker accepts from its own sockets of each listener's SO_REUSEPORT
 * group (see listener_grow).  only: the one service this worker serves
 * (`isolate: true`), or NULL for every service that is not isolated.
 * master_fd: the read end of a pipe whose
 * write end only the master holds (-1: none); its EOF means the master is
 * gone.  Never returns.
 */
void worker_run(struct runconf *rc, struct loop *parent, unsigned index,
                const struct superd_service *only, int master_fd)
    __attribute__((noreturn));

/**
 * A child that the spawn helper started and reaped has ended (its exit
 * reached proc_exited): a stopping worker with nothing left exits now, as
 * after SIGCHLD for its own children.  Does nothing in other processes.
 */
void worker_child_ended(void);

#endif
