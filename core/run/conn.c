/*
 * conn.c - stream connections: life cycle, input, dispatch, idle timeouts
 * and the log line (the output queue is in conn_out.c).
 */
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "counters.h"
#include "conn_priv.h"
#include "loader.h"
#include "log.h"
#include "tcpinfo.h"
#include "wnote.h"
#include "tls.h"

/* Reads per readiness event before giving others a turn. */
#define READS_PER_EVENT 4
/* on_drain calls in a row before waiting for the socket. */
#define DRAINS_PER_SETTLE 8
/* Earliest re-run of the timeout sweep after the previous one. */
#define SWEEP_MIN_MS 50
/* Kept input buffers above this are freed once empty. */
#define INPUT_KEEP_MAX (16u * 1024u)
/* At most one "beyond what the backend can watch" line per this many ms. */
#define FDLIMIT_LOG_MS 10000

/** The connection layer of this process (one loop per process). */
static struct {
	struct loop *loop;
	unsigned char *rbuf;            /**< CONN_READ_BUF bytes, shared */
	superd_conn *list;              /**< open connections */
	size_t count;
	struct loop_timer *sweep;       /**< next idle-timeout check */
	uint64_t sweep_at;
	void (*on_empty)(void);
	uint64_t fdlimit_logged_ms;     /**< last fd-limit line; 0: none yet */
	unsigned long fdlimit_unlogged; /**< refusals since that line */
	int draining;                   /**< conn_retire_all ran */
} cn;

static void conn_event(struct loop *l, int fd, unsigned events, void *arg);
static void conn_kick(superd_conn *c);

/* svc's limits: its own (module descriptor, service keys) or the defaults. */
static size_t in_max(const struct superd_service *svc)
{
	return svc->in_max ? svc->in_max : CONN_INPUT_MAX;
}

static size_t out_max(const struct superd_service *svc)
{
	return svc->out_max ? svc->out_max : CONN_OUTPUT_MAX;
}

/* c's output limit: back-pressure from here (see conn_priv.h). */
size_t conn_out_max(const superd_conn *c)
{
	return out_max(c->svc);
}

/* Set up this process's connection layer (see conn.h). */
int conn_init(struct loop *loop, void (*on_empty)(void))
{
	cn.loop = loop;
	cn.on_empty = on_empty;
	if (!cn.rbuf)
		cn.rbuf = malloc(CONN_READ_BUF);
	return cn.rbuf ? 0 : -1;
}

unsigned char *conn_read_buffer(size_t *size)
{
	*size = CONN_READ_BUF;
	return cn.rbuf;
}

struct loop *conn_loop(void)
{
	return cn.loop;
}

size_t conn_count(void)
{
	return cn.count;
}

/* Record the first reason a connection ends. */
static void set_outcome(superd_conn *c, const char *outcome)
{
	if (!c->outcome)
		c->outcome = outcome;
}

void conn_set_outcome(superd_conn *c, const char *outcome)
{
	set_outcome(c, outcome);
}

/* c failed in call with err (see conn_priv.h). */
void conn_fail(superd_conn *c, int err, const char *call)
{
	switch (err) {
	case ECONNRESET:
	case EPIPE:
	case ETIMEDOUT:
	case EHOSTUNREACH:
	case ENETUNREACH:
		set_outcome(c, "reset");
		break;
	default:
		log_errno(c->svc->name, call, err);
		set_outcome(c, "error");
		break;
	}
	c->flags |= C_DEAD;
	conn_drop_output(c);
}

/* The events c needs from the loop now. */
static unsigned wanted_events(const superd_conn *c)
{
	unsigned ev = 0, stop = C_EOF | C_CLOSING | C_BACKPRESSURE | C_RELAY_FULL;

	if (c->flags & C_DEAD)
		return 0;
	if (conn_tls_held(c))
		ev |= LOOP_OUT; /* records held back that the socket did not take */
	if (c->flags & C_HANDSHAKE)
		return ev | c->tls_want;
	if (!(c->flags & C_RELAY))
		stop |= C_PAUSED; /* a relay reads for the child, not the module */
	if (!(c->flags & stop))
		ev |= LOOP_IN;
	if (c->head || ((c->flags & C_WANT_DRAIN) && c->svc->module->on_drain &&
	                !(c->flags & C_CLOSING)))
		ev |= LOOP_OUT;
	if (c->flags & C_TLS_RW)
		ev |= LOOP_OUT;
	if ((c->flags & C_TLS_WR) && c->head)
		ev |= LOOP_IN;
	return ev;
}

