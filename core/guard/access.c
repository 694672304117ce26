/*
 * access.c - allow/deny rules, connection and rate limits, the UDP
 * reflection guard, and refusal logging that never floods.
 *
 * Everything that must hold across worker processes lives in one shared
 * anonymous mapping made before fork (struct access_shared), updated with
 * C11 atomics:
 *   - the whole server's connection count;
 *   - one slot per service, found by name, so a service kept across a
 *     reload keeps its count; a slot holds the count, the service's rate
 *     state and its refusal-log state;
 *   - a fixed-size open-addressing table of (service slot, client address)
 *     entries for per_source and rate_per_source (the protocol is in the
 *     comments of source_find_pin and source_pin below).
 * Rates use GCRA (a token bucket in one word: the "theoretical arrival
 * time"), one compare-and-swap per check, with a burst of one second.
 * Connection counts are exact: increment, and give back if over.
 *
 * A worker that dies (a crashing module) cannot give its slots back, so
 * each process that admits keeps a ledger in the mapping of what it holds;
 * the ledger of a dead process is settled (its counts subtracted) by
 * access_reap(), or by the next process that claims a ledger.  Limits
 * follow process death, never leak.  The mapping, the service slots and
 * the ledgers are in access_shared.c; this file holds the checks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "access_priv.h"
#include "log.h"

/* ---- small helpers ---- */

/* Turn a peer address into a key; IPv4-mapped IPv6 counts as IPv4. */
static void peer_key_of(const struct sockaddr *sa, struct peer_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		k->family = AF_INET;
		memcpy(k->addr, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			k->family = AF_INET;
			memcpy(k->addr, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			k->family = AF_INET6;
			memcpy(k->addr, &s6->sin6_addr, 16);
		}
	}
}

/* The client's port, host order (0 when there is none). */
static unsigned peer_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

/*
 * GCRA: admit one event at now_us if the bucket allows it (interval iv,
 * burst tolerance burst), with one CAS on the shared state.  1 or 0.
 */
static int gcra_take(_Atomic uint64_t *tat, uint64_t now_us, uint64_t iv,
                     uint64_t burst)
{
	uint64_t t = atomic_load_explicit(tat, memory_order_relaxed);

	for (;;) {
		uint64_t base = t > now_us ? t : now_us;

		if (base - now_us > burst)
			return 0;
		if (atomic_compare_exchange_weak(tat, &t, base + iv))
			return 1;
	}
}

/* ---- the per-source table ---- */

/* The key words and hash of (service slot, address). */
static uint64_t source_key(const struct access_svc *a, const struct peer_key *pk,
                           uint64_t key[3])
{
	uint64_t h;

	key[0] = ((uint64_t)(a->slot_index + 1) << 8) | (unsigned)pk->family;
	memcpy(&key[1], pk->addr, 8);
	memcpy(&key[2], pk->addr + 8, 8);
	h = mix64(key[0] ^ a->sh->seed);
	h = mix64(h ^ key[1]);
	return mix64(h ^ key[2]);
}

static int source_key_is(struct source_entry *e, const uint64_t key[3])
{
	return atomic_load(&e->key[0]) == key[0] &&
	       atomic_load(&e->key[1]) == key[1] &&
	       atomic_load(&e->key[2]) == key[2];
}

/*
 * Look for key without locking and pin it (count + 1) if present.
 * Returns the entry and sets *count to the count after pinning, or NULL.
 */
static struct source_entry *source_find_pin(struct access_shared *sh,
                                            uint64_t h, const uint64_t key[3],
                                            uint64_t *count)
{
	unsigned i;

	for (i = 0; i < SOURCE_PROBE; i++) {
		struct source_entry *e = &sh->sources[(h + i) & (SOURCE_ENTRIES - 1)];
		uint64_t w = atomic_load(&e->word);

		for (;;) {
			if ((w & COUNT_MASK) >= COUNT_LOCKED - 1 || !source_key_is(e, key))
				break;
			if (atomic_compare_exchange_weak(&e->word, &w, w + 1)) {
				*count = (w & COUNT_MASK) + 1;
				return e;
			}
		}
	}
	return NULL;
}

