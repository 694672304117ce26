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
	struct loop_timer *kick;    /**< deferred settle (resume with input) */
	union conn_addr remote;
	socklen_t remote_len;
	struct superd_peer *peer;   /**< filled on first request */
	const char *outcome;        /**< how it ended (static text) */
	char *note;                 /**< the module's own outcome */
	max_align_t state_mem[];    /**< module state follows */
};

/* conn.c internals used by conn_out.c. */
struct loop *conn_loop(void);
/** Mark c failed after err from call (reset-like errors are not logged). */
void conn_fail(superd_conn *c, int err, const char *call);
/** Apply c's wanted events to the loop (or settle if outside dispatch). */
void conn_host_done(superd_conn *c);

/* conn_out.c */
/** Send what the socket takes from the queue. */
void conn_flush(superd_conn *c);
/** Drop the whole output queue (closing files). */
void conn_drop_output(superd_conn *c);

#endif