/* Format sa as "ip:port" (IPv4-mapped shown as IPv4), "unix" for UNIX. */
void conn_format_addr(const struct sockaddr *sa, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip, sizeof(ip));
			snprintf(buf, size, "%s:%u", ip, ntohs(in6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
			snprintf(buf, size, "[%s]:%u", ip, ntohs(in6->sin6_port));
		}
	} else {
		snprintf(buf, size, "unix");
	}
}

/* Fill lc's remote fields from sa; ip (size bytes) holds the address. */
void conn_log_peer(const struct sockaddr *sa, struct log_conn *lc, char *ip,
                   size_t size)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

	lc->remote = ip;
	lc->remote_v6 = 0;
	lc->remote_port = -1;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &in->sin_addr, ip, (socklen_t)size);
		lc->remote_port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		lc->remote_port = ntohs(in6->sin6_port);
		lc->remote_v6 = !IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr);
		if (lc->remote_v6)
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)size);
		else
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip, (socklen_t)size);
	} else {
		snprintf(ip, size, "unix");
	}
}

/*
 * Log a connection refused because its fd is beyond what the backend can
 * watch (select: FD_SETSIZE).  Under load this can happen to every new
 * connection, so: the first one, then at most one line per FDLIMIT_LOG_MS
 * saying how many more were refused meanwhile.
 */
static void log_fd_limit(const superd_conn *c)
{
	uint64_t now = loop_now(cn.loop);

	if (cn.fdlimit_logged_ms && now - cn.fdlimit_logged_ms < FDLIMIT_LOG_MS) {
		cn.fdlimit_unlogged++;
		return;
	}
	if (cn.fdlimit_unlogged)
		log_msg(SUPERD_LOG_ERROR, c->svc->name,
		        "fd %d is beyond what the %s backend can watch; closing the connection (%lu more refused so since the last such line)",
		        c->fd, loop_backend_name(cn.loop), cn.fdlimit_unlogged);
	else
		log_msg(SUPERD_LOG_ERROR, c->svc->name,
		        "fd %d is beyond what the %s backend can watch; closing the connection",
		        c->fd, loop_backend_name(cn.loop));
	cn.fdlimit_logged_ms = now ? now : 1;
	cn.fdlimit_unlogged = 0;
}

/* Keep the back-pressure flag and the loop's events in line with c. */
static void update_events(superd_conn *c)
{
	unsigned ev;

	if (c->queued >= out_max(c->svc))
		c->flags |= C_BACKPRESSURE;
	else if (c->queued <= out_max(c->svc) / 4)
		c->flags &= ~C_BACKPRESSURE;
	if (c->relay_fd >= 0)
		conn_relay_update(c);
	if (c->tls && conn_tls_flush(c) < 0)
		return;
	ev = wanted_events(c);
	if (!(c->flags & C_IN_LOOP)) {
		if (!ev)
			return;
		if (loop_add(cn.loop, c->fd, ev, conn_event, c) < 0) {
			if (errno == EMFILE)
				log_fd_limit(c);
			else
				log_errno(c->svc->name, "loop_add", errno);
			set_outcome(c, "refused: fd limit");
			c->flags |= C_DEAD;
			conn_drop_output(c);
			return;
		}
		c->flags |= C_IN_LOOP;
		c->events = ev;
		return;
	}
	if (ev != c->events && loop_mod(cn.loop, c->fd, ev) == 0)
		c->events = ev;
}

/*
 * Write c's log line (only when info lines are wanted).  The outcome is
 * the module's note, unless the core cut the connection: then the cut
 * comes first ("shutdown (http 200)").  When the module handed the socket
 * on (conn_fd) and the core moved no byte itself, a child did the I/O
 * (exec): the kernel's TCP counts stand for the bytes.
 */
