/*
 * checks.c - one exchange per classic service over TCP, and the
 * verdict on the answer.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

/** Longest daytime answer we accept. */
#define DAYTIME_MAX 1024

/** What the TCP exchange loop does with received bytes. */
struct tcp_sink {
	const unsigned char *expect; /**< echo: the bytes sent; NULL: none allowed */
	size_t expect_len;
	size_t got;                  /**< bytes received so far */
};

/* Check received bytes against the sink: 0, or -1 (reason set). */
static int sink_take(struct client *cl, struct tcp_sink *sink,
                     const unsigned char *buf, size_t n)
{
	if (!sink->expect)
		return client_fail(cl, "%s: the server sent %zu bytes",
		                   cl->service_name, n);
	if (sink->got + n > sink->expect_len)
		return client_fail(cl, "echo: more bytes came back than were sent "
		                   "(%zu > %zu)", sink->got + n, sink->expect_len);
	for (size_t i = 0; i < n; i++)
		if (buf[i] != sink->expect[sink->got + i])
			return client_fail(cl, "echo: byte %zu differs (sent 0x%02x, "
			                   "got 0x%02x)", sink->got + i,
			                   sink->expect[sink->got + i], buf[i]);
	sink->got += n;
	return 0;
}

/* Read what is there into the sink.  1 at EOF, 0 if more may come, -1. */
static int tcp_read_into(struct client *cl, int fd, struct tcp_sink *sink)
{
	unsigned char buf[65536];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == 0)
			return 1;
		if (n > 0) {
			if (sink_take(cl, sink, buf, (size_t)n) < 0)
				return -1;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return client_fail(cl, "%s: receive: %s", cl->service_name,
		                   strerror(errno));
	}
}

/*
 * Send out (reading concurrently so neither side stalls), half-close, and
 * read until the server closes.  Received bytes go to the sink.
 */
static int tcp_exchange(struct client *cl, int fd, const unsigned char *out,
                        size_t outlen, struct tcp_sink *sink)
{
	size_t sent = 0;
	int shut = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = cl->deadline - client_now_ms();
		int rc;

		if (sent == outlen && !shut) {
			if (shutdown(fd, SHUT_WR) < 0)
				return client_fail(cl, "shutdown: %s", strerror(errno));
			shut = 1;
		}
		if (!shut)
			p.events |= POLLOUT;
		if (left <= 0)
			return client_fail(cl, "%s: timed out (%zu of %zu bytes sent, "
			                   "%zu received, no end of data)",
			                   cl->service_name, sent, outlen, sink->got);
		rc = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (rc < 0 && errno != EINTR)
			return client_fail(cl, "poll: %s", strerror(errno));
		if (rc <= 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = tcp_read_into(cl, fd, sink);
			if (rc < 0)
				return -1;
			if (rc == 1)
				break;
		}
		if (!shut && (p.revents & POLLOUT)) {
			ssize_t n = send(fd, out + sent, outlen - sent, MSG_NOSIGNAL);

			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				return client_fail(cl, "%s: send: %s", cl->service_name,
				                   strerror(errno));
		}
	}
	if (sent < outlen)
		return client_fail(cl, "%s: the server closed after %zu of %zu bytes",
		                   cl->service_name, sent, outlen);
	return 0;
}

/* echo: N random bytes (NULs included) must come back exactly. */
static int tcp_echo(struct client *cl, int fd)
{
	unsigned char *data = malloc(cl->nbytes ? cl->nbytes : 1);
	struct tcp_sink sink = { 0 };
	int rc;

	if (!data)
		return client_fail(cl, "out of memory");
	client_random(data, cl->nbytes);
	sink.expect = data;
	sink.expect_len = cl->nbytes;
	rc = tcp_exchange(cl, fd, data, cl->nbytes, &sink);
	if (rc == 0 && sink.got < cl->nbytes)
		rc = client_fail(cl, "echo: only %zu of %zu bytes came back",
		                 sink.got, cl->nbytes);
	free(data);
	if (rc == 0 && !cl->quiet)
		printf("echo: %zu bytes echoed back exactly\n", cl->nbytes);
	return rc;
}

/* discard: N bytes accepted, nothing sent back, clean close. */
static int tcp_discard(struct client *cl, int fd)
{
	unsigned char *data = malloc(cl->nbytes ? cl->nbytes : 1);
	struct tcp_sink sink = { 0 };
	int rc;

	if (!data)
		return client_fail(cl, "out of memory");
	client_random(data, cl->nbytes);
	rc = tcp_exchange(cl, fd, data, cl->nbytes, &sink);
	free(data);
	if (rc == 0 && !cl->quiet)
		printf("discard: %zu bytes accepted, nothing sent back\n",
		       cl->nbytes);
	return rc;
}

