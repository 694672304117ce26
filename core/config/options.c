/*
 * options.c - the option accessors modules reach through struct superd_host.
 *
 * Modules see their `options:` tree only through these functions, so a
 * boolean, an integer or an unknown key means the same thing in every
 * module, and every error carries the file position of the value at fault:
 * "FILE:LINE:COLUMN: service NAME: message".  The typed readers wrap core's
 * own (values.c), so a value means the same, with the same message, in a
 * module's options and in core's keys.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conftree.h"
#include "diag.h"
#include "options.h"
#include "runconf.h"
#include "values.h"

#define SVC_PREFIX_MAX 128 /* "service NAME: "; names are at most 64 bytes */

int opt_kind(const superd_opt *o)
{
	return o ? o->kind : -1;
}

const superd_opt *opt_get(const superd_opt *map, const char *key)
{
	return conftree_get(map, key);
}

size_t opt_count(const superd_opt *o)
{
	if (!o || o->kind == SUPERD_OPT_SCALAR)
		return 0;
	return o->n;
}

const superd_opt *opt_at(const superd_opt *o, size_t i)
{
	if (!o || o->kind == SUPERD_OPT_SCALAR || i >= o->n)
		return NULL;
	return o->items[i];
}

const char *opt_key_at(const superd_opt *map, size_t i)
{
	if (!map || map->kind != SUPERD_OPT_MAP || i >= map->n)
		return NULL;
	return map->keys[i]->str;
}

const char *opt_str(const superd_opt *o)
{
	if (!o || o->kind != SUPERD_OPT_SCALAR)
		return NULL;
	return o->str;
}

/* The prefix of a service's option messages: "service NAME: " (or ""). */
static const char *svc_prefix(const superd_service *svc, char *buf, size_t size)
{
	if (!svc || !svc->name)
		return "";
	snprintf(buf, size, "service %s: ", svc->name);
	return buf;
}

/* Report at o (or the service's own node), prefixed with the service. */
void opt_error(superd_service *svc, const superd_opt *o, const char *fmt, ...)
{
	char prefix[SVC_PREFIX_MAX];
	va_list ap;

	if (!o && svc)
		o = svc->at;
	va_start(ap, fmt);
	conf_verror(o, svc_prefix(svc, prefix, sizeof(prefix)), NULL, fmt, ap);
	va_end(ap);
}

int opt_check_keys(superd_service *svc, const superd_opt *map,
                   const char *const *allowed)
{
	char what[64], prefix[SVC_PREFIX_MAX];

	if (!map)
		return 0;
	if (map->kind != SUPERD_OPT_MAP) {
		opt_error(svc, map, "expected a mapping of options, got %s",
		          conftree_what(map, what, sizeof(what)));
		return -1;
	}
	for (size_t i = 0; i < map->n; i++)
		if (conf_key(map->keys[i], svc_prefix(svc, prefix, sizeof(prefix)),
		             "option", allowed, 0) < 0)
			return -1;
	return 0;
}

/* The readers below are values.c's, for an option that may be absent. */
int opt_bool(superd_service *svc, const superd_opt *o, int *out)
{
	char prefix[SVC_PREFIX_MAX];

	if (!o)
		return 0;
	return conf_bool(o, svc_prefix(svc, prefix, sizeof(prefix)), NULL, out);
}

int opt_uint(superd_service *svc, const superd_opt *o, unsigned long long min,
             unsigned long long max, unsigned long long *out)
{
	char prefix[SVC_PREFIX_MAX];

	if (!o)
		return 0;
	return conf_uint(o, svc_prefix(svc, prefix, sizeof(prefix)), NULL, min,
	                 max, out);
}

int opt_string(superd_service *svc, const superd_opt *o, const char **out)
{
	char prefix[SVC_PREFIX_MAX];

	if (!o)
		return 0;
	return conf_text(o, svc_prefix(svc, prefix, sizeof(prefix)), NULL, 1, out);
}
