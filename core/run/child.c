/*
 * child.c - a worker's children: spawn, stderr into the log line by line,
 * reaping, the exit callback, timeout and stop (SIGTERM, then SIGKILL of
 * the process group after a grace time).
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "helper.h"
#include "log.h"
#include "proc.h"

#define KILL_GRACE_MS 2000
/* Bytes of one stderr line kept before it is logged anyway. */
#define STDERR_LINE 512

/** A child this process follows. */
struct child {
	struct child *next;
	struct loop *loop;
	pid_t pid;
	int group;                      /**< signal -pid (own group) */
	int remote;                     /**< started by the spawn helper */
	int exited;
	char *svc_name;
	char *tag;                      /**< NULL: "pid N" */
	superd_child_cb *on_exit;
	void *arg;
	struct loop_timer *timeout, *killer;
	int err_fd;                     /**< stderr pipe, or -1 */
	size_t linelen;
	char line[STDERR_LINE];
};

static struct child *children;

/* The child for pid, or NULL. */
static struct child *child_find(pid_t pid)
{
	for (struct child *ch = children; ch; ch = ch->next)
		if (ch->pid == pid)
			return ch;
	return NULL;
}

/* Take ch out of the list and free it (its fd and timers are gone). */
static void child_free(struct child *ch)
{
	for (struct child **pp = &children; *pp; pp = &(*pp)->next)
		if (*pp == ch) {
			*pp = ch->next;
			break;
		}
	free(ch->svc_name);
	free(ch->tag);
	free(ch);
}

/* Log the stderr line kept so far. */
static void line_flush(struct child *ch)
{
	if (!ch->linelen)
		return;
	if (ch->tag)
		log_msg(SUPERD_LOG_WARN, ch->svc_name, "%s: %.*s", ch->tag,
		        (int)ch->linelen, ch->line);
	else
		log_msg(SUPERD_LOG_WARN, ch->svc_name, "pid %ld: %.*s",
		        (long)ch->pid, (int)ch->linelen, ch->line);
	ch->linelen = 0;
}

/* Split bytes of stderr into lines (CR dropped, long lines cut). */
static void lines_add(struct child *ch, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			line_flush(ch);
			continue;
		}
		if (buf[i] == '\r')
			continue;
		if (ch->linelen == sizeof(ch->line))
			line_flush(ch);
		ch->line[ch->linelen++] = buf[i];
	}
}

/* Stop reading stderr: the partial line is logged, the pipe closed. */
static void stderr_close(struct child *ch)
{
	if (ch->err_fd < 0)
		return;
	line_flush(ch);
	loop_del(ch->loop, ch->err_fd);
	close(ch->err_fd);
	ch->err_fd = -1;
}

/* Read what stderr holds (bounded); at EOF or error close it.  final:
 * the child exited, so read until the pipe is empty, then close. */
static void stderr_drain(struct child *ch, int final)
{
	char buf[4096];

	for (int rounds = 0; rounds < 16 && ch->err_fd >= 0; rounds++) {
		ssize_t n = read(ch->err_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && !final)
			return;
		if (n <= 0)
			break;
		lines_add(ch, buf, (size_t)n);
		if (!final)
			return;
	}
	/* a descendant holding stderr open must not keep the pipe forever */
	stderr_close(ch);
}

/* Loop callback: the stderr pipe is readable. */
static void stderr_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	stderr_drain(arg, 0);
}

/* Signal the child's group (or the child alone). */
static void child_signal(struct child *ch, int sig)
{
	if (ch->remote) {
		helper_signal(ch->pid, sig, ch->group);
		return;
	}
	if (ch->group && kill(-ch->pid, sig) == 0)
		return;
	kill(ch->pid, sig);
}

/* Grace time over: SIGKILL. */
static void killer_fired(struct loop *l, void *arg)
{
	struct child *ch = arg;

	ch->killer = NULL;
	child_signal(ch, SIGKILL);
}

/* Ask ch to stop now and make sure later (see child.h). */
static void stop(struct child *ch)
{
	if (ch->exited || ch->killer)
		return;
	child_signal(ch, SIGTERM);
	ch->killer = loop_timer_add(ch->loop, KILL_GRACE_MS, killer_fired, ch);
	if (!ch->killer)
		child_signal(ch, SIGKILL);
}

/* The spec's timeout expired. */
static void timeout_fired(struct loop *l, void *arg)
{
	struct child *ch = arg;

	ch->timeout = NULL;
	log_msg(SUPERD_LOG_WARN, ch->svc_name, "pid %ld: timed out, stopping it",
	        (long)ch->pid);
	stop(ch);
}

