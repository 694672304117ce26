/*
 * runconf.c - a configuration at run time: services with their modules
 * configured, and the listening sockets they are served on.
 */
#include "conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "diag.h"
#include "host.h"
#include "listener.h"
#include "loader.h"
#include "log.h"
#include "runconf.h"
#include "sandbox.h"
#include "spawn_spec.h"
#include "tls.h"

/*
 * Read svc's certificates and keys (here, in the master, before privileges
 * drop).  http agrees on http/1.1 by ALPN.  A wait-style service hands its
 * listening socket to a program: TLS cannot sit in between.
 */
static int service_tls(struct superd_service *svc,
                       const struct superd_module *mod,
                       const struct config *cfg)
{
	const struct tls_conf *tc = svc->conf->tls;

	if (!tc)
		return 0;
	if (svc->wait) {
		diag_at(tc->at, "service '%s': tls: a wait-style service gets the "
		        "listening socket itself, so it cannot have tls", svc->name);
		return -1;
	}
	tls_search_dirs(cfg->global.module_path, cfg->global.nmodule_path);
	svc->tls = tls_ctx_new(tc, svc->name,
	                       strcmp(mod->name, "http") == 0 ? "http/1.1" : NULL);
	return svc->tls ? 0 : -1;
}

/* Load svc's module, check its protocols and run its configure. */
/*
 * A connection's input and output limits: the service's max_input and
 * max_output, else the module's descriptor (ABI 1.2), else 0 (conn.c's
 * defaults).
 */
static void service_limits(struct superd_service *svc,
                           const struct superd_module *mod)
{
	const struct service_conf *sc = svc->conf;

	if (MODULE_HAS_SIZE(mod, conn_in_max))
		svc->in_max = mod->conn_in_max;
	if (MODULE_HAS_SIZE(mod, conn_out_max))
		svc->out_max = mod->conn_out_max;
	if (sc->max_input)
		svc->in_max = sc->max_input;
	if (sc->max_output)
		svc->out_max = sc->max_output;
}

static int service_setup(struct superd_service *svc, const struct config *cfg)
{
	const struct service_conf *sc = svc->conf;
	const struct superd_module *mod;
	struct loader_req req = {
		.spec = sc->module, .at = sc->module_at, .service = sc->name,
		.config_dir = cfg->dir, .module_path = cfg->global.module_path,
		.nmodule_path = cfg->global.nmodule_path,
	};
	unsigned protos = 0;
	size_t i;

	for (i = 0; i < sc->nlisten; i++)
		protos |= sc->listen[i].proto;
	mod = loader_open(&req, &svc->lib);
	if (!mod)
		return -1;
	svc->module = mod;
	if (loader_check_protocols(&req, mod, protos) < 0)
		return -1;
	if (mod->configure) {
		unsigned before = diag_count();

		if (mod->configure(host_table(), svc, sc->options, &svc->instance) < 0) {
			if (diag_count() == before)
				diag_at(sc->at, "service %s: module '%s' refused its options",
				        sc->name, sc->module);
			return -1;
		}
	} else if (sc->options) {
		diag_at(sc->options, "service %s: module '%s' takes no options",
		        sc->name, sc->module);
		return -1;
	}
	svc->configured = 1;
	service_limits(svc, mod);
	if (svc->wait && !mod->serve) {
		diag_at(sc->module_at, "service %s: wait style needs a module with serve",
		        sc->name);
		return -1;
	}
	return service_tls(svc, mod, cfg);
}

/* Load path and configure every service (see runconf.h). */
struct runconf *runconf_load(const char *path)
{
	struct runconf *rc;
	struct config *cfg;
	size_t i;
	int failed = 0;

	cfg = config_load(path);
	if (!cfg)
		return NULL;
	rc = calloc(1, sizeof(*rc));
	if (!rc || !(rc->svcs = calloc(cfg->nservices ? cfg->nservices : 1,
	                               sizeof(*rc->svcs)))) {
		free(rc);
		config_free(cfg);
		diag_pos(path, 0, 0, "out of memory");
		return NULL;
	}
	rc->cfg = cfg;
	rc->nsvcs = cfg->nservices;
	for (i = 0; i < cfg->nservices; i++) {
		struct superd_service *svc = &rc->svcs[i];
		const struct service_conf *sc = &cfg->services[i];

		svc->name = sc->name;
		svc->at = sc->at;
		svc->config_dir = cfg->dir;
		svc->conf = sc;
		svc->child_limits = sc->sandbox;
		svc->timeout_ms = sc->timeout * 1000u;
		if (service_setup(svc, cfg) < 0)
			failed = 1;
	}
	if (failed) {
		runconf_free(rc);
		return NULL;
	}
	return rc;
}

/* How svc's listener la is served. */
static enum listen_mode listen_mode_of(const struct superd_service *svc,
                                       const struct listen_addr *la)
{
	const struct superd_module *m = svc->module;

	if (svc->wait)
		return LISTEN_WAIT;
	if (la->socktype == SOCK_DGRAM)
		return m->on_datagram ? LISTEN_DGRAM : LISTEN_WAIT;
	return m->on_open ? LISTEN_EVENT : LISTEN_SERVE;
}

