/*
 * helper.c - the spawn helper process (see helper.h): requests from the
 * workers checked against the configuration it loaded, children started
 * with the service's user and limits, exits reported back.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "helper.h"
#include "helper_msg.h"
#include "log.h"
#include "privs.h"
#include "proc.h"
#include "spawn_spec.h"

/** One connected worker. */
struct hconn {
	int fd;
	struct hconn *next;
};

/** A child the helper started, and who asked. */
struct hchild {
	pid_t pid;
	struct hconn *owner;          /**< NULL once that worker went away */
	int bound;                    /**< SIGTERM it when its owner goes */
	struct hchild *next;
};

static struct {
	struct loop *loop;
	int ctl;                      /**< the master's socket */
	int hello;                    /**< where new workers send HELLO */
	const char *path;             /**< the configuration file */
	struct runconf *cur, *prev;   /**< configurations it loaded */
	struct privs_ids ids;         /**< the global user, when it drops */
	int have_ids;
	struct hconn *conns;
	struct hchild *kids;
	char buf[HELPER_MSG_MAX + 1];
} hs;

/* The global user the children run as when not the service's own. */
static void default_ids(const struct config *cfg)
{
	char err[160];

	if (hs.have_ids)
		privs_ids_free(&hs.ids);
	hs.have_ids = 0;
	if (geteuid() != 0 || !cfg->global.user)
		return;
	if (privs_resolve(cfg->global.user, cfg->global.group, &hs.ids, err,
	                  sizeof(err)) == 0)
		hs.have_ids = 1;
	else
		log_msg(SUPERD_LOG_ERROR, NULL, "spawn helper: %s", err);
}

/* The service named name in a configuration the helper loaded. */
static const struct superd_service *find_service(const char *name)
{
	const struct runconf *rcs[2] = { hs.cur, hs.prev };

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; rcs[k] && i < rcs[k]->nsvcs; i++)
			if (strcmp(rcs[k]->svcs[i].name, name) == 0)
				return &rcs[k]->svcs[i];
	return NULL;
}

/* Forget c (its worker is gone); its children are still reaped. */
static void conn_drop(struct hconn *c)
{
	for (struct hconn **pp = &hs.conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	for (struct hchild *k = hs.kids; k; k = k->next) {
		if (k->owner != c)
			continue;
		k->owner = NULL;
		if (k->bound && kill(-k->pid, SIGTERM) < 0)
			kill(k->pid, SIGTERM);
	}
	loop_del(hs.loop, c->fd);
	close(c->fd);
	free(c);
}

/* A child exited: tell the worker that asked for it. */
static void kid_exited(pid_t pid, int status, void *arg)
{
	struct hchild *kid = arg;
	struct helper_hdr m = { .type = HM_EXITED, .id = pid, .a = status };

	if (kid->owner && helper_send(kid->owner->fd, &m, NULL, 0, NULL, 0) < 0)
		log_errno(NULL, "spawn helper: send", errno);
	for (struct hchild **pp = &hs.kids; *pp; pp = &(*pp)->next)
		if (*pp == kid) {
			*pp = kid->next;
			break;
		}
	free(kid);
}

/* Strings of a SPAWN message: service, path, dir, argv..., envp... */
static int unpack(const char *p, const char *end, const char **out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *z = memchr(p, '\0', (size_t)(end - p));

		if (!z)
			return -1;
		out[i] = p;
		p = z + 1;
	}
	return 0;
}

/* Check a request against the configuration; its service, or NULL. */
static const struct superd_service *request_check(const char *name, int as_user,
                                                  const char *path)
{
	const struct superd_service *svc = find_service(name);

	if (!svc) {
		log_msg(SUPERD_LOG_ERROR, NULL, "spawn helper: refused: no service "
		        "'%.64s' in the configuration", name);
		return NULL;
	}
	if (as_user && !svc->user_ids) {
		log_msg(SUPERD_LOG_ERROR, svc->name, "spawn helper: refused: a user "
		        "the configuration does not name for this service");
		return NULL;
	}
	if (!spawn_path_allowed(svc, path)) {
		log_msg(SUPERD_LOG_ERROR, svc->name, "spawn helper: refused: program "
		        "%.256s is not one the configuration names for this service",
		        path);
		return NULL;
	}
	return svc;
}

