/*
 * client.h - superd-client: a checking client for the classic services
 * (echo, discard, chargen, daytime, time), over TCP or UDP.
 *
 * Exit status: 0 when the answer is right, 1 when it is wrong (or the
 * service cannot be reached in time), 2 on a usage error.  One line on
 * stderr says why when it is not 0.
 */
#ifndef SUPERD_CLIENT_H
#define SUPERD_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** Exit statuses. */
#define CLIENT_RIGHT 0
#define CLIENT_WRONG 1
#define CLIENT_USAGE 2

/** The services this client knows. */
enum client_service { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN, SVC_DAYTIME, SVC_TIME,
	SVC_METRICS };

/** What the command line asked for, and why it failed. */
struct client {
	enum client_service service;
	const char *service_name;  /**< as given: "echo" ... */
	char host[256];            /**< name or address, brackets removed */
	char port[64];             /**< numeric port, resolved from the name */
	int family;                /**< AF_UNSPEC, AF_INET (-4) or AF_INET6 (-6) */
	int udp;                   /**< -u */
	int quiet;                 /**< -q: print nothing on success */
	int strict;                /**< -S: chargen must be exactly RFC 864's */
	unsigned timeout_ms;       /**< -t: whole exchange (default 5 s) */
	size_t nbytes;             /**< -n: bytes for echo, discard, chargen */
	int nbytes_set;            /**< -n was given */
	long long max_skew;        /**< -d: time/daytime skew allowed, -1: any */
	int64_t deadline;          /**< monotonic ms when we give up */
	int refused;               /**< UDP: the port was unreachable (ICMP) */
	char reason[512];          /**< why the answer is wrong */
};

/** metrics.c: GET /metrics, print a table per service: 0, or -1 (reason set). */
int check_metrics(struct client *cl);

/* net.c: sockets with a deadline. */

/** Monotonic milliseconds. */
int64_t client_now_ms(void);
/** Record why things went wrong (printf style); returns -1. */
int client_fail(struct client *cl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Connect a non-blocking socket (TCP or UDP) to the target, trying each
 *  address in turn; fd or -1. */
int client_connect(struct client *cl);
struct addrinfo;
/** Resolve the target into *res (free with freeaddrinfo): 0 or -1. */
int client_resolve(struct client *cl, struct addrinfo **res);
/** Connect to one address; fd, or -1 with errno set. */
int client_connect_one(const struct addrinfo *ai, int64_t deadline);
/** Wait until fd is ready for events or the deadline: 1, 0 on timeout,
 *  -1 on error. */
int client_wait(int fd, short events, int64_t deadline);
/** Read what arrives before the deadline: bytes, 0 at EOF, -1 error
 *  (reason set, errno kept), -2 timeout. */
ssize_t client_read(struct client *cl, int fd, void *buf, size_t len,
                    int64_t deadline);
/** Write everything before the deadline: 0, or -1 (reason set). */
int client_write_all(struct client *cl, int fd, const void *buf, size_t len);
/** Fill buf with random bytes, NULs included. */
void client_random(unsigned char *buf, size_t len);

/* pattern.c: what a right answer looks like. */

/** Bytes in one cycle of the RFC 864 pattern. */
#define CHARGEN_CYCLE_BYTES (95 * 74)

/** Incremental check of a chargen stream, which may start anywhere. */
struct chargen_check {
	long offset;            /**< position in the cycle, -1 until aligned */
	unsigned char cycle[CHARGEN_CYCLE_BYTES]; /**< the pattern, line 0 on */
	unsigned char head[148]; /**< first bytes, kept until aligned */
	size_t headlen;
	uint64_t total;         /**< bytes checked */
	uint64_t bad_at;        /**< first wrong byte (valid when bad) */
	int bad;
};
void chargen_check_init(struct chargen_check *ck);
/** Feed bytes; 0 while all is right, -1 at the first wrong byte. */
int chargen_check_feed(struct chargen_check *ck, const unsigned char *buf,
                       size_t len);
/** Finish: align on whatever head is left.  0 right, -1 wrong. */
int chargen_check_end(struct chargen_check *ck);

/**
 * Incremental check of any rotating chargen pattern, as RFC 864 only
 * recommends one: printable lines of one length ended by CR LF, each
 * character the successor of the one before in a ring of consecutive
 * ASCII characters (RFC 864's ring is ' '..'~'; xinetd's is '!'..'}').
 * Where a line starts is not checked (xinetd starts over after 95
 * lines); the stream may start anywhere in a line, and the last line may
 * be cut short (xinetd's 1024-byte datagrams).
 */
struct ring_check {
	int lo, hi;             /**< the ring's ends, -1 until a wrap is seen */
	int prev;               /**< previous character of the line, -1: none */
	long line_len;          /**< characters per line, -1 until known */
	long col;               /**< characters so far in this line */
	int lines;              /**< line ends seen (the first may be partial) */
	int after_cr;           /**< the last byte was CR */
	int short_line;         /**< a short line ended: nothing may follow */
	uint64_t total;         /**< bytes checked */
	uint64_t bad_at;
	const char *why;        /**< what was wrong */
	int bad;
};
void ring_check_init(struct ring_check *rc);
int ring_check_feed(struct ring_check *rc, const unsigned char *buf, size_t len);

/** Both checks at once; -S (strict) asks for the exact RFC 864 pattern. */
struct chargen_judge {
	struct chargen_check exact;
	struct ring_check ring;
	int strict;
};
void chargen_judge_init(struct chargen_judge *j, int strict);
/** Feed bytes: 0 while the answer may still be right, -1 once wrong. */
int chargen_judge_feed(struct chargen_judge *j, const unsigned char *buf,
                       size_t len);
/** At the end: 0 right, -1 wrong. */
int chargen_judge_end(struct chargen_judge *j);
/** Why the answer is wrong ("not the RFC 864 pattern at byte 12"). */
void chargen_judge_reason(const struct chargen_judge *j, char *buf,
                          size_t size);
/** What the right answer was ("the RFC 864 pattern", "a rotating ..."). */
void chargen_judge_describe(const struct chargen_judge *j, char *buf,
                            size_t size);

/** RFC 868 seconds (mod 2^32) to Unix seconds: 1968-2104 window. */
int64_t time_decode(uint32_t rfc868);
/** Format Unix seconds as "Thu Nov 26 12:34:56 UTC 2026". */
void time_format(int64_t t, char *buf, size_t size);
/** Is line (len bytes, CR LF may end it) one printable line? 1 or 0. */
int daytime_line_ok(const unsigned char *line, size_t len);

/* checks.c, udp.c: one exchange per service.  0 right, -1 wrong. */
int check_tcp(struct client *cl);
int check_udp(struct client *cl);
/** Judge (and unless quiet print) a daytime answer: 0 or -1. */
int daytime_verdict(struct client *cl, const unsigned char *line, size_t len);
/** Judge (and unless quiet print) a time answer: 0 or -1. */
int time_verdict(struct client *cl, const unsigned char *b, size_t len);

#endif
