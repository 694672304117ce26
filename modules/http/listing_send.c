/*
 * listing_send.c - answer a request with a directory listing.
 *
 * A listing that fits in LISTING_WHOLE bytes goes out in one response
 * with Content-Length (and, in the default order, into the listing
 * cache).  A larger one is sent in pieces of LISTING_PIECE bytes, each
 * produced only when the previous one has left (on_drain): chunked on
 * HTTP/1.1, delimited by the close on HTTP/1.0.  So a huge directory
 * costs a connection its sorted entries plus one piece, other
 * connections are served between pieces, and everything is freed (and
 * given back to the system) when the page ends.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

/* A page up to this size is built at once and sent with a length. */
#define LISTING_WHOLE (256u * 1024u)
/* Larger pages: this much per piece. */
#define LISTING_PIECE (64u * 1024u)
/* Room for a chunk-size line: 8 hex digits (leading zeros), CRLF. */
#define CHUNK_LINE 10
/* After a listing of this many entries, give free memory back. */
#define TRIM_ENTRIES 4096u

/* A listing being sent in pieces. */
struct listing_job {
	struct http_listing *l;
	struct http_reqinfo ri;  /**< owned copy, for the log */
	int chunked;             /**< HTTP/1.1: chunked; 1.0: until close */
	uint64_t sent;           /**< body bytes (without chunk framing) */
};

/* Write a chunk-size line for n bytes into p (CHUNK_LINE bytes). */
static void chunk_line(char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 7; i >= 0; i--, n >>= 4)
		p[i] = hex[n & 15];
	p[8] = '\r';
	p[9] = '\n';
}

/* The listing ended (or failed): log, free, give memory back. */
static void job_finish(struct http_conn *st, int status)
{
	struct listing_job *job = st->listing;
	int trim = http_listing_count(job->l) >= TRIM_ENTRIES;

	st->listing = NULL;
	http_log(st, &job->ri, status, job->sent);
	http_listing_free(job->l);
	http_reqinfo_free(&job->ri);
	free(job);
	if (st->out->cap > LISTING_WHOLE)
		hbuf_free(st->out);
	if (trim)
		malloc_trim(0);
}

/* Produce and queue the next piece (see http.h). */
void listing_on_drain(struct http_conn *st)
{
	struct listing_job *job = st->listing;
	struct hbuf *b = st->out;
	size_t start, piece;
	int rc;

	b->len = 0;
	b->oom = 0;
	if (job->chunked)
		hbuf_add(b, "00000000\r\n", CHUNK_LINE);
	start = b->len;
	rc = http_listing_next(job->l, b, LISTING_PIECE);
	if (rc < 0)
		goto fail;
	piece = b->len - start;
	job->sent += piece;
	if (job->chunked) {
		chunk_line(b->p, piece);
		hbuf_add(b, "\r\n", 2);
		if (rc == 1 && piece) /* an empty piece was the last chunk */
			hbuf_add(b, "0\r\n\r\n", 5);
		if (b->oom)
			goto fail;
	}
	if (http_flush_head(st) < 0)
		goto fail;
	if (rc == 1) {
		job_finish(st, 200);
		http_response_done(st);
	}
	return;
fail:
	/* the length is already promised: all we can do is cut it short */
	st->closing = 1;
	job_finish(st, 200);
	st->inst->host->abort(st->c);
}

/* The connection is going away mid-listing (see http.h). */
void listing_detach(struct http_conn *st)
{
	job_finish(st, 200);
}

/* The head of a streamed listing: chunked on 1.1, else close-delimited. */
static void streamed_head(struct http_conn *st, struct http_reqinfo *ri)
{
	if (ri->minor == 0) { /* HTTP/1.0: the close ends the body */
		ri->keep_alive = 0;
		st->closing = 1;
	}
	http_head_begin(st, ri, 200);
	hbuf_str(st->out, "Content-Type: text/html; charset=utf-8\r\n"
	         "Cache-Control: no-cache\r\n");
	if (ri->minor == 1)
		hbuf_str(st->out, "Transfer-Encoding: chunked\r\n");
	hbuf_str(st->out, "\r\n");
}

/* Send the first piece (body) and leave the rest to on_drain. */
static int send_streamed(struct http_conn *st, struct http_reqinfo *ri,
                         struct http_listing *l, struct hbuf *body)
{
	struct listing_job *job;
	char line[CHUNK_LINE];

	streamed_head(st, ri);
	if (ri->head) { /* the head is all HEAD gets */
		http_listing_free(l);
		http_log(st, ri, 200, 0);
		return http_flush_head(st);
	}
	job = calloc(1, sizeof(*job));
	if (!job || (job->ri = *ri, http_reqinfo_own(&job->ri)) < 0) {
		free(job);
		http_listing_free(l);
		errno = ENOMEM;
		return -1;
	}
	job->l = l;
	job->chunked = ri->minor == 1;
	job->sent = body->len;
	st->listing = job;
	if (job->chunked) {
		chunk_line(line, body->len);
		hbuf_add(st->out, line, CHUNK_LINE);
	}
	if (http_flush_head(st) < 0 ||
	    st->inst->host->write(st->c, body->p, body->len) < 0 ||
	    (job->chunked && st->inst->host->write(st->c, "\r\n", 2) < 0))
		return 0; /* the connection is failing: on_close frees the job */
	return 0;
}

/* One response with the whole page in body (see LISTING_WHOLE). */
static void send_whole(struct http_conn *st, const struct http_request *req,
                       struct http_reqinfo *ri, const char *path, size_t n,
                       struct hbuf *body)
{
	size_t fields_at;

	http_head_begin(st, ri, 200);
	fields_at = st->out->len;
	hbuf_printf(st->out, "Content-Type: text/html; charset=utf-8\r\n"
	            "Content-Length: %zu\r\nCache-Control: no-cache\r\n",
	            body->len);
	if (!st->out->oom && !req->has_query)
		filecache_put_mem(&st->site->lcache, path, n, time(NULL),
		                  st->out->p + fields_at, st->out->len - fields_at,
		                  body->p, body->len);
	hbuf_add(st->out, "\r\n", 2);
	if (!ri->head)
		hbuf_add(st->out, body->p, body->len);
	http_log(st, ri, 200, ri->head ? 0 : body->len);
	http_flush_head(st);
	if (st->out->cap > LISTING_WHOLE) /* keep a worker's buffers modest */
		hbuf_free(st->out);
}

/* Answer GET/HEAD with a listing of dirfd (see http.h). */
int http_send_listing(struct http_conn *st, const struct http_request *req,
                      struct http_reqinfo *ri, int dirfd, const char *path,
                      size_t n, const char *css)
{
	struct hbuf *body = st->scratch;
	struct listing_order order;
	struct http_listing *l;
	int rc;

	http_listing_parse_order(req->has_query ? req->query.p : "",
	                         req->has_query ? req->query.n : 0, &order);
	l = http_listing_open(&st->site->snaps, dirfd, path, n, &order,
	                      &st->inst->mime, css);
	if (!l)
		return -1;
	body->len = 0;
	body->oom = 0;
	rc = http_listing_next(l, body, LISTING_WHOLE);
	if (rc == 0) {
		rc = send_streamed(st, ri, l, body);
	} else {
		http_listing_free(l);
		if (rc == 1)
			send_whole(st, req, ri, path, n, body);
	}
	if (body->cap > LISTING_WHOLE + LISTING_PIECE)
		hbuf_free(body);
	return rc < 0 ? -1 : HTTP_ROUTE_DONE;
}
