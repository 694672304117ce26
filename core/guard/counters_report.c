/*
 * counters_report.c - the scrape side of the counters: sum every process
 * slot's record for each bound service and hand the samples, family by
 * family, to the metrics module's callback.  Reads only records that were
 * ever written (so untouched pages of the mapping stay unallocated).
 */
#include <stdio.h>
#include <stdlib.h>

#include "access_priv.h"
#include "counters_priv.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/** One service's sums. */
struct svc_sum {
	const char *name;
	unsigned slot;
	uint64_t active;
	uint64_t accepted, refused[REFUSED_REASONS], bytes_in, bytes_out;
	uint64_t closed, duration_us, duration[COUNTER_BUCKETS + 1];
	uint64_t datagrams, dgram_dropped[DGRAM_DROP_REASONS];
	uint64_t http[COUNTER_HTTP_CODES + 1];
};

/** What a report walks over. */
struct report {
	superd_metric_cb *cb;
	void *arg;
	struct svc_sum *sums;
	size_t n;
};

static const char *const refusal_names[REFUSED_REASONS] = {
	"acl", "max_connections", "per_source", "rate", "rate_per_source",
	"proxy", "tls",
};
static const char *const drop_names[DGRAM_DROP_REASONS] = { "acl", "guard", "rate" };

/* Add n counters of a record to a sum. */
static void add(uint64_t *sum, const _Atomic uint64_t *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum[i] += atomic_load_explicit(&c[i], memory_order_relaxed);
}

/* Sum one slot's records over every process slot that wrote it. */
static void sum_slot(struct access_shared *sh, struct svc_sum *s)
{
	uint64_t bit = 1ull << (s->slot % 64);

	for (size_t l = 0; l < LEDGERS; l++) {
		const struct svc_counters *c = &sh->ctr[l][s->slot];

		if (!(atomic_load(&sh->ctr_touched[l][s->slot / 64]) & bit))
			continue;
		add(&s->accepted, &c->accepted, 1);
		add(s->refused, c->refused, REFUSED_REASONS);
		add(&s->bytes_in, &c->bytes_in, 1);
		add(&s->bytes_out, &c->bytes_out, 1);
		add(&s->closed, &c->closed, 1);
		add(&s->duration_us, &c->duration_us, 1);
		add(s->duration, c->duration, COUNTER_BUCKETS + 1);
		add(&s->datagrams, &c->datagrams, 1);
		add(s->dgram_dropped, c->dgram_dropped, DGRAM_DROP_REASONS);
		add(s->http, c->http, COUNTER_HTTP_CODES + 1);
	}
	s->active = atomic_load(&sh->slots[s->slot].conns);
}

/* Copy name into a label value, escaping \, " and newline. */
static void label_value(char *out, size_t size, const char *name)
{
	size_t o = 0;

	for (; *name && o + 3 < size; name++) {
		if (*name == '\\' || *name == '"' || *name == '\n') {
			out[o++] = '\\';
			out[o++] = *name == '\n' ? 'n' : *name;
		} else {
			out[o++] = *name;
		}
	}
	out[o] = '\0';
}

/* Hand one sample to the callback. */
static void emit(struct report *r, const char *family, const char *type,
                 const char *help, const char *unit, const char *suffix,
                 const char *labels, double value)
{
	struct superd_metric m = { .family = family, .type = type, .help = help,
	                           .unit = unit, .suffix = suffix,
	                           .labels = labels, .value = value };

	r->cb(r->arg, &m);
}

/* The families that are not per service. */
static void report_server(struct report *r, struct access_shared *sh)
{
	emit(r, "superd_build_info", "gauge", "superd's version", "", "",
	     "version=\"" PACKAGE_VERSION "\"", 1);
	emit(r, "superd_workers", "gauge", "Worker processes alive", "", "", "",
	     (double)atomic_load(&sh->server.workers));
	emit(r, "superd_worker_restarts_total", "counter",
	     "Workers replaced after they died", "", "", "",
	     (double)atomic_load(&sh->server.worker_restarts));
	emit(r, "superd_reloads_total", "counter", "Reloads (SIGHUP, watch) by result",
	     "", "", "result=\"ok\"", (double)atomic_load(&sh->server.reloads[1]));
	emit(r, "superd_reloads_total", "counter", "Reloads (SIGHUP, watch) by result",
	     "", "", "result=\"failed\"", (double)atomic_load(&sh->server.reloads[0]));
}

/* One simple per-service family: the value at offset off in each sum. */
static void report_simple(struct report *r, const char *family, const char *type,
                          const char *help, const char *unit, size_t off)
{
	char labels[256], v[200];

	for (size_t i = 0; i < r->n; i++) {
		label_value(v, sizeof(v), r->sums[i].name);
		snprintf(labels, sizeof(labels), "service=\"%s\"", v);
		emit(r, family, type, help, unit, "", labels,
		     (double)*(const uint64_t *)((const char *)&r->sums[i] + off));
	}
}

