/*
 * static.c - regular files: GET and HEAD with validators, conditional
 * requests (If-None-Match, If-Modified-Since -> 304), single ranges
 * (206, 416, If-Range) and OPTIONS.  Bodies go out with host->sendfile,
 * the socket corked meanwhile (TCP_CORK, as lighttpd and nginx do) so that
 * the head does not travel alone; small ones are read into the head's
 * write instead, which saves the kernel a second send for the most common
 * case.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

/* Files up to this size travel in the same write as their head. */
#define INLINE_MAX (16 * 1024)

#define ALLOW_STATIC "GET, HEAD, OPTIONS"

/* The entity tag: "hex(mtime)-hex(size)". */
static int make_etag(const struct stat *sb, char *out, size_t outsz)
{
	return snprintf(out, outsz, "\"%llx-%llx\"",
	                (unsigned long long)sb->st_mtime,
	                (unsigned long long)sb->st_size);
}

/* Weak comparison of our etag with an If-None-Match list ("*" matches). */
static int etag_list_matches(struct http_slice v, const char *etag)
{
	size_t i = 0, elen = strlen(etag);

	while (i < v.n) {
		size_t a;

		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
			i++;
		if (i >= v.n)
			break;
		if (v.p[i] == '*')
			return 1;
		if (v.n - i >= 2 && v.p[i] == 'W' && v.p[i + 1] == '/')
			i += 2;
		a = i;
		if (i < v.n && v.p[i] == '"') {
			i++;
			while (i < v.n && v.p[i] != '"')
				i++;
			i++;
		}
		if (i - a == elen && i <= v.n && !memcmp(v.p + a, etag, elen))
			return 1;
		while (i < v.n && v.p[i] != ',')
			i++;
	}
	return 0;
}

/* The conditional GET/HEAD rules of RFC 9110 §13.2.2: 1 means 304. */
static int not_modified(const struct http_request *req, const char *etag,
                        time_t mtime)
{
	time_t since;

	if (req->if_none_match.p)
		return etag_list_matches(req->if_none_match, etag);
	if (!req->if_modified_since.p || req->ims_count != 1)
		return 0;
	since = http_date_parse(req->if_modified_since.p, req->if_modified_since.n);
	return since != (time_t)-1 && mtime <= since;
}

/* If-Range: a strong etag match or the exact Last-Modified date. */
static int if_range_holds(struct http_slice v, const char *etag, time_t mtime)
{
	if (v.n && (v.p[0] == '"' || v.p[0] == 'W'))
		return v.n == strlen(etag) && !memcmp(v.p, etag, v.n);
	return http_date_parse(v.p, v.n) == mtime;
}

/* Parse a decimal number; -1 when not digits or too large. */
static int64_t parse_pos(const char *p, size_t n)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/*
 * A single byte range against size: 1 and [*off, *off+*len) when it is
 * satisfiable, 416 when not, 0 to ignore the header (invalid, another
 * unit, or several ranges: we then send the whole file, as RFC 9110
 * §14.2 allows).
 */
static int parse_range(struct http_slice v, int64_t size, int64_t *off,
                       int64_t *len)
{
	const char *dash;
	int64_t first, last;
	struct http_slice spec;

	if (v.n < 7 || !http_slice_eq((struct http_slice){ v.p, 6 }, "bytes="))
		return 0;
	spec = (struct http_slice){ v.p + 6, v.n - 6 };
	while (spec.n && (spec.p[0] == ' ' || spec.p[0] == '\t'))
		spec.p++, spec.n--;
	if (memchr(spec.p, ',', spec.n))
		return 0;
	dash = memchr(spec.p, '-', spec.n);
	if (!dash)
		return 0;
	if (dash == spec.p) { /* suffix: the last N bytes */
		last = parse_pos(dash + 1, spec.n - 1);
		if (last < 0)
			return 0;
		if (last == 0 || size == 0)
			return 416;
		*len = last < size ? last : size;
		*off = size - *len;
		return 1;
	}
	first = parse_pos(spec.p, (size_t)(dash - spec.p));
	if (first < 0)
		return 0;
	if (dash + 1 == spec.p + spec.n)
		last = size - 1;
	else if ((last = parse_pos(dash + 1, (size_t)(spec.p + spec.n - dash - 1))) < 0 ||
	         last < first)
		return 0;
	if (first >= size)
		return 416;
	if (last >= size)
		last = size - 1;
	*off = first;
	*len = last - first + 1;
	return 1;
}

/* Common header fields of a file response. */
static void file_fields(struct http_conn *st, const char *etag,
                        time_t lastmod)
{
	char date[40];

	http_date_format(lastmod, date, sizeof(date));
	hbuf_printf(st->out, "Last-Modified: %s\r\nETag: %s\r\n", date, etag);
}

