/*
 * test_loop.c - the event loop, run once per backend (loop_backend_names()).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* pipe2 */
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"

/* The backend of the current loop test (_i indexes the names). */
static const char *backend_at(int i)
{
	return loop_backend_names()[i];
}

/* A new loop on backend i, checked. */
static struct loop *loop_at(int i)
{
	struct loop *l = loop_new(backend_at(i));

	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(loop_backend_name(l), backend_at(i));
	return l;
}

/* A pipe, both ends O_CLOEXEC, checked. */
static void pipe_open(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
}

static void pipe_close(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/** What a callback saw. */
struct seen {
	int calls;
	int fd;
	unsigned events;
};

/* Record an fd event. */
static void on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->fd = fd;
	s->events = events;
}

START_TEST(test_backend_names)
{
	const char *const *names = loop_backend_names();
	struct loop *l;
	int n = 0;

	for (; names[n]; n++)
		;
	ck_assert_int_ge(n, 2);
#ifdef __linux__
	ck_assert_str_eq(names[0], "epoll");
#endif
	unsetenv("SUPERD_EVENT_BACKEND");
	l = loop_new(NULL);
	ck_assert_str_eq(loop_backend_name(l), names[0]);
	loop_free(l);
	setenv("SUPERD_EVENT_BACKEND", "select", 1);
	l = loop_new(NULL);
	ck_assert_str_eq(loop_backend_name(l), "select");
	loop_free(l);
	l = loop_new("poll");
	ck_assert_str_eq(loop_backend_name(l), "poll");
	loop_free(l);
	errno = 0;
	ck_assert_ptr_null(loop_new("kqueue-nope"));
	ck_assert_int_eq(errno, EINVAL);
	setenv("SUPERD_EVENT_BACKEND", "bogus", 1);
	ck_assert_ptr_null(loop_new(NULL));
	ck_assert_int_eq(errno, EINVAL);
	unsetenv("SUPERD_EVENT_BACKEND");
}
END_TEST

START_TEST(test_pipe_readable)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	int p[2];

	pipe_open(p);
	ck_assert_int_eq(loop_add(l, p[0], LOOP_IN, on_fd, &s), 0);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	ck_assert_int_eq(s.calls, 0);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.fd, p[0]);
	ck_assert_uint_eq(s.events & (LOOP_IN | LOOP_OUT), LOOP_IN);
	/* Level-triggered: still readable until read. */
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(s.calls, 2);
	/* A second add of the same fd is refused. */
	ck_assert_int_eq(loop_add(l, p[0], LOOP_IN, on_fd, &s), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(loop_del(l, p[0]), 0);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	ck_assert_int_eq(s.calls, 2);
	ck_assert_int_eq(loop_del(l, p[0]), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(loop_mod(l, p[0], LOOP_IN), -1);
	ck_assert_int_eq(errno, ENOENT);
	pipe_close(p);
	loop_free(l);
}
END_TEST

START_TEST(test_socketpair_mod)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	char c;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(loop_add(l, sv[0], LOOP_OUT, on_fd, &s), 0);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_uint_eq(s.events, LOOP_OUT);
	/* Watched for nothing: registered, silent. */
	ck_assert_int_eq(loop_mod(l, sv[0], 0), 0);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	ck_assert_int_eq(loop_mod(l, sv[0], LOOP_IN), 0);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	ck_assert_int_eq(write(sv[1], "y", 1), 1);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_uint_eq(s.events, LOOP_IN);
	ck_assert_int_eq(loop_mod(l, sv[0], LOOP_IN | LOOP_OUT), 0);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_uint_eq(s.events, LOOP_IN | LOOP_OUT);
	ck_assert_int_eq(read(sv[0], &c, 1), 1);
	ck_assert_int_eq(loop_mod(l, sv[0], LOOP_IN), 0);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	ck_assert_int_eq(s.calls, 3);
	ck_assert_int_eq(loop_del(l, sv[0]), 0);
	close(sv[0]);
	close(sv[1]);
	loop_free(l);
}
END_TEST

/*
 * Peer closed: a reader sees LOOP_IN (and reads EOF); backends that know
 * hang-ups add LOOP_ERR.  Watched for nothing, the hang-up is silent.
 */
