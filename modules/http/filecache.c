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
 * directory's path, under the same one-second rule.  The `cache: false`
 * option turns both off.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filecache.h"

/* Set a cache up (see filecache.h). */
void filecache_init(struct filecache *fc, size_t nslots, size_t max_body)
{
	fc->slots = NULL;
	fc->nslots = nslots;
	fc->max_body = max_body;
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
 * The slot for path with room for len bytes in its data (allocated on
 * first use), or NULL when it cannot be kept.
 */
static struct fc_entry *slot_for(struct filecache *fc, const char *path,
                                 size_t n, size_t head_len, size_t body_len)
{
	struct fc_entry *e;
	size_t need = head_len + body_len + 1;

	if (!fc->nslots || n >= FC_MAX_PATH || body_len > fc->max_body ||
	    head_len > FC_MAX_HEAD)
		return NULL;
	if (!fc->slots && !(fc->slots = calloc(fc->nslots, sizeof(*fc->slots))))
		return NULL;
	e = &fc->slots[path_hash(fc, path, n)];
	e->path_len = 0; /* invalid until filled */
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
	if (!fc->slots)
		return;
	for (size_t i = 0; i < fc->nslots; i++)
		free(fc->slots[i].data);
	free(fc->slots);
	fc->slots = NULL;
}
