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
	int reuseport;          /**< bound with SO_REUSEPORT: may grow a group */
	int *group;             /**< the SO_REUSEPORT group: group[0] is fd;
	                             NULL while it is only fd */
	unsigned ngroup;        /**< sockets in group (0: none but fd) */
};

/**
 * Bind la for service (name used in log lines): a socket passed by the
 * service manager when one matches, else a new one (SO_REUSEADDR; TCP
 * also SO_REUSEPORT, after a probe without it has shown that no other
 * process holds the address, unless SUPERD_REUSEPORT=0 is set;
 * non-blocking, close-on-exec; IPV6_V6ONLY off for a bare port, with a
 * fallback to 0.0.0.0 without IPv6; on for an explicit IPv6 address; a stale
 * UNIX socket file is removed first; UDP gets packet info and a large
 * receive buffer).  NULL after logging the error.
 */
struct listener *listener_open(const struct listen_addr *la, const char *service);
/**
 * Grow ls's SO_REUSEPORT group to at least n sockets bound to the same
 * address, so that each worker accepts from its own socket and the kernel
 * spreads new connections over them.  The group only grows while the
 * listener lives (a socket closed with connections in its queue would
 * reset them), so a reload with fewer workers keeps every socket; workers
 * then serve several.  TCP sockets bound here only; 0, or -1 (logged; the
 * sockets made so far are kept).
 */
int listener_grow(struct listener *ls, unsigned n, const char *service);
/** Close every group socket but fd (its queue is reset). */
void listener_trim(struct listener *ls);
/** The socket i of the group (0: fd) and the group's size (1 without one). */
int listener_group_fd(const struct listener *ls, unsigned i);
unsigned listener_group_size(const struct listener *ls);
/** Take one more reference. */
struct listener *listener_ref(struct listener *ls);
/** Drop a reference; the socket is closed with the last one. */
void listener_release(struct listener *ls);
/** Close the fd in a child that must not keep it (no unlink). */
void listener_forget(struct listener *ls);

#endif
