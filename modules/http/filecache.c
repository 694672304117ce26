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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filecache.h"

#define FC_SLOTS 256

/* FNV-1a over the path. */
static size_t path_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h % FC_SLOTS;
}

/* The fresh entry for path, or NULL. */
const struct fc_entry *filecache_get(struct filecache *fc, const char *path,
                                     size_t n, time_t now)
{
	struct fc_entry *e;

	if (!fc->slots || n >= FC_MAX_PATH)
		return NULL;
	e = &fc->slots[path_hash(path, n)];
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
	char *buf;
	ssize_t got;

	if (n >= FC_MAX_PATH || size > FC_MAX_FILE || head_len > FC_MAX_HEAD)
		return;
	if (!fc->slots && !(fc->slots = calloc(FC_SLOTS, sizeof(*fc->slots))))
		return;
	e = &fc->slots[path_hash(path, n)];
	buf = e->cap >= (size_t)size + head_len ? e->data : malloc((size_t)size + head_len + 1);
	if (!buf)
		return;
	do
		got = pread(fd, buf + head_len, (size_t)size, 0);
	while (got < 0 && errno == EINTR);
	if (got != size) {
		if (buf != e->data)
			free(buf);
		return;
	}
	if (buf != e->data) {
		free(e->data);
		e->data = buf;
		e->cap = (size_t)size + head_len + 1;
	}
	memcpy(e->data, head, head_len);
	e->head_len = head_len;
	e->body_len = (size_t)size;
	memcpy(e->path, path, n);
	e->path_len = n;
	e->checked = now;
}

void filecache_free(struct filecache *fc)
{
	if (!fc->slots)
		return;
	for (size_t i = 0; i < FC_SLOTS; i++)
		free(fc->slots[i].data);
	free(fc->slots);
	fc->slots = NULL;
}