/* The listener of old bound to the same address as la, or NULL. */
static struct listener *find_kept(const struct runconf *old,
                                  const struct listen_addr *la)
{
	size_t i;

	if (!old)
		return NULL;
	for (i = 0; i < old->nls; i++)
		if (old->ls[i].ls && addr_listen_equal(&old->ls[i].ls->la, la))
			return old->ls[i].ls;
	return NULL;
}

/* Count the listeners of the enabled services. */
static size_t count_listeners(const struct runconf *rc)
{
	size_t i, n = 0;

	for (i = 0; i < rc->nsvcs; i++)
		if (rc->svcs[i].conf->enabled)
			n += rc->svcs[i].conf->nlisten;
	return n;
}

/*
 * Each worker accepts from its own socket of a SO_REUSEPORT group (the
 * kernel spreads connections evenly; one shared socket woke the same
 * worker for a whole burst).  Wait-style services are served by the
 * master from one socket: a group they kept from a reload is trimmed.
 */
static void listen_group(struct svc_listen *sl, unsigned workers)
{
	if (sl->mode == LISTEN_EVENT || sl->mode == LISTEN_SERVE)
		listener_grow(sl->ls, workers, sl->svc->name);
	else if (listener_group_size(sl->ls) > 1)
		listener_trim(sl->ls);
}

/* Bind (or keep) every listener (see runconf.h). */
int runconf_bind(struct runconf *rc, const struct runconf *old)
{
	size_t i, j, n = count_listeners(rc);

	rc->ls = calloc(n ? n : 1, sizeof(*rc->ls));
	if (!rc->ls) {
		log_errno(NULL, "malloc", errno);
		return -1;
	}
	for (i = 0; i < rc->nsvcs; i++) {
		struct superd_service *svc = &rc->svcs[i];
		const struct service_conf *sc = svc->conf;

		if (!sc->enabled)
			continue;
		for (j = 0; j < sc->nlisten; j++) {
			struct svc_listen *sl = &rc->ls[rc->nls];
			struct listener *kept = find_kept(old, &sc->listen[j]);

			sl->svc = svc;
			sl->mode = listen_mode_of(svc, &sc->listen[j]);
			sl->ls = kept ? listener_ref(kept)
			              : listener_open(&sc->listen[j], sc->name);
			if (!sl->ls)
				goto release_all;
			rc->nls++;
			listen_group(sl, rc->cfg->global.workers);
		}
	}
	return 0;

release_all:
	for (i = 0; i < rc->nls; i++)
		listener_release(rc->ls[i].ls);
	rc->nls = 0;
	return -1;
}

/* Bind every service to the shared access counters. */
int runconf_access(struct runconf *rc, struct access_shared *sh)
{
	size_t i;

	for (i = 0; i < rc->nsvcs; i++) {
		rc->svcs[i].access = access_svc_new(sh, rc->svcs[i].conf);
		if (!rc->svcs[i].access) {
			log_errno(rc->svcs[i].name, "access_svc_new", errno);
			return -1;
		}
	}
	return 0;
}

/* start() each service; a failing one loses its listeners. */
void runconf_start(struct runconf *rc)
{
	size_t i;

	for (i = 0; i < rc->nsvcs; i++) {
		struct superd_service *svc = &rc->svcs[i];

		if (!svc->conf->enabled)
			continue;
		if (svc->tls)
			tls_log_ktls_once();
		if (!svc->module->start || svc->module->start(svc->instance) == 0) {
			svc->started = 1;
			continue;
		}
		log_msg(SUPERD_LOG_ERROR, svc->name,
		        "module '%s' failed to start; the service is off",
		        svc->conf->module);
	}
	for (i = 0; i < rc->nls; i++) {
		if (rc->ls[i].svc->started)
			continue;
		listener_release(rc->ls[i].ls);
		rc->ls[i].ls = NULL;
	}
}

/* Give back rc's references to its sockets. */
void runconf_drop_listeners(struct runconf *rc)
{
	size_t i;

	for (i = 0; i < rc->nls; i++) {
		listener_release(rc->ls[i].ls);
		rc->ls[i].ls = NULL;
	}
}

/* Free everything rc owns (see runconf.h). */
void runconf_free(struct runconf *rc)
{
	size_t i;

	if (!rc)
		return;
	for (i = 0; i < rc->nls; i++)
		listener_release(rc->ls[i].ls);
	free(rc->ls);
	for (i = 0; i < rc->nsvcs; i++) {
		struct superd_service *svc = &rc->svcs[i];

		if (svc->configured && svc->module->destroy)
			svc->module->destroy(svc->instance);
		if (svc->access)
			access_svc_free(svc->access);
		spawn_service_free(svc);
		tls_ctx_free(svc->tls);
		sandbox_service_free(svc);
		loader_release(svc->lib);
	}
	free(rc->svcs);
	config_free(rc->cfg);
	free(rc);
}