/*
 * Pin the entry for key, inserting it if needed.  Insertions of one key
 * are serialised by a lock chosen by the key's hash, so a key never has
 * two entries; a free entry (count 0, rate idle) is re-keyed with a
 * generation bump.  NULL when the probe window is full.
 */
static struct source_entry *source_pin(struct access_shared *sh,
                                       const uint64_t key[3], uint64_t h,
                                       uint64_t now_us, uint64_t *count)
{
	_Atomic int *lock = &sh->locks[h % SOURCE_LOCKS];
	struct source_entry *e;
	unsigned i;

	e = source_find_pin(sh, h, key, count);
	if (e)
		return e;
	spin_lock(lock);
	e = source_find_pin(sh, h, key, count);
	for (i = 0; !e && i < SOURCE_PROBE; i++) {
		struct source_entry *c = &sh->sources[(h + i) & (SOURCE_ENTRIES - 1)];
		uint64_t w = atomic_load(&c->word);
		uint64_t gen = (w >> 32) + 1;

		if ((w & COUNT_MASK) != 0 || atomic_load(&c->tat_us) > now_us)
			continue;
		if (!atomic_compare_exchange_strong(&c->word, &w,
		                                    (gen << 32) | COUNT_LOCKED))
			continue;
		atomic_store(&c->key[0], key[0]);
		atomic_store(&c->key[1], key[1]);
		atomic_store(&c->key[2], key[2]);
		atomic_store(&c->tat_us, 0);
		atomic_store(&c->word, (gen << 32) | 1);
		*count = 1;
		e = c;
	}
	spin_unlock(lock);
	return e;
}

static void source_unpin(struct source_entry *e)
{
	atomic_fetch_sub(&e->word, 1);
}

/* ---- rules ---- */

/* Allow/deny only; deny wins; an empty allow list lets everyone in. */
int access_allowed(const struct access_svc *a, const struct sockaddr *peer)
{
	size_t i;
	int allowed;

	if (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)
		return 1;
	allowed = a->nallow == 0;
	for (i = 0; !allowed && i < a->nallow; i++)
		allowed = addr_cidr_match(&a->allow[i], peer);
	for (i = 0; allowed && i < a->ndeny; i++)
		if (addr_cidr_match(&a->deny[i], peer))
			allowed = 0;
	return allowed;
}

/* Take a whole-server and a service slot; the verdict says which was full. */
static enum access_verdict counts_take(struct access_svc *a, struct ledger *lg)
{
	struct access_shared *sh = a->sh;
	uint64_t gmax = atomic_load_explicit(&sh->global_max, memory_order_relaxed);

	if (atomic_fetch_add(&sh->global_conns, 1) >= gmax && gmax) {
		atomic_fetch_sub(&sh->global_conns, 1);
		return ACCESS_LIMIT_GLOBAL;
	}
	if (atomic_fetch_add(&a->slot->conns, 1) >= a->max_conns && a->max_conns) {
		atomic_fetch_sub(&a->slot->conns, 1);
		atomic_fetch_sub(&sh->global_conns, 1);
		return ACCESS_LIMIT_SERVICE;
	}
	if (lg)
		lg->svc[a->slot_index]++;
	return ACCESS_OK;
}

static void counts_give(struct access_svc *a, struct ledger *lg)
{
	atomic_fetch_sub(&a->slot->conns, 1);
	atomic_fetch_sub(&a->sh->global_conns, 1);
	if (lg && lg->svc[a->slot_index] > 0)
		lg->svc[a->slot_index]--;
}

/*
 * Per-source part of admit: rate_per_source and per_source on one pinned
 * entry; the pin is kept as the connection's per_source slot.
 */
