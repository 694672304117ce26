/*
 * range.h - the request fields that choose a file response's form, as
 * pure functions: conditional requests (If-None-Match, If-Modified-Since,
 * If-Range; RFC 9110 §13) and byte ranges (Range; RFC 9110 §14).
 */
#ifndef SUPERD_HTTP_RANGE_H
#define SUPERD_HTTP_RANGE_H

#include <stdint.h>
#include <time.h>

#include "parse.h"

/** Most ranges served as one multipart/byteranges response (more: 200). */
#define HTTP_RANGES_MAX 16

/** One satisfiable byte range: [off, off + len). */
struct http_range {
	int64_t off;
	int64_t len;
};

/** Weak comparison of etag with an If-None-Match list (`*` matches). */
int http_etag_matches(struct http_slice list, const char *etag);

/**
 * The conditional GET/HEAD rules of RFC 9110 §13.2.2 for a representation
 * with this etag and modification time: 1 means 304 Not Modified.
 */
int http_not_modified(const struct http_request *req, const char *etag,
                      time_t mtime);

/** If-Range holds: a strong etag match or the exact Last-Modified date. */
int http_if_range_holds(struct http_slice v, const char *etag, time_t mtime);

/**
 * Parse a Range value against a representation of size bytes into at most
 * HTTP_RANGES_MAX ranges, sorted and with overlapping or adjacent ones
 * merged (as lighttpd and Apache do; so a response is never larger than
 * the file plus the part headers).  Returns the number of ranges (>= 1),
 * 416 when none is satisfiable, or 0 to ignore the field and send the
 * whole file: another unit, a syntax error (RFC 9110 §14.2), or more than
 * HTTP_RANGES_MAX ranges asked for.
 */
int http_range_parse(struct http_slice v, int64_t size, struct http_range *out);

#endif