static void log_conn(const superd_conn *c)
{
	char ip[INET6_ADDRSTRLEN], how[160];
	const char *outcome = c->outcome ? c->outcome : "closed";
	struct log_conn lc;

	if (log_get_level() < SUPERD_LOG_INFO)
		return;
	conn_log_peer(&c->remote.sa, &lc, ip, sizeof(ip));
	if (c->note && (c->flags & C_CUT))
		snprintf(how, sizeof(how), "%s (%s)", outcome, c->note);
	else
		snprintf(how, sizeof(how), "%s", c->note ? c->note : outcome);
	lc.outcome = how;
	lc.duration_ms = loop_now(cn.loop) - c->start_ms;
	lc.has_bytes = 1;
	lc.in = c->bytes_in;
	lc.out = c->bytes_out;
	log_connection(SUPERD_LOG_INFO, c->svc->name, &lc, NULL);
}

/*
 * The module handed c's socket to a child (conn_fd, as exec does): when the
 * core moved no byte itself, the kernel's TCP counts stand for the bytes.
 */
static void handed_bytes(superd_conn *c)
{
	uint64_t in, out;

	if (c->bytes_in || c->bytes_out || tcpinfo_bytes(c->fd, &in, &out) < 0)
		return;
	c->bytes_in = in;
	c->bytes_out = out;
}

/* Close and free c: on_close, the socket, the access slot, the log line. */
static void conn_destroy(superd_conn *c)
{
	const struct superd_module *m = c->svc->module;

	c->flags |= C_DEAD;
	if (c->flags & C_IN_LOOP)
		loop_del(cn.loop, c->fd);
	if (c->kick)
		loop_timer_cancel(cn.loop, c->kick);
	if ((c->flags & C_OPENED) && m->on_close) {
		c->busy++;
		wnote_enter(c->svc, WN_ON_CLOSE);
		m->on_close(c, c->svc->instance, c->state);
		wnote_leave();
		c->busy--;
	}
	if (c->flags & C_HANDED)
		handed_bytes(c); /* while the socket still has its TCP counts */
	conn_relay_end(c);
	conn_tls_end(c);
	close(c->fd);
	conn_drop_output(c);
	if (c->svc->access) {
		if (!(c->flags & C_NO_RELEASE))
			access_release(c->svc->access, &c->remote.sa);
		counters_closed(c->svc->access,
		                (loop_now(cn.loop) - c->start_ms) * 1000,
		                c->bytes_in, c->bytes_out);
	}
	if ((c->flags & C_OPENED) || !(c->flags & C_TLS_BROKEN))
		log_conn(c); /* refused handshakes: conn_tls_refused logged them */
	if (c->prev)
		c->prev->next = c->next;
	else
		cn.list = c->next;
	if (c->next)
		c->next->prev = c->prev;
	cn.count--;
	wnote_conns(cn.count);
	free(c->in);
	free(c->peer);
	free(c->note);
	free(c->tls_info);
	free(c);
	if (cn.count == 0 && cn.on_empty)
		cn.on_empty();
}

/* Add len bytes to the kept input; -1 past the service's in_max or no memory. */
static int input_append(superd_conn *c, const unsigned char *buf, size_t len)
{
	if (c->inlen + len > in_max(c->svc))
		return -1;
	if (c->inlen + len > c->incap) {
		size_t cap = c->incap ? c->incap : 4096;
		unsigned char *in;

		while (cap < c->inlen + len)
			cap *= 2;
		in = realloc(c->in, cap);
		if (!in)
			return -1;
		c->in = in;
		c->incap = cap;
	}
	memcpy(c->in + c->inlen, buf, len);
	c->inlen += len;
	return 0;
}

/* Forget the kept input, freeing a big buffer. */
static void input_clear(superd_conn *c)
{
	c->inlen = 0;
	if (c->incap > INPUT_KEEP_MAX) {
		free(c->in);
		c->in = NULL;
		c->incap = 0;
	}
}

