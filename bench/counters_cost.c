/*
 * counters_cost.c - what the metrics counters add to one connection: the
 * hot-path calls a worker makes for an HTTP connection (accepted, closed
 * with its duration and bytes, one response), timed in a loop over the
 * real core library.  Not a test; see bench/README.md ("Counters").
 *
 *     make bench/counters_cost && ./bench/counters_cost
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "access.h"
#include "counters.h"

int main(void)
{
	struct access_shared *sh = access_shared_new(0);
	struct service_conf conf;
	struct access_svc *a;
	struct timespec t0, t1;
	const long n = 20000000;

	memset(&conf, 0, sizeof(conf));
	conf.name = (char *)"bench";
	conf.enabled = 1;
	a = sh ? access_svc_new(sh, &conf) : NULL;
	if (!a) {
		perror("counters_cost");
		return 1;
	}
	counters_accepted(a); /* claim the ledger outside the timing */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		counters_accepted(a);
		counters_closed(a, (uint64_t)i & 0xfffff, 100, 200);
		counters_http(a, 200);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.1f ns per connection (accepted + closed + one HTTP response)\n",
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	        (double)(t1.tv_nsec - t0.tv_nsec)) / (double)n);
	access_svc_free(a);
	access_shared_free(sh);
	return 0;
}
