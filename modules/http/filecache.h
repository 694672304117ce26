/*
 * filecache.h - a small per-worker cache of small files (see filecache.c).
 */
#ifndef SUPERD_HTTP_FILECACHE_H
#define SUPERD_HTTP_FILECACHE_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "superd/module.h"

#define FC_MAX_FILE (16 * 1024) /**< larger files are not cached */
#define FC_MAX_LISTING (1024 * 1024) /**< nor larger listings */
#define FC_MAX_PATH 256         /**< nor are longer paths */
#define FC_MAX_HEAD 512         /**< header fields kept with a file */
#define FC_FD_SLOTS 16          /**< larger files kept open, per site */

/**
 * One cached file: its header fields, then its bytes, in data; or, for a
 * larger file, its header fields and an open descriptor of it.
 */
struct fc_entry {
	char path[FC_MAX_PATH]; /**< the decoded, normalised URL path */
	size_t path_len;        /**< 0: empty slot */
	time_t checked;         /**< the second the entry is good for */
	char *data;             /**< head_len bytes of fields, then the body */
	size_t cap;
	size_t head_len;        /**< "Content-Type: ...\r\n...ETag: ...\r\n" */
	size_t body_len;
	int fd;                 /**< the file, body_len bytes; -1: body in data */
};

/** The cache: slots allocated on first use. */
struct filecache {
	struct fc_entry *slots;
	size_t nslots;   /**< 0: the cache is off */
	size_t max_body; /**< largest body kept in memory */
	const struct superd_host *host; /**< for the sweep of descriptors */
	superd_timer *sweep; /**< closes descriptors past their second */
};

/**
 * Set a cache up (nothing is allocated yet); nslots 0 turns it off.  host
 * is needed by caches of descriptors (filecache_put_fd), may be NULL
 * otherwise.
 */
void filecache_init(struct filecache *fc, size_t nslots, size_t max_body,
                    const struct superd_host *host);

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
/**
 * Keep a duplicate of fd (a file of size bytes) with its header fields
 * head for path, good for second now.  A timer closes descriptors whose
 * second has passed, within two seconds of their last use, so that a
 * removed file does not stay open.  Silently does nothing when the path
 * is too long or no descriptor or memory is left.
 */
void filecache_put_fd(struct filecache *fc, const char *path, size_t n,
                      time_t now, int fd, off_t size, const char *head,
                      size_t head_len);
/** Keep a generated body (a listing) with its header fields. */
void filecache_put_mem(struct filecache *fc, const char *path, size_t n,
                       time_t now, const char *head, size_t head_len,
                       const char *body, size_t body_len);
void filecache_free(struct filecache *fc);

#endif
