/*
 * master.c - the master process: start-up, worker supervision, reload,
 * stop.  Each loaded configuration is a generation: its services, its
 * sockets, its workers.  A reload starts a new generation and retires the
 * old one, which lives until its last worker has finished.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access.h"
#include "counters.h"
#include "daemon.h"
#include "diag.h"
#include "host.h"
#include "listener.h"
#include "log.h"
#include "master.h"
#include "privs.h"
#include "proc.h"
#include "sdnotify.h"
#include "sockact.h"
#include "watch.h"
#include "wnote.h"
#include "helper.h"
#include "worker.h"

struct gen;

/** One worker process of a generation. */
struct wslot {
	struct gen *gen;
	pid_t pid;                  /**< 0: not running */
	uint64_t started_ms;
	unsigned crashes;           /**< short lives in a row: back-off */
	struct loop_timer *respawn;
};

/** A wait-style listener the master serves. */
struct mwait {
	struct gen *gen;
	struct svc_listen *sl;
	int fd;                     /**< the listener's fd while watched */
	int watched;
};

/** A configuration and the processes running it. */
struct gen {
	struct runconf *rc;
	struct wslot *slots;
	unsigned nslots;
	unsigned nworkers;          /**< slots per group (global workers) */
	struct wnote *notes;        /**< one per slot, shared with the workers */
	struct mwait *waits;
	size_t nwaits;
	unsigned alive;             /**< workers and wait children running */
	int retiring;
	int stopping;               /**< told to stop (SIGTERM), not just retired */
	struct loop_timer *bound_timer; /**< reload_timeout: cut what is left */
	struct loop_timer *kill_timer;
	struct gen *next;
};

static struct {
	const char *path;
	struct loop *loop;
	struct gen *cur;            /**< the generation in force */
	struct gen *gens;           /**< every generation still alive */
	struct access_shared *access;
	int stopping;               /**< SIGTERM/SIGINT seen */
	struct loop_timer *delay;   /**< shutdown_delay running: its end */
	unsigned stop_timeout;      /**< seconds of drain once stopping */
	int daemonize;              /**< -d: stderr logging goes to syslog */
	struct cfgwatch *watch;     /**< global: watch */
	int life[2];                /**< workers watch life[0] for EOF */
} ms = { .life = { -1, -1 } };

static void spawn_worker(struct wslot *s);

/*
 * The service slot k of g serves alone (`isolate: true`), or NULL for
 * the shared workers.  Slots come in groups of `workers`: the shared group
 * first, then one per isolated service, in file order.
 */
static const struct superd_service *slot_service(const struct gen *g,
                                                 unsigned k)
{
	unsigned group = k / g->nworkers;

	for (size_t i = 0; group && i < g->rc->nsvcs; i++)
		if (svc_isolated(&g->rc->svcs[i]) && --group == 0)
			return &g->rc->svcs[i];
	return NULL;
}

/* Does any service of rc run on the shared workers? */
static int has_shared(const struct runconf *rc)
{
	for (size_t i = 0; i < rc->nsvcs; i++)
		if (!svc_isolated(&rc->svcs[i]))
			return 1;
	return 0;
}

