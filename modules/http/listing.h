/*
 * listing.h - directory listings built in pieces (listing.c) and sent as
 * the socket drains (listing_send.c).
 */
#ifndef SUPERD_HTTP_LISTING_H
#define SUPERD_HTTP_LISTING_H

#include <stddef.h>

struct hbuf;
struct mime_table;
struct http_listing;
struct listing_snap;

/** The order asked for with ?C=N|M|S&O=A|D. */
struct listing_order {
	char column;    /**< 'N' name (default), 'M' modified, 'S' size */
	int descending; /**< O=D */
};

/** Parse a query string (without '?'); unknown parameters are ignored. */
void http_listing_parse_order(const char *q, size_t n, struct listing_order *o);

/** Case-insensitive natural order of two names ("f2" before "f10"). */
int http_listing_name_cmp(const char *a, const char *b);

/** "1.5 KiB" for v bytes into out (>= 16 bytes); returns its length. */
size_t http_listing_human_size(unsigned long long v, char *out);

/** Snapshots shared by the listings open at once (a worker's table). */
#define LISTING_SNAPS 4
struct listing_snaps {
	struct listing_snap *slot[LISTING_SNAPS]; /**< weak: freed with their last listing */
};

/**
 * Read and sort the visible entries of dirfd (not taken), shown as
 * url_path (decoded, ends in '/'), or share them with a listing of the
 * same directory in the same order opened during this second (snaps may
 * be NULL).  css: a stylesheet URL to link instead of the built-in one
 * (kept, not copied), or NULL.  NULL on failure (errno set).
 */
struct http_listing *http_listing_open(struct listing_snaps *snaps, int dirfd,
                                       const char *url_path,
                                       size_t url_len,
                                       const struct listing_order *order,
                                       const struct mime_table *mime,
                                       const char *css);
/**
 * Append the next piece of the page to out: about budget bytes (a row is
 * never split).  Returns 1 when the page is complete, 0 when more
 * follows, -1 when out of memory.
 */
int http_listing_next(struct http_listing *l, struct hbuf *out, size_t budget);
/** Forget the table (the instance goes); open listings keep their snapshots. */
void http_listing_snaps_release(struct listing_snaps *t);
/** Entries listed (without "../"). */
size_t http_listing_count(const struct http_listing *l);
void http_listing_free(struct http_listing *l);

#endif
