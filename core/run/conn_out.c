/*
 * conn_out.c - a connection's output: direct writes when nothing is queued,
 * a queue of memory chunks (copied only when the kernel did not take the
 * bytes) and sendfile segments, flushed with writev/sendfile as the socket
 * drains.
 */
#include "conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conn_priv.h"

/* Smallest memory chunk: small writes coalesce into one allocation. */
#define CHUNK_MIN 4000u
/*
 * Most bytes one connection sends per turn of the loop (and so the largest
 * sendfile call): a fast client cannot hold the worker while a big file
 * streams; the others get their turn and the flush goes on next round (as
 * lighttpd's 256 KiB per turn, nginx's sendfile_max_chunk).  What the
 * module wrote directly in the same turn (a response head) counts too, as
 * in lighttpd: a 1 MiB file then leaves in turns of exactly 256 KiB on the
 * wire, which costs the server core ~8% less per response than a first
 * turn of head + 256 KiB (bench/README.md, session 7).
 */
#define TURN_MAX (256u << 10)
/*
 * A turn takes a file segment's last bytes with it when no more than this
 * would be left over: a 1 MiB file after its head would otherwise end in
 * a fifth turn of a few hundred bytes, one more round of the loop (a wait,
 * a sendfile and two changes of the events watched) per response, ~6% of
 * the server core per 1 MiB response (bench/README.md, session 8).
 */
#define TURN_TAIL (16u << 10)
/* Memory chunks gathered in one writev. */
#define FLUSH_IOV 16

/* Write buf straight to the socket; bytes taken, or -1 (c failed). */
static ssize_t send_direct(superd_conn *c, const void *buf, size_t len)
{
	ssize_t n;

	for (;;) {
		n = conn_io_write(c, buf, len);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		conn_fail(c, errno, "write");
		return -1;
	}
	c->bytes_out += (size_t)n;
	c->turn_out += (size_t)n;
	c->last_ms = loop_now(conn_loop());
	return n;
}

/* Put t (its len bytes) at the end of c's output queue. */
static void queue_append(superd_conn *c, struct outchunk *t)
{
	if (c->tail)
		c->tail->next = t;
	else
		c->head = t;
	c->tail = t;
	c->queued += t->len;
}

/* Append len bytes to the queue (into the tail chunk when it has room). */
static int queue_mem(superd_conn *c, const unsigned char *buf, size_t len)
{
	struct outchunk *t = c->tail;
	size_t cap;

	if (t && t->file_fd < 0 && t->cap - t->off - t->len >= len) {
		memcpy(t->data + t->off + t->len, buf, len);
		t->len += len;
		c->queued += len;
		return 0;
	}
	cap = len < CHUNK_MIN ? CHUNK_MIN : len;
	t = malloc(sizeof(*t) + cap);
	if (!t)
		return -1;
	t->next = NULL;
	t->len = len;
	t->off = 0;
	t->cap = cap;
	t->file_fd = -1;
	t->file_off = 0;
	memcpy(t->data, buf, len);
	queue_append(c, t);
	return 0;
}

