/*
 * buf.c - growable byte buffers for responses and held input.
 *
 * Buffers live in the connection and are reused request after request,
 * so a keep-alive connection allocates once, not per request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Make room for n more bytes; 0 or -1 (oom set). */
int hbuf_reserve(struct hbuf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return -1;
	if (n <= b->cap - b->len)
		return 0;
	want = b->len + n;
	if (want < b->len)
		goto fail;
	cap = b->cap ? b->cap : 512;
	while (cap < want)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		goto fail;
	b->p = p;
	b->cap = cap;
	return 0;
fail:
	b->oom = 1;
	return -1;
}

/* Append n bytes. */
void hbuf_add(struct hbuf *b, const void *p, size_t n)
{
	if (n == 0 || hbuf_reserve(b, n) < 0)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* Append a C string. */
void hbuf_str(struct hbuf *b, const char *s)
{
	hbuf_add(b, s, strlen(s));
}

/* Append formatted text. */
void hbuf_printf(struct hbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (hbuf_reserve(b, 128) < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (hbuf_reserve(b, (size_t)n + 1) < 0)
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* Drop the first n bytes. */
void hbuf_consume(struct hbuf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

/* Release the memory; the buffer is empty and usable again. */
void hbuf_free(struct hbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
