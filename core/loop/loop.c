/*
 * loop.c - the generic part of the event loop: the fd table, dispatch,
 * timers and the signal self-pipe.  The backends (loop_select.c,
 * loop_poll.c, loop_epoll.c) only report ready fds.
 *
 * Dispatch is two-phase: the backend's wait fills l->fired with (fd,
 * events, generation), then the loop calls the callbacks.  Every loop_add
 * and loop_del bumps the fd's generation, so an event collected for an fd
 * that a callback deleted (or deleted, closed and reused) in the same
 * round is dropped instead of reaching the wrong owner.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* pipe2 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

/** One watched fd, indexed by the fd number. */
struct loop_fd {
	loop_fd_cb *cb;     /**< NULL: not watched */
	void *arg;
	unsigned events;    /**< LOOP_IN|LOOP_OUT|LOOP_EXCLUSIVE as requested */
	unsigned gen;       /**< bumped by every add and del */
};

/** One ready fd, collected during the wait and dispatched after it. */
struct loop_fired {
	int fd;
	unsigned events;
	unsigned gen;       /**< the fd's generation when it was collected */
};

/** A pending timer; lives in the heap until it fires or is cancelled. */
struct loop_timer {
	uint64_t deadline;  /**< loop_now() milliseconds */
	uint64_t seq;       /**< creation order: equal deadlines fire FIFO */
	size_t index;       /**< position in the heap, or TIMER_OUT */
	loop_timer_cb *cb;
	void *arg;
};

/* Index of a timer out of the heap: the one whose callback runs. */
#define TIMER_OUT SIZE_MAX

/** A signal's callback in this loop. */
struct loop_sig {
	loop_signal_cb *cb;
	void *arg;
};

struct loop {
	const struct loop_backend *be;
	void *st;                   /**< the backend's state */
	struct loop_fd *fds;        /**< indexed by fd */
	size_t nfds;                /**< entries allocated in fds */
	struct loop_fired *fired;   /**< this round's ready fds */
	size_t nfired, cap_fired;
	struct loop_timer **heap;   /**< min-heap on (deadline, seq) */
	size_t ntimers, cap_timers;
	struct loop_timer *firing;  /**< the timer whose callback runs */
	uint64_t timer_seq;
	uint64_t now;               /**< cached monotonic ms */
	int stop;
	int sig_pipe[2];            /**< self-pipe, -1 until loop_signal */
	struct loop_sig sigs[NSIG];
};

static void loop_signals_release(struct loop *l);

/* Built-in backends; the first is the default. */
static const struct loop_backend *const backends[] = {
#ifdef __linux__
	&loop_backend_epoll,
#endif
	&loop_backend_poll,
	&loop_backend_select,
	NULL,
};

/** Names of the built-in backends, for loop_backend_names(). */
static const char *const backend_names[] = {
#ifdef __linux__
	"epoll",
#endif
	"poll",
	"select",
	NULL,
};

/* Names of the backends built in, the default first. */
const char *const *loop_backend_names(void)
{
	return backend_names;
}