/* Start the child of one SPAWN message; its pid, or -1 with errno. */
static pid_t do_spawn(const struct helper_hdr *m, const char *const *s,
                      const int *fds)
{
	const struct superd_service *svc = request_check(s[0], m->b, s[1]);
	struct child_spec spec = { .path = s[1], .dir = s[2][0] ? s[2] : NULL,
	                           .flags = (unsigned)m->a & (SUPERD_SPAWN_SETSID |
	                                                      SUPERD_SPAWN_SETPGRP),
	                           .die_with = getpid() };
	char **argv = NULL, **envp = NULL;
	pid_t pid = -1;

	if (!svc) {
		errno = EPERM;
		return -1;
	}
	argv = calloc(m->nargv + 1, sizeof(*argv));
	envp = calloc(m->nenv + 1, sizeof(*envp));
	if (!argv || !envp)
		goto out;
	memcpy(argv, s + 3, m->nargv * sizeof(*argv));
	memcpy(envp, s + 3 + m->nargv, m->nenv * sizeof(*envp));
	spec.argv = argv;
	spec.envp = envp;
	for (int i = 0, j = 0; i < 4; i++)
		spec.fd[i] = (m->fdmask & (1u << i)) ? fds[j++] : -1;
	spec.ids = m->b ? svc->user_ids : hs.have_ids ? &hs.ids : NULL;
	spec.limits = svc->child_limits;
	pid = child_fork(&spec);
out:
	free(argv);
	free(envp);
	return pid;
}

/* Follow a started child; keeps going without (logged) on ENOMEM. */
static void kid_add(pid_t pid, struct hconn *c, int bound)
{
	struct hchild *kid = calloc(1, sizeof(*kid));

	if (!kid || proc_watch(pid, kid_exited, kid) < 0) {
		log_errno(NULL, "spawn helper: following a child", errno);
		free(kid);
		return;
	}
	kid->pid = pid;
	kid->owner = c;
	kid->bound = bound;
	kid->next = hs.kids;
	hs.kids = kid;
}

/* SPAWN from worker c: check, start, answer STARTED. */
static void on_spawn(struct hconn *c, ssize_t n, int *fds)
{
	const struct helper_hdr *m = (const struct helper_hdr *)hs.buf;
	struct helper_hdr r = { .type = HM_STARTED, .id = m->id, .a = -1 };
	const char **s = NULL;
	size_t ns = 3 + (size_t)m->nargv + m->nenv;

	if (m->nargv > 4096 || m->nenv > 4096 || !(s = calloc(ns, sizeof(*s))) ||
	    unpack(hs.buf + sizeof(*m), hs.buf + n, s, ns) < 0) {
		r.b = EBADMSG;
	} else {
		r.a = do_spawn(m, s, fds);
		r.b = r.a < 0 ? errno : 0;
	}
	free(s);
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r.a > 0)
		kid_add(r.a, c, (m->a & HELPER_SPAWN_BOUND) != 0);
	if (helper_send(c->fd, &r, NULL, 0, NULL, 0) < 0)
		log_errno(NULL, "spawn helper: send", errno);
}

/* SIGNAL from worker c: only to a child c asked for. */
static void on_signal(struct hconn *c, const struct helper_hdr *m)
{
	for (struct hchild *k = hs.kids; k; k = k->next)
		if (k->pid == m->id && k->owner == c) {
			if (!m->b || kill(-k->pid, m->a) < 0)
				kill(k->pid, m->a);
			return;
		}
}