/* chargen: N bytes of the pattern, then we close. */
static int tcp_chargen(struct client *cl, int fd)
{
	struct chargen_judge *j = malloc(sizeof(*j));
	unsigned char buf[65536];
	char what[128];
	size_t got = 0;
	int rc = 0;

	if (!j)
		return client_fail(cl, "out of memory");
	chargen_judge_init(j, cl->strict);
	while (rc == 0 && got < cl->nbytes) {
		size_t want = cl->nbytes - got;
		ssize_t n = client_read(cl, fd, buf,
		                        want < sizeof(buf) ? want : sizeof(buf),
		                        cl->deadline);

		if (n == -1)
			rc = -1;
		else if (n == -2)
			rc = client_fail(cl, "chargen: timed out after %zu of %zu "
			                 "bytes", got, cl->nbytes);
		else if (n == 0)
			rc = client_fail(cl, "chargen: the server closed after %zu "
			                 "of %zu bytes", got, cl->nbytes);
		else if (chargen_judge_feed(j, buf, (size_t)n) < 0)
			rc = 1;
		else
			got += (size_t)n;
	}
	if (rc >= 0 && chargen_judge_end(j) < 0) {
		chargen_judge_reason(j, what, sizeof(what));
		rc = client_fail(cl, "chargen: %s", what);
	}
	if (rc > 0) /* cannot happen: a failed feed fails the end too */
		rc = client_fail(cl, "chargen: wrong pattern");
	chargen_judge_describe(j, what, sizeof(what));
	free(j);
	if (rc == 0 && !cl->quiet)
		printf("chargen: %zu bytes of %s\n", got, what);
	return rc;
}

/* Read until the server closes (at most cap bytes): length, or -1. */
static ssize_t tcp_read_all(struct client *cl, int fd, unsigned char *buf,
                            size_t cap)
{
	size_t got = 0;

	for (;;) {
		unsigned char *dst = got < cap ? buf + got : buf;
		ssize_t n = client_read(cl, fd, dst, got < cap ? cap - got : cap,
		                        cl->deadline);

		if (n == 0)
			return (ssize_t)got;
		if (n == -1)
			return -1;
		if (n == -2)
			return client_fail(cl, "%s: timed out waiting for the server "
			                   "to close (%zu bytes received)",
			                   cl->service_name, got);
		if (got >= cap)
			return client_fail(cl, "%s: answer longer than %zu bytes",
			                   cl->service_name, cap);
		got += (size_t)n;
	}
}

/* Print and judge a daytime line. */
int daytime_verdict(struct client *cl, const unsigned char *line,
                           size_t len)
{
	if (!daytime_line_ok(line, len))
		return client_fail(cl, "daytime: not one printable line (%zu bytes)",
		                   len);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (!cl->quiet)
		printf("%.*s\n", (int)len, (const char *)line);
	return 0;
}

/* Print and judge a 4-byte time answer. */
int time_verdict(struct client *cl, const unsigned char *b, size_t len)
{
	int64_t t, now = (int64_t)time(NULL);
	char text[64];

	if (len != 4)
		return client_fail(cl, "time: %zu bytes instead of 4", len);
	t = time_decode((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	                (uint32_t)b[2] << 8 | b[3]);
	time_format(t, text, sizeof(text));
	if (cl->max_skew >= 0 && (t - now > cl->max_skew || now - t > cl->max_skew))
		return client_fail(cl, "time: %s is %lld s away from our clock",
		                   text, (long long)(t - now));
	if (!cl->quiet)
		printf("%s\n", text);
	return 0;
}

int check_tcp(struct client *cl)
{
	unsigned char buf[DAYTIME_MAX];
	ssize_t n;
	int fd = client_connect(cl), rc = -1;

	if (fd < 0)
		return -1;
	switch (cl->service) {
	case SVC_ECHO:
		rc = tcp_echo(cl, fd);
		break;
	case SVC_DISCARD:
		rc = tcp_discard(cl, fd);
		break;
	case SVC_CHARGEN:
		rc = tcp_chargen(cl, fd);
		break;
	case SVC_DAYTIME:
		n = tcp_read_all(cl, fd, buf, sizeof(buf));
		rc = n < 0 ? -1 : daytime_verdict(cl, buf, (size_t)n);
		break;
	case SVC_TIME:
		n = tcp_read_all(cl, fd, buf, 16);
		rc = n < 0 ? -1 : time_verdict(cl, buf, (size_t)n);
		break;
	case SVC_METRICS:
		rc = client_fail(cl, "metrics has its own check");
		break;
	}
	close(fd);
	return rc;
}

