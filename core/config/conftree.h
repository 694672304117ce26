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
	int quoted;          /**< scalar was not plain ('x', "x", | or >, or
	                          tagged !!str): never a bool or null */
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

/* Limits that keep a hostile file from exhausting memory, stack or time. */
#define CONFTREE_MAX_BYTES (8u << 20) /**< file size */
#define CONFTREE_MAX_DEPTH 64         /**< nested sequences/mappings */
#define CONFTREE_MAX_NODES 1000000u   /**< nodes in the whole tree */

/** Is o YAML's null: an unquoted empty, "~" or "null" scalar? */
int conftree_is_null(const struct superd_opt *o);
/**
 * A boolean scalar: unquoted true/false, yes/no, on/off (any case).
 * 0 and *out set, or -1 (not a boolean; nothing reported).
 */
int conftree_bool(const struct superd_opt *o, int *out);
/**
 * A scalar of decimal digits only (no sign, no spaces).  0 and *out set;
 * -1: not digits (or not a scalar); -2: too large.  Nothing reported.
 */
int conftree_uint(const struct superd_opt *o, unsigned long long *out);
/**
 * What a node is, for "expected X, got Y" messages: "a list", "a mapping",
 * "nothing" (null) or the scalar quoted and shortened ('abc').
 */
const char *conftree_what(const struct superd_opt *o, char *buf, size_t size);

#endif
