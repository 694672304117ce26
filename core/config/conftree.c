/*
 * conftree.c - load a YAML file into a tree of positioned nodes.
 *
 * We read libyaml's event stream (not its document API) and build our own
 * nodes as events arrive.  That way every limit is enforced before memory is
 * spent: nesting depth, node count and file size are bounded, aliases are
 * refused at their own position (so a "billion laughs" file costs nothing),
 * and a second document is reported where it starts.  Nothing outside this
 * file sees a libyaml type.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "conftree.h"
#include "diag.h"

/* One open sequence or mapping while its events arrive. */
struct build_frame {
	struct superd_opt *node; /* the container being filled */
	size_t cap;              /* allocated slots in items (and keys) */
	struct superd_opt *key;  /* a mapping's key waiting for its value */
};

/* Everything the event handlers share. */
struct builder {
	char *file;              /* owned name; handed to the root node */
	const char *buf;         /* the input, to place reader errors */
	size_t len;
	struct superd_opt *root;
	struct build_frame stack[CONFTREE_MAX_DEPTH];
	size_t depth;
	size_t nodes;
	int documents;
	int failed;              /* an error was reported; keep parsing */
};

/* Free a node and everything below it (depth is bounded by the builder). */
static void node_free(struct superd_opt *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++) {
		node_free(o->items[i]);
		if (o->keys)
			node_free(o->keys[i]);
	}
	free(o->items);
	free(o->keys);
	free(o->str);
	free(o);
}

void conftree_free(struct superd_opt *root)
{
	char *file;

	if (!root)
		return;
	file = (char *)root->file;
	node_free(root);
	free(file);
}

/* A new node of kind at a libyaml mark (0-based there, 1-based here). */
static struct superd_opt *node_new(struct builder *b, int kind,
                                   const yaml_mark_t *mark)
{
	struct superd_opt *o;

	if (b->nodes >= CONFTREE_MAX_NODES) {
		diag_pos(b->file, (unsigned)mark->line + 1,
		         (unsigned)mark->column + 1,
		         "too many YAML nodes (more than %u)", CONFTREE_MAX_NODES);
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (!o) {
		diag_pos(b->file, 0, 0, "out of memory");
		return NULL;
	}
	b->nodes++;
	o->kind = kind;
	o->file = b->file;
	o->line = (unsigned)mark->line + 1;
	o->col = (unsigned)mark->column + 1;
	return o;
}

/* Make room for one more item (and key) in a frame's container. */
static int frame_grow(struct builder *b, struct build_frame *f)
{
	struct superd_opt *c = f->node;
	size_t cap = f->cap ? f->cap * 2 : 4;
	struct superd_opt **items, **keys;

	if (c->n < f->cap)
		return 0;
	items = realloc(c->items, cap * sizeof(*items));
	if (!items)
		goto out_of_memory;
	c->items = items;
	if (c->kind == SUPERD_OPT_MAP) {
		keys = realloc(c->keys, cap * sizeof(*keys));
		if (!keys)
			goto out_of_memory;
		c->keys = keys;
	}
	f->cap = cap;
	return 0;
out_of_memory:
	diag_pos(b->file, 0, 0, "out of memory");
	return -1;
}

/*
 * Hang a finished (or just opened) node under the innermost container, or
 * make it the root.  Takes ownership of o in every case.
 */
static int node_attach(struct builder *b, struct superd_opt *o)
{
	struct build_frame *f;

	if (b->depth == 0) {
		b->root = o;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == SUPERD_OPT_MAP && !f->key) {
		if (o->kind != SUPERD_OPT_SCALAR) {
			diag_at(o, "a mapping key must be a string, not %s",
			        o->kind == SUPERD_OPT_SEQ ? "a list" : "a mapping");
			node_free(o);
			return -1;
		}
		f->key = o;
		return 0;
	}
	if (frame_grow(b, f) < 0) {
		node_free(o);
		return -1;
	}
	if (f->node->kind == SUPERD_OPT_MAP) {
		f->node->keys[f->node->n] = f->key;
		f->key = NULL;
	}
	f->node->items[f->node->n++] = o;
	return 0;
}

/* A scalar event: copy its text; NUL bytes inside are an error. */
static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t len = ev->data.scalar.length;
	struct superd_opt *o = node_new(b, SUPERD_OPT_SCALAR, &ev->start_mark);

	if (!o)
		return -1;
	o->str = malloc(len + 1);
	if (!o->str) {
		node_free(o);
		diag_pos(b->file, 0, 0, "out of memory");
		return -1;
	}
	memcpy(o->str, ev->data.scalar.value, len);
	o->str[len] = '\0';
	o->len = len;
	o->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	            (tag && strcmp(tag, YAML_STR_TAG) == 0);
	if (memchr(o->str, '\0', len)) {
		diag_at(o, "a NUL byte inside a string is not allowed");
		b->failed = 1;
	}
	return node_attach(b, o);
}

