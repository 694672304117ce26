/*
 * http.c - the http module: descriptor, options, and the connection
 * state machine (requests in order, keep-alive, pipelining, deadlines).
 *
 * Input stays with the host until a request is complete (on_data returns
 * 0 for a partial header), so nothing is copied for the common case.
 * While a response cannot be followed by the next one yet (a CGI runs,
 * or much output is queued), reading is paused and the host keeps the
 * following requests; resuming makes the host hand them again.
 *
 * Deadlines share one timer per connection: a request header must be
 * complete within header_timeout of its first byte (else 408 and close),
 * and a connection idle between requests is closed silently after
 * keepalive_timeout.  The service's `timeout` still applies (host).
 *
 * A request with a body is answered once the whole body has been read
 * (its framing checked, so a bad chunk is a 400 whether or not the body
 * matters): the header block is copied aside, the body is dropped or, when
 * the path may name a CGI program, spooled (spool.c), and the request is
 * parsed again from the copy and answered.  While a body arrives,
 * body_timeout bounds the idle time between its bytes, with or without
 * the service's `timeout`.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "path.h"

/* Stop answering pipelined requests while this much output is queued. */
#define PIPELINE_HIGH (128u * 1024u)
/* Longest decoded path we handle (longer: 414). */
#define PATH_BUF 8192

static const char *const option_keys[] = {
	"root", "index", "listing", "cgi", "cgi_timeout", "access_log",
	"keepalive_timeout", "max_request_size", "header_timeout",
	"max_keepalive_requests", "mime_types", "cache", "body_timeout",
	"body_temp_dir", "cgi_max", "send_timeout", "listing_css", "hosts",
	"error_pages", "precompressed", NULL,
};

/* --- options --- */

