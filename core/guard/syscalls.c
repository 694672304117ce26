/*
 * syscalls.c - the workers' seccomp filter (libseccomp): an allow list
 * of what a worker does, everything else trapped; the SIGSYS handler
 * names the refused call in the log (see syscalls.h).
 *
 * The list was built by tracing workers (strace -f -c) on every event
 * backend while they served each shipped module: TCP, UDP and UNIX
 * listeners, TLS, sendfile, CGI and exec through the spawn helper,
 * serve() children, reload, log reopen and stop.  It names what glibc
 * may use for one job in either form (clone and fork, newfstatat and
 * statx, openat and openat2, close_range), and vfork, which starts a
 * program's child (child_exec.c).  clone3 fails with ENOSYS
 * without a log line, so glibc falls back to clone, whose flags can be
 * checked: no new namespaces.  Under AddressSanitizer the sanitizer's
 * own calls are added (see sanitizer_extra).  Modules add their own with
 * host->sandbox_syscall.
 */
#include "conf.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syscalls.h"

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#include <ucontext.h>

/* What every worker may call (names unknown on an architecture are
 * skipped). */
static const char *const allowed[] = {
	/* descriptors and files */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
	"pwritev", "preadv2", "pwritev2", "lseek", "_llseek", "close",
	"close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64", "ioctl",
	"fstat", "fstat64", "stat", "stat64", "lstat", "lstat64", "newfstatat",
	"fstatat64", "statx", "fstatfs", "fstatfs64", "statfs", "statfs64",
	"access", "faccessat", "faccessat2", "open", "openat", "openat2",
	"getdents", "getdents64", "readlink", "readlinkat", "unlink", "unlinkat",
	"ftruncate", "ftruncate64", "fsync", "fdatasync", "fadvise64",
	"fadvise64_64", "flock", "fchmod", "umask", "chdir", "fchdir", "getcwd",
	"sendfile", "sendfile64", "splice", "pipe", "pipe2", "memfd_create",
	/* sockets */
	"socket", "socketpair", "accept", "accept4", "connect", "getsockname",
	"getpeername", "getsockopt", "setsockopt", "shutdown", "recvfrom",
	"recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg", "send", "recv",
	/* waiting: every event backend, timers */
	"select", "_newselect", "pselect6", "poll", "ppoll", "epoll_create",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
	"epoll_pwait2", "eventfd2", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "nanosleep", "clock_nanosleep", "clock_gettime",
	"clock_getres", "gettimeofday", "time", "restart_syscall",
	/* signals */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigreturn",
	"sigaltstack", "rt_sigsuspend", "rt_sigtimedwait", "signalfd4",
	"kill", "tgkill", "tkill", "alarm", "setitimer", "getitimer",
	/* memory, threads' bookkeeping */
	"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise",
	"futex", "set_robust_list", "get_robust_list", "set_tid_address", "rseq",
	"sched_yield", "sched_getaffinity", "membarrier",
	/* processes: serve() children, reaping, exits */
	"vfork", "wait4", "waitid", "exit", "exit_group", "setsid", "setpgid", "getpgid",
	"getpgrp", "getsid", "getpid", "getppid", "gettid", "getuid", "geteuid",
	"getgid", "getegid", "getgroups", "getresuid", "getresgid",
	"getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage", "times",
	"prctl", "landlock_create_ruleset", "landlock_add_rule",
	"landlock_restrict_self",
	/* the rest of libc */
	"getrandom", "uname", "sysinfo", "getpriority",
};

/* clone flags that make namespaces (refused: a worker never needs one). */
#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
                        CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

/* Names the handler can print without libc help, filled before the
 * filter goes in. */
#define NAMES_MAX 512
static char names[NAMES_MAX][24];

/* Where the handler writes (set before the filter goes in). */
static int sigsys_fd = 2;

/* Decimal digits of v into buf (no libc); returns the length. */
static size_t fmt_uint(char *buf, unsigned v)
{
	char tmp[12];
	size_t n = 0, len = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(tmp));
	while (n)
		buf[len++] = tmp[--n];
	return len;
}

