/*
 * loop_poll.c - the poll() backend: no fd limit, O(n) per wait.
 * A dense pollfd array plus, per fd, its position in that array; an fd
 * watched for nothing (events 0) has no entry, so a hang-up on it cannot
 * make poll() return over and over.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"

struct poll_state {
	struct pollfd *pfds;    /**< the watched fds, dense */
	size_t npfds, cap_pfds;
	int *pos;               /**< per fd: index in pfds, or -1 */
	size_t npos;
};

static void *poll_init(void)
{
	return calloc(1, sizeof(struct poll_state));
}

static void poll_free(void *st)
{
	struct poll_state *s = st;

	free(s->pfds);
	free(s->pos);
	free(s);
}

/* Grow the arrays so fd and one more entry fit. */
static int poll_reserve(struct poll_state *s, int fd)
{
	if ((size_t)fd >= s->npos) {
		size_t n = s->npos ? s->npos : 64;
		int *pos;

		while (n <= (size_t)fd)
			n *= 2;
		pos = realloc(s->pos, n * sizeof(*pos));
		if (!pos)
			return -1;
		memset(pos + s->npos, 0xff, (n - s->npos) * sizeof(*pos));
		s->pos = pos;
		s->npos = n;
	}
	if (s->npfds == s->cap_pfds) {
		size_t n = s->cap_pfds ? s->cap_pfds * 2 : 64;
		struct pollfd *pfds = realloc(s->pfds, n * sizeof(*pfds));

		if (!pfds)
			return -1;
		s->pfds = pfds;
		s->cap_pfds = n;
	}
	return 0;
}

/* Make fd's entry ask for events: add, change or drop it. */
static int poll_mod(void *st, int fd, unsigned old_events, unsigned events)
{
	struct poll_state *s = st;
	short want = (short)((events & LOOP_IN ? POLLIN : 0) |
	                     (events & LOOP_OUT ? POLLOUT : 0));
	int i = (size_t)fd < s->npos ? s->pos[fd] : -1;

	if (!want) {
		if (i < 0)
			return 0;
		s->pfds[i] = s->pfds[--s->npfds];
		s->pos[s->pfds[i].fd] = i;
		s->pos[fd] = -1;
		return 0;
	}
	if (i < 0) {
		if (poll_reserve(s, fd) < 0)
			return -1;
		i = (int)s->npfds++;
		s->pos[fd] = i;
		s->pfds[i].fd = fd;
		s->pfds[i].revents = 0;
	}
	s->pfds[i].events = want;
	return 0;
}

static int poll_add(void *st, int fd, unsigned events)
{
	return poll_mod(st, fd, 0, events);
}

static int poll_del(void *st, int fd, unsigned old_events)
{
	return poll_mod(st, fd, old_events, 0);
}

/* Translate revents; an error or hang-up wakes both readers and writers. */
static unsigned poll_events(short revents)
{
	unsigned events = 0;

	if (revents & POLLIN)
		events |= LOOP_IN;
	if (revents & POLLOUT)
		events |= LOOP_OUT;
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		events |= LOOP_ERR | LOOP_IN | LOOP_OUT;
	return events;
}

/* Wait, then report every entry with revents. */
static int poll_wait(void *st, struct loop *l, int timeout_ms,
                     void (*report)(struct loop *l, int fd, unsigned events))
{
	struct poll_state *s = st;
	int n, reported = 0;

	n = poll(s->pfds, s->npfds, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (size_t i = 0; i < s->npfds && reported < n; i++) {
		if (!s->pfds[i].revents)
			continue;
		report(l, s->pfds[i].fd, poll_events(s->pfds[i].revents));
		reported++;
	}
	return reported;
}

const struct loop_backend loop_backend_poll = {
	.name = "poll",
	.max_fd = 0,
	.init = poll_init,
	.add = poll_add,
	.mod = poll_mod,
	.del = poll_del,
	.wait = poll_wait,
	.free = poll_free,
};