START_TEST(test_hangup)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(loop_add(l, sv[0], LOOP_IN, on_fd, &s), 0);
	close(sv[1]);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert(s.events & LOOP_IN);
	ck_assert(!(s.events & LOOP_OUT));
	if (strcmp(backend_at(_i), "select") != 0)
		ck_assert(s.events & LOOP_ERR);
	ck_assert_int_eq(loop_mod(l, sv[0], 0), 0);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	ck_assert_int_eq(s.calls, 1);
	close(sv[0]);
	loop_free(l);
}
END_TEST

/* A writer whose reader went away sees LOOP_OUT (its write fails), no IN. */
START_TEST(test_broken_pipe_writer)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	int p[2];

	pipe_open(p);
	ck_assert_int_eq(loop_add(l, p[1], LOOP_OUT, on_fd, &s), 0);
	close(p[0]);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert(s.events & LOOP_OUT);
	ck_assert(!(s.events & LOOP_IN));
	if (strcmp(backend_at(_i), "select") != 0)
		ck_assert(s.events & LOOP_ERR);
	ck_assert_int_eq(loop_del(l, p[1]), 0);
	close(p[1]);
	loop_free(l);
}
END_TEST

/* Deleting an fd that was closed first still forgets it. */
START_TEST(test_del_after_close)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	int p[2], sv[2];

	pipe_open(p);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(loop_add(l, p[0], LOOP_IN, on_fd, &s), 0);
	close(p[0]);
	ck_assert_int_eq(loop_del(l, p[0]), 0);
	/* The number can be watched again once reused. */
	ck_assert_int_eq(dup2(sv[0], p[0]), p[0]);
	ck_assert_int_eq(loop_add(l, p[0], LOOP_OUT, on_fd, &s), 0);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_uint_eq(s.events, LOOP_OUT);
	ck_assert_int_eq(loop_del(l, p[0]), 0);
	pipe_close(p);
	close(sv[0]);
	close(sv[1]);
	loop_free(l);
}
END_TEST

/*
 * A watched fd closed before loop_del does not break the loop: poll and
 * select report it as an error to its owner; epoll has forgotten it.
 */
START_TEST(test_closed_without_del)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 }, other = { 0 };
	int p[2], q[2];

	pipe_open(p);
	pipe_open(q);
	ck_assert_int_eq(loop_add(l, p[0], LOOP_IN, on_fd, &s), 0);
	ck_assert_int_eq(loop_add(l, q[1], LOOP_OUT, on_fd, &other), 0);
	close(p[0]);
	ck_assert_int_ge(loop_run_once(l, 100), 1);
	if (strcmp(backend_at(_i), "epoll") != 0) {
		ck_assert_int_eq(s.calls, 1);
		ck_assert(s.events & LOOP_ERR);
		ck_assert(s.events & LOOP_IN);
	}
	ck_assert_int_eq(loop_del(l, p[0]), 0);
	ck_assert_int_eq(loop_run_once(l, 100), 1);
	ck_assert_int_ge(other.calls, 1);
	ck_assert_int_eq(s.calls, strcmp(backend_at(_i), "epoll") != 0);
	close(p[1]);
	pipe_close(q);
	loop_free(l);
}
END_TEST

/** Two readable pipes whose callbacks interfere with each other. */
struct pair {
	int p[2][2];
	int calls[2];
	int reused_fd;          /**< fd number given to the newcomer */
	struct seen newcomer;
	int reuse;              /**< 1: re-register the deleted fd number */
};

/* The first pipe to fire deletes and closes the other (maybe reusing it). */
static void on_pair(struct loop *l, int fd, unsigned events, void *arg)
{
	struct pair *pr = arg;
	int me = fd == pr->p[1][0];
	int other = pr->p[!me][0];

	pr->calls[me]++;
	if (pr->calls[0] + pr->calls[1] > 1)
		return;
	ck_assert_int_eq(loop_del(l, other), 0);
	close(other);
	if (!pr->reuse)
		return;
	/* Same number, new owner, already readable. */
	ck_assert_int_eq(dup2(pr->p[me][0], other), other);
	pr->reused_fd = other;
	ck_assert_int_eq(loop_add(l, other, LOOP_IN, on_fd, &pr->newcomer), 0);
}

/* Set up two readable pipes watched by on_pair. */
static void pair_open(struct loop *l, struct pair *pr, int reuse)
{
	memset(pr, 0, sizeof(*pr));
	pr->reuse = reuse;
	for (int k = 0; k < 2; k++) {
		pipe_open(pr->p[k]);
		ck_assert_int_eq(write(pr->p[k][1], "z", 1), 1);
		ck_assert_int_eq(loop_add(l, pr->p[k][0], LOOP_IN, on_pair, pr), 0);
	}
}

