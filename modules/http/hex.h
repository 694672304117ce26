/*
 * hex.h - hexadecimal digits, for percent-decoding (path.c) and chunk
 * sizes (chunked.c).
 */
#ifndef SUPERD_HTTP_HEX_H
#define SUPERD_HTTP_HEX_H

/* Value of a hex digit, or -1. */
static inline int http_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
