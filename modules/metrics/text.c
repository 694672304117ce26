/*
 * text.c - write metric samples as the Prometheus text format 0.0.4 or as
 * OpenMetrics 1.0.0: a header (HELP, TYPE, and in OpenMetrics UNIT) before
 * each family's first sample; OpenMetrics names a counter's family without
 * its "_total", writes a "_info" gauge as an info family, and ends with
 * "# EOF".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* See metrics.h. */
void mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 8192;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

void mbuf_free(struct mbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Does s end with suffix? */
static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The family header: HELP and TYPE (and UNIT in OpenMetrics). */
static void family_header(struct expo *e, const struct superd_metric *m)
{
	char name[128];
	const char *type = m->type;
	size_t n = strlen(m->family);

	if (!e->openmetrics) {
		mbuf_printf(e->out, "# HELP %s %s\n# TYPE %s %s\n", m->family,
		            m->help, m->family, m->type);
		return;
	}
	if (strcmp(type, "counter") == 0 && ends_with(m->family, "_total"))
		n -= strlen("_total");
	else if (strcmp(type, "gauge") == 0 && ends_with(m->family, "_info"))
		n -= strlen("_info"), type = "info";
	snprintf(name, sizeof(name), "%.*s", (int)n, m->family);
	mbuf_printf(e->out, "# TYPE %s %s\n", name, type);
	if (m->unit[0])
		mbuf_printf(e->out, "# UNIT %s %s\n", name, m->unit);
	mbuf_printf(e->out, "# HELP %s %s\n", name, m->help);
}

/* The shortest of %.15g and %.17g that reads back as v. */
static const char *number(double v, char *buf, size_t size)
{
	snprintf(buf, size, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, size, "%.17g", v);
	return buf;
}

/* See metrics.h. */
void expo_sample(void *arg, const struct superd_metric *m)
{
	struct expo *e = arg;
	double v = m->value;
	char num[40];

	if (strcmp(e->family, m->family) != 0) {
		snprintf(e->family, sizeof(e->family), "%s", m->family);
		family_header(e, m);
	}
	mbuf_printf(e->out, "%s%s", m->family, m->suffix);
	if (m->labels[0])
		mbuf_printf(e->out, "{%s}", m->labels);
	if (v >= 0 && v < 9007199254740992.0 && (double)(unsigned long long)v == v)
		mbuf_printf(e->out, " %llu\n", (unsigned long long)v);
	else
		mbuf_printf(e->out, " %s\n", number(v, num, sizeof(num)));
}

/* See metrics.h. */
void expo_end(struct expo *e)
{
	if (e->openmetrics)
		mbuf_printf(e->out, "# EOF\n");
}
