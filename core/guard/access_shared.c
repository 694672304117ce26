/*
 * access_shared.c - the shared mapping made before fork: service slots
 * found by name (counts survive a reload), and the per-process ledgers
 * that give back what a dead worker held.  The checks: access.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* getrandom */
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "access_priv.h"

/* Hash of a service name (FNV-1a, then mixed). */
static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return mix64(h);
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

/* ---- ledgers: what each process holds ---- */

/*
 * This process's ledger, claimed on first use.  Process-local on purpose:
 * a fork child forgets it (pthread_atfork), so each worker claims its own.
 */
static struct {
	const struct access_shared *sh;
	struct ledger *lg;
} mine;

static void ledger_forget(void)
{
	mine.sh = NULL;
	mine.lg = NULL;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void atfork_register(void)
{
	pthread_atfork(NULL, NULL, ledger_forget);
}

/* Give back everything a dead process held; free its ledger.  Locked. */
static void ledger_settle(struct access_shared *sh, size_t n)
{
	struct ledger *lg = &sh->ledgers[n];
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < ACCESS_MAX_SERVICES; i++) {
		if (lg->svc[i] <= 0)
			continue;
		atomic_fetch_sub(&sh->slots[i].conns, (uint64_t)lg->svc[i]);
		total += (uint64_t)lg->svc[i];
		lg->svc[i] = 0;
	}
	atomic_fetch_sub(&sh->global_conns, total);
	/* Only pages the owner wrote: reading the others would make them real. */
	for (i = 0; i < SOURCE_ENTRIES; i++) {
		if (!(lg->src_pages & (1u << (i / LEDGER_SRC_PAGE)))) {
			i += LEDGER_SRC_PAGE - 1;
			continue;
		}
		if (!lg->src[i])
			continue;
		atomic_fetch_sub(&sh->sources[i].word, lg->src[i]);
		lg->src[i] = 0;
	}
	lg->src_pages = 0;
	memset(lg->svc, 0, sizeof(lg->svc));
	access_sem_settle(sh, lg);
	atomic_store(&sh->ledger_owner[n], 0);
}

static int pid_gone(int pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/*
 * This process's ledger.  Claiming one settles the ledgers of processes
 * that are gone (and a stale one carrying our own, reused, pid).  NULL
 * when all are taken: then a crash of this process would leak its counts.
 */
struct ledger *access_ledger_mine(struct access_shared *sh)
{
	struct ledger *got = NULL;
	int me, saved = errno;
	size_t i;

	if (mine.sh == sh)
		return mine.lg;
	me = (int)getpid();
	spin_lock(&sh->ledgers_lock);
	for (i = 0; i < LEDGERS; i++) {
		int owner = atomic_load(&sh->ledger_owner[i]);

		if (owner && (owner == me || pid_gone(owner))) {
			ledger_settle(sh, i);
			owner = 0;
		}
		if (!owner && !got) {
			atomic_store(&sh->ledger_owner[i], me);
			got = &sh->ledgers[i];
		}
	}
	spin_unlock(&sh->ledgers_lock);
	mine.sh = sh;
	mine.lg = got;
	errno = saved;
	return got;
}

/* See access.h: settle a process the caller knows is gone. */
void access_reap(struct access_shared *sh, pid_t pid)
{
	size_t i;

	spin_lock(&sh->ledgers_lock);
	for (i = 0; i < LEDGERS; i++)
		if (atomic_load(&sh->ledger_owner[i]) == (int)pid)
			ledger_settle(sh, i);
	spin_unlock(&sh->ledgers_lock);
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
	pthread_once(&atfork_once, atfork_register);
	sh->maplen = len;
	sh->seed = seed;
	atomic_store(&sh->global_max, global_max);
	return sh;
}

void access_shared_set_global(struct access_shared *sh, unsigned long global_max)
{
	atomic_store(&sh->global_max, global_max);
}

/* The master got SIGTERM/SIGINT: say so to every process (see access.h). */
void access_shared_set_stopping(struct access_shared *sh)
{
	atomic_store_explicit(&sh->stopping, 1, memory_order_relaxed);
}

/* Has the server begun to stop (see access.h)? */
int access_shared_stopping(const struct access_shared *sh)
{
	return atomic_load_explicit(&sh->stopping, memory_order_relaxed);
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
		if (sh->slot_used[i] == SLOT_FREE) {
			if (!spare)
				spare = &sh->slots[i];
			continue;
		}
		s = &sh->slots[i];
		if (sh->slot_hash[i] == h && strncmp(s->name, name, ACCESS_NAME_MAX - 1) == 0)
			return s;
		if (!unused && s->refs == 0 && atomic_load(&s->conns) == 0 &&
		    access_sem_idle(s))
			unused = s;
	}
	if (!spare)
		spare = unused; /* never used beats recently used: no stale state */
	if (!spare)
		return NULL;
	memset(spare->log, 0, sizeof(spare->log));
	counters_clear_slot(sh, (unsigned)(spare - sh->slots));
	atomic_store(&spare->tat_us, 0);
	memset(spare->sem_name, 0, sizeof(spare->sem_name));
	spare->refs = 0;
	snprintf(spare->name, sizeof(spare->name), "%s", name);
	sh->slot_hash[spare - sh->slots] = h;
	sh->slot_used[spare - sh->slots] = SLOT_USED;
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
	gcra_params(conf->rate_per_source, &a->dg_iv, &a->dg_burst);

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

/* Connections open now: the whole server, and this service (for tests). */
unsigned long access_count_global(const struct access_shared *sh)
{
	return (unsigned long)atomic_load(&((struct access_shared *)sh)->global_conns);
}

unsigned long access_count_service(const struct access_svc *a)
{
	return (unsigned long)atomic_load(&a->slot->conns);
}