/* Monotonic milliseconds, straight from the clock. */
static uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The backend called name, or the environment's choice, or the default. */
static const struct loop_backend *backend_find(const char *name)
{
	if (!name || !*name)
		name = getenv("SUPERD_EVENT_BACKEND");
	if (!name || !*name)
		return backends[0];
	for (size_t i = 0; backends[i]; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* A new loop on the named backend (see loop.h). */
struct loop *loop_new(const char *backend)
{
	const struct loop_backend *be = backend_find(backend);
	struct loop *l;

	if (!be) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->be = be;
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
	l->cap_fired = 64;
	l->fired = malloc(l->cap_fired * sizeof(*l->fired));
	if (!l->fired)
		goto free_loop;
	l->st = be->init();
	if (!l->st)
		goto free_fired;
	l->now = clock_ms();
	return l;

free_fired:
	free(l->fired);
free_loop:
	free(l);
	return NULL;
}

/*
 * Free the loop, its pending timers and its signal pipe.  The backend is
 * not told about each fd: in a child after fork() that would change the
 * parent's (shared) epoll set.  The watched fds stay open.
 */
void loop_free(struct loop *l)
{
	int saved = errno;

	if (!l)
		return;
	loop_signals_release(l);
	for (size_t i = 0; i < l->ntimers; i++)
		free(l->heap[i]);
	free(l->heap);
	l->be->free(l->st);
	free(l->fired);
	free(l->fds);
	free(l);
	errno = saved;
}

const char *loop_backend_name(const struct loop *l)
{
	return l->be->name;
}

uint64_t loop_now(const struct loop *l)
{
	return l->now;
}

void loop_stop(struct loop *l)
{
	l->stop = 1;
}

/* Make room in the fd table for fd. */
static int fds_reserve(struct loop *l, int fd)
{
	size_t want = l->nfds ? l->nfds : 64;
	struct loop_fd *fds;

	if ((size_t)fd < l->nfds)
		return 0;
	while (want <= (size_t)fd)
		want *= 2;
	fds = realloc(l->fds, want * sizeof(*fds));
	if (!fds)
		return -1;
	memset(fds + l->nfds, 0, (want - l->nfds) * sizeof(*fds));
	l->fds = fds;
	l->nfds = want;
	return 0;
}

/* The table entry of a watched fd, or NULL with errno set. */
static struct loop_fd *fd_watched(struct loop *l, int fd)
{
	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if ((size_t)fd >= l->nfds || !l->fds[fd].cb) {
		errno = ENOENT;
		return NULL;
	}
	return &l->fds[fd];
}

/* Watch fd (see loop.h); EEXIST if it is watched already. */
int loop_add(struct loop *l, int fd, unsigned events, loop_fd_cb *cb, void *arg)
{
	struct loop_fd *f;

	if (fd < 0 || !cb) {
		errno = fd < 0 ? EBADF : EINVAL;
		return -1;
	}
	if (l->be->max_fd && fd >= l->be->max_fd) {
		errno = EMFILE;
		return -1;
	}
	if (fds_reserve(l, fd) < 0)
		return -1;
	f = &l->fds[fd];
	if (f->cb) {
		errno = EEXIST;
		return -1;
	}
	events &= LOOP_IN | LOOP_OUT | LOOP_EXCLUSIVE;
	if (l->be->add(l->st, fd, events) < 0)
		return -1;
	f->cb = cb;
	f->arg = arg;
	f->events = events;
	f->gen++;
	return 0;
}

/* Change what fd is watched for; nothing to do if it is unchanged. */
int loop_mod(struct loop *l, int fd, unsigned events)
{
	struct loop_fd *f = fd_watched(l, fd);

	if (!f)
		return -1;
	events &= LOOP_IN | LOOP_OUT;
	events |= f->events & LOOP_EXCLUSIVE;
	if (events == f->events)
		return 0;
	if (l->be->mod(l->st, fd, f->events, events) < 0)
		return -1;
	f->events = events;
	return 0;
}

/* Stop watching fd; events already collected for it are dropped. */
int loop_del(struct loop *l, int fd)
{
	struct loop_fd *f = fd_watched(l, fd);
	int rc;

	if (!f)
		return -1;
	rc = l->be->del(l->st, fd, f->events);
	f->cb = NULL;
	f->arg = NULL;
	f->events = 0;
	f->gen++;
	return rc;
}

/*
 * Called by the backend for each ready fd: remember it for dispatch.  If
 * the array cannot grow the event is dropped; every backend is
 * level-triggered, so it is reported again next round.
 */
static void fired_report(struct loop *l, int fd, unsigned events)
{
	struct loop_fired *ev;

	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].cb)
		return;
	if (l->nfired == l->cap_fired) {
		size_t cap = l->cap_fired * 2;
		struct loop_fired *fired = realloc(l->fired, cap * sizeof(*fired));

		if (!fired)
			return;
		l->fired = fired;
		l->cap_fired = cap;
	}
	ev = &l->fired[l->nfired++];
	ev->fd = fd;
	ev->events = events;
	ev->gen = l->fds[fd].gen;
}

/*
 * Call the callbacks of this round's ready fds.  An fd deleted (or
 * re-added) since it was collected is skipped, and only the events still
 * asked for are delivered, with LOOP_ERR always.
 */
static int fired_dispatch(struct loop *l)
{
	int n = 0;

	for (size_t i = 0; i < l->nfired; i++) {
		const struct loop_fired *ev = &l->fired[i];
		struct loop_fd *f = &l->fds[ev->fd];
		unsigned want = f->events & (LOOP_IN | LOOP_OUT);
		unsigned events;

		if (!f->cb || f->gen != ev->gen || !want)
			continue;
		events = ev->events & (want | LOOP_ERR);
		if (!events)
			continue;
		f->cb(l, ev->fd, events, f->arg);
		n++;
	}
	l->nfired = 0;
	return n;
}

