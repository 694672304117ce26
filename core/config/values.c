/*
 * values.c - typed configuration values and their errors (see values.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "suggest.h"
#include "values.h"

/* Format the message, then report it with its prefix and key. */
void conf_verror(const struct superd_opt *at, const char *prefix,
                 const char *key, const char *fmt, va_list ap)
{
	char msg[768];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	diag_at(at, "%s%s%s%s", prefix ? prefix : "", key ? key : "",
	        key ? ": " : "", msg);
}

/* Report "PREFIXKEY: message" at at. */
void conf_error(const struct superd_opt *at, const char *prefix,
                const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verror(at, prefix, key, fmt, ap);
	va_end(ap);
}

/* A whole number in min..max. */
int conf_uint(const struct superd_opt *at, const char *prefix, const char *key,
              unsigned long long min, unsigned long long max,
              unsigned long long *out)
{
	unsigned long long v;
	char what[64];
	int rc = conftree_uint(at, &v);

	if (rc == -1) {
		conf_error(at, prefix, key, "expected a whole number, got %s",
		           conftree_what(at, what, sizeof(what)));
		return -1;
	}
	if (rc == -2 || v < min || v > max) {
		conf_error(at, prefix, key, "%.40s is out of range (%llu..%llu)",
		           at->str, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* A boolean. */
int conf_bool(const struct superd_opt *at, const char *prefix, const char *key,
              int *out)
{
	char what[64];

	if (conftree_bool(at, out) < 0) {
		conf_error(at, prefix, key, "expected true or false, got %s",
		           conftree_what(at, what, sizeof(what)));
		return -1;
	}
	return 0;
}

/* A string scalar, in place; empty only when empty_ok. */
int conf_text(const struct superd_opt *at, const char *prefix, const char *key,
              int empty_ok, const char **out)
{
	char what[64];
	int empty = at->kind == SUPERD_OPT_SCALAR && at->len == 0;

	if (at->kind != SUPERD_OPT_SCALAR || conftree_is_null(at) ||
	    (empty && !empty_ok)) {
		conf_error(at, prefix, key, "expected a string, got %s",
		           empty && !empty_ok ? "nothing"
		           : conftree_what(at, what, sizeof(what)));
		return -1;
	}
	*out = at->str;
	return 0;
}

/* A non-empty string, copied into *out (whatever was there is freed). */
int conf_string(const struct superd_opt *at, const char *prefix,
                const char *key, char **out)
{
	const char *text;

	if (conf_text(at, prefix, key, 0, &text) < 0)
		return -1;
	free(*out);
	*out = strdup(text);
	if (!*out) {
		conf_error(at, prefix, key, "out of memory");
		return -1;
	}
	return 0;
}

/* A mapping's key: its index among allowed, or -1 (reported). */
int conf_key(const struct superd_opt *key, const char *prefix, const char *noun,
             const char *const *allowed, int xinetd)
{
	char hint[160];

	for (int i = 0; allowed && allowed[i]; i++)
		if (strcmp(allowed[i], key->str) == 0)
			return i;
	conf_error(key, prefix, NULL, "unknown %s '%.100s'%s", noun, key->str,
	           conf_suggest(key->str, allowed, xinetd, hint, sizeof(hint)));
	return -1;
}

/* One of words; its index. */
int conf_word(const struct superd_opt *at, const char *prefix, const char *key,
              const char *const *words, int *out)
{
	char list[256] = "", what[64];
	size_t n = 0;

	while (words[n])
		n++;
	for (size_t i = 0; i < n && at->kind == SUPERD_OPT_SCALAR; i++) {
		if (strcmp(at->str, words[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
		         i == 0 ? "" : i + 1 == n ? " or " : ", ", words[i]);
	conf_error(at, prefix, key, "expected %s, got %s", list,
	           conftree_what(at, what, sizeof(what)));
	return -1;
}
