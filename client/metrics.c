/*
 * metrics.c - `superd-client metrics HOST[:PORT]`: fetch /metrics from a
 * superd metrics service and print one line per service (accepted,
 * refused, active, bytes, mean duration, HTTP responses) for people at a
 * terminal.  The parsing is in metrics_table (pure, unit-testable).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#define BODY_MAX (8u << 20)
#define MAX_SERVICES 256

/** One service's numbers. */
struct svc_row {
	char name[96];
	double accepted, refused, active, in, out, dur_sum, dur_count, http;
};

/* The row for a service name (added if new); NULL when the table is full. */
static struct svc_row *row_of(struct svc_row *rows, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	if (*n == MAX_SERVICES)
		return NULL;
	memset(&rows[*n], 0, sizeof(rows[*n]));
	snprintf(rows[*n].name, sizeof(rows[*n].name), "%s", name);
	return &rows[(*n)++];
}

/* The service label of a sample line, into name; 0, or -1 without one. */
static int service_of(const char *line, char *name, size_t size)
{
	const char *p = strstr(line, "service=\"");
	size_t o = 0;

	if (!p)
		return -1;
	for (p += 9; *p && *p != '"' && o + 1 < size; p++) {
		if (*p == '\\' && p[1])
			p++;
		name[o++] = *p;
	}
	name[o] = '\0';
	return 0;
}

/* Add one sample line to its service's row. */
static void add_sample(struct svc_row *rows, size_t *n, const char *line)
{
	static const struct { const char *name; size_t off; } map[] = {
		{ "superd_connections_accepted_total", offsetof(struct svc_row, accepted) },
		{ "superd_connections_refused_total", offsetof(struct svc_row, refused) },
		{ "superd_connections_active", offsetof(struct svc_row, active) },
		{ "superd_received_bytes_total", offsetof(struct svc_row, in) },
		{ "superd_sent_bytes_total", offsetof(struct svc_row, out) },
		{ "superd_connection_duration_seconds_sum", offsetof(struct svc_row, dur_sum) },
		{ "superd_connection_duration_seconds_count", offsetof(struct svc_row, dur_count) },
		{ "superd_http_responses_total", offsetof(struct svc_row, http) },
	};
	char name[96];
	const char *sp = strrchr(line, ' ');
	struct svc_row *r;

	if (!sp || service_of(line, name, sizeof(name)) < 0)
		return;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t k = strlen(map[i].name);

		if (strncmp(line, map[i].name, k) != 0 || line[k] != '{')
			continue;
		r = row_of(rows, n, name);
		if (r)
			*(double *)((char *)r + map[i].off) += strtod(sp + 1, NULL);
		return;
	}
}

/* Print the table of a /metrics body (NUL-terminated); rows printed. */
static size_t print_table(char *body)
{
	struct svc_row *rows = calloc(MAX_SERVICES, sizeof(*rows));
	size_t n = 0;

	if (!rows)
		return 0;
	for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n"))
		if (line[0] != '#')
			add_sample(rows, &n, line);
	printf("%-20s %10s %8s %7s %12s %12s %10s %8s\n", "SERVICE", "ACCEPTED",
	       "REFUSED", "ACTIVE", "BYTES IN", "BYTES OUT", "MEAN TIME", "HTTP");
	for (size_t i = 0; i < n; i++) {
		const struct svc_row *r = &rows[i];

		printf("%-20s %10.0f %8.0f %7.0f %12.0f %12.0f %9.3fs %8.0f\n",
		       r->name, r->accepted, r->refused, r->active, r->in, r->out,
		       r->dur_count ? r->dur_sum / r->dur_count : 0.0, r->http);
	}
	free(rows);
	return n;
}

/* Read the whole response (bounded) into a NUL-terminated buffer. */
static char *read_response(struct client *cl, int fd, size_t *len)
{
	size_t cap = 65536;
	char *buf = malloc(cap + 1), *p;
	ssize_t got;

	*len = 0;
	while (buf) {
		if (*len == cap) {
			if (cap >= BODY_MAX) {
				client_fail(cl, "response larger than %u bytes", BODY_MAX);
				break;
			}
			p = realloc(buf, cap * 2 + 1);
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		got = client_read(cl, fd, buf + *len, cap - *len, cl->deadline);
		if (got == 0) {
			buf[*len] = '\0';
			return buf;
		}
		if (got < 0) {
			if (got == -2)
				client_fail(cl, "no complete answer in time");
			break;
		}
		*len += (size_t)got;
	}
	free(buf);
	return NULL;
}

/* See client.h. */
int check_metrics(struct client *cl)
{
	char req[512], *resp, *body;
	size_t len;
	int fd = client_connect(cl), rc = -1;

	if (fd < 0)
		return -1;
	snprintf(req, sizeof(req), "GET /metrics HTTP/1.0\r\nHost: %s\r\n"
	         "Accept: text/plain\r\n\r\n", cl->host);
	if (client_write_all(cl, fd, req, strlen(req)) < 0)
		goto done;
	resp = read_response(cl, fd, &len);
	if (!resp)
		goto done;
	body = strstr(resp, "\r\n\r\n");
	if (strncmp(resp, "HTTP/1.1 200 ", 13) != 0 || !body)
		client_fail(cl, "not a 200 answer: %.60s", resp);
	else if (print_table(body + 4) == 0)
		client_fail(cl, "no superd service counters in the answer");
	else
		rc = 0;
	free(resp);
done:
	close(fd);
	return rc;
}
