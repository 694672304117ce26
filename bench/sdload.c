/*
 * sdload.c - the load tool of superd's benchmark (bench/run.sh).
 *
 * One epoll loop drives C concurrent clients of one kind against one
 * server for WARM + SECS seconds; only what completes after the warm-up
 * is counted.  Everything received is verified.  Modes:
 *
 *   conn      connect, [send 16 B and read them back: -P echo], read to
 *             EOF, close (RST with --rst); -P daytime|time|echo|none says
 *             what the reply must be.  Measures connections/s.  -A N
 *             (IPv4 loopback only) binds the client sockets to N source
 *             addresses 127.1.0.1, ... in turn, for servers that leave
 *             TIME_WAIT on the client side.  Default 1: the peers' figures
 *             were taken from 127.0.0.1, and xinetd's forked services slow
 *             to ~1 s per connection with many source addresses.
 *   pingpong  C connections; each sends -s bytes, waits for the echo,
 *             compares, repeats.  Round trips/s and their latency.
 *   stream    echo streaming: 64 KiB writes, reads back concurrently, at
 *             most 4 MiB in flight, every byte compared.  MB/s.
 *   chargen   read the chargen stream; lines of 72 printable successive
 *             characters + CRLF; --strict: exact RFC 864 rotation.  MB/s.
 *   discard   64 KiB writes; the server must send nothing.  MB/s.
 *   udp       C sockets, one request outstanding each (a client id and a
 *             sequence number, padded to -s bytes), re-sent after -T ms
 *             without a reply (counted as a loss).  Round trips/s.
 *
 * Output, one line:  sdload mode=M ops=N secs=S rate=R MBps=B p50_us=X
 * p99_us=Y errors=E verify=V losses=L
 * A hard alarm() ends the process if the loop ever stalls.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { M_CONN, M_PINGPONG, M_STREAM, M_CHARGEN, M_DISCARD, M_UDP };
enum proto { P_NONE, P_DAYTIME, P_TIME, P_ECHO };
enum cstate { S_IDLE, S_CONNECTING, S_READ_ECHO, S_READ_EOF, S_RUN };

#define CHUNK 65536
#define INFLIGHT (4u << 20)
#define PAT_PERIOD 251
#define RING 95
#define LINE 74
#define CG_PERIOD (RING * LINE)
#define HIST_SUB 64
#define HIST_BUCKETS (64 * HIST_SUB)

struct opts {
	enum mode mode;
	enum proto proto;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int conc;
	double secs, warm;
	size_t size;
	int udp_timeout_ms;
	int rst, strict;
	int nsrc;           /* conn mode: source addresses to rotate over */
};

struct client {
	int fd;
	enum cstate state;
	uint64_t t0;          /* start of the current operation (ns) */
	size_t have;          /* bytes of the current reply */
	size_t out_off;       /* bytes of the current request sent */
	uint64_t sent, rcvd;  /* stream byte counters */
	uint32_t seq;
	int cg_phase;         /* chargen: offset in the pattern, -1 unknown */
	int cg_col, cg_prev;  /* chargen structural check */
	unsigned char buf[128];
};

struct stats {
	uint64_t ops, bytes, errors, verify, losses;
	uint64_t hist[HIST_BUCKETS];
};

static unsigned char pattern[PAT_PERIOD + 4 * CHUNK];
static unsigned char cg_pattern[2 * CG_PERIOD];

/* Monotonic time in nanoseconds. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Log-linear histogram bucket of a latency in ns (1.6% resolution). */
static unsigned hist_index(uint64_t v)
{
	unsigned msb;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63 - (unsigned)__builtin_clzll(v);
	return (msb - 5) * HIST_SUB + (unsigned)((v >> (msb - 6)) & (HIST_SUB - 1));
}

