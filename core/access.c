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
 *     entries for per_source and rate_per_source (source.c-style details
 *     are in the comments of source_pin / source_insert below).
 * Rates use GCRA (a token bucket in one word: the "theoretical arrival
 * time"), one compare-and-swap per check, with a burst of one second.
 * Connection counts are exact: increment, and give back if over.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* getrandom */
#endif
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "log.h"

#define ACCESS_MAX_SERVICES 1024
#define ACCESS_NAME_MAX 96
#define SOURCE_ENTRIES 65536u /* power of two */
#define SOURCE_PROBE 64u      /* entries looked at per key */
#define SOURCE_LOCKS 256u     /* insertion locks, striped by hash */
#define DGRAM_SOURCE_CAP 1000 /* datagrams/s per source without rate_per_source */
#define BURST_GAP_MS 1000     /* a burst of refusals ends after this quiet time */
#define SUMMARY_EVERY_MS 10000 /* while a burst lasts, one summary this often */
#define NVERDICTS (ACCESS_REFLECTION + 1)

#define COUNT_MASK 0xffffffffull
#define COUNT_LOCKED 0xffffffffull /* entry is being re-keyed */

enum { SLOT_FREE = 0, SLOT_USED = 1 };

/** Refusal-log state for one service and one reason. */
struct refusal_log {
	_Atomic uint64_t last_ms;    /**< last refusal; 0: none yet */
	_Atomic uint64_t summary_ms; /**< when the burst's last line was written */
	_Atomic uint64_t suppressed; /**< refusals counted, not logged yet */
};

/** A service's shared state, found by name. */
struct svc_slot {
	_Atomic uint32_t state;  /**< SLOT_FREE or SLOT_USED (under slots_lock) */
	uint32_t refs;           /**< access_svc objects bound to it (master) */
	uint64_t name_hash;      /**< of the full name (names may be truncated) */
	char name[ACCESS_NAME_MAX];
	_Atomic uint64_t conns;  /**< open connections */
	_Atomic uint64_t tat_us; /**< GCRA state of `rate` */
	struct refusal_log log[NVERDICTS];
};

/**
 * One (service, address) entry.  word = generation << 32 | count.  count
 * is the number of holders (admitted connections, plus short pins while a
 * rate is checked); an entry may be re-keyed only while its count is 0 and
 * its rate state is idle, which bumps the generation, so a reader that
 * matched the old key can never pin the new one (its CAS fails).
 */
struct source_entry {
	_Atomic uint64_t word;
	_Atomic uint64_t key[3]; /**< (slot+1) << 8 | family, address halves */
	_Atomic uint64_t tat_us; /**< GCRA state of rate_per_source */
};

struct access_shared {
	size_t maplen;
	uint64_t seed;                /**< hash seed, random per server */
	_Atomic uint64_t global_max;  /**< 0: unlimited */
	_Atomic uint64_t global_conns;
	_Atomic int slots_lock;
	_Atomic int locks[SOURCE_LOCKS];
	struct svc_slot slots[ACCESS_MAX_SERVICES];
	struct source_entry sources[SOURCE_ENTRIES];
};

struct access_svc {
	struct access_shared *sh;
	struct svc_slot *slot;
	unsigned slot_index;
	pid_t owner;                  /**< process that bound the slot */
	uint64_t max_conns;           /**< 0: unlimited */
	uint64_t per_source;          /**< 0: unlimited */
	uint64_t rate_iv, rate_burst; /**< GCRA interval and tolerance, us */
	uint64_t src_iv, src_burst;   /**< same for rate_per_source (0: none) */
	uint64_t dg_iv, dg_burst;     /**< per-source datagram rate */
	struct cidr *allow;
	size_t nallow;
	struct cidr *deny;
	size_t ndeny;
};

/** A client address as a table key (IPv4-mapped IPv6 becomes IPv4). */
struct peer_key {
	int family; /**< AF_INET, AF_INET6, or 0 (no address: UNIX) */
	unsigned char addr[16];
};

/* ---- small helpers ---- */

/* A 64-bit finaliser (good avalanche), for hashing keys and names. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* Hash of a service name (FNV-1a, then mixed). */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return mix64(h);
}

/* Spin briefly, then yield: these locks are held for a few stores only. */
static void spin_lock(_Atomic int *l)
{
	unsigned spins = 0;

	while (atomic_exchange_explicit(l, 1, memory_order_acquire)) {
		while (atomic_load_explicit(l, memory_order_relaxed))
			if (++spins > 64)
				sched_yield();
	}
}

