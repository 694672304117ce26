/*
 * static.c - regular files: GET and HEAD with validators, conditional
 * requests (If-None-Match, If-Modified-Since -> 304), ranges (206, one
 * range or several as multipart/byteranges; 416; If-Range; see range.c)
 * and OPTIONS.  Bodies go out with host->sendfile,
 * the socket corked meanwhile (TCP_CORK, as lighttpd and nginx do) so that
 * the head does not travel alone; small ones are read into the head's
 * write instead, which saves the kernel a second send for the most common
 * case.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "range.h"

/* Files up to this size travel in the same write as their head. */
#define INLINE_MAX (16 * 1024)

#define ALLOW_STATIC "GET, HEAD, OPTIONS"

/* The entity tag: "hex(mtime)-hex(size)", plus "-coding" for a variant. */
static int make_etag(const struct stat *sb, const char *coding, char *out,
                     size_t outsz)
{
	return snprintf(out, outsz, "\"%llx-%llx%s%s\"",
	                (unsigned long long)sb->st_mtime,
	                (unsigned long long)sb->st_size, coding ? "-" : "",
	                coding ? coding : "");
}

/* Common header fields of a file response. */
static void file_fields(struct http_conn *st, const char *etag,
                        time_t lastmod)
{
	char date[40];

	http_date_format(lastmod, date, sizeof(date));
	hbuf_printf(st->out, "Last-Modified: %s\r\nETag: %s\r\n", date, etag);
	if (st->site && st->site->precompressed)
		hbuf_str(st->out, "Vary: Accept-Encoding\r\n");
}

/* Queue a body of len bytes at off from fd (taken) after the head. */
static int send_body(struct http_conn *st, int fd, int64_t off, int64_t len)
{
	const struct superd_host *host = st->inst->host;
	int corked, rc;

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
	corked = http_cork(st, 1);
	if (http_flush_head(st) < 0) {
		close(fd);
		rc = -1;
	} else {
		rc = host->sendfile(st->c, fd, (off_t)off, (size_t)len);
	}
	if (corked)
		http_cork(st, 0);
	return rc;
}

/* The head of one part of a multipart/byteranges body. */
static void part_head(struct hbuf *b, const char *boundary, const char *type,
                      const struct http_range *r, int64_t size)
{
	hbuf_printf(b, "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %"
	            PRId64 "-%" PRId64 "/%" PRId64 "\r\n\r\n", boundary, type,
	            r->off, r->off + r->len - 1, size);
}

/*
 * Several ranges: 206 with a multipart/byteranges body (RFC 9110 §14.6),
 * each part's head written and its bytes queued with sendfile (a
 * duplicate of fd each).  Content-Length is exact.  Takes fd.
 */