/* Lower bound of a bucket, for percentiles. */
static uint64_t hist_value(unsigned i)
{
	unsigned msb;

	if (i < HIST_SUB)
		return i;
	msb = i / HIST_SUB + 5;
	return ((uint64_t)1 << msb) | ((uint64_t)(i % HIST_SUB) << (msb - 6));
}

static double hist_pct(const struct stats *st, double p)
{
	uint64_t want = (uint64_t)(st->ops * p), seen = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += st->hist[i];
		if (seen > want)
			return hist_value(i) / 1000.0;
	}
	return 0;
}

/* Count one finished operation that started at t0, if inside the window. */
static void record(struct stats *st, uint64_t t0, uint64_t t, uint64_t from, uint64_t to)
{
	if (t < from || t > to)
		return;
	st->ops++;
	st->hist[hist_index(t - t0)]++;
}

/* Fill the echo pattern (byte i = i mod 251) and the strict chargen one. */
static void patterns_init(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i % PAT_PERIOD);
	for (int line = 0, k = 0; line < 2 * RING; line++) {
		for (int j = 0; j < 72; j++)
			cg_pattern[k++] = (unsigned char)(0x20 + (line + j) % RING);
		cg_pattern[k++] = '\r';
		cg_pattern[k++] = '\n';
	}
}

/* A non-blocking socket of the target's family and type. */
static int new_socket(const struct opts *o, int type)
{
	int fd = socket(o->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	if (type == SOCK_STREAM) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

static void ep_set(int ep, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(ep, op, fd, &ev) < 0 && op != EPOLL_CTL_DEL) {
		perror("epoll_ctl");
		exit(2);
	}
}

/* Close a client's connection (with RST when asked) and forget it. */
static void client_close(int ep, struct client *c, int rst)
{
	if (c->fd < 0)
		return;
	if (rst) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	ep_set(ep, EPOLL_CTL_DEL, c->fd, 0, NULL);
	close(c->fd);
	c->fd = -1;
	c->state = S_IDLE;
}

/* Bind fd to the next of o->nsrc loopback source addresses (port chosen
 * at connect, so the whole 4-tuple space of each address is usable). */
static void bind_next_source(const struct opts *o, int fd)
{
	static unsigned next;
	struct sockaddr_in src = { .sin_family = AF_INET };
	unsigned k = next++ % (unsigned)o->nsrc;
	int one = 1;

	src.sin_addr.s_addr = htonl(0x7f010000u | ((k / 250) << 8) | (k % 250 + 1));
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		perror("bind source");
}

/* Start a new non-blocking connection for client c (conn mode). */
static void conn_start(int ep, const struct opts *o, struct client *c, struct stats *st)
{
	c->fd = new_socket(o, SOCK_STREAM);
	c->t0 = now_ns();
	c->have = 0;
	if (o->nsrc > 1)
		bind_next_source(o, c->fd);
	if (connect(c->fd, (const struct sockaddr *)&o->addr, o->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		st->errors++;
		close(c->fd);
		c->fd = -1;
		return;
	}
	c->state = S_CONNECTING;
	ep_set(ep, EPOLL_CTL_ADD, c->fd, EPOLLOUT, c);
}

/* Is a complete reply (read to EOF) what proto promises? */
static int reply_ok(const struct opts *o, const unsigned char *b, size_t n)
{
	if (o->proto == P_TIME) {
		uint32_t v;
		int64_t diff;

		if (n != 4)
			return 0;
		memcpy(&v, b, 4);
		diff = (int64_t)ntohl(v) - (int64_t)(((uint64_t)time(NULL) + 2208988800u) & 0xffffffffu);
		return diff >= -2 && diff <= 2;
	}
	if (o->proto == P_DAYTIME) {
		if (n < 2 || b[n - 1] != '\n')
			return 0;
		for (size_t i = 0; i + 1 < n; i++)
			if ((b[i] < 0x20 || b[i] > 0x7e) && !(b[i] == '\r' && i + 2 == n))
				return 0;
		return 1;
	}
	return n == 0;
}

/* One readiness event of a conn-mode client. */
static void conn_event(int ep, const struct opts *o, struct client *c, uint32_t ev,
                       struct stats *st, uint64_t from, uint64_t to)
{
	ssize_t n;

	if (c->state == S_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			st->errors++;
			client_close(ep, c, 0);
			return;
		}
		if (o->proto == P_ECHO) {
			if (send(c->fd, pattern, 16, MSG_NOSIGNAL) != 16) {
				st->errors++;
				client_close(ep, c, 1);
				return;
			}
			c->state = S_READ_ECHO;
		} else {
			c->state = S_READ_EOF;
		}
		ep_set(ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, c);
		return;
	}
	(void)ev;
	n = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		st->errors++;
		client_close(ep, c, 0);
		return;
	}
	if (c->state == S_READ_ECHO) {
		c->have += (size_t)n;
		if (n == 0 || c->have > 16 || (c->have == 16 && memcmp(c->buf, pattern, 16))) {
			st->verify++;
			client_close(ep, c, 1);
			return;
		}
		if (c->have < 16)
			return;
		if (o->rst) {
			record(st, c->t0, now_ns(), from, to);
			client_close(ep, c, 1);
			return;
		}
		shutdown(c->fd, SHUT_WR);
		c->have = 0;
		c->state = S_READ_EOF;
		return;
	}
	if (n > 0) {
		c->have += (size_t)n;
		if (c->have == sizeof(c->buf)) {
			st->verify++;
			client_close(ep, c, 1);
		}
		return;
	}
	if (reply_ok(o, c->buf, c->have) || (o->proto == P_ECHO && c->have == 0))
		record(st, c->t0, now_ns(), from, to);
	else
		st->verify++;
	client_close(ep, c, o->rst);
}

