/*
 * host.c - the struct superd_host table: what a module may call in superd.
 */
#include "conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "access.h"
#include "child.h"
#include "conn.h"
#include "counters.h"
#include "dgram.h"
#include "host.h"
#include "log.h"
#include "options.h"
#include "proc.h"
#include "runconf.h"
#include "sandbox.h"
#include "spawn_spec.h"
#include "wnote.h"

/* The loop of this process (worker or master). */
static struct loop *current_loop;

/** A module's timer: the loop timer plus the module's callback. */
struct superd_timer {
	struct loop_timer *lt;
	superd_timer_cb *cb;
	void *arg;
	int firing;     /**< inside cb: a cancel there only marks it */
};

/** A module's fd watch. */
struct superd_watch {
	int fd;
	superd_watch_cb *cb;
	void *arg;
};

void host_set_loop(struct loop *l)
{
	current_loop = l;
}

struct loop *host_loop(void)
{
	return current_loop;
}

/* host->log: one line tagged with the service; nothing formatted when
 * the level is filtered out. */
__attribute__((format(printf, 3, 4)))
static void host_log(const superd_service *svc, int level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (level > log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(level, svc ? svc->name : NULL, "%s", line);
}

static const char *host_service_name(const superd_service *svc)
{
	return svc->name;
}

static const char *host_config_dir(const superd_service *svc)
{
	return svc->config_dir;
}

/* Loop trampoline for a module timer: run it once, then free it. */
static void timer_fired(struct loop *l, void *arg)
{
	superd_timer *t = arg;

	t->firing = 1;
	wnote_enter(NULL, WN_TIMER);
	t->cb(t->arg);
	wnote_leave();
	free(t);
}

static superd_timer *host_timer_add(unsigned ms, superd_timer_cb *cb, void *arg)
{
	superd_timer *t;

	if (!current_loop || !cb)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	t->lt = loop_timer_add(current_loop, ms, timer_fired, t);
	if (!t->lt) {
		free(t);
		return NULL;
	}
	return t;
}

static void host_timer_cancel(superd_timer *t)
{
	if (!t || t->firing)
		return;
	loop_timer_cancel(current_loop, t->lt);
	free(t);
}

/* Loop trampoline for a module watch. */
static void watch_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	superd_watch *w = arg;
	unsigned ev = 0;

	if (events & LOOP_IN)
		ev |= SUPERD_EV_IN;
	if (events & LOOP_OUT)
		ev |= SUPERD_EV_OUT;
	if (events & LOOP_ERR)
		ev |= SUPERD_EV_ERR;
	wnote_enter(NULL, WN_WATCH);
	w->cb(fd, ev, w->arg);
	wnote_leave();
}

/* SUPERD_EV_* to LOOP_*. */
static unsigned loop_events(unsigned events)
{
	return ((events & SUPERD_EV_IN) ? LOOP_IN : 0) |
	       ((events & SUPERD_EV_OUT) ? LOOP_OUT : 0);
}

static superd_watch *host_watch_add(int fd, unsigned events, superd_watch_cb *cb,
                                    void *arg)
{
	superd_watch *w;

	if (!current_loop || !cb)
		return NULL;
	w = malloc(sizeof(*w));
	if (!w)
		return NULL;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	if (loop_add(current_loop, fd, loop_events(events), watch_ready, w) < 0) {
		free(w);
		return NULL;
	}
	return w;
}

static int host_watch_set(superd_watch *w, unsigned events)
{
	return loop_mod(current_loop, w->fd, loop_events(events));
}

/* Stop watching: loop_del drops events already collected for the fd, so
 * freeing w here is safe even from inside its own callback. */
static void host_watch_del(superd_watch *w)
{
	if (!w)
		return;
	loop_del(current_loop, w->fd);
	free(w);
}

static int host_child_watch(pid_t pid, superd_child_cb *cb, void *arg)
{
	return proc_watch(pid, cb, arg);
}

