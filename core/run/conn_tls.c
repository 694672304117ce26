/*
 * conn_tls.c - the TLS layer of a stream connection: the handshake driven
 * by the loop (bounded by handshake_timeout), a courtesy answer to
 * plaintext, refused handshakes logged once per burst, and the byte I/O
 * that conn.c and conn_out.c use for reads, writes and files.  Modules see
 * plaintext; on_open runs once the handshake is done.
 */
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn_priv.h"
#include "counters.h"
#include "log.h"
#include "tls.h"

/* A refused handshake is logged, then at most one line per this long. */
#define REFUSAL_LOG_MS 10000

/* TLS records start with this content type (handshake). */
#define TLS_HANDSHAKE_RECORD 0x16

/* Start the handshake on a new connection (see conn_priv.h). */
int conn_tls_start(superd_conn *c)
{
	c->tls = tls_sess_new(c->svc->tls, c->fd);
	if (!c->tls) {
		log_errno(c->svc->name, "TLS session", errno ? errno : ENOMEM);
		conn_set_outcome(c, "error");
		c->flags |= C_DEAD;
		return -1;
	}
	tls_cork(c->tls); /* the first event's flight leaves at its end */
	c->flags |= C_HANDSHAKE;
	c->tls_want = LOOP_IN;
	c->timeout_ms = tls_ctx_handshake_ms(c->svc->tls);
	return 0;
}

/* The window ended: one line for the refusals counted in it, if any. */
static void refusals_due(struct loop *l, void *arg)
{
	struct superd_service *svc = arg;
	char why[320];
	unsigned long n;

	svc->tls_refusals.timer = NULL;
	n = refusals_summary(&svc->tls_refusals, loop_now(l), why, sizeof(why));
	if (n)
		log_msg(SUPERD_LOG_WARN, svc->name, "%lu more TLS handshake%s refused "
		        "in this worker in the last %u s: %s", n, n == 1 ? "" : "s",
		        REFUSAL_LOG_MS / 1000, why);
}

/*
 * A handshake failed: c closes without its own log line; the service logs
 * the first refusal of a burst, then at most one line per REFUSAL_LOG_MS
 * with the count of the others by reason (so N workers cannot flood the
 * log).
 */
void conn_tls_refused(superd_conn *c, const char *reason)
{
	struct superd_service *svc = c->svc;
	struct refusals *r = &svc->tls_refusals;
	uint64_t now = loop_now(conn_loop());
	char peer[80], note[160];

	c->flags |= C_DEAD | C_TLS_BROKEN;
	conn_set_outcome(c, "tls refused");
	if (svc->access)
		counters_refused_reason(svc->access, REFUSED_TLS);
	snprintf(note, sizeof(note), "tls refused: %s", reason);
	conn_note(c, note);
	if (!refusals_add(r, now, REFUSAL_LOG_MS, reason)) {
		uint64_t due = r->line_ms + REFUSAL_LOG_MS;

		if (!r->timer)
			r->timer = loop_timer_add(conn_loop(), due > now ? due - now : 0,
			                          refusals_due, svc);
		return;
	}
	conn_format_addr(&c->remote.sa, peer, sizeof(peer));
	log_msg(SUPERD_LOG_WARN, c->svc->name, "%s TLS handshake refused: %s",
	        peer, reason);
}

/*
 * Plaintext on a TLS port.  An HTTP request on an http service gets a 400
 * in plain HTTP saying so (nginx's courtesy); anything else is closed.
 * The request is read first, so the close does not reset the answer.
 */