/* The module's answer to on_data: keep the rest, or close. */
static void input_consumed(superd_conn *c, const unsigned char *data,
                           size_t len, size_t used)
{
	if (used == SUPERD_DATA_CLOSE || used == SUPERD_DATA_ABORT) {
		input_clear(c);
		if (used == SUPERD_DATA_ABORT) {
			set_outcome(c, "aborted");
			c->flags |= C_DEAD;
			conn_drop_output(c);
		} else {
			set_outcome(c, "closed");
			c->flags |= C_CLOSING;
		}
		return;
	}
	if (c->flags & C_DEAD)
		return;
	if (used > len)
		used = len;
	if (data == c->in) {
		memmove(c->in, c->in + used, len - used);
		c->inlen = len - used;
		if (c->inlen == 0)
			input_clear(c);
	} else if (used < len && input_append(c, data + used, len - used) < 0) {
		set_outcome(c, "input overflow");
		c->flags |= C_DEAD;
	}
}

/* Hand new bytes (after any kept ones) to the module. */
static void deliver(superd_conn *c, const unsigned char *buf, size_t n)
{
	const struct superd_module *m = c->svc->module;
	const unsigned char *data = buf;
	size_t len = n, used;

	if ((c->flags & C_RELAY) && !(c->flags & (C_DEAD | C_CLOSING))) {
		if (c->inlen) {
			if (n && input_append(c, buf, n) < 0) {
				set_outcome(c, "input overflow");
				c->flags |= C_DEAD;
				return;
			}
			data = c->in;
			len = c->inlen;
		}
		if (len)
			input_consumed(c, data, len, conn_relay_push(c, data, len));
		return;
	}
	if (!m->on_data || (c->flags & (C_DEAD | C_CLOSING))) {
		input_clear(c);
		return;
	}
	if (c->inlen) {
		if (n && input_append(c, buf, n) < 0) {
			set_outcome(c, "input overflow");
			c->flags |= C_DEAD;
			return;
		}
		data = c->in;
		len = c->inlen;
	}
	if (len == 0)
		return;
	wnote_enter(c->svc, WN_ON_DATA);
	used = m->on_data(c, c->svc->instance, c->state, data, len);
	wnote_leave();
	input_consumed(c, data, len, used);
	if ((c->flags & C_REFLECT) && c->inlen && !(c->flags & C_DEAD)) {
		/* host->reflect inside on_data: what it kept goes back first */
		conn_reflect_send(c, c->in, c->inlen);
		input_clear(c);
	}
}

/* The client half-closed: on_eof, or send what is queued and close. */
static void read_eof(superd_conn *c)
{
	const struct superd_module *m = c->svc->module;

	c->flags |= C_EOF;
	set_outcome(c, "eof");
	if (c->flags & C_RELAY) {
		conn_relay_eof(c);
	} else if (m->on_eof && !(c->flags & C_CLOSING)) {
		wnote_enter(c->svc, WN_ON_EOF);
		m->on_eof(c, c->svc->instance, c->state);
		wnote_leave();
	}
	else
		c->flags |= C_CLOSING;
}

/*
 * How much to read now: what may still be queued before back-pressure
 * (a module that answers every byte, as echo, then never queues more
 * than the service's out_max), at least a small read.
 */
static size_t read_size(const superd_conn *c)
{
	size_t room = c->queued < out_max(c->svc) ? out_max(c->svc) - c->queued : 0;

	if (room < CONN_READ_MIN)
		room = CONN_READ_MIN;
	return room < CONN_READ_BUF ? room : CONN_READ_BUF;
}

