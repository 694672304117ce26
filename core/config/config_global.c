/*
 * config_global.c - the `global:` section: logging, pid file, privileges,
 * module search path, server-wide limits, workers, event backend and the
 * stop timings.
 *
 * Every key is optional; defaults are filled in first so a missing or bad
 * key leaves a sane value behind (the configuration is refused anyway when
 * anything was reported).
 */
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_check.h"
#include "diag.h"

#define GLOBAL_MAX_WORKERS 256
/* Default and largest stop_timeout / shutdown_delay, in seconds. */
#define GLOBAL_STOP_TIMEOUT 10
#define GLOBAL_MAX_SECONDS 86400
/* reload_timeout: at most a day (0 is no bound at all). */
#define GLOBAL_MAX_RELOAD_TIMEOUT 86400

/* Defaults for every global key. */
static void global_defaults(struct global_conf *g)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	g->log = LOG_TO_STDERR;
	g->log_level = SUPERD_LOG_INFO;
	if (cpus < 1)
		cpus = 1;
	if (cpus > GLOBAL_MAX_WORKERS)
		cpus = GLOBAL_MAX_WORKERS;
	g->workers = (unsigned)cpus;
	g->stop_timeout = GLOBAL_STOP_TIMEOUT;
	g->sandbox = 1;
}

/* log: stderr | syslog | a path (relative to the config's dir; ./stderr
 * for a file of that name). */
static void global_log(struct conf_build *b, const struct superd_opt *v)
{
	struct global_conf *g = &b->cfg->global;

	if (v->kind == SUPERD_OPT_SCALAR && strcmp(v->str, "stderr") == 0) {
		g->log = LOG_TO_STDERR;
	} else if (v->kind == SUPERD_OPT_SCALAR && strcmp(v->str, "syslog") == 0) {
		g->log = LOG_TO_SYSLOG;
	} else if (conf_path(b, v, "global: ", "log", &g->log_file) == 0) {
		g->log = LOG_TO_FILE;
	}
}

/* user: a name (or number) that must exist here. */
static void global_user(struct conf_build *b, const struct superd_opt *v)
{
	char *name = NULL;
	char *end;

	if (conf_string(v, "global: ", "user", &name) < 0)
		return;
	if (!getpwnam(name)) {
		unsigned long id = strtoul(name, &end, 10);

		if (!*end && end != name && getpwuid((uid_t)id))
			goto keep;
		conf_error(v, "global: ", "user", "unknown user '%.100s'", name);
		free(name);
		return;
	}
keep:
	b->cfg->global.user = name;
}

/* group: a name (or number) that must exist here. */
static void global_group(struct conf_build *b, const struct superd_opt *v)
{
	char *name = NULL;
	char *end;

	if (conf_string(v, "global: ", "group", &name) < 0)
		return;
	if (!getgrnam(name)) {
		unsigned long id = strtoul(name, &end, 10);

		if (!*end && end != name && getgrgid((gid_t)id))
			goto keep;
		conf_error(v, "global: ", "group", "unknown group '%.100s'", name);
		free(name);
		return;
	}
keep:
	b->cfg->global.group = name;
}

