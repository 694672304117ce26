/*
 * config.c - check a configuration tree and build struct config from it.
 *
 * Pure: reads the file, resolves names, binds nothing.  Every problem is
 * reported (not only the first) at its FILE:LINE:COLUMN; the result is
 * NULL when anything was reported.  `defaults:` values are checked once, at
 * their own position, then used for each service that does not set the key.
 */
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_check.h"
#include "diag.h"

/* Service keys, in the order they are applied (protocol before listen). */
enum svc_key {
	K_MODULE, K_PROTOCOL, K_LISTEN, K_MAX_CONNECTIONS, K_PER_SOURCE,
	K_RATE, K_RATE_PER_SOURCE, K_TIMEOUT, K_ENABLED, K_ALLOW, K_DENY,
	K_OPTIONS, K_PROXY_PROTOCOL, K_SANDBOX, K_MAX_INPUT, K_MAX_OUTPUT,
	K_TLS, K_ISOLATE, K_COUNT
};

static const char *const service_keys[K_COUNT + 1] = {
	"module", "protocol", "listen", "max_connections", "per_source",
	"rate", "rate_per_source", "timeout", "enabled", "allow", "deny",
	"options", "proxy_protocol", "sandbox", "max_input", "max_output",
	"tls", "isolate", NULL
};

/* `defaults:` after its own check: each key's value, and whether it was bad. */
struct defaults {
	const struct superd_opt *v[K_COUNT];
	int bad[K_COUNT];
};

#define COUNT_MAX 4294967295ULL       /* limits: 0 (unlimited) .. 2^32-1 */
#define TIMEOUT_MAX (4294967295ULL / 1000) /* seconds that fit in ms */
#define BUFFER_MIN 1024ULL            /* max_input, max_output: bytes */
#define BUFFER_MAX (64ULL << 20)
#define SERVICE_NAME_MAX 64
#define CONFIG_MAX_SHOWN 100 /* errors printed per check; the rest counted */

int conf_path(const struct conf_build *b, const struct superd_opt *at,
              const char *prefix, const char *key, char **out)
{
	char *text = NULL;
	size_t size;

	if (conf_string(at, prefix, key, &text) < 0)
		return -1;
	free(*out);
	*out = text;
	if (text[0] == '/' || !b->cfg->dir)
		return 0;
	size = strlen(b->cfg->dir) + strlen(text) + 2;
	*out = malloc(size);
	if (!*out) {
		free(text);
		conf_error(at, prefix, key, "out of memory");
		return -1;
	}
	snprintf(*out, size, "%s/%s", b->cfg->dir, text);
	free(text);
	return 0;
}

/* protocol: tcp | udp | a list of them. */
static int svc_protocol(struct service_conf *sc, const struct superd_opt *v,
                        const char *prefix)
{
	static const char *const names[] = { "tcp", "udp", NULL };
	size_t n = v->kind == SUPERD_OPT_SEQ ? v->n : 1;
	unsigned bits = 0;
	int w;

	if (v->kind == SUPERD_OPT_MAP || n == 0) {
		conf_error(v, prefix, "protocol", "expected tcp, udp or a list of "
		           "them, got %s", n == 0 ? "an empty list" : "a mapping");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct superd_opt *item = v->kind == SUPERD_OPT_SEQ ? v->items[i] : v;

		if (conf_word(item, prefix, "protocol", names, &w) < 0)
			return -1;
		bits |= w == 0 ? SUPERD_PROTO_TCP : SUPERD_PROTO_UDP;
	}
	sc->protocols = bits;
	return 0;
}

/* listen: one address or a list, each expanded once per protocol. */
static int svc_listen(struct conf_build *b, struct service_conf *sc,
                      const struct superd_opt *v, const char *prefix)
{
	char full[160];
	size_t n = v->kind == SUPERD_OPT_SEQ ? v->n : 1;
	int rc = 0;

	if (n == 0) {
		conf_error(v, prefix, "listen", "expected at least one address");
		return -1;
	}
	snprintf(full, sizeof(full), "%slisten: ", prefix);
	b->addr.prefix = full;
	for (size_t i = 0; i < n; i++) {
		const struct superd_opt *item = v->kind == SUPERD_OPT_SEQ ? v->items[i] : v;

		if (addr_parse_listen_in(&b->addr, item, sc->protocols,
		                         &sc->listen, &sc->nlisten) < 0)
			rc = -1;
	}
	b->addr.prefix = NULL;
	return rc;
}

