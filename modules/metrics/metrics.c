/*
 * metrics.c - the metrics module: a small HTTP/1.x endpoint for probes
 * and scrapers.  GET /metrics: every counter of the server, summed over
 * the workers by the host (superd_host.metrics), in the Prometheus text
 * format 0.0.4, or OpenMetrics 1.0.0 when Accept names
 * application/openmetrics-text.  GET /ready: 200 while the server accepts
 * connections, 503 once it is stopping.  GET /live: 200.  HEAD too.
 * One request per connection (Connection: close).  No options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics.h"

/** Requests larger than this are answered 431 and closed. */
#define REQUEST_MAX 8192

/** A configured metrics service. */
struct metrics_inst {
	const struct superd_host *host;
	superd_service *svc;
};

/* No options are accepted. */
static int metrics_configure(const struct superd_host *host,
                             superd_service *svc, const superd_opt *options,
                             void **instance)
{
	static const char *const none[] = { NULL };
	struct metrics_inst *inst;

	if (options && host->opt_check_keys(svc, options, none) < 0)
		return -1;
	inst = calloc(1, sizeof(*inst));
	if (!inst) {
		host->opt_error(svc, NULL, "out of memory");
		return -1;
	}
	inst->host = host;
	inst->svc = svc;
	*instance = inst;
	return 0;
}

static void metrics_destroy(void *instance)
{
	free(instance);
}

/* Send a whole response and close. */
static void respond(struct metrics_inst *inst, superd_conn *c, int status,
                    const char *reason, const char *type, const char *body,
                    size_t len, int head)
{
	const struct superd_host *h = inst->host;
	struct mbuf hdr = { 0 };
	char note[16];

	mbuf_printf(&hdr, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	            "Content-Length: %zu\r\nCache-Control: no-store\r\n%s"
	            "Connection: close\r\n\r\n", status, reason, type, len,
	            status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (hdr.oom) {
		h->abort(c);
		return;
	}
	h->write(c, hdr.p, hdr.len);
	if (!head && len)
		h->write(c, body, len);
	mbuf_free(&hdr);
	snprintf(note, sizeof(note), "http %d", status);
	h->conn_note(c, note);
	h->close(c);
}

/* Does a header section (after the request line) ask for OpenMetrics? */
static int wants_openmetrics(const char *p, const char *end)
{
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);

		if (n > 7 && strncasecmp(p, "accept:", 7) == 0) {
			for (size_t i = 7; i + 28 <= n; i++)
				if (strncasecmp(p + i, "application/openmetrics-text", 28) == 0)
					return 1;
		}
		p += n + 1;
	}
	return 0;
}

/* GET /metrics: the exposition in the asked format. */
static void serve_metrics(struct metrics_inst *inst, superd_conn *c,
                          int openmetrics, int head)
{
	struct mbuf body = { 0 };
	struct expo e = { .out = &body, .openmetrics = openmetrics };

	inst->host->metrics(inst->svc, expo_sample, &e);
	expo_end(&e);
	if (body.oom) {
		respond(inst, c, 500, "Internal Server Error", "text/plain",
		        "out of memory\n", 14, head);
	} else {
		respond(inst, c, 200, "OK", openmetrics ? METRICS_TYPE_OPENMETRICS
		                                        : METRICS_TYPE_TEXT,
		        body.p, body.len, head);
	}
	mbuf_free(&body);
}

/* Route one complete request (line: "METHOD TARGET HTTP/x.y"). */
static void route(struct metrics_inst *inst, superd_conn *c, const char *req,
                  size_t len)
{
	char method[8], target[256], version[16];
	const char *eol = memchr(req, '\n', len);
	int head, n = 0;

	if (sscanf(req, "%7s %255s %15s%n", method, target, version, &n) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0 || !eol || req + n > eol) {
		respond(inst, c, 400, "Bad Request", "text/plain", "bad request\n", 12, 0);
		return;
	}
	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		respond(inst, c, 405, "Method Not Allowed", "text/plain",
		        "method not allowed\n", 19, 0);
		return;
	}
	target[strcspn(target, "?")] = '\0';
	if (strcmp(target, "/metrics") == 0)
		serve_metrics(inst, c, wants_openmetrics(eol + 1, req + len), head);
	else if (strcmp(target, "/live") == 0)
		respond(inst, c, 200, "OK", "text/plain", "live\n", 5, head);
	else if (strcmp(target, "/ready") == 0 && !inst->host->stopping(inst->svc))
		respond(inst, c, 200, "OK", "text/plain", "ready\n", 6, head);
	else if (strcmp(target, "/ready") == 0)
		respond(inst, c, 503, "Service Unavailable", "text/plain",
		        "stopping\n", 9, head);
	else
		respond(inst, c, 404, "Not Found", "text/plain", "not found\n", 10, head);
}

/* Wait for the whole header section, then answer it. */
static size_t metrics_data(superd_conn *c, void *instance, void *state,
                           const unsigned char *data, size_t len)
{
	struct metrics_inst *inst = instance;
	const char *p = (const char *)data;
	size_t end = 0;

	(void)state;
	for (size_t i = 0; i + 1 < len && !end; i++) {
		if (p[i] == '\n' && p[i + 1] == '\n')
			end = i + 2;
		else if (p[i] == '\n' && i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			end = i + 3;
	}
	if (!end && len < REQUEST_MAX)
		return 0; /* the host keeps it and hands it again with more */
	if (!end)
		respond(inst, c, 431, "Request Header Fields Too Large", "text/plain",
		        "request too large\n", 18, 0);
	else
		route(inst, c, p, end);
	return SUPERD_DATA_CLOSE;
}

static int metrics_open(superd_conn *c, void *instance, void *state)
{
	(void)c;
	(void)instance;
	(void)state;
	return 0;
}

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "metrics",
	.version = METRICS_VERSION,
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UNIX,
	.configure = metrics_configure,
	.destroy = metrics_destroy,
	.on_open = metrics_open,
	.on_data = metrics_data,
};
