/*
 * conn_priv.h - the connection object, shared by conn.c (life cycle, input,
 * timeouts) and conn_out.c (the output queue).  Not for other files.
 */
#ifndef SUPERD_CONN_PRIV_H
#define SUPERD_CONN_PRIV_H

#include <netinet/in.h>
#include <stdint.h>

#include "conn.h"

/* Connection flags. */
#define C_OPENED 0x001u      /**< on_open returned 0: on_close is owed */
#define C_EOF 0x002u         /**< the client half-closed */
#define C_CLOSING 0x004u     /**< send what is queued, then close */
#define C_DEAD 0x008u        /**< close as soon as the dispatch ends */
#define C_PAUSED 0x010u      /**< module paused reading */
#define C_BACKPRESSURE 0x020u /**< too much queued: not reading */
#define C_WANT_DRAIN 0x040u  /**< module wrote: on_drain when the queue empties */
#define C_REDELIVER 0x080u   /**< kept input to hand again after a resume */
#define C_IN_LOOP 0x100u     /**< registered with the loop */
#define C_HANDED 0x200u      /**< the module took the fd (a child does the I/O) */
#define C_CUT 0x400u         /**< the core cut it (stop, reload bound, timeout) */
#define C_HANDSHAKE 0x800u   /**< TLS handshake under way: no module yet */
#define C_TLS_RW 0x1000u     /**< a TLS read waits for the socket to be writable */
#define C_TLS_WR 0x2000u     /**< a TLS write waits for the socket to be readable */
#define C_TLS_BROKEN 0x4000u /**< TLS failed: no close_notify */
#define C_RELAY 0x8000u      /**< input goes to the relay socketpair */
#define C_RELAY_FULL 0x10000u /**< the relay takes no more: not reading */
#define C_NO_RELEASE 0x20000u /**< the access slot goes back with a child */
#define C_TLS_STASH 0x40000u /**< TLS end or error seen behind data: next read */
#define C_TLS_PENDING 0x200000u /**< TLS input kept in the library: read again */
#define C_REFLECT 0x80000u   /**< host->reflect: input goes back, not to the module */
#define C_REFLECT_COPY 0x100000u /**< reflect by copying (no splice on this socket) */
#define C_TLS_NOTIFIED 0x400000u /**< close_notify written (it may still be held) */
#define C_HOLD 0x800000u     /**< on_open runs: its writes wait for its end */

/** A piece of queued output: memory, or a file segment (file_fd >= 0). */
struct outchunk {
	struct outchunk *next;
	size_t len;             /**< bytes not yet sent */
	size_t off;             /**< memory: where the unsent bytes start */
	size_t cap;             /**< memory: bytes allocated in data */
	int file_fd;            /**< -1 for memory */
	off_t file_off;         /**< file: next offset to send */
	unsigned char data[];
};

/** A client address without sockaddr_storage's bulk. */
union conn_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct superd_conn {
	int fd;
	unsigned flags;             /**< C_* */
	unsigned events;            /**< what the loop watches for now */
	int busy;                   /**< dispatch depth: close is deferred */
	unsigned proto;             /**< SUPERD_PROTO_TCP or _UNIX */
	unsigned timeout_ms;        /**< idle timeout, 0: none */
	struct superd_service *svc;
	void *state;                /**< module's conn_size bytes, or NULL */
	struct superd_conn *prev, *next; /**< the process's open connections */
	uint64_t start_ms;          /**< accepted at (loop time) */
	uint64_t last_ms;           /**< last read or write progress */
	uint64_t bytes_in, bytes_out;
	unsigned char *in;          /**< input kept for the module */
	size_t inlen, incap;
	struct outchunk *head, *tail;
	size_t queued;              /**< bytes in the output queue */
	size_t turn_out;            /**< bytes sent in this turn (conn_out.c) */
	struct loop_timer *kick;    /**< deferred settle (resume with input) */
	union conn_addr remote;
	socklen_t remote_len;
	struct superd_peer *peer;   /**< filled on first request */
	const char *outcome;        /**< how it ended (static text) */
	char *note;                 /**< the module's own outcome */
	struct tls_sess *tls;       /**< TLS session, or NULL (plaintext) */
	unsigned tls_want;          /**< handshake: LOOP_IN or LOOP_OUT */
	int tls_peeked;             /**< the first byte was a TLS record */
	int tls_stash;              /**< C_TLS_STASH: 0 (end) or the errno */
	struct superd_tls *tls_info; /**< host->tls, made on first request */
	int relay_fd;               /**< our end of the plaintext pair, or -1 */
	int relay_peer;             /**< the module's / child's end, or -1 */
	unsigned relay_events;      /**< what the loop watches on relay_fd */
	unsigned relay_flags;       /**< R_* (conn_relay.c) */
	max_align_t state_mem[];    /**< module state follows */
};

