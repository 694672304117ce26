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
#include <sys/socket.h>
#include <unistd.h>

#include "helper.h"
#include "helper_msg.h"
#include "log.h"
#include "proc.h"
#include "tls.h"
#include "worker.h"

/* Exits that arrived while a spawn waited for its answer. */
#define PENDING_MAX 256

static struct {
	int ctl;                   /**< master: its socket to the helper */
	int dead;                  /**< master: EOF once the helper is gone */
	int fd;                    /**< worker: its private socket */
	int32_t next_id;
	struct loop *loop;
	struct { pid_t pid; int status; } pending[PENDING_MAX];
	size_t npending;
	struct loop_timer *drain;
	char buf[HELPER_MSG_MAX + 1];
} hc = { .ctl = -1, .fd = -1, .dead = -1 };

/* Fork the helper (see helper.h). */
int helper_start(const char *path, struct runconf *rc, struct loop *parent,
                 int daemonize)
{
	int sv[2], dead[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_errno(NULL, "socketpair (spawn helper)", errno);
		return -1;
	}
	if (pipe2(dead, O_CLOEXEC) < 0) {
		log_errno(NULL, "pipe2 (spawn helper)", errno);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (helper_start_fork(sv, dead, rc, parent, daemonize) < 0) {
		close(dead[0]);
		close(sv[1]);
		return -1;
	}
	hc.ctl = sv[1];
	hc.dead = dead[0];
	/* a reload after the master dropped root reads root-only keys so */
	tls_set_opener(helper_open_file);
	return 0;
}

/* Let the helper go, and wait until it did (see helper.h). */
void helper_stop(void)
{
	struct pollfd p = { .fd = hc.dead, .events = POLLIN };
	char c;

	if (hc.ctl >= 0)
		close(hc.ctl);
	hc.ctl = -1;
	if (hc.dead < 0)
		return;
	while (poll(&p, 1, 5000) < 0 && errno == EINTR)
		;
	if (p.revents && read(hc.dead, &c, 1) < 0)
		log_errno(NULL, "spawn helper", errno);
	close(hc.dead);
	hc.dead = -1;
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

/* The helper's socket is readable: exits of our children. */
static void helper_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	int fds[1];
	ssize_t n = helper_recv(fd, hc.buf, fds, 0);
	const struct helper_hdr *m = (const struct helper_hdr *)hc.buf;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_msg(SUPERD_LOG_ERROR, NULL, "the spawn helper went away: "
		        "no more programs can be started");
		loop_del(l, fd);
		close(fd);
		hc.fd = -1;
		return;
	}
	if (m->type == HM_EXITED) {
		proc_exited(m->id, m->a);
		worker_child_ended();
	}
}

/* Connect a new worker (see helper.h). */
int helper_connect(struct loop *l)
{
	struct helper_hdr m = { .type = HM_HELLO };
	int sv[2];

	if (hc.ctl < 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		goto fail;
	if (helper_send(hc.ctl, &m, NULL, 0, &sv[0], 1) < 0) {
		close(sv[1]);
		close(sv[0]);
		goto fail;
	}
	close(sv[0]);
	close(hc.ctl);
	hc.ctl = -1;
	/* non-blocking: a spawn reads its answer outside the loop, so a
	 * readiness the loop saw before may be stale when it is dispatched */
	if (fcntl(sv[1], F_SETFL, O_NONBLOCK) < 0) {
		close(sv[1]);
		goto fail;
	}
	hc.fd = sv[1];
	hc.loop = l;
	if (loop_add(l, hc.fd, LOOP_IN, helper_readable, NULL) < 0)
		goto fail;
	return 0;
fail:
	log_errno(NULL, "connecting to the spawn helper", errno);
	return -1;
}

/* Wait for the answer to request id; exits that come first are kept. */
static pid_t wait_started(int32_t id)
{
	for (;;) {
		int fds[1];
		ssize_t n = helper_recv(hc.fd, hc.buf, fds, 0);
		const struct helper_hdr *m = (const struct helper_hdr *)hc.buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = hc.fd, .events = POLLIN };

			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return -1;
			continue;
		}
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

	if (hc.fd < 0 || !spec->path) {
		errno = hc.fd < 0 ? EPIPE : EINVAL;
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
	m.id = ++hc.next_id;
	m.nargv = (uint32_t)nargv;
	m.nenv = (uint32_t)nenv;
	pid = helper_send(hc.fd, &m, strs, k, fds, nfds) < 0 ? -1 : wait_started(m.id);
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
