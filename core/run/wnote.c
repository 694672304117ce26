/*
 * wnote.c - a worker's note for its death line (see wnote.h).
 */
#include "conf.h"

#include <sys/mman.h>

#include "wnote.h"

/* This worker's note; NULL in the master and in unit tests. */
static struct wnote *mine;

struct wnote *wnote_map(unsigned n)
{
	void *p = mmap(NULL, (n ? n : 1) * sizeof(struct wnote),
	               PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void wnote_unmap(struct wnote *notes, unsigned n)
{
	if (notes)
		munmap(notes, (n ? n : 1) * sizeof(struct wnote));
}

void wnote_attach(struct wnote *note)
{
	mine = note;
	if (mine) {
		mine->svc = 0;
		mine->cb = WN_NONE;
		mine->conns = 0;
	}
}

void wnote_enter(const struct superd_service *svc, enum wnote_cb cb)
{
	if (mine) {
		mine->svc = (uintptr_t)svc;
		mine->cb = cb;
	}
}

void wnote_leave(void)
{
	if (mine) {
		mine->cb = WN_NONE;
		mine->svc = 0;
	}
}

void wnote_conns(size_t n)
{
	if (mine)
		mine->conns = (uint32_t)n;
}

/* The callback's name as the death line says it. */
const char *wnote_cb_name(uint32_t cb)
{
	static const char *const names[] = {
		"no callback", "on_open", "on_data", "on_eof", "on_drain",
		"on_close", "on_datagram", "on_retire", "on_reopen", "a timer",
		"an fd watch", "a child-exit callback"
	};

	return cb < sizeof(names) / sizeof(names[0]) ? names[cb] : "?";
}