/* allow/deny: one address or prefix, or a list (empty: none). */
static int svc_cidrs(const struct superd_opt *v, const char *prefix,
                     const char *key, struct cidr **out, size_t *n)
{
	size_t count = v->kind == SUPERD_OPT_SEQ ? v->n : 1;
	char what[64];
	const char *why;
	int rc = 0;

	if (conftree_is_null(v))
		return 0;
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out) {
		conf_error(v, prefix, key, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		const struct superd_opt *item = v->kind == SUPERD_OPT_SEQ ? v->items[i] : v;

		if (item->kind != SUPERD_OPT_SCALAR) {
			conf_error(item, prefix, key, "expected an address or a prefix "
			           "like 10.0.0.0/8, got %s",
			           conftree_what(item, what, sizeof(what)));
			rc = -1;
		} else if (addr_parse_cidr_why(item->str, &(*out)[*n], &why) < 0) {
			conf_error(item, prefix, key, "bad address or prefix '%.100s': %s",
			           item->str, why);
			rc = -1;
		} else {
			++*n;
		}
	}
	return rc;
}

/* Apply one service key's value to sc.  0, or -1 (reported). */
static int svc_apply(struct conf_build *b, struct service_conf *sc,
                     enum svc_key k, const struct superd_opt *v,
                     const char *prefix)
{
	const char *key = service_keys[k];
	unsigned long long u;

	switch (k) {
	case K_MODULE:
		if (conf_string(v, prefix, key, &sc->module) < 0)
			return -1;
		sc->module_at = v;
		return 0;
	case K_PROTOCOL:
		return svc_protocol(sc, v, prefix);
	case K_LISTEN:
		return svc_listen(b, sc, v, prefix);
	case K_TIMEOUT:
		if (conf_uint(v, prefix, key, 0, TIMEOUT_MAX, &u) < 0)
			return -1;
		sc->timeout = (unsigned)u;
		return 0;
	case K_ENABLED:
		return conf_bool(v, prefix, key, &sc->enabled);
	case K_ISOLATE:
		return conf_bool(v, prefix, key, &sc->isolate);
	case K_ALLOW:
		return svc_cidrs(v, prefix, key, &sc->allow, &sc->nallow);
	case K_DENY:
		return svc_cidrs(v, prefix, key, &sc->deny, &sc->ndeny);
	case K_PROXY_PROTOCOL:
		return svc_cidrs(v, prefix, key, &sc->proxy_from, &sc->nproxy_from);
	case K_OPTIONS:
		sc->options = conftree_is_null(v) ? NULL : v;
		return 0;
	case K_SANDBOX:
		return conf_sandbox(b, v, prefix, &sc->sandbox);
	case K_MAX_INPUT:
	case K_MAX_OUTPUT:
		if (conf_uint(v, prefix, key, BUFFER_MIN, BUFFER_MAX, &u) < 0)
			return -1;
		*(k == K_MAX_INPUT ? &sc->max_input : &sc->max_output) = (size_t)u;
		return 0;
	case K_TLS:
		return conf_tls(b, v, prefix, &sc->tls);
	default:
		break;
	}
	if (conf_uint(v, prefix, key, 0, COUNT_MAX, &u) < 0)
		return -1;
	if (k == K_MAX_CONNECTIONS)
		sc->max_connections = (unsigned long)u;
	else if (k == K_PER_SOURCE)
		sc->per_source = (unsigned long)u;
	else if (k == K_RATE)
		sc->rate = (unsigned long)u;
	else
		sc->rate_per_source = (unsigned long)u;
	return 0;
}

