/*
 * conn_relay.c - plaintext for children of a TLS connection.  A program
 * cannot read TLS, so a module that asks for the connection's socket
 * (host->conn_fd: exec, third-party modules) or a blocking-style service
 * (serve() in a child) gets one end of a socketpair; the worker relays
 * between the other end and the TLS session, as s6-tlsd does.
 *
 * Back-pressure both ways: client bytes the child does not take yet stay
 * in the connection's kept input and reading from the client stops;
 * child bytes stop being read while the client's output queue is above
 * the high-water mark.  A client half-close becomes shutdown(SHUT_WR) on
 * the pair once every byte before it was passed on; the child's end of
 * stream closes the connection (close_notify) after its output.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_priv.h"
#include "log.h"
#include "proc.h"

/* relay_flags */
#define R_CHILD_EOF 0x1u /**< the child's side ended */
#define R_SHUT 0x2u      /**< the client's half-close was passed on */

/* Reads from the child per readiness event. */
#define RELAY_READS 4

/* Read what the child wrote and queue it for the client (bounded). */
static void relay_pull(superd_conn *c)
{
	size_t size;
	unsigned char *buf = conn_read_buffer(&size);

	for (int i = 0; i < RELAY_READS && !(c->relay_flags & R_CHILD_EOF); i++) {
		size_t room = c->queued < conn_out_max(c) ? conn_out_max(c) - c->queued : 0;
		ssize_t n;

		if (room < CONN_READ_MIN)
			room = CONN_READ_MIN;
		n = read(c->relay_fd, buf, room < size ? room : size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			c->relay_flags |= R_CHILD_EOF;
			conn_close(c);
			return;
		}
		if (conn_write(c, buf, (size_t)n) < 0 || c->queued >= conn_out_max(c))
			return;
	}
}

/* The loop says the relay's end is ready. */
static void relay_event(struct loop *l, int fd, unsigned events, void *arg)
{
	superd_conn *c = arg;

	c->busy++;
	if ((events & (LOOP_OUT | LOOP_ERR)) && (c->flags & C_RELAY_FULL)) {
		c->flags &= ~C_RELAY_FULL;
		if (c->inlen)
			c->flags |= C_REDELIVER;
	}
	if (events & (LOOP_IN | LOOP_ERR))
		relay_pull(c);
	c->busy--;
	conn_settle(c);
}

/* The module's end of the relay, made on first call (see conn_priv.h). */
int conn_relay_fd(superd_conn *c)
{
	int sv[2], fl;

	if (c->relay_fd >= 0)
		return c->relay_peer;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_errno(c->svc->name, "socketpair", errno);
		return -1;
	}
	fl = fcntl(sv[0], F_GETFL);
	if (fl < 0 || fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) < 0 ||
	    loop_add(conn_loop(), sv[0], LOOP_IN, relay_event, c) < 0) {
		log_errno(c->svc->name, "relay", errno);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	c->relay_fd = sv[0];
	c->relay_peer = sv[1];
	c->relay_events = LOOP_IN;
	c->flags |= C_RELAY;
	return c->relay_peer;
}

/* serve() in a child on the relay (see conn_priv.h). */
void conn_relay_serve(superd_conn *c)
{
	const struct superd_peer *p = conn_peer(c);
	int fd = conn_relay_fd(c);
	pid_t pid = -1;

	/* the child sees the client and local address (a PROXY header's too),
	 * not the socketpair's */
	if (fd >= 0 && p)
		pid = proc_spawn_serve_at(conn_loop(), c->svc, fd, &c->remote.sa,
		                          c->remote_len, (const struct sockaddr *)&p->local,
		                          p->local_len, c->proto, NULL, NULL);
	if (fd >= 0) {
		close(fd);
		c->relay_peer = -1;
	}
	if (pid < 0) {
		conn_set_outcome(c, "error");
		c->flags |= C_DEAD;
		return;
	}
	/* the child holds the access slot now, as a plaintext serve() does */
	c->flags |= C_NO_RELEASE;
	c->timeout_ms = 0;
}

/* Client bytes to the child: what it took now (see conn_priv.h). */
size_t conn_relay_push(superd_conn *c, const unsigned char *data, size_t len)
{
	ssize_t n;

	do
		n = send(c->relay_fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return len; /* the child stopped reading: drop, as a socket would */
	if (n < 0)
		n = 0;
	if ((size_t)n < len)
		c->flags |= C_RELAY_FULL;
	return (size_t)n;
}

/* The client half-closed (see conn_priv.h); passed on by conn_relay_update. */
void conn_relay_eof(superd_conn *c)
{
	conn_relay_update(c);
}

/* Before a close: queue what the child already wrote (see conn_priv.h). */
void conn_relay_drain(superd_conn *c)
{
	size_t size;
	unsigned char *buf = conn_read_buffer(&size);

	while (!(c->relay_flags & R_CHILD_EOF)) {
		ssize_t n = read(c->relay_fd, buf, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || conn_write(c, buf, (size_t)n) < 0)
			break;
	}
	c->relay_flags |= R_CHILD_EOF;
}

/* Relay events and the half-close, after every dispatch (see conn_priv.h). */
void conn_relay_update(superd_conn *c)
{
	unsigned ev = 0;

	if (c->relay_fd < 0)
		return;
	if ((c->flags & C_EOF) && !c->inlen && !(c->relay_flags & R_SHUT)) {
		shutdown(c->relay_fd, SHUT_WR);
		c->relay_flags |= R_SHUT;
	}
	if (!(c->relay_flags & R_CHILD_EOF) && c->queued < conn_out_max(c) &&
	    !(c->flags & (C_DEAD | C_CLOSING)))
		ev |= LOOP_IN;
	if (c->flags & C_RELAY_FULL)
		ev |= LOOP_OUT;
	if (ev != c->relay_events && loop_mod(conn_loop(), c->relay_fd, ev) == 0)
		c->relay_events = ev;
}

/* Close the relay's ends (see conn_priv.h). */
void conn_relay_end(superd_conn *c)
{
	if (c->relay_fd >= 0) {
		loop_del(conn_loop(), c->relay_fd);
		close(c->relay_fd);
		c->relay_fd = -1;
	}
	if (c->relay_peer >= 0) {
		close(c->relay_peer);
		c->relay_peer = -1;
	}
}
