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
#include "proc.h"
#include "spawn_spec.h"

#define PID_BUCKETS 256

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

/* A serve child exited: log it, release its access slot, tell the owner. */
static void serve_child_exited(pid_t pid, int status, void *arg)
{
	struct serve_child *sc = arg;
	char how[96], ip[INET6_ADDRSTRLEN] = "-", outcome[128];
	struct log_conn lc = { .remote = ip, .remote_port = -1 };

	proc_describe_status(status, how, sizeof(how));
	if (sc->has_remote)
		conn_log_peer(&sc->remote.sa, &lc, ip, sizeof(ip));
	snprintf(outcome, sizeof(outcome), "pid %d %s", (int)pid, how);
	lc.outcome = outcome;
	lc.duration_ms = loop_now(sc->loop) - sc->start_ms;
	log_connection(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? SUPERD_LOG_INFO
	                                                              : SUPERD_LOG_WARN,
	               sc->svc->name, &lc, NULL);
	if (sc->has_remote && sc->svc->access) {
		access_release(sc->svc->access, &sc->remote.sa);
		counters_closed(sc->svc->access, lc.duration_ms * 1000, 0, 0);
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
	pid = child_spawn(l, &spec, &w);
	if (pid < 0) {
		log_errno(svc->name, "fork", errno);
		free(sc);
	}
	return pid;
}