/* Free a retired generation once nothing of it runs. */
static void gen_maybe_free(struct gen *g)
{
	struct gen **pp;

	if (!g->retiring || g->alive)
		return;
	for (pp = &ms.gens; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	if (g->kill_timer)
		loop_timer_cancel(ms.loop, g->kill_timer);
	if (g->bound_timer)
		loop_timer_cancel(ms.loop, g->bound_timer);
	for (unsigned i = 0; i < g->nslots; i++)
		if (g->slots[i].respawn)
			loop_timer_cancel(ms.loop, g->slots[i].respawn);
	runconf_free(g->rc);
	wnote_unmap(g->notes, g->nslots);
	free(g->slots);
	free(g->waits);
	free(g);
	if (ms.stopping && !ms.gens)
		loop_stop(ms.loop);
}

/* Respawn timer of a slot. */
static void respawn_due(struct loop *l, void *arg)
{
	struct wslot *s = arg;

	s->respawn = NULL;
	if (!s->gen->retiring)
		spawn_worker(s);
}

/*
 * What the dead worker of slot s was doing, from its note: " in service S
 * (module M, on_data); 3 connections lost", or "" when it was in no module.
 */
static void death_note(const struct wslot *s, char *buf, size_t size)
{
	const struct gen *g = s->gen;
	const struct wnote *n = g->notes ? &g->notes[s - g->slots] : NULL;
	const struct superd_service *svc = NULL;
	int len = 0;

	buf[0] = '\0';
	if (!n)
		return;
	for (size_t i = 0; i < g->rc->nsvcs; i++)
		if (n->svc == (uintptr_t)&g->rc->svcs[i])
			svc = &g->rc->svcs[i];
	if (svc)
		len = snprintf(buf, size, " in service %s (module %s, %s)", svc->name,
		               svc->module->name, wnote_cb_name(n->cb));
	else if (n->cb != WN_NONE)
		len = snprintf(buf, size, " in %s of a module", wnote_cb_name(n->cb));
	if (len >= 0 && (size_t)len < size)
		snprintf(buf + len, size - (size_t)len, "; %u connections lost",
		         (unsigned)n->conns);
}

/* Workers of s's group (shared, or one isolated service's) running now,
 * besides s. */
static unsigned others_alive(const struct gen *g, const struct wslot *s)
{
	unsigned group = (unsigned)(s - g->slots) / g->nworkers, n = 0;

	for (unsigned i = group * g->nworkers; i < (group + 1) * g->nworkers; i++)
		if (&g->slots[i] != s && g->slots[i].pid)
			n++;
	return n;
}

/* A worker exited: log it; replace it (with back-off) if it should run. */
static void worker_exited(pid_t pid, int status, void *arg)
{
	struct wslot *s = arg;
	struct gen *g = s->gen;
	uint64_t now = loop_now(ms.loop), delay = 0;
	char how[96], note[256];

	s->pid = 0;
	g->alive--;
	counters_workers(ms.access, -1);
	/* Give back what it held (connections, per-source pins) at once; the
	 * pid is reaped, so a lock it died holding is taken over. */
	if (ms.access)
		access_reap(ms.access, pid);
	proc_describe_status(status, how, sizeof(how));
	if (g->retiring) {
		log_msg(SUPERD_LOG_DEBUG, NULL, "worker %d ended: %s", (int)pid, how);
		gen_maybe_free(g);
		return;
	}
	s->crashes = now - s->started_ms < MASTER_CRASH_MS ? s->crashes + 1 : 0;
	if (s->crashes > MASTER_CRASH_FREE)
		delay = (uint64_t)100 << (s->crashes - MASTER_CRASH_FREE < 8
		                              ? s->crashes - MASTER_CRASH_FREE - 1 : 7);
	if (delay > MASTER_BACKOFF_MAX_MS)
		delay = MASTER_BACKOFF_MAX_MS;
	/* Never leave the generation without a worker for long: a service
	 * that crashes its workers must not take the others down. */
	if (delay > MASTER_LAST_WORKER_MS && !others_alive(g, s))
		delay = MASTER_LAST_WORKER_MS;
	death_note(s, note, sizeof(note));
	counters_worker_restart(ms.access);
	log_msg(SUPERD_LOG_ERROR, NULL, "worker %d died: %s%s; starting a new one%s",
	        (int)pid, how, note, delay ? " after a pause" : "");
	s->respawn = loop_timer_add(ms.loop, delay, respawn_due, s);
	if (!s->respawn)
		spawn_worker(s);
}

/* Fork one worker for slot s. */
static void spawn_worker(struct wslot *s)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_errno(NULL, "fork (worker)", errno);
		s->respawn = loop_timer_add(ms.loop, MASTER_BACKOFF_MAX_MS,
		                            respawn_due, s);
		return;
	}
	if (s->gen->notes)
		s->gen->notes[s - s->gen->slots] = (struct wnote){ 0 };
	if (pid == 0) {
		if (ms.life[1] >= 0)
			close(ms.life[1]); /* only the master may hold it */
		wnote_attach(s->gen->notes ? &s->gen->notes[s - s->gen->slots] : NULL);
		worker_run(s->gen->rc, ms.loop,
		           (unsigned)(s - s->gen->slots) % s->gen->nworkers,
		           slot_service(s->gen, (unsigned)(s - s->gen->slots)),
		           ms.life[0]);
	}
	s->pid = pid;
	s->started_ms = loop_now(ms.loop);
	s->gen->alive++;
	counters_workers(ms.access, 1);
	if (proc_watch(pid, worker_exited, s) < 0)
		log_errno(NULL, "proc_watch", errno);
}