/* Reaped: log what stderr had, tell the owner, forget the child. */
static void child_exited(pid_t pid, int status, void *arg)
{
	struct child *ch = arg;

	ch->exited = 1;
	stderr_drain(ch, 1);
	if (ch->timeout)
		loop_timer_cancel(ch->loop, ch->timeout);
	if (ch->killer)
		loop_timer_cancel(ch->loop, ch->killer);
	if (ch->on_exit)
		ch->on_exit(pid, status, ch->arg);
	child_free(ch);
}

/* A record for a child about to be spawned; NULL on ENOMEM. */
static struct child *child_new(struct loop *l, const struct child_watch *w)
{
	struct child *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->loop = l;
	ch->err_fd = -1;
	ch->on_exit = w->on_exit;
	ch->arg = w->arg;
	ch->svc_name = strdup(w->svc_name ? w->svc_name : "superd");
	ch->tag = w->log_tag ? strdup(w->log_tag) : NULL;
	if (!ch->svc_name || (w->log_tag && !ch->tag)) {
		free(ch->svc_name);
		free(ch->tag);
		free(ch);
		return NULL;
	}
	return ch;
}

/* Start watching a spawned child: stderr, reaping, timeout. */
static int child_follow(struct child *ch, const struct child_watch *w)
{
	if (ch->err_fd >= 0 &&
	    loop_add(ch->loop, ch->err_fd, LOOP_IN, stderr_readable, ch) < 0) {
		close(ch->err_fd);
		ch->err_fd = -1;
	}
	if (w->timeout_ms &&
	    !(ch->timeout = loop_timer_add(ch->loop, w->timeout_ms, timeout_fired, ch)))
		return -1;
	return proc_watch(ch->pid, child_exited, ch);
}

/* Fork spec in the worker running l (see child.h). */
pid_t child_spawn(struct loop *l, const struct child_spec *spec,
                  const struct child_watch *w)
{
	struct child_spec s = *spec;
	struct child *ch = child_new(l, w);
	int pfd[2] = { -1, -1 }, err;

	if (!ch)
		return -1;
	if (w->log_stderr && pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
		goto fail;
	if (w->log_stderr)
		s.fd[2] = pfd[1];
	/* programs come from the spawn helper when there is one (the worker
	 * may not execute, or switch users); functions run here */
	ch->remote = !s.fn && helper_active();
	ch->pid = ch->remote ? helper_spawn(ch->svc_name, &s, w->as_user)
	                     : child_fork(&s);
	if (ch->pid < 0)
		goto fail;
	if (pfd[1] >= 0)
		close(pfd[1]);
	ch->err_fd = pfd[0];
	ch->group = (spec->flags & (SUPERD_SPAWN_SETSID | SUPERD_SPAWN_SETPGRP)) != 0;
	ch->next = children;
	children = ch;
	if (child_follow(ch, w) < 0) {
		/* we could never tell when it ends: stop it at once */
		err = errno;
		log_errno(ch->svc_name, "following a child", err);
		child_signal(ch, SIGKILL);
		proc_unwatch(ch->pid);
		stderr_close(ch);
		if (ch->timeout)
			loop_timer_cancel(l, ch->timeout);
		child_free(ch);
		errno = err;
		return -1;
	}
	return ch->pid;
fail:
	err = errno;
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(ch->svc_name);
	free(ch->tag);
	free(ch);
	errno = err;
	return -1;
}

/* Stop a spawned child (see child.h). */
void child_stop(pid_t pid)
{
	struct child *ch = pid > 0 ? child_find(pid) : NULL;

	if (ch)
		stop(ch);
}

/* The children the spawn helper started (see child.h). */
size_t child_remote_pids(pid_t *out, size_t max)
{
	size_t n = 0;

	for (struct child *ch = children; ch && n < max; ch = ch->next)
		if (ch->remote)
			out[n++] = ch->pid;
	return n;
}

/* Children followed now. */
size_t child_count(void)
{
	size_t n = 0;

	for (struct child *ch = children; ch; ch = ch->next)
		n++;
	return n;
}

/* Forget the parent's children (in a newly forked process). */
void child_forget_all(void)
{
	while (children) {
		struct child *ch = children;

		children = ch->next;
		free(ch->svc_name);
		free(ch->tag);
		free(ch);
	}
}
