/*
 * parse.c - the HTTP/1.x request parser: strict, bounded, in place.
 *
 * Two passes over a request: a cheap scan for the end of the header block
 * (that is all a slowly arriving request costs), then one full parse of
 * the complete block.  Rules follow RFC 9112; see parse.h.
 */
#include <stddef.h>
#include <string.h>

#include "parse.h"

#define MAX_METHOD 16 /* longer than any method we implement: 501 */

/* tchar of RFC 9110 §5.6.2, as a 256-entry table built at compile time. */
#define T(c) [(unsigned char)(c)] = 1
static const unsigned char tchar[256] = {
	T('!'), T('#'), T('$'), T('%'), T('&'), T('\''), T('*'), T('+'),
	T('-'), T('.'), T('^'), T('_'), T('`'), T('|'), T('~'),
	T('0'), T('1'), T('2'), T('3'), T('4'), T('5'), T('6'), T('7'),
	T('8'), T('9'),
	T('A'), T('B'), T('C'), T('D'), T('E'), T('F'), T('G'), T('H'),
	T('I'), T('J'), T('K'), T('L'), T('M'), T('N'), T('O'), T('P'),
	T('Q'), T('R'), T('S'), T('T'), T('U'), T('V'), T('W'), T('X'),
	T('Y'), T('Z'),
	T('a'), T('b'), T('c'), T('d'), T('e'), T('f'), T('g'), T('h'),
	T('i'), T('j'), T('k'), T('l'), T('m'), T('n'), T('o'), T('p'),
	T('q'), T('r'), T('s'), T('t'), T('u'), T('v'), T('w'), T('x'),
	T('y'), T('z'),
};
#undef T

/* Sensible limits: 8 KiB request line, 16 KiB header block, 1 GiB body. */
void http_limits_default(struct http_limits *lim)
{
	lim->max_line = 8192;
	lim->max_header = 16384;
	lim->max_body = 1024ull * 1024 * 1024;
}

/* ASCII lower case, without locale. */
static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive comparison of a slice with a C string. */
int http_slice_eq(struct http_slice s, const char *lit)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (!lit[i] || lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
			return 0;
	return lit[i] == '\0';
}

/* The first field named name (case-insensitive), or NULL. */
const struct http_field *http_field_get(const struct http_request *req,
                                        const char *name)
{
	for (unsigned i = 0; i < req->nfields; i++)
		if (http_slice_eq(req->fields[i].name, name))
			return &req->fields[i];
	return NULL;
}

/* Method name to enum (case-sensitive, RFC 9110 §9.1). */
static enum http_method method_lookup(const char *p, size_t n)
{
	static const struct {
		const char *name;
		enum http_method m;
	} known[] = {
		{ "GET", HTTP_M_GET },         { "HEAD", HTTP_M_HEAD },
		{ "POST", HTTP_M_POST },       { "PUT", HTTP_M_PUT },
		{ "DELETE", HTTP_M_DELETE },   { "OPTIONS", HTTP_M_OPTIONS },
		{ "PATCH", HTTP_M_PATCH },     { "TRACE", HTTP_M_TRACE },
		{ "CONNECT", HTTP_M_CONNECT },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n && !memcmp(known[i].name, p, n))
			return known[i].m;
	return HTTP_M_UNKNOWN;
}

/*
 * Find the end of the header block starting at start: the offset just past
 * CRLFCRLF, 0 when not there yet, or -1 for a bare LF (strict CRLF).
 */