/* A wait-style child ended: watch its listener again. */
static void wait_child_exited(pid_t pid, int status, void *arg)
{
	struct mwait *w = arg;
	struct gen *g = w->gen;
	struct listener *ls = w->sl->ls;

	w->sl->wait_child = 0;
	g->alive--;
	if (ls && !g->retiring) {
		int fl = fcntl(ls->fd, F_GETFL);

		if (fl >= 0)
			fcntl(ls->fd, F_SETFL, fl | O_NONBLOCK);
		loop_mod(ms.loop, ls->fd, LOOP_IN);
	}
	gen_maybe_free(g);
}

/* A wait-style listener is readable: run serve() on it in a child. */
static void wait_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	struct mwait *w = arg;
	struct svc_listen *sl = w->sl;
	pid_t pid;

	if (sl->wait_child)
		return;
	loop_mod(l, fd, 0);
	pid = proc_spawn_serve(l, sl->svc, fd, NULL, 0, sl->ls->la.proto,
	                       wait_child_exited, w);
	if (pid < 0) {
		loop_mod(l, fd, LOOP_IN);
		return;
	}
	sl->wait_child = pid;
	w->gen->alive++;
}

/* Watch (or stop watching) g's wait-style listeners in the master loop. */
static void gen_watch_waits(struct gen *g, int on)
{
	for (size_t i = 0; i < g->nwaits; i++) {
		struct mwait *w = &g->waits[i];

		if (on && !w->watched && w->sl->ls) {
			w->fd = w->sl->ls->fd;
			if (loop_add(ms.loop, w->fd, LOOP_IN, wait_ready, w) == 0)
				w->watched = 1;
			else
				log_errno(w->sl->svc->name, "loop_add", errno);
		} else if (!on && w->watched) {
			loop_del(ms.loop, w->fd);
			w->watched = 0;
		}
	}
}

/* A generation for rc (bound and started), with its workers running. */
static struct gen *gen_start(struct runconf *rc)
{
	struct gen *g = calloc(1, sizeof(*g));
	unsigned nw = rc->cfg->global.workers ? rc->cfg->global.workers : 1;
	unsigned n = nw;

	for (size_t i = 0; i < rc->nsvcs; i++)
		n += svc_isolated(&rc->svcs[i]) ? nw : 0;

	if (!g || !(g->slots = calloc(n, sizeof(*g->slots))) ||
	    !(g->waits = calloc(rc->nls ? rc->nls : 1, sizeof(*g->waits)))) {
		log_errno(NULL, "malloc", errno);
		if (g)
			free(g->slots);
		free(g);
		return NULL;
	}
	g->rc = rc;
	g->nslots = n;
	g->nworkers = nw;
	g->notes = wnote_map(n);
	if (!g->notes)
		log_errno(NULL, "mmap (worker notes)", errno);
	for (size_t i = 0; i < rc->nls; i++) {
		if (rc->ls[i].mode == LISTEN_WAIT && rc->ls[i].ls) {
			g->waits[g->nwaits].gen = g;
			g->waits[g->nwaits].sl = &rc->ls[i];
			g->nwaits++;
		}
	}
	g->next = ms.gens;
	ms.gens = g;
	gen_watch_waits(g, 1);
	for (unsigned i = 0; i < n; i++) {
		g->slots[i].gen = g;
		if (i >= nw || has_shared(rc)) /* no empty shared group */
			spawn_worker(&g->slots[i]);
	}
	return g;
}

