/*
 * diag.c - configuration diagnostics: format, sanitise, hand to the sink.
 *
 * Lines are "FILE:LINE:COLUMN: message" or "FILE: message".  Control
 * characters from the file (a key holding a newline, an escape sequence)
 * are shown as '?', so a hostile file cannot forge log lines or drive a
 * terminal.  Over-long lines are cut.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

#define DIAG_LINE_MAX 1024

static diag_sink_fn *diag_sink;
static unsigned diag_errors;
static unsigned diag_run_errors; /* errors since diag_begin() */
static unsigned diag_run_limit;  /* 0: print them all */

/* Default sink: one line on stderr. */
static void diag_to_stderr(const char *line)
{
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

void diag_set_sink(diag_sink_fn *sink)
{
	diag_sink = sink;
}

unsigned diag_count(void)
{
	return diag_errors;
}

void diag_reset(void)
{
	diag_errors = 0;
	diag_run_errors = 0;
}

void diag_begin(unsigned limit)
{
	diag_run_errors = 0;
	diag_run_limit = limit;
}

/* Replace control bytes so one diagnostic is always one printable line. */
static void diag_sanitise(char *line)
{
	for (unsigned char *p = (unsigned char *)line; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* Format the position prefix and the message, count it, emit it. */
static void diag_emit(const char *file, unsigned line, unsigned col,
                      const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static void diag_emit(const char *file, unsigned line, unsigned col,
                      const char *fmt, va_list ap)
{
	char buf[DIAG_LINE_MAX];
	int used;

	if (!file)
		file = "superd";
	diag_errors++;
	diag_run_errors++;
	if (diag_run_limit && diag_run_errors > diag_run_limit) {
		if (diag_run_errors == diag_run_limit + 1) {
			snprintf(buf, sizeof(buf), "%s: too many errors (more than "
			         "%u); not showing the rest", file, diag_run_limit);
			diag_sanitise(buf);
			(diag_sink ? diag_sink : diag_to_stderr)(buf);
		}
		return;
	}
	if (line > 0)
		used = snprintf(buf, sizeof(buf), "%s:%u:%u: ", file, line, col);
	else
		used = snprintf(buf, sizeof(buf), "%s: ", file);
	if (used < 0)
		used = 0;
	if ((size_t)used < sizeof(buf))
		vsnprintf(buf + used, sizeof(buf) - (size_t)used, fmt, ap);
	diag_sanitise(buf);
	(diag_sink ? diag_sink : diag_to_stderr)(buf);
}

void diag_vat(const struct superd_opt *at, const char *fmt, va_list ap)
{
	if (at)
		diag_emit(at->file, at->line, at->col, fmt, ap);
	else
		diag_emit(NULL, 0, 0, fmt, ap);
}

void diag_at(const struct superd_opt *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vat(at, fmt, ap);
	va_end(ap);
}

void diag_pos(const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_emit(file, line, col, fmt, ap);
	va_end(ap);
}

void diag_warn_at(const struct superd_opt *at, const char *fmt, ...)
{
	char buf[DIAG_LINE_MAX];
	va_list ap;
	int used;

	if (at && at->line > 0)
		used = snprintf(buf, sizeof(buf), "%s:%u:%u: warning: ", at->file,
		                at->line, at->col);
	else
		used = snprintf(buf, sizeof(buf), "%s: warning: ",
		                at && at->file ? at->file : "superd");
	if (used < 0)
		used = 0;
	va_start(ap, fmt);
	if ((size_t)used < sizeof(buf))
		vsnprintf(buf + used, sizeof(buf) - (size_t)used, fmt, ap);
	va_end(ap);
	diag_sanitise(buf);
	(diag_sink ? diag_sink : diag_to_stderr)(buf);
}
