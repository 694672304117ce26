/*
 * accesslog.c - the access log, in Combined Log Format:
 *
 *   127.0.0.1 - - [26/Nov/2026:11:07:55 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/7.88"
 *
 * With virtual hosts (hosts:) each line begins with the Host the request
 * named ("-" for none), as Apache's vhost_combined format does.
 *
 * Times are UTC.  Each line goes out with one write(2) on an O_APPEND
 * descriptor, so the workers' lines never interleave.  Rotation: a module
 * receives no signals, so instead of reopening on SIGUSR1 the log checks,
 * at most once a second while requests are logged, whether its path still
 * names the file it has open; when logrotate has moved it away (or the
 * file was removed), the path is reopened.  SIGUSR1 is therefore not
 * needed, and `copytruncate` works as well (O_APPEND).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define LINE_MAX_BYTES 4096

/* Open (or reopen) the log path; 0 or -1 (errno set). */
static int log_reopen(struct accesslog *log)
{
	struct stat sb;
	int fd;

	fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	          0644);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return -1;
	}
	if (log->fd >= 0)
		close(log->fd);
	log->fd = fd;
	log->dev = sb.st_dev;
	log->ino = sb.st_ino;
	return 0;
}

/* Open the log (see http.h). */
int accesslog_open(struct accesslog *log, const struct superd_host *host,
                   superd_service *svc)
{
	if (!log->path)
		return 0;
	if (log_reopen(log) < 0) {
		host->log(svc, SUPERD_LOG_ERROR, "access_log: open %s: %s",
		          log->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* SIGUSR1 (see http.h): reopen now; on failure keep the old file. */
void accesslog_reopen(struct accesslog *log, const struct superd_host *host,
                      superd_service *svc)
{
	if (!log->path || log_reopen(log) == 0)
		return;
	host->log(svc, SUPERD_LOG_ERROR, "access_log: reopen %s: %s",
	          log->path, strerror(errno));
}

/* Reopen when the path no longer names the open file (rotation). */
static void log_check_rotation(struct accesslog *log, time_t now)
{
	struct stat sb;

	if (now == log->checked)
		return;
	log->checked = now;
	if (stat(log->path, &sb) == 0 && sb.st_dev == log->dev &&
	    sb.st_ino == log->ino)
		return;
	(void)log_reopen(log); /* on failure keep writing to the old file */
}

/* Append s[0..n) quoted as nginx does: '"', '\\' and controls as \xHH. */
static size_t put_escaped(char *out, size_t room, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (!s || n == 0) {
		if (room > 1)
			out[o++] = '-';
		return o;
	}
	for (size_t i = 0; i < n && o + 4 < room; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}

/* Append one Combined Log Format line (see http.h). */
void accesslog_write(struct accesslog *log, const struct superd_peer *peer,
                     const struct http_reqinfo *ri, int status,
                     uint64_t bytes)
{
	char line[LINE_MAX_BYTES];
	time_t now;
	size_t o;
	int n;

	if (log->fd < 0)
		return;
	now = time(NULL);
	log_check_rotation(log, now);
	if (now != log->tsec) {
		struct tm tm;

		log->tsec = now;
		gmtime_r(&now, &tm);
		strftime(log->tstamp, sizeof(log->tstamp), "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
	}
	o = 0;
	if (log->vhosts) { /* Apache's vhost_combined: the host first */
		o = put_escaped(line, 300, ri->vhost.p, ri->vhost.n);
		line[o++] = ' ';
	}
	n = snprintf(line + o, sizeof(line) - o, "%s - - %s \"",
	             peer && peer->remote_ip[0] ? peer->remote_ip : "-", log->tstamp);
	o += (size_t)n;
	o += put_escaped(line + o, sizeof(line) - o - 200, ri->line.p, ri->line.n);
	o += (size_t)snprintf(line + o, sizeof(line) - o, "\" %d ", status);
	if (bytes)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%llu \"",
		                      (unsigned long long)bytes);
	else
		o += (size_t)snprintf(line + o, sizeof(line) - o, "- \"");
	o += put_escaped(line + o, sizeof(line) - o - 100, ri->referer.p, ri->referer.n);
	o += (size_t)snprintf(line + o, sizeof(line) - o, "\" \"");
	o += put_escaped(line + o, sizeof(line) - o - 4, ri->user_agent.p,
	                 ri->user_agent.n);
	line[o++] = '"';
	line[o++] = '\n';
	while (write(log->fd, line, o) < 0 && errno == EINTR)
		;
}

/* Close the log file (the instance goes away). */
void accesslog_close(struct accesslog *log)
{
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
}