static void spin_unlock(_Atomic int *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

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

/* Interval and burst tolerance for `per_second` events/s (burst: 1 s). */
static void gcra_params(unsigned long per_second, uint64_t *iv, uint64_t *burst)
{
	if (per_second == 0) {
		*iv = *burst = 0;
		return;
	}
	*iv = 1000000ull / per_second;
	if (*iv == 0)
		*iv = 1;
	*burst = *iv * (per_second - 1);
}

/* ---- the shared mapping ---- */

/* Create the mapping (before fork) with a random hash seed. */
struct access_shared *access_shared_new(unsigned long global_max)
{
	size_t len = sizeof(struct access_shared);
	struct access_shared *sh;
	uint64_t seed;

	sh = mmap(NULL, len, PROT_READ | PROT_WRITE,
	          MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (sh == MAP_FAILED)
		return NULL;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	sh->maplen = len;
	sh->seed = seed;
	atomic_store(&sh->global_max, global_max);
	return sh;
}

void access_shared_set_global(struct access_shared *sh, unsigned long global_max)
{
	atomic_store(&sh->global_max, global_max);
}

void access_shared_free(struct access_shared *sh)
{
	if (sh)
		munmap(sh, sh->maplen);
}

/*
 * Find the slot named name, or claim a free one (or an unused one whose
 * connections are all gone).  Under slots_lock.  NULL: none left.
 */
static struct svc_slot *slot_bind(struct access_shared *sh, const char *name)
{
	uint64_t h = name_hash(name);
	struct svc_slot *spare = NULL, *unused = NULL, *s;
	size_t i;

	for (i = 0; i < ACCESS_MAX_SERVICES; i++) {
		s = &sh->slots[i];
		if (atomic_load(&s->state) == SLOT_FREE) {
			if (!spare)
				spare = s;
			continue;
		}
		if (s->name_hash == h && strncmp(s->name, name, ACCESS_NAME_MAX - 1) == 0)
			return s;
		if (!unused && s->refs == 0 && atomic_load(&s->conns) == 0)
			unused = s;
	}
	if (!spare)
		spare = unused; /* never used beats recently used: no stale state */
	if (!spare)
		return NULL;
	memset(spare->log, 0, sizeof(spare->log));
	atomic_store(&spare->tat_us, 0);
	spare->refs = 0;
	spare->name_hash = h;
	snprintf(spare->name, sizeof(spare->name), "%s", name);
	atomic_store(&spare->state, SLOT_USED);
	return spare;
}

/* Copy a CIDR list (the service's config may be freed before we are). */
static int cidrs_copy(const struct cidr *src, size_t n, struct cidr **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return -1;
	memcpy(*out, src, n * sizeof(**out));
	return 0;
}

/* Bind a service's rules and limits to its shared slot. */
struct access_svc *access_svc_new(struct access_shared *sh,
                                  const struct service_conf *conf)
{
	struct access_svc *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	if (cidrs_copy(conf->allow, conf->nallow, &a->allow) < 0 ||
	    cidrs_copy(conf->deny, conf->ndeny, &a->deny) < 0)
		goto undo_alloc;
	a->nallow = conf->nallow;
	a->ndeny = conf->ndeny;
	a->sh = sh;
	a->owner = getpid();
	a->max_conns = conf->max_connections;
	a->per_source = conf->per_source;
	gcra_params(conf->rate, &a->rate_iv, &a->rate_burst);
	gcra_params(conf->rate_per_source, &a->src_iv, &a->src_burst);
	gcra_params(conf->rate_per_source ? conf->rate_per_source : DGRAM_SOURCE_CAP,
	            &a->dg_iv, &a->dg_burst);

	spin_lock(&sh->slots_lock);
	a->slot = slot_bind(sh, conf->name);
	if (a->slot)
		a->slot->refs++;
	spin_unlock(&sh->slots_lock);
	if (!a->slot) {
		errno = ENOSPC;
		goto undo_alloc;
	}
	a->slot_index = (unsigned)(a->slot - sh->slots);
	return a;

undo_alloc:
	free(a->allow);
	free(a->deny);
	free(a);
	return NULL;
}

/* Unbind; only the process that bound it gives the slot reference back. */
void access_svc_free(struct access_svc *a)
{
	if (!a)
		return;
	if (a->owner == getpid()) {
		spin_lock(&a->sh->slots_lock);
		a->slot->refs--;
		spin_unlock(&a->sh->slots_lock);
	}
	free(a->allow);
	free(a->deny);
	free(a);
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
static enum access_verdict counts_take(struct access_svc *a)
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
	return ACCESS_OK;
}

static void counts_give(struct access_svc *a)
{
	atomic_fetch_sub(&a->slot->conns, 1);
	atomic_fetch_sub(&a->sh->global_conns, 1);
}

/*
 * Per-source part of admit: rate_per_source and per_source on one pinned
 * entry; the pin is kept as the connection's per_source slot.
 */
static enum access_verdict source_admit(struct access_svc *a,
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
	return ACCESS_OK;
}

/* Rules, rates, then connection limits; see access.h. */
enum access_verdict access_admit(struct access_svc *a,
                                 const struct sockaddr *peer, uint64_t now_ms)
{
	uint64_t now_us = now_ms * 1000;
	enum access_verdict v;
	struct peer_key pk;

	if ((a->nallow || a->ndeny) && !access_allowed(a, peer))
		return ACCESS_DENIED;
	if (a->rate_iv && !gcra_take(&a->slot->tat_us, now_us, a->rate_iv, a->rate_burst))
		return ACCESS_RATE;
	v = counts_take(a);
	if (v != ACCESS_OK || !(a->per_source || a->src_iv))
		return v;
	peer_key_of(peer, &pk);
	if (pk.family == 0)
		return ACCESS_OK;
	v = source_admit(a, &pk, now_us);
	if (v != ACCESS_OK)
		counts_give(a);
	return v;
}

/* Give back what access_admit took. */
void access_release(struct access_svc *a, const struct sockaddr *peer)
{
	struct source_entry *e;
	struct peer_key pk;
	uint64_t key[3], h, count;

	counts_give(a);
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

/* Connections open now: the whole server, and this service (for tests). */
unsigned long access_count_global(const struct access_shared *sh)
{
	return (unsigned long)atomic_load(&((struct access_shared *)sh)->global_conns);
}

unsigned long access_count_service(const struct access_svc *a)
{
	return (unsigned long)atomic_load(&a->slot->conns);
}