/* True if timer a fires before timer b. */
static int timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->deadline < b->deadline ||
	       (a->deadline == b->deadline && a->seq < b->seq);
}

/* Put t at heap position i and record it there. */
static void heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->index = i;
}

/* Move the timer at position i up to where it belongs. */
static void heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(t, l->heap[parent]))
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

/* Move the timer at position i down to where it belongs. */
static void heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= l->ntimers)
			break;
		if (child + 1 < l->ntimers &&
		    timer_before(l->heap[child + 1], l->heap[child]))
			child++;
		if (!timer_before(l->heap[child], t))
			break;
		heap_set(l, i, l->heap[child]);
		i = child;
	}
	heap_set(l, i, t);
}

/* Take the timer at position i out of the heap. */
static void heap_remove(struct loop *l, size_t i)
{
	struct loop_timer *last = l->heap[--l->ntimers];

	l->heap[i]->index = TIMER_OUT;
	if (i == l->ntimers)
		return;
	heap_set(l, i, last);
	if (i > 0 && timer_before(last, l->heap[(i - 1) / 2]))
		heap_up(l, i);
	else
		heap_down(l, i);
}

/* Room in the heap for one more timer. */
static int heap_reserve(struct loop *l)
{
	size_t cap = l->cap_timers ? l->cap_timers * 2 : 64;
	struct loop_timer **heap;

	if (l->ntimers < l->cap_timers)
		return 0;
	heap = realloc(l->heap, cap * sizeof(*heap));
	if (!heap)
		return -1;
	l->heap = heap;
	l->cap_timers = cap;
	return 0;
}

/* Set t to fire ms after loop_now() and put it in the heap. */
static void timer_arm(struct loop *l, struct loop_timer *t, uint64_t ms)
{
	t->deadline = ms > UINT64_MAX - l->now ? UINT64_MAX : l->now + ms;
	t->seq = l->timer_seq++;
	heap_set(l, l->ntimers++, t);
	heap_up(l, t->index);
}

/* A one-shot timer ms milliseconds after loop_now(). */
struct loop_timer *loop_timer_add(struct loop *l, uint64_t ms, loop_timer_cb *cb, void *arg)
{
	struct loop_timer *t;

	if (!cb) {
		errno = EINVAL;
		return NULL;
	}
	if (heap_reserve(l) < 0)
		return NULL;
	t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	timer_arm(l, t, ms);
	return t;
}

/*
 * Move a timer to ms after loop_now(), without freeing it: the cheap way
 * to push an idle timeout back.  From its own callback it arms it again.
 */
int loop_timer_rearm(struct loop *l, struct loop_timer *t, uint64_t ms)
{
	if (t->index != TIMER_OUT)
		heap_remove(l, t->index);
	else if (heap_reserve(l) < 0)
		return -1;
	timer_arm(l, t, ms);
	return 0;
}

/*
 * Cancel a pending timer and free it.  The timer whose callback runs is
 * only taken out of the heap (if re-armed): timers_run frees it.
 */
void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (!t)
		return;
	if (t->index != TIMER_OUT)
		heap_remove(l, t->index);
	if (t != l->firing)
		free(t);
}

/*
 * Fire the timers due at loop_now().  Timers added or re-armed meanwhile
 * (even with 0 ms) wait for the next round, so a timer re-arming itself
 * cannot spin.  A timer still out of the heap after its callback is freed.
 */
static int timers_run(struct loop *l)
{
	uint64_t seq_limit = l->timer_seq;
	int n = 0;

	while (l->ntimers) {
		struct loop_timer *t = l->heap[0];

		if (t->deadline > l->now || t->seq >= seq_limit)
			break;
		heap_remove(l, 0);
		l->firing = t;
		t->cb(l, t->arg);
		l->firing = NULL;
		if (t->index == TIMER_OUT)
			free(t);
		n++;
	}
	return n;
}