START_TEST(test_delete_during_dispatch)
{
	struct loop *l = loop_at(_i);
	struct pair pr;

	pair_open(l, &pr, 0);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(pr.calls[0] + pr.calls[1], 1);
	close(pr.p[0][1]);
	close(pr.p[1][1]);
	close(pr.p[pr.calls[0] ? 0 : 1][0]);
	loop_free(l);
}
END_TEST

START_TEST(test_fd_reuse_during_dispatch)
{
	struct loop *l = loop_at(_i);
	struct pair pr;

	pair_open(l, &pr, 1);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(pr.calls[0] + pr.calls[1], 1);
	/* The old event for that number did not reach the newcomer... */
	ck_assert_int_eq(pr.newcomer.calls, 0);
	/* ...which gets its own event next round. */
	ck_assert_int_ge(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(pr.newcomer.calls, 1);
	ck_assert_int_eq(pr.newcomer.fd, pr.reused_fd);
	ck_assert_int_eq(pr.calls[0] + pr.calls[1], 2);
	close(pr.p[0][1]);
	close(pr.p[1][1]);
	close(pr.p[0][0]);
	close(pr.p[1][0]);
	loop_free(l);
}
END_TEST

/* select refuses fds >= FD_SETSIZE; the others take them. */
START_TEST(test_high_fd)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	struct rlimit rl;
	int p[2], high = FD_SETSIZE + 10;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= (rlim_t)high) {
		loop_free(l);
		return; /* hard limit too low to make such an fd here */
	}
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? (rlim_t)high + 1 : rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	pipe_open(p);
	ck_assert_int_eq(dup2(p[0], high), high);
	if (strcmp(backend_at(_i), "select") == 0) {
		errno = 0;
		ck_assert_int_eq(loop_add(l, high, LOOP_IN, on_fd, &s), -1);
		ck_assert_int_eq(errno, EMFILE);
		ck_assert_int_eq(loop_add(l, FD_SETSIZE, LOOP_IN, on_fd, &s), -1);
		ck_assert_int_eq(errno, EMFILE);
	} else {
		ck_assert_int_eq(loop_add(l, high, LOOP_IN, on_fd, &s), 0);
		ck_assert_int_eq(write(p[1], "h", 1), 1);
		ck_assert_int_eq(loop_run_once(l, 1000), 1);
		ck_assert_int_eq(s.fd, high);
		ck_assert_int_eq(loop_del(l, high), 0);
	}
	close(high);
	pipe_close(p);
	loop_free(l);
}
END_TEST

/* A listening socket added with LOOP_EXCLUSIVE works and can be modified. */
START_TEST(test_exclusive)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(loop_add(l, sv[0], LOOP_IN | LOOP_EXCLUSIVE, on_fd, &s), 0);
	ck_assert_int_eq(write(sv[1], "e", 1), 1);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_uint_eq(s.events, LOOP_IN);
	ck_assert_int_eq(loop_mod(l, sv[0], 0), 0);
	ck_assert_int_eq(loop_run_once(l, 0), 0);
	ck_assert_int_eq(loop_mod(l, sv[0], LOOP_IN), 0);
	ck_assert_int_eq(loop_mod(l, sv[0], LOOP_IN | LOOP_OUT), 0);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_uint_eq(s.events, LOOP_IN | LOOP_OUT);
	ck_assert_int_eq(loop_del(l, sv[0]), 0);
	close(sv[0]);
	close(sv[1]);
	loop_free(l);
}
END_TEST

/** Timers firing into an ordered log. */
struct tlog {
	struct loop *l;
	int order[16];
	int n;
	struct loop_timer *victim;  /**< cancelled by the timer tagged 100 */
	struct loop_timer *self;    /**< the timer tagged 200 cancels itself */
};

/** One timer's tag and log. */
struct tag {
	struct tlog *log;
	int id;
};

/* Log the tag; some tags cancel timers. */
static void on_timer(struct loop *l, void *arg)
{
	struct tag *t = arg;

	t->log->order[t->log->n++] = t->id;
	if (t->id == 100)
		loop_timer_cancel(l, t->log->victim);
	if (t->id == 200)
		loop_timer_cancel(l, t->log->self);
}

/* Run until no timer is left, bounded. */
static void run_timers(struct loop *l, int *done, int want)
{
	for (int round = 0; *done < want && round < 1000; round++)
		ck_assert_int_ge(loop_run_once(l, 1000), 0);
}