/*
 * Apply a service (or defaults) mapping's own keys in file order, so
 * errors come out in that order.  proto (the mapping's own protocol or the
 * one from defaults) goes first, as listen needs it.  Unknown keys are
 * reported.  bad[k], when given, is set for keys that produced an error.
 */
static void svc_apply_map(struct conf_build *b, struct service_conf *sc,
                          const struct superd_opt *map,
                          const struct superd_opt *proto, const char *prefix,
                          int *bad)
{
	unsigned before;

	if (proto && svc_apply(b, sc, K_PROTOCOL, proto, prefix) < 0 && bad)
		bad[K_PROTOCOL] = 1;
	for (size_t i = 0; i < map->n; i++) {
		int k = conf_key(map->keys[i], prefix, "key", service_keys, 1);

		if (k < 0 || k == K_PROTOCOL)
			continue;
		before = diag_count();
		svc_apply(b, sc, (enum svc_key)k, map->items[i], prefix);
		if (bad)
			bad[k] = diag_count() != before;
	}
}

/* Free what a service_conf owns (not the struct itself). */
static void service_conf_clear(struct service_conf *sc)
{
	free(sc->name);
	free(sc->module);
	free(sc->listen);
	free(sc->allow);
	free(sc->deny);
	free(sc->proxy_from);
	sandbox_conf_free(sc->sandbox);
	conf_tls_free(sc->tls);
	memset(sc, 0, sizeof(*sc));
}

/*
 * Check `defaults:` once, at its own positions, into a scratch service;
 * remember each value and whether it was bad (then services skip it).
 */
static void defaults_check(struct conf_build *b, const struct superd_opt *d,
                           struct defaults *out)
{
	struct service_conf scratch = { .protocols = SUPERD_PROTO_TCP };
	char what[64];

	memset(out, 0, sizeof(*out));
	if (!d || conftree_is_null(d))
		return;
	if (d->kind != SUPERD_OPT_MAP) {
		conf_error(d, "", "defaults", "expected a mapping of service keys, "
		           "got %s", conftree_what(d, what, sizeof(what)));
		return;
	}
	svc_apply_map(b, &scratch, d, conftree_get(d, "protocol"), "defaults: ",
	              out->bad);
	for (int k = 0; k < K_COUNT; k++)
		out->v[k] = conftree_get(d, service_keys[k]);
	service_conf_clear(&scratch);
}

/* A service name: 1..64 of letters, digits and . _ - @ (it names logs). */
static int service_name_ok(const struct superd_opt *name)
{
	if (name->len == 0 || name->len > SERVICE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < name->len; i++) {
		unsigned char c = (unsigned char)name->str[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && !strchr("._-@", c))
			return 0;
	}
	return 1;
}

/* Build one service from its own keys over the checked defaults. */
static void service_build(struct conf_build *b, const struct defaults *d,
                          const struct superd_opt *name,
                          const struct superd_opt *node, struct service_conf *sc)
{
	char prefix[SERVICE_NAME_MAX + 160], what[64];
	const struct superd_opt *proto;

	sc->name = strdup(name->str);
	sc->name_at = name;
	sc->at = node->kind == SUPERD_OPT_MAP ? node : name;
	sc->enabled = 1;
	sc->protocols = SUPERD_PROTO_TCP;
	snprintf(prefix, sizeof(prefix), "service '%.100s': ", name->str);
	if (!sc->name) {
		conf_error(name, prefix, NULL, "out of memory");
		return;
	}
	if (!service_name_ok(name))
		conf_error(name, "", NULL, "service name '%.100s' must be 1 to %d "
		           "letters, digits, '.', '_', '-' or '@'", name->str,
		           SERVICE_NAME_MAX);
	if (node->kind != SUPERD_OPT_MAP) {
		conf_error(conftree_is_null(node) ? name : node, prefix, NULL,
		           "expected a mapping of service keys (module, listen, ...), "
		           "got %s", conftree_what(node, what, sizeof(what)));
		return;
	}
	proto = conftree_get(node, "protocol");
	if (!proto && !d->bad[K_PROTOCOL])
		proto = d->v[K_PROTOCOL];
	svc_apply_map(b, sc, node, proto, prefix, NULL);
	for (int k = 0; k < K_COUNT; k++) {
		if (k == K_PROTOCOL || conftree_get(node, service_keys[k]))
			continue;
		if (d->v[k] && !d->bad[k])
			svc_apply(b, sc, (enum svc_key)k, d->v[k], prefix);
		else if ((k == K_MODULE || k == K_LISTEN) && !d->v[k])
			conf_error(name, prefix, NULL, "missing required key '%s'",
			           service_keys[k]);
	}
	if (sc->tls && (sc->protocols & SUPERD_PROTO_UDP))
		conf_error(sc->tls->at, prefix, "tls",
		           "TLS needs a stream service (tcp or unix), not udp");
}