/* Read what the socket has (a bounded number of times) and deliver it. */
void conn_read(superd_conn *c)
{
	for (int i = 0; i < READS_PER_EVENT; i++) {
		size_t want = read_size(c);
		ssize_t n;

		if (c->tls && want < TLS_RECORD_MAX)
			want = TLS_RECORD_MAX; /* a whole record: none left inside */
		if (c->flags & C_REFLECT)
			n = conn_reflect_in(c, cn.rbuf, want); /* sent back */
		else
			n = conn_io_read(c, cn.rbuf, want);

		if (n > 0) {
			c->bytes_in += (size_t)n;
			c->last_ms = loop_now(cn.loop);
			if (!(c->flags & C_REFLECT))
				deliver(c, cn.rbuf, (size_t)n);
			if (!(wanted_events(c) & LOOP_IN) ||
			    ((size_t)n < want &&
			     !(c->flags & (C_TLS_STASH | C_TLS_PENDING))) ||
			    c->queued >= out_max(c->svc))
				return;
			continue;
		}
		if (n == 0) {
			read_eof(c);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			conn_fail(c, errno, "read");
		return;
	}
}

/* The loop says c's socket is ready. */
static void conn_event(struct loop *l, int fd, unsigned events, void *arg)
{
	superd_conn *c = arg;
	int tls_retry;

	c->busy++;
	c->turn_out = 0; /* a new turn: TURN_MAX bytes again (conn_out.c) */
	if (c->tls)
		tls_cork(c->tls); /* what this event writes leaves at its end */
	if (c->flags & C_HANDSHAKE) {
		conn_tls_step(c);
		c->busy--;
		conn_settle(c);
		return;
	}
	tls_retry = (events & (LOOP_IN | LOOP_ERR)) && (c->flags & C_TLS_WR);
	c->flags &= ~C_TLS_WR;
	if (((events & (LOOP_OUT | LOOP_ERR)) || tls_retry) && c->head)
		conn_flush(c);
	tls_retry = (events & (LOOP_OUT | LOOP_ERR)) && (c->flags & C_TLS_RW);
	c->flags &= ~C_TLS_RW;
	if (((events & (LOOP_IN | LOOP_ERR)) || tls_retry) &&
	    (wanted_events(c) & LOOP_IN))
		conn_read(c);
	c->busy--;
	conn_settle(c);
}

/* A deferred settle (input to hand again after a resume). */
static void conn_kicked(struct loop *l, void *arg)
{
	superd_conn *c = arg;

	c->kick = NULL;
	conn_settle(c);
}

/*
 * After a dispatch: carry out a close, hand kept input again after a
 * resume, call on_drain while the module keeps the socket fed (bounded),
 * then bring the loop's events up to date.
 */
void conn_settle(superd_conn *c)
{
	const struct superd_module *m = c->svc->module;
	int drains = 0, tls_reads = 0;

	for (;;) {
		if ((c->flags & C_DEAD) ||
		    ((c->flags & C_CLOSING) && !c->head && conn_tls_finish(c))) {
			conn_destroy(c);
			return;
		}
		if ((c->flags & C_REDELIVER) &&
		    (!(c->flags & C_PAUSED) || (c->flags & C_RELAY)) &&
		    !(c->flags & C_RELAY_FULL)) {
			c->flags &= ~C_REDELIVER;
			c->busy++;
			deliver(c, NULL, 0);
			c->busy--;
			continue;
		}
		if ((c->flags & (C_TLS_STASH | C_TLS_PENDING)) &&
		    (wanted_events(c) & LOOP_IN)) {
			/* what the TLS library already holds (an end or error
			 * behind data, records read ahead): no event will come */
			if (tls_reads++ < READS_PER_EVENT) {
				c->busy++;
				conn_read(c);
				c->busy--;
				continue;
			}
			conn_kick(c); /* the others first; the kick reads on */
		}
		if (!c->head && (c->flags & C_WANT_DRAIN)) {
			if (!m->on_drain || (c->flags & C_CLOSING)) {
				c->flags &= ~C_WANT_DRAIN;
			} else if (drains++ < DRAINS_PER_SETTLE) {
				c->flags &= ~C_WANT_DRAIN;
				c->busy++;
				wnote_enter(c->svc, WN_ON_DRAIN);
				m->on_drain(c, c->svc->instance, c->state);
				wnote_leave();
				c->busy--;
				continue;
			}
		}
		break;
	}
	update_events(c);
	if (c->flags & C_DEAD)
		conn_destroy(c);
}

/*
 * Settle c from the loop soon (a 0 ms timer), not inside the module's own
 * call: a module that closes from a timer or watch callback may still use
 * its state after host->close returns.
 */
static void conn_kick(superd_conn *c)
{
	if (c->kick)
		return;
	c->kick = loop_timer_add(cn.loop, 0, conn_kicked, c);
	if (!c->kick)
		conn_destroy(c); /* no memory for a timer: close now */
}

/* After a host call outside a dispatch: update the loop, defer a close. */
void conn_host_done(superd_conn *c)
{
	if (c->busy)
		return;
	if ((c->flags & C_DEAD) || ((c->flags & C_CLOSING) && !c->head)) {
		conn_kick(c);
		return;
	}
	update_events(c);
	if (c->flags & C_DEAD)
		conn_kick(c);
}

/* Check idle timeouts; re-arm for the earliest deadline left. */
static void sweep_run(struct loop *l, void *arg)
{
	uint64_t now = loop_now(cn.loop), next = UINT64_MAX;
	superd_conn *c, *nx;

	cn.sweep = NULL;
	for (c = cn.list; c; c = nx) {
		uint64_t deadline;

		nx = c->next;
		if (!c->timeout_ms || (c->flags & C_DEAD))
			continue;
		deadline = c->last_ms + c->timeout_ms;
		if (deadline > now) {
			if (deadline < next)
				next = deadline;
			continue;
		}
		if (c->flags & C_HANDSHAKE)
			conn_tls_refused(c, "handshake timeout");
		c->outcome = "timeout"; /* the cut is how it ended */
		c->flags |= C_DEAD | C_CUT;
		conn_drop_output(c);
		if (!c->busy)
			conn_destroy(c);
	}
	if (next != UINT64_MAX) {
		uint64_t wait = next - now;

		cn.sweep_at = now + (wait < SWEEP_MIN_MS ? SWEEP_MIN_MS : wait);
		cn.sweep = loop_timer_add(cn.loop, cn.sweep_at - now, sweep_run, NULL);
	}
}

/* Make sure the sweep runs by deadline. */
void conn_sweep_arm(uint64_t deadline)
{
	uint64_t now = loop_now(cn.loop);

	if (cn.sweep && cn.sweep_at <= deadline)
		return;
	if (cn.sweep)
		loop_timer_cancel(cn.loop, cn.sweep);
	cn.sweep_at = deadline > now ? deadline : now;
	cn.sweep = loop_timer_add(cn.loop, cn.sweep_at - now, sweep_run, NULL);
}

/* Take over an admitted socket (see conn.h). */
void conn_start(struct superd_service *svc, int fd, const struct sockaddr *sa,
                socklen_t salen, unsigned proto)
{
	conn_start_at(svc, fd, sa, salen, NULL, 0, proto);
}

/*
 * The peer record of a connection whose addresses came from a PROXY
 * header (local: the address the client reached), made before on_open.
 */
static struct superd_peer *peer_given(const superd_conn *c,
                                      const struct sockaddr *local,
                                      socklen_t llen)
{
	struct superd_peer *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->proto = c->proto;
	memcpy(&p->remote, &c->remote, c->remote_len);
	p->remote_len = c->remote_len;
	if (llen > sizeof(p->local))
		llen = sizeof(p->local);
	memcpy(&p->local, local, llen);
	p->local_len = llen;
	conn_fill_peer_text(p);
	return p;
}

/*
 * Nagle's algorithm off on a TCP connection (TCP_NODELAY), as nginx,
 * HAProxy and Go do.  The core already gathers what a module writes while
 * the socket is busy, so Nagle only ever held back the last, short segment
 * of a response until the client's delayed ACK (up to 40 ms on Linux):
 * a keep-alive client then waited for it, and the stalled connections'
 * inflated round trips made BBR pace them at a fraction of the path
 * (bench/README.md, "The 1 MiB file: Nagle at the tail").  Modules that
 * want segments filled cork the socket around the writes (http does).
 */
static void stream_tune(const superd_conn *c)
{
	if (c->proto == SUPERD_PROTO_TCP &&
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
	               sizeof(int)) < 0)
		log_errno(c->svc->name, "setsockopt TCP_NODELAY", errno);
}