static enum access_verdict source_admit(struct access_svc *a, struct ledger *lg,
                                        const struct peer_key *pk, uint64_t now_us)
{
	struct source_entry *e;
	uint64_t key[3], h, count;

	h = source_key(a, pk, key);
	e = source_pin(a->sh, key, h, now_us, &count);
	if (!e)
		return a->per_source ? ACCESS_LIMIT_SOURCE : ACCESS_OK;
	if (a->src_iv && !gcra_take(&e->tat_us, now_us, a->src_iv, a->src_burst)) {
		source_unpin(e);
		return ACCESS_RATE_SOURCE;
	}
	if (!a->per_source) {
		source_unpin(e);
		return ACCESS_OK;
	}
	if (count > a->per_source) {
		source_unpin(e);
		return ACCESS_LIMIT_SOURCE;
	}
	if (lg && lg->src[e - a->sh->sources] < UINT16_MAX) {
		size_t i = (size_t)(e - a->sh->sources);

		lg->src[i]++;
		lg->src_pages |= 1u << (i / LEDGER_SRC_PAGE);
	}
	return ACCESS_OK;
}

/* Rules, rates, then connection limits; see access.h. */
enum access_verdict access_admit(struct access_svc *a,
                                 const struct sockaddr *peer, uint64_t now_ms)
{
	uint64_t now_us = now_ms * 1000;
	enum access_verdict v;
	struct peer_key pk;
	struct ledger *lg;

	if ((a->nallow || a->ndeny) && !access_allowed(a, peer))
		return ACCESS_DENIED;
	if (a->rate_iv && !gcra_take(&a->slot->tat_us, now_us, a->rate_iv, a->rate_burst))
		return ACCESS_RATE;
	lg = access_ledger_mine(a->sh);
	v = counts_take(a, lg);
	if (v != ACCESS_OK || !(a->per_source || a->src_iv))
		return v;
	peer_key_of(peer, &pk);
	if (pk.family == 0)
		return ACCESS_OK;
	v = source_admit(a, lg, &pk, now_us);
	if (v != ACCESS_OK)
		counts_give(a, lg);
	return v;
}

/* Give back what access_admit took. */
void access_release(struct access_svc *a, const struct sockaddr *peer)
{
	struct ledger *lg = access_ledger_mine(a->sh);
	struct source_entry *e;
	struct peer_key pk;
	uint64_t key[3], h, count;

	counts_give(a, lg);
	if (!a->per_source)
		return;
	peer_key_of(peer, &pk);
	if (pk.family == 0)
		return;
	h = source_key(a, &pk, key);
	/* Find our entry (pinning it once more), then drop both pins. */
	e = source_find_pin(a->sh, h, key, &count);
	if (!e)
		return;
	atomic_fetch_sub(&e->word, count >= 2 ? 2 : 1);
	if (lg && lg->src[e - a->sh->sources] > 0)
		lg->src[e - a->sh->sources]--;
}

/* ---- datagrams ---- */

/*
 * The reflection guard: a reply to this source could be aimed at a third
 * party (spoofed small-service port, broadcast or multicast).  1: drop.
 */
static int reflection_risk(const struct sockaddr *peer)
{
	struct peer_key pk;
	unsigned port = peer_port(peer);

	if (port < 1024)
		return 1;
	peer_key_of(peer, &pk);
	if (pk.family == AF_INET) {
		const unsigned char *b = pk.addr;

		if (b[0] == 0 || (b[0] & 0xf0) == 0xe0)  /* 0/8, 224/4 */
			return 1;
		return b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255;
	}
	if (pk.family == AF_INET6) {
		static const unsigned char unspec[16];

		return pk.addr[0] == 0xff || memcmp(pk.addr, unspec, 16) == 0;
	}
	return 0;
}

/* Guard, rules, service rate, then per-source datagram rate. */
enum access_verdict access_datagram(struct access_svc *a,
                                    const struct sockaddr *peer, uint64_t now_ms)
{
	uint64_t now_us = now_ms * 1000, key[3], h, count;
	struct source_entry *e;
	struct peer_key pk;
	int ok;

	if (reflection_risk(peer))
		return ACCESS_REFLECTION;
	if ((a->nallow || a->ndeny) && !access_allowed(a, peer))
		return ACCESS_DENIED;
	if (a->rate_iv && !gcra_take(&a->slot->tat_us, now_us, a->rate_iv, a->rate_burst))
		return ACCESS_RATE;
	if (!a->dg_iv)
		return ACCESS_OK; /* no rate_per_source: no per-source work */
	peer_key_of(peer, &pk);
	if (pk.family == 0)
		return ACCESS_OK;
	h = source_key(a, &pk, key);
	e = source_pin(a->sh, key, h, now_us, &count);
	if (!e)
		return ACCESS_OK; /* table full: the cap is best effort */
	ok = gcra_take(&e->tat_us, now_us, a->dg_iv, a->dg_burst);
	source_unpin(e);
	return ok ? ACCESS_OK : ACCESS_RATE_SOURCE;
}

