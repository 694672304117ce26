/*
 * http.h - shared types of the http module: the service instance, the
 * per-connection state, and the functions each file offers the others.
 *
 * Files: http.c (descriptor, options, connection state machine),
 * parse.c + chunked.c (request parsing), path.c (paths), mime.c (types),
 * response.c (status lines, headers, error pages), static.c (files),
 * listing.c + listing_send.c (directory listings), cgi.c (CGI/1.1),
 * spool.c (request bodies for CGI), accesslog.c (log), buf.c (growable
 * buffers).
 */
#ifndef SUPERD_HTTP_H
#define SUPERD_HTTP_H

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "superd/module.h"
#include "filecache.h"
#include "listing.h"
#include "mime.h"
#include "parse.h"
#include "spool.h"

#ifndef SUPERD_VERSION
#define SUPERD_VERSION "0"
#endif
#define HTTP_SERVER_NAME "superd/" SUPERD_VERSION

/** A growable byte buffer; oom is set (and sticks) when growing failed. */
struct hbuf {
	char *p;
	size_t len, cap;
	int oom;
};

void hbuf_add(struct hbuf *b, const void *p, size_t n);
void hbuf_str(struct hbuf *b, const char *s);
void hbuf_printf(struct hbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Make room for n more bytes; 0 or -1 (oom set). */
int hbuf_reserve(struct hbuf *b, size_t n);
/** Drop the first n bytes. */
void hbuf_consume(struct hbuf *b, size_t n);
void hbuf_free(struct hbuf *b);

/** The access log of one service (see accesslog.c). */
struct accesslog {
	const char *path; /**< NULL: no log */
	int fd;           /**< -1 when closed */
	dev_t dev;        /**< identity of the open file, to notice rotation */
	ino_t ino;
	int vhosts;       /**< lines begin with the host name (hosts: is set) */
	time_t checked;   /**< last second the path was checked */
	time_t tsec;      /**< the second cached in tstamp */
	char tstamp[40];  /**< "[10/Oct/2000:13:55:36 +0000]" */
};

/** One entry of error_pages. */
struct http_error_page {
	int status;
	const char *file;       /**< below the root, without a leading '/' */
};

/**
 * What requests are served from: the service's own root and options, or
 * a virtual host's (see site.c).
 */
struct http_site {
	char *name;             /**< host name or "*.suffix"; NULL: the service's */
	char *root_real;        /**< canonical absolute document root */
	int root_fd;            /**< O_PATH|O_DIRECTORY fd, -1 until opened */
	const char **index;     /**< index file names */
	size_t nindex;
	int listing;            /**< generate listings */
	const char *listing_css; /**< stylesheet URL for listings, or NULL */
	const char **cgi_ext;   /**< CGI suffixes, e.g. ".cgi" */
	size_t ncgi;
	struct http_error_page *errors; /**< error_pages */
	size_t nerrors;
	int precompressed;      /**< serve FILE.br / FILE.gz when accepted */
	struct filecache fcache; /**< small files (each worker its own) */
	struct filecache lcache; /**< generated listings */
	struct filecache dcache; /**< descriptors of larger files */
	struct listing_snaps snaps; /**< directories being listed in pieces */
};

/** A configured http service. */
struct http_instance {
	const struct superd_host *host;
	superd_service *svc;
	struct http_site site;  /**< the service's own root and options */
	struct http_site *hosts; /**< hosts: virtual hosts */
	size_t nhosts;
	int devnull;            /**< /dev/null for CGI stdin, -1 until opened */
	unsigned cgi_timeout_ms;
	unsigned keepalive_ms;  /**< idle time allowed between requests */
	unsigned header_ms;     /**< absolute deadline for a request header */
	unsigned max_keepalive_requests; /**< per connection; 0: unlimited */
	unsigned body_ms;       /**< idle time allowed while a body arrives */
	char *body_dir;         /**< where large CGI bodies are spooled */
	unsigned cgi_max;       /**< CGI programs at once (service); 0: no cap */
	unsigned send_ms;       /**< longest stall of a client reading output */
	struct http_limits limits;
	struct mime_table mime;
	struct accesslog log;
	/*
	 * A response is built and handed to host->write (which copies what it
	 * cannot send at once) within one call, so one buffer per worker does
	 * for every connection: memory does not grow with connections.
	 */
	struct hbuf out;        /**< response being built */
	struct hbuf scratch;    /**< a generated body (listings) */
	time_t date_sec;        /**< the second cached in date */
	char date[40];          /**< IMF-fixdate of date_sec */
};

/**
 * What a response needs to know about its request.  The slices point into
 * the input while the request is answered at once; a CGI job copies them
 * into owned (one allocation) because its answer comes later.
 */
struct http_reqinfo {
	enum http_method method;
	int minor;         /**< 0 or 1 */
	int keep_alive;    /**< the connection may go on after this response */
	int head;          /**< HEAD: no body */
	struct http_slice line;       /**< the request line, for the log */
	struct http_slice referer;
	struct http_slice user_agent;
	struct http_slice vhost;      /**< the host name, when hosts: is set */
	const char *encoding;         /**< "br" or "gzip": a precompressed file */
	char *owned;       /**< NULL, or the copy the slices point into */
};

struct cgi_job;
struct listing_job;

/** Per-connection state (superd_module.conn_size bytes, zeroed). */
struct http_conn {
	struct http_instance *inst;
	superd_conn *c;
	struct hbuf *out;        /**< the worker's response buffer (inst->out) */
	struct hbuf *scratch;    /**< the worker's body buffer (inst->scratch) */
	superd_timer *timer;     /**< the one armed timer, or NULL */
	uint64_t timer_due;      /**< when it fires */
	uint64_t header_due;     /**< deadline of the current header, 0: none */
	uint64_t idle_since;     /**< output drained with no request: when */
	int seen_bytes;          /**< any byte of the current request arrived */
	int closing;             /**< no more requests: close when sent */
	int eof;                 /**< the client half-closed */
	int paused;              /**< we paused reading */
	unsigned requests;       /**< requests served on this connection */
	int noted_status;        /**< status last given to conn_note */
	/* the body of the current request, read before it is answered */
	int body_active;         /**< a body is being read */
	int body_chunked;        /**< it is chunked (else body_left counts) */
	uint64_t body_left;      /**< Content-Length bytes still to come */
	uint64_t body_seen;      /**< when body bytes last arrived */
	struct http_chunked ck;
	char *held;              /**< copy of the request's header block */
	size_t held_len;
	struct http_spool spool; /**< the body kept for a CGI (fd -1: dropped) */
	uint64_t send_since;     /**< output queued and not shrinking since */
	size_t send_pending;     /**< what was queued then */
	struct cgi_job *cgi;     /**< the running CGI, or NULL */
	struct listing_job *listing; /**< a listing sent in pieces, or NULL */
	struct http_site *site;  /**< the current request's site, or NULL */
};

/* --- response.c --- */

/** The reason phrase for a status. */
const char *http_reason(int status);
/** Refresh inst->date for this second; returns it. */
const char *http_date_now(struct http_instance *inst);
/** Format t as IMF-fixdate into out (>= 30 bytes). */
void http_date_format(time_t t, char *out, size_t outsz);
/** Parse IMF-fixdate, RFC 850 or asctime; -1 when invalid. */
time_t http_date_parse(const char *s, size_t n);
/**
 * Start a response in st->out: status line, Date, Server, and the
 * Connection field when needed (from ri->keep_alive and ri->minor).
 */
void http_head_begin(struct http_conn *st, const struct http_reqinfo *ri,
                     int status);
/**
 * Queue a complete error response (small HTML body unless HEAD) and log
 * it.  With close_after (and for 408, 413 and 5xx) ri->keep_alive is
 * cleared and st->closing set; the caller closes.  allow: an Allow value
 * for 405, or NULL.  Returns what the write returned: after -1 outside a
 * module callback the connection may already be gone.
 */
int http_send_error(struct http_conn *st, struct http_reqinfo *ri,
                    int status, int close_after, const char *allow);
/* --- errpage.c --- */

/** What a status means, in one sentence for people. */
const char *http_error_sentence(int status);
/**
 * Send the current site's error_pages file for status, with that status
 * (and Allow when allow is set).  0 when sent, -1 when the site has none
 * or it cannot be read: send the built-in page then.
 */
int http_error_page_send(struct http_conn *st, struct http_reqinfo *ri,
                         int status, const char *allow);

/** Queue st->out (the head, maybe with a small body); 0 or -1. */
int http_flush_head(struct http_conn *st);
/**
 * Cork the connection's TCP socket (on 1: what is written meanwhile
 * leaves in full segments, and the last of it with the FIN if the
 * connection closes corked) or uncork it (0: the rest leaves now).
 * Nothing over TLS.  1 when the socket took the option, else 0.
 */
int http_cork(struct http_conn *st, int on);

/* --- site.c --- */

/** Configure the service's site and its `hosts:`.  0 or -1 (reported). */
int http_sites_configure(struct http_instance *inst, const superd_opt *opts);
/** Open every site's root directory.  0 or -1 (logged). */
int http_sites_open(struct http_instance *inst);
void http_sites_free(struct http_instance *inst);
/** The site that serves req (by its Host or absolute-form target). */
struct http_site *http_site_for(struct http_instance *inst,
                                const struct http_request *req);
/**
 * The host name in a Host value: lower case, without port or final dot,
 * into out; its length, or 0.
 */
size_t http_host_name(struct http_slice v, char *out, size_t outsz);

/* --- http.c (for site.c) --- */

/** A path option made absolute against the configuration's directory. */
char *http_config_path(const struct superd_host *h, superd_service *svc,
                       const char *p);

/* --- route.c --- */

/** http_route results. */
#define HTTP_ROUTE_DONE 0 /**< answered */
#define HTTP_ROUTE_CGI 1  /**< a CGI job runs (st->cgi) */

/**
 * Whether the request may run a CGI program, from its path alone (a
 * segment or an index name with a CGI suffix): its body is then kept.
 */
int http_route_may_cgi(struct http_instance *inst,
                       const struct http_request *req);

/** Map a parsed request to a file, directory or CGI and answer it. */
int http_route(struct http_conn *st, const struct http_request *req,
               struct http_reqinfo *ri);

/* --- static.c --- */

/**
 * Serve the regular file fd (taking it) for the request: conditional
 * requests, ranges, GET/HEAD/OPTIONS, 405 otherwise.  name is the decoded
 * path (for the type).  Returns the status sent.
 */
int http_serve_file(struct http_conn *st, const struct http_request *req,
                    struct http_reqinfo *ri, int fd, const struct stat *sb,
                    const char *name, size_t name_len);

/**
 * Answer GET/HEAD from a file cache entry (see filecache.c): 200, or -1
 * when nothing was sent (no descriptor left to send a kept file with).
 */
int http_serve_cached(struct http_conn *st, struct http_reqinfo *ri,
                      const struct fc_entry *e);

/* --- precomp.c --- */

/**
 * With the site's `precompressed`, swap the regular file fd (stat sb,
 * decoded path of length n, with room for a suffix) for PATH.br or
 * PATH.gz when Accept-Encoding allows it and it is not older: sb is
 * then the variant's and ri->encoding its coding.  Returns the fd to
 * serve (the old one is closed when swapped).
 */
int http_precompressed(struct http_conn *st, const struct http_request *req,
                       struct http_reqinfo *ri, int fd, struct stat *sb,
                       char *path, size_t n);

/* --- listing_send.c (listing.h: building the page) --- */

/**
 * Answer GET/HEAD with a listing of dirfd (not taken), shown as path
 * (decoded, ends in '/'), ordered as the query asks; css: a stylesheet
 * URL or NULL.  A large listing continues from on_drain (st->listing is
 * set).  0, or -1 (errno set) when nothing was sent.
 */
int http_send_listing(struct http_conn *st, const struct http_request *req,
                      struct http_reqinfo *ri, int dirfd, const char *path,
                      size_t n, const char *css);
/** Output drained: queue the next piece of st->listing. */
void listing_on_drain(struct http_conn *st);
/** The connection is going away: free st->listing. */
void listing_detach(struct http_conn *st);

/* --- cgi.c --- */

/** The CGI request as http.c resolved it. */
struct cgi_request {
	const struct http_request *req;
	struct http_reqinfo *ri;      /**< taken over by the job */
	const char *script_name;      /**< decoded URL path of the script */
	size_t script_name_len;
	const char *path_info;        /**< decoded rest, "" when none */
	const char *script_rel;       /**< path below the root */
	const char *root;             /**< the site's document root */
};

/**
 * Start the CGI for the request (its body, if any, complete in
 * st->spool, which the job takes); the job owns ri afterwards.  Returns 0
 * when the job runs (st->cgi is set), or the error status to send.
 */
int cgi_start(struct http_conn *st, const struct cgi_request *cr);
/** The connection drained: resume reading the script's output. */
void cgi_on_drain(struct http_conn *st);
/** The connection is going away: kill the script, detach the job. */
void cgi_detach(struct http_conn *st);

/* --- http.c (for cgi.c) --- */

/** Output is queued: the client must take it within send_timeout. */
void http_send_watch(struct http_conn *st);
/** The current response ended; go on with held input or idle. */
void http_response_done(struct http_conn *st);
/** One request answered: the access log line and the connection note. */
void http_log(struct http_conn *st, const struct http_reqinfo *ri,
              int status, uint64_t bytes);
/** Copy ri's slices into one allocation it owns.  0 or -1. */
int http_reqinfo_own(struct http_reqinfo *ri);
/** Free what a reqinfo owns. */
void http_reqinfo_free(struct http_reqinfo *ri);

/* --- accesslog.c --- */

/** Open the log (from start, in the master).  0 or -1. */
int accesslog_open(struct accesslog *log, const struct superd_host *host,
                   superd_service *svc);
/** Append one Combined Log Format line. */
void accesslog_write(struct accesslog *log, const struct superd_peer *peer,
                     const struct http_reqinfo *ri, int status,
                     uint64_t bytes);
/** Reopen the log at once (SIGUSR1, after logrotate); errors are logged. */
void accesslog_reopen(struct accesslog *log, const struct superd_host *host,
                      superd_service *svc);
void accesslog_close(struct accesslog *log);

#endif
