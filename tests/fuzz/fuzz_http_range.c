/*
 * fuzz_http_range.c - libFuzzer target for the Range and conditional
 * request fields (modules/http/range.c).
 *
 * The input's first 5 bytes give a file size (up to 2^40), the next one
 * where to split the rest into a Range value and an If-None-Match /
 * If-Modified-Since / If-Range value.  Every range returned must lie in
 * the file, be non-empty, and the list must be ascending with gaps
 * between ranges (merged), at most HTTP_RANGES_MAX long; the conditional
 * checks must not read outside their input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/http/http.h"
#include "../../modules/http/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Ranges parsed from v against size must be sane (see above). */
static void check_ranges(struct http_slice v, int64_t size)
{
	struct http_range r[HTTP_RANGES_MAX];
	int n = http_range_parse(v, size, r);

	if (n == 0 || n == 416)
		return;
	if (n < 0 || n > HTTP_RANGES_MAX)
		abort();
	for (int i = 0; i < n; i++) {
		if (r[i].off < 0 || r[i].len < 1 || r[i].off + r[i].len > size)
			abort();
		if (i && r[i].off <= r[i - 1].off + r[i - 1].len)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req;
	struct http_slice range, cond;
	int64_t fsize = 0;
	size_t split;
	char *buf;

	if (size < 6)
		return 0;
	for (int i = 0; i < 5; i++)
		fsize = fsize << 8 | data[i];
	size -= 6;
	split = size ? data[5] % (size + 1) : 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 6, size);
	range = (struct http_slice){ buf, split };
	cond = (struct http_slice){ buf + split, size - split };
	check_ranges(range, fsize);
	memset(&req, 0, sizeof(req));
	req.if_none_match = cond;
	http_not_modified(&req, "\"5f00-1a\"", (time_t)fsize);
	req.if_none_match = (struct http_slice){ NULL, 0 };
	req.if_modified_since = cond;
	req.ims_count = 1;
	http_not_modified(&req, "\"5f00-1a\"", (time_t)fsize);
	http_if_range_holds(cond, "\"5f00-1a\"", (time_t)fsize);
	free(buf);
	return 0;
}