/* Connect every client with a blocking connect, then make it non-blocking. */
static void connect_all(int ep, const struct opts *o, struct client *cl, uint32_t events)
{
	for (int i = 0; i < o->conc; i++) {
		int fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

		if (fd < 0 || connect(fd, (const struct sockaddr *)&o->addr, o->addrlen) < 0) {
			perror("connect");
			exit(2);
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fcntl(fd, F_SETFL, O_NONBLOCK);
		cl[i].fd = fd;
		cl[i].state = S_RUN;
		cl[i].cg_phase = -1;
		ep_set(ep, EPOLL_CTL_ADD, fd, events, &cl[i]);
	}
}

/* Ping-pong: send the next request of client c. */
static void pp_send(const struct opts *o, struct client *c, struct stats *st)
{
	ssize_t n;

	c->t0 = c->out_off == 0 ? now_ns() : c->t0;
	n = send(c->fd, pattern + (c->seq % PAT_PERIOD) + c->out_off, o->size - c->out_off,
	         MSG_NOSIGNAL);
	if (n < 0 && errno != EAGAIN) {
		st->errors++;
		return;
	}
	if (n > 0)
		c->out_off += (size_t)n;
}

/* One readiness event of a ping-pong client. */
static void pp_event(int ep, const struct opts *o, struct client *c, uint32_t ev,
                     struct stats *st, uint64_t from, uint64_t to)
{
	static unsigned char rbuf[CHUNK];
	ssize_t n;

	if ((ev & EPOLLOUT) && c->out_off < o->size) {
		pp_send(o, c, st);
		if (c->out_off == o->size)
			ep_set(ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, c);
	}
	if (!(ev & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	n = recv(c->fd, rbuf, o->size - c->have, 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		st->errors++;
		client_close(ep, c, 0);
		return;
	}
	if (memcmp(rbuf, pattern + (c->seq % PAT_PERIOD) + c->have, (size_t)n))
		st->verify++;
	c->have += (size_t)n;
	if (c->have < o->size)
		return;
	record(st, c->t0, now_ns(), from, to);
	c->have = 0;
	c->out_off = 0;
	c->seq++;
	pp_send(o, c, st);
	if (c->out_off < o->size)
		ep_set(ep, EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLOUT, c);
}

/* Verify a chargen chunk: exact rotation (strict) or line structure. */
static void chargen_check(const struct opts *o, struct client *c, const unsigned char *b,
                          size_t n, struct stats *st)
{
	size_t i = 0;

	if (o->strict) {
		if (c->cg_phase < 0) {
			if (b[0] < 0x20 || b[0] > 0x7e) {
				st->verify++;
				return;
			}
			c->cg_phase = (b[0] - 0x20) * LINE;
		}
		while (i < n) {
			size_t k = n - i < (size_t)CG_PERIOD ? n - i : (size_t)CG_PERIOD;

			if (memcmp(b + i, cg_pattern + c->cg_phase, k)) {
				st->verify++;
				c->cg_phase = -1;
				return;
			}
			c->cg_phase = (int)((c->cg_phase + k) % CG_PERIOD);
			i += k;
		}
		return;
	}
	for (; i < n; i++) {
		int ch = b[i], col = c->cg_col;

		if (col < 72) {
			if (ch < 0x20 || ch > 0x7e || (col > 0 && ch != c->cg_prev + 1 && ch > c->cg_prev))
				st->verify++;
			c->cg_prev = ch;
		} else if ((col == 72 && ch != '\r') || (col == 73 && ch != '\n')) {
			st->verify++;
		}
		c->cg_col = col == 73 ? 0 : col + 1;
	}
}

/* One readiness event of a streaming client (stream, chargen, discard). */
static void stream_event(int ep, const struct opts *o, struct client *c, uint32_t ev,
                         struct stats *st, int counting)
{
	static unsigned char rbuf[4 * CHUNK];
	ssize_t n;

	if ((ev & EPOLLOUT) && o->mode != M_CHARGEN) {
		n = send(c->fd, pattern + c->sent % PAT_PERIOD, CHUNK, MSG_NOSIGNAL);
		if (n > 0) {
			c->sent += (uint64_t)n;
			if (o->mode == M_DISCARD && counting)
				st->bytes += (uint64_t)n;
		} else if (n < 0 && errno != EAGAIN) {
			st->errors++;
			client_close(ep, c, 0);
			return;
		}
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		n = recv(c->fd, rbuf, sizeof(rbuf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			st->errors++;
			client_close(ep, c, 0);
			return;
		}
		if (n > 0) {
			if (o->mode == M_DISCARD)
				st->verify++;
			else if (o->mode == M_CHARGEN)
				chargen_check(o, c, rbuf, (size_t)n, st);
			else if (memcmp(rbuf, pattern + c->rcvd % PAT_PERIOD, (size_t)n))
				st->verify++;
			c->rcvd += (uint64_t)n;
			if (counting && o->mode != M_DISCARD)
				st->bytes += (uint64_t)n;
		}
	}
	if (o->mode == M_STREAM) {
		uint32_t want = c->sent - c->rcvd < INFLIGHT ? EPOLLIN | EPOLLOUT : EPOLLIN;

		ep_set(ep, EPOLL_CTL_MOD, c->fd, want, c);
	}
}

/* UDP: send client c's current request. */
static void udp_send(const struct opts *o, struct client *c, int id, struct stats *st)
{
	unsigned char req[65536];
	uint32_t hdr[2] = { htonl((uint32_t)id), htonl(c->seq) };

	memcpy(req, hdr, 8);
	memcpy(req + 8, pattern, o->size - 8);
	c->t0 = now_ns();
	if (send(c->fd, req, o->size, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED)
		st->errors++;
}

/* UDP: a reply for client c (index id) is readable. */
static void udp_event(const struct opts *o, struct client *c, int id, struct stats *st,
                      uint64_t from, uint64_t to)
{
	unsigned char rep[65536];
	uint32_t hdr[2];
	ssize_t n;

	while ((n = recv(c->fd, rep, sizeof(rep), 0)) >= 0) {
		if ((size_t)n != o->size) {
			st->verify++;
			continue;
		}
		memcpy(hdr, rep, 8);
		if (ntohl(hdr[0]) != (uint32_t)id || memcmp(rep + 8, pattern, o->size - 8)) {
			st->verify++;
			continue;
		}
		if (ntohl(hdr[1]) != c->seq)
			continue; /* a late reply to a request already counted lost */
		record(st, c->t0, now_ns(), from, to);
		c->seq++;
		udp_send(o, c, id, st);
	}
}

/* UDP: requests without a reply for longer than the timeout are lost. */
static void udp_timeouts(const struct opts *o, struct client *cl, struct stats *st,
                         uint64_t t, uint64_t from, uint64_t to)
{
	for (int i = 0; i < o->conc; i++) {
		if (t - cl[i].t0 < (uint64_t)o->udp_timeout_ms * 1000000u)
			continue;
		if (t >= from && t <= to)
			st->losses++;
		cl[i].seq++;
		udp_send(o, &cl[i], i, st);
	}
}

/* Open the UDP sockets and send every first request. */
static void udp_setup(int ep, const struct opts *o, struct client *cl, struct stats *st)
{
	for (int i = 0; i < o->conc; i++) {
		int buf = 1 << 20;

		cl[i].fd = new_socket(o, SOCK_DGRAM);
		setsockopt(cl[i].fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		if (connect(cl[i].fd, (const struct sockaddr *)&o->addr, o->addrlen) < 0) {
			perror("connect");
			exit(2);
		}
		ep_set(ep, EPOLL_CTL_ADD, cl[i].fd, EPOLLIN, &cl[i]);
		udp_send(o, &cl[i], i, st);
	}
}

/* Run the measurement loop until warm + secs have passed. */
static void run(const struct opts *o, struct client *cl, struct stats *st)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event evs[256];
	uint64_t start, from, to;

	if (ep < 0) {
		perror("epoll_create1");
		exit(2);
	}
	for (int i = 0; i < o->conc; i++)
		cl[i].fd = -1;
	if (o->mode == M_PINGPONG)
		connect_all(ep, o, cl, EPOLLIN | EPOLLOUT);
	else if (o->mode == M_STREAM || o->mode == M_DISCARD)
		connect_all(ep, o, cl, EPOLLIN | EPOLLOUT);
	else if (o->mode == M_CHARGEN)
		connect_all(ep, o, cl, EPOLLIN);
	else if (o->mode == M_UDP)
		udp_setup(ep, o, cl, st);
	start = now_ns();
	from = start + (uint64_t)(o->warm * 1e9);
	to = from + (uint64_t)(o->secs * 1e9);
	for (;;) {
		uint64_t t = now_ns();
		int n;

		if (t >= to)
			break;
		if (o->mode == M_CONN)
			for (int i = 0; i < o->conc; i++)
				if (cl[i].fd < 0)
					conn_start(ep, o, &cl[i], st);
		if (o->mode == M_UDP)
			udp_timeouts(o, cl, st, t, from, to);
		n = epoll_wait(ep, evs, 256, 5);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			exit(2);
		}
		t = now_ns();
		for (int i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;

			if (c->fd < 0)
				continue;
			switch (o->mode) {
			case M_CONN:
				conn_event(ep, o, c, evs[i].events, st, from, to);
				break;
			case M_PINGPONG:
				pp_event(ep, o, c, evs[i].events, st, from, to);
				break;
			case M_UDP:
				udp_event(o, c, (int)(c - cl), st, from, to);
				break;
			default:
				stream_event(ep, o, c, evs[i].events, st, t >= from && t < to);
			}
		}
	}
	for (int i = 0; i < o->conc; i++)
		client_close(ep, &cl[i], o->mode == M_CONN && o->rst);
	close(ep);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sdload conn|pingpong|stream|chargen|discard|udp -H HOST -p PORT\n"
	           "  [-c CONC] [-d SECS] [-w WARMUP] [-s SIZE] [-P daytime|time|echo|none]\n"
	           "  [-T UDP_TIMEOUT_MS] [-A SOURCE_ADDRS] [--rst] [--strict]\n");
}

static int parse_mode(const char *s, enum mode *m)
{
	static const char *const names[] = { "conn", "pingpong", "stream", "chargen",
		                             "discard", "udp" };

	for (int i = 0; i < 6; i++)
		if (!strcmp(s, names[i])) {
			*m = (enum mode)i;
			return 0;
		}
	return -1;
}

static int parse_proto(const char *s, enum proto *p)
{
	static const char *const names[] = { "none", "daytime", "time", "echo" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*p = (enum proto)i;
			return 0;
		}
	return -1;
}

/* Resolve host:port into o->addr. */
static int resolve(struct opts *o, const char *host, const char *port, int dgram)
{
	struct addrinfo hints = { .ai_socktype = dgram ? SOCK_DGRAM : SOCK_STREAM,
		                  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;

	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	memcpy(&o->addr, ai->ai_addr, ai->ai_addrlen);
	o->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = { { "rst", no_argument, NULL, 'r' },
		                               { "strict", no_argument, NULL, 'S' },
		                               { NULL, 0, NULL, 0 } };
	struct opts o = { .conc = 1, .secs = 5, .warm = 0.5, .size = 64,
		          .udp_timeout_ms = 20, .proto = P_NONE, .nsrc = 1 };
	const char *host = "127.0.0.1", *port = NULL;
	struct stats *st;
	struct client *cl;
	int opt;

	if (argc < 2 || parse_mode(argv[1], &o.mode)) {
		usage(stderr);
		return 2;
	}
	optind = 2;
	while ((opt = getopt_long(argc, argv, "H:p:c:d:w:s:P:T:A:", longs, NULL)) != -1) {
		switch (opt) {
		case 'H': host = optarg; break;
		case 'p': port = optarg; break;
		case 'c': o.conc = atoi(optarg); break;
		case 'd': o.secs = atof(optarg); break;
		case 'w': o.warm = atof(optarg); break;
		case 's': o.size = (size_t)atol(optarg); break;
		case 'T': o.udp_timeout_ms = atoi(optarg); break;
		case 'A': o.nsrc = atoi(optarg); break;
		case 'r': o.rst = 1; break;
		case 'S': o.strict = 1; break;
		case 'P':
			if (parse_proto(optarg, &o.proto)) {
				usage(stderr);
				return 2;
			}
			break;
		default: usage(stderr); return 2;
		}
	}
	if (!port || o.conc < 1 || o.secs <= 0 || o.size < 8 || o.size > CHUNK ||
	    resolve(&o, host, port, o.mode == M_UDP)) {
		usage(stderr);
		return 2;
	}
	if (o.nsrc > 1 && (o.addr.ss_family != AF_INET ||
	                   ntohl(((struct sockaddr_in *)&o.addr)->sin_addr.s_addr) >> 24 != 127)) {
		fprintf(stderr, "sdload: -A needs an IPv4 loopback target\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)(o.warm + o.secs) + 15);
	patterns_init();
	st = calloc(1, sizeof(*st));
	cl = calloc((size_t)o.conc, sizeof(*cl));
	if (!st || !cl) {
		perror("calloc");
		return 2;
	}
	run(&o, cl, st);
	printf("sdload mode=%s ops=%llu secs=%.3f rate=%.1f MBps=%.1f p50_us=%.1f p99_us=%.1f "
	       "errors=%llu verify=%llu losses=%llu\n", argv[1], (unsigned long long)st->ops,
	       o.secs, st->ops / o.secs, st->bytes / o.secs / 1e6, hist_pct(st, 0.50),
	       hist_pct(st, 0.99), (unsigned long long)st->errors, (unsigned long long)st->verify,
	       (unsigned long long)st->losses);
	free(cl);
	free(st);
	return 0;
}
