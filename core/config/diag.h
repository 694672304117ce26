/*
 * diag.h - configuration diagnostics, from one place.
 *
 * Every configuration error goes through diag_at()/diag_file(), which format
 * "FILE:LINE:COLUMN: message" (or "FILE: message") and hand the line to the
 * current sink: stderr by default (superd -t, start-up), the log while the
 * server runs (a refused reload).
 */
#ifndef SUPERD_DIAG_H
#define SUPERD_DIAG_H

#include <stdarg.h>

#include "conftree.h"

typedef void diag_sink_fn(const char *line);

/** Route diagnostics to sink (NULL restores stderr). */
void diag_set_sink(diag_sink_fn *sink);
/** Report an error at node's position. */
void diag_at(const struct superd_opt *at, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Report an error at an explicit position (line 0: no position). */
void diag_pos(const char *file, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** diag_at() with a va_list (for wrappers that add a prefix). */
void diag_vat(const struct superd_opt *at, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/**
 * A warning at node's position: "FILE:LINE:COLUMN: warning: message".  Not
 * counted as an error (the file is still good), never cut by the limit.
 */
void diag_warn_at(const struct superd_opt *at, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/**
 * Start a run (one configuration check): past limit errors in this run,
 * the rest are counted but not printed, after one line saying so, so a
 * file with a million mistakes cannot flood the terminal or the log.
 * limit 0: no limit.
 */
void diag_begin(unsigned limit);
/** Number of errors reported since the last diag_reset(). */
unsigned diag_count(void);
void diag_reset(void);

#endif
