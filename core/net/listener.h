/*
 * listener.h - listening sockets: bound (or taken from socket activation)
 * in the master, shared by every worker, kept across reloads while their
 * address stays in the configuration.
 */
#ifndef SUPERD_LISTENER_H
#define SUPERD_LISTENER_H

#include "conf.h"

/** One bound socket; reference-counted across configurations. */
struct listener {
	struct listen_addr la;  /**< what it was bound for */
	int fd;                 /**< non-blocking, close-on-exec */
	int pktinfo;            /**< UDP: IP(V6)_PKTINFO is on (wildcard bind) */
	unsigned refs;
	int unlink_at_close;    /**< a UNIX socket file we created */
};

/**
 * Bind la for service (name used in log lines): a socket passed by the
 * service manager when one matches, else a new one (SO_REUSEADDR,
 * non-blocking, close-on-exec; IPV6_V6ONLY off for a bare port, with a
 * fallback to 0.0.0.0 without IPv6; on for an explicit IPv6 address; a stale
 * UNIX socket file is removed first; UDP gets packet info and a large
 * receive buffer).  NULL after logging the error.
 */
struct listener *listener_open(const struct listen_addr *la, const char *service);
/** Take one more reference. */
struct listener *listener_ref(struct listener *ls);
/** Drop a reference; the socket is closed with the last one. */
void listener_release(struct listener *ls);
/** Close the fd in a child that must not keep it (no unlink). */
void listener_forget(struct listener *ls);

#endif
