/*
 * fuzz_proxy_parse.c - libFuzzer target for the PROXY protocol parser
 * (core/net/proxy.c).  Built with ./configure --enable-fuzz CC=clang; `make
 * fuzz` runs it after the http one (tests/fuzz/run.sh).
 *
 * Each input is parsed whole and in every prefix length the first byte
 * picks; a verdict must be stable: a header found complete has a length
 * inside the input, the same header is found in any longer input, and a
 * prefix never gets BAD when the whole got DONE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/net/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_result whole, part;
	const char *why;
	enum proxy_status st, st_whole;
	size_t cut;

	st_whole = proxy_parse(data, size, &whole, &why);
	if (st_whole == PROXY_DONE && (whole.len == 0 || whole.len > size ||
	                               whole.len > PROXY_HEADER_MAX))
		abort();
	if (st_whole == PROXY_BAD && !why)
		abort();
	if (size == 0)
		return 0;
	cut = data[0] % (size + 1);
	st = proxy_parse(data, cut, &part, &why);
	if (st_whole == PROXY_DONE) {
		/* Shorter than the header: more needed; else the same header. */
		if (cut < whole.len && st != PROXY_NEED_MORE)
			abort();
		if (cut >= whole.len && (st != PROXY_DONE || part.len != whole.len ||
		                         part.has_addr != whole.has_addr))
			abort();
	}
	if (st_whole == PROXY_NEED_MORE && st != PROXY_NEED_MORE)
		abort();
	return 0;
}