/* A per-service family with one more label from a table of names. */
static void report_reasons(struct report *r, const char *family,
                           const char *help, const char *key,
                           const char *const *names, size_t n, size_t off)
{
	char labels[300], v[200];

	for (size_t i = 0; i < r->n; i++) {
		const uint64_t *vals = (const uint64_t *)((const char *)&r->sums[i] + off);

		label_value(v, sizeof(v), r->sums[i].name);
		for (size_t k = 0; k < n; k++) {
			snprintf(labels, sizeof(labels), "service=\"%s\",%s=\"%s\"", v,
			         key, names[k]);
			emit(r, family, "counter", help, "", "", labels, (double)vals[k]);
		}
	}
}

/* The duration histogram: cumulative buckets, +Inf, sum, count. */
static void report_durations(struct report *r)
{
	static const char *const le[COUNTER_BUCKETS] = {
		"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
		"2.5", "5", "10", "30", "60", "300",
	};
	static const char fam[] = "superd_connection_duration_seconds";
	static const char help[] = "How long connections lasted";
	char labels[300], v[200];

	for (size_t i = 0; i < r->n; i++) {
		const struct svc_sum *s = &r->sums[i];
		uint64_t cum = 0;

		label_value(v, sizeof(v), s->name);
		for (size_t b = 0; b < COUNTER_BUCKETS; b++) {
			cum += s->duration[b];
			snprintf(labels, sizeof(labels), "service=\"%s\",le=\"%s\"", v, le[b]);
			emit(r, fam, "histogram", help, "seconds", "_bucket", labels, (double)cum);
		}
		snprintf(labels, sizeof(labels), "service=\"%s\",le=\"+Inf\"", v);
		emit(r, fam, "histogram", help, "seconds", "_bucket", labels, (double)s->closed);
		snprintf(labels, sizeof(labels), "service=\"%s\"", v);
		emit(r, fam, "histogram", help, "seconds", "_sum", labels,
		     (double)s->duration_us / 1e6);
		emit(r, fam, "histogram", help, "seconds", "_count", labels, (double)s->closed);
	}
}

/* HTTP responses by code: only codes seen, "other" for the rest. */
static void report_http(struct report *r)
{
	char labels[300], v[200], code[8];

	for (size_t i = 0; i < r->n; i++) {
		label_value(v, sizeof(v), r->sums[i].name);
		for (size_t k = 0; k <= COUNTER_HTTP_CODES; k++) {
			if (!r->sums[i].http[k])
				continue;
			if (k < COUNTER_HTTP_CODES)
				snprintf(code, sizeof(code), "%u", counter_http_codes[k]);
			else
				snprintf(code, sizeof(code), "other");
			snprintf(labels, sizeof(labels), "service=\"%s\",code=\"%s\"", v, code);
			emit(r, "superd_http_responses_total", "counter",
			     "HTTP responses by status code", "", "", labels,
			     (double)r->sums[i].http[k]);
		}
	}
}

/* The bound services' slots, in slot order, summed. NULL + n=0: none. */
static struct svc_sum *sums_make(struct access_shared *sh, size_t *n)
{
	struct svc_sum *sums;
	size_t count = 0;

	for (size_t i = 0; i < ACCESS_MAX_SERVICES; i++)
		if (sh->slot_used[i] == SLOT_USED && sh->slots[i].refs > 0)
			count++;
	sums = calloc(count ? count : 1, sizeof(*sums));
	*n = 0;
	if (!sums)
		return NULL;
	for (size_t i = 0; i < ACCESS_MAX_SERVICES && *n < count; i++) {
		if (sh->slot_used[i] != SLOT_USED || sh->slots[i].refs == 0)
			continue;
		sums[*n].name = sh->slots[i].name;
		sums[*n].slot = (unsigned)i;
		sum_slot(sh, &sums[*n]);
		++*n;
	}
	return sums;
}

/* See counters.h. */
int counters_stopping(const struct access_svc *a)
{
	return access_shared_stopping(a->sh);
}

/* See counters.h. */
void counters_report(const struct access_svc *a, superd_metric_cb *cb,
                     void *arg)
{
	struct access_shared *sh = a->sh;
	struct report r = { .cb = cb, .arg = arg };

	report_server(&r, sh);
	r.sums = sums_make(sh, &r.n);
	if (!r.sums)
		return;
	report_simple(&r, "superd_connections_accepted_total", "counter",
	              "Connections admitted", "", offsetof(struct svc_sum, accepted));
	report_reasons(&r, "superd_connections_refused_total",
	               "Connections refused, by reason", "reason", refusal_names,
	               REFUSED_REASONS, offsetof(struct svc_sum, refused));
	report_simple(&r, "superd_connections_active", "gauge",
	              "Connections open now", "", offsetof(struct svc_sum, active));
	report_simple(&r, "superd_received_bytes_total", "counter",
	              "Application bytes received from clients", "bytes",
	              offsetof(struct svc_sum, bytes_in));
	report_simple(&r, "superd_sent_bytes_total", "counter",
	              "Application bytes sent to clients", "bytes",
	              offsetof(struct svc_sum, bytes_out));
	report_durations(&r);
	report_simple(&r, "superd_datagrams_received_total", "counter",
	              "Datagrams received (dropped ones included)", "",
	              offsetof(struct svc_sum, datagrams));
	report_reasons(&r, "superd_datagrams_dropped_total",
	               "Datagrams dropped, by reason", "reason", drop_names,
	               DGRAM_DROP_REASONS, offsetof(struct svc_sum, dgram_dropped));
	report_http(&r);
	free(r.sums);
}
