/*
 * test_conn.c - the connection layer over a socketpair: echo with
 * half-close, kept input, the input cap, back-pressure, on_drain, idle
 * timeouts, a close asked for inside a callback, the select backend's
 * fd limit, and Nagle off on TCP connections.
 */
#include "conf.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "host.h"
#include "loop.h"

static const struct superd_host *H;
static struct loop *L;
static struct superd_service svc;
static struct superd_module mod;

/* What the test module saw. */
static struct {
	int opened, closed, drains;
	size_t seen;            /**< bytes handed to on_data (new or kept) */
	size_t written;         /**< bytes the drain module wrote */
	char line[256];         /**< last complete line (line module) */
	int mode;
	superd_conn *c;         /**< the connection (from on_open) */
} tm;

enum { MODE_ECHO, MODE_LINES, MODE_NEVER, MODE_ABORT_IN_DATA, MODE_BULK,
       MODE_REFLECT, MODE_REFLECT_LATER, MODE_FILE, MODE_HEAD_FILE };

#define FILE_TOTAL (4u << 20)
#define TURN_MAX_WANT (256u << 10) /* conn_out.c's TURN_MAX */
#define TURN_TAIL_WANT (16u << 10) /* conn_out.c's TURN_TAIL */
#define HEAD_LEN 1000u             /* MODE_HEAD_FILE's head before the file */

#define DRAIN_TOTAL (3u << 20)

/* Queue FILE_TOTAL zeros from a sparse file with host->sendfile. */
static void send_zeros(superd_conn *c)
{
	char path[] = "/tmp/test_conn.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, FILE_TOTAL), 0);
	ck_assert_int_eq(H->sendfile(c, fd, 0, FILE_TOTAL), 0);
}

static int tm_open(superd_conn *c, void *inst, void *state)
{
	tm.opened++;
	tm.c = c;
	if (tm.mode == MODE_REFLECT)
		ck_assert_int_eq(H->reflect(c), 0);
	if (tm.mode == MODE_FILE)
		send_zeros(c);
	if (tm.mode == MODE_BULK) {
		static unsigned char block[65536];

		memset(block, 'x', sizeof(block));
		H->write(c, block, sizeof(block));
		tm.written += sizeof(block);
	}
	return 0;
}

static size_t tm_data(superd_conn *c, void *inst, void *state,
                      const unsigned char *d, size_t len)
{
	const unsigned char *nl;

	tm.seen += len;
	switch (tm.mode) {
	case MODE_ECHO:
		H->write(c, d, len);
		return len;
	case MODE_LINES:
		nl = memchr(d, '\n', len);
		if (!nl)
			return 0;
		snprintf(tm.line, sizeof(tm.line), "%.*s", (int)(nl - d), d);
		return (size_t)(nl - d) + 1;
	case MODE_REFLECT_LATER:
		/* "HI" is consumed; from the newline on, the core echoes */
		nl = memchr(d, '\n', len);
		if (!nl)
			return 0;
		ck_assert_int_eq(H->reflect(c), 0);
		return (size_t)(nl - d);
	case MODE_ABORT_IN_DATA:
		H->abort(c);
		H->write(c, "late", 4);
		return len;
	case MODE_HEAD_FILE: {
		/* a request: a head written directly, then a file (as http) */
		static unsigned char head[HEAD_LEN];

		memset(head, 'h', sizeof(head));
		ck_assert_int_eq(H->write(c, head, sizeof(head)), 0);
		send_zeros(c);
		return len;
	}
	default:
		return 0;
	}
}

static void tm_drain(superd_conn *c, void *inst, void *state)
{
	static unsigned char block[65536];

	tm.drains++;
	if (tm.mode != MODE_BULK)
		return;
	if (tm.written >= DRAIN_TOTAL) {
		H->close(c);
		return;
	}
	memset(block, 'x', sizeof(block));
	H->write(c, block, sizeof(block));
	tm.written += sizeof(block);
}

static void tm_close(superd_conn *c, void *inst, void *state)
{
	tm.closed++;
}

