/*
 * loop_epoll.c - the epoll backend (Linux; the default there).
 * Level-triggered.  An fd watched for nothing (events 0) is taken out of
 * the epoll set, so a hang-up on it cannot wake every wait.
 */
#ifdef __linux__
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

/* Events taken per epoll_wait; more wait for the next round. */
#define EPOLL_BATCH 512

struct epoll_state {
	int epfd;
	struct epoll_event ready[EPOLL_BATCH];
};

static void *epoll_init(void)
{
	struct epoll_state *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		free(s);
		return NULL;
	}
	return s;
}

static void epoll_free(void *st)
{
	struct epoll_state *s = st;

	close(s->epfd);
	free(s);
}

/* epoll_ctl for fd with our event bits. */
static int epoll_ctl_fd(struct epoll_state *s, int op, int fd, unsigned events)
{
	struct epoll_event ev = { .data.fd = fd };

	if (events & LOOP_IN)
		ev.events |= EPOLLIN;
	if (events & LOOP_OUT)
		ev.events |= EPOLLOUT;
	if (op == EPOLL_CTL_ADD && (events & LOOP_EXCLUSIVE)) {
		ev.events |= EPOLLEXCLUSIVE;
		if (epoll_ctl(s->epfd, op, fd, &ev) == 0)
			return 0;
		if (errno != EINVAL)
			return -1;
		ev.events &= ~(uint32_t)EPOLLEXCLUSIVE; /* before Linux 4.5 */
	}
	return epoll_ctl(s->epfd, op, fd, &ev);
}

/*
 * Change fd from old_events to events.  EPOLLEXCLUSIVE cannot be given to
 * EPOLL_CTL_MOD, so an exclusive fd is deleted and added again.
 */
static int epoll_mod(void *st, int fd, unsigned old_events, unsigned events)
{
	struct epoll_state *s = st;
	unsigned had = old_events & (LOOP_IN | LOOP_OUT);
	unsigned wants = events & (LOOP_IN | LOOP_OUT);

	if (!wants)
		return had ? epoll_ctl_fd(s, EPOLL_CTL_DEL, fd, 0) : 0;
	if (!had)
		return epoll_ctl_fd(s, EPOLL_CTL_ADD, fd, events);
	if (!(events & LOOP_EXCLUSIVE))
		return epoll_ctl_fd(s, EPOLL_CTL_MOD, fd, events);
	if (epoll_ctl_fd(s, EPOLL_CTL_DEL, fd, 0) < 0)
		return -1;
	return epoll_ctl_fd(s, EPOLL_CTL_ADD, fd, events);
}

static int epoll_add(void *st, int fd, unsigned events)
{
	return epoll_mod(st, fd, 0, events);
}

/*
 * Take fd out of the set.  EBADF/ENOENT mean it was closed first, which
 * already took it out.
 */
static int epoll_del(void *st, int fd, unsigned old_events)
{
	if (epoll_mod(st, fd, old_events, 0) < 0 && errno != EBADF &&
	    errno != ENOENT)
		return -1;
	return 0;
}

/* Translate epoll bits; an error or hang-up wakes readers and writers. */
static unsigned epoll_events(uint32_t revents)
{
	unsigned events = 0;

	if (revents & EPOLLIN)
		events |= LOOP_IN;
	if (revents & EPOLLOUT)
		events |= LOOP_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		events |= LOOP_ERR | LOOP_IN | LOOP_OUT;
	return events;
}

/* Wait for up to EPOLL_BATCH ready fds and report them. */
static int epoll_wait_ready(void *st, struct loop *l, int timeout_ms,
                            void (*report)(struct loop *l, int fd, unsigned events))
{
	struct epoll_state *s = st;
	int n = epoll_wait(s->epfd, s->ready, EPOLL_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++)
		report(l, s->ready[i].data.fd, epoll_events(s->ready[i].events));
	return n;
}

const struct loop_backend loop_backend_epoll = {
	.name = "epoll",
	.max_fd = 0,
	.init = epoll_init,
	.add = epoll_add,
	.mod = epoll_mod,
	.del = epoll_del,
	.wait = epoll_wait_ready,
	.free = epoll_free,
};
#endif