/* A worker's socket is readable. */
static void conn_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct hconn *c = arg;
	int fds[4];
	ssize_t n = helper_recv(fd, hs.buf, fds, 4);
	const struct helper_hdr *m = (const struct helper_hdr *)hs.buf;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_drop(c);
		return;
	}
	if (m->type == HM_SPAWN) {
		on_spawn(c, n, fds);
		return;
	}
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (m->type == HM_SIGNAL)
		on_signal(c, m);
}

/* A new worker sent its end of a private socket. */
static void on_hello(int fd)
{
	struct hconn *c = calloc(1, sizeof(*c));

	if (!c || loop_add(hs.loop, fd, LOOP_IN, conn_readable, c) < 0) {
		log_errno(NULL, "spawn helper: a new worker", errno);
		close(fd);
		free(c);
		return;
	}
	c->fd = fd;
	c->next = hs.conns;
	hs.conns = c;
}

/* RELOAD: load the configuration again (the master already did). */
static void on_reload(const char *path)
{
	struct runconf *rc = runconf_load(path);

	if (!rc) {
		log_msg(SUPERD_LOG_ERROR, NULL, "spawn helper: cannot load %s; "
		        "requests are checked against the previous configuration", path);
		return;
	}
	runconf_free(hs.prev);
	hs.prev = hs.cur;
	hs.cur = rc;
	default_ids(rc->cfg);
}

/* The master's socket: RELOAD, OPEN, or EOF (the master is gone). */
static void ctl_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	int fds[1];
	ssize_t n = helper_recv(fd, hs.buf, fds, 0);
	const struct helper_hdr *m = (const struct helper_hdr *)hs.buf;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		loop_stop(l);
		return;
	}
	if (m->type == HM_RELOAD && (size_t)n > sizeof(*m))
		on_reload(hs.buf + sizeof(*m));
	else if (m->type == HM_OPEN && (size_t)n > sizeof(*m))
		helper_answer_open(fd, hs.cur->cfg->path, hs.buf + sizeof(*m));
}

/* The hello socket: a worker (or a serve() child) connects. */
static void hello_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	int fds[1];
	ssize_t n = helper_recv(fd, hs.buf, fds, 1);
	const struct helper_hdr *m = (const struct helper_hdr *)hs.buf;

	if (n == 0) /* the master and every worker are gone */
		loop_del(l, fd);
	if (n <= 0)
		return;
	if (m->type == HM_HELLO && fds[0] >= 0)
		on_hello(fds[0]);
	else if (fds[0] >= 0)
		close(fds[0]);
}

static void on_sigchld(struct loop *l, int signo, void *arg)
{
	proc_reap();
}

/* Close what the master had open (a service manager's sockets), but 0-2,
 * the log and the helper's own descriptors. */
static void close_inherited(const struct helper_ends *e)
{
	int logfd = log_raw_fd();

	for (int fd = 3; fd < 1024; fd++)
		if (fd != e->ctl[0] && fd != e->hello[0] && fd != e->dead[1] &&
		    fd != logfd)
			close(fd);
}

/* With superd -d: no terminal, output to /dev/null (the log is not
 * stderr then). */
