/*
 * log.c - the server's log (see log.h).
 *
 * Each line is built whole in a bounded buffer and written with one
 * write(2), so lines from several worker processes sharing stderr or an
 * O_APPEND file never interleave.  Message text may carry bytes a client
 * sent: control characters are replaced and long lines are cut.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "log_priv.h"
#include "superd/module.h"

static struct {
	enum log_target target;
	int fd;             /**< LOG_TO_FILE: the file; else -1 */
	char *path;         /**< LOG_TO_FILE: for log_reopen() */
	int level;          /**< highest SUPERD_LOG_* written */
	int json;           /**< log_format: json */
} log_state = { LOG_TO_STDERR, -1, NULL, SUPERD_LOG_INFO, 0 };

const char *const log_level_names[] = { "error", "warn", "info", "debug" };

/* Clamp a level into the known range. */
static int level_clamp(int level)
{
	if (level < SUPERD_LOG_ERROR)
		return SUPERD_LOG_ERROR;
	if (level > SUPERD_LOG_DEBUG)
		return SUPERD_LOG_DEBUG;
	return level;
}

/* Open path for appending; the fd or -1. */
static int log_file_open(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	            0640);
}

/* Send the log to target from now on (see log.h). */
int log_open(enum log_target target, const char *path, int level)
{
	char *copy = NULL;
	int fd = -1;

	if (target == LOG_TO_FILE) {
		if (!path) {
			errno = EINVAL;
			return -1;
		}
		copy = strdup(path);
		if (!copy)
			return -1;
		fd = log_file_open(path);
		if (fd < 0)
			goto free_copy;
	}
	log_close();
	if (target == LOG_TO_SYSLOG)
		openlog("superd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_state.target = target;
	log_state.fd = fd;
	log_state.path = copy;
	log_state.level = level_clamp(level);
	return 0;

free_copy:
	free(copy);
	return -1;
}

/* Open the file again (after rotation); the old one stays on failure. */
int log_reopen(void)
{
	int fd;

	if (log_state.target != LOG_TO_FILE)
		return 0;
	fd = log_file_open(log_state.path);
	if (fd < 0)
		return -1;
	/* keep the descriptor's number: a signal handler may hold it */
	if (dup3(fd, log_state.fd, O_CLOEXEC) < 0) {
		close(log_state.fd);
		log_state.fd = fd;
		return 0;
	}
	close(fd);
	return 0;
}

/* The fd lines go to: the log file, else stderr (see log.h). */
int log_raw_fd(void)
{
	return log_state.fd >= 0 ? log_state.fd : 2;
}

/* Back to stderr; the level is kept. */
void log_close(void)
{
	if (log_state.target == LOG_TO_SYSLOG)
		closelog();
	if (log_state.fd >= 0)
		close(log_state.fd);
	free(log_state.path);
	log_state.target = LOG_TO_STDERR;
	log_state.fd = -1;
	log_state.path = NULL;
}

void log_set_level(int level)
{
	log_state.level = level_clamp(level);
}

int log_get_level(void)
{
	return log_state.level;
}

/*
 * Append text to buf[*len..max), replacing control characters with '?'.
 * Returns 0, or -1 once the text did not fit (buf is then full).
 */
static int line_append(char *buf, size_t *len, size_t max, const char *text)
{
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;

		if (*len == max)
			return -1;
		buf[(*len)++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	return 0;
}

/* Write the whole line with one write(2), finishing a short one. */
static void line_write(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere left to report it */
		buf += n;
		len -= (size_t)n;
	}
}

/* "2026-11-26T12:00:00Z superd[PID]: LEVEL: " into buf; its length. */
static size_t line_prefix(char *buf, size_t size, int level)
{
	time_t now = time(NULL);
	struct tm tm;
	size_t len;
	int n;

	if (!gmtime_r(&now, &tm))
		memset(&tm, 0, sizeof(tm));
	len = strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(buf + len, size - len, " superd[%ld]: %s: ",
	             (long)getpid(), log_level_names[level]);
	return n < 0 ? len : len + (size_t)n;
}

/* Map our level to syslog's priority. */
static int syslog_priority(int level)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	return prio[level];
}

/* Write a finished line to the target (see log_priv.h). */
void log_emit(int level, char *line, size_t len, size_t size)
{
	if (len >= size)
		len = size - 1;
	if (log_state.target == LOG_TO_SYSLOG) {
		line[len] = '\0';
		syslog(syslog_priority(level), "%s", line);
	} else {
		line[len++] = '\n';
		line_write(log_state.fd >= 0 ? log_state.fd : STDERR_FILENO,
		           line, len);
	}
}

/* The text line: prefix, "SERVICE: ", msg (cleaned, bounded). */
static void text_line(int level, const char *service, const char *msg, int cut)
{
	char line[LOG_LINE_MAX];
	const size_t max = sizeof(line) - 4; /* room for "...\n" */
	size_t len = 0;

	if (log_state.target != LOG_TO_SYSLOG)
		len = line_prefix(line, max, level);
	if (service)
		cut |= line_append(line, &len, max, service) ||
		       line_append(line, &len, max, ": ");
	cut |= line_append(line, &len, max, msg);
	if (cut) {
		memcpy(line + len, "...", 3);
		len += 3;
	}
	log_emit(level, line, len, sizeof(line));
}

/* Format msg and write it as text or JSON; conn: a connection's fields. */
static void log_vline(int level, const char *service, const struct log_conn *conn,
                      const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (n < 0)
		msg[0] = '\0';
	if (log_state.json)
		log_json_line(level, service, msg, n >= (int)sizeof(msg), conn);
	else
		text_line(level, service, msg, n >= (int)sizeof(msg));
}

/* A variadic front for log_vline. */
static void log_line(int level, const char *service, const struct log_conn *conn,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void log_line(int level, const char *service, const struct log_conn *conn,
                     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(level, service, conn, fmt, ap);
	va_end(ap);
}

/* Build one bounded, cleaned line and write it to the target. */
void log_msg(int level, const char *service, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	level = level_clamp(level);
	if (level > log_state.level)
		return;
	va_start(ap, fmt);
	log_vline(level, service, NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* A connection's line (see log.h). */
void log_connection(int level, const char *service, const struct log_conn *c,
                    const char *extra)
{
	char bytes[64] = "", port[16] = "";
	int saved = errno;

	level = level_clamp(level);
	if (level > log_state.level)
		return;
	if (c->remote_port >= 0)
		snprintf(port, sizeof(port), ":%d", c->remote_port);
	if (c->has_bytes)
		snprintf(bytes, sizeof(bytes), ", in %llu, out %llu",
		         (unsigned long long)c->in, (unsigned long long)c->out);
	log_line(level, service, c, "%s%s%s%s %s, %llu.%03llus%s%s",
	         c->remote_v6 ? "[" : "", c->remote, c->remote_v6 ? "]" : "", port,
	         c->outcome, (unsigned long long)(c->duration_ms / 1000),
	         (unsigned long long)(c->duration_ms % 1000), bytes, extra ? extra : "");
	errno = saved;
}

void log_set_json(int on)
{
	log_state.json = on;
}

/* "service: call: strerror(err)" at error level. */
void log_errno(const char *service, const char *call, int err)
{
	log_msg(SUPERD_LOG_ERROR, service, "%s: %s", call, strerror(err));
}
