/*
 * access_priv.h - the shared mapping's layout, for access.c (the checks on
 * the hot path) and access_shared.c (the mapping, service slots, ledgers).
 */
#ifndef SUPERD_ACCESS_PRIV_H
#define SUPERD_ACCESS_PRIV_H

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "access.h"
#include "counters.h"

#define ACCESS_MAX_SERVICES 1024
#define ACCESS_NAME_MAX 96
#define SOURCE_ENTRIES 65536u /* power of two */
#define SOURCE_PROBE 64u      /* entries looked at per key */
#define SOURCE_LOCKS 256u     /* insertion locks, striped by hash */
#define BURST_GAP_MS 1000     /* a burst of refusals ends after this quiet time */
#define SUMMARY_EVERY_MS 10000 /* while a burst lasts, one summary this often */
#define NVERDICTS (ACCESS_PROXY + 1)
#define DGRAM_SUMMARY_MS 60000 /* one UDP summary line per service this often */
#define LEDGERS 256           /* processes admitting at once (workers) */
#define LEDGER_SRC_PAGE 2048u /* src entries per 4 KiB page (src_pages bit) */
#define SVC_SEMS 4            /* named semaphores per service (access_sem.c) */
#define SEM_NAME_MAX 32
_Static_assert(SOURCE_ENTRIES / LEDGER_SRC_PAGE <= 32, "src_pages has 32 bits");

#define COUNT_MASK 0xffffffffull
#define COUNT_LOCKED 0xffffffffull /* entry is being re-keyed */

enum { SLOT_FREE = 0, SLOT_USED = 1 };

/** Refusal-log state for one service and one reason. */
struct refusal_log {
	_Atomic uint64_t last_ms;    /**< last refusal; 0: none yet */
	_Atomic uint64_t summary_ms; /**< when the burst's last line was written */
	_Atomic uint64_t suppressed; /**< refusals counted, not logged yet */
};

/** A service's UDP counts since its last summary line (access_dgram.c). */
struct dgram_stats {
	_Atomic uint64_t summary_ms; /**< last summary (0: counting not begun) */
	_Atomic uint64_t received;   /**< datagrams, dropped ones included */
	_Atomic uint64_t replies;    /**< reply datagrams sent */
	_Atomic uint64_t dropped[DGRAM_DROP_REASONS]; /**< by enum dgram_drop */
};

/** A service's shared state, found by name. */
struct svc_slot {
	uint32_t refs;           /**< access_svc objects bound to it (master) */
	char name[ACCESS_NAME_MAX];
	_Atomic uint64_t conns;  /**< open connections */
	_Atomic uint64_t tat_us; /**< GCRA state of `rate` */
	struct refusal_log log[NVERDICTS];
	struct dgram_stats udp;  /**< for the once-a-minute UDP summary */
	char sem_name[SVC_SEMS][SEM_NAME_MAX]; /**< "": unused (under slots_lock) */
	_Atomic uint64_t sem_held[SVC_SEMS];   /**< units held, all processes */
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

/**
 * What one process holds, written only by that process (its owner), read
 * when settling it after its death.  Pages are touched only as used.
 */
struct ledger {
	int32_t svc[ACCESS_MAX_SERVICES];         /**< connections per slot */
	uint32_t src_pages;                       /**< pages of src ever written */
	uint16_t src[SOURCE_ENTRIES];             /**< pins per source entry */
	uint32_t sem_used;                        /**< sem was ever written */
	int32_t sem[ACCESS_MAX_SERVICES][SVC_SEMS]; /**< semaphore units held */
};

/**
 * One service's counters in one process's slot (the process that owns the
 * ledger of the same index).  Only that process writes them (relaxed
 * loads and stores: no lock, no shared cache line); scrapes sum them over
 * every slot.  They outlive the process, so a dead worker's counts stay.
 */
struct svc_counters {
	_Atomic uint64_t accepted;
	_Atomic uint64_t refused[REFUSED_REASONS];
	_Atomic uint64_t bytes_in, bytes_out;
	_Atomic uint64_t closed;                   /**< durations counted */
	_Atomic uint64_t duration_us;              /**< their sum */
	_Atomic uint64_t duration[COUNTER_BUCKETS + 1]; /**< per bucket, +Inf last */
	_Atomic uint64_t datagrams;
	_Atomic uint64_t dgram_dropped[DGRAM_DROP_REASONS];
	_Atomic uint64_t http[COUNTER_HTTP_CODES + 1]; /**< per code, other last */
} __attribute__((aligned(64)));

/** Server-wide counts, written by the master. */
struct server_counters {
	_Atomic uint64_t workers;          /**< worker processes alive */
	_Atomic uint64_t worker_restarts;  /**< workers replaced after a death */
	_Atomic uint64_t reloads[2];       /**< [0] failed, [1] ok */
};

struct access_shared {
	size_t maplen;
	uint64_t seed;                /**< hash seed, random per server */
	_Atomic uint64_t global_max;  /**< 0: unlimited */
	_Atomic uint64_t global_conns;
	_Atomic int stopping;         /**< the master got SIGTERM/SIGINT */
	_Atomic int slots_lock;
	/* Scanned often, so kept apart from the big per-slot and per-ledger
	 * records: a scan then touches a page or two, not every record. */
	uint8_t slot_used[ACCESS_MAX_SERVICES];   /**< SLOT_FREE/SLOT_USED */
	uint64_t slot_hash[ACCESS_MAX_SERVICES];  /**< name hash of a used slot */
	_Atomic int ledger_owner[LEDGERS];        /**< pid; 0: free */
	_Atomic int locks[SOURCE_LOCKS];
	struct svc_slot slots[ACCESS_MAX_SERVICES];
	struct source_entry sources[SOURCE_ENTRIES];
	_Atomic int ledgers_lock;
	struct server_counters server;
	/** (ledger, slot) records ever written: a scrape reads only these. */
	_Atomic uint64_t ctr_touched[LEDGERS][ACCESS_MAX_SERVICES / 64];
	struct ledger ledgers[LEDGERS];
	struct svc_counters ctr[LEDGERS][ACCESS_MAX_SERVICES];
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

/* A 64-bit finaliser (good avalanche), for hashing keys and names. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/*
 * A lock shared by the master and the workers, held for a few stores only.
 * The word holds the holder's pid (0: free), because a worker can be
 * SIGKILLed while it holds the lock: a waiter that finds the holder gone
 * (reaped: kill() says ESRCH) takes the lock over instead of spinning for
 * ever.  A zombie still counts as alive until the master reaps it.
 */
static inline void spin_lock(_Atomic int *l)
{
	int me = (int)getpid(), holder, saved;
	unsigned spins = 0;

	for (;;) {
		holder = 0;
		if (atomic_compare_exchange_weak_explicit(l, &holder, me,
		                                          memory_order_acquire,
		                                          memory_order_relaxed))
			return;
		if (holder == 0 || ++spins <= 64)
			continue;
		sched_yield();
		if (spins % 256 != 0)
			continue;
		saved = errno;
		if (kill(holder, 0) < 0 && errno == ESRCH)
			atomic_compare_exchange_strong(l, &holder, 0);
		errno = saved;
	}
}

static inline void spin_unlock(_Atomic int *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

/* This process's ledger (claimed on first use; NULL when none is free). */
struct ledger *access_ledger_mine(struct access_shared *sh);
/* Give back the semaphore units of a dead process's ledger (access_sem.c). */
void access_sem_settle(struct access_shared *sh, struct ledger *lg);
/* No semaphore unit of the slot is held (it may be given to another name). */
int access_sem_idle(struct svc_slot *s);

#endif
