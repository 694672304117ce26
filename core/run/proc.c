/*
 * proc.c - child processes: serve() children, the pid table, reaping.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "child.h"
#include "counters.h"
#include "conn.h"
#include "log.h"
#include "helper.h"
#include "proc.h"
#include "spawn_spec.h"
#include "tcpinfo.h"

#define PID_BUCKETS 256
/* How often a serve() child's socket is looked at for activity, at most. */
#define SERVE_CHECK_MAX_MS 1000
/* After a timeout's SIGTERM: SIGKILL for the child's group this much later. */
#define SERVE_KILL_DELAY_MS 1000

/** A watched child. */
struct proc_entry {
	pid_t pid;
	proc_exit_cb *cb;
	void *arg;
	struct proc_entry *next;
};

static struct proc_entry *buckets[PID_BUCKETS];
static size_t nwatched;

/** A serve() child as its parent sees it (and as the child starts). */
struct serve_child {
	struct superd_service *svc;
	struct loop *loop;
	union { struct sockaddr sa; struct sockaddr_storage ss; } remote;
	socklen_t remote_len;
	int has_remote;
	union { struct sockaddr sa; struct sockaddr_storage ss; } local;
	socklen_t local_len;            /**< 0: the socket's own (getsockname) */
	unsigned proto;
	uint64_t start_ms;
	proc_exit_cb *on_exit;
	void *arg;
	/* the parent's side, for a connection (not a wait-style listener) */
	pid_t pid;
	int sock;                       /**< our copy of the socket, or -1 */
	uint64_t in, out;               /**< TCP counts at the last look */
	uint64_t active_ms;             /**< when they last moved */
	struct loop_timer *check;       /**< the next look (svc->timeout) */
	int timed_out;                  /**< SIGTERM sent for idleness */
	int channel;                    /**< to the spawn helper, or -1 */
};

int proc_watch(pid_t pid, proc_exit_cb *cb, void *arg)
{
	struct proc_entry *e = malloc(sizeof(*e));

	if (!e)
		return -1;
	e->pid = pid;
	e->cb = cb;
	e->arg = arg;
	e->next = buckets[pid % PID_BUCKETS];
	buckets[pid % PID_BUCKETS] = e;
	nwatched++;
	return 0;
}

/* Take pid's entry out of the table (NULL if none). */
static struct proc_entry *take(pid_t pid)
{
	struct proc_entry **pp;

	for (pp = &buckets[pid % PID_BUCKETS]; *pp; pp = &(*pp)->next) {
		struct proc_entry *e = *pp;

		if (e->pid == pid) {
			*pp = e->next;
			nwatched--;
			return e;
		}
	}
	return NULL;
}

void proc_unwatch(pid_t pid)
{
	free(take(pid));
}

/* Reap every exited child (see proc.h). */
void proc_reap(void)
{
	int status;
	pid_t pid;

	for (;;) {
		struct proc_entry *e;

		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		e = take(pid);
		if (e) {
			e->cb(pid, status, e->arg);
			free(e);
		}
	}
}

/* A child reaped elsewhere (the spawn helper) exited (see proc.h). */
void proc_exited(pid_t pid, int status)
{
	struct proc_entry *e = take(pid);

	if (e) {
		e->cb(pid, status, e->arg);
		free(e);
	}
}

size_t proc_count(void)
{
	return nwatched;
}

/* Send sig to every watched child (grace time over). */
void proc_kill_all(int sig)
{
	for (int i = 0; i < PID_BUCKETS; i++)
		for (struct proc_entry *e = buckets[i]; e; e = e->next)
			kill(e->pid, sig);
}

/* Every watched child and its own process group, if any (see proc.h). */
void proc_kill_all_groups(int sig)
{
	for (int i = 0; i < PID_BUCKETS; i++) {
		for (struct proc_entry *e = buckets[i]; e; e = e->next) {
			if (kill(-e->pid, sig) < 0 && errno != ESRCH && errno != EPERM)
				log_errno(NULL, "kill", errno);
			kill(e->pid, sig); /* not a group leader: the child itself */
		}
	}
}

