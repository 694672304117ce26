/*
 * conftree.h - the YAML document as a tree of positioned nodes.
 *
 * The whole file is loaded with libyaml and copied into this tree so that
 * nothing else in superd sees a libyaml type.  Every node knows the file,
 * line and column it came from, which is how every configuration error is
 * reported as FILE:LINE:COLUMN.  Modules see these nodes as `superd_opt`.
 */
#ifndef SUPERD_CONFTREE_H
#define SUPERD_CONFTREE_H

#include <stddef.h>

#include "superd/module.h"

/** One node: a scalar, a sequence or a mapping (SUPERD_OPT_* kinds). */
struct superd_opt {
	int kind;            /**< SUPERD_OPT_SCALAR, _SEQ or _MAP */
	const char *file;    /**< file it came from (owned by the tree root) */
	unsigned line;       /**< 1-based line */
	unsigned col;        /**< 1-based column */
	char *str;           /**< scalar text (NUL-terminated), else NULL */
	size_t len;          /**< scalar length in bytes (may hold NULs: refused) */
	int quoted;          /**< scalar was quoted ('x' or "x"): never a bool/null */
	size_t n;            /**< items (seq) or pairs (map) */
	struct superd_opt **items; /**< seq items, or map values */
	struct superd_opt **keys;  /**< map keys (scalar nodes); NULL for seq */
};

/**
 * Load path into a tree.  On error prints "FILE:LINE:COLUMN: message" (or
 * "FILE: message") through diag and returns NULL.  An empty file or a file
 * with no document is an error.  Duplicate keys in a mapping are an error.
 */
struct superd_opt *conftree_load(const char *path);
/** Parse a buffer (for tests); name is used in messages. */
struct superd_opt *conftree_parse(const char *name, const char *buf, size_t len);
/** Free a tree returned by conftree_load/parse. */
void conftree_free(struct superd_opt *root);
/** Value for key in a map, or NULL. */
const struct superd_opt *conftree_get(const struct superd_opt *map, const char *key);

#endif