/* An alias (*name): refused, so no expansion can blow up; keep parsing. */
static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	struct superd_opt *o = node_new(b, SUPERD_OPT_SCALAR, &ev->start_mark);

	if (!o)
		return -1;
	diag_at(o, "YAML aliases (*%.64s) are not supported",
	        (const char *)ev->data.alias.anchor);
	b->failed = 1;
	o->str = strdup("");
	if (!o->str) {
		node_free(o);
		return -1;
	}
	return node_attach(b, o);
}

/* A sequence or mapping starts: attach it, then open a frame for it. */
static int on_container_start(struct builder *b, const yaml_event_t *ev, int kind)
{
	struct superd_opt *o;

	if (b->depth >= CONFTREE_MAX_DEPTH) {
		diag_pos(b->file, (unsigned)ev->start_mark.line + 1,
		         (unsigned)ev->start_mark.column + 1,
		         "nesting deeper than %d levels", CONFTREE_MAX_DEPTH);
		return -1;
	}
	o = node_new(b, kind, &ev->start_mark);
	if (!o)
		return -1;
	if (node_attach(b, o) < 0)
		return -1;
	b->stack[b->depth++] = (struct build_frame){ .node = o };
	return 0;
}

/* One key of a mapping with its index, for sorting. */
struct key_ref {
	const struct superd_opt *key;
	size_t index;
};

/* Order keys by text, then by where they appear. */
static int key_ref_cmp(const void *pa, const void *pb)
{
	const struct key_ref *a = pa, *b = pb;
	int c = strcmp(a->key->str, b->key->str);

	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

/*
 * Report every repeated key of a finished mapping at the repeat, naming
 * the first occurrence.  Sorting keeps this O(n log n) on hostile input.
 */
static int map_check_duplicates(struct builder *b, const struct superd_opt *m)
{
	struct key_ref *refs;
	unsigned *first_line; /* per key: line of its first occurrence, or 0 */

	if (m->n < 2)
		return 0;
	refs = calloc(m->n, sizeof(*refs));
	first_line = calloc(m->n, sizeof(*first_line));
	if (!refs || !first_line) {
		free(refs);
		free(first_line);
		diag_pos(b->file, 0, 0, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < m->n; i++)
		refs[i] = (struct key_ref){ m->keys[i], i };
	qsort(refs, m->n, sizeof(*refs), key_ref_cmp);
	for (size_t i = 1, first = 0; i < m->n; i++) {
		if (strcmp(refs[i].key->str, refs[first].key->str) != 0)
			first = i;
		else
			first_line[refs[i].index] = refs[first].key->line;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (!first_line[i])
			continue;
		b->failed = 1;
		diag_at(m->keys[i], "duplicate key '%.100s' (first at line %u)",
		        m->keys[i]->str, first_line[i]);
	}
	free(refs);
	free(first_line);
	return 0;
}

/* A sequence or mapping ends: check a mapping's keys. */
static int on_container_end(struct builder *b)
{
	struct build_frame *f = &b->stack[--b->depth];
	struct superd_opt *c = f->node;

	if (c->kind == SUPERD_OPT_MAP)
		return map_check_duplicates(b, c);
	return 0;
}

/* Dispatch one event.  -1 stops the parse (already reported). */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1) {
			diag_pos(b->file, (unsigned)ev->start_mark.line + 1,
			         (unsigned)ev->start_mark.column + 1,
			         "more than one YAML document (the file must hold one)");
			return -1;
		}
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_container_start(b, ev, SUPERD_OPT_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_container_start(b, ev, SUPERD_OPT_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_container_end(b);
	default:
		return 0;
	}
}

/* Line and column (1-based, in characters) of a byte offset in the input. */
static void offset_position(const struct builder *b, size_t offset,
                            unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	if (offset > b->len)
		offset = b->len;
	for (size_t i = 0; i < offset; i++) {
		unsigned char c = (unsigned char)b->buf[i];

		if (c == '\n') {
			++*line;
			*col = 1;
		} else if ((c & 0xc0) != 0x80) {
			++*col;
		}
	}
}

/* Report libyaml's error with its own words, at the position it gives. */
static void report_yaml_error(struct builder *b, const yaml_parser_t *p)
{
	const yaml_mark_t *pm = &p->problem_mark, *cm = &p->context_mark;
	const char *problem = p->problem ? p->problem : "unknown error";
	unsigned line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		diag_pos(b->file, 0, 0, "out of memory");
		return;
	case YAML_READER_ERROR:
		offset_position(b, p->problem_offset, &line, &col);
		diag_pos(b->file, line, col, "YAML syntax error: %s", problem);
		return;
	default:
		break;
	}
	line = (unsigned)pm->line + 1;
	col = (unsigned)pm->column + 1;
	if (p->context && (cm->line != pm->line || cm->column != pm->column))
		diag_pos(b->file, line, col,
		         "YAML syntax error: %s (%s at line %u, column %u)",
		         problem, p->context, (unsigned)cm->line + 1,
		         (unsigned)cm->column + 1);
	else if (p->context)
		diag_pos(b->file, line, col, "YAML syntax error: %s (%s)",
		         problem, p->context);
	else
		diag_pos(b->file, line, col, "YAML syntax error: %s", problem);
}

