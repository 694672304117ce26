/*
 * refsrv.c - the reference server of bench/run.sh: the classic services
 * (RFC 862/863/864/867/868) and nothing else, so the benchmark can show
 * what an event-loop server costs when it does no other work.
 *
 *   refsrv BASEPORT
 *
 * Listens on 127.0.0.1: echo (TCP and UDP) at BASEPORT+7, discard +9,
 * daytime +13, chargen +19, time +37.  One process, one epoll set,
 * level-triggered; echo reads up to 64 KiB and writes it back, and stops
 * reading while a partial write waits for room.  No limits, no logging,
 * no configuration: a measuring stick, not a server to deploy.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum kind { ECHO, DISCARD, DAYTIME, CHARGEN, TIME, UDP_ECHO };

/* RFC 864's rotation: 95 lines of 72 printable characters and CRLF. */
#define CG_LINE 74
#define CG_PERIOD (95 * CG_LINE)
#define IOBUF (64 * 1024)

struct ent {
	int fd;
	enum kind kind;
	int listening;
	size_t off, len; /* echo: bytes of buf still to write back; chargen: offset */
	unsigned char buf[];
};

static int ep;
static char chargen[CG_PERIOD + IOBUF];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static struct ent *ent_new(int fd, enum kind kind, int listening, size_t bufsize)
{
	struct ent *e = calloc(1, sizeof(*e) + bufsize);

	if (!e)
		die("calloc");
	e->fd = fd;
	e->kind = kind;
	e->listening = listening;
	return e;
}

static void watch(struct ent *e, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = e };

	if (epoll_ctl(ep, op, e->fd, &ev) < 0)
		die("epoll_ctl");
}

static void drop(struct ent *e)
{
	close(e->fd); /* leaves the epoll set with it */
	free(e);
}

static void listen_on(int port, enum kind kind)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int udp = kind == UDP_ECHO, one = 1;
	int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || (!udp && listen(fd, 1024) < 0))
		die("listen");
	watch(ent_new(fd, kind, !udp, udp ? IOBUF : 0), EPOLL_CTL_ADD, EPOLLIN);
}

/* Write what must go at once (daytime, time) and close. */
static void answer_and_close(int fd, const void *p, size_t n)
{
	ssize_t w;

	do
		w = write(fd, p, n);
	while (w < 0 && errno == EINTR);
	close(fd);
}

static void accepted(struct ent *l, int fd)
{
	if (l->kind == DAYTIME || l->kind == TIME) {
		time_t now = time(NULL);
		if (l->kind == DAYTIME) {
			char s[64];
			struct tm tm;
			size_t n = strftime(s, sizeof(s), "%A, %B %d, %Y %H:%M:%S-UTC\r\n",
			                    gmtime_r(&now, &tm));
			answer_and_close(fd, s, n);
		} else {
			uint32_t t = htonl((uint32_t)((uint64_t)now + 2208988800u));
			answer_and_close(fd, &t, sizeof(t));
		}
		return;
	}
	watch(ent_new(fd, l->kind, 0, l->kind == ECHO ? IOBUF : 0), EPOLL_CTL_ADD,
	      l->kind == CHARGEN ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* Echo: send back what buf holds; 0 when all went, 1 when the socket is full. */
static int echo_out(struct ent *e)
{
	while (e->len) {
		ssize_t w = write(e->fd, e->buf + e->off, e->len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN ? 1 : -1;
		e->off += (size_t)w;
		e->len -= (size_t)w;
	}
	return 0;
}

static void ready(struct ent *e, uint32_t events)
{
	ssize_t n;

	if (e->listening) {
		int fd = accept4(e->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0)
			accepted(e, fd);
		return;
	}
	if (e->kind == UDP_ECHO) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		n = recvfrom(e->fd, e->buf, IOBUF, 0, (struct sockaddr *)&from, &fl);
		if (n >= 0)
			(void)sendto(e->fd, e->buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
		return;
	}
	if (e->kind == ECHO && (events & EPOLLOUT)) {
		int r = echo_out(e);
		if (r < 0) {
			drop(e);
		} else if (r == 0) {
			watch(e, EPOLL_CTL_MOD, EPOLLIN);
		}
		return;
	}
	if (e->kind == CHARGEN && (events & EPOLLOUT)) {
		n = write(e->fd, chargen + e->off, IOBUF);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			drop(e);
		else if (n > 0)
			e->off = (e->off + (size_t)n) % CG_PERIOD;
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		static unsigned char sink[IOBUF];
		n = read(e->fd, e->kind == ECHO ? e->buf : sink, IOBUF);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			drop(e);
			return;
		}
		if (e->kind == ECHO) {
			int r;
			e->off = 0;
			e->len = (size_t)n;
			r = echo_out(e);
			if (r < 0)
				drop(e);
			else if (r > 0)
				watch(e, EPOLL_CTL_MOD, EPOLLOUT);
		}
	}
}

int main(int argc, char **argv)
{
	struct epoll_event evs[64];
	int base;

	if (argc != 2 || (base = atoi(argv[1])) <= 0 || base > 65535 - 37) {
		fprintf(stderr, "usage: refsrv BASEPORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < sizeof(chargen); i++) {
		size_t line = (i / CG_LINE) % 95, col = i % CG_LINE;
		chargen[i] = col == 72 ? '\r' : col == 73 ? '\n' : (char)(' ' + (line + col) % 95);
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1");
	listen_on(base + 7, ECHO);
	listen_on(base + 7, UDP_ECHO);
	listen_on(base + 9, DISCARD);
	listen_on(base + 13, DAYTIME);
	listen_on(base + 19, CHARGEN);
	listen_on(base + 37, TIME);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++)
			ready(evs[i].data.ptr, evs[i].events);
	}
}
