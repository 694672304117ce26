/*
 * worker.c - a worker process: accept loops, datagrams, graceful stop.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "child.h"
#include "helper.h"
#include "sandbox.h"
#include "conn.h"
#include "counters.h"
#include "dgram.h"
#include "host.h"
#include "listener.h"
#include "loader.h"
#include "log.h"
#include "proc.h"
#include "proxy_wait.h"
#include "wnote.h"
#include "worker.h"

/* Connections accepted per readiness event before others get a turn. */
#define ACCEPT_BATCH 64
/* How long a listener rests after EMFILE/ENFILE. */
#define ACCEPT_PAUSE_MS 250
/* How often ended bursts of refusals are summarised in the log. */
#define REFUSAL_FLUSH_MS 1000

/** A listener as this worker serves it. */
struct wlisten {
	struct svc_listen *sl;
	int fd;
	int watched;                    /**< registered with the loop */
	int paused;                     /**< resting after EMFILE */
	int quiet;                      /**< EMFILE logged: stay quiet */
	struct loop_timer *resume;
};

static struct {
	struct runconf *rc;
	struct loop *loop;
	struct wlisten *wl;
	size_t nwl;
	unsigned index;                 /**< this worker's slot: its sockets */
	int stopping;
	struct loop_timer *grace;       /**< the bound on draining, if any */
	int master_fd;                  /**< read end of the master's pipe */
	const struct superd_service *only; /**< isolate: the one service */
} wk;

/* Stopping and nothing left open: exit. */
static void maybe_exit(void)
{
	if (wk.stopping && conn_count() == 0 && proc_count() == 0 &&
	    proxy_wait_count() == 0)
		_exit(0);
}

/* A child the spawn helper reaped has ended (see worker.h). */
void worker_child_ended(void)
{
	maybe_exit();
}

/* A rested listener goes back into the loop. */
static void accept_resume(struct loop *l, void *arg)
{
	struct wlisten *w = arg;

	w->resume = NULL;
	w->paused = 0;
	if (w->watched)
		loop_mod(l, w->fd, LOOP_IN | LOOP_EXCLUSIVE);
}

/* Out of fds: log once, rest the listener, keep serving the others. */
static void accept_pause(struct wlisten *w, int err)
{
	if (!w->quiet)
		log_msg(SUPERD_LOG_ERROR, w->sl->svc->name,
		        "accept: %s; pausing %s for %d ms", strerror(err),
		        w->sl->ls->la.text, ACCEPT_PAUSE_MS);
	w->quiet = 1;
	w->paused = 1;
	loop_mod(wk.loop, w->fd, 0);
	w->resume = loop_timer_add(wk.loop, ACCEPT_PAUSE_MS, accept_resume, w);
	if (!w->resume)
		accept_resume(wk.loop, w);
}

/*
 * Admit a connection (rules and limits on its peer: the PROXY header's
 * client when there was one) and hand it to its service.  local: the
 * address the client reached, from the header (NULL: the socket's own).
 */
static void admit(struct svc_listen *sl, int fd, const struct sockaddr *sa,
                  socklen_t salen, const struct sockaddr *local,
                  socklen_t llen)
{
	struct superd_service *svc = sl->svc;
	unsigned proto = sl->ls->la.proto;

	if (svc->access) {
		uint64_t now = loop_now(wk.loop);
		enum access_verdict v = access_admit(svc->access, sa, now);

		if (v != ACCESS_OK) {
			close(fd);
			counters_refused(svc->access, v);
			access_log_refusal(svc->access, v, sa, now);
			return;
		}
		counters_accepted(svc->access);
	}
	if (sl->mode == LISTEN_EVENT || svc->tls) {
		/* over TLS, serve() children get a relayed plaintext socket */
		conn_start_at(svc, fd, sa, salen, local, llen, proto);
		return;
	}
	if (proc_spawn_serve_at(wk.loop, svc, fd, sa, salen, local, llen, proto,
	                        NULL, NULL) < 0 && svc->access)
		access_release(svc->access, sa);
	close(fd);
}

/* A trusted sender's header arrived (see proxy_wait.h). */
static void proxy_ready(struct svc_listen *sl, int fd,
                        const struct sockaddr *remote, socklen_t rlen,
                        const struct sockaddr *local, socklen_t llen)
{
	admit(sl, fd, remote, rlen, local, llen);
	maybe_exit();
}

/* A new connection: its PROXY header first when its sender is trusted. */
static void accepted(struct wlisten *w, int fd, const struct sockaddr *sa,
                     socklen_t salen)
{
	if (proxy_expected(w->sl, sa)) {
		proxy_wait_start(wk.loop, w->sl, fd, sa, salen, proxy_ready);
		return;
	}
	admit(w->sl, fd, sa, salen, NULL, 0);
}

