/*
 * chunked.c - decoder for chunked request bodies (RFC 9112 §7.1).
 *
 * A byte-at-a-time state machine for the framing, with whole runs of
 * chunk data moved at once.  chunk-size is 1*HEXDIG, at most 15
 * significant digits (no overflow is possible; leading zeros are fine, up
 * to the line limit); extensions are skipped; trailer fields are
 * read and dropped.  Lines are bounded.
 */
#include <string.h>

#include "hex.h"
#include "parse.h"

enum {
	CK_SIZE_FIRST, /* first hex digit of a chunk size */
	CK_SIZE,       /* more hex digits, or ';', BWS, CR */
	CK_SIZE_BWS,   /* whitespace after the size: only more of it or ';' */
	CK_EXT,        /* chunk extension, up to CR */
	CK_SIZE_LF,    /* LF after the size line */
	CK_DATA,       /* chunk data */
	CK_DATA_CR,    /* CR after the data */
	CK_DATA_LF,    /* LF after the data */
	CK_TRAILER,    /* start of a trailer line, or the final CR */
	CK_TRAILER_LINE, /* a trailer field, up to CR */
	CK_TRAILER_LF, /* LF after a trailer field */
	CK_END_LF,     /* LF after the final empty line */
	CK_DONE,
};

#define MAX_SIZE_DIGITS 15
#define MAX_LINE 4096

/* Start decoding a body of at most max_total decoded bytes. */
void http_chunked_init(struct http_chunked *ck, uint64_t max_total)
{
	memset(ck, 0, sizeof(*ck));
	ck->state = CK_SIZE_FIRST;
	ck->max_total = max_total;
}

/* One framing byte. 0 to go on, 1 at the end of the body, or a status. */
static int chunked_byte(struct http_chunked *ck, int c)
{
	int h = http_hexval(c);

	switch (ck->state) {
	case CK_SIZE_FIRST:
		if (h < 0)
			return 400;
		ck->remaining = (uint64_t)h;
		ck->digits = h > 0;
		ck->line = 1;
		ck->state = CK_SIZE;
		return 0;
	case CK_SIZE:
		if (h >= 0) {
			/* leading zeros are valid (1*HEXDIG) and count only
			   towards the line limit, not towards the value's */
			if (++ck->line > MAX_LINE ||
			    ((ck->remaining || h) && ++ck->digits > MAX_SIZE_DIGITS))
				return 400;
			ck->remaining = ck->remaining * 16 + (uint64_t)h;
			return 0;
		}
		if (ck->remaining > ck->max_total - ck->total)
			return 413;
		ck->line = 0;
		if (c == '\r')
			ck->state = CK_SIZE_LF;
		else if (c == ';')
			ck->state = CK_EXT;
		else if (c == ' ' || c == '\t')
			ck->state = CK_SIZE_BWS;
		else
			return 400;
		return 0;
	case CK_SIZE_BWS: /* chunk-ext = *( BWS ";" ... ): "5 x" is not one */
		if (c == ';')
			ck->state = CK_EXT;
		else if ((c != ' ' && c != '\t') || ++ck->line > MAX_LINE)
			return 400;
		return 0;
	case CK_EXT:
		if (c == '\r')
			ck->state = CK_SIZE_LF;
		else if ((c < 0x20 && c != '\t') || c == 0x7f || ++ck->line > MAX_LINE)
			return 400;
		return 0;
	case CK_SIZE_LF:
		if (c != '\n')
			return 400;
		ck->state = ck->remaining ? CK_DATA : CK_TRAILER;
		return 0;
	case CK_DATA_CR:
		if (c != '\r')
			return 400;
		ck->state = CK_DATA_LF;
		return 0;
	case CK_DATA_LF:
		if (c != '\n')
			return 400;
		ck->state = CK_SIZE_FIRST;
		return 0;
	case CK_TRAILER:
		ck->line = 0;
		ck->state = c == '\r' ? CK_END_LF : CK_TRAILER_LINE;
		if (c == '\n' || c == ' ' || c == '\t')
			return 400;
		return 0;
	case CK_TRAILER_LINE:
		if (c == '\r')
			ck->state = CK_TRAILER_LF;
		else if ((c < 0x20 && c != '\t') || c == 0x7f || ++ck->line > MAX_LINE)
			return 400;
		return 0;
	case CK_TRAILER_LF:
		if (c != '\n')
			return 400;
		ck->state = CK_TRAILER;
		return 0;
	case CK_END_LF:
		if (c != '\n')
			return 400;
		ck->state = CK_DONE;
		return 1;
	}
	return 400;
}

/* Decode in place (see parse.h). */
int http_chunked_decode(struct http_chunked *ck, const char *in, size_t len,
                        char *out, size_t *outlen, size_t *used)
{
	size_t i = 0, o = 0;
	int rc = 0;

	if (ck->state == CK_DONE) {
		*outlen = *used = 0;
		return 1;
	}
	while (i < len && rc == 0) {
		if (ck->state == CK_DATA) {
			size_t n = len - i;

			if (n > ck->remaining)
				n = (size_t)ck->remaining;
			memmove(out + o, in + i, n);
			o += n;
			i += n;
			ck->remaining -= n;
			ck->total += n;
			if (ck->remaining == 0)
				ck->state = CK_DATA_CR;
			continue;
		}
		rc = chunked_byte(ck, (unsigned char)in[i++]);
	}
	*outlen = o;
	*used = i;
	return rc;
}
