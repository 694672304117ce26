/*
 * fuzz_http_parse.c - libFuzzer target for the http request parser and
 * the chunked-body decoder.  Built with ./configure --enable-fuzz CC=clang
 * (make fuzz runs it for a bounded time; see run.sh).
 *
 * The input is parsed as a request; every slice the parser returns must
 * lie inside the input, and the path normaliser must turn the target's
 * path into an absolute path with no "." or ".." segment and no NUL or
 * control byte (or refuse it).  Then the bytes after the header (or the whole
 * input) go through the chunked decoder in pieces whose sizes come from
 * the input's first byte, and the decoder must never report more output
 * than input, nor consume more than it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/http/parse.h"
#include "../../modules/http/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A slice is empty or lies inside [base, base + size). */
static void check_slice(struct http_slice s, const char *base, size_t size)
{
	if (s.p && s.n && (s.p < base || s.p + s.n > base + size) &&
	    !(s.n == 1 && s.p[0] == '/'))
		abort();
}

/* The normalised path is absolute, clean, and never climbs. */
static void fuzz_path(struct http_slice path)
{
	char out[1200];
	size_t n;

	if (path.n + 2 > sizeof(out) ||
	    http_path_normalize(path.p, path.n, out, sizeof(out), &n) != 0)
		return;
	if (n == 0 || out[0] != '/' || out[n] != '\0' || strlen(out) != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
	if (strstr(out, "//") || strstr(out, "/./") || strstr(out, "/../") ||
	    (n >= 2 && !strcmp(out + n - 2, "/.")) ||
	    (n >= 3 && !strcmp(out + n - 3, "/..")))
		abort();
}

static void fuzz_request(const char *buf, size_t size, size_t *body)
{
	struct http_limits lim;
	struct http_request req;
	int rc;

	http_limits_default(&lim);
	lim.max_line = 512; /* small limits reach the limit paths quickly */
	lim.max_header = 1024;
	rc = http_parse_request(buf, size, &lim, &req);
	*body = 0;
	if (rc != HTTP_PARSE_OK)
		return;
	if (req.header_len > size)
		abort();
	check_slice(req.target, buf, size);
	check_slice(req.path, buf, size);
	check_slice(req.query, buf, size);
	check_slice(req.host, buf, size);
	for (unsigned i = 0; i < req.nfields; i++) {
		check_slice(req.fields[i].name, buf, size);
		check_slice(req.fields[i].value, buf, size);
	}
	*body = req.header_len;
	if (!req.asterisk && req.method != HTTP_M_CONNECT)
		fuzz_path(req.path);
}

static void fuzz_chunked(char *buf, size_t size, size_t step)
{
	struct http_chunked ck;
	size_t off = 0;

	http_chunked_init(&ck, 1u << 20);
	while (off < size) {
		size_t n = size - off < step ? size - off : step, out, used;
		int rc = http_chunked_decode(&ck, buf + off, n, buf + off, &out, &used);

		if (used > n || out > used)
			abort();
		off += used;
		if (rc != 0 || used == 0)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	size_t body;

	if (size == 0)
		return 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	fuzz_request(buf, size - 1, &body);
	fuzz_chunked(buf + body, size - 1 - body, (size_t)(data[0] % 17) + 1);
	free(buf);
	return 0;
}
