/*
 * proc.h - child processes: forking serve() children, tracking every child
 * by pid, and reaping them with waitpid(WNOHANG) in a loop on SIGCHLD.
 *
 * One table per process (the master's, or a worker's).  A child forked
 * and registered in the same loop iteration cannot be reaped unseen,
 * because reaping only happens from the loop's SIGCHLD callback.
 */
#ifndef SUPERD_PROC_H
#define SUPERD_PROC_H

#include <sys/socket.h>
#include <sys/types.h>

#include "loop.h"
#include "runconf.h"
#include "superd/module.h"

typedef void proc_exit_cb(pid_t pid, int status, void *arg);

/** Call cb(pid, status, arg) once pid exits.  0, or -1 (ENOMEM). */
int proc_watch(pid_t pid, proc_exit_cb *cb, void *arg);
/** Stop watching pid (the child is still reaped, silently).  */
void proc_unwatch(pid_t pid);
/** Reap every exited child and run its callback (call on SIGCHLD). */
void proc_reap(void);
/** pid, watched but reaped by another process (the spawn helper), exited:
 *  run its callback as proc_reap would. */
void proc_exited(pid_t pid, int status);
/** Children watched now. */
size_t proc_count(void);
/** Send sig to every watched child. */
void proc_kill_all(int sig);
/**
 * Send sig to every watched child and to the process group it leads, if
 * it made one (exec programs and CGI scripts do, with setsid).
 */
void proc_kill_all_groups(int sig);
/** In a newly forked process: forget the parent's table. */
void proc_forget_all(void);

/**
 * Fork a child (child.c: the common reset, and the service's user and
 * sandbox limits) that runs svc's serve() on fd (blocking, as fd 3 in the
 * child, every other fd above 2 closed, stderr a pipe whose lines the
 * worker running l logs tagged with the service).  sa/salen: the client (NULL for a
 * wait-style child, which gets the listening socket).  on_exit runs in the
 * parent after the exit was logged.  The pid, or -1 (logged).  The parent
 * keeps fd: close it if it was a connection.
 */
pid_t proc_spawn_serve(struct loop *l, struct superd_service *svc, int fd,
                       const struct sockaddr *sa, socklen_t salen,
                       unsigned proto, proc_exit_cb *on_exit, void *arg);
/** proc_spawn_serve with local (from a PROXY header) as the local address. */
pid_t proc_spawn_serve_at(struct loop *l, struct superd_service *svc, int fd,
                          const struct sockaddr *sa, socklen_t salen,
                          const struct sockaddr *local, socklen_t llen,
                          unsigned proto, proc_exit_cb *on_exit, void *arg);

/** Describe a wait status: "exit 3", "signal 9 (Killed)", "core dumped" too. */
void proc_describe_status(int status, char *buf, size_t size);

#endif
