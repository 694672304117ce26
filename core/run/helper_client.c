/*
 * helper_client.c - the master's and the workers' side of the spawn
 * helper (see helper.h): start it, tell it about reloads, connect, ask
 * for children, hear about their exits.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "helper.h"
#include "helper_msg.h"
#include "log.h"
#include "proc.h"
#include "tls.h"
#include "worker.h"

/* Exits that arrived while a spawn waited for its answer. */
#define PENDING_MAX 256

/* Where a serve() child's channel goes (above the fds a child keeps). */
#define CHANNEL_FD_MIN 24

static struct {
	int ctl;                   /**< master: its socket to the helper */
	int hello;                 /**< master, worker: where HELLO goes */
	int dead;                  /**< master: EOF once the helper is gone */
	int pidfd;                 /**< master: the keeper's pidfd, or -1 */
	int fd;                    /**< worker: its private socket */
	int32_t next_id;
	struct loop *loop;
	struct { pid_t pid; int status; } pending[PENDING_MAX];
	size_t npending;
	struct loop_timer *drain;
	char buf[HELPER_MSG_MAX + 1];
} hc = { .ctl = -1, .hello = -1, .fd = -1, .dead = -1, .pidfd = -1 };

/* Close both ends of each pair that is open. */
static void close_pairs(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Fork the helper (see helper.h). */
int helper_start(const char *path, struct runconf *rc, struct loop *parent,
                 int daemonize)
{
	struct helper_ends e = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	pid_t keeper;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, e.ctl) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, e.hello) < 0 ||
	    pipe2(e.dead, O_CLOEXEC) < 0) {
		log_errno(NULL, "socketpair (spawn helper)", errno);
		close_pairs(&e.ctl[0], 6);
		return -1;
	}
	keeper = helper_start_fork(&e, path, rc, parent, daemonize);
	if (keeper < 0) {
		close(e.dead[0]);
		close(e.ctl[1]);
		close(e.hello[1]);
		return -1;
	}
#ifdef SYS_pidfd_open
	/* the keeper closes the dead pipe a moment before it has exited */
	if (keeper > 0)
		hc.pidfd = (int)syscall(SYS_pidfd_open, keeper, 0);
#endif
	hc.ctl = e.ctl[1];
	hc.hello = e.hello[1];
	hc.dead = e.dead[0];
	/* a reload after the master dropped root reads root-only keys so */
	tls_set_opener(helper_open_file);
	return 0;
}

/* Let the helper go, and wait until it did (see helper.h). */
void helper_stop(void)
{
	struct pollfd p = { .fd = hc.pidfd >= 0 ? hc.pidfd : hc.dead,
	                    .events = POLLIN };
	char c;

	if (hc.ctl >= 0)
		close(hc.ctl);
	if (hc.hello >= 0)
		close(hc.hello);
	hc.ctl = hc.hello = -1;
	if (hc.dead < 0)
		return;
	while (poll(&p, 1, 5000) < 0 && errno == EINTR)
		;
	if (p.fd == hc.dead && p.revents && read(hc.dead, &c, 1) < 0)
		log_errno(NULL, "spawn helper", errno);
	close(hc.dead);
	if (hc.pidfd >= 0)
		close(hc.pidfd);
	hc.dead = hc.pidfd = -1;
}

/* Tell the helper to load path again (see helper.h). */
void helper_reload(const char *path)
{
	struct helper_hdr m = { .type = HM_RELOAD };
	const char *strs[1] = { path };

	if (hc.ctl >= 0 && helper_send(hc.ctl, &m, strs, 1, NULL, 0) < 0)
		log_errno(NULL, "spawn helper: reload", errno);
}

int helper_ctl_fd(void)
{
	return hc.ctl;
}

int helper_active(void)
{
	return hc.ctl >= 0 || hc.fd >= 0;
}

/* Hand exits that came early to proc (from the loop, never inside spawn). */
static void drain_pending(struct loop *l, void *arg)
{
	hc.drain = NULL;
	while (hc.npending) {
		size_t i = --hc.npending;

		proc_exited(hc.pending[i].pid, hc.pending[i].status);
	}
	worker_child_ended();
}