/* The key node of a top-level key, for errors about its value. */
static const struct superd_opt *top_key(const struct superd_opt *root,
                                        const char *key)
{
	for (size_t i = 0; i < root->n; i++)
		if (strcmp(root->keys[i]->str, key) == 0)
			return root->keys[i];
	return root;
}

/* The service named like sc, built before it, or NULL. */
static const struct service_conf *service_seen(const struct config *cfg,
                                               const struct superd_opt *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].name_at &&
		    strcmp(cfg->services[i].name_at->str, name->str) == 0)
			return &cfg->services[i];
	return NULL;
}

/* Every services: mapping (the main file's, then the included files'):
 * name -> service; a name defined twice names both places. */
static void services_build(struct conf_build *b, const struct defaults *d,
                           const struct superd_opt *const *maps, size_t nmaps)
{
	struct config *cfg = b->cfg;
	size_t total = 0;

	for (size_t m = 0; m < nmaps; m++)
		total += maps[m]->n;
	cfg->services = calloc(total ? total : 1, sizeof(*cfg->services));
	if (!cfg->services) {
		diag_pos(cfg->path, 0, 0, "out of memory");
		return;
	}
	for (size_t m = 0; m < nmaps; m++) {
		const struct superd_opt *s = maps[m];

		for (size_t i = 0; i < s->n; i++) {
			const struct service_conf *first = service_seen(cfg, s->keys[i]);

			if (first) {
				conf_error(s->keys[i], "", NULL, "service '%.100s' is "
				           "defined twice: here and at %s:%u:%u",
				           s->keys[i]->str, first->name_at->file,
				           first->name_at->line, first->name_at->col);
				continue;
			}
			service_build(b, d, s->keys[i], s->items[i],
			              &cfg->services[cfg->nservices++]);
		}
	}
}

/* The main file's services: (optional when it includes files); with the
 * included ones, at least one service in all. */
static void services_all(struct conf_build *b, const struct defaults *d,
                         const struct superd_opt *root)
{
	const struct superd_opt *s = conftree_get(root, "services");
	const struct superd_opt *key = top_key(root, "services");
	const struct superd_opt **maps = calloc(1, sizeof(*maps));
	int includes = b->cfg->global.ninclude > 0;
	size_t nmaps = 0, before;
	char what[64];

	if (!maps) {
		diag_at(root, "out of memory");
		return;
	}
	if (!s && !includes) {
		diag_at(root, "missing required key 'services'");
	} else if (s && s->kind == SUPERD_OPT_MAP && (s->n > 0 || includes)) {
		maps[nmaps++] = s;
	} else if (s && !(includes && conftree_is_null(s))) {
		conf_error(s->kind == SUPERD_OPT_MAP || conftree_is_null(s) ? key : s,
		           "", "services", "expected a mapping of services "
		           "(name: settings) with at least one, got %s",
		           s->kind == SUPERD_OPT_MAP ? "an empty mapping"
		           : conftree_what(s, what, sizeof(what)));
	}
	before = diag_count();
	conf_includes(b, &maps, &nmaps);
	services_build(b, d, maps, nmaps);
	if (includes && b->cfg->nservices == 0 && diag_count() == before)
		diag_at(key, "no services: none here nor in the included files");
	free(maps);
}

