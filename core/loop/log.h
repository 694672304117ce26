/*
 * log.h - the server's log: stderr, syslog or a file.
 *
 * Line format (stderr and file):
 *   2026-11-26T12:00:00Z superd[PID]: LEVEL: [SERVICE: ]message
 * LEVEL is error, warn, info or debug; the time is UTC.  Syslog gets
 * "[SERVICE: ]message" (ident superd, LOG_PID, facility LOG_DAEMON).
 * Errors name the service, the call and errno's text, e.g.
 *   "echo: accept: Too many open files".
 * Each line is written with one write(2), so processes sharing the target
 * never interleave; a line is at most 2 KiB (cut lines end in "..."), and
 * control characters in SERVICE and message become '?' (clients choose
 * some of those bytes).  errno is preserved.
 *
 * With log_set_json(1) every line is instead one JSON object (see
 * log_json.c), valid whatever bytes the message carries.
 */
#ifndef SUPERD_LOG_H
#define SUPERD_LOG_H

#include <stdint.h>

#include "conf.h"

/** What a connection's line says (log_connection). */
struct log_conn {
	const char *remote;     /**< the peer's address ("unix" for UNIX) */
	int remote_port;        /**< -1: none (UNIX) */
	int remote_v6;          /**< text form brackets the address */
	const char *outcome;    /**< eof, timeout, a module's note, ... */
	uint64_t duration_ms;
	int has_bytes;          /**< in and out are known */
	uint64_t in, out;       /**< application bytes */
};

/** Open the target (LOG_TO_FILE: path, appended, created 0640, O_CLOEXEC);
    on failure the previous target stays.  0 or -1. */
int log_open(enum log_target target, const char *path, int level);
/** Reopen a log file (SIGHUP/SIGUSR1 after rotation); on failure the old
    file stays in use.  0 (also for stderr/syslog) or -1. */
int log_reopen(void);
/** Close the target and go back to stderr (the level is kept). */
void log_close(void);
/** The descriptor log lines are written to (the file, else stderr), for
 *  a signal handler's fixed message; log_reopen keeps its number. */
int log_raw_fd(void);
void log_set_level(int level);
int log_get_level(void);
/** Log at level (SUPERD_LOG_*); service may be NULL. */
void log_msg(int level, const char *service, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Log "service: call: strerror(err)" at error level. */
void log_errno(const char *service, const char *call, int err);
/** Write lines as JSON objects (log_format: json) or as text (the default). */
void log_set_json(int on);
/**
 * A connection's line at level.  Text: "SERVICE: PEER OUTCOME, S.MMMs,
 * in N, out N" followed by extra (may be NULL or "").  JSON: the same text
 * as "msg", plus remote, remote_port, outcome, duration (seconds), in, out.
 */
void log_connection(int level, const char *service, const struct log_conn *c,
                    const char *extra);

#endif