static void refuse_plaintext(superd_conn *c, unsigned char first)
{
	static const char answer[] =
	    "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 56\r\n"
	    "Connection: close\r\n\r\n"
	    "400 Bad Request: this port speaks HTTPS (TLS) only.\r\n\r\n";
	unsigned char sink[4096];

	if (strcmp(c->svc->module->name, "http") == 0 && first >= 'A' &&
	    first <= 'Z') {
		while (read(c->fd, sink, sizeof(sink)) == (ssize_t)sizeof(sink))
			;
		if (write(c->fd, answer, sizeof(answer) - 1) > 0)
			c->bytes_out += sizeof(answer) - 1;
		shutdown(c->fd, SHUT_WR);
		conn_tls_refused(c, "plain HTTP request on the TLS port");
		return;
	}
	conn_tls_refused(c, "not a TLS handshake");
}

/* Peek at the first byte: 1 a TLS record, 0 not yet here, -1 handled. */
static int first_byte(superd_conn *c)
{
	unsigned char b;
	ssize_t n;

	do
		n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 1 && b == TLS_HANDSHAKE_RECORD)
		return 1;
	if (n == 1) {
		refuse_plaintext(c, b);
		return -1;
	}
	if (n == 0) {
		/* a port probe (load balancers do this): not worth a line */
		conn_set_outcome(c, "eof");
		c->flags |= C_DEAD | C_TLS_BROKEN;
		return -1;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	conn_tls_refused(c, strerror(errno));
	return -1;
}

/* The handshake is done: the module (or a serve() child) takes over. */
static void handshake_done(superd_conn *c)
{
	c->flags &= ~C_HANDSHAKE;
	c->timeout_ms = c->svc->timeout_ms;
	c->last_ms = loop_now(conn_loop());
	if (c->svc->module->on_open)
		conn_open_module(c);
	else
		conn_relay_serve(c);
	if (c->flags & C_DEAD)
		return;
	if (c->timeout_ms)
		conn_sweep_arm(c->last_ms + c->timeout_ms);
	conn_read(c); /* data sent right after the client's Finished */
}

/* Drive the handshake (see conn_priv.h). */
void conn_tls_step(superd_conn *c)
{
	int r;

	if (!c->tls_peeked) {
		r = first_byte(c);
		if (r <= 0)
			return;
		c->tls_peeked = 1;
	}
	r = tls_handshake(c->tls);
	if (r == TLS_WANT_READ || r == TLS_WANT_WRITE) {
		c->tls_want = r == TLS_WANT_READ ? LOOP_IN : LOOP_OUT;
		return;
	}
	if (r == TLS_ERR) {
		conn_tls_refused(c, tls_sess_reason(c->tls));
		return;
	}
	handshake_done(c);
}

/* A TLS call failed: no close_notify; errno says what conn_fail logs. */
static ssize_t tls_failed(superd_conn *c)
{
	c->flags |= C_TLS_BROKEN;
	if (errno == 0) {
		log_msg(SUPERD_LOG_DEBUG, c->svc->name, "TLS: %s",
		        tls_sess_reason(c->tls));
		conn_set_outcome(c, "tls error");
		errno = ECONNRESET;
	}
	return -1;
}

/*
 * read(2), or whole TLS records while a whole one still fits.  The
 * library reads ahead: when the loop stops for lack of room while it still
 * holds records, C_TLS_PENDING says to read again (no socket event will).
 */
ssize_t conn_io_read(superd_conn *c, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;

	if (!c->tls)
		return read(c->fd, buf, len);
	c->flags &= ~C_TLS_PENDING;
	if (c->flags & C_TLS_STASH) {
		c->flags &= ~C_TLS_STASH;
		errno = c->tls_stash;
		return c->tls_stash ? -1 : 0;
	}
	while (got == 0 || len - got >= TLS_RECORD_MAX) {
		ssize_t n = tls_read(c->tls, p + got, len - got);

		if (n > 0) {
			got += (size_t)n;
			if (len - got < TLS_RECORD_MAX && tls_pending(c->tls))
				c->flags |= C_TLS_PENDING;
			continue;
		}
		if (got && (n == 0 || n == TLS_ERR)) {
			/* the library consumed it: no socket event will repeat it */
			c->tls_stash = n == 0 ? 0 : (tls_failed(c), errno);
			c->flags |= C_TLS_STASH;
		}
		if (got)
			break;
		if (n == 0)
			return 0;
		if (n == TLS_WANT_WRITE)
			c->flags |= C_TLS_RW;
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
			errno = EAGAIN;
			return -1;
		}
		return tls_failed(c);
	}
	return (ssize_t)got;
}

