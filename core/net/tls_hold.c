/*
 * tls_hold.c - the socket under a TLS session when the kernel does not do
 * the records (no kTLS): an OpenSSL BIO that reads and writes the socket
 * as OpenSSL's own would, except that while the connection layer holds
 * output back ("corked", for the length of one event), small writes wait
 * in a buffer and leave together when the event ends.
 *
 * Why: OpenSSL writes each flight, each session ticket, each SSL_write and
 * the close_notify with its own write(2), so a short TLS 1.3 connection
 * costs four TCP segments (flight; ticket; response; close_notify) where
 * two carry the same bytes.  On loopback every segment also runs the
 * receiver's TCP input in the sender's system call; that is most of a
 * write's cost (bench/README.md, "TLS writes that leave together").
 *
 * A write that does not fit beside what is held goes out with it in one
 * writev: bytes are copied only when they are smaller than HOLD_MAX and the
 * connection is corked.  What the socket does not take stays held, and the
 * next write, or tls_hold_flush when the socket is writable, sends it first.
 */
#include "conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/bio.h>

#include "tls_hold.h"

/** Most bytes held back: a flight, a ticket and a short response fit. */
#define HOLD_MAX 4096u

/* Drop the first n held bytes (they were sent). */
static void hold_consume(struct tls_hold *h, size_t n)
{
	h->len -= n;
	if (h->len)
		memmove(h->buf, h->buf + n, h->len);
	else {
		free(h->buf);
		h->buf = NULL;
	}
}

/* Send what is held: 0 all of it, 1 some left (EAGAIN), -1 failed (errno). */
int tls_hold_flush(struct tls_hold *h)
{
	h->corked = 0;
	while (h->len) {
		ssize_t n = write(h->fd, h->buf, h->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
		hold_consume(h, (size_t)n);
	}
	return 0;
}

void tls_hold_free(struct tls_hold *h)
{
	free(h->buf);
	h->buf = NULL;
	h->len = 0;
}

/* Keep len bytes of in behind what is held: 1, or 0 (no memory). */
static int hold_add(struct tls_hold *h, const char *in, size_t len)
{
	if (!h->buf) {
		h->buf = malloc(HOLD_MAX);
		if (!h->buf)
			return 0;
	}
	memcpy(h->buf + h->len, in, len);
	h->len += len;
	return 1;
}

/* Write in after what is held (one writev): bytes of in taken, or -1. */
static ssize_t send_behind(struct tls_hold *h, const char *in, size_t len)
{
	struct iovec iov[2] = {
		{ h->buf, h->len },
		{ (void *)in, len },
	};
	ssize_t n;

	do
		n = h->len ? writev(h->fd, iov, 2) : write(h->fd, in, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n < h->len) {
		hold_consume(h, (size_t)n);
		errno = EAGAIN; /* the held bytes are not all out: in waits */
		return -1;
	}
	n -= (ssize_t)h->len;
	if (h->len)
		hold_consume(h, h->len);
	if (n == 0) {
		errno = EAGAIN;
		return -1;
	}
	return n;
}

static int hold_write(BIO *b, const char *in, int len)
{
	struct tls_hold *h = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (h->corked && (size_t)len <= HOLD_MAX - h->len &&
	    hold_add(h, in, (size_t)len))
		return len;
	n = send_behind(h, in, (size_t)len);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)n;
}

static int hold_read(BIO *b, char *out, int len)
{
	struct tls_hold *h = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	do
		n = read(h->fd, out, (size_t)len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	else if (n == 0)
		h->eof = 1;
	return (int)n;
}

static long hold_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct tls_hold *h = BIO_get_data(b);
	int rc;

	(void)num;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		/* OpenSSL flushes after each flight: while corked, the event's
		 * end does (the whole point); otherwise send now */
		if (h->corked)
			return 1;
		BIO_clear_retry_flags(b);
		rc = tls_hold_flush(h);
		if (rc == 1)
			BIO_set_retry_write(b);
		return rc == 0;
	case BIO_CTRL_WPENDING:
		return (long)h->len;
	case BIO_CTRL_EOF:
		return h->eof;
	case BIO_C_GET_FD:
		if (ptr)
			*(int *)ptr = h->fd;
		return h->fd;
	case BIO_CTRL_DUP:
		return 1;
	default:
		return 0;
	}
}

/* The method, made once per process (OpenSSL keeps a pointer to it). */
static BIO_METHOD *hold_method(void)
{
	static BIO_METHOD *m;

	if (m)
		return m;
	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK |
	                 BIO_TYPE_DESCRIPTOR, "superd socket");
	if (m && (!BIO_meth_set_write(m, hold_write) ||
	          !BIO_meth_set_read(m, hold_read) ||
	          !BIO_meth_set_ctrl(m, hold_ctrl))) {
		BIO_meth_free(m);
		m = NULL;
	}
	return m;
}

/* A BIO on h->fd (see tls_hold.h). */
BIO *tls_hold_bio(struct tls_hold *h)
{
	BIO_METHOD *m = hold_method();
	BIO *b = m ? BIO_new(m) : NULL;

	if (!b)
		return NULL;
	BIO_set_data(b, h);
	BIO_set_init(b, 1);
	return b;
}
