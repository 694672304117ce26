/*
 * access_dgram.c - the UDP summary: per service, in the shared mapping,
 * so every worker's datagrams add up to one line a minute (xinetd logs
 * each datagram service start; one line per datagram would flood).
 */
#include <inttypes.h>

#include "access_priv.h"
#include "log.h"

void access_dgram_count(struct access_svc *a, enum access_verdict v,
                        unsigned replies)
{
	struct dgram_stats *st = &a->slot->udp;

	counters_datagram(a, v);
	atomic_fetch_add_explicit(&st->received, 1, memory_order_relaxed);
	if (v == ACCESS_OK) {
		atomic_fetch_add_explicit(&st->replies, replies, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&st->dropped[v == ACCESS_DENIED ? DGRAM_DROP_ACL
	                          : v == ACCESS_REFLECTION ? DGRAM_DROP_GUARD
	                          : DGRAM_DROP_RATE], 1, memory_order_relaxed);
}

void access_dgram_summary(struct access_svc *a, uint64_t now_ms, int force)
{
	struct dgram_stats *st = &a->slot->udp;
	uint64_t last = atomic_load(&st->summary_ms), n, replies, d[DGRAM_DROP_REASONS];

	now_ms |= 1; /* 0 means "not begun" */
	if (force) {
		last = atomic_exchange(&st->summary_ms, now_ms);
	} else if (last == 0) { /* the first period starts now */
		atomic_compare_exchange_strong(&st->summary_ms, &last, now_ms);
		return;
	} else if (now_ms - last < DGRAM_SUMMARY_MS ||
	           !atomic_compare_exchange_strong(&st->summary_ms, &last, now_ms)) {
		return; /* not yet, or another worker writes this period's line */
	}
	n = atomic_exchange(&st->received, 0);
	replies = atomic_exchange(&st->replies, 0);
	for (int i = 0; i < DGRAM_DROP_REASONS; i++)
		d[i] = atomic_exchange(&st->dropped[i], 0);
	if (n == 0)
		return;
	log_msg(SUPERD_LOG_INFO, a->slot->name, "udp: %" PRIu64 " datagrams, %"
	        PRIu64 " replies, %" PRIu64 " dropped (acl %" PRIu64 ", guard %"
	        PRIu64 ", rate %" PRIu64 ") in the last %" PRIu64 " s", n, replies,
	        d[0] + d[1] + d[2], d[0], d[1], d[2],
	        last ? (now_ms - last + 500) / 1000 : 0);
}
