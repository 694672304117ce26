/*
 * log_priv.h - what log.c shares with log_json.c: the level names and
 * writing one finished line to the configured target.
 */
#ifndef SUPERD_LOG_PRIV_H
#define SUPERD_LOG_PRIV_H

#include <stddef.h>

struct log_conn;

/** Longest text line written, newline included; longer ones end in "...". */
#define LOG_LINE_MAX 2048
/** Longest JSON line: room for a LOG_LINE_MAX message with escapes. */
#define LOG_JSON_MAX 8192

/** "error", "warn", "info", "debug", indexed by a clamped level. */
extern const char *const log_level_names[];

/** Write line (len bytes, no newline) at level to the target: one
    write(2) with a newline added for stderr and files, syslog(3) else. */
void log_emit(int level, char *line, size_t len, size_t size);

/** Build and emit the JSON object of one line (log_format: json); conn
    may be NULL (a line that is not a connection's). */
void log_json_line(int level, const char *service, const char *msg,
                   int cut, const struct log_conn *conn);

#endif
