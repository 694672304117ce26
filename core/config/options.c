/*
 * options.c - the option accessors modules reach through struct superd_host.
 *
 * Modules see their `options:` tree only through these functions, so a
 * boolean, an integer or an unknown key means the same thing in every
 * module, and every error carries the file position of the value at fault:
 * "FILE:LINE:COLUMN: service NAME: message".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conftree.h"
#include "diag.h"
#include "options.h"
#include "runconf.h"
#include "suggest.h"

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

/* Report at o (or the service's own node), prefixed with the service. */
void opt_error(superd_service *svc, const superd_opt *o, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!o && svc)
		o = svc->at;
	if (svc && svc->name)
		diag_at(o, "service %s: %s", svc->name, msg);
	else
		diag_at(o, "%s", msg);
}

int opt_check_keys(superd_service *svc, const superd_opt *map,
                   const char *const *allowed)
{
	char what[64], hint[160];

	if (!map)
		return 0;
	if (map->kind != SUPERD_OPT_MAP) {
		opt_error(svc, map, "expected a mapping of options, got %s",
		          conftree_what(map, what, sizeof(what)));
		return -1;
	}
	for (size_t i = 0; i < map->n; i++) {
		size_t j = 0;

		while (allowed && allowed[j] && strcmp(allowed[j], map->keys[i]->str))
			j++;
		if (!allowed || !allowed[j]) {
			opt_error(svc, map->keys[i], "unknown option '%.100s'%s",
			          map->keys[i]->str,
			          conf_suggest(map->keys[i]->str, allowed, 0, hint,
			                       sizeof(hint)));
			return -1;
		}
	}
	return 0;
}

int opt_bool(superd_service *svc, const superd_opt *o, int *out)
{
	char what[64];

	if (!o)
		return 0;
	if (conftree_bool(o, out) < 0) {
		opt_error(svc, o, "expected true or false, got %s",
		          conftree_what(o, what, sizeof(what)));
		return -1;
	}
	return 0;
}

int opt_uint(superd_service *svc, const superd_opt *o, unsigned long long min,
             unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char what[64];
	int rc;

	if (!o)
		return 0;
	rc = conftree_uint(o, &v);
	if (rc == -1) {
		opt_error(svc, o, "expected a whole number, got %s",
		          conftree_what(o, what, sizeof(what)));
		return -1;
	}
	if (rc == -2 || v < min || v > max) {
		opt_error(svc, o, "%.40s is out of range (%llu..%llu)", o->str,
		          min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int opt_string(superd_service *svc, const superd_opt *o, const char **out)
{
	char what[64];

	if (!o)
		return 0;
	if (o->kind != SUPERD_OPT_SCALAR || conftree_is_null(o)) {
		opt_error(svc, o, "expected a string, got %s",
		          conftree_what(o, what, sizeof(what)));
		return -1;
	}
	*out = o->str;
	return 0;
}
