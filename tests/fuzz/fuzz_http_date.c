/*
 * fuzz_http_date.c - libFuzzer target for the HTTP date parser
 * (IMF-fixdate, RFC 850 and asctime; modules/http/response.c).
 *
 * Any input is parsed; an accepted date, formatted as IMF-fixdate and
 * parsed again, must give the same time (so a date the server writes is
 * one it reads back, and no input makes the parser read past its end:
 * the input is copied into an exact-size buffer for ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../modules/http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1), out[64];
	time_t t;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	t = http_date_parse(buf, size);
	/* years 0000 to 9999 have a four-digit IMF-fixdate */
	if (t != (time_t)-1 && t >= -62167219200LL && t < 253402300800LL) {
		http_date_format(t, out, sizeof(out));
		if (http_date_parse(out, strlen(out)) != t)
			abort();
	}
	free(buf);
	return 0;
}
