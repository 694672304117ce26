/*
 * child.h - the one way superd starts a child process.
 *
 * One spec (what the child gets) and one reset policy (what it loses):
 * default signal dispositions and an empty mask, fds 0-2 (and optionally
 * 3) from the spec, every other descriptor closed (close_range where the
 * kernel has it), a new session or process group, a working directory,
 * rlimits, a user and its groups, no_new_privs, then execve or a function.
 * serve() children, exec programs and CGI scripts all start here.
 *
 * child_fork() is the part without an event loop (it forks and reports
 * the child's setup or execve error back over a close-on-exec pipe);
 * child_spawn() adds what a worker needs: stderr logged line by line,
 * reaping, the exit callback, a timeout and a stop (SIGTERM, then SIGKILL
 * of the group).
 */
#ifndef SUPERD_CHILD_H
#define SUPERD_CHILD_H

#include <sys/types.h>

#include "loop.h"
#include "superd/module.h"

struct privs_ids;
struct sandbox_conf;

/** Everything a child gets. */
struct child_spec {
	const char *path;          /**< execve this ... */
	char *const *argv;
	char *const *envp;
	int (*fn)(void *arg);      /**< ... or run this and _exit with its value */
	void *fn_arg;
	int fd[4];                 /**< the child's 0-3: an fd, or -1 (0-2:
	                                /dev/null; 3: none) */
	const char *dir;           /**< chdir; NULL: stay */
	unsigned flags;            /**< SUPERD_SPAWN_SETSID / _SETPGRP */
	const struct privs_ids *ids;      /**< switch to; NULL: stay */
	const struct sandbox_conf *limits; /**< rlimits, no_new_privs, Landlock
	                                        paths (the service's sandbox:);
	                                        NULL: none */
	pid_t die_with;            /**< > 0: SIGKILL the child when this
	                                process (its parent) dies */
	int keep_fd;               /**< > 3: a descriptor a function child
	                                keeps (same number); else 0 or -1 */
};

/**
 * Fork a child set up as spec says.  For a program, waits until execve
 * succeeded or failed (then the child is reaped here and -1 returned with
 * the child's errno).  The pid, or -1 with errno.
 */
pid_t child_fork(const struct child_spec *spec);

/**
 * In the current process: apply spec (as a child does) and execve.
 * Returns only on failure, with errno set (the process is half set up).
 */
int child_become(const struct child_spec *spec);

/** What child_spawn adds for a worker's child. */
struct child_watch {
	const char *svc_name;      /**< log tag */
	int log_stderr;            /**< fd 2 is a pipe logged line by line */
	const char *log_tag;       /**< "TAG: line"; NULL: "pid N: line" */
	unsigned timeout_ms;       /**< > 0: child_stop after this long */
	int as_user;               /**< spec->ids is the service's user */
	superd_child_cb *on_exit;
	void *arg;
};

/** Fork spec in the worker running l, and follow it as w says. */
pid_t child_spawn(struct loop *l, const struct child_spec *spec,
                  const struct child_watch *w);

/** SIGTERM to pid's group (or pid), SIGKILL 2 s later; see module.h. */
void child_stop(pid_t pid);

/** The pids of children the spawn helper started (up to max). */
size_t child_remote_pids(pid_t *out, size_t max);

/** Children started with child_spawn and not yet reaped. */
size_t child_count(void);

/** In a newly forked process: forget the parent's children. */
void child_forget_all(void);

#endif