static long header_end(const char *buf, size_t len, size_t start)
{
	const char *p = buf + start, *end = buf + len, *lf;

	while ((lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t k = (size_t)(lf - buf);

		if (k == start || buf[k - 1] != '\r')
			return -1;
		if (k >= start + 3 && buf[k - 2] == '\n')
			return (long)(k + 1);
		p = lf + 1;
	}
	return 0;
}

/* A Host value: reg-name, IPv4 or [IP-literal], optional :port. */
static int host_valid(struct http_slice h)
{
	for (size_t i = 0; i < h.n; i++) {
		unsigned char c = (unsigned char)h.p[i];

		if (c >= 0x80 || c <= 0x20 || strchr("/?#@\\\"<>^`{|}", c))
			return 0;
	}
	return 1;
}

/* Split the request-target into host, path and query. 0 or 400. */
static int parse_target(struct http_request *req)
{
	struct http_slice t = req->target;
	size_t i = 0;

	if (t.n == 1 && t.p[0] == '*') {
		if (req->method != HTTP_M_OPTIONS)
			return 400;
		req->asterisk = 1;
		req->path = t;
		return 0;
	}
	if (req->method == HTTP_M_CONNECT) { /* authority-form: 405 later */
		req->path = t;
		return 0;
	}
	if (t.p[0] != '/') {
		size_t skip;

		if (t.n > 7 && http_slice_eq((struct http_slice){ t.p, 7 }, "http://"))
			skip = 7;
		else if (t.n > 8 && http_slice_eq((struct http_slice){ t.p, 8 }, "https://"))
			skip = 8;
		else
			return 400;
		i = skip;
		while (i < t.n && t.p[i] != '/' && t.p[i] != '?')
			i++;
		req->host = (struct http_slice){ t.p + skip, i - skip };
		if (req->host.n == 0 || !host_valid(req->host))
			return 400;
	}
	req->path.p = t.p + i;
	while (i < t.n && t.p[i] != '?')
		i++;
	req->path.n = (size_t)(t.p + i - req->path.p);
	if (req->path.n == 0)
		req->path = (struct http_slice){ "/", 1 };
	if (i < t.n) {
		req->has_query = 1;
		req->query = (struct http_slice){ t.p + i + 1, t.n - i - 1 };
	}
	return 0;
}

/* Parse "METHOD SP target SP HTTP/d.d" (line without CRLF). */
static int parse_request_line(const char *line, size_t n,
                              struct http_request *req)
{
	size_t i = 0, t0;

	while (i < n && tchar[(unsigned char)line[i]])
		i++;
	if (i == 0 || i >= n || line[i] != ' ')
		return 400;
	if (i > MAX_METHOD)
		return 501;
	req->method_name = (struct http_slice){ line, i };
	req->method = method_lookup(line, i);
	t0 = ++i;
	while (i < n && line[i] > 0x20 && line[i] < 0x7f && line[i] != '#')
		i++;
	if (i == t0 || i >= n || line[i] != ' ')
		return 400;
	req->target = (struct http_slice){ line + t0, i - t0 };
	i++;
	if (n - i != 8 || memcmp(line + i, "HTTP/", 5) ||
	    line[i + 5] < '0' || line[i + 5] > '9' || line[i + 6] != '.' ||
	    line[i + 7] < '0' || line[i + 7] > '9')
		return 400;
	if (line[i + 5] != '1')
		return 505;
	req->minor = line[i + 7] == '0' ? 0 : 1;
	if (req->method == HTTP_M_UNKNOWN)
		return 501;
	return parse_target(req);
}

/* Content-Length: 1*DIGIT, maybe a list of equal values. 0, 400 or 413. */
static int parse_length(struct http_request *req, struct http_slice v,
                        const struct http_limits *lim)
{
	size_t i = 0;

	do {
		uint64_t n = 0;
		size_t d = 0;

		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9'; i++, d++) {
			if (n > (UINT64_MAX - 9) / 10)
				return 413;
			n = n * 10 + (uint64_t)(v.p[i] - '0');
		}
		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		if (d == 0 || (i < v.n && v.p[i] != ','))
			return 400;
		if (req->has_length && req->length != n)
			return 400;
		req->has_length = 1;
		req->length = n;
	} while (i++ < v.n);
	return req->length > lim->max_body ? 413 : 0;
}