/* A listening socket is readable: accept a bounded batch. */
static void accept_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	struct wlisten *w = arg;

	for (int i = 0; i < ACCEPT_BATCH && !w->paused && w->watched; i++) {
		union { struct sockaddr sa; struct sockaddr_in6 in6; } addr;
		socklen_t len = sizeof(addr);
		int cfd = accept4(fd, &addr.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				accept_pause(w, errno);
				return;
			default:
				log_errno(w->sl->svc->name, "accept", errno);
				return;
			}
		}
		w->quiet = 0;
		if (len > sizeof(addr))
			len = sizeof(addr);
		accepted(w, cfd, &addr.sa, len);
	}
}

/* Watch one listening socket of sl; 0 or -1 (logged). */
static int watch_one(struct svc_listen *sl, int fd)
{
	struct wlisten *w = &wk.wl[wk.nwl];
	loop_fd_cb *cb = sl->mode == LISTEN_DGRAM ? dgram_readable : accept_ready;
	void *arg = sl->mode == LISTEN_DGRAM ? (void *)sl : (void *)w;
	int fl;

	w->sl = sl;
	w->fd = fd;
	/* A wait-style child of an older configuration may have left the
	 * shared socket blocking. */
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (loop_add(wk.loop, fd, LOOP_IN | LOOP_EXCLUSIVE, cb, arg) < 0) {
		log_errno(sl->svc->name, "loop_add (listener)", errno);
		return -1;
	}
	w->watched = 1;
	wk.nwl++;
	return 0;
}

/*
 * Is socket j of a group of n this worker's?  With a socket per worker
 * or more, worker i takes every j = i (mod workers); with fewer (the group
 * could not grow), workers share them.
 */
static int group_mine(unsigned j, unsigned n)
{
	unsigned nw = wk.rc->cfg->global.workers ? wk.rc->cfg->global.workers : 1;

	return n >= nw ? j % nw == wk.index % nw : j == wk.index % n;
}

/* Is svc served by this worker (isolated services have their own)? */
static int service_mine(const struct superd_service *svc)
{
	return wk.only ? svc == wk.only : !svc_isolated(svc);
}

/* Put every listener this worker serves into the loop; close the other
   workers' sockets of each group, so a removed one dies with its owner. */
static int watch_listeners(void)
{
	struct runconf *rc = wk.rc;
	size_t total = 0;

	for (size_t i = 0; i < rc->nls; i++)
		total += rc->ls[i].ls ? listener_group_size(rc->ls[i].ls) : 0;
	wk.wl = calloc(total ? total : 1, sizeof(*wk.wl));
	if (!wk.wl)
		return -1;
	for (size_t i = 0; i < rc->nls; i++) {
		struct svc_listen *sl = &rc->ls[i];
		unsigned n;

		if (!sl->ls)
			continue;
		if (sl->mode == LISTEN_WAIT) {
			listener_forget(sl->ls); /* the master serves these */
			continue;
		}
		n = listener_group_size(sl->ls);
		for (unsigned j = 0; j < n; j++) {
			int fd = listener_group_fd(sl->ls, j);

			if (!group_mine(j, n) || !service_mine(sl->svc))
				close(fd);
			else if (watch_one(sl, fd) < 0)
				return -1;
		}
	}
	return 0;
}

/* Each UDP service's summary line, when due (force: now, at stop). */
static void udp_summaries(uint64_t now, int force)
{
	for (size_t i = 0; i < wk.rc->nsvcs; i++) {
		const struct superd_service *svc = &wk.rc->svcs[i];

		if (svc->access && (svc->conf->protocols & SUPERD_PROTO_UDP))
			access_dgram_summary(svc->access, now, force);
	}
}

/* Once a second: report refusal bursts that have ended, and the UDP
 * summaries that are due. */
static void refusals_flush(struct loop *l, void *arg)
{
	uint64_t now = loop_now(l);

	for (size_t i = 0; i < wk.rc->nsvcs; i++)
		if (wk.rc->svcs[i].access)
			access_log_flush(wk.rc->svcs[i].access, now);
	udp_summaries(now, 0);
	if (!loop_timer_add(l, REFUSAL_FLUSH_MS, refusals_flush, NULL))
		log_errno(NULL, "loop_timer_add", errno);
}

/* The children had their chance: kill what is left, groups too, and exit. */
static void kill_due(struct loop *l, void *arg)
{
	if (proc_count())
		log_msg(SUPERD_LOG_WARN, NULL, "killing %zu children that did not end",
		        proc_count());
	proc_kill_all_groups(SIGKILL);
	_exit(0);
}

/*
 * Draining is over (grace time, reload bound): close every connection with
 * outcome (its log line says so), ask the children to end, and exit once
 * they have, or after WORKER_KILL_DELAY_MS with SIGKILL for their process
 * groups (a program ignoring SIGTERM must not outlive us).
 */
static void cut_now(const char *outcome)
{
	if (wk.grace)
		loop_timer_cancel(wk.loop, wk.grace);
	wk.grace = NULL;
	if (conn_count() || proc_count())
		log_msg(SUPERD_LOG_WARN, NULL,
		        "%s: closing %zu connections, ending %zu children",
		        strcmp(outcome, "shutdown") ? outcome : "grace time over",
		        conn_count(), proc_count());
	wk.stopping = 1;
	proxy_wait_close_all();
	conn_close_all(outcome);
	proc_kill_all_groups(SIGTERM);
	maybe_exit();
	if (!loop_timer_add(wk.loop, WORKER_KILL_DELAY_MS, kill_due, NULL))
		kill_due(wk.loop, NULL);
}

