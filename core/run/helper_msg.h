/*
 * helper_msg.h - the messages between workers and the spawn helper, over
 * SOCK_SEQPACKET (one message per request, descriptors with SCM_RIGHTS).
 */
#ifndef SUPERD_HELPER_MSG_H
#define SUPERD_HELPER_MSG_H

#include <stddef.h>
#include <stdint.h>

enum helper_type {
	HM_HELLO = 1,   /**< worker -> helper (on the shared hello socket): the
	                     helper's end of a private socket */
	HM_RELOAD,      /**< master -> helper: load the configuration again */
	HM_SPAWN,       /**< worker -> helper: start a program */
	HM_STARTED,     /**< helper -> worker: pid, or -1 and errno */
	HM_SIGNAL,      /**< worker -> helper: signal one of its children */
	HM_EXITED,      /**< helper -> worker: a child's wait status */
	HM_OPEN,        /**< master -> helper: open a tls file (path) */
	HM_OPENED,      /**< helper -> master: the fd, or a = -1 and b = errno */
};

/** SPAWN flag (in a, beside SUPERD_SPAWN_*): SIGTERM the child's group
 *  when the socket that asked for it closes (a serve() child waits for
 *  its program and forwards nothing else). */
#define HELPER_SPAWN_BOUND 0x10000

/** Largest message: header, strings (service, path, dir, argv, envp). */
#define HELPER_MSG_MAX (192 * 1024)

/** Every message starts with this. */
struct helper_hdr {
	uint32_t type;
	int32_t id;      /**< SPAWN/STARTED: request id; SIGNAL/EXITED: pid */
	int32_t a;       /**< SPAWN: flags; STARTED: pid; SIGNAL: signal; EXITED: status */
	int32_t b;       /**< SPAWN: as_user; STARTED: errno; SIGNAL: group */
	uint32_t fdmask; /**< SPAWN: which of fds 0-3 travel (in order) */
	uint32_t nargv;  /**< SPAWN: strings after service, path, dir */
	uint32_t nenv;
};

/**
 * Send a message: hdr, then the strings (NUL-terminated, in order), with
 * nfds descriptors.  0, or -1 with errno (E2BIG: too large).
 */
int helper_send(int sock, const struct helper_hdr *hdr,
                const char *const *strs, size_t nstr, const int *fds,
                size_t nfds);

/**
 * Receive one message into buf (HELPER_MSG_MAX bytes): the header is at
 * its start, strings follow.  Descriptors go to fds (up to maxfds, the rest
 * closed; unused slots -1).  Bytes received, 0 at EOF, or -1 with errno.
 */
ssize_t helper_recv(int sock, char *buf, int *fds, size_t maxfds);

#endif