/*
 * Walk a comma-separated list of tokens, calling fn for each (trimmed).
 * Returns fn's first non-zero result, 400 for an empty member, or 0.
 */
static int each_token(struct http_slice v, struct http_request *req,
                      int (*fn)(struct http_request *, struct http_slice))
{
	size_t i = 0;

	while (i < v.n) {
		size_t a, b;
		int rc;

		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		a = i;
		while (i < v.n && v.p[i] != ',')
			i++;
		b = i;
		while (b > a && (v.p[b - 1] == ' ' || v.p[b - 1] == '\t'))
			b--;
		i++;
		if (b == a)
			continue; /* empty list members are allowed (§5.6.1) */
		rc = fn(req, (struct http_slice){ v.p + a, b - a });
		if (rc)
			return rc;
	}
	return 0;
}

/* Connection tokens we act on. */
#define CONN_CLOSE 0x1
#define CONN_KEEP 0x2
#define TE_CHUNKED_LAST 0x4
#define TE_OTHER 0x8
#define TE_CHUNKED_TWICE 0x10
#define TE_SEEN 0x20

/* One Connection option: close or keep-alive. */
static int conn_token(struct http_request *req, struct http_slice t)
{
	if (http_slice_eq(t, "close"))
		req->keep_alive |= CONN_CLOSE;
	else if (http_slice_eq(t, "keep-alive"))
		req->keep_alive |= CONN_KEEP;
	return 0;
}

/* One transfer coding; remembers whether chunked is (only) last. */
static int te_token(struct http_request *req, struct http_slice t)
{
	int f = req->chunked;

	if (http_slice_eq(t, "chunked")) {
		if (f & TE_CHUNKED_LAST || f & TE_CHUNKED_TWICE)
			f |= TE_CHUNKED_TWICE;
		f |= TE_CHUNKED_LAST;
	} else {
		if (f & TE_CHUNKED_LAST)
			f |= TE_CHUNKED_TWICE; /* chunked must be last */
		f &= ~TE_CHUNKED_LAST;
		f |= TE_OTHER;
	}
	req->chunked = f | TE_SEEN;
	return 0;
}

/* Remember the fields the server acts on. 0 or an error status. */
static int note_field(struct http_request *req, struct http_field *f,
                      const struct http_limits *lim, int *hosts,
                      struct http_slice *host_field)
{
	struct http_slice n = f->name, v = f->value;

	switch (lower((unsigned char)n.p[0])) {
	case 'h':
		if (http_slice_eq(n, "host")) {
			if (++*hosts > 1 || !host_valid(v))
				return 400;
			*host_field = v;
			if (!req->host.p)
				req->host = v;
		}
		break;
	case 'c':
		if (http_slice_eq(n, "content-length"))
			return parse_length(req, v, lim);
		if (http_slice_eq(n, "connection"))
			return each_token(v, req, conn_token);
		if (http_slice_eq(n, "content-type"))
			req->content_type = v;
		break;
	case 't':
		if (http_slice_eq(n, "transfer-encoding"))
			return v.n ? each_token(v, req, te_token) : 400;
		break;
	case 'e':
		if (http_slice_eq(n, "expect") && http_slice_eq(v, "100-continue"))
			req->expect_continue = 1;
		break;
	case 'i':
		if (http_slice_eq(n, "if-none-match"))
			req->if_none_match = v;
		else if (http_slice_eq(n, "if-modified-since")) {
			req->if_modified_since = v;
			req->ims_count++;
		} else if (http_slice_eq(n, "if-range"))
			req->if_range = v;
		break;
	case 'r':
		if (http_slice_eq(n, "range"))
			req->range = v;
		else if (http_slice_eq(n, "referer"))
			req->referer = v;
		break;
	case 'u':
		if (http_slice_eq(n, "user-agent"))
			req->user_agent = v;
		break;
	}
	return 0;
}

