/*
 * range.c - conditional request fields and byte ranges (see range.h).
 *
 * Everything here is pure and bounded by its input, so the fuzz target
 * (tests/fuzz/fuzz_http_range.c) calls it directly.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "range.h"

/* Weak comparison with an If-None-Match list (see range.h). */
int http_etag_matches(struct http_slice v, const char *etag)
{
	size_t i = 0, elen = strlen(etag);

	while (i < v.n) {
		size_t a;

		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ','))
			i++;
		if (i >= v.n)
			break;
		if (v.p[i] == '*')
			return 1;
		if (v.n - i >= 2 && v.p[i] == 'W' && v.p[i + 1] == '/')
			i += 2;
		a = i;
		if (i < v.n && v.p[i] == '"') {
			i++;
			while (i < v.n && v.p[i] != '"')
				i++;
			i++;
		}
		if (i - a == elen && i <= v.n && !memcmp(v.p + a, etag, elen))
			return 1;
		while (i < v.n && v.p[i] != ',')
			i++;
	}
	return 0;
}

/* RFC 9110 §13.2.2 for GET/HEAD (see range.h). */
int http_not_modified(const struct http_request *req, const char *etag,
                      time_t mtime)
{
	time_t since;

	if (req->if_none_match.p)
		return http_etag_matches(req->if_none_match, etag);
	if (!req->if_modified_since.p || req->ims_count != 1)
		return 0;
	since = http_date_parse(req->if_modified_since.p, req->if_modified_since.n);
	return since != (time_t)-1 && mtime <= since;
}

/* If-Range (see range.h). */
int http_if_range_holds(struct http_slice v, const char *etag, time_t mtime)
{
	if (v.n && (v.p[0] == '"' || v.p[0] == 'W'))
		return v.n == strlen(etag) && !memcmp(v.p, etag, v.n);
	return http_date_parse(v.p, v.n) == mtime;
}

/* A decimal number; -1 when not digits or too large. */
static int64_t parse_pos(const char *p, size_t n)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/*
 * One range-spec against size: 1 with *r filled, 2 when it is valid but
 * not satisfiable, 0 when it is not a range-spec.
 */
static int parse_spec(struct http_slice s, int64_t size, struct http_range *r)
{
	const char *dash = memchr(s.p, '-', s.n);
	int64_t first, last;

	if (!dash)
		return 0;
	if (dash == s.p) { /* suffix: the last N bytes */
		last = parse_pos(dash + 1, s.n - 1);
		if (last < 0)
			return 0;
		if (last == 0 || size == 0)
			return 2;
		r->len = last < size ? last : size;
		r->off = size - r->len;
		return 1;
	}
	first = parse_pos(s.p, (size_t)(dash - s.p));
	if (first < 0)
		return 0;
	if (dash + 1 == s.p + s.n)
		last = size - 1;
	else if ((last = parse_pos(dash + 1, (size_t)(s.p + s.n - dash - 1))) < 0 ||
	         last < first)
		return 0;
	if (first >= size)
		return 2;
	if (last >= size)
		last = size - 1;
	r->off = first;
	r->len = last - first + 1;
	return 1;
}

/* qsort order: by offset. */
static int range_cmp(const void *a, const void *b)
{
	const struct http_range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Sort, then merge ranges that overlap or touch.  Returns the new count. */
static int range_merge(struct http_range *r, int n)
{
	int k = 0;

	qsort(r, (size_t)n, sizeof(*r), range_cmp);
	for (int i = 1; i < n; i++) {
		int64_t end = r[k].off + r[k].len;

		if (r[i].off <= end) {
			if (r[i].off + r[i].len > end)
				r[k].len = r[i].off + r[i].len - r[k].off;
		} else {
			r[++k] = r[i];
		}
	}
	return n ? k + 1 : 0;
}

/* Parse a Range value (see range.h). */
int http_range_parse(struct http_slice v, int64_t size, struct http_range *out)
{
	size_t i;
	int n = 0, specs = 0;

	if (v.n < 7 || !http_slice_eq((struct http_slice){ v.p, 6 }, "bytes="))
		return 0;
	for (i = 6; i < v.n;) {
		struct http_slice s;
		size_t a, b;
		int rc;

		while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		a = i;
		while (i < v.n && v.p[i] != ',')
			i++;
		b = i++;
		while (b > a && (v.p[b - 1] == ' ' || v.p[b - 1] == '\t'))
			b--;
		if (a == b)
			continue; /* empty list members are allowed (§5.6.1) */
		if (++specs > HTTP_RANGES_MAX)
			return 0;
		s = (struct http_slice){ v.p + a, b - a };
		rc = parse_spec(s, size, &out[n]);
		if (rc == 0)
			return 0;
		n += rc == 1;
	}
	if (specs == 0)
		return 0;
	return n ? range_merge(out, n) : 416;
}
