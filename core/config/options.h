/*
 * options.h - the option accessors modules get through struct superd_host.
 *
 * Shared by the real host (host.c) and the unit tests' fake host, so a
 * module sees exactly the same option semantics in both.  Errors are
 * printed through diag as "FILE:LINE:COLUMN: service NAME: message".
 * Scalars: booleans are true/false/yes/no/on/off (unquoted); integers are
 * decimal digits only.
 */
#ifndef SUPERD_OPTIONS_H
#define SUPERD_OPTIONS_H

#include "superd/module.h"

int opt_kind(const superd_opt *o);
const superd_opt *opt_get(const superd_opt *map, const char *key);
size_t opt_count(const superd_opt *o);
const superd_opt *opt_at(const superd_opt *o, size_t i);
const char *opt_key_at(const superd_opt *map, size_t i);
const char *opt_str(const superd_opt *o);
void opt_error(superd_service *svc, const superd_opt *o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int opt_check_keys(superd_service *svc, const superd_opt *map,
                   const char *const *allowed);
int opt_bool(superd_service *svc, const superd_opt *o, int *out);
int opt_uint(superd_service *svc, const superd_opt *o, unsigned long long min,
             unsigned long long max, unsigned long long *out);
int opt_string(superd_service *svc, const superd_opt *o, const char **out);

#endif