/* write(2), or one TLS write (see conn_priv.h). */
ssize_t conn_io_write(superd_conn *c, const void *buf, size_t len)
{
	ssize_t n;

	if (!c->tls)
		return write(c->fd, buf, len);
	n = tls_write(c->tls, buf, len);
	if (n > 0)
		return n;
	if (n == TLS_WANT_READ)
		c->flags |= C_TLS_WR;
	if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
		errno = EAGAIN;
		return -1;
	}
	return tls_failed(c);
}

/*
 * Without kTLS a file goes out as up to this many bytes read at once,
 * then written as TLS records (16 KiB each) until the socket is full: one
 * pread per four records.  Measured (bench/README.md): larger reads were
 * slower (the data leaves the cache between pread and encryption), and
 * TCP_CORK around the records cost ~8% CPU per byte.
 */
#define TLS_FILE_CHUNK (4 * TLS_RECORD_MAX)

/* Write n bytes of buf record by record: bytes taken, or as conn_io_write. */
static ssize_t write_records(superd_conn *c, const unsigned char *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = conn_io_write(c, buf + done, n - done);

		if (w <= 0)
			return done ? (ssize_t)done : w; /* the next call gets the error */
		done += (size_t)w;
	}
	return (ssize_t)done;
}

/*
 * A file segment over TLS: SSL_sendfile when the kernel does the TLS
 * (kTLS); otherwise up to TLS_FILE_CHUNK read at *off and written (a retry
 * reads the same bytes again, as OpenSSL wants).  Bytes sent, or -1 with
 * errno (EAGAIN: the socket is full).
 */
ssize_t conn_io_file(superd_conn *c, int fd, off_t *off, size_t len)
{
	unsigned char buf[TLS_FILE_CHUNK];
	ssize_t n = tls_sendfile(c->tls, fd, *off, len);

	if (n == TLS_NOTSUP) {
		do
			n = pread(fd, buf, len < TLS_FILE_CHUNK ? len : TLS_FILE_CHUNK, *off);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return n;
		n = write_records(c, buf, (size_t)n);
	} else if (n == TLS_WANT_WRITE) {
		errno = EAGAIN;
		n = -1;
	} else if (n < 0) {
		n = tls_failed(c);
	}
	if (n > 0)
		*off += n;
	return n;
}

/* Send what was held back during the event (see conn_priv.h). */
int conn_tls_flush(superd_conn *c)
{
	if (!c->tls || (c->flags & C_DEAD))
		return 0;
	if (tls_flush(c->tls) < 0) {
		conn_fail(c, errno, "write");
		return -1;
	}
	return 0;
}

size_t conn_tls_held(const superd_conn *c)
{
	return c->tls ? tls_held(c->tls) : 0;
}

/* close_notify once, when the session is sound. */
static void notify_close(superd_conn *c)
{
	if (c->flags & (C_TLS_BROKEN | C_HANDSHAKE | C_TLS_NOTIFIED))
		return;
	tls_close_notify(c->tls);
	c->flags |= C_TLS_NOTIFIED;
}

/* A graceful close: all sent, close_notify last (see conn_priv.h). */
int conn_tls_finish(superd_conn *c)
{
	if (!c->tls)
		return 1;
	notify_close(c);
	return tls_flush(c->tls) != 1;
}

/* Closing: close_notify when the session is sound (see conn_priv.h). */
void conn_tls_end(superd_conn *c)
{
	if (!c->tls)
		return;
	notify_close(c);
	(void)tls_flush(c->tls); /* best effort: the socket closes next */
	tls_sess_free(c->tls);
	c->tls = NULL;
}
