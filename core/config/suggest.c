/*
 * suggest.c - "did you mean" for unknown keys, and xinetd's attribute
 * names mapped to superd's (people port xinetd files by hand).
 */
#include <stdio.h>
#include <string.h>

#include "suggest.h"

#define SUGGEST_KEY_MAX 64 /* longer keys are never close to a known one */

/* xinetd attribute -> what superd has instead. */
static const struct {
	const char *xinetd;
	const char *superd;
} xinetd_names[] = {
	{ "only_from", "'allow'" },
	{ "no_access", "'deny'" },
	{ "instances", "'max_connections'" },
	{ "cps", "'rate'" },
	{ "disable", "'enabled', the opposite way" },
	{ "server", "the exec module's 'argv' option" },
	{ "server_args", "the rest of the exec module's 'argv' option" },
	{ "socket_type", "'protocol'" },
	{ "port", "'listen'" },
	{ "bind", "'listen' with HOST:PORT" },
	{ "interface", "'listen' with HOST:PORT" },
	{ "wait", "the exec module's 'wait' option" },
	{ "user", "the exec module's 'user' option, or global: user" },
	{ "group", "the exec module's 'group' option, or global: group" },
	{ "env", "the exec module's 'env' option" },
	{ "log_type", "global: log" },
	{ "includedir", "global: include" },
	{ NULL, NULL }
};

unsigned conf_edit_distance(const char *a, const char *b)
{
	unsigned char d[SUGGEST_KEY_MAX + 1][SUGGEST_KEY_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la > SUGGEST_KEY_MAX || lb > SUGGEST_KEY_MAX)
		return 255;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned char)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned char)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1u < best)
				best = d[i - 1][j] + 1u;
			if (d[i][j - 1] + 1u < best)
				best = d[i][j - 1] + 1u;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1u < best)
				best = d[i - 2][j - 2] + 1u; /* swapped neighbours */
			d[i][j] = (unsigned char)best;
		}
	}
	return d[la][lb];
}

const char *conf_suggest(const char *key, const char *const *known,
                         int xinetd, char *buf, size_t size)
{
	const char *best = NULL;
	unsigned best_d = 255, limit;

	buf[0] = '\0';
	for (size_t i = 0; xinetd && xinetd_names[i].xinetd; i++) {
		if (strcmp(key, xinetd_names[i].xinetd) == 0) {
			snprintf(buf, size, " (xinetd's %s; superd has %s)", key,
			         xinetd_names[i].superd);
			return buf;
		}
	}
	limit = strlen(key) <= 4 ? 1 : strlen(key) <= 8 ? 2 : 3;
	for (size_t i = 0; known && known[i]; i++) {
		unsigned d = conf_edit_distance(key, known[i]);

		if (d < best_d) {
			best_d = d;
			best = known[i];
		}
	}
	if (best && best_d <= limit)
		snprintf(buf, size, " (did you mean '%s'?)", best);
	return buf;
}
