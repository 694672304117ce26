/*
 * suggest.h - help for an unknown key: the nearest known key by edit
 * distance ("per_sorce" -> "per_source"), or, for a name xinetd uses,
 * what superd calls it ("only_from" -> "allow").
 */
#ifndef SUPERD_SUGGEST_H
#define SUPERD_SUGGEST_H

#include <stddef.h>

/**
 * Text to append to "unknown key 'KEY'": " (did you mean 'per_source'?)",
 * " (xinetd's only_from is 'allow' here)" or "" when nothing is close.
 * known is NULL-terminated (may be NULL); xinetd: also look the key up
 * among xinetd's attribute names (service, defaults and global keys, not
 * a module's options).  Returns buf.
 */
const char *conf_suggest(const char *key, const char *const *known,
                         int xinetd, char *buf, size_t size);
/** Edit distance between a and b (insert, delete, change, swap two
 * neighbours: one each); 255 for keys longer than 64. */
unsigned conf_edit_distance(const char *a, const char *b);

#endif
