/*
 * cgi.h - internals shared by cgi.c (the job: spawn, pipes, timeouts),
 * cgi_env.c (the environment) and cgi_head.c (the script's header).
 */
#ifndef SUPERD_HTTP_CGI_H
#define SUPERD_HTTP_CGI_H

#include "http.h"

/**
 * Build the CGI/1.1 meta-variables for the request into env as
 * consecutive NUL-terminated "NAME=value" strings.  CONTENT_LENGTH is
 * left out (added at spawn time, when a chunked body has been counted).
 */
void cgi_env_build(struct hbuf *env, const struct http_instance *inst,
                   const struct superd_peer *peer, const struct cgi_request *cr);
/** REQUEST_SCHEME; over TLS (t not NULL) HTTPS=on and the SSL_* variables. */
void cgi_env_tls(struct hbuf *env, const struct superd_tls *t);

/** Output framing towards the client. */
enum cgi_out_mode {
	CGI_OUT_LENGTH,  /**< the script gave Content-Length */
	CGI_OUT_CHUNKED, /**< HTTP/1.1 keep-alive: chunked */
	CGI_OUT_CLOSE,   /**< delimited by closing the connection */
	CGI_OUT_NONE,    /**< HEAD, 204, 304: no body at all */
	CGI_OUT_NPH,     /**< the script wrote the whole response itself */
};

/** The script's header section, interpreted. */
struct cgi_head {
	int status;              /**< from Status:, or 302 / 200 */
	enum cgi_out_mode mode;
	uint64_t length;         /**< Content-Length, when mode is LENGTH */
	size_t header_len;       /**< bytes of output that were the header */
};

/**
 * Look for the end of the script's header in out[0..len) (LF or CRLF
 * lines).  Returns 1 and fills *head after appending the response head to
 * st->out (ri->keep_alive may be cleared), 0 when more output is needed,
 * or -1 for a malformed header (the caller answers 500).
 */
int cgi_head_parse(struct http_conn *st, struct http_reqinfo *ri,
                   const char *out, size_t len, struct cgi_head *head);

#endif