/* Take over an admitted socket whose local address may be given. */
void conn_start_at(struct superd_service *svc, int fd, const struct sockaddr *sa,
                   socklen_t salen, const struct sockaddr *local,
                   socklen_t llen, unsigned proto)
{
	const struct superd_module *m = svc->module;
	superd_conn *c = calloc(1, sizeof(*c) + m->conn_size);

	if (!c) {
		log_errno(svc->name, "malloc", errno);
		close(fd);
		if (svc->access)
			access_release(svc->access, sa);
		return;
	}
	c->fd = fd;
	c->relay_fd = c->relay_peer = -1;
	c->svc = svc;
	c->proto = proto;
	c->state = m->conn_size ? c->state_mem : NULL;
	stream_tune(c);
	if (salen > sizeof(c->remote))
		salen = sizeof(c->remote);
	memcpy(&c->remote, sa, salen);
	c->remote_len = salen;
	if (local)
		c->peer = peer_given(c, local, llen);
	c->start_ms = c->last_ms = loop_now(cn.loop);
	c->timeout_ms = svc->timeout_ms;
	c->next = cn.list;
	if (cn.list)
		cn.list->prev = c;
	cn.list = c;
	cn.count++;
	if (fd >= FD_SETSIZE && loop_add(cn.loop, fd, 0, conn_event, c) < 0) {
		/* select cannot watch it: refuse before the module sees it. */
		update_events(c);
		conn_destroy(c);
		return;
	}
	if (fd >= FD_SETSIZE)
		c->flags |= C_IN_LOOP;
	if (!svc->tls) {
		conn_open_module(c);
	} else if (conn_tls_start(c) == 0) {
		c->busy++;
		conn_tls_step(c);
		c->busy--;
	}
	if (c->timeout_ms && !(c->flags & C_DEAD))
		conn_sweep_arm(c->last_ms + c->timeout_ms);
	conn_settle(c);
}

