/*
 * refusals.h - refused TLS handshakes of one service in one worker, logged
 * once per burst: the first refusal gets its own line, the others are
 * counted by reason and summed up in at most one line per window.
 */
#ifndef SUPERD_REFUSALS_H
#define SUPERD_REFUSALS_H

#include <stddef.h>
#include <stdint.h>

/** Distinct reasons a summary names; more are counted as "other". */
#define REFUSALS_REASONS 4
#define REFUSALS_WHY 64

struct loop_timer;

struct refusals {
	uint64_t line_ms;      /**< when the last line was logged; 0: never */
	unsigned long n;       /**< refused since that line, not logged */
	unsigned long count[REFUSALS_REASONS + 1]; /**< per reason; last: other */
	char why[REFUSALS_REASONS][REFUSALS_WHY];
	struct loop_timer *timer; /**< the pending summary's (owner's business) */
};

/**
 * Count a refusal for why at now (ms).  1: log it now (the first of a
 * burst: no line in the last window ms); 0: counted for the summary.
 */
int refusals_add(struct refusals *r, uint64_t now, uint64_t window,
                 const char *why);
/**
 * Write the counted refusals by reason into buf ("3 handshake timeout, 1
 * no shared cipher"), most frequent first, and start a new window at now.
 * The number summed up (0: nothing to say, nothing changed).
 */
unsigned long refusals_summary(struct refusals *r, uint64_t now, char *buf,
                               size_t size);

#endif
