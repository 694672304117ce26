/*
 * fuzz_http_cgihead.c - libFuzzer target for the CGI header parser
 * (modules/http/cgi_head.c): a script's output turned into a response
 * head.
 *
 * The first input byte picks the request (HEAD or not, HTTP/1.0 or 1.1,
 * keep-alive or not); the rest is the script's output.  When a head is
 * produced it must end with an empty line, hold no CR or LF other than
 * CRLF line ends (no response splitting), and the header it consumed
 * must lie inside the output and within the 32 KiB limit.  NPH output
 * (starting "HTTP/") is relayed as written: only the bounds are checked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/http/cgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every CR is followed by LF and every LF preceded by CR; ends CRLFCRLF. */
static void check_head(const struct hbuf *b)
{
	if (b->len < 4 || memcmp(b->p + b->len - 4, "\r\n\r\n", 4))
		abort();
	for (size_t i = 0; i < b->len; i++) {
		if (b->p[i] == '\r' && (i + 1 == b->len || b->p[i + 1] != '\n'))
			abort();
		if (b->p[i] == '\n' && (i == 0 || b->p[i - 1] != '\r'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_instance inst;
	struct http_conn st;
	struct hbuf out = { 0 };
	struct http_reqinfo ri = { 0 };
	struct cgi_head head;
	char *buf;
	int rc;

	if (size == 0)
		return 0;
	memset(&st, 0, sizeof(st));
	st.inst = &inst;
	st.out = &out;
	ri.head = data[0] & 1;
	ri.minor = (data[0] >> 1) & 1;
	ri.keep_alive = (data[0] >> 2) & 1;
	size--;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size);
	rc = cgi_head_parse(&st, &ri, buf, size, &head);
	if (rc < -1 || rc > 1)
		abort();
	if (rc == 1 && (head.header_len > size || head.header_len > 32 * 1024))
		abort();
	/* NPH output (and its head, for HEAD) is relayed as the script wrote it */
	if (rc == 1 && !(size >= 5 && !memcmp(buf, "HTTP/", 5)))
		check_head(&out);
	hbuf_free(&out);
	free(buf);
	return 0;
}