/* Monotonic ms: the loop's cached time, or the clock outside a loop. */
static uint64_t host_now_ms(void)
{
	struct timespec ts;

	if (current_loop)
		return loop_now(current_loop);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void host_service_set_wait(superd_service *svc, int wait)
{
	svc->wait = wait ? 1 : 0;
}

/* host->spawn: core's spec, stderr to the log, followed by this loop. */
static pid_t host_spawn(superd_service *svc, const struct superd_spawn *spec)
{
	struct child_spec cs;
	struct child_watch w;

	if (!current_loop) {
		errno = EINVAL;
		return -1;
	}
	if (spawn_spec_make(svc, spec, &cs) < 0)
		return -1;
	w = (struct child_watch){
		.svc_name = svc->name, .log_stderr = spec->fd[2] == SUPERD_SPAWN_LOG,
		.log_tag = spec->log_tag, .timeout_ms = spec->timeout_ms,
		.on_exit = spec->on_exit, .arg = spec->arg,
		.as_user = (spec->flags & SUPERD_SPAWN_AS_USER) != 0,
	};
	return child_spawn(current_loop, &cs, &w);
}

/* ABI 1.2: count an HTTP response for c's service. */
static void host_http_response(superd_conn *c, unsigned code)
{
	struct superd_service *svc = conn_service(c);

	if (svc && svc->access)
		counters_http(svc->access, code);
}

/* ABI 1.2: every metric sample, summed over the workers. */
static void host_metrics(const superd_service *svc, superd_metric_cb *cb,
                         void *arg)
{
	if (svc && svc->access)
		counters_report(svc->access, cb, arg);
}

/* ABI 1.2: has the server begun to stop? */
static int host_stopping(const superd_service *svc)
{
	return svc && svc->access && counters_stopping(svc->access);
}

/* ABI 1.2: take a unit of the service's named semaphore (all workers). */
static int host_sem_acquire(superd_service *svc, const char *name,
                            unsigned long limit)
{
	if (!svc || !svc->access) {
		errno = ENOSYS;
		return -1;
	}
	return access_sem_acquire(svc->access, name, limit);
}

/* ABI 1.2: give back a unit this process took. */
static void host_sem_release(superd_service *svc, const char *name)
{
	if (svc && svc->access)
		access_sem_release(svc->access, name);
}

static const struct superd_host host = {
	.size = sizeof(struct superd_host),
	.abi_major = SUPERD_ABI_MAJOR,
	.abi_minor = SUPERD_ABI_MINOR,
	.opt_kind = opt_kind,
	.opt_get = opt_get,
	.opt_count = opt_count,
	.opt_at = opt_at,
	.opt_key_at = opt_key_at,
	.opt_str = opt_str,
	.opt_error = opt_error,
	.opt_check_keys = opt_check_keys,
	.opt_bool = opt_bool,
	.opt_uint = opt_uint,
	.opt_string = opt_string,
	.log = host_log,
	.service_name = host_service_name,
	.config_dir = host_config_dir,
	.write = conn_write,
	.sendfile = conn_sendfile,
	.pending = conn_pending,
	.close = conn_close,
	.abort = conn_abort,
	.pause_read = conn_pause_read,
	.set_timeout = conn_set_timeout,
	.peer = conn_peer,
	.conn_service = conn_service,
	.conn_fd = conn_fd,
	.conn_note = conn_note,
	.reply = dgram_reply,
	.timer_add = host_timer_add,
	.timer_cancel = host_timer_cancel,
	.watch_add = host_watch_add,
	.watch_set = host_watch_set,
	.watch_del = host_watch_del,
	.child_watch = host_child_watch,
	.now_ms = host_now_ms,
	.service_set_wait = host_service_set_wait,
	.spawn = host_spawn,
	.spawn_stop = child_stop,
	.spawn_exec = spawn_exec,
	.service_user = spawn_service_user,
	.service_protocols = spawn_service_protocols,
	.http_response = host_http_response,
	.metrics = host_metrics,
	.stopping = host_stopping,
	.draining = conn_draining,
	.tls = conn_tls,
	.sandbox_path = sandbox_service_path,
	.sem_acquire = host_sem_acquire,
	.sem_release = host_sem_release,
	.service_spawns = spawn_service_spawns,
	.sandbox_syscall = sandbox_service_syscall,
	.reflect = conn_reflect,
	.sandbox_option = sandbox_service_option,
};

const struct superd_host *host_table(void)
{
	return &host;
}