/* A fresh loop, connection layer, module and service. */
static void start_layer(const char *backend, int mode, unsigned timeout_ms)
{
	memset(&tm, 0, sizeof(tm));
	tm.mode = mode;
	H = host_table();
	L = loop_new(backend);
	ck_assert_ptr_nonnull(L);
	host_set_loop(L);
	ck_assert_int_eq(conn_init(L, NULL), 0);
	mod = (struct superd_module){ SUPERD_MODULE_HEADER, .name = "tm",
	                              .protocols = SUPERD_PROTO_TCP,
	                              .on_open = tm_open, .on_data = tm_data,
	                              .on_drain = tm_drain, .on_close = tm_close };
	svc = (struct superd_service){ .name = "t", .module = &mod,
	                               .timeout_ms = timeout_ms };
}

/* start_layer, and a connection over a socketpair: the client's end. */
static int start_conn(const char *backend, int mode, unsigned timeout_ms)
{
	int sv[2];

	start_layer(backend, mode, timeout_ms);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	                            SOCK_CLOEXEC, 0, sv), 0);
	if (mode == MODE_FILE || mode == MODE_HEAD_FILE) {
		/* a send buffer well past one turn's worth (root may force it) */
		int size = 4 << 20;

		if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &size,
		               sizeof(size)) < 0)
			ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF,
			                            &size, sizeof(size)), 0);
	}
	conn_start(&svc, sv[0], (struct sockaddr *)&(struct sockaddr){ .sa_family = AF_UNIX },
	           sizeof(struct sockaddr), SUPERD_PROTO_UNIX);
	return sv[1];
}

static void finish(int peer)
{
	conn_close_all("test over");
	close(peer);
	loop_free(L);
	L = NULL;
	host_set_loop(NULL);
}

/* Run the loop for about ms milliseconds. */
static void spin(int ms)
{
	for (int i = 0; i < ms; i++)
		loop_run_once(L, 1);
}

/* Monotonic milliseconds, to tell what a loaded machine made late. */
static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Read what is there (non-blocking) into buf; bytes read, -1 at EOF. */
static ssize_t peer_read(int peer, unsigned char *buf, size_t size)
{
	ssize_t n = read(peer, buf, size);

	if (n == 0)
		return -1;
	return n < 0 ? 0 : n;
}

