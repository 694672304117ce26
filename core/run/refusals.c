/*
 * refusals.c - refused handshakes summed up per burst (see refusals.h).
 */
#include <stdio.h>
#include <string.h>

#include "refusals.h"

/* Count a refusal (see refusals.h). */
int refusals_add(struct refusals *r, uint64_t now, uint64_t window,
                 const char *why)
{
	size_t i;

	if (!r->line_ms || now - r->line_ms >= window) {
		if (r->n == 0) {
			r->line_ms = now ? now : 1;
			return 1;
		}
	}
	r->n++;
	for (i = 0; i < REFUSALS_REASONS && r->count[i]; i++)
		if (strncmp(r->why[i], why, REFUSALS_WHY - 1) == 0)
			break;
	if (i < REFUSALS_REASONS && !r->count[i])
		snprintf(r->why[i], sizeof(r->why[i]), "%s", why);
	r->count[i]++;
	return 0;
}

/* Append "N why" to buf at *len, comma-separated. */
static void put(char *buf, size_t size, size_t *len, unsigned long n,
                const char *why)
{
	int k;

	if (*len >= size)
		return;
	k = snprintf(buf + *len, size - *len, "%s%lu %s", *len ? ", " : "", n, why);
	if (k > 0)
		*len += (size_t)k;
}

/* Sum up and start a new window (see refusals.h). */
unsigned long refusals_summary(struct refusals *r, uint64_t now, char *buf,
                               size_t size)
{
	unsigned long n = r->n;
	int done[REFUSALS_REASONS] = { 0 };
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	if (n == 0)
		return 0;
	for (;;) {
		size_t best = REFUSALS_REASONS;

		for (size_t i = 0; i < REFUSALS_REASONS; i++)
			if (r->count[i] && !done[i] &&
			    (best == REFUSALS_REASONS || r->count[i] > r->count[best]))
				best = i;
		if (best == REFUSALS_REASONS)
			break;
		done[best] = 1;
		put(buf, size, &len, r->count[best], r->why[best]);
	}
	if (r->count[REFUSALS_REASONS])
		put(buf, size, &len, r->count[REFUSALS_REASONS], "other");
	memset(r->count, 0, sizeof(r->count));
	r->n = 0;
	r->line_ms = now ? now : 1;
	return n;
}
