/*
 * syscalls.h - the seccomp filter a sandboxed worker runs under: system
 * calls a worker never makes are refused and logged by name.
 */
#ifndef SUPERD_SYSCALLS_H
#define SUPERD_SYSCALLS_H

/**
 * Install the filter in this process (and what it forks): every system
 * call on the deny list traps; a SIGSYS handler writes "seccomp: denied
 * NAME (NR)" to log_fd with async-signal-safe calls, and the call fails
 * with EPERM.  0; -1 with errno (ENOSYS: superd was built without
 * libseccomp).
 */
int syscalls_restrict(int log_fd);

/** Whether this build has a seccomp filter at all. */
int syscalls_available(void);

#endif