/* A size with an optional K, M or G suffix (binary). */
static int opt_size(const struct superd_host *h, superd_service *svc,
                    const superd_opt *o, uint64_t *out)
{
	const char *s;
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!o)
		return 0;
	if (h->opt_string(svc, o, &s) < 0)
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		shift = 10, end++;
	else if (*end == 'm' || *end == 'M')
		shift = 20, end++;
	else if (*end == 'g' || *end == 'G')
		shift = 30, end++;
	if (errno || end == s || *end || s[0] < '0' || s[0] > '9' ||
	    v > (UINT64_MAX >> 30)) {
		h->opt_error(svc, o, "max_request_size: expected a size such as "
		             "1048576, 512K, 10M or 1G");
		return -1;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

/* A path option made absolute (see http.h). */
char *http_config_path(const struct superd_host *h, superd_service *svc,
                       const char *p)
{
	char *out;

	if (p[0] == '/')
		return strdup(p);
	if (asprintf(&out, "%s/%s", h->config_dir(svc), p) < 0)
		return NULL;
	return out;
}

/* Numbers, with their ranges and defaults. */
static int configure_numbers(struct http_instance *inst, const superd_opt *opts)
{
	const struct superd_host *h = inst->host;
	unsigned long long cgi_t = 30, ka = 5, hdr = 10, maxreq = 0, bodyt = 60;
	unsigned long long cgi_max = 64, sendt = 60;
	uint64_t body = 1024ull * 1024;

	if (h->opt_uint(inst->svc, h->opt_get(opts, "cgi_timeout"), 1, 86400, &cgi_t) < 0 ||
	    h->opt_uint(inst->svc, h->opt_get(opts, "keepalive_timeout"), 0, 3600, &ka) < 0 ||
	    h->opt_uint(inst->svc, h->opt_get(opts, "header_timeout"), 1, 3600, &hdr) < 0 ||
	    h->opt_uint(inst->svc, h->opt_get(opts, "max_keepalive_requests"), 0,
	                UINT_MAX, &maxreq) < 0 ||
	    h->opt_uint(inst->svc, h->opt_get(opts, "body_timeout"), 1, 3600, &bodyt) < 0 ||
	    h->opt_uint(inst->svc, h->opt_get(opts, "cgi_max"), 0, 100000, &cgi_max) < 0 ||
	    h->opt_uint(inst->svc, h->opt_get(opts, "send_timeout"), 1, 3600, &sendt) < 0 ||
	    opt_size(h, inst->svc, h->opt_get(opts, "max_request_size"), &body) < 0)
		return -1;
	inst->cgi_timeout_ms = (unsigned)cgi_t * 1000;
	inst->keepalive_ms = (unsigned)ka * 1000;
	inst->header_ms = (unsigned)hdr * 1000;
	inst->max_keepalive_requests = (unsigned)maxreq;
	inst->body_ms = (unsigned)bodyt * 1000;
	inst->cgi_max = (unsigned)cgi_max;
	inst->send_ms = (unsigned)sendt * 1000;
	http_limits_default(&inst->limits);
	inst->limits.max_body = body;
	return 0;
}

/* body_temp_dir: an existing directory (default /tmp). */
static int configure_body_dir(struct http_instance *inst, const superd_opt *opts)
{
	const struct superd_host *h = inst->host;
	const superd_opt *o = h->opt_get(opts, "body_temp_dir");
	const char *s = "/tmp";
	struct stat sb;

	if (o && h->opt_string(inst->svc, o, &s) < 0)
		return -1;
	inst->body_dir = http_config_path(h, inst->svc, s);
	if (!inst->body_dir)
		return -1;
	errno = 0;
	if (o && (stat(inst->body_dir, &sb) < 0 || !S_ISDIR(sb.st_mode))) {
		h->opt_error(inst->svc, o, "body_temp_dir: %s: %s", inst->body_dir,
		             errno ? strerror(errno) : "not a directory");
		return -1;
	}
	/* large bodies are spooled there, also in a sandboxed worker */
	if (h->sandbox_path(inst->svc, inst->body_dir, SUPERD_SANDBOX_WRITE) < 0) {
		h->opt_error(inst->svc, o, "out of memory");
		return -1;
	}
	return 0;
}

/* The access log is written by the workers, and reopened in its
 * directory after rotation: both declared to the sandbox. */
static int declare_log(struct http_instance *inst, const superd_opt *at)
{
	const struct superd_host *h = inst->host;
	char *dir = strdup(inst->log.path), *slash = dir ? strrchr(dir, '/') : NULL;
	int rc = -1;

	if (slash) {
		*slash = '\0';
		rc = h->sandbox_path(inst->svc, inst->log.path, SUPERD_SANDBOX_WRITE) < 0 ||
		     h->sandbox_path(inst->svc, dir[0] ? dir : "/", SUPERD_SANDBOX_WRITE) < 0
		     ? -1 : 0;
	}
	free(dir);
	if (rc < 0)
		h->opt_error(inst->svc, at, "out of memory");
	return rc;
}

/* The access log, body spooling and the type table. */
static int configure_rest(struct http_instance *inst, const superd_opt *opts)
{
	const struct superd_host *h = inst->host;
	const superd_opt *o;
	const char *s, *mime = "/etc/mime.types";

	o = h->opt_get(opts, "access_log");
	if (o) {
		if (h->opt_string(inst->svc, o, &s) < 0)
			return -1;
		if (strcmp(s, "none") && !(inst->log.path = http_config_path(h, inst->svc, s)))
			return -1;
		if (inst->log.path && declare_log(inst, o) < 0)
			return -1;
	}
	if (configure_body_dir(inst, opts) < 0)
		return -1;
	o = h->opt_get(opts, "mime_types");
	if (o && h->opt_string(inst->svc, o, &mime) < 0)
		return -1;
	return mime_table_init(&inst->mime, mime);
}

static void http_destroy(void *instance);

/* Tell the host this service runs CGI programs, if any site has a suffix
 * (superd -t warns when they would run as root). */
static void note_cgi(struct http_instance *inst, const superd_opt *options)
{
	const superd_opt *at = inst->host->opt_get(options, "cgi");
	size_t n = inst->site.ncgi;

	for (size_t i = 0; i < inst->nhosts; i++)
		n += inst->hosts[i].ncgi;
	if (n && inst->host->abi_minor >= 2)
		inst->host->service_spawns(inst->svc, at ? at : options, "CGI programs");
}

/* Validate options and build the instance (pure: opens nothing to write). */
static int http_configure(const struct superd_host *host, superd_service *svc,
                          const superd_opt *options, void **instance)
{
	struct http_instance *inst = calloc(1, sizeof(*inst));

	if (!inst)
		return -1;
	inst->host = host;
	inst->svc = svc;
	inst->site.root_fd = -1;
	inst->devnull = -1;
	inst->log.fd = -1;
	if (!options) {
		host->opt_error(svc, NULL, "http: option 'root' is required");
		goto fail;
	}
	if (host->opt_check_keys(svc, options, option_keys) < 0 ||
	    http_sites_configure(inst, options) < 0 ||
	    configure_numbers(inst, options) < 0 ||
	    configure_rest(inst, options) < 0)
		goto fail;
	inst->log.vhosts = inst->nhosts > 0;
	note_cgi(inst, options);
	*instance = inst;
	return 0;
fail:
	http_destroy(inst);
	return -1;
}

/* In the master, before privileges are dropped: root and log. */
static int http_start(void *instance)
{
	struct http_instance *inst = instance;

	if (http_sites_open(inst) < 0)
		return -1;
	return accesslog_open(&inst->log, inst->host, inst->svc);
}

/* SIGUSR1 in a worker: reopen the access log (logrotate's postrotate). */
static void http_reopen(void *instance)
{
	struct http_instance *inst = instance;

	if (inst)
		accesslog_reopen(&inst->log, inst->host, inst->svc);
}

/* Free the instance: its fds, tables, caches and buffers. */
static void http_destroy(void *instance)
{
	struct http_instance *inst = instance;

	if (!inst)
		return;
	http_sites_free(inst);
	if (inst->devnull >= 0)
		close(inst->devnull);
	accesslog_close(&inst->log);
	free((char *)inst->log.path);
	mime_table_free(&inst->mime);
	hbuf_free(&inst->out);
	hbuf_free(&inst->scratch);
	free(inst->body_dir);
	free(inst);
}

/* --- logging --- */

/* One request answered: access log line and connection note. */
void http_log(struct http_conn *st, const struct http_reqinfo *ri,
              int status, uint64_t bytes)
{
	const struct superd_host *h = st->inst->host;
	char note[16];

	if (st->inst->log.fd >= 0)
		accesslog_write(&st->inst->log, h->peer(st->c), ri, status, bytes);
	if (h->http_response) /* ABI 1.2: superd_http_responses_total */
		h->http_response(st->c, (unsigned)status);
	if (status == st->noted_status)
		return;
	st->noted_status = status;
	snprintf(note, sizeof(note), "http %d", status);
	h->conn_note(st->c, note);
}

/* Copy ri's slices into one allocation. */
int http_reqinfo_own(struct http_reqinfo *ri)
{
	size_t n = ri->line.n + ri->referer.n + ri->user_agent.n + ri->vhost.n + 4;
	char *p = malloc(n);
	struct http_slice *s[4] = { &ri->line, &ri->referer, &ri->user_agent,
	                            &ri->vhost };

	if (!p)
		return -1;
	ri->owned = p;
	for (int i = 0; i < 4; i++) {
		if (s[i]->p)
			memcpy(p, s[i]->p, s[i]->n);
		p[s[i]->n] = '\0';
		s[i]->p = s[i]->p ? p : NULL;
		p += s[i]->n + 1;
	}
	return 0;
}

/* Free what a reqinfo owns (see http.h). */
void http_reqinfo_free(struct http_reqinfo *ri)
{
	free(ri->owned);
	ri->owned = NULL;
}

/* --- deadlines --- */

static void conn_timer_fired(void *arg);
static void body_deadline(struct http_conn *st, uint64_t now);

/* Make sure the connection's timer fires no later than due. */
static void timer_arm(struct http_conn *st, uint64_t due)
{
	const struct superd_host *h = st->inst->host;
	uint64_t now = h->now_ms();

	if (st->timer && st->timer_due <= due)
		return;
	if (st->timer)
		h->timer_cancel(st->timer);
	st->timer_due = due;
	st->timer = h->timer_add(due > now ? (unsigned)(due - now) : 0,
	                         conn_timer_fired, st);
}

/* Output is queued (see http.h): start or renew the send_timeout watch. */
void http_send_watch(struct http_conn *st)
{
	const struct superd_host *h = st->inst->host;
	size_t pend = h->pending(st->c);

	if (pend == 0)
		return;
	if (!st->send_since)
		st->send_since = h->now_ms();
	st->send_pending = pend;
	timer_arm(st, st->send_since + st->inst->send_ms);
}

/*
 * send_timeout: the queued output has not shrunk for that long.  Returns
 * 1 when the connection was aborted.
 */
static int send_deadline(struct http_conn *st, uint64_t now)
{
	const struct superd_host *h = st->inst->host;
	size_t pend = h->pending(st->c);

	if (pend == 0) {
		st->send_since = 0;
		return 0;
	}
	if (pend < st->send_pending) { /* the client took some: progress */
		st->send_pending = pend;
		st->send_since = now;
	}
	if (now < st->send_since + st->inst->send_ms) {
		timer_arm(st, st->send_since + st->inst->send_ms);
		return 0;
	}
	h->conn_note(st->c, "send timeout");
	h->abort(st->c);
	return 1;
}

/* The timer fired: a header deadline passed, or the keep-alive ran out. */
static void conn_timer_fired(void *arg)
{
	struct http_conn *st = arg;
	const struct superd_host *h = st->inst->host;
	uint64_t now = h->now_ms();

	st->timer = NULL;
	if (st->send_since && send_deadline(st, now))
		return;
	if (st->cgi || st->listing || st->closing)
		return;
	if (st->body_active) {
		body_deadline(st, now);
		return;
	}
	if (st->header_due) {
		if (now < st->header_due) {
			timer_arm(st, st->header_due);
		} else if (st->seen_bytes) {
			struct http_reqinfo ri = { .minor = 1 };

			st->header_due = 0;
			h->conn_note(st->c, "http 408");
			if (http_send_error(st, &ri, 408, 1, NULL) == 0)
				h->close(st->c);
		} else {
			h->conn_note(st->c, "idle");
			h->close(st->c);
		}
		return;
	}
	if (st->idle_since && h->pending(st->c) == 0) {
		if (now >= st->idle_since + st->inst->keepalive_ms) {
			h->conn_note(st->c, "keepalive timeout");
			h->close(st->c);
		} else {
			timer_arm(st, st->idle_since + st->inst->keepalive_ms);
		}
	}
}

/* Nothing in progress: start the keep-alive clock (draining: close). */
static void conn_idle(struct http_conn *st)
{
	const struct superd_host *h = st->inst->host;

	if (st->cgi || st->listing || st->header_due || st->closing ||
	    st->body_active)
		return;
	if (h->draining()) {
		st->closing = 1;
		h->close(st->c);
		return;
	}
	st->idle_since = h->now_ms();
	timer_arm(st, st->idle_since + st->inst->keepalive_ms);
}

/* Stop reading until the current response allows the next request. */
static void conn_pause(struct http_conn *st)
{
	if (!st->paused) {
		st->paused = 1;
		st->inst->host->pause_read(st->c, 1);
	}
}

/* The current response ended (see http.h). */
void http_response_done(struct http_conn *st)
{
	const struct superd_host *h = st->inst->host;

	if (st->closing) {
		h->close(st->c);
		return;
	}
	if (st->paused) {
		st->paused = 0;
		h->pause_read(st->c, 0);
	}
	if (h->pending(st->c) == 0)
		conn_idle(st); /* else on_drain starts the keep-alive clock */
}

/* --- requests --- */

/* The request line of an unparsable request, for the log (bounded). */
static struct http_slice first_line(const unsigned char *data, size_t len)
{
	const char *p = (const char *)data;
	size_t n = 0;

	while (n < len && n < 512 && p[n] != '\r' && p[n] != '\n')
		n++;
	return (struct http_slice){ p, n };
}

/* What the response needs from the request. */
static void reqinfo_from(struct http_conn *st, const struct http_request *req,
                         struct http_reqinfo *ri)
{
	const char *end = req->target.p + req->target.n + 9; /* " HTTP/1.x" */

	ri->method = req->method;
	ri->minor = req->minor;
	ri->head = req->method == HTTP_M_HEAD;
	ri->keep_alive = req->keep_alive && st->inst->keepalive_ms && !st->eof &&
	                 !st->inst->host->draining();
	if (st->inst->max_keepalive_requests &&
	    st->requests >= st->inst->max_keepalive_requests)
		ri->keep_alive = 0;
	/* a client waiting for 100 Continue may never send the body of a
	   request we answer at once: the framing is unknown, so close */
	if (req->expect_continue && (req->chunked || req->length))
		ri->keep_alive = 0;
	ri->line = (struct http_slice){ req->method_name.p,
	                                (size_t)(end - req->method_name.p) };
	ri->referer = req->referer;
	ri->user_agent = req->user_agent;
}

/*
 * Answer a parsed request (its body, if any, read).  Returns 1 when the
 * connection is closing, else 0.
 */
static int request_answer(struct http_conn *st, const struct http_request *req)
{
	const struct superd_host *h = st->inst->host;
	struct http_reqinfo ri = { .minor = 1 };
	int routed, corked;

	reqinfo_from(st, req, &ri);
	/*
	 * The close ends this response: corked, its last bytes leave with the
	 * FIN, one segment (and one ACK) fewer per connection, as nginx's
	 * (tcp_nopush) do.  A CGI script's output streams: uncorked.
	 */
	corked = !ri.keep_alive && http_cork(st, 1);
	routed = http_route(st, req, &ri);
	spool_close(&st->spool); /* a CGI job took it; else it is not needed */
	if (routed == HTTP_ROUTE_CGI) {
		if (corked)
			http_cork(st, 0);
		return 0;
	}
	if (!ri.keep_alive || st->closing) {
		st->closing = 1;
		if (!st->listing) /* else the listing's end closes */
			h->close(st->c);
		return 1;
	}
	return 0;
}

/* Forget the body state: the header copy, the decoder, the spool. */
static void body_reset(struct http_conn *st)
{
	st->body_active = 0;
	st->body_left = 0;
	free(st->held);
	st->held = NULL;
	st->held_len = 0;
	spool_close(&st->spool);
}

/* The body cannot be read: answer status (400, 408, 413, 500) and close. */
static void body_fail(struct http_conn *st, int status)
{
	struct http_reqinfo ri = { .minor = 1 };

	ri.line = first_line((const unsigned char *)st->held, st->held_len);
	http_send_error(st, &ri, status, 1, NULL);
	body_reset(st);
	st->closing = 1;
	st->inst->host->close(st->c);
}

/* The body is complete: parse the header copy again and answer. */
static void body_end(struct http_conn *st)
{
	struct http_request req;

	st->body_active = 0;
	if (http_parse_request(st->held, st->held_len, &st->inst->limits,
	                       &req) != HTTP_PARSE_OK) {
		body_fail(st, 500); /* cannot happen: it parsed before */
		return;
	}
	request_answer(st, &req);
	free(st->held);
	st->held = NULL;
	spool_close(&st->spool);
}

/* body_timeout: no body bytes for that long: 408 and close. */
static void body_deadline(struct http_conn *st, uint64_t now)
{
	uint64_t due = st->body_seen + st->inst->body_ms;

	if (now < due) {
		timer_arm(st, due);
		return;
	}
	st->inst->host->log(st->inst->svc, SUPERD_LOG_INFO,
	                    "request body idle for %u s", st->inst->body_ms / 1000);
	body_fail(st, 408);
}

/*
 * A request with a body: keep its header block, start reading the body
 * (kept in a spool when the request may be a CGI's).  Returns the bytes
 * used (the header), or len when the connection closes.
 */
static size_t body_begin(struct http_conn *st, const unsigned char *data,
                         size_t len, const struct http_request *req, int keep)
{
	struct http_instance *inst = st->inst;
	const struct superd_host *h = inst->host;

	st->held = malloc(req->header_len);
	if (!st->held || (keep && spool_open(&st->spool) < 0)) {
		struct http_reqinfo ri = { .minor = 1 };

		free(st->held);
		st->held = NULL;
		ri.line = first_line(data, len);
		http_send_error(st, &ri, 503, 1, NULL);
		h->close(st->c);
		return len;
	}
	memcpy(st->held, data, req->header_len);
	st->held_len = req->header_len;
	st->body_active = 1;
	st->body_chunked = req->chunked;
	st->body_left = req->length;
	if (req->chunked)
		http_chunked_init(&st->ck, inst->limits.max_body);
	st->body_seen = h->now_ms();
	timer_arm(st, st->body_seen + inst->body_ms);
	if (req->expect_continue)
		h->write(st->c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	return req->header_len;
}

/* Keep decoded body bytes when spooling.  0, or a status. */
static int body_keep(struct http_conn *st, const char *p, size_t n)
{
	if (st->spool.fd < 0 || n == 0)
		return 0;
	if (spool_write(&st->spool, st->inst->body_dir, p, n) == 0)
		return 0;
	st->inst->host->log(st->inst->svc, SUPERD_LOG_ERROR, "request body: %s: %s",
	                    st->inst->body_dir, strerror(errno));
	return errno == ENOSPC || errno == EDQUOT ? 507 : 500;
}

/* Body bytes arrived: check their framing, keep or drop them.  Bytes used. */
static size_t body_take(struct http_conn *st, const unsigned char *data,
                        size_t len)
{
	char tmp[8192];
	size_t used = 0;
	int rc = 0;

	st->body_seen = st->inst->host->now_ms();
	if (!st->body_chunked) {
		used = len < st->body_left ? len : (size_t)st->body_left;
		rc = body_keep(st, (const char *)data, used);
		st->body_left -= used;
		if (rc == 0 && st->body_left == 0)
			rc = 1;
	}
	while (st->body_chunked && used < len && rc == 0) {
		size_t n = len - used < sizeof(tmp) ? len - used : sizeof(tmp);
		size_t out, took;

		memcpy(tmp, data + used, n);
		rc = http_chunked_decode(&st->ck, tmp, n, tmp, &out, &took);
		used += took;
		if (rc == 0 || rc == 1) {
			int k = body_keep(st, tmp, out);

			rc = k ? k : rc;
		}
	}
	if (rc == 1) {
		body_end(st);
	} else if (rc) {
		body_fail(st, rc);
		return len;
	}
	return st->closing ? len : used;
}

/*
 * Parse and answer one request at data.  Returns the bytes it used: 0
 * when the header is not complete yet, or everything when the connection
 * is closing.
 */
static size_t handle_request(struct http_conn *st, const unsigned char *data,
                             size_t len)
{
	struct http_instance *inst = st->inst;
	const struct superd_host *h = inst->host;
	struct http_request req;
	struct http_reqinfo ri = { .minor = 1 };
	int rc, cgi;

	rc = http_parse_request((const char *)data, len, &inst->limits, &req);
	if (rc == HTTP_PARSE_INCOMPLETE) {
		st->seen_bytes = 1;
		if (!st->header_due) {
			st->header_due = h->now_ms() + inst->header_ms;
			timer_arm(st, st->header_due);
		}
		return 0;
	}
	st->header_due = 0;
	st->seen_bytes = 0;
	st->idle_since = 0;
	st->requests++;
	st->site = NULL; /* until routed: the service's own */
	if (rc != HTTP_PARSE_OK) {
		ri.line = first_line(data, len);
		http_send_error(st, &ri, rc, 1, NULL);
		h->close(st->c);
		return len;
	}
	if (req.chunked || req.length) {
		cgi = http_route_may_cgi(inst, &req);
		/* a client waiting for 100 Continue gets its answer at once
		   when the body is not wanted (the connection closes after) */
		if (cgi || !req.expect_continue)
			return body_begin(st, data, len, &req, cgi);
	}
	if (request_answer(st, &req))
		return len;
	return req.header_len;
}

/* Bytes arrived: answer every complete request, in order. */
static size_t http_on_data(superd_conn *c, void *instance, void *state,
                           const unsigned char *data, size_t len)
{
	struct http_conn *st = state;
	const struct superd_host *h = st->inst->host;
	size_t used = 0, n;

	st->idle_since = 0;
	while (used < len) {
		if (st->closing)
			return len;
		if (st->cgi) {
			conn_pause(st); /* the next request waits for this one */
			break;
		}
		if (st->body_active) {
			used += body_take(st, data + used, len - used);
			continue;
		}
		if (st->listing) {
			conn_pause(st); /* the listing's end resumes */
			break;
		}
		if (h->pending(c) > PIPELINE_HIGH) {
			conn_pause(st); /* on_drain resumes */
			break;
		}
		n = handle_request(st, data + used, len - used);
		if (n == 0)
			break;
		used += n;
	}
	if (used == len && !st->cgi && !st->listing && !st->closing &&
	    h->pending(c) == 0)
		conn_idle(st);
	if (!st->closing || h->pending(c))
		http_send_watch(st);
	return used;
}

/* A new connection: the first request has header_timeout to arrive. */
static int http_on_open(superd_conn *c, void *instance, void *state)
{
	struct http_conn *st = state;
	struct http_instance *inst = instance;

	if (http_sites_open(inst) < 0)
		return -1;
	st->inst = inst;
	st->c = c;
	st->out = &inst->out;
	st->scratch = &inst->scratch;
	st->spool.fd = -1;
	st->header_due = inst->host->now_ms() + inst->header_ms;
	timer_arm(st, st->header_due);
	return 0;
}

/* Output drained: resume pipelined requests, CGI output, or go idle. */
static void http_on_drain(superd_conn *c, void *instance, void *state)
{
	struct http_conn *st = state;

	st->send_since = 0; /* everything was taken */
	if (st->cgi) {
		cgi_on_drain(st);
		return;
	}
	if (st->listing) {
		listing_on_drain(st);
		return;
	}
	if (st->paused && !st->closing) {
		st->paused = 0;
		st->inst->host->pause_read(c, 0);
		return;
	}
	conn_idle(st);
}

/*
 * The client closed its side.  That ends the request, not the response
 * (`nc -N`, `curl --http1.0` through some proxies): queued responses go
 * out and a CGI (whose request is complete: it starts only then) is
 * answered, then the connection closes.  A request whose body is still
 * arriving never gets it: it is dropped unanswered.  A client that
 * vanished is noticed at the first write.
 */
static void http_on_eof(superd_conn *c, void *instance, void *state)
{
	struct http_conn *st = state;

	st->eof = 1;
	st->closing = 1;
	if (st->cgi)
		return; /* the response ends the connection (closing) */
	if (st->body_active)
		st->inst->host->conn_note(c, "client closed during body");
	st->inst->host->close(c);
}

/*
 * The worker drains (a reload retired it): a connection between requests
 * closes now; one in the middle of a request is answered with
 * Connection: close (reqinfo_from, conn_idle).
 */
static void http_on_retire(superd_conn *c, void *instance, void *state)
{
	struct http_conn *st = state;

	if (!st->inst || st->closing || st->cgi || st->seen_bytes ||
	    st->body_active || st->inst->host->pending(c))
		return;
	if (st->idle_since || st->requests == 0) {
		st->closing = 1;
		st->inst->host->close(c);
	}
}

/* The connection is going away: timers, CGI, buffers. */
static void http_on_close(superd_conn *c, void *instance, void *state)
{
	struct http_conn *st = state;

	if (!st->inst)
		return;
	if (st->timer)
		st->inst->host->timer_cancel(st->timer);
	st->timer = NULL;
	if (st->cgi)
		cgi_detach(st);
	body_reset(st);
	if (st->listing)
		listing_detach(st);
}

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "http",
	.version = SUPERD_VERSION,
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UNIX,
	.conn_size = sizeof(struct http_conn),
	.configure = http_configure,
	.start = http_start,
	.destroy = http_destroy,
	.on_open = http_on_open,
	.on_data = http_on_data,
	.on_eof = http_on_eof,
	.on_drain = http_on_drain,
	.on_close = http_on_close,
	.on_reopen = http_reopen,
	.on_retire = http_on_retire,
};
