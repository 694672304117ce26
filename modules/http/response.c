/*
 * response.c - status lines, the common header fields, HTTP dates and
 * error pages.
 *
 * A response head is built in the connection's reusable buffer and
 * queued with one host->write (together with a small body when there is
 * one), so a typical response costs one write call.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "http.h"

static const char wday_name[7][4] = { "Sun", "Mon", "Tue", "Wed",
                                      "Thu", "Fri", "Sat" };
static const char month_name[12][4] = { "Jan", "Feb", "Mar", "Apr",
                                        "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec" };

/* The reason phrase for a status. */
const char *http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	case 507: return "Insufficient Storage";
	}
	if (status >= 200 && status < 300)
		return "OK";
	if (status >= 300 && status < 400)
		return "Redirect";
	if (status >= 400 && status < 500)
		return "Client Error";
	return "Server Error";
}

/* Format t as IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). */
void http_date_format(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(out, outsz, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(out, outsz, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	         wday_name[tm.tm_wday], tm.tm_mday, month_name[tm.tm_mon],
	         tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Refresh the cached Date value once a second. */
const char *http_date_now(struct http_instance *inst)
{
	time_t now = time(NULL);

	if (now != inst->date_sec || !inst->date[0]) {
		inst->date_sec = now;
		http_date_format(now, inst->date, sizeof(inst->date));
	}
	return inst->date;
}

/* Read exactly n digits from *s; -1 when they are not there. */
static int digits(const char **s, const char *end, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (*s >= end || **s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	return v;
}

/* A month abbreviation at *s (advanced past it); -1 when unknown. */
static int month(const char **s, const char *end)
{
	if (end - *s < 3)
		return -1;
	for (int m = 0; m < 12; m++)
		if (!memcmp(*s, month_name[m], 3)) {
			*s += 3;
			return m;
		}
	return -1;
}

/* Expect the literal lit at *s. */
static int lit(const char **s, const char *end, const char *l)
{
	size_t n = strlen(l);

	if ((size_t)(end - *s) < n || memcmp(*s, l, n))
		return -1;
	*s += n;
	return 0;
}

/* "HH:MM:SS" into tm. */
static int clock_time(const char **s, const char *end, struct tm *tm)
{
	tm->tm_hour = digits(s, end, 2);
	if (lit(s, end, ":") < 0)
		return -1;
	tm->tm_min = digits(s, end, 2);
	if (lit(s, end, ":") < 0)
		return -1;
	tm->tm_sec = digits(s, end, 2);
	if (tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 ||
	    tm->tm_min > 59 || tm->tm_sec < 0 || tm->tm_sec > 60)
		return -1;
	return 0;
}

/* Parse IMF-fixdate, RFC 850 or asctime (RFC 9110 §5.6.7); -1: invalid. */
time_t http_date_parse(const char *s, size_t n)
{
	const char *end = s + n, *comma = memchr(s, ',', n);
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (comma) {
		s = comma + 1;
		if (lit(&s, end, " ") < 0 || (tm.tm_mday = digits(&s, end, 2)) < 0)
			return -1;
		if (s < end && *s == '-') { /* RFC 850: 06-Nov-94 */
			s++;
			if ((tm.tm_mon = month(&s, end)) < 0 || lit(&s, end, "-") < 0 ||
			    (tm.tm_year = digits(&s, end, 2)) < 0)
				return -1;
			if (tm.tm_year < 70)
				tm.tm_year += 100;
		} else {
			if (lit(&s, end, " ") < 0 || (tm.tm_mon = month(&s, end)) < 0 ||
			    lit(&s, end, " ") < 0 || (tm.tm_year = digits(&s, end, 4)) < 0)
				return -1;
			tm.tm_year -= 1900;
		}
		if (lit(&s, end, " ") < 0 || clock_time(&s, end, &tm) < 0 ||
		    lit(&s, end, " GMT") < 0)
			return -1;
	} else { /* asctime: Sun Nov  6 08:49:37 1994 */
		if (end - s < 4 || s[3] != ' ')
			return -1;
		s += 4;
		if ((tm.tm_mon = month(&s, end)) < 0 || lit(&s, end, " ") < 0)
			return -1;
		if (s < end && *s == ' ')
			s++, tm.tm_mday = digits(&s, end, 1);
		else
			tm.tm_mday = digits(&s, end, 2);
		if (tm.tm_mday < 0 || lit(&s, end, " ") < 0 ||
		    clock_time(&s, end, &tm) < 0 || lit(&s, end, " ") < 0 ||
		    (tm.tm_year = digits(&s, end, 4)) < 0)
			return -1;
		tm.tm_year -= 1900;
	}
	if (s != end || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -1;
	return timegm(&tm);
}

/* Start a response head: status line, Date, Server, Connection. */
void http_head_begin(struct http_conn *st, const struct http_reqinfo *ri,
                     int status)
{
	static const char server[] = "\r\nServer: " HTTP_SERVER_NAME "\r\n";
	struct hbuf *b = st->out;
	const char *date = http_date_now(st->inst), *reason = http_reason(status);
	char code[4] = { (char)('0' + status / 100 % 10),
	                 (char)('0' + status / 10 % 10), (char)('0' + status % 10), ' ' };

	/* memcpy, not printf: this runs for every response */
	b->len = 0;
	hbuf_add(b, "HTTP/1.1 ", 9);
	hbuf_add(b, code, 4);
	hbuf_str(b, reason);
	hbuf_add(b, "\r\nDate: ", 8);
	hbuf_str(b, date);
	hbuf_add(b, server, sizeof(server) - 1);
	if (!ri->keep_alive)
		hbuf_add(b, "Connection: close\r\n", 19);
	else if (ri->minor == 0)
		hbuf_add(b, "Connection: keep-alive\r\n", 24);
}

/* Cork or uncork the connection's TCP socket (see http.h). */
int http_cork(struct http_conn *st, int on)
{
	const struct superd_host *host = st->inst->host;
	int sock;

	/* not over TLS: conn_fd would be a relay, and records are whole */
	if (host->tls(st->c))
		return 0;
	sock = host->conn_fd(st->c);
	return sock >= 0 &&
	       setsockopt(sock, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0;
}

/* Queue what st->out holds. 0 or -1. */
int http_flush_head(struct http_conn *st)
{
	const struct superd_host *host = st->inst->host;

	if (st->out->oom) {
		st->out->oom = 0;
		st->out->len = 0;
		return -1;
	}
	if (host->write(st->c, st->out->p, st->out->len) < 0)
		return -1;
	http_send_watch(st);
	return 0;
}

/* Queue an error response with a small HTML page (see http.h). */
int http_send_error(struct http_conn *st, struct http_reqinfo *ri,
                    int status, int close_after, const char *allow)
{
	char body[1024];
	int n;

	if (close_after || status == 408 || status == 413 || status >= 500) {
		ri->keep_alive = 0;
		st->closing = 1;
	}
	if (http_error_page_send(st, ri, status, allow) == 0)
		return 0;
	n = snprintf(body, sizeof(body),
	             "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	             "<meta name=\"viewport\" content=\"width=device-width, "
	             "initial-scale=1\">\n<title>%d %s</title>\n"
	             "<style>:root{color-scheme:light dark}body{font:16px/1.5 "
	             "system-ui,sans-serif;margin:2em auto;padding:0 1em;"
	             "max-width:40em}</style></head>\n"
	             "<body><h1>%d %s</h1>\n<p>%s</p>\n<hr><address>"
	             HTTP_SERVER_NAME "</address></body></html>\n",
	             status, http_reason(status), status, http_reason(status),
	             http_error_sentence(status));
	http_head_begin(st, ri, status);
	if (allow)
		hbuf_printf(st->out, "Allow: %s\r\n", allow);
	hbuf_printf(st->out, "Content-Type: text/html; charset=utf-8\r\n"
	            "Content-Length: %d\r\n\r\n", n);
	if (!ri->head)
		hbuf_add(st->out, body, (size_t)n);
	http_log(st, ri, status, ri->head ? 0 : (uint64_t)n);
	return http_flush_head(st);
}