/*
 * Run the module's on_open (inside a dispatch).  What it writes waits for
 * its end (C_HOLD), then leaves in one flush: when on_open also closed
 * (daytime, time), the answer goes with MSG_MORE and the close sends it
 * with the FIN, one segment instead of two (and one ACK fewer).
 */
void conn_open_module(superd_conn *c)
{
	const struct superd_module *m = c->svc->module;
	int rc;

	c->busy++;
	wnote_conns(cn.count);
	wnote_enter(c->svc, WN_ON_OPEN);
	c->flags |= C_HOLD;
	rc = m->on_open(c, c->svc->instance, c->state);
	c->flags &= ~C_HOLD;
	wnote_leave();
	if (rc == 0)
		c->flags |= C_OPENED;
	else
		set_outcome(c, "refused by module"), c->flags |= C_DEAD;
	if (c->head && !(c->flags & C_DEAD))
		conn_flush(c);
	c->busy--;
}

/* Grace time over: close every connection now. */
void conn_close_all(const char *outcome)
{
	while (cn.list) {
		superd_conn *c = cn.list;

		c->outcome = outcome; /* the cut is how it ended */
		c->flags |= C_DEAD | C_CUT;
		conn_drop_output(c);
		conn_destroy(c);
	}
}

/* The worker drains: tell every connection's module (see conn.h). */
void conn_retire_all(void)
{
	superd_conn *c, *nx;

	cn.draining = 1;
	for (c = cn.list; c; c = nx) {
		const struct superd_module *m = c->svc->module;

		nx = c->next;
		if (!(c->flags & C_OPENED) || (c->flags & C_DEAD) ||
		    !MODULE_HAS(m, on_retire))
			continue;
		c->busy++;
		wnote_enter(c->svc, WN_ON_RETIRE);
		m->on_retire(c, c->svc->instance, c->state);
		wnote_leave();
		c->busy--;
		/* settling may free c; keep nx valid by settling last */
		conn_settle(c);
	}
}

int conn_draining(void)
{
	return cn.draining;
}

/* --- host services --- */