/* Grace time over for a retiring generation: kill what is left. */
static void gen_kill_due(struct loop *l, void *arg)
{
	struct gen *g = arg;

	g->kill_timer = NULL;
	for (unsigned i = 0; i < g->nslots; i++) {
		if (g->slots[i].pid) {
			log_msg(SUPERD_LOG_WARN, NULL, "worker %d did not finish in time; killing it",
			        (int)g->slots[i].pid);
			kill(g->slots[i].pid, SIGKILL);
		}
	}
	for (size_t i = 0; i < g->nwaits; i++)
		if (g->waits[i].sl->wait_child)
			kill(g->waits[i].sl->wait_child, SIGKILL);
}

/* The reload bound (reload_timeout) is over: old workers cut what is left. */
static void gen_bound_due(struct loop *l, void *arg)
{
	struct gen *g = arg;

	g->bound_timer = NULL;
	for (unsigned i = 0; i < g->nslots; i++)
		if (g->slots[i].pid)
			kill(g->slots[i].pid, SIGUSR2); /* the second one: cut */
	g->kill_timer = loop_timer_add(ms.loop, WORKER_KILL_DELAY_MS +
	                               MASTER_KILL_SLACK_MS, gen_kill_due, g);
}

/* Send signo to every worker of g, and stop respawning them. */
static void gen_signal(struct gen *g, int signo)
{
	for (unsigned i = 0; i < g->nslots; i++) {
		struct wslot *s = &g->slots[i];

		if (s->respawn)
			loop_timer_cancel(ms.loop, s->respawn);
		s->respawn = NULL;
		if (s->pid)
			kill(s->pid, signo);
	}
}

/*
 * A reload retires g: its workers stop accepting and serve their open
 * connections to their natural end (SIGUSR2), bounded only by bound_ms
 * when it is not 0 (global reload_timeout).
 */
static void gen_retire(struct gen *g, unsigned bound_ms)
{
	if (g->retiring)
		return;
	g->retiring = 1;
	gen_watch_waits(g, 0);
	gen_signal(g, SIGUSR2);
	for (size_t i = 0; i < g->nwaits; i++)
		if (g->waits[i].sl->wait_child)
			kill(g->waits[i].sl->wait_child, SIGTERM);
	if (bound_ms)
		g->bound_timer = loop_timer_add(ms.loop, bound_ms, gen_bound_due, g);
	gen_maybe_free(g);
}

/*
 * Stop g (SIGTERM/SIGINT): its workers, retired by a reload or not, finish
 * within grace_ms, then whatever is left is killed.
 */
static void gen_stop(struct gen *g, unsigned grace_ms)
{
	if (g->stopping)
		return;
	g->stopping = 1;
	if (!g->retiring) {
		g->retiring = 1;
		gen_watch_waits(g, 0);
	}
	gen_signal(g, SIGTERM);
	for (size_t i = 0; i < g->nwaits; i++)
		if (g->waits[i].sl->wait_child)
			kill(g->waits[i].sl->wait_child, SIGTERM);
	if (g->bound_timer)
		loop_timer_cancel(ms.loop, g->bound_timer);
	g->bound_timer = NULL;
	if (g->kill_timer)
		loop_timer_cancel(ms.loop, g->kill_timer);
	g->kill_timer = loop_timer_add(ms.loop, grace_ms + WORKER_KILL_DELAY_MS +
	                               MASTER_KILL_SLACK_MS, gen_kill_due, g);
	gen_maybe_free(g);
}

/* Diagnostics of a refused reload go to the log. */
static void diag_to_log(const char *line)
{
	log_msg(SUPERD_LOG_ERROR, NULL, "%s", line);
}

