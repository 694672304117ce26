/*
 * conn.h - stream connections in a worker: buffered input, an output queue
 * of memory chunks and file segments, back-pressure, half-close, idle
 * timeouts, and the one log line per connection.
 *
 * A connection is the module-visible `superd_conn`.  Every module callback
 * runs inside a dispatch; a close asked for during one is carried out when
 * the dispatch ends, so no callback ever sees a freed connection.
 */
#ifndef SUPERD_CONN_H
#define SUPERD_CONN_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "log.h"
#include "loop.h"
#include "runconf.h"

/**
 * Input kept for a module that does not consume it: past this, closed
 * (the default of a service's in_max: module descriptor, `max_input`).
 */
#define CONN_INPUT_MAX (64u * 1024u)
/**
 * Output queued up to this stops reading from the client until the queue
 * is back under a quarter of it (the default of a service's out_max:
 * module descriptor, `max_output`).
 */
#define CONN_OUTPUT_MAX (32u * 1024u)
/** The per-process read buffer: the largest single read. */
#define CONN_READ_BUF (256u * 1024u)
/** The smallest read, even with the output queue near out_max. */
#define CONN_READ_MIN 4096u

/**
 * Set up the connection layer of this process on loop.  on_empty (may be
 * NULL) is called whenever the last open connection closes.  0 or -1.
 */
int conn_init(struct loop *loop, void (*on_empty)(void));
/** The shared read buffer (also used for datagrams). */
unsigned char *conn_read_buffer(size_t *size);

/**
 * Take over an accepted, non-blocking socket fd of event-style service svc
 * that access control admitted (the slot is given back at close).  Calls
 * on_open; the connection then lives in the loop.  The fd is closed on any
 * failure.
 */
void conn_start(struct superd_service *svc, int fd, const struct sockaddr *sa,
                socklen_t salen, unsigned proto);
/**
 * conn_start for a connection whose addresses came from a PROXY header:
 * local (NULL: the socket's own) is the address the client reached.
 */
void conn_start_at(struct superd_service *svc, int fd, const struct sockaddr *sa,
                   socklen_t salen, const struct sockaddr *local,
                   socklen_t llen, unsigned proto);
/** Open connections in this process. */
size_t conn_count(void);
/** Close every connection now (grace time over), with this outcome. */
void conn_close_all(const char *outcome);
/**
 * The worker drains: from now on conn_draining() is 1, and every open
 * connection's module gets on_retire (ABI 1.2) to close what is idle.
 */
void conn_retire_all(void);
/** 1 once conn_retire_all ran in this process (superd_host.draining). */
int conn_draining(void);

/** Format sa as "ip:port" ("unix" for a UNIX peer) into buf. */
void conn_format_addr(const struct sockaddr *sa, char *buf, size_t size);
/** Fill a log line's remote, remote_port and remote_v6 from sa; ip
    (size bytes, INET6_ADDRSTRLEN is enough) holds the address text. */
void conn_log_peer(const struct sockaddr *sa, struct log_conn *lc, char *ip,
                   size_t size);
/** Fill a superd_peer's text fields from its addresses. */
void conn_fill_peer_text(struct superd_peer *p);

/* Host services (struct superd_host), see superd/module.h. */
int conn_write(superd_conn *c, const void *buf, size_t len);
int conn_sendfile(superd_conn *c, int fd, off_t off, size_t len);
size_t conn_pending(const superd_conn *c);
void conn_close(superd_conn *c);
void conn_abort(superd_conn *c);
void conn_pause_read(superd_conn *c, int paused);
/** host->reflect: send c's input back to it from now on (conn_reflect.c). */
int conn_reflect(superd_conn *c);
void conn_set_timeout(superd_conn *c, unsigned ms);
const struct superd_peer *conn_peer(const superd_conn *c);
superd_service *conn_service(const superd_conn *c);
int conn_fd(const superd_conn *c);
void conn_note(superd_conn *c, const char *outcome);
const struct superd_tls *conn_tls(const superd_conn *c);

#endif
