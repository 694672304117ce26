/*
 * counters.c - the hot path of the per-service counters: each process
 * adds to its own record (the one of its ledger's index) with relaxed
 * loads and stores, as it is the record's only writer.  The scrape side
 * is counters_report.c.
 */
#include "access_priv.h"
#include "counters_priv.h"

/* Bucket upper bounds in microseconds (see counters_report.c for text). */
const uint64_t counter_bucket_us[COUNTER_BUCKETS] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
	2500000, 5000000, 10000000, 30000000, 60000000, 300000000,
};

/* The status codes counted one by one, ascending. */
const unsigned short counter_http_codes[COUNTER_HTTP_CODES] = {
	100, 101, 200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308,
	400, 401, 403, 404, 405, 406, 408, 409, 411, 412, 413, 414, 415,
	416, 417, 421, 429, 431, 500, 501, 502, 503, 504,
};

/* One writer per record: a relaxed load and store, no locked instruction. */
static inline void bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

/* This process's record for a's service (NULL: no ledger free). */
static struct svc_counters *mine(struct access_svc *a)
{
	struct access_shared *sh = a->sh;
	struct ledger *lg = access_ledger_mine(sh);
	size_t l;
	_Atomic uint64_t *t;
	uint64_t bit = 1ull << (a->slot_index % 64);

	if (!lg)
		return NULL;
	l = (size_t)(lg - sh->ledgers);
	t = &sh->ctr_touched[l][a->slot_index / 64];
	if (!(atomic_load_explicit(t, memory_order_relaxed) & bit))
		atomic_fetch_or(t, bit);
	return &sh->ctr[l][a->slot_index];
}

void counters_accepted(struct access_svc *a)
{
	struct svc_counters *c = mine(a);

	if (c)
		bump(&c->accepted, 1);
}

/* The reason label of an access verdict (REFUSED_REASONS: none). */
static enum counter_refusal reason_of(int v)
{
	switch (v) {
	case ACCESS_DENIED: return REFUSED_ACL;
	case ACCESS_LIMIT_GLOBAL:
	case ACCESS_LIMIT_SERVICE: return REFUSED_MAX_CONNECTIONS;
	case ACCESS_LIMIT_SOURCE: return REFUSED_PER_SOURCE;
	case ACCESS_RATE: return REFUSED_RATE;
	case ACCESS_RATE_SOURCE: return REFUSED_RATE_PER_SOURCE;
	case ACCESS_PROXY: return REFUSED_PROXY;
	default: return REFUSED_REASONS;
	}
}

void counters_refused(struct access_svc *a, int v)
{
	counters_refused_reason(a, reason_of(v));
}

void counters_refused_reason(struct access_svc *a, enum counter_refusal r)
{
	struct svc_counters *c;

	if (r >= REFUSED_REASONS || !(c = mine(a)))
		return;
	bump(&c->refused[r], 1);
}

void counters_closed(struct access_svc *a, uint64_t us, uint64_t in,
                     uint64_t out)
{
	struct svc_counters *c = mine(a);
	unsigned b = 0;

	if (!c)
		return;
	while (b < COUNTER_BUCKETS && us > counter_bucket_us[b])
		b++;
	bump(&c->duration[b], 1);
	bump(&c->closed, 1);
	bump(&c->duration_us, us);
	bump(&c->bytes_in, in);
	bump(&c->bytes_out, out);
}

void counters_datagram(struct access_svc *a, int v)
{
	struct svc_counters *c = mine(a);

	if (!c)
		return;
	bump(&c->datagrams, 1);
	if (v == ACCESS_OK)
		return;
	bump(&c->dgram_dropped[v == ACCESS_DENIED ? DGRAM_DROP_ACL
	                       : v == ACCESS_REFLECTION ? DGRAM_DROP_GUARD
	                       : DGRAM_DROP_RATE], 1);
}

void counters_http(struct access_svc *a, unsigned code)
{
	struct svc_counters *c = mine(a);
	unsigned lo = 0, hi = COUNTER_HTTP_CODES;

	if (!c)
		return;
	while (lo < hi) { /* binary search; hi ends at the code or "other" */
		unsigned mid = (lo + hi) / 2;

		if (counter_http_codes[mid] < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < COUNTER_HTTP_CODES && counter_http_codes[lo] != code)
		lo = COUNTER_HTTP_CODES;
	bump(&c->http[lo], 1);
}

void counters_workers(struct access_shared *sh, int delta)
{
	if (sh)
		atomic_fetch_add(&sh->server.workers, (uint64_t)(int64_t)delta);
}

void counters_worker_restart(struct access_shared *sh)
{
	if (sh)
		atomic_fetch_add(&sh->server.worker_restarts, 1);
}

void counters_reload(struct access_shared *sh, int ok)
{
	if (sh)
		atomic_fetch_add(&sh->server.reloads[ok ? 1 : 0], 1);
}

/* See counters.h: only records ever written are touched. */
void counters_clear_slot(struct access_shared *sh, unsigned slot)
{
	uint64_t bit = 1ull << (slot % 64);

	for (size_t l = 0; l < LEDGERS; l++) {
		_Atomic uint64_t *t = &sh->ctr_touched[l][slot / 64];

		if (!(atomic_load(t) & bit))
			continue;
		memset((void *)&sh->ctr[l][slot], 0, sizeof(sh->ctr[l][slot]));
		atomic_fetch_and(t, ~bit);
	}
}
