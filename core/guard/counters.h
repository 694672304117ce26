/*
 * counters.h - per-service counters for the metrics module: accepted and
 * refused connections (by reason), bytes, durations, datagrams, HTTP
 * responses; plus server-wide counts the master keeps (workers, restarts,
 * reloads).  They live in the access layer's shared mapping, in one slot
 * per process, so the hot path never shares a cache line or takes a lock
 * and a process's death loses nothing; services keep theirs across a
 * reload (they are found by name).  counters_report() sums every slot.
 */
#ifndef SUPERD_COUNTERS_H
#define SUPERD_COUNTERS_H

#include <stdint.h>

#include "superd/module.h"

struct access_shared;
struct access_svc;

/** Why a connection was refused, as superd_connections_refused_total says. */
enum counter_refusal {
	REFUSED_ACL,
	REFUSED_MAX_CONNECTIONS,
	REFUSED_PER_SOURCE,
	REFUSED_RATE,
	REFUSED_RATE_PER_SOURCE,
	REFUSED_PROXY,
	REFUSED_TLS,
	REFUSED_REASONS
};

/** Histogram buckets of connection durations (upper bounds, seconds). */
#define COUNTER_BUCKETS 14
/** HTTP status codes counted one by one; others are counted as "other". */
#define COUNTER_HTTP_CODES 36

/** A stream connection was admitted (access_admit said OK). */
void counters_accepted(struct access_svc *a);
/** A stream connection was refused with verdict v (an access_verdict). */
void counters_refused(struct access_svc *a, int v);
/** Count a refusal by reason directly (e.g. REFUSED_TLS). */
void counters_refused_reason(struct access_svc *a, enum counter_refusal r);
/** A connection ended after us microseconds with these application bytes. */
void counters_closed(struct access_svc *a, uint64_t us, uint64_t in,
                     uint64_t out);
/** A datagram arrived; v: its verdict (ACCESS_OK: handed to the module). */
void counters_datagram(struct access_svc *a, int v);
/** An HTTP response with this status was sent. */
void counters_http(struct access_svc *a, unsigned code);

/** Master: workers alive changed by delta. */
void counters_workers(struct access_shared *sh, int delta);
/** Master: a worker died and is being replaced. */
void counters_worker_restart(struct access_shared *sh);
/** Master: a reload ended (ok: 1 applied, 0 refused). */
void counters_reload(struct access_shared *sh, int ok);

/**
 * Zero a service slot's counters in every process slot (a slot taken
 * over by a new service name).  Under the slots lock, in the master.
 */
void counters_clear_slot(struct access_shared *sh, unsigned slot);

/** 1 once the master has begun to stop (its shared flag). */
int counters_stopping(const struct access_svc *a);
/**
 * Hand every metric sample to cb: the server's families, then per
 * service (every service bound now), summed over all process slots.
 */
void counters_report(const struct access_svc *a, superd_metric_cb *cb,
                     void *arg);

#endif