/* Addresses must be unique among the services that will be started. */
static void services_check_unique(const struct config *cfg)
{
	struct service_conf *on = calloc(cfg->nservices + 1, sizeof(*on));
	size_t n = 0;

	if (!on) {
		diag_pos(cfg->path, 0, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < cfg->nservices; i++)
		if (cfg->services[i].enabled)
			on[n++] = cfg->services[i];
	addr_check_unique(on, n);
	free(on);
}

/* Check the whole tree; fills b->cfg, reporting every problem. */
static void config_check(struct conf_build *b, const struct superd_opt *root)
{
	static const char *const top[] = { "global", "defaults", "services", NULL };
	struct defaults d;
	char what[64];

	if (root->kind != SUPERD_OPT_MAP) {
		diag_at(root, "expected a mapping with global, defaults and "
		        "services at the top, got %s",
		        conftree_what(root, what, sizeof(what)));
		return;
	}
	for (size_t i = 0; i < root->n; i++)
		conf_key(root->keys[i], "", "key", top, 1);
	conf_global(b, conftree_get(root, "global"));
	defaults_check(b, conftree_get(root, "defaults"), &d);
	services_all(b, &d, root);
	services_check_unique(b->cfg);
}

/* Absolute directory of path: realpath of its dirname (else the cwd's). */
static char *config_dir(const char *path)
{
	char *copy = strdup(path), *dir, *abs = NULL;

	if (!copy)
		return NULL;
	dir = dirname(copy);
	abs = realpath(dir, NULL);
	if (!abs)
		abs = getcwd(NULL, 0);
	free(copy);
	return abs;
}

/* Wrap a loaded tree into a checked config, or NULL (reported). */
static struct config *config_build(const char *path, struct superd_opt *tree)
{
	unsigned before = diag_count();
	struct conf_build b = { 0 };
	struct config *cfg;

	if (!tree)
		return NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		conftree_free(tree);
		diag_pos(path, 0, 0, "out of memory");
		return NULL;
	}
	cfg->tree = tree;
	cfg->path = strdup(path);
	cfg->dir = config_dir(path);
	cfg->files = calloc(1, sizeof(*cfg->files));
	if (cfg->files && cfg->path)
		cfg->files[cfg->nfiles++] = strdup(path);
	if (!cfg->path || !cfg->dir || !cfg->files || !cfg->files[0]) {
		diag_pos(path, 0, 0, "out of memory");
		goto fail;
	}
	b.cfg = cfg;
	b.addr.dir = cfg->dir;
	config_check(&b, tree);
	if (diag_count() == before)
		return cfg;
fail:
	config_free(cfg);
	return NULL;
}

struct config *config_load(const char *path)
{
	struct timespec t0 = { 0 };
	struct config *cfg;

	diag_begin(CONFIG_MAX_SHOWN);
	clock_gettime(CLOCK_REALTIME, &t0);
	cfg = config_build(path, conftree_load(path));
	if (cfg)
		cfg->read_at = t0;
	return cfg;
}

struct config *config_parse(const char *name, const char *buf, size_t len)
{
	diag_begin(CONFIG_MAX_SHOWN);
	return config_build(name, conftree_parse(name, buf, len));
}

void config_free(struct config *cfg)
{
	struct global_conf *g;

	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nservices; i++)
		service_conf_clear(&cfg->services[i]);
	free(cfg->services);
	g = &cfg->global;
	free(g->log_file);
	free(g->pid_file);
	free(g->user);
	free(g->group);
	for (size_t i = 0; i < g->nmodule_path; i++)
		free(g->module_path[i]);
	free(g->module_path);
	free(g->event_backend);
	for (size_t i = 0; i < g->ninclude; i++)
		free(g->include[i]);
	free(g->include);
	free(g->include_at);
	for (size_t i = 0; i < cfg->nmore; i++)
		conftree_free(cfg->more[i]);
	free(cfg->more);
	for (size_t i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	conftree_free(cfg->tree);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
}
