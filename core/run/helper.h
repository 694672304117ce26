/*
 * helper.h - the spawn helper: a small process the master forks before
 * it drops privileges, which starts programs for the workers.
 *
 * Workers stay unprivileged and (with `sandbox`) cannot execute anything;
 * the helper keeps the master's privileges and the configuration it loaded
 * itself.  A worker sends a request (service name, program, argv, envp,
 * directory, flags) with the child's descriptors over a UNIX socket
 * (SCM_RIGHTS); the helper checks it against its configuration (the
 * service must exist, and SUPERD_SPAWN_AS_USER needs a user configured
 * for that service), starts the child with the service's user and
 * `sandbox:` limits (the global user otherwise), and returns the pid.
 * When the child exits, the worker gets its wait status back.  A refused
 * request is logged and fails with EPERM.  OpenSSH's privsep monitor
 * works the same way.
 *
 * Processes: the master forks twice; the keeper (not the master's child)
 * forks the helper and a new one whenever it dies.  The helper's children
 * die with it (PR_SET_PDEATHSIG), and both are subreapers, so nothing
 * they start is left to PID 1.  Three channels: ctl (master -> helper:
 * RELOAD; its EOF ends the helper), hello (shared by the master and every
 * worker; only HELLO, which carries a private socket), and per worker its
 * private socket (SPAWN, SIGNAL; STARTED, EXITED back).  A worker that
 * sees its private socket close treats the helper's children as killed
 * and connects again through hello.
 */
#ifndef SUPERD_HELPER_H
#define SUPERD_HELPER_H

#include <sys/types.h>

#include "child.h"
#include "loop.h"
#include "runconf.h"

/**
 * In the master, before binding: fork the helper for the configuration
 * at path (already loaded as rc); daemonize: it detaches from the
 * terminal as `superd -d` does.  0, or -1 (logged).
 */
int helper_start(const char *path, struct runconf *rc, struct loop *parent,
                 int daemonize);
/**
 * In the master, before it exits: close the helper's sockets and wait
 * (at most 5 s) until the keeper has exited (its pidfd; else the dead
 * pipe's EOF), so nothing outlives the master.
 */
void helper_stop(void);
/** The helper's channels: [0] its end, [1] the master's (dead: the
 *  master reads [0]; the keeper and helper hold [1] until they exit). */
struct helper_ends {
	int ctl[2];
	int hello[2];
	int dead[2];
};

/** helper_start's fork (see helper_ends): the keeper's pid (0: unknown),
 *  or -1 (logged). */
pid_t helper_start_fork(const struct helper_ends *e, const char *path,
                        struct runconf *rc, struct loop *parent, int daemonize);
/** In the master, after a reload succeeded: the helper loads path too. */
void helper_reload(const char *path);
/** In the master: its socket to the helper, or -1. */
int helper_ctl_fd(void);
/**
 * In the master (or its reload trial): have the helper open a `cert`,
 * `key` or `client_ca` file that the configuration on disk names (the
 * helper keeps root; tls_set_opener).  An O_RDONLY fd, or -1 with errno
 * (EPERM: not such a file).  Waits at most 5 s.
 */
int helper_open_file(const char *path);
/** In the helper: answer an OPEN request for path on sock. */
void helper_answer_open(int sock, const char *cfg_path, const char *path);
/** Whether this process has a helper (master: started; worker: connected). */
int helper_active(void);

/**
 * In a new worker: connect to the helper (a socketpair of its own, one end
 * sent to the helper), and follow exits in l.  No-op without a helper.
 * 0, or -1 (logged).
 */
int helper_connect(struct loop *l);

/**
 * In a worker: have the helper start spec for service svc_name.  Waits
 * for the answer (as a local spawn waits for execve).  The pid, or -1 with
 * errno (the child's execve error, EPERM when refused).  The exit comes
 * later through proc_exited().
 */
pid_t helper_spawn(const char *svc_name, const struct child_spec *spec,
                   int as_user);

/** In a worker: signal a child the helper started (its group if group). */
int helper_signal(pid_t pid, int sig, int group);

/**
 * Before forking a serve() child that may need the helper (its service
 * has its own user, which this process cannot switch to): a private
 * connection to the helper, on an fd above 3 for child_spec.keep_fd; -1
 * when there is no helper (or on error, logged).
 */
int helper_channel(void);
/** In that serve() child: use fd (from helper_channel) as its connection. */
void helper_adopt(int fd);
/**
 * In a serve() child: have the helper run spec for svc_name as the
 * service's user, wait for the program to end and exit as it did (its
 * status; its signal).  The program gets SIGTERM if this process dies
 * first.  Returns only on failure, with errno.
 */
int helper_run(const char *svc_name, const struct child_spec *spec);

#endif