/* Open the log as configured (syslog instead of stderr when detached). */
static void open_log(const struct config *cfg)
{
	enum log_target target = cfg->global.log;

	if (ms.daemonize && target == LOG_TO_STDERR)
		target = LOG_TO_SYSLOG;
	log_set_json(cfg->global.log_json);
	if (log_open(target, cfg->global.log_file, cfg->global.log_level) < 0)
		log_msg(SUPERD_LOG_ERROR, NULL, "cannot open the log %s: %s",
		        cfg->global.log_file ? cfg->global.log_file : "",
		        strerror(errno));
}

/* Apply the global settings that can change on reload (old: in force). */
static void apply_globals(const struct config *cfg, const struct config *old)
{
	const char *file = cfg->global.log_file ? cfg->global.log_file : "";
	const char *old_file = old && old->global.log_file ? old->global.log_file : "";

	if (!old || cfg->global.log != old->global.log || strcmp(file, old_file))
		open_log(cfg);
	log_set_level(cfg->global.log_level);
	log_set_json(cfg->global.log_json);
	access_shared_set_global(ms.access, cfg->global.max_connections);
}

/* Services that run: the start-up and reload lines count only these. */
static size_t enabled_services(const struct runconf *rc)
{
	size_t n = 0;

	for (size_t i = 0; i < rc->nsvcs; i++)
		n += rc->svcs[i].conf->enabled != 0;
	return n;
}

/* Diagnostics of the trial load: the master's own load reports them. */
static void diag_drop(const char *line)
{
	(void)line;
}

/*
 * Load and configure the file in a child first: a module that crashes
 * there (a broken new build, a .so copied over while loaded) must never
 * take the master down.  0: go on with the reload; -1: refused, logged
 * with the child's signal.
 */
static int reload_trial(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		log_errno(NULL, "fork (reload check)", errno);
		return 0;
	}
	if (pid == 0) {
		diag_set_sink(diag_drop);
		_exit(runconf_load(ms.path) ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			log_errno(NULL, "waitpid (reload check)", errno);
			return 0;
		}
	}
	if (!WIFSIGNALED(status))
		return 0;
	log_msg(SUPERD_LOG_ERROR, NULL,
	        "%s: loading and configuring its modules crashed a trial process "
	        "(signal %d, %s); the running configuration stays", ms.path,
	        WTERMSIG(status), strsignal(WTERMSIG(status)));
	return -1;
}

/* SIGHUP: load the file again; a good one replaces the running one. */
static void master_reload(void)
{
	struct runconf *rc;
	struct gen *old = ms.cur, *g;

	sdnotify_send("RELOADING=1");
	log_msg(SUPERD_LOG_INFO, NULL, "reloading %s", ms.path);
	diag_set_sink(diag_to_log);
	rc = reload_trial() < 0 ? NULL : runconf_load(ms.path);
	diag_set_sink(NULL);
	if (!rc) {
		log_msg(SUPERD_LOG_ERROR, NULL,
		        "%s has errors; the running configuration stays", ms.path);
		goto done;
	}
	if (runconf_bind(rc, old ? old->rc : NULL) < 0 || runconf_access(rc, ms.access) < 0) {
		log_msg(SUPERD_LOG_ERROR, NULL,
		        "cannot apply %s; the running configuration stays", ms.path);
		runconf_free(rc);
		goto done;
	}
	runconf_start(rc);
	helper_reload(ms.path);
	apply_globals(rc->cfg, old ? old->rc->cfg : NULL);
	if (old) {
		/* Close removed sockets before forking: new workers must not
		 * hold them. */
		gen_watch_waits(old, 0);
		runconf_drop_listeners(old->rc);
		gen_retire(old, rc->cfg->global.reload_timeout * 1000u);
	}
	ms.cur = NULL;
	g = gen_start(rc);
	if (!g) {
		log_msg(SUPERD_LOG_ERROR, NULL, "cannot start workers for %s", ms.path);
		runconf_free(rc);
		goto done;
	}
	ms.cur = g;
	log_msg(SUPERD_LOG_INFO, NULL, "reloaded %s: %zu services", ms.path,
	        enabled_services(rc));
	counters_reload(ms.access, 1);
	goto watch;
done:
	counters_reload(ms.access, 0);
watch:
	if (ms.cur)
		cfgwatch_set(ms.watch, ms.cur->rc->cfg);
	sdnotify_send("READY=1");
}