static int serve_multipart(struct http_conn *st, struct http_reqinfo *ri,
                           int fd, const struct stat *sb, const char *etag,
                           time_t lastmod, const struct http_range *r, int n,
                           const char *type)
{
	const struct superd_host *host = st->inst->host;
	char boundary[40];
	uint64_t total = 0;
	int i, ok = 1;

	snprintf(boundary, sizeof(boundary), "superd-%llx-%llx",
	         (unsigned long long)sb->st_ino ^ (unsigned long long)host->now_ms(),
	         (unsigned long long)sb->st_mtime);
	/* the body's length: part heads, data, and the closing line */
	st->out->len = 0;
	for (i = 0; i < n; i++) {
		part_head(st->out, boundary, type, &r[i], sb->st_size);
		total += (uint64_t)r[i].len;
	}
	total += st->out->len + strlen(boundary) + 8; /* CRLF "--" B "--" CRLF */
	http_head_begin(st, ri, 206);
	hbuf_printf(st->out, "Content-Type: multipart/byteranges; boundary=%s\r\n"
	            "Content-Length: %" PRIu64 "\r\nAccept-Ranges: bytes\r\n",
	            boundary, total);
	file_fields(st, etag, lastmod);
	hbuf_str(st->out, "\r\n");
	for (i = 0; i < n && ok && !ri->head; i++) {
		int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		part_head(st->out, boundary, type, &r[i], sb->st_size);
		if (dup < 0) {
			ok = 0;
		} else if (http_flush_head(st) < 0) {
			close(dup);
			ok = 0;
		} else if (host->sendfile(st->c, dup, (off_t)r[i].off,
		                          (size_t)r[i].len) < 0) {
			ok = 0; /* the host closed dup */
		}
		st->out->len = 0;
	}
	close(fd);
	if (!ri->head && ok)
		hbuf_printf(st->out, "\r\n--%s--\r\n", boundary);
	if (ok) /* else the connection is failing: nothing more */
		http_flush_head(st);
	http_log(st, ri, 206, ri->head ? 0 : total);
	return 206;
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
	struct http_range ranges[HTTP_RANGES_MAX];
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
	make_etag(sb, ri->encoding, etag, sizeof(etag));
	if (http_not_modified(req, etag, lastmod)) {
		close(fd);
		http_head_begin(st, ri, 304);
		file_fields(st, etag, lastmod);
		hbuf_str(st->out, "\r\n");
		http_flush_head(st);
		http_log(st, ri, 304, 0);
		return 304;
	}
	if (req->range.p && req->method == HTTP_M_GET &&
	    (!req->if_range.p || http_if_range_holds(req->if_range, etag, lastmod)))
		r = http_range_parse(req->range, size, ranges);
	if (r == 416) {
		close(fd);
		http_head_begin(st, ri, 416);
		hbuf_printf(st->out, "Content-Range: bytes */%" PRId64 "\r\n"
		            "Content-Length: 0\r\n\r\n", size);
		http_flush_head(st);
		http_log(st, ri, 416, 0);
		return 416;
	}
	if (r > 1)
		return serve_multipart(st, ri, fd, sb, etag, lastmod, ranges, r,
		                       mime_lookup(&inst->mime, name, name_len));
	if (r == 1) {
		status = 206;
		off = ranges[0].off;
		len = ranges[0].len;
	}
	http_head_begin(st, ri, status);
	fields_at = st->out->len;
	hbuf_printf(st->out, "Content-Type: %s\r\nContent-Length: %" PRId64
	            "\r\nAccept-Ranges: bytes\r\n",
	            mime_lookup(&inst->mime, name, name_len), len);
	if (ri->encoding)
		hbuf_printf(st->out, "Content-Encoding: %s\r\n", ri->encoding);
	if (status == 206)
		hbuf_printf(st->out, "Content-Range: bytes %" PRId64 "-%" PRId64
		            "/%" PRId64 "\r\n", off, off + len - 1, size);
	file_fields(st, etag, lastmod);
	if (status == 200 && !st->out->oom && !ri->encoding) {
		if (size <= FC_MAX_FILE)
			filecache_put(&st->site->fcache, name, name_len, now, fd,
			              size, st->out->p + fields_at,
			              st->out->len - fields_at);
		else
			filecache_put_fd(&st->site->dcache, name, name_len, now, fd,
			                 size, st->out->p + fields_at,
			                 st->out->len - fields_at);
	}
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
	int fd = -1;

	/* a kept file: a descriptor of its own for the connection's queue */
	if (e->fd >= 0 && !ri->head &&
	    (fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -1;
	http_head_begin(st, ri, 200);
	hbuf_add(st->out, e->data, e->head_len);
	hbuf_add(st->out, "\r\n", 2);
	if (fd >= 0)
		send_body(st, fd, 0, (int64_t)e->body_len);
	else if (e->fd < 0 && !ri->head)
		hbuf_add(st->out, e->data + e->head_len, e->body_len);
	if (fd < 0)
		http_flush_head(st);
	http_log(st, ri, 200, ri->head ? 0 : e->body_len);
	return 200;
}
