/*
 * config_include.c - `global: include:`: more files holding services.
 *
 * Each pattern (relative to the main file's directory) is expanded with
 * glob(3) and its files read in name order; a file matched twice is read
 * once, a pattern matching nothing is fine (an empty conf.d/).  An
 * included file may only hold `services:`; its nodes carry its own path,
 * so its errors name it.
 */
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_check.h"
#include "diag.h"

#define INCLUDE_MAX_FILES 1024 /* files read through include, in all */

/* Remember path as read (cfg->files).  0, or -1 (out of memory). */
static int note_file(struct config *cfg, const char *path)
{
	char **grown = realloc(cfg->files, (cfg->nfiles + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	cfg->files = grown;
	cfg->files[cfg->nfiles] = strdup(path);
	if (!cfg->files[cfg->nfiles])
		return -1;
	cfg->nfiles++;
	return 0;
}

/* Was path read already (the main file, or by an earlier pattern)? */
static int already_read(const struct config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->nfiles; i++)
		if (strcmp(cfg->files[i], path) == 0)
			return 1;
	return 0;
}

/* Check an included file's top level: services: only.  Its services map
 * (NULL when it has none or it is null). */
static const struct superd_opt *included_services(const struct superd_opt *root)
{
	const struct superd_opt *s = NULL;
	char what[64];

	if (root->kind != SUPERD_OPT_MAP) {
		diag_at(root, "an included file holds a mapping with services: "
		        "at the top, got %s", conftree_what(root, what, sizeof(what)));
		return NULL;
	}
	for (size_t i = 0; i < root->n; i++) {
		if (strcmp(root->keys[i]->str, "services") == 0)
			s = root->items[i];
		else
			diag_at(root->keys[i], "'%.100s' is not allowed in an "
			        "included file (only services: is)", root->keys[i]->str);
	}
	if (s && !conftree_is_null(s) && s->kind != SUPERD_OPT_MAP) {
		diag_at(s, "services: expected a mapping of services (name: "
		        "settings), got %s", conftree_what(s, what, sizeof(what)));
		return NULL;
	}
	return s && s->kind == SUPERD_OPT_MAP ? s : NULL;
}

/* Read one included file; append its services map to maps.  0 or -1
 * (out of memory or too many files: stop). */
static int read_one(struct config *cfg, const struct superd_opt *at,
                    const char *path, const struct superd_opt ***maps,
                    size_t *nmaps)
{
	struct superd_opt *tree, **trees;
	const struct superd_opt *s, **grown;
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (cfg->nfiles > INCLUDE_MAX_FILES) {
		conf_error(at, "global: ", "include", "more than %d files",
		           INCLUDE_MAX_FILES);
		return -1;
	}
	if (note_file(cfg, path) < 0)
		goto oom;
	tree = conftree_load(path);
	if (!tree)
		return 0;
	trees = realloc(cfg->more, (cfg->nmore + 1) * sizeof(*trees));
	if (!trees) {
		conftree_free(tree);
		goto oom;
	}
	cfg->more = trees;
	cfg->more[cfg->nmore++] = tree;
	s = included_services(tree);
	if (!s)
		return 0;
	grown = realloc(*maps, (*nmaps + 1) * sizeof(*grown));
	if (!grown)
		goto oom;
	*maps = grown;
	(*maps)[(*nmaps)++] = s;
	return 0;
oom:
	conf_error(at, "global: ", "include", "out of memory");
	return -1;
}

void conf_includes(struct conf_build *b, const struct superd_opt ***maps,
                   size_t *nmaps)
{
	struct config *cfg = b->cfg;
	const struct global_conf *g = &cfg->global;

	for (size_t i = 0; i < g->ninclude; i++) {
		glob_t gl;
		int rc = glob(g->include[i], 0, NULL, &gl);

		if (rc == GLOB_NOSPACE) {
			conf_error(g->include_at[i], "global: ", "include",
			           "out of memory");
			return;
		}
		for (size_t k = 0; rc == 0 && k < gl.gl_pathc; k++) {
			if (already_read(cfg, gl.gl_pathv[k]))
				continue;
			if (read_one(cfg, g->include_at[i], gl.gl_pathv[k], maps,
			             nmaps) < 0)
				break;
		}
		if (rc == 0)
			globfree(&gl);
	}
}