START_TEST(test_timer_order)
{
	struct loop *l = loop_at(_i);
	struct tlog log = { .l = l };
	struct tag tags[5];
	static const int ms[5] = { 30, 10, 20, 0, 10 };
	uint64_t start = loop_now(l);

	for (int k = 0; k < 5; k++) {
		tags[k] = (struct tag){ &log, k };
		ck_assert_ptr_nonnull(loop_timer_add(l, ms[k], on_timer, &tags[k]));
	}
	run_timers(l, &log.n, 5);
	ck_assert_int_eq(log.n, 5);
	/* By deadline; equal deadlines in the order they were added. */
	ck_assert_int_eq(log.order[0], 3);
	ck_assert_int_eq(log.order[1], 1);
	ck_assert_int_eq(log.order[2], 4);
	ck_assert_int_eq(log.order[3], 2);
	ck_assert_int_eq(log.order[4], 0);
	ck_assert_uint_ge(loop_now(l) - start, 30);
	loop_free(l);
}
END_TEST

START_TEST(test_timer_cancel)
{
	struct loop *l = loop_at(_i);
	struct tlog log = { .l = l };
	struct tag canceller = { &log, 100 }, victim = { &log, 1 };
	struct tag self = { &log, 200 }, gone = { &log, 2 }, last = { &log, 3 };
	struct loop_timer *t;

	/* Cancelled before it is due. */
	t = loop_timer_add(l, 5, on_timer, &gone);
	loop_timer_cancel(l, t);
	loop_timer_cancel(l, NULL);
	/* Due in the same round as its canceller, but after it. */
	ck_assert_ptr_nonnull(loop_timer_add(l, 10, on_timer, &canceller));
	log.victim = loop_timer_add(l, 10, on_timer, &victim);
	/* Cancels itself from its own callback. */
	log.self = loop_timer_add(l, 15, on_timer, &self);
	ck_assert_ptr_nonnull(loop_timer_add(l, 20, on_timer, &last));
	run_timers(l, &log.n, 3);
	ck_assert_int_eq(loop_run_once(l, 40), 0);
	ck_assert_int_eq(log.n, 3);
	ck_assert_int_eq(log.order[0], 100);
	ck_assert_int_eq(log.order[1], 200);
	ck_assert_int_eq(log.order[2], 3);
	loop_free(l);
}
END_TEST

/** A timer that re-arms itself a few times. */
struct periodic {
	struct loop_timer *t;
	int fired;
	int times;          /**< re-arm until fired reaches this */
	int cancel_after;   /**< re-arm, then cancel, at this count (0: never) */
};

/* Re-arm from the timer's own callback; maybe cancel right after. */
static void on_periodic(struct loop *l, void *arg)
{
	struct periodic *p = arg;

	p->fired++;
	if (p->fired < p->times)
		ck_assert_int_eq(loop_timer_rearm(l, p->t, 5), 0);
	if (p->fired == p->cancel_after)
		loop_timer_cancel(l, p->t);
}

START_TEST(test_timer_rearm)
{
	struct loop *l = loop_at(_i);
	struct tlog log = { .l = l };
	struct tag early = { &log, 1 }, pushed = { &log, 2 };
	struct periodic p = { .times = 3 }, q = { .times = 10, .cancel_after = 2 };
	struct loop_timer *t;

	/* Pushed back past a timer that was due after it. */
	t = loop_timer_add(l, 10, on_timer, &pushed);
	ck_assert_ptr_nonnull(loop_timer_add(l, 30, on_timer, &early));
	ck_assert_int_eq(loop_timer_rearm(l, t, 60), 0);
	p.t = loop_timer_add(l, 5, on_periodic, &p);
	q.t = loop_timer_add(l, 5, on_periodic, &q);
	run_timers(l, &log.n, 2);
	ck_assert_int_eq(log.order[0], 1);
	ck_assert_int_eq(log.order[1], 2);
	/* A loop kept off the CPU for 25 ms can see 60 ms come before p's
	 * third 5 ms round: wait for the rounds, not for a time. */
	run_timers(l, &p.fired, 3);
	run_timers(l, &q.fired, 2);
	ck_assert_int_eq(p.fired, 3);
	ck_assert_int_eq(q.fired, 2);
	ck_assert_int_eq(loop_run_once(l, 30), 0);
	ck_assert_int_eq(p.fired, 3);
	ck_assert_int_eq(q.fired, 2);
	loop_free(l);
}
END_TEST

/** Many timers: counts and the last deadline seen. */
struct many {
	int fired;
	uint64_t last;
	int out_of_order;
};