/* Keep an exit for later. */
static void pending_add(pid_t pid, int status)
{
	if (!hc.loop)
		return; /* a serve() child: it waits for one exit only */
	if (hc.npending == PENDING_MAX) {
		log_msg(SUPERD_LOG_ERROR, NULL, "spawn helper: too many exits at once");
		return;
	}
	hc.pending[hc.npending].pid = pid;
	hc.pending[hc.npending].status = status;
	hc.npending++;
	if (!hc.drain)
		hc.drain = loop_timer_add(hc.loop, 0, drain_pending, NULL);
}

static int hello_send(void);
static void helper_readable(struct loop *l, int fd, unsigned events, void *arg);

/*
 * The helper went away (killed; its keeper starts a new one): its
 * children were killed with it (reported as such from the loop, never
 * inside a spawn); connect to the next helper through the hello socket.
 * 0, or -1 (logged: no more programs).
 */
static int reconnect(void)
{
	pid_t pids[PENDING_MAX];
	size_t n = child_remote_pids(pids, PENDING_MAX);

	if (hc.fd >= 0) {
		loop_del(hc.loop, hc.fd);
		close(hc.fd);
		hc.fd = -1;
	}
	for (size_t i = 0; i < n; i++)
		pending_add(pids[i], SIGKILL);
	log_msg(SUPERD_LOG_ERROR, NULL, "the spawn helper went away (%zu of its "
	        "children with it): connecting to the next one", n);
	if (hello_send() < 0) {
		log_errno(NULL, "the spawn helper is gone: no more programs can be "
		          "started", errno);
		return -1;
	}
	if (loop_add(hc.loop, hc.fd, LOOP_IN, helper_readable, NULL) < 0) {
		log_errno(NULL, "spawn helper", errno);
		close(hc.fd);
		hc.fd = -1;
		return -1;
	}
	return 0;
}

/* The helper's socket is readable: exits of our children. */
static void helper_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	int fds[1];
	ssize_t n = helper_recv(fd, hc.buf, fds, 0);
	const struct helper_hdr *m = (const struct helper_hdr *)hc.buf;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		reconnect();
		return;
	}
	if (m->type == HM_EXITED) {
		proc_exited(m->id, m->a);
		worker_child_ended();
	}
}

/*
 * A private socket to the helper: one end sent with HELLO, the other
 * (non-blocking: a spawn reads its answer outside the loop, so a readiness
 * the loop saw before may be stale when it is dispatched) in hc.fd.
 * 0, or -1 with errno.
 */
static int hello_send(void)
{
	struct helper_hdr m = { .type = HM_HELLO };
	int sv[2], err;

	if (hc.hello < 0) {
		errno = EPIPE;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0 ||
	    helper_send(hc.hello, &m, NULL, 0, &sv[0], 1) < 0) {
		err = errno;
		close(sv[0]);
		close(sv[1]);
		errno = err;
		return -1;
	}
	close(sv[0]);
	hc.fd = sv[1];
	return 0;
}

/* Connect a new worker (see helper.h). */
int helper_connect(struct loop *l)
{
	if (hc.ctl < 0)
		return 0;
	/* a worker never keeps the master's socket (RELOAD goes there) */
	close(hc.ctl);
	hc.ctl = -1;
	hc.loop = l;
	if (hello_send() < 0)
		goto fail;
	if (loop_add(l, hc.fd, LOOP_IN, helper_readable, NULL) < 0)
		goto fail;
	return 0;
fail:
	log_errno(NULL, "connecting to the spawn helper", errno);
	return -1;
}