/* Forget the parent's table (entries are the parent's business). */
void proc_forget_all(void)
{
	for (int i = 0; i < PID_BUCKETS; i++) {
		while (buckets[i]) {
			struct proc_entry *e = buckets[i];

			buckets[i] = e->next;
			free(e);
		}
	}
	nwatched = 0;
}

/* "exit 3", "signal 9 (Killed)", with ", core dumped" when it did. */
void proc_describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d (%s)%s", WTERMSIG(status),
		         strsignal(WTERMSIG(status)),
		         WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, size, "status 0x%x", (unsigned)status);
}

/* In the child (fd 3 is the socket): the peer, then serve(). */
static int serve_child_main(void *arg)
{
	struct serve_child *sc = arg;
	struct superd_service *svc = sc->svc;
	struct superd_peer peer = { .proto = sc->proto };
	int fl;

	/* host->log in the child goes to the stderr pipe, not to a log fd
	 * that was closed (and maybe reused by the module). */
	log_open(LOG_TO_STDERR, NULL, log_get_level());
	if (sc->channel >= 0)
		helper_adopt(sc->channel);
	fl = fcntl(3, F_GETFL);
	if (fl >= 0 && fcntl(3, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return 126;
	if (sc->has_remote) {
		memcpy(&peer.remote, &sc->remote, sc->remote_len);
		peer.remote_len = sc->remote_len;
	}
	peer.local_len = sizeof(peer.local);
	if (sc->local_len) {
		memcpy(&peer.local, &sc->local, sc->local_len); /* PROXY header */
		peer.local_len = sc->local_len;
	} else if (getsockname(3, (struct sockaddr *)&peer.local,
	                       &peer.local_len) < 0) {
		peer.local_len = 0;
	}
	conn_fill_peer_text(&peer);
	fl = svc->module->serve(3, &peer, svc->instance);
	fflush(NULL);
	return fl;
}

/* The interval between looks at a serve child's socket. */
static unsigned serve_check_ms(const struct serve_child *sc)
{
	unsigned ms = sc->svc->timeout_ms / 4;

	return ms < 50 ? 50 : ms > SERVE_CHECK_MAX_MS ? SERVE_CHECK_MAX_MS : ms;
}

/* Timed out and still there after SIGTERM: SIGKILL its process group. */
static void serve_kill_due(struct loop *l, void *arg)
{
	struct serve_child *sc = arg;

	sc->check = NULL;
	kill(-sc->pid, SIGKILL);
	kill(sc->pid, SIGKILL);
}

/*
 * Look at a serve child's socket: bytes moved (the kernel's TCP counts)
 * mean activity; `timeout` without any ends the child as an idle
 * event-style connection is ended (SIGTERM, SIGKILL a second later).
 */
static void serve_check(struct loop *l, void *arg)
{
	struct serve_child *sc = arg;
	uint64_t in, out, now = loop_now(l);

	sc->check = NULL;
	if (tcpinfo_bytes(sc->sock, &in, &out) < 0)
		return; /* no counts: no idle timeout can be told */
	if (in != sc->in || out != sc->out) {
		sc->in = in;
		sc->out = out;
		sc->active_ms = now;
	}
	if (now - sc->active_ms >= sc->svc->timeout_ms) {
		sc->timed_out = 1;
		if (kill(-sc->pid, SIGTERM) < 0)
			kill(sc->pid, SIGTERM);
		sc->check = loop_timer_add(l, SERVE_KILL_DELAY_MS, serve_kill_due, sc);
		return;
	}
	sc->check = loop_timer_add(l, serve_check_ms(sc), serve_check, sc);
}

/* After the spawn: keep our copy of a connection's socket, arm the checks. */
static void serve_watch_start(struct serve_child *sc, int fd)
{
	sc->sock = -1;
	if (!sc->has_remote)
		return; /* wait style: fd is the listener */
	sc->sock = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (sc->sock < 0) {
		log_errno(sc->svc->name, "fcntl (F_DUPFD_CLOEXEC)", errno);
		return;
	}
	sc->active_ms = sc->start_ms;
	if (sc->svc->timeout_ms &&
	    tcpinfo_bytes(sc->sock, &sc->in, &sc->out) == 0)
		sc->check = loop_timer_add(sc->loop, serve_check_ms(sc), serve_check, sc);
}

/* A serve child exited: log it, release its access slot, tell the owner. */
static void serve_child_exited(pid_t pid, int status, void *arg)
{
	struct serve_child *sc = arg;
	char how[96], ip[INET6_ADDRSTRLEN] = "-", outcome[128];
	struct log_conn lc = { .remote = ip, .remote_port = -1 };

	if (sc->check)
		loop_timer_cancel(sc->loop, sc->check);
	proc_describe_status(status, how, sizeof(how));
	if (sc->has_remote)
		conn_log_peer(&sc->remote.sa, &lc, ip, sizeof(ip));
	if (sc->sock >= 0 && tcpinfo_bytes(sc->sock, &lc.in, &lc.out) == 0)
		lc.has_bytes = 1;
	if (sc->sock >= 0)
		close(sc->sock);
	snprintf(outcome, sizeof(outcome), "pid %d %s%s", (int)pid,
	         sc->timed_out ? "timeout, " : "", how);
	lc.outcome = outcome;
	lc.duration_ms = loop_now(sc->loop) - sc->start_ms;
	log_connection(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? SUPERD_LOG_INFO
	                                                              : SUPERD_LOG_WARN,
	               sc->svc->name, &lc, NULL);
	if (sc->has_remote && sc->svc->access) {
		access_release(sc->svc->access, &sc->remote.sa);
		counters_closed(sc->svc->access, lc.duration_ms * 1000, lc.in, lc.out);
	}
	if (sc->on_exit)
		sc->on_exit(pid, status, sc->arg);
	free(sc);
}

/* Fork a serve() child (see proc.h). */
pid_t proc_spawn_serve(struct loop *l, struct superd_service *svc, int fd,
                       const struct sockaddr *sa, socklen_t salen,
                       unsigned proto, proc_exit_cb *on_exit, void *arg)
{
	return proc_spawn_serve_at(l, svc, fd, sa, salen, NULL, 0, proto,
	                           on_exit, arg);
}

/* proc_spawn_serve with the local address given (see proc.h). */
pid_t proc_spawn_serve_at(struct loop *l, struct superd_service *svc, int fd,
                          const struct sockaddr *sa, socklen_t salen,
                          const struct sockaddr *local, socklen_t llen,
                          unsigned proto, proc_exit_cb *on_exit, void *arg)
{
	struct serve_child *sc = calloc(1, sizeof(*sc));
	struct child_spec spec = { .fn = serve_child_main, .fn_arg = sc,
	                           .fd = { -1, -1, -1, fd } };
	struct child_watch w = { .svc_name = svc->name, .log_stderr = 1,
	                         .log_tag = "stderr", .on_exit = serve_child_exited,
	                         .arg = sc };
	pid_t pid;

	if (!sc) {
		log_errno(svc->name, "malloc", errno);
		return -1;
	}
	sc->svc = svc;
	sc->loop = l;
	sc->sock = -1;
	sc->proto = proto;
	if (sa && salen <= sizeof(sc->remote)) {
		memcpy(&sc->remote, sa, salen);
		sc->remote_len = salen;
		sc->has_remote = 1;
	}
	if (local && llen <= sizeof(sc->local)) {
		memcpy(&sc->local, local, llen);
		sc->local_len = llen;
	}
	sc->start_ms = loop_now(l);
	sc->on_exit = on_exit;
	sc->arg = arg;
	service_child_spec(svc, &spec);
	/* its own user, which this process can no longer switch to: the
	 * child's program comes from the helper (see spawn_exec) */
	sc->channel = svc->user_ids && geteuid() != 0 ? helper_channel() : -1;
	spec.keep_fd = sc->channel;
	pid = child_spawn(l, &spec, &w);
	if (sc->channel >= 0)
		close(sc->channel);
	if (pid < 0) {
		log_errno(svc->name, "fork", errno);
		free(sc);
		return pid;
	}
	sc->pid = pid;
	serve_watch_start(sc, fd);
	return pid;
}