/* How long the backend may wait: until the next timer, at most max_ms. */
static int wait_timeout(const struct loop *l, int max_ms)
{
	uint64_t left;

	if (!l->ntimers)
		return max_ms;
	if (l->heap[0]->deadline <= l->now)
		return 0;
	left = l->heap[0]->deadline - l->now;
	if (max_ms >= 0 && left > (uint64_t)max_ms)
		return max_ms;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* One round: wait, then ready fds, then due timers.  Dispatched count. */
int loop_run_once(struct loop *l, int max_ms)
{
	int n, timeout;

	l->now = clock_ms();
	timeout = l->stop ? 0 : wait_timeout(l, max_ms);
	l->nfired = 0;
	n = l->be->wait(l->st, l, timeout, fired_report);
	l->now = clock_ms();
	if (n < 0) {
		l->nfired = 0;
		return -1;
	}
	n = fired_dispatch(l);
	return n + timers_run(l);
}

/* Run rounds until loop_stop(); the stop request is consumed on return. */
int loop_run(struct loop *l)
{
	int rc = 0;

	while (!l->stop) {
		if (loop_run_once(l, -1) < 0) {
			rc = -1;
			break;
		}
	}
	l->stop = 0;
	return rc;
}

/*
 * Signals.  Per signal, the process remembers which loop's pipe the
 * handler writes to and which process registered it.  After fork() the
 * child inherits both; until the child registers the signal on its own
 * loop, the handler sees the pid differ and lets the signal take its
 * default action instead of writing into the parent's pipe.
 */
static volatile sig_atomic_t sig_wfd1[NSIG]; /**< write fd + 1; 0: none */
static volatile sig_atomic_t sig_pid[NSIG];  /**< process that set it */
static struct loop *sig_loop[NSIG];          /**< loop that set it */

/* The handler: only write the signal number to the loop's pipe. */
static void signal_handler(int signo)
{
	int saved = errno;
	int wfd = sig_wfd1[signo] - 1;

	if (wfd >= 0 && sig_pid[signo] == getpid()) {
		unsigned char byte = (unsigned char)signo;
		ssize_t rc = write(wfd, &byte, 1); /* full pipe: already woken */

		(void)rc;
	} else {
		struct sigaction sa = { .sa_handler = SIG_DFL };

		sigaction(signo, &sa, NULL);
		raise(signo);
	}
	errno = saved;
}

/* The self-pipe is readable: drain it and run each signal's callback. */
static void signal_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	unsigned char buf[64];
	ssize_t n;

	do {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			const struct loop_sig *s = &l->sigs[buf[i] < NSIG ? buf[i] : 0];

			if (s->cb)
				s->cb(l, buf[i], s->arg);
		}
	} while (n == (ssize_t)sizeof(buf) || (n < 0 && errno == EINTR));
}

/* Create and watch the loop's self-pipe, once. */
static int signal_pipe_open(struct loop *l)
{
	if (l->sig_pipe[0] >= 0)
		return 0;
	if (pipe2(l->sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	if (loop_add(l, l->sig_pipe[0], LOOP_IN, signal_readable, NULL) < 0)
		goto close_pipe;
	return 0;

close_pipe:
	close(l->sig_pipe[0]);
	close(l->sig_pipe[1]);
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
	return -1;
}

/*
 * Point signo at loop l (l NULL: at nobody) and install handler, with
 * signo blocked so the handler never sees a half-made change.
 */
static int signal_route(struct loop *l, int signo, void (*handler)(int))
{
	struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_RESTART };
	sigset_t block, old;
	int rc;

	sigfillset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, signo);
	sigprocmask(SIG_BLOCK, &block, &old);
	sig_wfd1[signo] = l ? l->sig_pipe[1] + 1 : 0;
	sig_pid[signo] = getpid();
	sig_loop[signo] = l;
	rc = sigaction(signo, &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Deliver signo through the loop (see loop.h); cb NULL restores SIG_DFL. */
int loop_signal(struct loop *l, int signo, loop_signal_cb *cb, void *arg)
{
	if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP) {
		errno = EINVAL;
		return -1;
	}
	if (!cb) {
		l->sigs[signo].cb = NULL;
		l->sigs[signo].arg = NULL;
		if (sig_loop[signo] != l)
			return 0;
		return signal_route(NULL, signo, SIG_DFL);
	}
	if (signal_pipe_open(l) < 0)
		return -1;
	l->sigs[signo].cb = cb;
	l->sigs[signo].arg = arg;
	if (signal_route(l, signo, signal_handler) < 0) {
		l->sigs[signo].cb = NULL;
		return -1;
	}
	return 0;
}

/* loop_free's part: give back the signals routed to l, close its pipe. */
static void loop_signals_release(struct loop *l)
{
	for (int signo = 1; signo < NSIG; signo++)
		if (sig_loop[signo] == l)
			signal_route(NULL, signo, SIG_DFL);
	if (l->sig_pipe[0] < 0)
		return;
	close(l->sig_pipe[0]);
	close(l->sig_pipe[1]);
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
}
