/*
 * landlock.h - file system confinement with Landlock (Linux 5.13+), the
 * ABI probed at run time; rights a kernel does not know are left out.
 */
#ifndef SUPERD_LANDLOCK_H
#define SUPERD_LANDLOCK_H

/** The kernel's Landlock ABI version, or 0 when it has none (or it is off). */
int landlock_abi(void);

/** What a process may touch beneath each listed path (NULL-terminated lists). */
struct landlock_paths {
	const char *const *read;    /**< read files, list directories */
	const char *const *write;   /**< also create, write, remove */
	const char *const *exec;    /**< also execute (and read) */
	const char *const *append;  /**< write existing files only (logs) */
};

/**
 * Confine this process (and what it starts) to p.  A listed path that
 * does not exist is skipped.  Needs no_new_privs (set by the caller) unless
 * the process has CAP_SYS_ADMIN.  System calls only: safe between fork and
 * execve.  0; -1 with errno (EOPNOTSUPP: no Landlock in this kernel).
 */
int landlock_restrict(const struct landlock_paths *p);

#endif