/* A timer of the many: check that deadlines never go backwards. */
static void on_many(struct loop *l, void *arg)
{
	struct many *m = arg;

	m->fired++;
	if (loop_now(l) < m->last)
		m->out_of_order++;
	m->last = loop_now(l);
}

START_TEST(test_many_timers)
{
	enum { N = 50000 };
	struct loop *l = loop_at(_i);
	struct loop_timer **t = malloc(N * sizeof(*t));
	struct many m = { 0 };

	ck_assert_ptr_nonnull(t);
	srand(7);
	for (int k = 0; k < N; k++) {
		t[k] = loop_timer_add(l, (uint64_t)(rand() % 60) + 1, on_many, &m);
		ck_assert_ptr_nonnull(t[k]);
	}
	/* Cancel every other one, from the middle of the heap outward. */
	for (int k = 0; k < N; k += 2)
		loop_timer_cancel(l, t[k]);
	/* Idle timeouts far away stay pending and cost nothing. */
	for (int k = 0; k < N; k += 2)
		t[k] = loop_timer_add(l, 3600 * 1000, on_many, &m);
	run_timers(l, &m.fired, N / 2);
	ck_assert_int_eq(m.fired, N / 2);
	ck_assert_int_eq(m.out_of_order, 0);
	free(t);
	loop_free(l); /* frees the pending ones */
}
END_TEST

/* A timer that stops the loop. */
static void on_stop(struct loop *l, void *arg)
{
	++*(int *)arg;
	loop_stop(l);
}

/* A timer that re-arms itself at 0 ms: must not spin within one round. */
static void on_rearm(struct loop *l, void *arg)
{
	++*(int *)arg;
	ck_assert_ptr_nonnull(loop_timer_add(l, 0, on_rearm, arg));
}

START_TEST(test_stop_and_rearm)
{
	struct loop *l = loop_at(_i);
	int stops = 0, rearms = 0;

	ck_assert_ptr_nonnull(loop_timer_add(l, 0, on_rearm, &rearms));
	ck_assert_int_eq(loop_run_once(l, 0), 1);
	ck_assert_int_eq(rearms, 1);
	ck_assert_ptr_nonnull(loop_timer_add(l, 20, on_stop, &stops));
	ck_assert_int_eq(loop_run(l), 0);
	ck_assert_int_eq(stops, 1);
	ck_assert_int_gt(rearms, 1);
	/* The stop request was consumed: the loop can run again. */
	ck_assert_ptr_nonnull(loop_timer_add(l, 5, on_stop, &stops));
	ck_assert_int_eq(loop_run(l), 0);
	ck_assert_int_eq(stops, 2);
	loop_free(l);
}
END_TEST

START_TEST(test_wait_bounded)
{
	struct loop *l = loop_at(_i);
	uint64_t start = loop_now(l);

	ck_assert_int_eq(loop_run_once(l, 50), 0);
	ck_assert_uint_ge(loop_now(l) - start, 45);
	ck_assert_uint_lt(loop_now(l) - start, 1000);
	loop_free(l);
}
END_TEST

/* Record a signal. */
static void on_signal(struct loop *l, int signo, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	s->fd = signo;
}