/* SIGSYS: write a fixed line naming the call; it then fails with EPERM. */
static void sigsys_handler(int signo, siginfo_t *si, void *ctx)
{
	char line[128];
	const char *name = "?";
	size_t len = 0, k;
	int nr = si->si_syscall, saved = errno;

	if (nr >= 0 && nr < NAMES_MAX && names[nr][0])
		name = names[nr];
	memcpy(line + len, "superd: seccomp: denied ", 24);
	len += 24;
	for (k = 0; name[k] && len < 90; k++)
		line[len++] = name[k];
	line[len++] = ' ';
	line[len++] = '(';
	len += fmt_uint(line + len, (unsigned)nr);
	line[len++] = ')';
	line[len++] = '\n';
	if (write(sigsys_fd, line, len) < 0)
		errno = saved;
#if defined(__x86_64__)
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
	((ucontext_t *)ctx)->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#endif
	errno = saved;
}

/* Every system call's name, for the handler. */
static void names_fill(void)
{
	for (int nr = 0; nr < NAMES_MAX; nr++) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		names[nr][0] = '\0';
		if (n)
			strncat(names[nr], n, sizeof(names[nr]) - 1);
		free(n);
	}
}

/* Allow one call by name; names this architecture lacks are skipped. */
static int allow_name(scmp_filter_ctx f, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR || nr < 0)
		return 0;
	return seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
}

/*
 * What AddressSanitizer (with LeakSanitizer and UBSan) calls on its own:
 * LeakSanitizer stops the world with ptrace from a clone()d task, and
 * reports read /proc.  Only in such builds (CI runs the suite with them).
 */
static int sanitizer_extra(scmp_filter_ctx f)
{
#if defined(__SANITIZE_ADDRESS__)
	static const char *const extra[] = { "ptrace", "clone", "clone3",
		"sched_getparam", "sched_getscheduler", "mincore", "personality",
		"process_vm_readv", "msync", NULL };

	for (size_t i = 0; extra[i]; i++) {
		int rc = allow_name(f, extra[i]);

		if (rc < 0)
			return rc;
	}
#else
	(void)f;
#endif
	return 0;
}

/* clone without namespace flags; clone3 falls back to it (ENOSYS). */
static int allow_clone(scmp_filter_ctx f)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)f;
	return 0; /* sanitizer_extra allows both as they are */
#else
	int nr3 = seccomp_syscall_resolve_name("clone3");
	int rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	                          SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0));

	if (rc < 0 || nr3 == __NR_SCMP_ERROR || nr3 < 0)
		return rc;
	return seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), nr3, 0);
#endif
}

/* Install the filter (see syscalls.h). */
int syscalls_restrict(int log_fd, const char *const *more)
{
	struct sigaction sa;
	scmp_filter_ctx f;
	int rc = -1;

	names_fill();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -1;
	sigsys_fd = log_fd >= 0 ? log_fd : 2;
	f = seccomp_init(SCMP_ACT_TRAP);
	if (!f) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
		if ((rc = allow_name(f, allowed[k])) < 0)
			goto out;
	for (size_t k = 0; more && more[k]; k++)
		if ((rc = allow_name(f, more[k])) < 0)
			goto out;
	if ((rc = sanitizer_extra(f)) < 0 || (rc = allow_clone(f)) < 0)
		goto out;
	rc = seccomp_load(f);
out:
	seccomp_release(f);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

/* Whether name is a system call here (see syscalls.h). */
int syscalls_known(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	return nr != __NR_SCMP_ERROR && nr >= 0;
}

int syscalls_available(void)
{
	return 1;
}

#else /* built without libseccomp */

int syscalls_restrict(int log_fd, const char *const *more)
{
	(void)log_fd;
	(void)more;
	errno = ENOSYS;
	return -1;
}

int syscalls_known(const char *name)
{
	(void)name;
	return 1; /* nothing to check against: accepted, and unused */
}

int syscalls_available(void)
{
	return 0;
}

#endif
