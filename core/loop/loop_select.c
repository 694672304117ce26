/*
 * loop_select.c - the select() backend: the reference, built everywhere.
 * It never sees an fd >= FD_SETSIZE (max_fd makes loop_add refuse it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/select.h>

#include "loop.h"

struct select_state {
	fd_set rd, wr;      /**< what is watched */
	int maxfd;          /**< highest fd in rd or wr, -1 if none */
};

static void *select_init(void)
{
	struct select_state *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	FD_ZERO(&s->rd);
	FD_ZERO(&s->wr);
	s->maxfd = -1;
	return s;
}

static void select_free(void *st)
{
	free(st);
}

/* Set fd's bits to events and keep maxfd right. */
static int select_mod(void *st, int fd, unsigned old_events, unsigned events)
{
	struct select_state *s = st;

	if (events & LOOP_IN)
		FD_SET(fd, &s->rd);
	else
		FD_CLR(fd, &s->rd);
	if (events & LOOP_OUT)
		FD_SET(fd, &s->wr);
	else
		FD_CLR(fd, &s->wr);
	if ((events & (LOOP_IN | LOOP_OUT)) && fd > s->maxfd)
		s->maxfd = fd;
	while (s->maxfd >= 0 && !FD_ISSET(s->maxfd, &s->rd) &&
	       !FD_ISSET(s->maxfd, &s->wr))
		s->maxfd--;
	return 0;
}

static int select_add(void *st, int fd, unsigned events)
{
	return select_mod(st, fd, 0, events);
}

static int select_del(void *st, int fd, unsigned old_events)
{
	return select_mod(st, fd, old_events, 0);
}

/*
 * select() failed with EBADF: a watched fd was closed before loop_del.
 * Report each such fd as an error (as poll reports POLLNVAL) so its owner
 * cleans up, instead of failing the whole loop.
 */
static int select_report_closed(struct select_state *s, struct loop *l,
                                void (*report)(struct loop *l, int fd, unsigned events))
{
	int reported = 0;

	for (int fd = 0; fd <= s->maxfd; fd++) {
		if (!FD_ISSET(fd, &s->rd) && !FD_ISSET(fd, &s->wr))
			continue;
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		report(l, fd, LOOP_ERR | LOOP_IN | LOOP_OUT);
		reported++;
	}
	if (!reported)
		errno = EBADF;
	return reported ? reported : -1;
}

/* Wait on copies of the sets, then report every fd found ready. */
static int select_wait(void *st, struct loop *l, int timeout_ms,
                       void (*report)(struct loop *l, int fd, unsigned events))
{
	struct select_state *s = st;
	struct timeval tv, *tvp = NULL;
	fd_set rd = s->rd, wr = s->wr;
	int n, bits = 0, reported = 0;

	if (timeout_ms >= 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		tvp = &tv;
	}
	n = select(s->maxfd + 1, &rd, &wr, NULL, tvp);
	if (n < 0 && errno == EBADF)
		return select_report_closed(s, l, report);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int fd = 0; fd <= s->maxfd && bits < n; fd++) {
		unsigned events = (FD_ISSET(fd, &rd) ? LOOP_IN : 0) |
		                  (FD_ISSET(fd, &wr) ? LOOP_OUT : 0);

		if (!events)
			continue;
		report(l, fd, events);
		bits += !!(events & LOOP_IN) + !!(events & LOOP_OUT);
		reported++;
	}
	return reported;
}

const struct loop_backend loop_backend_select = {
	.name = "select",
	.max_fd = FD_SETSIZE,
	.init = select_init,
	.add = select_add,
	.mod = select_mod,
	.del = select_del,
	.wait = select_wait,
	.free = select_free,
};