/* Queue bytes for the client (host->write). */
int conn_write(superd_conn *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (c->flags & C_DEAD)
		return -1;
	if (len == 0)
		return 0;
	c->flags |= C_WANT_DRAIN;
	if (!c->head && !(c->flags & C_HOLD)) {
		ssize_t n = send_direct(c, p, len);

		if (n < 0) {
			conn_host_done(c);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (len && queue_mem(c, p, len) < 0) {
		conn_fail(c, ENOMEM, "write");
		conn_host_done(c);
		return -1;
	}
	conn_host_done(c);
	return 0;
}

/* Queue a file segment (host->sendfile); fd is ours from here on. */
int conn_sendfile(superd_conn *c, int fd, off_t off, size_t len)
{
	struct outchunk *t;

	if (c->flags & C_DEAD) {
		close(fd);
		return -1;
	}
	if (len == 0) {
		close(fd);
		return 0;
	}
	t = malloc(sizeof(*t));
	if (!t) {
		close(fd);
		conn_fail(c, ENOMEM, "sendfile");
		conn_host_done(c);
		return -1;
	}
	*t = (struct outchunk){ .len = len, .file_fd = fd, .file_off = off };
	queue_append(c, t);
	c->flags |= C_WANT_DRAIN;
	if (c->head == t && !(c->flags & C_HOLD))
		conn_flush(c);
	conn_host_done(c);
	return 0;
}

/* Free the head chunk (closing its file). */
static void pop_chunk(superd_conn *c)
{
	struct outchunk *t = c->head;

	c->head = t->next;
	if (!c->head)
		c->tail = NULL;
	if (t->file_fd >= 0)
		close(t->file_fd);
	free(t);
}

/* n bytes of memory chunks were sent: advance through the queue. */
static void consume_mem(superd_conn *c, size_t n)
{
	while (n > 0 && c->head) {
		struct outchunk *t = c->head;
		size_t k = n < t->len ? n : t->len;

		t->off += k;
		t->len -= k;
		n -= k;
		if (t->len == 0)
			pop_chunk(c);
	}
}

/*
 * One writev of the leading memory chunks; bytes sent or -1 (errno).
 * The last bytes of a closing TCP connection go with MSG_MORE: they wait
 * in the kernel for the close, which sends them with the FIN in one
 * segment (a server-first service's whole answer: daytime, time).
 */
static ssize_t flush_mem(superd_conn *c, size_t *asked)
{
	struct iovec iov[FLUSH_IOV];
	struct msghdr msg = { .msg_iov = iov };
	struct outchunk *t;
	int cnt = 0;

	*asked = 0;
	if (c->tls) {
		/* one chunk per TLS write: a retry must offer the same bytes */
		*asked = c->head->len;
		return conn_io_write(c, c->head->data + c->head->off, c->head->len);
	}
	for (t = c->head; t && t->file_fd < 0 && cnt < FLUSH_IOV; t = t->next) {
		iov[cnt].iov_base = t->data + t->off;
		iov[cnt].iov_len = t->len;
		*asked += t->len;
		cnt++;
	}
	if ((c->flags & C_CLOSING) && !t && c->proto == SUPERD_PROTO_TCP) {
		msg.msg_iovlen = (size_t)cnt;
		return sendmsg(c->fd, &msg, MSG_MORE | MSG_NOSIGNAL);
	}
	return cnt == 1 ? write(c->fd, iov[0].iov_base, iov[0].iov_len)
	                : writev(c->fd, iov, cnt);
}

/*
 * One sendfile of the head file segment, at most room bytes (or all of it
 * when that leaves no more than TURN_TAIL behind); bytes sent or -1
 * (errno).
 */
static ssize_t flush_file(superd_conn *c, size_t room, size_t *asked)
{
	struct outchunk *t = c->head;
	ssize_t n;

	*asked = t->len <= room + TURN_TAIL ? t->len : room;
	if (c->tls)
		n = conn_io_file(c, t->file_fd, &t->file_off, *asked);
	else
		n = sendfile(c->fd, t->file_fd, &t->file_off, *asked);
	if (n == 0) {
		/* The file is shorter than promised: the response is broken. */
		errno = ENODATA;
		return -1;
	}
	if (n > 0) {
		t->len -= (size_t)n;
		if (t->len == 0)
			pop_chunk(c);
	}
	return n;
}

/*
 * Send what the socket takes, until the turn has sent TURN_MAX (or up to
 * TURN_TAIL more, to finish a file segment).
 */
void conn_flush(superd_conn *c)
{
	while (c->head && !(c->flags & C_DEAD) && c->turn_out < TURN_MAX) {
		int is_file = c->head->file_fd >= 0;
		size_t asked;
		ssize_t n = is_file ? flush_file(c, TURN_MAX - c->turn_out, &asked)
		                    : flush_mem(c, &asked);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_fail(c, errno, is_file ? "sendfile" : "write");
			return;
		}
		c->bytes_out += (size_t)n;
		c->queued -= (size_t)n;
		c->turn_out += (size_t)n;
		c->last_ms = loop_now(conn_loop());
		if (!is_file)
			consume_mem(c, (size_t)n);
		if ((size_t)n < asked && !c->tls)
			return; /* the socket is full (TLS says so with EAGAIN) */
	}
}

/* Drop everything queued (abort, or close after an error). */
void conn_drop_output(superd_conn *c)
{
	while (c->head)
		pop_chunk(c);
	c->queued = 0;
}

/* Bytes queued and not yet taken by the kernel (host->pending). */
size_t conn_pending(const superd_conn *c)
{
	return c->queued;
}