/* The drain: every generation stops accepting; stop_timeout bounds it. */
static void master_drain(void)
{
	for (struct gen *g = ms.gens, *next; g; g = next) {
		next = g->next;
		gen_watch_waits(g, 0);
		runconf_drop_listeners(g->rc);
		gen_stop(g, ms.stop_timeout * 1000);
	}
	ms.cur = NULL;
}

/* shutdown_delay is over: begin the drain. */
static void shutdown_delay_over(struct loop *l, void *arg)
{
	ms.delay = NULL;
	log_msg(SUPERD_LOG_INFO, NULL, "shutdown delay over: draining (at most %u s)",
	        ms.stop_timeout);
	master_drain();
}

/*
 * SIGTERM/SIGINT: raise the shared "stopping" flag (readiness turns 503),
 * keep serving for shutdown_delay seconds, then drain for at most
 * stop_timeout.  A second signal ends every worker at once.
 */
static void master_stop(int signo)
{
	const struct global_conf *gc = ms.cur ? &ms.cur->rc->cfg->global : NULL;

	if (ms.stopping) {
		log_msg(SUPERD_LOG_WARN, NULL, "%s again: stopping now", strsignal(signo));
		if (ms.delay) {
			loop_timer_cancel(ms.loop, ms.delay);
			ms.delay = NULL;
			master_drain();
		}
		for (struct gen *g = ms.gens; g; g = g->next)
			gen_kill_due(ms.loop, g);
		return;
	}
	ms.stopping = 1;
	if (ms.access)
		access_shared_set_stopping(ms.access);
	cfgwatch_set(ms.watch, NULL);
	sdnotify_send("STOPPING=1");
	ms.stop_timeout = gc ? gc->stop_timeout : WORKER_STOP_GRACE_MS / 1000;
	if (gc && gc->shutdown_delay) {
		ms.delay = loop_timer_add(ms.loop, (uint64_t)gc->shutdown_delay * 1000,
		                          shutdown_delay_over, NULL);
		if (ms.delay) {
			log_msg(SUPERD_LOG_INFO, NULL,
			        "stopping (%s): still serving for %u s (shutdown_delay)",
			        strsignal(signo), gc->shutdown_delay);
			return;
		}
		log_errno(NULL, "loop_timer_add", errno);
	}
	log_msg(SUPERD_LOG_INFO, NULL, "stopping (%s): draining (at most %u s)",
	        strsignal(signo), ms.stop_timeout);
	master_drain();
}

/* global: watch saw a change: reload as SIGHUP does. */
static void master_watch_fired(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
	if (ms.stopping)
		return;
	log_msg(SUPERD_LOG_INFO, NULL, "a configuration file changed");
	master_reload();
}

/* Tell every running worker about signo. */
static void signal_workers(int signo)
{
	for (struct gen *g = ms.gens; g; g = g->next)
		for (unsigned i = 0; i < g->nslots; i++)
			if (g->slots[i].pid)
				kill(g->slots[i].pid, signo);
}

/* The master's signals, delivered through its loop. */
static void master_signal(struct loop *l, int signo, void *arg)
{
	switch (signo) {
	case SIGCHLD:
		proc_reap();
		break;
	case SIGHUP:
		if (!ms.stopping)
			master_reload();
		break;
	case SIGUSR1:
		log_reopen();
		signal_workers(SIGUSR1);
		break;
	default:
		master_stop(signo);
		break;
	}
}

