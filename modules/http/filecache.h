/*
 * filecache.h - a small per-worker cache of small files (see filecache.c).
 */
#ifndef SUPERD_HTTP_FILECACHE_H
#define SUPERD_HTTP_FILECACHE_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define FC_MAX_FILE (16 * 1024) /**< larger files are not cached */
#define FC_MAX_PATH 256         /**< nor are longer paths */
#define FC_MAX_HEAD 512         /**< header fields kept with a file */

/** One cached file: its header fields, then its bytes, in data. */
struct fc_entry {
	char path[FC_MAX_PATH]; /**< the decoded, normalised URL path */
	size_t path_len;        /**< 0: empty slot */
	time_t checked;         /**< the second the entry is good for */
	char *data;             /**< head_len bytes of fields, then the body */
	size_t cap;
	size_t head_len;        /**< "Content-Type: ...\r\n...ETag: ...\r\n" */
	size_t body_len;
};

/** The cache: slots allocated on first use. */
struct filecache {
	struct fc_entry *slots;
};

/** The entry for path, if it was filled or checked during second now. */
const struct fc_entry *filecache_get(struct filecache *fc, const char *path,
                                     size_t n, time_t now);
/**
 * Keep the file fd (size bytes, read from offset 0) with its header
 * fields head for path, good for second now.  Silently does nothing when
 * the file or path is too large or memory is short.
 */
void filecache_put(struct filecache *fc, const char *path, size_t n,
                   time_t now, int fd, off_t size, const char *head,
                   size_t head_len);
void filecache_free(struct filecache *fc);

#endif
