/*
 * filecache.c - a small per-worker cache of small files.
 *
 * The most common request of a small site is a plain GET of a small file.
 * Answering it from memory takes one read and one write instead of open,
 * fstat, pread and close as well.  The cache is direct-mapped (a path's
 * hash picks its one slot; a newcomer replaces the occupant), holds files
 * of at most FC_MAX_FILE bytes, and trusts an entry for the second it was
 * checked in: after that the next request takes the ordinary path (which
 * resolves the path beneath the root again and refills the slot), so a
 * changed, removed or re-linked file is noticed within a second, as with
 * lighttpd's stat cache.  Conditional and range requests never use it.
 * Each worker fills its own copy (the instance is copied by fork).
 *
 * The same structure keeps generated directory listings, by their
 * directory's path, under the same one-second rule; and, for larger
 * files, an open descriptor with the header fields, which saves the path
 * walk, fstat and close of each request for a big file (as lighttpd's
 * stat cache keeps descriptors).  Those descriptors are closed by a timer
 * once their second has passed, so a removed file is not held open for
 * long.  The `cache: false` option turns all of it off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filecache.h"

/* How often kept descriptors are checked for their second being over. */
#define SWEEP_MS 1000u

/* Set a cache up (see filecache.h). */
void filecache_init(struct filecache *fc, size_t nslots, size_t max_body,
                    const struct superd_host *host)
{
	fc->slots = NULL;
	fc->nslots = nslots;
	fc->max_body = max_body;
	fc->host = host;
	fc->sweep = NULL;
}

/* Empty slot e, closing its descriptor. */
static void slot_clear(struct fc_entry *e)
{
	e->path_len = 0;
	if (e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
	}
}

/* FNV-1a over the path. */
static size_t path_hash(const struct filecache *fc, const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h % fc->nslots;
}

/*
 * The slot for path, emptied, with room for head_len + body_len bytes in
 * its data (allocated on first use), or NULL when it cannot be kept.
 */
static struct fc_entry *slot_for(struct filecache *fc, const char *path,
                                 size_t n, size_t head_len, size_t body_len)
{
	struct fc_entry *e;
	size_t need = head_len + body_len + 1;

	if (!fc->nslots || n >= FC_MAX_PATH || body_len > fc->max_body ||
	    head_len > FC_MAX_HEAD)
		return NULL;
	if (!fc->slots) {
		if (!(fc->slots = calloc(fc->nslots, sizeof(*fc->slots))))
			return NULL;
		for (size_t i = 0; i < fc->nslots; i++)
			fc->slots[i].fd = -1;
	}
	e = &fc->slots[path_hash(fc, path, n)];
	slot_clear(e); /* invalid until filled */
	if (e->cap < need) {
		char *p = realloc(e->data, need);

		if (!p)
			return NULL;
		e->data = p;
		e->cap = need;
	}
	return e;
}

/* Mark a filled slot valid. */
static void slot_done(struct fc_entry *e, const char *path, size_t n,
                      time_t now, const char *head, size_t head_len,
                      size_t body_len)
{
	memcpy(e->data, head, head_len);
	e->head_len = head_len;
	e->body_len = body_len;
	memcpy(e->path, path, n);
	e->path_len = n;
	e->checked = now;
}

/* The fresh entry for path, or NULL. */
const struct fc_entry *filecache_get(struct filecache *fc, const char *path,
                                     size_t n, time_t now)
{
	struct fc_entry *e;

	if (!fc->slots || n >= FC_MAX_PATH)
		return NULL;
	e = &fc->slots[path_hash(fc, path, n)];
	if (e->path_len != n || e->checked != now || memcmp(e->path, path, n))
		return NULL;
	return e;
}

/* Remember a file answered in full; head holds its header fields. */
void filecache_put(struct filecache *fc, const char *path, size_t n,
                   time_t now, int fd, off_t size, const char *head,
                   size_t head_len)
{
	struct fc_entry *e;
	ssize_t got;

	if (size < 0 || (size_t)size > fc->max_body)
		return;
	e = slot_for(fc, path, n, head_len, (size_t)size);
	if (!e)
		return;
	do
		got = pread(fd, e->data + head_len, (size_t)size, 0);
	while (got < 0 && errno == EINTR);
	if (got == size)
		slot_done(e, path, n, now, head, head_len, (size_t)size);
}

/*
 * Close the descriptors whose second is over; keep the timer going while
 * any is left.
 */
static void sweep_fired(void *arg)
{
	struct filecache *fc = arg;
	time_t now = time(NULL);
	int left = 0;

	fc->sweep = NULL;
	for (size_t i = 0; i < fc->nslots; i++) {
		struct fc_entry *e = &fc->slots[i];

		if (e->fd < 0)
			continue;
		if (e->checked != now)
			slot_clear(e);
		else
			left = 1;
	}
	if (left)
		fc->sweep = fc->host->timer_add(SWEEP_MS, sweep_fired, fc);
}

/* Remember a file answered in full by a duplicate of its descriptor. */
void filecache_put_fd(struct filecache *fc, const char *path, size_t n,
                      time_t now, int fd, off_t size, const char *head,
                      size_t head_len)
{
	struct fc_entry *e;

	if (size < 0 || !fc->host)
		return;
	e = slot_for(fc, path, n, head_len, 0);
	if (!e)
		return;
	if (!fc->sweep &&
	    !(fc->sweep = fc->host->timer_add(SWEEP_MS, sweep_fired, fc)))
		return; /* without the sweep a removed file could stay open */
	e->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (e->fd < 0)
		return;
	slot_done(e, path, n, now, head, head_len, 0);
	e->body_len = (size_t)size;
}

/* Keep a generated body with its header fields. */
void filecache_put_mem(struct filecache *fc, const char *path, size_t n,
                       time_t now, const char *head, size_t head_len,
                       const char *body, size_t body_len)
{
	struct fc_entry *e = slot_for(fc, path, n, head_len, body_len);

	if (!e)
		return;
	memcpy(e->data + head_len, body, body_len);
	slot_done(e, path, n, now, head, head_len, body_len);
}

/* Free every slot (the instance goes away). */
void filecache_free(struct filecache *fc)
{
	if (fc->sweep) {
		fc->host->timer_cancel(fc->sweep);
		fc->sweep = NULL;
	}
	if (!fc->slots)
		return;
	for (size_t i = 0; i < fc->nslots; i++) {
		slot_clear(&fc->slots[i]);
		free(fc->slots[i].data);
	}
	free(fc->slots);
	fc->slots = NULL;
}
