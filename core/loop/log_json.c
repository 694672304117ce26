/*
 * log_json.c - log lines as JSON objects (global: log_format: json), one
 * per line, for log collectors:
 *
 *   {"time":"2026-11-26T12:00:00.123Z","level":"info","pid":7,
 *    "service":"echo","msg":"...", "remote":"127.0.0.1","remote_port":4242,
 *    "outcome":"eof","duration":0.012,"in":3,"out":3}
 *
 * The last six fields are on connection lines only.  Every line is valid
 * JSON whatever bytes it carries: valid UTF-8 is kept, quotes, backslashes
 * and control characters are escaped, and each byte that is not part of a
 * valid UTF-8 sequence becomes U+FFFD.  A line is at most LOG_JSON_MAX
 * bytes; a message cut to fit ends in "...".
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "log_priv.h"

/* Room kept at the end of a string's share for "..." and the quote. */
#define JSON_TAIL 8
/* Share of a line for the message; the rest is for the other fields,
   each bounded by FIELD_MAX, so the object is always closed. */
#define MSG_MAX (LOG_JSON_MAX - 2048)
#define FIELD_MAX 256

/** A bounded output buffer; once full, nothing more is appended. */
struct jbuf {
	char *p;
	size_t len, max;
	int full;
};

/* Append n raw bytes, or mark the buffer full. */
static void jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (b->full || n > b->max - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Append printf output (only our own numbers and names). */
static void jb_fmt(struct jbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void jb_fmt(struct jbuf *b, const char *fmt, ...)
{
	char tmp[96];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->full = 1;
	else
		jb_raw(b, tmp, (size_t)n);
}

/*
 * Length of the valid UTF-8 sequence at p (n bytes left): 1 to 4, or 0
 * when it is not one (overlong forms, surrogates and code points past
 * U+10FFFF are not).
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/*
 * Append s as a JSON string (quotes included) of at most limit bytes.
 * When it does not fit whole, as much as fits (never half an escape or a
 * UTF-8 sequence) and "..." are written; the string is always closed.
 * cut: the text was already cut before it got here (add "...").
 */
static void jb_string(struct jbuf *b, const char *s, size_t limit, int cut)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), keep = b->max;

	jb_raw(b, "\"", 1);
	if (b->len + limit < keep)
		b->max = b->len + limit;
	b->max = b->max > b->len + JSON_TAIL ? b->max - JSON_TAIL : b->len;
	while (n > 0 && !b->full) {
		size_t k = utf8_len(p, n), before = b->len;
		char esc[8];

		if (k == 0) {
			jb_raw(b, "\xef\xbf\xbd", 3); /* U+FFFD */
			k = 1;
		} else if (*p == '"' || *p == '\\') {
			esc[0] = '\\', esc[1] = (char)*p;
			jb_raw(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			jb_raw(b, esc, 6);
		} else {
			jb_raw(b, (const char *)p, k);
		}
		if (b->full)
			b->len = before; /* drop a piece that did not fit */
		p += k;
		n -= k;
	}
	b->max = keep;
	if (b->full || cut) {
		b->full = 0;
		jb_raw(b, "...", 3);
	}
	jb_raw(b, "\"", 1);
}

/* Append ,"key":"value" (value: any bytes). */
static void jb_field(struct jbuf *b, const char *key, const char *value)
{
	jb_fmt(b, ",\"%s\":", key);
	jb_string(b, value, FIELD_MAX, 0);
}

/* "time" as RFC 3339 UTC with milliseconds. */
static void jb_time(struct jbuf *b)
{
	struct timespec ts;
	struct tm tm;
	char t[40];
	size_t n;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm)) {
		memset(&tm, 0, sizeof(tm));
		ts.tv_nsec = 0;
	}
	n = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + n, sizeof(t) - n, ".%03ldZ", ts.tv_nsec / 1000000);
	jb_fmt(b, "{\"time\":\"%s\"", t);
}

/* The connection fields (see log.h). */
static void jb_conn(struct jbuf *b, const struct log_conn *c)
{
	jb_field(b, "remote", c->remote);
	if (c->remote_port >= 0)
		jb_fmt(b, ",\"remote_port\":%d", c->remote_port);
	else
		jb_raw(b, ",\"remote_port\":null", 19);
	jb_field(b, "outcome", c->outcome);
	jb_fmt(b, ",\"duration\":%llu.%03llu",
	       (unsigned long long)(c->duration_ms / 1000),
	       (unsigned long long)(c->duration_ms % 1000));
	if (c->has_bytes)
		jb_fmt(b, ",\"in\":%llu,\"out\":%llu", (unsigned long long)c->in,
		       (unsigned long long)c->out);
}

/* Build and emit one JSON line (see log_priv.h). */
void log_json_line(int level, const char *service, const char *msg, int cut,
                   const struct log_conn *conn)
{
	char line[LOG_JSON_MAX];
	struct jbuf b = { line, 0, sizeof(line) - 1, 0 };

	jb_time(&b);
	jb_fmt(&b, ",\"level\":\"%s\",\"pid\":%ld", log_level_names[level],
	       (long)getpid());
	if (service)
		jb_field(&b, "service", service);
	jb_fmt(&b, ",\"msg\":");
	jb_string(&b, msg, MSG_MAX, cut);
	if (conn)
		jb_conn(&b, conn);
	b.full = 0;
	jb_raw(&b, "}", 1);
	log_emit(level, line, b.len, sizeof(line));
}