/* ---- refusal logging ---- */

const char *access_verdict_text(enum access_verdict v)
{
	switch (v) {
	case ACCESS_OK: return "admitted";
	case ACCESS_DENIED: return "denied by allow/deny";
	case ACCESS_LIMIT_GLOBAL: return "global max_connections reached";
	case ACCESS_LIMIT_SERVICE: return "max_connections reached";
	case ACCESS_LIMIT_SOURCE: return "per_source limit reached";
	case ACCESS_RATE: return "rate limit";
	case ACCESS_RATE_SOURCE: return "rate_per_source limit";
	case ACCESS_REFLECTION: return "reflection guard";
	case ACCESS_PROXY: return "no valid PROXY header";
	}
	return "refused";
}

/* The peer's address as text (IPv4-mapped shown as IPv4). */
static void peer_text(const struct sockaddr *peer, char *buf, size_t len)
{
	struct peer_key pk;

	peer_key_of(peer, &pk);
	if (pk.family == 0 || !inet_ntop(pk.family, pk.addr, buf, (socklen_t)len))
		snprintf(buf, len, "local client");
}

/* Write the count of refusals not logged yet, if any (one writer wins). */
static void refusal_summary(struct access_svc *a, enum access_verdict v,
                            const char *when)
{
	uint64_t n = atomic_exchange(&a->slot->log[v].suppressed, 0);

	if (n)
		log_msg(SUPERD_LOG_WARN, a->slot->name,
		        "%llu more connections refused (%s) %s",
		        (unsigned long long)n, access_verdict_text(v), when);
}

/* First refusal of a burst: logged; later ones: counted, summarised. */
void access_log_refusal(struct access_svc *a, enum access_verdict v,
                        const struct sockaddr *peer, uint64_t now_ms)
{
	struct refusal_log *r;
	uint64_t last, sum;
	char ip[INET6_ADDRSTRLEN];

	if (v <= ACCESS_OK || v >= NVERDICTS)
		return;
	r = &a->slot->log[v];
	now_ms |= 1; /* 0 means "never" */
	last = atomic_exchange(&r->last_ms, now_ms);
	if (last == 0 || (int64_t)(now_ms - last) >= BURST_GAP_MS) {
		refusal_summary(a, v, "in the previous burst");
		atomic_store(&r->summary_ms, now_ms);
		peer_text(peer, ip, sizeof(ip));
		log_msg(SUPERD_LOG_WARN, a->slot->name,
		        "refused %s port %u: %s (further refusals summarised)",
		        ip, peer_port(peer), access_verdict_text(v));
		return;
	}
	atomic_fetch_add(&r->suppressed, 1);
	sum = atomic_load(&r->summary_ms);
	if ((int64_t)(now_ms - sum) >= SUMMARY_EVERY_MS &&
	    atomic_compare_exchange_strong(&r->summary_ms, &sum, now_ms))
		refusal_summary(a, v, "in the last 10 s");
}

/* Summarise bursts that have ended; the runtime calls this now and then. */
void access_log_flush(struct access_svc *a, uint64_t now_ms)
{
	int v;

	for (v = ACCESS_OK + 1; v < NVERDICTS; v++) {
		struct refusal_log *r = &a->slot->log[v];
		uint64_t last = atomic_load(&r->last_ms);

		if (last && atomic_load(&r->suppressed) &&
		    (int64_t)(now_ms - last) >= BURST_GAP_MS)
			refusal_summary(a, (enum access_verdict)v, "in a burst that ended");
	}
}