static void detach(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (setsid() < 0 || fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
}

/* A helper started again after one died: the configuration as the file
 * says now (the master's last good load; rc, the first, if it fails). */
static void restarted(struct runconf *rc)
{
	struct runconf *now = runconf_load(hs.path);

	hs.cur = now ? now : rc;
	hs.prev = now ? rc : NULL;
}

/* The helper process: never returns. */
static void __attribute__((noreturn))
helper_main(const struct helper_ends *e, struct runconf *rc, int again)
{
	hs.ctl = e->ctl[0];
	hs.hello = e->hello[0];
	hs.cur = rc;
	if (again)
		restarted(rc);
	default_ids(hs.cur->cfg);
	/* programs' own orphans come back here to be reaped, not to PID 1 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		log_errno(NULL, "spawn helper: PR_SET_CHILD_SUBREAPER", errno);
	hs.loop = loop_new("poll");
	if (!hs.loop || loop_signal(hs.loop, SIGCHLD, on_sigchld, NULL) < 0 ||
	    loop_add(hs.loop, hs.ctl, LOOP_IN, ctl_readable, NULL) < 0 ||
	    fcntl(hs.hello, F_SETFL, O_NONBLOCK) < 0 ||
	    loop_add(hs.loop, hs.hello, LOOP_IN, hello_readable, NULL) < 0) {
		log_errno(NULL, "spawn helper", errno);
		_exit(1);
	}
	if (loop_run(hs.loop) < 0)
		log_errno(NULL, "spawn helper: event loop", errno);
	_exit(0);
}

/* Monotonic milliseconds. */
static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the helper pid to end (reaping orphans on the way); its status. */
static int keeper_wait(pid_t pid)
{
	int status;
	pid_t got;

	for (;;) {
		got = waitpid(-1, &status, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return 0; /* no child left: nothing to wait for */
		if (got == pid)
			return status;
	}
}

/*
 * The keeper: keeps the master's first privileges and runs the helper,
 * and a new one when it dies (killed, crashed): workers reconnect through
 * the hello socket, which the keeper holds open.  A helper that ends
 * with status 0 saw the master go: then the keeper ends too.  A helper
 * dying within a second of its start is restarted a second later.
 */
static void __attribute__((noreturn))
keeper_main(const struct helper_ends *e, struct runconf *rc, struct loop *parent,
            int daemonize)
{
	static const int ignored[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE };
	struct timespec second = { 1, 0 };
	pid_t self = getpid();
	char how[96];

	/* the master waits for this pid's end when it stops (helper_stop) */
	if (write(e->dead[1], &self, sizeof(self)) < 0)
		log_errno(NULL, "spawn helper: keeper", errno);
	proc_forget_all();
	child_forget_all();
	if (parent)
		loop_free(parent);
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	if (daemonize)
		detach();
	close_inherited(e);
	/* the helper's children that outlive it (killed with it) come here */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	for (int again = 0;; again = 1) {
		long long t0 = mono_ms();
		pid_t pid = fork();
		int status;

		if (pid == 0)
			helper_main(e, rc, again);
		if (pid < 0) {
			log_errno(NULL, "spawn helper: fork", errno);
			nanosleep(&second, NULL);
			continue;
		}
		status = keeper_wait(pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			_exit(0);
		proc_describe_status(status, how, sizeof(how));
		log_msg(SUPERD_LOG_ERROR, NULL, "spawn helper died (%s): starting "
		        "a new one", how);
		if (mono_ms() - t0 < 1000)
			nanosleep(&second, NULL);
	}
}

/*
 * Fork the helper (see helper.h).  It forks twice, so the keeper is not
 * the master's child: the master's children are its workers (tools and
 * tests count them), and the helper ends by itself when the master's
 * socket closes.  The keeper's pid comes back over the dead pipe.
 */
pid_t helper_start_fork(const struct helper_ends *e, const char *path,
                        struct runconf *rc, struct loop *parent, int daemonize)
{
	pid_t pid = fork(), keeper = 0;
	ssize_t n;
	int status;

	if (pid < 0) {
		log_errno(NULL, "fork (spawn helper)", errno);
		return -1;
	}
	if (pid == 0) {
		close(e->ctl[1]);
		close(e->hello[1]);
		close(e->dead[0]);
		hs.path = path;
		pid = fork();
		if (pid == 0) /* dead[1] stays open (close-on-exec) until exit */
			keeper_main(e, rc, parent, daemonize);
		_exit(pid < 0 ? 1 : 0);
	}
	close(e->ctl[0]);
	close(e->hello[0]);
	close(e->dead[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_msg(SUPERD_LOG_ERROR, NULL, "cannot fork the spawn helper");
		return -1;
	}
	do
		n = read(e->dead[0], &keeper, sizeof(keeper));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(keeper) ? keeper : 0;
}
