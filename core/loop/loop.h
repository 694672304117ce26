/*
 * loop.h - the event loop: fd readiness, timers, signals.
 *
 * One small interface over three backends (select, poll, epoll), chosen at
 * run time.  The generic part (loop.c) owns timers and the signal self-pipe;
 * each backend (loop_select.c, loop_poll.c, loop_epoll.c) only implements
 * struct loop_backend.  EINTR from the wait call means "no events".
 */
#ifndef SUPERD_LOOP_H
#define SUPERD_LOOP_H

#include <stddef.h>
#include <stdint.h>

#define LOOP_IN 0x1u  /**< readable */
#define LOOP_OUT 0x2u /**< writable */
/**
 * Error or hang-up: never requested, always reported, together with the
 * LOOP_IN/LOOP_OUT bits the fd is watched for (a reader then reads EOF or
 * the error).  select cannot tell: there it is plain readiness.
 */
#define LOOP_ERR 0x4u
/**
 * For loop_add only: a listening socket shared by several worker processes.
 * epoll wakes one of the waiting processes instead of all of them
 * (EPOLLEXCLUSIVE, Linux 4.5; added without it on an older kernel); select
 * and poll ignore it.  loop_mod keeps it for that fd.
 */
#define LOOP_EXCLUSIVE 0x8u

struct loop;
struct loop_timer;

typedef void loop_fd_cb(struct loop *l, int fd, unsigned events, void *arg);
typedef void loop_timer_cb(struct loop *l, void *arg);
typedef void loop_signal_cb(struct loop *l, int signo, void *arg);

/**
 * A backend.  Every field is required.  The generic loop guarantees: add is
 * called once per fd before mod/del, del once after; fds are < the limit
 * given by max_fd (select: FD_SETSIZE).
 */
struct loop_backend {
	const char *name;                     /**< "select", "poll", "epoll" */
	int max_fd;                           /**< highest fd + 1 it can take, or 0 for no limit */
	void *(*init)(void);                  /**< backend state, NULL + errno */
	int (*add)(void *st, int fd, unsigned events);
	int (*mod)(void *st, int fd, unsigned old_events, unsigned events);
	int (*del)(void *st, int fd, unsigned old_events);
	/**
	 * Wait up to timeout_ms (-1: forever); call report(l, fd, events) for
	 * each ready fd; return the number reported, 0 on timeout or EINTR,
	 * -1 on a real error.
	 */
	int (*wait)(void *st, struct loop *l, int timeout_ms,
	            void (*report)(struct loop *l, int fd, unsigned events));
	void (*free)(void *st);
};

/** The backends (for loop.c and the backend files). */
extern const struct loop_backend loop_backend_select;
extern const struct loop_backend loop_backend_poll;
extern const struct loop_backend loop_backend_epoll; /**< Linux only */

/** Names of the backends built in, NULL-terminated; the first is the default. */
const char *const *loop_backend_names(void);
/**
 * New loop with backend name (NULL: $SUPERD_EVENT_BACKEND if set, else the
 * default).  NULL with errno set (EINVAL: unknown name).
 */
struct loop *loop_new(const char *backend);
void loop_free(struct loop *l);
const char *loop_backend_name(const struct loop *l);

/**
 * Watch fd (level-triggered).  -1 with errno EMFILE when the backend cannot
 * take fd (select: fd >= FD_SETSIZE): the caller must refuse that
 * connection cleanly.  EEXIST: fd is watched already.  Call loop_del before
 * closing a watched fd (a forgotten one gets LOOP_ERR from poll and select
 * and nothing more from epoll; loop_del still works on it afterwards).
 */
int loop_add(struct loop *l, int fd, unsigned events, loop_fd_cb *cb, void *arg);
/** Change the events for fd (0: keep registered, report nothing, not even
    LOOP_ERR).  ENOENT: fd is not watched. */
int loop_mod(struct loop *l, int fd, unsigned events);
/** Stop watching fd.  Safe during dispatch: a later event for fd in the same
    round is not delivered, not even to a new watch of the same fd number. */
int loop_del(struct loop *l, int fd);

/**
 * One-shot timer ms milliseconds after loop_now() (CLOCK_MONOTONIC); NULL +
 * errno.  The loop frees it after its callback returns, so forget the
 * pointer then.  Timers due at the same time fire in the order added; one
 * added by a callback fires in a later round at the earliest.
 */
struct loop_timer *loop_timer_add(struct loop *l, uint64_t ms, loop_timer_cb *cb, void *arg);
/** Cancel a pending timer (NULL: nothing); safe from inside any callback,
    including the timer's own. */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
/**
 * Move a pending timer to ms after loop_now(), keeping the same pointer (no
 * allocation: the cheap way to push an idle timeout back).  From its own
 * callback it arms the timer again instead of letting it be freed.  0, or
 * -1 (ENOMEM, from its own callback only).
 */
int loop_timer_rearm(struct loop *l, struct loop_timer *t, uint64_t ms);

/**
 * Deliver signo through the loop (self-pipe): the handler only writes a
 * byte; cb runs in the loop.  Installing SIG_DFL again is loop_signal(..NULL);
 * loop_free does it for the loop's signals.  Per signal, the loop that
 * registered it last gets it.  After fork() a child must register the
 * signals it wants on its own new loop: until it does, a signal takes its
 * default action in the child (it never reaches the parent's pipe).
 * Freeing the parent's loop in the child does not disturb the parent.
 */
int loop_signal(struct loop *l, int signo, loop_signal_cb *cb, void *arg);

/** Monotonic milliseconds, cached when each wait returns. */
uint64_t loop_now(const struct loop *l);
/** Run one iteration, waiting at most max_ms (-1: until something happens):
    ready fds first, then due timers.  Callbacks run, or -1 (backend error). */
int loop_run_once(struct loop *l, int max_ms);
/** Run until loop_stop() (the request is consumed); 0, or -1 on a backend
    error. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
