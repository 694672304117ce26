/*
 * syscalls.c - the workers' seccomp filter (libseccomp), and the SIGSYS
 * handler that names a denied call in the log (see syscalls.h).
 *
 * A worker reads, writes, accepts, polls, forks serve() children and
 * asks the spawn helper for programs.  It never executes a program,
 * traces a process, mounts, loads modules or keys, changes identity or
 * the clock, or enters other namespaces: those calls trap.
 */
#include "conf.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "syscalls.h"

#ifdef HAVE_SECCOMP
#include <seccomp.h>
#include <ucontext.h>

/* The deny list, with names the handler can print without libc help. */
#define DENY(name) { #name, 0 }
static struct denied {
	const char *name;
	int nr;           /**< resolved once, before the filter goes in */
} deny[] = {
	DENY(execve), DENY(execveat), DENY(process_vm_readv),
	DENY(process_vm_writev), DENY(mount), DENY(umount2), DENY(pivot_root),
	DENY(chroot), DENY(swapon), DENY(swapoff), DENY(reboot),
	DENY(kexec_load), DENY(kexec_file_load), DENY(init_module),
	DENY(finit_module), DENY(delete_module), DENY(bpf), DENY(keyctl),
	DENY(add_key), DENY(request_key), DENY(unshare), DENY(setns),
	DENY(userfaultfd), DENY(acct), DENY(settimeofday), DENY(clock_settime),
	DENY(clock_adjtime), DENY(adjtimex), DENY(setuid), DENY(setgid),
	DENY(setreuid), DENY(setregid), DENY(setresuid), DENY(setresgid),
	DENY(setgroups), DENY(setfsuid), DENY(setfsgid), DENY(capset),
	DENY(quotactl), DENY(syslog), DENY(iopl), DENY(ioperm),
	DENY(open_by_handle_at), DENY(name_to_handle_at), DENY(perf_event_open),
	DENY(fanotify_init), DENY(lookup_dcookie), DENY(move_mount),
	DENY(fsopen), DENY(fsmount), DENY(open_tree),
#if !defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer stops the world with ptrace: allowed in such builds */
	DENY(ptrace),
#endif
};
#define NDENY (sizeof(deny) / sizeof(deny[0]))

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

	for (k = 0; k < NDENY; k++)
		if (deny[k].nr == nr)
			name = deny[k].name;
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

/* Install the filter (see syscalls.h). */
int syscalls_restrict(int log_fd)
{
	struct sigaction sa;
	scmp_filter_ctx f;
	int rc = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -1;
	sigsys_fd = log_fd >= 0 ? log_fd : 2;
	f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t k = 0; k < NDENY; k++) {
		deny[k].nr = seccomp_syscall_resolve_name(deny[k].name);
		if (deny[k].nr == __NR_SCMP_ERROR || deny[k].nr < 0)
			continue; /* not on this architecture */
		if ((rc = seccomp_rule_add(f, SCMP_ACT_TRAP, deny[k].nr, 0)) < 0)
			goto out;
	}
	rc = seccomp_load(f);
out:
	seccomp_release(f);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

int syscalls_available(void)
{
	return 1;
}

#else /* built without libseccomp */

int syscalls_restrict(int log_fd)
{
	(void)log_fd;
	errno = ENOSYS;
	return -1;
}

int syscalls_available(void)
{
	return 0;
}

#endif
