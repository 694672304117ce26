/*
 * parse.h - the HTTP/1.x request parser (pure, bounded, in place).
 *
 * http_parse_request() reads one request header block from a buffer and
 * fills struct http_request with slices pointing into that buffer; nothing
 * is copied or allocated.  It is strict (RFC 9112): CRLF line endings only,
 * no obs-fold, no whitespace before a field's colon, no control characters
 * in values, one Host on HTTP/1.1, a valid Content-Length, and never both
 * Content-Length and Transfer-Encoding.  Every failure is an HTTP status.
 *
 * struct http_chunked is the de-chunker for request bodies: a small state
 * machine fed with whatever bytes arrived, overflow-safe.
 */
#ifndef SUPERD_HTTP_PARSE_H
#define SUPERD_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/** Methods we know; anything else is HTTP_M_UNKNOWN (501). */
enum http_method {
	HTTP_M_UNKNOWN = 0,
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_DELETE,
	HTTP_M_OPTIONS,
	HTTP_M_PATCH,
	HTTP_M_TRACE,
	HTTP_M_CONNECT,
};

/** A piece of the input buffer (not NUL-terminated). */
struct http_slice {
	const char *p;
	size_t n;
};

/** One header field: name and value with surrounding whitespace trimmed. */
struct http_field {
	struct http_slice name;
	struct http_slice value;
};

/** Most header fields accepted in one request (more: 431). */
#define HTTP_MAX_FIELDS 100

/** Limits the parser enforces; see http_limits_default(). */
struct http_limits {
	size_t max_line;   /**< request line, without CRLF (over: 414) */
	size_t max_header; /**< whole header block incl. request line (431) */
	uint64_t max_body; /**< Content-Length above this: 413 */
};

/** A parsed request; every slice points into the parsed buffer. */
struct http_request {
	enum http_method method;
	struct http_slice method_name; /**< as sent (known or not) */
	struct http_slice target;      /**< the request-target as sent */
	struct http_slice path;        /**< its path, still %-encoded */
	struct http_slice query;       /**< after '?', without it */
	int has_query;                 /**< a '?' was present */
	int asterisk;                  /**< target was "*" (OPTIONS) */
	int minor;                     /**< HTTP/1.minor: 0 or 1 */
	struct http_slice host;        /**< authority or Host (may be empty) */
	int keep_alive;                /**< persistent after this request */
	int expect_continue;           /**< Expect: 100-continue (1.1) */
	int chunked;                   /**< Transfer-Encoding: chunked */
	int has_length;                /**< Content-Length present */
	uint64_t length;               /**< its value */
	struct http_slice content_type;
	struct http_slice if_none_match;
	struct http_slice if_modified_since;
	int ims_count;                 /**< If-Modified-Since fields seen */
	struct http_slice range;
	struct http_slice if_range;
	struct http_slice referer;
	struct http_slice user_agent;
	struct http_field fields[HTTP_MAX_FIELDS];
	unsigned nfields;
	size_t header_len;             /**< bytes of the header block */
};

/** Results of http_parse_request beyond a status code. */
#define HTTP_PARSE_INCOMPLETE 0 /**< need more bytes */
#define HTTP_PARSE_OK 1         /**< a whole header block was parsed */

/** Sensible limits: 8 KiB line, 16 KiB header, 1 GiB body. */
void http_limits_default(struct http_limits *lim);

/**
 * Parse one request from buf[0..len).  Returns HTTP_PARSE_INCOMPLETE,
 * HTTP_PARSE_OK (req filled; req->header_len bytes form the header), or
 * an error status (400, 413, 414, 431, 501, 505) after which the
 * connection must be closed.  Leading empty lines are skipped.
 */
int http_parse_request(const char *buf, size_t len,
                       const struct http_limits *lim,
                       struct http_request *req);

/** Case-insensitive comparison of a slice with a C string. */
int http_slice_eq(struct http_slice s, const char *lit);

/** The first field named name (case-insensitive), or NULL. */
const struct http_field *http_field_get(const struct http_request *req,
                                        const char *name);

/** State of the chunked-body decoder. */
struct http_chunked {
	int state;          /**< internal */
	uint64_t remaining; /**< bytes left in the current chunk */
	uint64_t total;     /**< decoded bytes so far */
	uint64_t max_total; /**< over this: 413 */
	unsigned digits;    /**< hex digits read for this size */
	unsigned line;      /**< bytes of the current ext/trailer line */
};

/** Start decoding a body of at most max_total decoded bytes. */
void http_chunked_init(struct http_chunked *ck, uint64_t max_total);

/**
 * Decode in place: reads in[0..len), moves decoded bytes to the front of
 * out (out may equal in), sets *outlen and *used (input bytes consumed).
 * Returns 0 when more input is needed, 1 when the body (and its trailer)
 * ended, or 400/413 on bad framing.
 */
int http_chunked_decode(struct http_chunked *ck, const char *in, size_t len,
                        char *out, size_t *outlen, size_t *used);

#endif