/* Everything up to the first workers: 0, or -1 (logged). */
static int master_setup(struct runconf *rc, int daemonize)
{
	static const int sigs[] = { SIGCHLD, SIGHUP, SIGUSR1, SIGTERM, SIGINT };
	const struct global_conf *gc = &rc->cfg->global;
	const char *env_backend = getenv("SUPERD_EVENT_BACKEND");

	if (env_backend && !*env_backend)
		env_backend = NULL;
	ms.loop = loop_new(env_backend ? env_backend : gc->event_backend);
	if (!ms.loop && errno == EINVAL) {
		log_msg(SUPERD_LOG_ERROR, NULL, "unknown event backend '%s'%s",
		        env_backend ? env_backend : gc->event_backend,
		        env_backend ? " (from SUPERD_EVENT_BACKEND)" : "");
		return -1;
	}
	if (!ms.loop) {
		log_errno(NULL, "loop_new", errno);
		return -1;
	}
	ms.watch = cfgwatch_new(ms.loop, master_watch_fired, NULL);
	if (!ms.watch) {
		log_errno(NULL, "cfgwatch_new", errno);
		return -1;
	}
	/* the helper keeps the privileges workers give up (see helper.h);
	 * forked before anything is bound, so it holds no listener */
	if ((gc->sandbox || (gc->user && geteuid() == 0)) &&
	    helper_start(ms.path, rc, ms.loop, daemonize) < 0)
		return -1;
	sockact_init();
	if (runconf_bind(rc, NULL) < 0)
		return -1;
	sockact_close_unused();
	ms.access = access_shared_new(gc->max_connections);
	if (!ms.access) {
		log_errno(NULL, "access_shared_new", errno);
		return -1;
	}
	if (runconf_access(rc, ms.access) < 0)
		return -1;
	if (daemonize && daemon_detach() < 0)
		return -1;
	/* Workers see EOF on this pipe when the master is gone, killed too. */
	if (pipe2(ms.life, O_CLOEXEC) < 0) {
		log_errno(NULL, "pipe2", errno);
		return -1;
	}
	if (gc->pid_file && pidfile_write(gc->pid_file) < 0)
		return -1;
	runconf_start(rc);
	privs_raise_nofile();
	if (gc->user && privs_drop(gc->user, gc->group) < 0)
		return -1;
	host_set_loop(ms.loop);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (loop_signal(ms.loop, sigs[i], master_signal, NULL) < 0) {
			log_errno(NULL, "loop_signal", errno);
			return -1;
		}
	}
	return 0;
}

/* Run the server (see master.h). */
int master_run(const char *path, int daemonize)
{
	struct runconf *rc;
	int status = 1;

	ms.path = path;
	rc = runconf_load(path);
	if (!rc)
		return 1;
	ms.daemonize = daemonize;
	open_log(rc->cfg);
	if (master_setup(rc, daemonize) < 0)
		goto free_rc;
	ms.cur = gen_start(rc);
	if (!ms.cur)
		goto free_rc;
	rc = NULL;
	cfgwatch_set(ms.watch, ms.cur->rc->cfg);
	log_msg(SUPERD_LOG_INFO, NULL, "started: %zu services, %u workers, %s backend",
	        enabled_services(ms.cur->rc), ms.cur->nslots, loop_backend_name(ms.loop));
	sdnotify_send("READY=1");
	if (loop_run(ms.loop) < 0)
		log_errno(NULL, "event loop", errno);
	else
		status = 0;
	log_msg(SUPERD_LOG_INFO, NULL, "stopped");
free_rc:
	runconf_free(rc);
	while (ms.gens) {
		struct gen *g = ms.gens;

		g->retiring = 1;
		g->alive = 0;
		gen_maybe_free(g);
	}
	helper_stop();
	pidfile_remove();
	cfgwatch_free(ms.watch);
	if (ms.access)
		access_shared_free(ms.access);
	if (ms.loop)
		loop_free(ms.loop);
	log_close();
	return status;
}
