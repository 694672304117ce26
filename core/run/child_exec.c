/*
 * child_exec.c - the child's side of a spawn: fork, the reset policy, the
 * user switch, execve; errors come back to the parent over a pipe.
 *
 * Between fork and execve the child only makes system calls (no
 * allocation, no stdio), so nothing the parent held locked can hang it,
 * and a program's child can be made with vfork (see child_fork).
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "landlock.h"
#include "privs.h"

/* First fd number used to park the spec's fds while they are moved. */
#define PARK_FD 16

/*
 * libc keeps a few real-time signals for itself (glibc: 32 and 33) and
 * refuses sigaction on them, so one ignored by whoever started superd
 * would stay ignored in the program: reset those with the system call.
 */
static void reset_libc_signals(void)
{
#if defined(SYS_rt_sigaction) && (defined(__x86_64__) || defined(__aarch64__) || \
                                  defined(__i386__) || defined(__riscv))
	struct { void *handler; unsigned long flags; void *restorer;
	         unsigned long mask; } ksa;

	memset(&ksa, 0, sizeof(ksa));
	ksa.handler = SIG_DFL;
	for (int signo = 32; signo < SIGRTMIN; signo++)
		syscall(SYS_rt_sigaction, signo, &ksa, NULL, sizeof(ksa.mask));
#endif
}

/* Default dispositions for every signal, nothing blocked. */
static void reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int signo = 1; signo < NSIG; signo++)
		if (signo != SIGKILL && signo != SIGSTOP)
			sigaction(signo, &sa, NULL); /* EINVAL for libc's own */
	reset_libc_signals();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Close fds lo..hi: close_range, else one by one (up to the fd limit). */
static void close_fds(unsigned lo, unsigned hi)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
#endif
	for (long fd = lo; fd < max && fd <= (long)hi; fd++)
		close((int)fd);
}

/*
 * Put the spec's fds on 0-3: park each above PARK_FD first (so a target
 * never overwrites a source still needed), then dup2 into place, which
 * also clears close-on-exec.  A missing 0-2 becomes /dev/null.  Every
 * other fd is closed but keep (close-on-exec, above PARK_FD, or -1).
 */
