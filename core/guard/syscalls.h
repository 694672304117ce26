/*
 * syscalls.h - the seccomp filter a sandboxed worker runs under: an
 * allow list of what a worker does; any other system call is refused
 * and logged by name.
 */
#ifndef SUPERD_SYSCALLS_H
#define SUPERD_SYSCALLS_H

/**
 * Install the filter in this process (and what it forks): every system
 * call off the allow list (and off more, a NULL-terminated list of names
 * modules declared; may be NULL) traps; a SIGSYS handler writes
 * "seccomp: denied NAME (NR)" to log_fd with async-signal-safe calls,
 * and the call fails with EPERM.  0; -1 with errno (ENOSYS: superd was
 * built without libseccomp).
 */
int syscalls_restrict(int log_fd, const char *const *more);

/** Whether name is a system call of this architecture (1) or not (0). */
int syscalls_known(const char *name);

/** Whether this build has a seccomp filter at all. */
int syscalls_available(void);

#endif