/* module_path: one directory or a list; relative ones from the config dir. */
static void global_module_path(struct conf_build *b, const struct superd_opt *v)
{
	struct global_conf *g = &b->cfg->global;
	size_t n = v->kind == SUPERD_OPT_SEQ ? v->n : 1;

	if (v->kind == SUPERD_OPT_MAP) {
		conf_error(v, "global: ", "module_path",
		           "expected a directory or a list of directories, got a mapping");
		return;
	}
	g->module_path = calloc(n ? n : 1, sizeof(*g->module_path));
	if (!g->module_path) {
		conf_error(v, "global: ", "module_path", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct superd_opt *item = v->kind == SUPERD_OPT_SEQ ? v->items[i] : v;

		if (conf_path(b, item, "global: ", "module_path",
		              &g->module_path[g->nmodule_path]) == 0)
			g->nmodule_path++;
	}
}

/* include: one glob pattern or a list; relative ones from the config dir. */
static void global_include(struct conf_build *b, const struct superd_opt *v)
{
	struct global_conf *g = &b->cfg->global;
	size_t n = v->kind == SUPERD_OPT_SEQ ? v->n : 1;

	if (v->kind == SUPERD_OPT_MAP) {
		conf_error(v, "global: ", "include",
		           "expected a file pattern or a list of them, got a mapping");
		return;
	}
	if (conftree_is_null(v))
		return;
	g->include = calloc(n ? n : 1, sizeof(*g->include));
	g->include_at = calloc(n ? n : 1, sizeof(*g->include_at));
	if (!g->include || !g->include_at) {
		conf_error(v, "global: ", "include", "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct superd_opt *item = v->kind == SUPERD_OPT_SEQ ? v->items[i] : v;

		if (conf_path(b, item, "global: ", "include",
		              &g->include[g->ninclude]) == 0)
			g->include_at[g->ninclude++] = item;
	}
}

/* Apply one global key's value. */
static void global_key(struct conf_build *b, const char *key,
                       const struct superd_opt *v)
{
	static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
	static const char *const backends[] = { "select", "poll", "epoll", NULL };
	static const char *const formats[] = { "text", "json", NULL };
	struct global_conf *g = &b->cfg->global;
	unsigned long long u;
	int w;

	if (strcmp(key, "log") == 0) {
		global_log(b, v);
	} else if (strcmp(key, "log_level") == 0) {
		if (conf_word(v, "global: ", key, levels, &w) == 0)
			g->log_level = w; /* same order as SUPERD_LOG_* */
	} else if (strcmp(key, "pid_file") == 0) {
		conf_path(b, v, "global: ", key, &g->pid_file);
	} else if (strcmp(key, "user") == 0) {
		global_user(b, v);
	} else if (strcmp(key, "group") == 0) {
		global_group(b, v);
	} else if (strcmp(key, "module_path") == 0) {
		global_module_path(b, v);
	} else if (strcmp(key, "max_connections") == 0) {
		if (conf_uint(v, "global: ", key, 0, 4294967295ULL, &u) == 0)
			g->max_connections = (unsigned long)u;
	} else if (strcmp(key, "workers") == 0) {
		if (conf_uint(v, "global: ", key, 1, GLOBAL_MAX_WORKERS, &u) == 0)
			g->workers = (unsigned)u;
	} else if (strcmp(key, "include") == 0) {
		global_include(b, v);
	} else if (strcmp(key, "watch") == 0) {
		conf_bool(v, "global: ", key, &g->watch);
	} else if (strcmp(key, "reload_timeout") == 0) {
		if (conf_uint(v, "global: ", key, 0, GLOBAL_MAX_RELOAD_TIMEOUT, &u) == 0)
			g->reload_timeout = (unsigned)u;
	} else if (strcmp(key, "event_backend") == 0) {
		if (conf_word(v, "global: ", key, backends, &w) == 0) {
			g->event_backend = strdup(backends[w]);
			if (!g->event_backend)
				conf_error(v, "global: ", key, "out of memory");
		}
	} else if (strcmp(key, "log_format") == 0) {
		if (conf_word(v, "global: ", key, formats, &w) == 0)
			g->log_json = w == 1;
	} else if (strcmp(key, "shutdown_delay") == 0) {
		if (conf_uint(v, "global: ", key, 0, GLOBAL_MAX_SECONDS, &u) == 0)
			g->shutdown_delay = (unsigned)u;
	} else if (strcmp(key, "sandbox") == 0) {
		conf_bool(v, "global: ", key, &g->sandbox);
	} else if (strcmp(key, "stop_timeout") == 0) {
		if (conf_uint(v, "global: ", key, 0, GLOBAL_MAX_SECONDS, &u) == 0)
			g->stop_timeout = (unsigned)u;
	}
}

void conf_global(struct conf_build *b, const struct superd_opt *g)
{
	static const char *const keys[] = { "log", "log_level", "pid_file",
		"user", "group", "module_path", "max_connections", "workers",
		"event_backend", "log_format", "shutdown_delay", "stop_timeout",
		"include", "watch", "reload_timeout", "sandbox", NULL };
	char what[64];

	global_defaults(&b->cfg->global);
	if (!g || conftree_is_null(g))
		return;
	if (g->kind != SUPERD_OPT_MAP) {
		conf_error(g, "", "global", "expected a mapping of settings, got %s",
		           conftree_what(g, what, sizeof(what)));
		return;
	}
	for (size_t i = 0; i < g->n; i++)
		if (conf_key(g->keys[i], "global: ", "key", keys, 1) >= 0)
			global_key(b, g->keys[i]->str, g->items[i]);
}
