/*
 * conn_reflect.c - host->reflect: the core sends a connection's input back
 * to it unchanged (an echo service), without the module.
 *
 * On a plain TCP or UNIX stream the bytes stay in the kernel: splice(2)
 * moves them from the socket into a pipe and from the pipe back into the
 * socket, so the worker copies nothing.  The pipe is one per process and
 * is empty between calls: what the socket does not take back at once is
 * read out of the pipe and queued as ordinary output (the one copy), and
 * reading waits until that queue has gone (output keeps its order).  Over
 * TLS, or when the kernel refuses to splice a socket, the bytes are read
 * and written back through the usual output queue.  Back-pressure and the
 * half-close are those of any connection: the read size never exceeds
 * what the service may queue (max_output).
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conn_priv.h"
#include "log.h"

/** This process's splice pipe: [0] read end, [1] write end; -1: none. */
static struct {
	int fd[2];
	int broken; /**< pipe2 failed: copy from now on */
} rp = { { -1, -1 }, 0 };

/* The pipe, made on first use; 0, or -1 when only copying works. */
static int pipe_ready(void)
{
	if (rp.fd[0] >= 0)
		return 0;
	if (rp.broken)
		return -1;
	if (pipe2(rp.fd, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_msg(SUPERD_LOG_WARN, NULL, "reflect: pipe2: %s (echoing by copy)",
		        strerror(errno));
		rp.broken = 1;
		return -1;
	}
	/* room for one whole read (a smaller pipe only makes splices shorter) */
	(void)fcntl(rp.fd[1], F_SETPIPE_SZ, (int)CONN_READ_BUF);
	return 0;
}

/* Throw the pipe away (its contents can no longer be trusted to drain). */
static void pipe_reset(void)
{
	close(rp.fd[0]);
	close(rp.fd[1]);
	rp.fd[0] = rp.fd[1] = -1;
}

/* Queue len bytes back to c, as host->write but with no on_drain owed. */
void conn_reflect_send(superd_conn *c, const void *buf, size_t len)
{
	unsigned drain = c->flags & C_WANT_DRAIN;

	(void)conn_write(c, buf, len);
	c->flags = (c->flags & ~C_WANT_DRAIN) | drain;
}

/* Host call: reflect c's input from now on (see conn.h). */
int conn_reflect(superd_conn *c)
{
	if (c->flags & C_DEAD)
		return -1;
	if (c->flags & C_RELAY) {
		errno = EINVAL;
		return -1;
	}
	/* bytes on_data keeps when it asks go back first (conn.c, deliver) */
	c->flags |= C_REFLECT;
	conn_host_done(c);
	return 0;
}

/* Read up to want bytes and queue them back: as conn_io_read. */
static ssize_t reflect_copy(superd_conn *c, unsigned char *buf, size_t want)
{
	ssize_t n = conn_io_read(c, buf, want);

	if (n > 0)
		conn_reflect_send(c, buf, (size_t)n);
	return n;
}

/*
 * Move n bytes from the pipe back to c's socket; what the socket does not
 * take is read into buf (n <= CONN_READ_BUF) and queued.  The pipe is
 * empty afterwards.
 */
static void reflect_out(superd_conn *c, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (n > 0) {
		ssize_t m = splice(rp.fd[0], NULL, c->fd, NULL, n,
		                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

		if (m > 0) {
			n -= (size_t)m;
			c->bytes_out += (size_t)m;
			continue;
		}
		if (m < 0 && errno == EINTR)
			continue;
		if (m < 0 && errno == EINVAL)
			c->flags |= C_REFLECT_COPY; /* cannot splice to it */
		else if (m < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			conn_fail(c, errno, "splice");
		break; /* the socket is full: the rest by copy */
	}
	while (got < n) {
		ssize_t m = read(rp.fd[0], buf + got, n - got);

		if (m > 0) {
			got += (size_t)m;
			continue;
		}
		if (m < 0 && errno == EINTR)
			continue;
		/* the pipe lost bytes it said it held: start afresh */
		log_msg(SUPERD_LOG_ERROR, c->svc->name, "reflect: pipe read: %s",
		        m < 0 ? strerror(errno) : "end of file");
		pipe_reset();
		conn_fail(c, m < 0 ? errno : EIO, "splice");
		return;
	}
	if (got && !(c->flags & C_DEAD))
		conn_reflect_send(c, buf, got);
}

/*
 * Take up to want bytes of c's input and send them back (buf, of
 * CONN_READ_BUF bytes, for what must be copied): bytes taken, 0 at the
 * end of input, -1 with errno (EAGAIN: nothing there).
 */
ssize_t conn_reflect_in(superd_conn *c, unsigned char *buf, size_t want)
{
	ssize_t n;

	if (c->tls || c->head || (c->flags & C_REFLECT_COPY) ||
	    pipe_ready() < 0)
		return reflect_copy(c, buf, want);
	if (want > CONN_READ_BUF)
		want = CONN_READ_BUF;
	do
		n = splice(c->fd, NULL, rp.fd[1], NULL, want,
		           SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EINVAL) {
		/* a socket the kernel cannot splice from: copy, for good */
		c->flags |= C_REFLECT_COPY;
		return reflect_copy(c, buf, want);
	}
	if (n > 0)
		reflect_out(c, buf, (size_t)n);
	return n;
}