/* The next message on hc.fd, waiting for it: as helper_recv. */
static ssize_t recv_wait(void)
{
	for (;;) {
		int fds[1];
		ssize_t n = helper_recv(hc.fd, hc.buf, fds, 0);
		struct pollfd p = { .fd = hc.fd, .events = POLLIN };

		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			return n;
		if (errno == EAGAIN && poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
}

/* Wait for the answer to request id; exits that come first are kept. */
static pid_t wait_started(int32_t id)
{
	for (;;) {
		ssize_t n = recv_wait();
		const struct helper_hdr *m = (const struct helper_hdr *)hc.buf;

		if (n <= 0) {
			errno = n == 0 ? EPIPE : errno;
			return -1;
		}
		if (m->type == HM_EXITED) {
			pending_add(m->id, m->a);
			continue;
		}
		if (m->type == HM_STARTED && m->id == id) {
			errno = m->b;
			return m->a;
		}
	}
}

/* Ask the helper for a child (see helper.h). */
pid_t helper_spawn(const char *svc_name, const struct child_spec *spec,
                   int as_user)
{
	struct helper_hdr m = { .type = HM_SPAWN, .a = (int32_t)spec->flags,
	                        .b = as_user };
	const char **strs;
	size_t nargv = 0, nenv = 0, nfds = 0, k = 0;
	int fds[4];
	pid_t pid;

	if (!spec->path) {
		errno = EINVAL;
		return -1;
	}
	if (hc.fd < 0 && (!hc.loop || reconnect() < 0)) {
		errno = EPIPE;
		return -1;
	}
	while (spec->argv[nargv])
		nargv++;
	while (spec->envp && spec->envp[nenv])
		nenv++;
	strs = calloc(3 + nargv + nenv, sizeof(*strs));
	if (!strs)
		return -1;
	strs[k++] = svc_name;
	strs[k++] = spec->path;
	strs[k++] = spec->dir ? spec->dir : "";
	for (size_t i = 0; i < nargv; i++)
		strs[k++] = spec->argv[i];
	for (size_t i = 0; i < nenv; i++)
		strs[k++] = spec->envp[i];
	for (int i = 0; i < 4; i++)
		if (spec->fd[i] >= 0) {
			m.fdmask |= 1u << i;
			fds[nfds++] = spec->fd[i];
		}
	m.nargv = (uint32_t)nargv;
	m.nenv = (uint32_t)nenv;
	/* a helper that died (its keeper starts another): once more, there */
	for (int tries = 0; tries < 2; tries++) {
		m.id = ++hc.next_id;
		pid = helper_send(hc.fd, &m, strs, k, fds, nfds) < 0 ? -1
		                                                   : wait_started(m.id);
		if (pid >= 0 || (errno != EPIPE && errno != ECONNRESET) || !hc.loop ||
		    reconnect() < 0)
			break;
	}
	free(strs);
	return pid;
}

/* Signal a child the helper started (see helper.h). */
int helper_signal(pid_t pid, int sig, int group)
{
	struct helper_hdr m = { .type = HM_SIGNAL, .id = pid, .a = sig, .b = group };

	if (hc.fd < 0) {
		errno = EPIPE;
		return -1;
	}
	return helper_send(hc.fd, &m, NULL, 0, NULL, 0);
}

/* A private connection for a serve() child (see helper.h). */
int helper_channel(void)
{
	int keep = hc.fd, fd;

	if (hc.hello < 0)
		return -1;
	if (hello_send() < 0) {
		log_errno(NULL, "connecting to the spawn helper", errno);
		hc.fd = keep;
		return -1;
	}
	fd = fcntl(hc.fd, F_DUPFD_CLOEXEC, CHANNEL_FD_MIN);
	if (fd < 0)
		log_errno(NULL, "spawn helper: fcntl", errno);
	close(hc.fd);
	hc.fd = keep;
	return fd;
}

/* In a serve() child: the channel is this process's connection. */
void helper_adopt(int fd)
{
	/* the reset closed every other descriptor */
	hc.ctl = hc.hello = hc.dead = -1;
	hc.fd = fd;
	hc.loop = NULL;
	hc.npending = 0;
}

/* Exit as a wait status says. */
static void __attribute__((noreturn)) exit_as(int status)
{
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		kill(getpid(), WTERMSIG(status));
		_exit(128 + WTERMSIG(status));
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* Run a program through the helper and exit as it did (see helper.h). */
int helper_run(const char *svc_name, const struct child_spec *spec)
{
	struct child_spec s = *spec;
	pid_t pid;

	s.flags |= HELPER_SPAWN_BOUND;
	pid = helper_spawn(svc_name, &s, 1);
	if (pid < 0)
		return -1;
	for (;;) {
		ssize_t n = recv_wait();
		const struct helper_hdr *m = (const struct helper_hdr *)hc.buf;

		if (n <= 0)
			_exit(1); /* the helper went, and the program with it */
		if (m->type == HM_EXITED && m->id == pid)
			exit_as(m->a);
	}
}