/* Queue a body of len bytes at off from fd (taken) after the head. */
static int send_body(struct http_conn *st, int fd, int64_t off, int64_t len)
{
	const struct superd_host *host = st->inst->host;
	int sock, corked, on = 1, rc;

	if (len <= INLINE_MAX && hbuf_reserve(st->out, (size_t)len) == 0) {
		ssize_t n;

		do
			n = pread(fd, st->out->p + st->out->len, (size_t)len, off);
		while (n < 0 && errno == EINTR);
		if (n == len) {
			st->out->len += (size_t)n;
			close(fd);
			return http_flush_head(st);
		}
	}
	/* cork: the head and the start of the file leave in full segments */
	sock = host->conn_fd(st->c);
	corked = sock >= 0 && setsockopt(sock, IPPROTO_TCP, TCP_CORK, &on,
	                                 sizeof(on)) == 0;
	if (http_flush_head(st) < 0) {
		close(fd);
		rc = -1;
	} else {
		rc = host->sendfile(st->c, fd, (off_t)off, (size_t)len);
	}
	if (corked) {
		on = 0;
		setsockopt(sock, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
	}
	return rc;
}

/* Serve a regular file (see http.h). */
int http_serve_file(struct http_conn *st, const struct http_request *req,
                    struct http_reqinfo *ri, int fd, const struct stat *sb,
                    const char *name, size_t name_len)
{
	struct http_instance *inst = st->inst;
	char etag[48];
	time_t now = time(NULL), lastmod = sb->st_mtime < now ? sb->st_mtime : now;
	int64_t size = sb->st_size, off = 0, len = size;
	int status = 200, r = 0;
	size_t fields_at;

	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) {
		close(fd);
		if (req->method != HTTP_M_OPTIONS) {
			http_send_error(st, ri, 405, 0, ALLOW_STATIC);
			return 405;
		}
		http_head_begin(st, ri, 200);
		hbuf_str(st->out, "Allow: " ALLOW_STATIC "\r\nContent-Length: 0\r\n\r\n");
		http_flush_head(st);
		http_log(st, ri, 200, 0);
		return 200;
	}
	make_etag(sb, etag, sizeof(etag));
	if (not_modified(req, etag, lastmod)) {
		close(fd);
		http_head_begin(st, ri, 304);
		file_fields(st, etag, lastmod);
		hbuf_str(st->out, "\r\n");
		http_flush_head(st);
		http_log(st, ri, 304, 0);
		return 304;
	}
	if (req->range.p && req->method == HTTP_M_GET &&
	    (!req->if_range.p || if_range_holds(req->if_range, etag, lastmod)))
		r = parse_range(req->range, size, &off, &len);
	if (r == 416) {
		close(fd);
		http_head_begin(st, ri, 416);
		hbuf_printf(st->out, "Content-Range: bytes */%" PRId64 "\r\n"
		            "Content-Length: 0\r\n\r\n", size);
		http_flush_head(st);
		http_log(st, ri, 416, 0);
		return 416;
	}
	if (r == 1)
		status = 206;
	http_head_begin(st, ri, status);
	fields_at = st->out->len;
	hbuf_printf(st->out, "Content-Type: %s\r\nContent-Length: %" PRId64
	            "\r\nAccept-Ranges: bytes\r\n",
	            mime_lookup(&inst->mime, name, name_len), len);
	if (status == 206)
		hbuf_printf(st->out, "Content-Range: bytes %" PRId64 "-%" PRId64
		            "/%" PRId64 "\r\n", off, off + len - 1, size);
	file_fields(st, etag, lastmod);
	if (status == 200 && size <= FC_MAX_FILE && !st->out->oom)
		filecache_put(&inst->fcache, name, name_len, now, fd, size,
		              st->out->p + fields_at, st->out->len - fields_at);
	hbuf_str(st->out, "\r\n");
	if (ri->head || len == 0) {
		close(fd);
		http_flush_head(st);
	} else {
		send_body(st, fd, off, len);
	}
	http_log(st, ri, status, ri->head ? 0 : (uint64_t)len);
	return status;
}

/* Answer GET/HEAD from a file cache entry (see http.h). */
int http_serve_cached(struct http_conn *st, struct http_reqinfo *ri,
                      const struct fc_entry *e)
{
	http_head_begin(st, ri, 200);
	hbuf_add(st->out, e->data, e->head_len);
	hbuf_add(st->out, "\r\n", 2);
	if (!ri->head)
		hbuf_add(st->out, e->data + e->head_len, e->body_len);
	http_log(st, ri, 200, ri->head ? 0 : e->body_len);
	http_flush_head(st);
	return 200;
}