/* Run the event loop over the whole input.  0, or -1 (reported). */
static int build_tree(struct builder *b)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, done = 0;

	if (!yaml_parser_initialize(&parser)) {
		diag_pos(b->file, 0, 0, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)b->buf,
	                             b->len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			report_yaml_error(b, &parser);
			rc = -1;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* Free what a failed build left: the tree and keys still waiting. */
static void builder_discard(struct builder *b)
{
	for (size_t i = 0; i < b->depth; i++)
		node_free(b->stack[i].key);
	node_free(b->root);
	b->root = NULL;
	free(b->file);
}

struct superd_opt *conftree_parse(const char *name, const char *buf, size_t len)
{
	struct builder b = { .buf = buf, .len = len };

	b.file = strdup(name ? name : "-");
	if (!b.file) {
		diag_pos(name, 0, 0, "out of memory");
		return NULL;
	}
	if (build_tree(&b) < 0 || b.failed)
		goto discard;
	if (!b.root || conftree_is_null(b.root)) {
		diag_pos(b.file, 0, 0, "empty configuration");
		goto discard;
	}
	return b.root;
discard:
	builder_discard(&b);
	return NULL;
}

/* Read all of an open regular file, up to the size limit. */
static char *read_all(const char *path, int fd, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *buf = malloc(cap), *bigger;
	ssize_t got;

	if (!buf)
		goto out_of_memory;
	for (;;) {
		if (used == cap) {
			if (cap > CONFTREE_MAX_BYTES) {
				diag_pos(path, 0, 0, "file too large (more than %u bytes)",
				         CONFTREE_MAX_BYTES);
				free(buf);
				return NULL;
			}
			bigger = realloc(buf, cap * 2);
			if (!bigger)
				goto out_of_memory;
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + used, cap - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			diag_pos(path, 0, 0, "cannot read: %s", strerror(errno));
			free(buf);
			return NULL;
		}
		if (got == 0)
			break;
		used += (size_t)got;
	}
	if (used > CONFTREE_MAX_BYTES) {
		diag_pos(path, 0, 0, "file too large (more than %u bytes)",
		         CONFTREE_MAX_BYTES);
		free(buf);
		return NULL;
	}
	*len = used;
	return buf;
out_of_memory:
	free(buf);
	diag_pos(path, 0, 0, "out of memory");
	return NULL;
}

/*
 * Open path without blocking (a FIFO would hang us) and insist on a
 * regular file, so /dev/zero or a directory is refused, never read forever.
 */
struct superd_opt *conftree_load(const char *path)
{
	struct superd_opt *root;
	struct stat st;
	size_t len = 0;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		diag_pos(path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		diag_pos(path, 0, 0, "cannot read: %s", strerror(errno));
		goto close_fd;
	}
	if (S_ISDIR(st.st_mode)) {
		diag_pos(path, 0, 0, "cannot read: %s", strerror(EISDIR));
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_pos(path, 0, 0, "not a regular file");
		goto close_fd;
	}
	buf = read_all(path, fd, &len);
	close(fd);
	if (!buf)
		return NULL;
	root = conftree_parse(path, buf, len);
	free(buf);
	return root;
close_fd:
	close(fd);
	return NULL;
}

const struct superd_opt *conftree_get(const struct superd_opt *map, const char *key)
{
	if (!map || map->kind != SUPERD_OPT_MAP || !key)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->str, key) == 0)
			return map->items[i];
	return NULL;
}

int conftree_is_null(const struct superd_opt *o)
{
	if (!o || o->kind != SUPERD_OPT_SCALAR || o->quoted)
		return 0;
	return o->len == 0 || strcmp(o->str, "~") == 0 ||
	       strcmp(o->str, "null") == 0 || strcmp(o->str, "Null") == 0 ||
	       strcmp(o->str, "NULL") == 0;
}

int conftree_bool(const struct superd_opt *o, int *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	if (!o || o->kind != SUPERD_OPT_SCALAR || o->quoted)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(o->str, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(o->str, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int conftree_uint(const struct superd_opt *o, unsigned long long *out)
{
	unsigned long long v = 0;
	int too_large = 0;

	if (!o || o->kind != SUPERD_OPT_SCALAR || o->len == 0)
		return -1;
	for (size_t i = 0; i < o->len; i++) {
		unsigned d = (unsigned char)o->str[i] - '0';

		if (d > 9)
			return -1;
		if (v > (~0ULL - d) / 10)
			too_large = 1;
		else
			v = v * 10 + d;
	}
	if (too_large)
		return -2;
	*out = v;
	return 0;
}

const char *conftree_what(const struct superd_opt *o, char *buf, size_t size)
{
	if (!o)
		return "nothing";
	if (o->kind == SUPERD_OPT_SEQ)
		return "a list";
	if (o->kind == SUPERD_OPT_MAP)
		return "a mapping";
	if (conftree_is_null(o))
		return "nothing";
	if (o->len > 40)
		snprintf(buf, size, "'%.37s...'", o->str);
	else
		snprintf(buf, size, "'%s'", o->str);
	return buf;
}
