/*
 * sockact.h - socket activation: listening sockets passed by systemd.
 *
 * When the service manager starts superd with LISTEN_PID and LISTEN_FDS set
 * (systemd.socket(5), sd_listen_fds(3)), the sockets are fds 3 .. 3+N-1,
 * already bound and listening.  The master calls sockact_init() once at
 * start, then, for each configured listen address, sockact_take() before
 * binding a socket of its own: a passed socket whose address and type
 * match is used instead.  sockact_close_unused() then closes (and logs)
 * every passed socket no service asked for.
 *
 * A taken socket belongs to the caller, which sets O_NONBLOCK on it like
 * on any listener it binds.  It is not rebound on reload.
 */
#ifndef SUPERD_SOCKACT_H
#define SUPERD_SOCKACT_H

#include "conf.h" /* struct listen_addr (core/net/addr.h) */

/**
 * Read LISTEN_PID and LISTEN_FDS once.  When LISTEN_PID is our pid,
 * remember fds 3 .. 3+LISTEN_FDS-1 and set FD_CLOEXEC on them.  Either
 * way, unset LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES so that children
 * never see them.  Returns the number of passed sockets (0: none).
 */
int sockact_init(void);

/**
 * The passed socket whose local address (getsockname) and type (SO_TYPE)
 * equal la's, marked as taken; -1 when none matches (bind one yourself).
 */
int sockact_take(const struct listen_addr *la);

/** Close every passed socket that was not taken, logging each one. */
void sockact_close_unused(void);

#endif
