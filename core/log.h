/*
 * log.h - the server's log: stderr, syslog or a file.
 *
 * Line format (stderr and file):
 *   2026-11-26T12:00:00Z superd[PID]: LEVEL: [SERVICE: ]message
 * Errors name the service, the call and errno's text, e.g.
 *   "echo: accept: Too many open files".
 */
#ifndef SUPERD_LOG_H
#define SUPERD_LOG_H

#include "config.h"

/** Open the target (LOG_TO_FILE: path, appended, O_CLOEXEC).  0 or -1. */
int log_open(enum log_target target, const char *path, int level);
/** Reopen a log file (SIGHUP/SIGUSR1 after rotation).  0 or -1. */
int log_reopen(void);
void log_close(void);
void log_set_level(int level);
int log_get_level(void);
/** Log at level (SUPERD_LOG_*); service may be NULL. */
void log_msg(int level, const char *service, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Log "service: call: strerror(err)" at error level. */
void log_errno(const char *service, const char *call, int err);

#endif
