/*
 * udp.c - superd-client over UDP: one request datagram, one answer
 * (re-sent a few times if no answer comes, as datagrams may be lost).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"

/** How often a request is sent before giving up. */
#define UDP_ATTEMPTS 3
/** discard: how long to listen for an answer (or a refusal). */
#define UDP_DISCARD_WAIT_MS 500
/** The largest datagram we send or receive. */
#define UDP_MAX 65535

/* Wait for one datagram until deadline: its length, -1 (reason set) or
 * -2 on timeout. */
static ssize_t udp_receive(struct client *cl, int fd, unsigned char *buf,
                           size_t cap, int64_t deadline)
{
	ssize_t n = client_read(cl, fd, buf, cap, deadline);

	if (n == -1 && errno == ECONNREFUSED) {
		cl->refused = 1;
		client_fail(cl, "%s: refused (nothing listens on %s port %s/udp)",
		            cl->service_name, cl->host, cl->port);
	}
	return n;
}

/*
 * Send req and wait for an answer, re-sending after a third of the time
 * left: the answer's length, or -1 (reason set).
 */
static ssize_t udp_ask(struct client *cl, int fd, const void *req,
                       size_t reqlen, unsigned char *buf, size_t cap)
{
	for (int attempt = UDP_ATTEMPTS; attempt > 0; attempt--) {
		int64_t now = client_now_ms();
		int64_t until = now + (cl->deadline - now) / attempt;
		ssize_t n;

		if (send(fd, req, reqlen, 0) < 0) {
			if (errno == ECONNREFUSED) {
				cl->refused = 1;
				return client_fail(cl, "%s: refused (nothing listens "
				                   "on %s port %s/udp)", cl->service_name,
				                   cl->host, cl->port);
			}
			return client_fail(cl, "send: %s", strerror(errno));
		}
		n = udp_receive(cl, fd, buf, cap, until);
		if (n != -2)
			return n;
	}
	return client_fail(cl, "%s: no answer within %u ms (%d datagrams sent)",
	                   cl->service_name, cl->timeout_ms, UDP_ATTEMPTS);
}

/* echo: the answer must be the very bytes sent. */
static int udp_echo(struct client *cl, int fd, unsigned char *buf)
{
	unsigned char *req = malloc(cl->nbytes ? cl->nbytes : 1);
	ssize_t n;
	int rc = 0;

	if (!req)
		return client_fail(cl, "out of memory");
	client_random(req, cl->nbytes);
	n = udp_ask(cl, fd, req, cl->nbytes, buf, UDP_MAX);
	if (n < 0)
		rc = -1;
	else if ((size_t)n != cl->nbytes || memcmp(buf, req, cl->nbytes) != 0)
		rc = client_fail(cl, "echo: the answer (%zd bytes) differs from "
		                 "the %zu bytes sent", n, cl->nbytes);
	free(req);
	if (rc == 0 && !cl->quiet)
		printf("echo: %zu bytes echoed back exactly\n", cl->nbytes);
	return rc;
}

/* discard: the datagram is taken (no refusal) and nothing comes back. */
static int udp_discard(struct client *cl, int fd, unsigned char *buf)
{
	int64_t until = client_now_ms() + UDP_DISCARD_WAIT_MS;
	ssize_t n;

	if (until > cl->deadline)
		until = cl->deadline;
	client_random(buf, cl->nbytes);
	if (send(fd, buf, cl->nbytes, 0) < 0)
		return client_fail(cl, "send: %s", strerror(errno));
	n = udp_receive(cl, fd, buf, UDP_MAX, until);
	if (n == -1)
		return -1;
	if (n >= 0)
		return client_fail(cl, "discard: the server answered (%zd bytes)", n);
	if (!cl->quiet)
		printf("discard: %zu bytes accepted, nothing sent back\n",
		       cl->nbytes);
	return 0;
}

/* chargen: 0 to 512 characters of the pattern (-S), or any number. */
static int udp_chargen(struct client *cl, int fd, unsigned char *buf)
{
	struct chargen_judge *j;
	ssize_t n = udp_ask(cl, fd, "\n", 1, buf, UDP_MAX);
	char what[128];
	int rc = 0;

	if (n < 0)
		return -1;
	if (n > 512 && cl->strict)
		return client_fail(cl, "chargen: %zd bytes, more than 512", n);
	j = malloc(sizeof(*j));
	if (!j)
		return client_fail(cl, "out of memory");
	chargen_judge_init(j, cl->strict);
	if (chargen_judge_feed(j, buf, (size_t)n) < 0 ||
	    chargen_judge_end(j) < 0) {
		chargen_judge_reason(j, what, sizeof(what));
		rc = client_fail(cl, "chargen: %s", what);
	}
	chargen_judge_describe(j, what, sizeof(what));
	free(j);
	if (rc == 0 && !cl->quiet)
		printf("chargen: %zd bytes of %s%s\n", n, what,
		       n > 512 ? " (RFC 864 allows 512)" : "");
	return rc;
}

/* One exchange with the service over a connected UDP socket. */
static int udp_exchange(struct client *cl, int fd, unsigned char *buf)
{
	ssize_t n;

	switch (cl->service) {
	case SVC_ECHO:
		return udp_echo(cl, fd, buf);
	case SVC_DISCARD:
		return udp_discard(cl, fd, buf);
	case SVC_CHARGEN:
		return udp_chargen(cl, fd, buf);
	case SVC_DAYTIME:
		n = udp_ask(cl, fd, "\n", 1, buf, UDP_MAX);
		return n < 0 ? -1 : daytime_verdict(cl, buf, (size_t)n);
	case SVC_TIME: /* RFC 868: an empty datagram asks */
		n = udp_ask(cl, fd, "", 0, buf, UDP_MAX);
		return n < 0 ? -1 : time_verdict(cl, buf, (size_t)n);
	case SVC_METRICS:
		break;
	}
	return client_fail(cl, "unknown service");
}

/*
 * Ask each address of the target in turn while the previous one refuses
 * (nothing listens there: "localhost" may be ::1 first while the service
 * is on 127.0.0.1 only).
 */
int check_udp(struct client *cl)
{
	unsigned char *buf = malloc(UDP_MAX);
	struct addrinfo *res, *ai;
	int rc = -1;

	if (!buf)
		return client_fail(cl, "out of memory");
	if (client_resolve(cl, &res) < 0)
		goto free_buf;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = client_connect_one(ai, cl->deadline);

		if (fd < 0) {
			rc = client_fail(cl, "connect to %s port %s: %s", cl->host,
			                 cl->port, strerror(errno));
			continue;
		}
		cl->refused = 0;
		rc = udp_exchange(cl, fd, buf);
		close(fd);
		if (rc == 0 || !cl->refused)
			break;
	}
	freeaddrinfo(res);
free_buf:
	free(buf);
	return rc;
}