/* The grace timer fired; arg is the outcome for what it cuts. */
static void grace_over(struct loop *l, void *arg)
{
	wk.grace = NULL;
	cut_now(arg);
}

/* Close the listeners: nothing new is accepted from now on. */
static void close_listeners(void)
{
	for (size_t i = 0; i < wk.nwl; i++) {
		struct wlisten *w = &wk.wl[i];

		if (w->resume)
			loop_timer_cancel(wk.loop, w->resume);
		w->resume = NULL;
		if (w->watched)
			loop_del(wk.loop, w->fd);
		close(w->fd);
		w->watched = 0;
	}
	wk.nwl = 0;
}

/*
 * Stop accepting, let the modules close what is idle (on_retire), exit
 * once the last connection and child end.  grace_ms bounds that (0: no
 * bound of our own); outcome names what the bound cuts, in log lines.
 * A later call may add a bound to an unbounded drain.
 */
static void worker_stop(unsigned grace_ms, const char *outcome)
{
	if (!wk.stopping) {
		wk.stopping = 1;
		close_listeners();
		conn_retire_all();
	}
	maybe_exit();
	if (grace_ms && !wk.grace) {
		wk.grace = loop_timer_add(wk.loop, grace_ms, grace_over, (void *)outcome);
		if (!wk.grace)
			cut_now(outcome);
	}
}

/* SIGTERM, or the master is gone: drain for stop_timeout (0: close now). */
static void stop_now_or_drain(void)
{
	unsigned ms = wk.rc->cfg->global.stop_timeout * 1000u;

	worker_stop(ms, "shutdown");
	if (!ms)
		cut_now("shutdown");
}

/* The master's pipe reached EOF: the master is gone (even by SIGKILL). */
static void master_gone(struct loop *l, int fd, unsigned events, void *arg)
{
	char b;
	ssize_t n = read(fd, &b, 1);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	loop_del(l, fd);
	close(fd);
	wk.master_fd = -1;
	log_msg(SUPERD_LOG_WARN, NULL,
	        "the master process is gone: draining %zu connections, then exiting",
	        conn_count());
	stop_now_or_drain();
}

/* SIGUSR1: let every service's module reopen its own files (ABI 1.1). */
static void reopen_modules(void)
{
	for (size_t i = 0; i < wk.rc->nsvcs; i++) {
		const struct superd_service *svc = &wk.rc->svcs[i];

		if (svc->module && MODULE_HAS(svc->module, on_reopen)) {
			wnote_enter(svc, WN_ON_REOPEN);
			svc->module->on_reopen(svc->instance);
			wnote_leave();
		}
	}
}

/* Signals, delivered through the loop. */
static void on_signal(struct loop *l, int signo, void *arg)
{
	switch (signo) {
	case SIGCHLD:
		proc_reap();
		maybe_exit();
		break;
	case SIGUSR1:
		log_reopen();
		reopen_modules();
		break;
	case SIGUSR2:
		/* a reload retired us; a second SIGUSR2: reload_timeout over */
		if (wk.stopping)
			cut_now("reload timeout");
		else
			worker_stop(0, "reload timeout");
		break;
	default:
		udp_summaries(loop_now(l), 1);
		stop_now_or_drain();
		break;
	}
}

/* Become a worker (see worker.h). */
void worker_run(struct runconf *rc, struct loop *parent, unsigned index,
                const struct superd_service *only, int master_fd)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGCHLD };
	const char *backend = getenv("SUPERD_EVENT_BACKEND");

	proc_forget_all();
	child_forget_all();
	if (parent)
		loop_free(parent);
	signal(SIGHUP, SIG_IGN);
	wk.rc = rc;
	wk.index = index;
	wk.only = only;
	wk.loop = loop_new(backend && *backend ? backend : rc->cfg->global.event_backend);
	if (!wk.loop) {
		log_errno(NULL, "loop_new", errno);
		_exit(1);
	}
	host_set_loop(wk.loop);
	helper_connect(wk.loop);
	proxy_wait_on_refused(maybe_exit);
	if (conn_init(wk.loop, maybe_exit) < 0) {
		log_errno(NULL, "malloc", errno);
		_exit(1);
	}
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (loop_signal(wk.loop, sigs[i], on_signal, NULL) < 0) {
			log_errno(NULL, "loop_signal", errno);
			_exit(1);
		}
	}
	if (watch_listeners() < 0)
		_exit(1);
	wk.master_fd = master_fd;
	if (master_fd >= 0 &&
	    loop_add(wk.loop, master_fd, LOOP_IN, master_gone, NULL) < 0) {
		log_errno(NULL, "loop_add (master pipe)", errno);
		_exit(1);
	}
	loop_timer_add(wk.loop, REFUSAL_FLUSH_MS, refusals_flush, NULL);
	sandbox_worker(rc, only);
	if (loop_run(wk.loop) < 0)
		log_errno(NULL, "event loop", errno);
	_exit(1);
}