/* conn.c internals used by conn_out.c. */
struct loop *conn_loop(void);
/** Mark c failed after err from call (reset-like errors are not logged). */
void conn_fail(superd_conn *c, int err, const char *call);
/** Apply c's wanted events to the loop (or settle if outside dispatch). */
void conn_host_done(superd_conn *c);

/** Set (first reason wins) how c ended. */
void conn_set_outcome(superd_conn *c, const char *outcome);
/** Bytes c may queue before reading stops (back-pressure). */
size_t conn_out_max(const superd_conn *c);
/** Run the module's on_open on c (after the TLS handshake, if any). */
void conn_open_module(superd_conn *c);
/** Make sure the idle sweep runs by deadline. */
void conn_sweep_arm(uint64_t deadline);
/** After a dispatch: carry out closes, redeliveries, drains; update the loop. */
void conn_settle(superd_conn *c);
/** Read what the socket (or TLS) has and hand it on. */
void conn_read(superd_conn *c);

/* conn_tls.c: the TLS layer of a connection. */
/** Start the handshake on a new connection of a TLS service.  0 or -1. */
int conn_tls_start(superd_conn *c);
/** Drive the handshake; when done, open the module (or the relay). */
void conn_tls_step(superd_conn *c);
/** read(2) or TLS: bytes, 0 at the end, -1 with errno (EAGAIN: retry). */
ssize_t conn_io_read(superd_conn *c, void *buf, size_t len);
/** write(2) or TLS: bytes taken, -1 with errno (EAGAIN: socket full). */
ssize_t conn_io_write(superd_conn *c, const void *buf, size_t len);
/** TLS file segment: kTLS sendfile, else pread + TLS write. */
ssize_t conn_io_file(superd_conn *c, int fd, off_t *off, size_t len);
/** A handshake failed for reason: log (once per burst), mark c dead. */
void conn_tls_refused(superd_conn *c, const char *reason);
/**
 * The event is over: send what the TLS layer held back during it (the
 * dispatch corks the session, so one event's records leave together).
 * 0, or -1 when the socket failed (c is then dead).
 */
int conn_tls_flush(superd_conn *c);
/** Bytes the TLS layer holds back for c (the socket was full). */
size_t conn_tls_held(const superd_conn *c);
/**
 * A graceful close: close_notify behind the last bytes, then send them.
 * 1 when c may close now, 0 while the socket has yet to take the rest.
 */
int conn_tls_finish(superd_conn *c);
/** Closing: send close_notify when the session is sound; free it. */
void conn_tls_end(superd_conn *c);

/* conn_reflect.c: input sent back by the core (host->reflect). */
/**
 * Take up to want bytes of c's input and send them back (spliced when it
 * can, else through buf, CONN_READ_BUF bytes): bytes taken, 0 at the end,
 * -1 with errno (EAGAIN: nothing there).
 */
ssize_t conn_reflect_in(superd_conn *c, unsigned char *buf, size_t want);
/** Queue len bytes back to c (as host->write, no on_drain owed). */
void conn_reflect_send(superd_conn *c, const void *buf, size_t len);

/* conn_relay.c: a plaintext socketpair for children, relayed to TLS. */
/** The module's (child's) end of c's relay, made on first call; -1. */
int conn_relay_fd(superd_conn *c);
/** A blocking-style service over TLS: serve() in a child on the relay. */
void conn_relay_serve(superd_conn *c);
/** Hand client bytes to the relay: bytes taken (the rest is kept). */
size_t conn_relay_push(superd_conn *c, const unsigned char *data, size_t len);
/** The client closed its side: pass the half-close on. */
void conn_relay_eof(superd_conn *c);
/** Before a close: send on what the child already wrote. */
void conn_relay_drain(superd_conn *c);
/** Keep the relay's loop events in line with back-pressure. */
void conn_relay_update(superd_conn *c);
/** Close the relay's ends. */
void conn_relay_end(superd_conn *c);

/* conn_out.c */
/** Send what the socket takes from the queue, at most 256 KiB a turn. */
void conn_flush(superd_conn *c);
/** Drop the whole output queue (closing files). */
void conn_drop_output(superd_conn *c);

#endif