/* Push total bytes through c with a half-close; what came back, in. */
static size_t stream_through(int peer, const unsigned char *out, size_t total,
                             unsigned char *in)
{
	size_t sent = 0, got = 0;
	int eof = 0;

	while (!eof) {
		if (sent < total) {
			ssize_t n = write(peer, out + sent, total - sent);

			if (n > 0)
				sent += (size_t)n;
			if (sent == total)
				shutdown(peer, SHUT_WR);
		}
		loop_run_once(L, 5);
		for (;;) {
			ssize_t n = peer_read(peer, in + got, total + 1 - got);

			if (n < 0)
				eof = 1;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
	}
	return got;
}

START_TEST(echo_everything_then_close_after_half_close)
{
	int peer = start_conn("poll", MODE_ECHO, 0);
	size_t total = 1u << 20;
	unsigned char *out = malloc(total), *in = malloc(total + 1);

	for (size_t i = 0; i < total; i++)
		out[i] = (unsigned char)(i * 7 + (i >> 9));
	ck_assert_uint_eq(stream_through(peer, out, total, in), total);
	ck_assert(memcmp(in, out, total) == 0);
	ck_assert_int_eq(tm.closed, 1);
	ck_assert_uint_eq(conn_count(), 0);
	free(out);
	free(in);
	finish(peer);
}
END_TEST

START_TEST(kept_input_is_handed_again)
{
	int peer = start_conn("poll", MODE_LINES, 0);

	ck_assert_int_eq(write(peer, "ab", 2), 2);
	spin(5);
	ck_assert_str_eq(tm.line, "");
	ck_assert_int_eq(write(peer, "c\nde", 4), 4);
	spin(5);
	ck_assert_str_eq(tm.line, "abc");
	ck_assert_int_eq(write(peer, "f\n", 2), 2);
	spin(5);
	ck_assert_str_eq(tm.line, "def");
	finish(peer);
}
END_TEST

START_TEST(input_cap_closes_a_module_that_never_consumes)
{
	int peer = start_conn("poll", MODE_NEVER, 0);
	unsigned char buf[65536] = { 0 };
	size_t sent = 0;

	/* the kernel's socket buffers take some of it too: allow for them */
	while (sent < CONN_INPUT_MAX + (4u << 20) && tm.closed == 0) {
		ssize_t n = write(peer, buf, sizeof(buf));

		if (n > 0)
			sent += (size_t)n;
		loop_run_once(L, 1);
	}
	ck_assert_int_eq(tm.closed, 1);
	ck_assert_uint_lt(sent, CONN_INPUT_MAX + (4u << 20));
	finish(peer);
}
END_TEST

/* Write and never read; return the most output the server queued. */
static size_t flood_queue_peak(int peer)
{
	unsigned char buf[65536] = { 0 };
	size_t peak = 0;

	for (int i = 0; i < 300; i++) {
		if (write(peer, buf, sizeof(buf)) < 0 && errno != EAGAIN)
			break;
		loop_run_once(L, 1);
		if (tm.c && H->pending(tm.c) > peak)
			peak = H->pending(tm.c);
	}
	return peak;
}

/* The output queue of a client that never reads stays near the limit:
 * the default, then a service's own (max_output). */
START_TEST(output_limit_bounds_the_queue)
{
	int peer = start_conn("poll", MODE_ECHO, 0);
	size_t peak = flood_queue_peak(peer);

	ck_assert_uint_gt(peak, 0);
	ck_assert_uint_le(peak, CONN_OUTPUT_MAX + CONN_READ_MIN);
	finish(peer);
	peer = start_conn("poll", MODE_ECHO, 0);
	svc.out_max = 8192;
	peak = flood_queue_peak(peer);
	ck_assert_uint_gt(peak, 0);
	ck_assert_uint_le(peak, 8192 + CONN_READ_MIN);
	finish(peer);
}
END_TEST

/* The bytes this process has read(2) so far (/proc/self/io), or -1. */
static long long self_rchar(void)
{
	FILE *f = fopen("/proc/self/io", "re");
	char line[128];
	long long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "rchar: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/*
 * host->reflect: every byte comes back in order, then the close after the
 * half-close; the module's on_data sees none of it, and the worker reads
 * none of it into memory (spliced: only the peer's own reads count).
 */
START_TEST(reflect_sends_everything_back_without_the_module)
{
	static const char *const backends[] = { "select", "poll", "epoll" };
	int peer = start_conn(backends[_i], MODE_REFLECT, 0);
	size_t total = 4u << 20;
	unsigned char *out = malloc(total), *in = malloc(total + 1);
	long long r0 = self_rchar(), r1;

	for (size_t i = 0; i < total; i++)
		out[i] = (unsigned char)(i * 13 + (i >> 11));
	ck_assert_uint_eq(stream_through(peer, out, total, in), total);
	r1 = self_rchar();
	ck_assert(memcmp(in, out, total) == 0);
	ck_assert_uint_eq(tm.seen, 0);
	ck_assert_int_eq(tm.closed, 1);
	ck_assert_uint_eq(conn_count(), 0);
	if (r0 >= 0 && r1 >= 0)
		ck_assert_int_lt(r1 - r0, (long long)(total + total / 4));
	free(out);
	free(in);
	finish(peer);
}
END_TEST

/* Run the loop until buf holds want bytes from the peer (bounded); got. */
static size_t peer_read_until(int peer, unsigned char *buf, size_t got,
                              size_t want)
{
	for (int i = 0; i < 2000 && got < want; i++) {
		ssize_t n;

		loop_run_once(L, 1);
		n = peer_read(peer, buf + got, want - got);
		if (n > 0)
			got += (size_t)n;
	}
	return got;
}

/* Asked for inside on_data: the bytes not consumed come back first. */
START_TEST(reflect_from_on_data_sends_the_rest_first)
{
	int peer = start_conn("poll", MODE_REFLECT_LATER, 0);
	unsigned char buf[64];
	size_t got = 0;

	ck_assert_int_eq(write(peer, "HI", 2), 2);
	for (int i = 0; i < 2000 && tm.seen < 2; i++)
		loop_run_once(L, 1); /* "HI" kept: no newline yet */
	ck_assert_uint_eq(tm.seen, 2);
	ck_assert_int_eq(write(peer, "\nabc", 4), 4);
	got = peer_read_until(peer, buf, got, 4);
	ck_assert_int_eq(write(peer, "de", 2), 2);
	got = peer_read_until(peer, buf, got, 6);
	ck_assert_uint_eq(got, 6);
	ck_assert(memcmp(buf, "\nabcde", 6) == 0);
	finish(peer);
}
END_TEST

/* A client that never reads: the queue stays near max_output, as echo's. */
START_TEST(reflect_keeps_the_output_limit)
{
	int peer = start_conn("poll", MODE_REFLECT, 0);
	size_t peak = flood_queue_peak(peer);

	ck_assert_uint_gt(peak, 0);
	ck_assert_uint_le(peak, CONN_OUTPUT_MAX + CONN_READ_MIN);
	ck_assert_uint_eq(tm.seen, 0);
	finish(peer);
}
END_TEST

/* Drain the peer: bytes read now (0 when nothing is there). */
static size_t peer_drain(int peer)
{
	unsigned char buf[65536];
	size_t got = 0;
	ssize_t n;

	while ((n = peer_read(peer, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	return got;
}

/*
 * A big file to a client that takes everything: each turn of the loop
 * sends at most 256 KiB of it, so one fast download cannot hold the worker
 * while others wait; all of it arrives over the turns.
 */
START_TEST(a_big_file_goes_out_a_turn_at_a_time)
{
	int peer = start_conn("epoll", MODE_FILE, 0);
	int sndbuf = 0;
	socklen_t sl = sizeof(sndbuf);
	size_t got, turn;

	ck_assert_int_eq(getsockopt(H->conn_fd(tm.c), SOL_SOCKET, SO_SNDBUF,
	                            &sndbuf, &sl), 0);
	ck_assert_int_gt(sndbuf, (int)(TURN_MAX_WANT + (64u << 10)));
	got = peer_drain(peer); /* what on_open's sendfile sent at once */
	ck_assert_uint_gt(got, 0);
	ck_assert_uint_le(got, TURN_MAX_WANT);
	for (int i = 0; i < 20000 && got < FILE_TOTAL; i++) {
		loop_run_once(L, 1);
		turn = peer_drain(peer);
		ck_assert_uint_le(turn, TURN_MAX_WANT);
		got += turn;
	}
	ck_assert_uint_eq(got, FILE_TOTAL);
	finish(peer);
}
END_TEST

/*
 * A head written in the same turn as the file counts against the turn:
 * the first turn is head + file up to 256 KiB in all, and every turn after
 * it 256 KiB of file (as lighttpd; on loopback, turns of exactly 256 KiB on
 * the wire cost the server less per byte than head + 256 KiB).  The file's
 * last HEAD_LEN bytes, no more than TURN_TAIL, leave with the turn before
 * them rather than in a turn of their own: 16 turns for 4 MiB + the head.
 */
START_TEST(a_head_counts_in_the_turn_of_its_file)
{
	int peer = start_conn("epoll", MODE_HEAD_FILE, 0);
	size_t got = 0, turn, last = 0;
	unsigned turns = 0;

	ck_assert_int_eq(write(peer, "GET\n", 4), 4);
	for (int i = 0; i < 20000 && got < HEAD_LEN + FILE_TOTAL; i++) {
		loop_run_once(L, 1);
		turn = peer_drain(peer);
		if (!turn)
			continue;
		if (turns++ == 0)
			ck_assert_uint_eq(turn, TURN_MAX_WANT); /* head included */
		got += turn;
		if (got < HEAD_LEN + FILE_TOTAL)
			ck_assert_uint_le(turn, TURN_MAX_WANT);
		last = turn;
	}
	ck_assert_uint_eq(got, HEAD_LEN + FILE_TOTAL);
	ck_assert_uint_eq(turns, FILE_TOTAL / TURN_MAX_WANT);
	ck_assert_uint_eq(last, TURN_MAX_WANT + HEAD_LEN);
	ck_assert_uint_le(HEAD_LEN, TURN_TAIL_WANT);
	finish(peer);
}
END_TEST

START_TEST(backpressure_stops_reading_until_the_queue_drains)
{
	int peer = start_conn("poll", MODE_ECHO, 0);
	unsigned char buf[65536] = { 0 };
	size_t seen_before;

	/* The peer writes and never reads: echo output piles up. */
	for (int i = 0; i < 200; i++) {
		if (write(peer, buf, sizeof(buf)) < 0 && errno != EAGAIN)
			break;
		loop_run_once(L, 1);
	}
	seen_before = tm.seen;
	for (int i = 0; i < 50; i++) {
		if (write(peer, buf, sizeof(buf)) < 0 && errno != EAGAIN)
			break;
		loop_run_once(L, 1);
	}
	/* Reading stopped: nothing more reached the module. */
	ck_assert_uint_eq(tm.seen, seen_before);
	ck_assert_uint_eq(conn_count(), 1);
	/* The peer reads: the server catches up and reads again. */
	for (int i = 0; i < 500 && tm.seen == seen_before; i++) {
		while (peer_read(peer, buf, sizeof(buf)) > 0)
			;
		loop_run_once(L, 1);
	}
	ck_assert_uint_gt(tm.seen, seen_before);
	finish(peer);
}
END_TEST

START_TEST(on_drain_feeds_a_stream_then_close_sends_everything)
{
	int peer = start_conn("poll", MODE_BULK, 0);
	unsigned char buf[65536];
	size_t got = 0;
	int eof = 0;

	while (!eof) {
		ssize_t n;

		loop_run_once(L, 1);
		while ((n = peer_read(peer, buf, sizeof(buf))) > 0)
			got += (size_t)n;
		eof = n < 0;
	}
	ck_assert_uint_eq(got, DRAIN_TOTAL);
	ck_assert_int_gt(tm.drains, 0);
	ck_assert_int_eq(tm.closed, 1);
	finish(peer);
}
END_TEST

START_TEST(idle_timeout_closes)
{
	uint64_t t0 = mono_ms();
	int peer = start_conn("epoll", MODE_ECHO, 100);
	unsigned char buf[16];
	struct pollfd pfd = { .fd = peer, .events = POLLIN };

	spin(60);
	/* not closed before 100 ms of idleness (a loaded machine may have
	 * made the spin itself longer than that: then nothing is proven) */
	ck_assert(tm.closed == 0 || mono_ms() - t0 >= 100);
	if (tm.closed)
		goto done;
	t0 = mono_ms();
	ck_assert_int_eq(write(peer, "x", 1), 1); /* activity resets the clock */
	spin(60);
	ck_assert(tm.closed == 0 || mono_ms() - t0 >= 100);
	for (int i = 0; i < 400 && !tm.closed; i++)
		loop_run_once(L, 5);
	ck_assert_int_eq(tm.closed, 1);
	ck_assert_int_eq(poll(&pfd, 1, 100), 1);
	ck_assert_int_eq(read(peer, buf, sizeof(buf)), 1); /* the echo */
	ck_assert_int_eq(read(peer, buf, sizeof(buf)), 0); /* then EOF */
done:
	finish(peer);
}
END_TEST

START_TEST(abort_inside_on_data_is_deferred)
{
	int peer = start_conn("poll", MODE_ABORT_IN_DATA, 0);

	ck_assert_int_eq(write(peer, "hello", 5), 5);
	spin(5);
	ck_assert_int_eq(tm.closed, 1);
	ck_assert_uint_eq(conn_count(), 0);
	finish(peer);
}
END_TEST

START_TEST(select_refuses_an_fd_past_fd_setsize)
{
	struct rlimit rl;
	int sv[2], high;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur <= FD_SETSIZE + 10) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur <= FD_SETSIZE + 10)
		return; /* cannot make such an fd here */
	memset(&tm, 0, sizeof(tm));
	tm.mode = MODE_ECHO;
	H = host_table();
	L = loop_new("select");
	host_set_loop(L);
	conn_init(L, NULL);
	mod = (struct superd_module){ SUPERD_MODULE_HEADER, .name = "tm",
	                              .on_open = tm_open, .on_data = tm_data,
	                              .on_close = tm_close };
	svc = (struct superd_service){ .name = "t", .module = &mod };
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	high = fcntl(sv[0], F_DUPFD_CLOEXEC, FD_SETSIZE + 5);
	ck_assert_int_ge(high, FD_SETSIZE);
	close(sv[0]);
	conn_start(&svc, high, (struct sockaddr *)&(struct sockaddr){ .sa_family = AF_UNIX },
	           sizeof(struct sockaddr), SUPERD_PROTO_UNIX);
	ck_assert_int_eq(tm.opened, 0);
	ck_assert_uint_eq(conn_count(), 0);
	ck_assert_int_eq(fcntl(high, F_GETFD), -1); /* closed */
	finish(sv[1]);
}
END_TEST

/* A module timer that closes its connection, as a CGI watch would. */
static superd_conn *timer_conn;
static int closed_inside_call = -1;

static void close_from_timer(void *arg)
{
	H->write(timer_conn, "bye", 3);
	H->close(timer_conn);
	closed_inside_call = tm.closed; /* on_close must not have run yet */
}

static int tm_open_timer(superd_conn *c, void *inst, void *state)
{
	tm.opened++;
	timer_conn = c;
	H->timer_add(10, close_from_timer, NULL);
	return 0;
}

START_TEST(close_outside_a_callback_is_deferred)
{
	int peer;
	unsigned char buf[8];

	memset(&tm, 0, sizeof(tm));
	H = host_table();
	L = loop_new("poll");
	host_set_loop(L);
	conn_init(L, NULL);
	mod = (struct superd_module){ SUPERD_MODULE_HEADER, .name = "tm",
	                              .on_open = tm_open_timer, .on_close = tm_close };
	svc = (struct superd_service){ .name = "t", .module = &mod };
	{
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		conn_start(&svc, sv[0], (struct sockaddr *)&(struct sockaddr){ .sa_family = AF_UNIX },
		           sizeof(struct sockaddr), SUPERD_PROTO_UNIX);
		peer = sv[1];
	}
	spin(40);
	ck_assert_int_eq(closed_inside_call, 0);
	ck_assert_int_eq(tm.closed, 1);
	ck_assert_int_eq(read(peer, buf, sizeof(buf)), 3);
	ck_assert_int_eq(read(peer, buf, sizeof(buf)), 0);
	finish(peer);
}
END_TEST

/* A connected TCP pair over 127.0.0.1: sv[0] accepted, sv[1] the client. */
static void tcp_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(ls, 0);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(ls, 1), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&a, &len), 0);
	sv[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(sv[1], 0);
	ck_assert_int_eq(connect(sv[1], (struct sockaddr *)&a, sizeof(a)), 0);
	sv[0] = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ck_assert_int_ge(sv[0], 0);
	close(ls);
}

/*
 * The last short segment of a response must not wait for the client's
 * delayed ACK: the core turns Nagle off (TCP_NODELAY) on every TCP
 * connection it takes over, and the connection works as before.
 */
START_TEST(tcp_connections_turn_nagle_off)
{
	int sv[2], on = 0;
	socklen_t len = sizeof(on);
	unsigned char buf[8];
	struct sockaddr_in peer = { .sin_family = AF_INET };

	start_layer("poll", MODE_ECHO, 0);
	tcp_pair(sv);
	ck_assert_int_eq(getsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &on, &len), 0);
	ck_assert_int_eq(on, 0); /* the kernel's default: Nagle on */
	conn_start(&svc, sv[0], (struct sockaddr *)&peer, sizeof(peer),
	           SUPERD_PROTO_TCP);
	ck_assert_int_eq(getsockopt(H->conn_fd(tm.c), IPPROTO_TCP, TCP_NODELAY,
	                            &on, &len), 0);
	ck_assert_int_eq(on, 1);
	ck_assert_int_eq(write(sv[1], "ping", 4), 4);
	for (int i = 0; i < 2000 && tm.seen < 4; i++)
		loop_run_once(L, 5);
	ck_assert_int_eq(read(sv[1], buf, sizeof(buf)), 4);
	ck_assert(memcmp(buf, "ping", 4) == 0);
	finish(sv[1]);
}
END_TEST

static Suite *conn_suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("conn");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, echo_everything_then_close_after_half_close);
	tcase_add_test(tc, kept_input_is_handed_again);
	tcase_add_test(tc, input_cap_closes_a_module_that_never_consumes);
	tcase_add_test(tc, backpressure_stops_reading_until_the_queue_drains);
	tcase_add_test(tc, output_limit_bounds_the_queue);
	tcase_add_test(tc, on_drain_feeds_a_stream_then_close_sends_everything);
	tcase_add_loop_test(tc, reflect_sends_everything_back_without_the_module, 0, 3);
	tcase_add_test(tc, reflect_from_on_data_sends_the_rest_first);
	tcase_add_test(tc, reflect_keeps_the_output_limit);
	tcase_add_test(tc, a_big_file_goes_out_a_turn_at_a_time);
	tcase_add_test(tc, a_head_counts_in_the_turn_of_its_file);
	tcase_add_test(tc, idle_timeout_closes);
	tcase_add_test(tc, abort_inside_on_data_is_deferred);
	tcase_add_test(tc, select_refuses_an_fd_past_fd_setsize);
	tcase_add_test(tc, close_outside_a_callback_is_deferred);
	tcase_add_test(tc, tcp_connections_turn_nagle_off);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