void conn_close(superd_conn *c)
{
	if (c->flags & C_DEAD)
		return;
	set_outcome(c, "closed");
	if (c->relay_fd >= 0)
		conn_relay_drain(c);
	c->flags |= C_CLOSING;
	input_clear(c);
	conn_host_done(c);
}

void conn_abort(superd_conn *c)
{
	if (c->flags & C_DEAD)
		return;
	set_outcome(c, "aborted");
	c->flags |= C_DEAD;
	conn_drop_output(c);
	conn_host_done(c);
}

void conn_pause_read(superd_conn *c, int paused)
{
	if (paused) {
		c->flags |= C_PAUSED;
	} else if (c->flags & C_PAUSED) {
		c->flags &= ~C_PAUSED;
		if (c->inlen && !(c->flags & C_DEAD)) {
			c->flags |= C_REDELIVER;
			if (!c->busy)
				conn_kick(c);
		} else if ((c->flags & C_TLS_PENDING) && !c->busy) {
			conn_kick(c); /* read what the TLS library kept */
		}
	}
	conn_host_done(c);
}

void conn_set_timeout(superd_conn *c, unsigned ms)
{
	c->timeout_ms = ms;
	if (ms)
		conn_sweep_arm(c->last_ms + ms);
}

/* One address's numeric text (IPv4-mapped shown as IPv4) and port. */
static void addr_text(const struct sockaddr_storage *ss, char *ip, size_t size,
                      unsigned short *port)
{
	ip[0] = '\0';
	*port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &in->sin_addr, ip, (socklen_t)size);
		*port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip, (socklen_t)size);
		else
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)size);
		*port = ntohs(in6->sin6_port);
	}
}

/* Fill a superd_peer's text fields from its addresses. */
void conn_fill_peer_text(struct superd_peer *p)
{
	addr_text(&p->remote, p->remote_ip, sizeof(p->remote_ip), &p->remote_port);
	addr_text(&p->local, p->local_ip, sizeof(p->local_ip), &p->local_port);
}

/* Peer and local addresses, filled on first request (getsockname then). */
const struct superd_peer *conn_peer(const superd_conn *cc)
{
	superd_conn *c = (superd_conn *)cc;
	struct superd_peer *p;

	if (c->peer)
		return c->peer;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->proto = c->proto;
	memcpy(&p->remote, &c->remote, c->remote_len);
	p->remote_len = c->remote_len;
	p->local_len = sizeof(p->local);
	if (getsockname(c->fd, (struct sockaddr *)&p->local, &p->local_len) < 0)
		p->local_len = 0;
	conn_fill_peer_text(p);
	c->peer = p;
	return p;
}

superd_service *conn_service(const superd_conn *c)
{
	return c->svc;
}

/*
 * host->conn_fd: the module hands the socket to a child (exec).  Over TLS
 * it gets the plaintext end of a relay the host runs instead (and the
 * host keeps counting the application bytes itself).
 */
int conn_fd(const superd_conn *c)
{
	if (c->tls)
		return conn_relay_fd((superd_conn *)c);
	/* From here a child does the I/O; the log line takes the kernel's
	 * counts.  The flag is the host's own bookkeeping, not module state. */
	((superd_conn *)c)->flags |= C_HANDED;
	return c->fd;
}

/* host->tls: the connection's TLS facts, or NULL for plaintext. */
const struct superd_tls *conn_tls(const superd_conn *cc)
{
	superd_conn *c = (superd_conn *)cc;
	struct superd_tls *t;
	size_t room = 1024;

	if (!c->tls || (c->flags & C_HANDSHAKE))
		return NULL;
	if (c->tls_info)
		return c->tls_info;
	t = malloc(sizeof(*t) + room);
	if (!t)
		return NULL;
	if (tls_sess_info(c->tls, t, (char *)(t + 1), room) < 0) {
		free(t);
		return NULL;
	}
	c->tls_info = t;
	return t;
}

void conn_note(superd_conn *c, const char *outcome)
{
	char *note = outcome ? strdup(outcome) : NULL;

	free(c->note);
	c->note = note;
}
