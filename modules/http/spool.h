/*
 * spool.h - a request body kept for a CGI program: in memory (a memfd)
 * while small, then in an unlinked temporary file in a configured
 * directory, so that a large upload costs disk, not memory.
 */
#ifndef SUPERD_HTTP_SPOOL_H
#define SUPERD_HTTP_SPOOL_H

#include <stddef.h>
#include <stdint.h>

/** Bodies up to this many bytes stay in memory. */
#define SPOOL_MEM_MAX (64u * 1024u)

/** A body being collected; fd -1 when there is none. */
struct http_spool {
	int fd;      /**< the memfd or the temporary file, -1: none */
	uint64_t len; /**< bytes written */
	int on_disk; /**< fd is the temporary file */
};

/** Start an empty spool in memory.  0, or -1 with errno set. */
int spool_open(struct http_spool *sp);
/**
 * Append n bytes; past SPOOL_MEM_MAX the content moves to an unlinked
 * file in dir (O_TMPFILE where the file system has it).  0 or -1 (errno).
 */
int spool_write(struct http_spool *sp, const char *dir, const char *p,
                size_t n);
/** Hand over the fd, rewound to the start; the spool becomes empty. */
int spool_take(struct http_spool *sp);
/** Drop the spool (its fd, if any). */
void spool_close(struct http_spool *sp);

#endif
