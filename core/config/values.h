/*
 * values.h - typed values of the configuration, with their errors, from
 * one place: core's keys (config*.c) and modules' options (options.c,
 * host->opt_*) read booleans, whole numbers, strings and words here, so a
 * value means the same everywhere and a bad one gets the same message.
 *
 * Every message is "PREFIXKEY: what is wrong" at the value's position,
 * through diag: "service 'web': timeout: expected a whole number, got
 * 'soon'" for core, "service web: expected true or false, got 'maybe'" for
 * a module option (prefix "service NAME: ", no key).
 */
#ifndef SUPERD_VALUES_H
#define SUPERD_VALUES_H

#include <stdarg.h>

#include "conftree.h"

/** Report "PREFIXKEY: message" at at (prefix and key may be NULL). */
void conf_error(const struct superd_opt *at, const char *prefix,
                const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** conf_error() with a va_list. */
void conf_verror(const struct superd_opt *at, const char *prefix,
                 const char *key, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
/** A whole number in min..max.  0, or -1 (reported). */
int conf_uint(const struct superd_opt *at, const char *prefix, const char *key,
              unsigned long long min, unsigned long long max,
              unsigned long long *out);
/** true/false (yes/no, on/off).  0, or -1 (reported). */
int conf_bool(const struct superd_opt *at, const char *prefix, const char *key,
              int *out);
/**
 * A string scalar (not null), in place: *out points into the tree.  An
 * empty one only when empty_ok.  0, or -1 (reported).
 */
int conf_text(const struct superd_opt *at, const char *prefix, const char *key,
              int empty_ok, const char **out);
/** A non-empty string scalar, copied.  0, or -1 (reported). */
int conf_string(const struct superd_opt *at, const char *prefix,
                const char *key, char **out);
/**
 * The index of key's text in allowed (NULL-terminated; NULL: nothing is
 * allowed), or -1 after reporting "PREFIXunknown NOUN 'KEY'" with the
 * nearest allowed one (" (did you mean 'x'?)") or, with xinetd, what
 * superd calls an xinetd attribute (suggest.h).  noun: "key", "option".
 */
int conf_key(const struct superd_opt *key, const char *prefix, const char *noun,
             const char *const *allowed, int xinetd);
/** One of the NULL-terminated words; index in *out.  0, or -1 (reported). */
int conf_word(const struct superd_opt *at, const char *prefix, const char *key,
              const char *const *words, int *out);

#endif