static int place_fds(const struct child_spec *spec, int keep)
{
	unsigned first;
	int parked[4];

	for (int i = 0; i < 4; i++) {
		parked[i] = -1;
		if (spec->fd[i] >= 0)
			parked[i] = fcntl(spec->fd[i], F_DUPFD_CLOEXEC, PARK_FD);
		else if (i < 3)
			parked[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (i < 3 && parked[i] < 0)
			return -1;
		if (i == 3 && spec->fd[3] >= 0 && parked[3] < 0)
			return -1;
	}
	for (int i = 0; i < 4; i++)
		if (parked[i] >= 0 && dup2(parked[i], i) < 0)
			return -1;
	first = parked[3] >= 0 ? 4 : 3;
	if (keep < 0) {
		close_fds(first, ~0u);
		return 0;
	}
	close_fds(first, (unsigned)keep - 1);
	close_fds((unsigned)keep + 1, ~0u);
	return 0;
}

/* One rlimit, soft and hard, when asked for (0: leave it). */
static int limit_set(int resource, unsigned long long value)
{
	struct rlimit rl;

	if (!value)
		return 0;
	rl.rlim_cur = rl.rlim_max = (rlim_t)value;
	return setrlimit(resource, &rl);
}

/* The spec's rlimits, no_new_privs and Landlock paths. */
static int apply_limits(const struct sandbox_conf *lim)
{
	struct landlock_paths lp;

	if (!lim)
		return 0;
	if (limit_set(RLIMIT_CPU, lim->cpu) < 0 ||
	    limit_set(RLIMIT_AS, lim->memory) < 0 ||
	    limit_set(RLIMIT_NOFILE, lim->files) < 0 ||
	    limit_set(RLIMIT_NPROC, lim->processes) < 0)
		return -1;
	if (lim->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	if (!lim->landlock)
		return 0;
	lp.read = (const char *const *)lim->read;
	lp.write = (const char *const *)lim->write;
	lp.exec = (const char *const *)lim->exec;
	lp.append = NULL;
	return landlock_restrict(&lp);
}

/* Apply spec in this process (see child.h), keeping fd keep; -1 with errno. */
static int apply_spec(const struct child_spec *spec, int keep)
{
	reset_signals();
	if ((spec->flags & SUPERD_SPAWN_SETSID) && setsid() < 0)
		return -1;
	if (!(spec->flags & SUPERD_SPAWN_SETSID) &&
	    (spec->flags & SUPERD_SPAWN_SETPGRP) && setpgid(0, 0) < 0)
		return -1;
	if (place_fds(spec, keep) < 0)
		return -1;
	if (spec->dir && chdir(spec->dir) < 0)
		return -1;
	/* NPROC counts the target user's processes: set it after the switch */
	if (spec->ids && privs_apply(spec->ids) < 0)
		return -1;
	/* after the switch, which clears it; the parent may be gone already */
	if (spec->die_with > 0 &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != spec->die_with))
		return -1;
	return apply_limits(spec->limits);
}

/* Become the program (see child.h). */
int child_become(const struct child_spec *spec)
{
	if (apply_spec(spec, -1) < 0)
		return -1;
	execve(spec->path, spec->argv, spec->envp);
	return -1;
}

/* The child after fork: set up, then execve or fn; never returns. */
static void __attribute__((noreturn))
child_main(const struct child_spec *spec, int err_w)
{
	int err;

	/* the error pipe survives the fd reset (and closes at execve) */
	if (err_w >= 0 && err_w < PARK_FD + 4) {
		int moved = fcntl(err_w, F_DUPFD_CLOEXEC, PARK_FD + 4);

		if (moved < 0)
			_exit(127);
		err_w = moved;
	}
	if (apply_spec(spec, err_w >= 0 ? err_w
	                     : spec->keep_fd > 3 ? spec->keep_fd : -1) < 0)
		goto fail;
	if (spec->fn)
		_exit(spec->fn(spec->fn_arg) & 0xff);
	execve(spec->path, spec->argv, spec->envp);
fail:
	err = errno;
	if (err_w >= 0)
		while (write(err_w, &err, sizeof(err)) < 0 && errno == EINTR)
			;
	_exit(127);
}

/* Read the child's errno from the pipe: 0 when execve closed it. */
static int read_child_errno(int fd)
{
	int err = 0;
	ssize_t n;

	do
		n = read(fd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(err) ? err : 0;
}

/*
 * Fork a child set up as spec says (see child.h).  A program's child is
 * made with vfork, as posix_spawn does: it borrows this process's memory
 * until its execve (or _exit) instead of copying the page tables, and this
 * process, stopped meanwhile, then writes to its own pages without a
 * copy-on-write fault for each.  That doubled the CGI and exec rates where
 * fork is dear (bench/README.md, "Programs started with vfork").  It is
 * safe because the child never returns from child_main and only makes
 * system calls there, touching nothing of this process but its own stack
 * below this frame and errno (reset here).  A function child (spec->fn)
 * runs any code, so it gets a fork.
 */
pid_t child_fork(const struct child_spec *spec)
{
	int pfd[2] = { -1, -1 }, err, status;
	sigset_t all, old;
	pid_t pid;

	if (!spec->fn && pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old); /* no handler runs in the child */
	pid = spec->fn ? fork() : vfork();
	if (pid == 0)
		child_main(spec, pfd[1]);
	err = pid < 0 ? errno : 0; /* (a vfork child's errno is ours) */
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (pid > 0 && pfd[0] >= 0 && (err = read_child_errno(pfd[0])) != 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		pid = -1;
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	errno = err;
	return pid;
}