/* How many fds this process has open. */
static int fds_open(void)
{
	int n = 0;

	for (int fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

START_TEST(test_signal)
{
	int before = fds_open();
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	struct sigaction sa;

	ck_assert_int_eq(loop_signal(l, SIGUSR1, on_signal, &s), 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_ge(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(s.calls, 2);
	ck_assert_int_eq(s.fd, SIGUSR1);
	/* Back to the default disposition. */
	ck_assert_int_eq(loop_signal(l, SIGUSR1, NULL, NULL), 0);
	ck_assert_int_eq(sigaction(SIGUSR1, NULL, &sa), 0);
	ck_assert_ptr_eq(sa.sa_handler, SIG_DFL);
	ck_assert_int_eq(loop_signal(l, SIGKILL, on_signal, &s), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(loop_signal(l, 0, on_signal, &s), -1);
	/* loop_free gives the signal back. */
	ck_assert_int_eq(loop_signal(l, SIGUSR2, on_signal, &s), 0);
	loop_free(l);
	ck_assert_int_eq(sigaction(SIGUSR2, NULL, &sa), 0);
	ck_assert_ptr_eq(sa.sa_handler, SIG_DFL);
	/* The backend's fd and the self-pipe are closed. */
	ck_assert_int_eq(fds_open(), before);
}
END_TEST

/* A signal arriving while the loop waits wakes it (EINTR is no error). */
START_TEST(test_signal_wakes_wait)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };

	ck_assert_int_eq(loop_signal(l, SIGALRM, on_signal, &s), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	for (int round = 0; !s.calls && round < 10; round++)
		ck_assert_int_ge(loop_run_once(l, 2000), 0);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.fd, SIGALRM);
	loop_free(l);
}
END_TEST

/*
 * The child of a fork: with its own loop and SIGUSR2 registered there,
 * wait for that signal; exit 0 if it arrived exactly once.
 */
static void child_with_own_loop(struct loop *parent_loop, int ready)
{
	struct seen s = { 0 };
	struct loop *l = loop_new(NULL);

	if (!l || loop_signal(l, SIGUSR2, on_signal, &s) < 0)
		_exit(2);
	loop_free(parent_loop); /* must not disturb the parent */
	if (write(ready, "r", 1) != 1)
		_exit(2);
	for (int round = 0; !s.calls && round < 50; round++)
		if (loop_run_once(l, 100) < 0)
			_exit(2);
	loop_free(l);
	_exit(s.calls == 1 && s.fd == SIGUSR2 ? 0 : 1);
}

/* Fork; run child(arg, ready fd) in the child; wait for its ready byte. */
static pid_t fork_ready(struct loop *l, void (*child)(struct loop *, int))
{
	int p[2];
	pid_t pid;
	char c;

	pipe_open(p);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		child(l, p[1]);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

/* A child that registers nothing: it just waits to be killed. */
static void child_without_loop(struct loop *parent_loop, int ready)
{
	if (write(ready, "r", 1) != 1)
		_exit(2);
	for (int k = 0; k < 50; k++)
		usleep(100000);
	_exit(3);
}

START_TEST(test_signal_after_fork)
{
	struct loop *l = loop_at(_i);
	struct seen s = { 0 };
	int status;
	pid_t pid;

	ck_assert_int_eq(loop_signal(l, SIGUSR2, on_signal, &s), 0);
	ck_assert_int_eq(loop_signal(l, SIGTERM, on_signal, &s), 0);

	/* The child's own loop gets the child's signal. */
	pid = fork_ready(l, child_with_own_loop);
	ck_assert_int_eq(kill(pid, SIGUSR2), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	/* A child without a loop of its own takes the default action, and
	   nothing reaches the parent's pipe. */
	pid = fork_ready(l, child_without_loop);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGTERM);

	ck_assert_int_eq(loop_run_once(l, 50), 0);
	ck_assert_int_eq(s.calls, 0);
	/* The parent's own signals still arrive. */
	ck_assert_int_eq(raise(SIGUSR2), 0);
	ck_assert_int_eq(loop_run_once(l, 1000), 1);
	ck_assert_int_eq(s.calls, 1);
	loop_free(l);
}
END_TEST

/* Every test but the first runs once per backend. */
static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("backends");
	int n = 0;

	while (loop_backend_names()[n])
		n++;
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_backend_names);
	tcase_add_loop_test(tc, test_pipe_readable, 0, n);
	tcase_add_loop_test(tc, test_socketpair_mod, 0, n);
	tcase_add_loop_test(tc, test_hangup, 0, n);
	tcase_add_loop_test(tc, test_broken_pipe_writer, 0, n);
	tcase_add_loop_test(tc, test_del_after_close, 0, n);
	tcase_add_loop_test(tc, test_closed_without_del, 0, n);
	tcase_add_loop_test(tc, test_delete_during_dispatch, 0, n);
	tcase_add_loop_test(tc, test_fd_reuse_during_dispatch, 0, n);
	tcase_add_loop_test(tc, test_high_fd, 0, n);
	tcase_add_loop_test(tc, test_exclusive, 0, n);
	tcase_add_loop_test(tc, test_timer_order, 0, n);
	tcase_add_loop_test(tc, test_timer_cancel, 0, n);
	tcase_add_loop_test(tc, test_timer_rearm, 0, n);
	tcase_add_loop_test(tc, test_many_timers, 0, n);
	tcase_add_loop_test(tc, test_stop_and_rearm, 0, n);
	tcase_add_loop_test(tc, test_wait_bounded, 0, n);
	tcase_add_loop_test(tc, test_signal, 0, n);
	tcase_add_loop_test(tc, test_signal_wakes_wait, 0, n);
	tcase_add_loop_test(tc, test_signal_after_fork, 0, n);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