/* Parse one "name: value" line (without CRLF) into a field. 0 or 400. */
static int parse_field_line(const char *line, size_t n, struct http_field *f)
{
	size_t i = 0, a, b;

	while (i < n && tchar[(unsigned char)line[i]])
		i++;
	if (i == 0 || i >= n || line[i] != ':')
		return 400;
	f->name = (struct http_slice){ line, i };
	i++;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	a = i;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 400;
	}
	b = n;
	while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
		b--;
	f->value = (struct http_slice){ line + a, b - a };
	return 0;
}

/* Parse the fields between p and end (each line ends in CRLF). */
static int parse_fields(const char *p, const char *end,
                        const struct http_limits *lim, struct http_request *req)
{
	struct http_slice host_field = { NULL, 0 };
	int hosts = 0, rc;

	while (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		struct http_field *f;

		if (!cr || cr + 1 >= end || cr[1] != '\n')
			return 400;
		if (cr == p)
			break; /* the empty line */
		if (req->nfields >= HTTP_MAX_FIELDS)
			return 431;
		f = &req->fields[req->nfields++];
		rc = parse_field_line(p, (size_t)(cr - p), f);
		if (rc == 0)
			rc = note_field(req, f, lim, &hosts, &host_field);
		if (rc)
			return rc;
		p = cr + 2;
	}
	if (req->minor == 1 && hosts == 0)
		return 400;
	/* an absolute-form target names a host: a Host field of nothing but
	   whitespace beside it is a contradiction (nginx: 400) */
	if (hosts && req->host.p && req->host.p != host_field.p && !host_field.n)
		return 400;
	return 0;
}

/* Framing and persistence rules once every field is known. */
static int check_framing(struct http_request *req)
{
	int conn = req->keep_alive, te = req->chunked;

	req->keep_alive = req->minor ? !(conn & CONN_CLOSE)
	                             : (conn & CONN_KEEP) && !(conn & CONN_CLOSE);
	req->chunked = 0;
	if (!req->minor)
		req->expect_continue = 0;
	if (te & TE_SEEN) {
		req->keep_alive = 0; /* §6.1: close after responding */
		if (req->has_length || !req->minor)
			return 400;
		if (te & TE_CHUNKED_TWICE || !(te & TE_CHUNKED_LAST))
			return 400;
		if (te & TE_OTHER)
			return 501;
		req->chunked = 1;
		req->keep_alive = !(conn & CONN_CLOSE);
	}
	return 0;
}

/* Parse one request header block (see parse.h). */
int http_parse_request(const char *buf, size_t len,
                       const struct http_limits *lim,
                       struct http_request *req)
{
	size_t start = 0, line_len;
	const char *lf;
	long end;
	int rc;

	memset(req, 0, offsetof(struct http_request, fields));
	req->nfields = 0;
	while (start + 1 < len && buf[start] == '\r' && buf[start + 1] == '\n')
		start += 2;
	if (start >= lim->max_header)
		return 400;
	lf = memchr(buf + start, '\n', len - start);
	if (!lf)
		return len - start > lim->max_line ? 414 : HTTP_PARSE_INCOMPLETE;
	if (lf == buf + start || lf[-1] != '\r')
		return 400;
	line_len = (size_t)(lf - 1 - (buf + start));
	if (line_len > lim->max_line)
		return 414;
	end = header_end(buf, len, start);
	if (end < 0)
		return 400;
	if (end == 0)
		return len > lim->max_header ? 431 : HTTP_PARSE_INCOMPLETE;
	if ((size_t)end > lim->max_header)
		return 431;
	rc = parse_request_line(buf + start, line_len, req);
	if (rc == 0)
		rc = parse_fields(lf + 1, buf + end, lim, req);
	if (rc == 0)
		rc = check_framing(req);
	if (rc)
		return rc;
	req->header_len = (size_t)end;
	return HTTP_PARSE_OK;
}
