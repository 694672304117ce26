/*
 * counters_priv.h - tables shared by counters.c (counting) and
 * counters_report.c (the scrape).
 */
#ifndef SUPERD_COUNTERS_PRIV_H
#define SUPERD_COUNTERS_PRIV_H

#include <stdint.h>
#include <string.h>

#include "counters.h"

/** Bucket upper bounds, microseconds. */
extern const uint64_t counter_bucket_us[COUNTER_BUCKETS];
/** HTTP codes counted one by one, ascending. */
extern const unsigned short counter_http_codes[COUNTER_HTTP_CODES];

#endif
