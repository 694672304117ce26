/*
 * proxy_wait.h - the pre-open stage of a connection from a trusted PROXY
 * protocol sender: the header is read in the worker's loop (never blocking
 * it), within PROXY_DEADLINE_MS, before access rules, limits or the module
 * see the connection; then the header's addresses are its peer.
 */
#ifndef SUPERD_PROXY_WAIT_H
#define SUPERD_PROXY_WAIT_H

#include <sys/socket.h>

#include "loop.h"
#include "runconf.h"

/**
 * The header is in: go on with fd as a connection of sl from remote,
 * which reached local (local NULL: the socket's own address).
 */
typedef void proxy_ready_cb(struct svc_listen *sl, int fd,
                            const struct sockaddr *remote, socklen_t rlen,
                            const struct sockaddr *local, socklen_t llen);

/**
 * 1 when a connection from peer on sl must begin with a PROXY header:
 * the peer is in the service's `proxy_protocol` list (on a UNIX listener,
 * the list is not empty).
 */
int proxy_expected(const struct svc_listen *sl, const struct sockaddr *peer);

/**
 * Read fd's header in loop, then call ready.  A missing, malformed or late
 * header (or an early close) closes fd, logged once per burst as a refusal
 * with reason `proxy`.  fd is owned from here on.
 */
void proxy_wait_start(struct loop *loop, struct svc_listen *sl, int fd,
                      const struct sockaddr *peer, socklen_t len,
                      proxy_ready_cb *ready);

/** Call cb after a refusal (a stopping worker may exit then). */
void proxy_wait_on_refused(void (*cb)(void));
/** Connections still waiting for their header in this process. */
size_t proxy_wait_count(void);
/** Close every connection still waiting (grace time over). */
void proxy_wait_close_all(void);

#endif
