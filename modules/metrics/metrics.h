/*
 * metrics.h - the metrics module's parts: the exposition writer
 * (text.c: Prometheus text 0.0.4 or OpenMetrics 1.0.0) and a growable
 * output buffer.
 */
#ifndef SUPERD_METRICS_H
#define SUPERD_METRICS_H

#include <stddef.h>

#include <superd/module.h>

/** An output buffer that grows; oom set once an allocation failed. */
struct mbuf {
	char *p;
	size_t len, cap;
	int oom;
};

/** Append printf-style text. */
void mbuf_printf(struct mbuf *b, const char *fmt, ...) SUPERD_PRINTF(2, 3);
void mbuf_free(struct mbuf *b);

/** The exposition being written. */
struct expo {
	struct mbuf *out;
	int openmetrics;          /**< 0: Prometheus text 0.0.4 */
	char family[128];         /**< the family whose samples are being written */
};

/** superd_metric_cb: write one sample (and its family's header if new). */
void expo_sample(void *arg, const struct superd_metric *m);
/** Finish the exposition (OpenMetrics: "# EOF"). */
void expo_end(struct expo *e);

/** Content types of the two formats. */
#define METRICS_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_TYPE_OPENMETRICS \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

#endif
