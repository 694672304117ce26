/*
 * rootcheck.c - warnings for module code that would run as root (see
 * rootcheck.h).  Root with no `user` is what a fresh install does; the
 * Debian package names its own system user instead.
 */
#include "conf.h"

#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "rootcheck.h"

/* The key node of `global:` in the main file, or the file's root node. */
static const struct superd_opt *global_at(const struct config *cfg)
{
	const struct superd_opt *root = cfg->tree;

	for (size_t i = 0; root->kind == SUPERD_OPT_MAP && i < root->n; i++)
		if (strcmp(root->keys[i]->str, "global") == 0)
			return root->keys[i];
	return root;
}

/* One service: its programs, or its wait-style serve(), as root. */
static unsigned warn_service(const struct superd_service *svc)
{
	static const char why[] = "no 'user' for the service, no global: user";

	if (!svc->conf || !svc->conf->enabled || svc->user_ids)
		return 0;
	if (svc->spawns_at && svc->wait) {
		diag_warn_at(svc->spawns_at, "service '%s': %s would run as root, "
		             "started by the master in wait style (%s)", svc->name,
		             svc->spawns_what, why);
		return 1;
	}
	if (svc->spawns_at) {
		diag_warn_at(svc->spawns_at, "service '%s': %s would run as root (%s)",
		             svc->name, svc->spawns_what, why);
		return 1;
	}
	if (svc->wait) {
		diag_warn_at(svc->conf->name_at, "service '%s': the module's serve() "
		             "would run as root, in a child of the master (wait "
		             "style; no global: user)", svc->name);
		return 1;
	}
	return 0;
}

unsigned rootcheck_warn(const struct runconf *rc)
{
	unsigned warned = 1;

	if (geteuid() != 0 || rc->cfg->global.user)
		return 0;
	diag_warn_at(global_at(rc->cfg), "global: no 'user': the workers would run "
	             "every module as root (set it to an unprivileged account)");
	for (size_t i = 0; i < rc->nsvcs; i++)
		warned += warn_service(&rc->svcs[i]);
	return warned;
}
