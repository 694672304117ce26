/*
 * net.c - superd-client's sockets: resolve, connect, read and write, all
 * bounded by one deadline so the client never hangs.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

int64_t client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int client_fail(struct client *cl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cl->reason, sizeof(cl->reason), fmt, ap);
	va_end(ap);
	return -1;
}

int client_wait(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - client_now_ms();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Finish a non-blocking connect on fd before the deadline: 0, or -1 with
 * errno set (ETIMEDOUT when time ran out). */
static int connect_finish(int fd, int64_t deadline)
{
	int err = 0;
	socklen_t len = sizeof(err);
	int ready = client_wait(fd, POLLOUT, deadline);

	if (ready == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (ready < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Try one address: a connected non-blocking socket, or -1 (errno set). */
int client_connect_one(const struct addrinfo *ai, int64_t deadline)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	                SOCK_CLOEXEC, ai->ai_protocol);
	int saved;

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if ((errno == EINPROGRESS || errno == EINTR) &&
	    connect_finish(fd, deadline) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int client_resolve(struct client *cl, struct addrinfo **res)
{
	struct addrinfo hints = { 0 };
	int rc;

	hints.ai_family = cl->family;
	hints.ai_socktype = cl->udp ? SOCK_DGRAM : SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(cl->host, cl->port, &hints, res);
	if (rc != 0)
		return client_fail(cl, "%s: %s", cl->host,
		                   rc == EAI_SYSTEM ? strerror(errno)
		                                    : gai_strerror(rc));
	return 0;
}

int client_connect(struct client *cl)
{
	struct addrinfo *res, *ai;
	int fd = -1, err = 0;

	if (client_resolve(cl, &res) < 0)
		return -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = client_connect_one(ai, cl->deadline);
		if (fd < 0)
			err = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return client_fail(cl, "connect to %s port %s: %s", cl->host,
		                   cl->port, strerror(err));
	return fd;
}

ssize_t client_read(struct client *cl, int fd, void *buf, size_t len,
                    int64_t deadline)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);
		int ready;

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			int err = errno;

			client_fail(cl, "receive: %s", strerror(err));
			errno = err;
			return -1;
		}
		ready = client_wait(fd, POLLIN, deadline);
		if (ready == 0)
			return -2;
		if (ready < 0)
			return client_fail(cl, "poll: %s", strerror(errno));
	}
}

int client_write_all(struct client *cl, int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		int ready;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return client_fail(cl, "send: %s", strerror(errno));
		ready = client_wait(fd, POLLOUT, cl->deadline);
		if (ready == 0)
			return client_fail(cl, "send: timed out");
		if (ready < 0)
			return client_fail(cl, "poll: %s", strerror(errno));
	}
	return 0;
}

void client_random(unsigned char *buf, size_t len)
{
	size_t done = 0;
	uint64_t x = (uint64_t)client_now_ms() * 0x9e3779b97f4a7c15ull ^
	             (uint64_t)getpid();

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, GRND_NONBLOCK);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	for (; done < len; done++) { /* no entropy: a xorshift will do */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[done] = (unsigned char)x;
	}
	for (size_t i = 0; i < len; i += 257) /* NULs for sure */
		buf[i] = 0;
}
