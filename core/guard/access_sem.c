/*
 * access_sem.c - named counting semaphores per service, in the shared
 * mapping (exact across workers), with each process's units in its ledger
 * so that a dead worker's units are given back (access_shared.c).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "access_priv.h"

/*
 * The index of the semaphore called name in slot s, -1 when it has none;
 * with create, a free name is claimed for it (-1 + ENOSPC: none left).
 */
static int sem_find(struct access_shared *sh, struct svc_slot *s,
                    const char *name, int create)
{
	int i, got = -1, spare = -1;

	if (!name || !name[0] || strlen(name) >= SEM_NAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	spin_lock(&sh->slots_lock);
	for (i = 0; i < SVC_SEMS && got < 0; i++) {
		if (strcmp(s->sem_name[i], name) == 0)
			got = i;
		else if (!s->sem_name[i][0] && spare < 0)
			spare = i;
	}
	if (got < 0 && create && spare >= 0) {
		memcpy(s->sem_name[spare], name, strlen(name) + 1);
		got = spare;
	}
	spin_unlock(&sh->slots_lock);
	if (got < 0)
		errno = create ? ENOSPC : ENOENT;
	return got;
}

/* Take one unit if fewer than limit are held (see access.h). */
int access_sem_acquire(struct access_svc *a, const char *name,
                       unsigned long limit)
{
	int i = sem_find(a->sh, a->slot, name, 1);
	_Atomic uint64_t *held;
	struct ledger *lg;
	uint64_t cur;

	if (i < 0)
		return -1;
	held = &a->slot->sem_held[i];
	cur = atomic_load(held);
	do {
		if (cur >= limit)
			return 0;
	} while (!atomic_compare_exchange_weak(held, &cur, cur + 1));
	lg = access_ledger_mine(a->sh);
	if (lg) {
		lg->sem_used = 1;
		lg->sem[a->slot_index][i]++;
	}
	return 1;
}

/* Give back one unit this process holds (see access.h). */
void access_sem_release(struct access_svc *a, const char *name)
{
	int saved = errno, i = sem_find(a->sh, a->slot, name, 0);
	_Atomic uint64_t *held;
	struct ledger *lg;
	uint64_t cur;

	errno = saved;
	if (i < 0)
		return;
	held = &a->slot->sem_held[i];
	lg = access_ledger_mine(a->sh);
	if (lg) {
		if (lg->sem[a->slot_index][i] <= 0)
			return;
		lg->sem[a->slot_index][i]--;
		atomic_fetch_sub(held, 1);
		return;
	}
	cur = atomic_load(held);
	while (cur > 0 && !atomic_compare_exchange_weak(held, &cur, cur - 1))
		;
}

/* Units held now (see access.h). */
unsigned long access_sem_count(const struct access_svc *a, const char *name)
{
	int saved = errno, i = sem_find(a->sh, a->slot, name, 0);

	errno = saved;
	return i < 0 ? 0 : (unsigned long)atomic_load(&a->slot->sem_held[i]);
}

/* A dead process's units go back (ledgers_lock held, see access_priv.h). */
void access_sem_settle(struct access_shared *sh, struct ledger *lg)
{
	size_t s;
	int i;

	if (!lg->sem_used)
		return;
	for (s = 0; s < ACCESS_MAX_SERVICES; s++)
		for (i = 0; i < SVC_SEMS; i++) {
			if (lg->sem[s][i] > 0)
				atomic_fetch_sub(&sh->slots[s].sem_held[i],
				                 (uint64_t)lg->sem[s][i]);
			lg->sem[s][i] = 0;
		}
	lg->sem_used = 0;
}

/* No unit of any semaphore of s is held (see access_priv.h). */
int access_sem_idle(struct svc_slot *s)
{
	int i;

	for (i = 0; i < SVC_SEMS; i++)
		if (atomic_load(&s->sem_held[i]))
			return 0;
	return 1;
}
