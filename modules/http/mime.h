/*
 * mime.h - Content-Type by file name extension.
 *
 * A built-in table of the common web types (text types carry
 * "; charset=utf-8"), extended by a mime.types file (format: a type, then
 * its extensions, '#' comments) when one is present.  The built-in entry
 * wins where both name an extension.  Lookup is case-insensitive, by the
 * text after the last dot of the last path segment; anything unknown is
 * application/octet-stream.
 */
#ifndef SUPERD_HTTP_MIME_H
#define SUPERD_HTTP_MIME_H

#include <stddef.h>

/** The type used when nothing matches. */
#define HTTP_MIME_DEFAULT "application/octet-stream"

/** One extension -> type mapping. */
struct mime_entry {
	const char *ext;  /**< lower case, without the dot */
	const char *type; /**< the Content-Type value */
	unsigned seq;     /**< insertion order, for "first wins" */
};

/** A lookup table (sorted by ext). */
struct mime_table {
	struct mime_entry *entries;
	size_t count;
	char *file_text; /**< the mime.types file, tokenised in place */
};

/**
 * Build the table: the built-in list, then path (a mime.types file; NULL
 * or missing: built-in only).  0, or -1 when out of memory.
 */
int mime_table_init(struct mime_table *t, const char *path);
void mime_table_free(struct mime_table *t);

/** The type for a file name or path (never NULL). */
const char *mime_lookup(const struct mime_table *t, const char *name,
                        size_t len);

#endif
