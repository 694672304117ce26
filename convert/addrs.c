/*
 * addrs.c - xinetd's address forms (only_from, no_access) as superd's
 * CIDR rules: a.b.c.d (trailing zero octets are wildcards: 10.0.0.0 is
 * 10.0.0.0/8), a.b.c.d/n, a.b.c.{x,y} (each), IPv6 and IPv6/n, 0.0.0.0
 * (everyone), localhost.  Host and domain names are not rules in superd:
 * warned about and kept as a note.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

/* a.b.c.d with zero octets on the right as wildcards (missing ones
 * too: 192.168.1 is 192.168.1.0/24); 0 or -1. */
static int ipv4_wild(const char *word, struct strv *out)
{
	struct in_addr a;
	unsigned char *b = (unsigned char *)&a;
	int bits = 32, dots = 0;
	char *full;

	for (const char *p = word; *p; p++)
		dots += *p == '.';
	if (dots < 3 && strspn(word, "0123456789.") == strlen(word) && *word) {
		full = cv_printf("%s%s", word, dots == 0 ? ".0.0.0" : dots == 1 ? ".0.0" : ".0");
		if (inet_pton(AF_INET, full, &a) != 1) {
			free(full);
			return -1;
		}
		strv_addf(out, "%s/%d", full, 8 * (dots + 1));
		free(full);
		return 0;
	}
	if (inet_pton(AF_INET, word, &a) != 1)
		return -1;
	if (a.s_addr == 0) {
		strv_add(out, "0.0.0.0/0");
		strv_add(out, "::/0");
		return 0;
	}
	while (bits > 0 && b[bits / 8 - 1] == 0)
		bits -= 8;
	if (bits == 32)
		strv_add(out, word);
	else
		strv_addf(out, "%s/%d", word, bits);
	return 0;
}

/* a.b.c.{x,y,z}: each. */
static int factorized(const char *word, struct strv *out)
{
	const char *open = strchr(word, '{'), *close = strchr(word, '}');
	char *list, *tok, *save;
	int rc = 0;

	if (!open || !close || close < open || close[1])
		return -1;
	list = cv_printf("%.*s", (int)(close - open - 1), open + 1);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *one = cv_printf("%.*s%s", (int)(open - word), word, tok);

		if (ipv4_wild(one, out) < 0)
			rc = -1;
		free(one);
	}
	free(list);
	return rc;
}

/* An address with a prefix length: checked, kept. */
static int with_prefix(const char *word, struct strv *out)
{
	const char *slash = strchr(word, '/');
	unsigned char buf[16];
	char *host;
	int ok;

	if (!slash || strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
	    !slash[1])
		return -1;
	host = cv_printf("%.*s", (int)(slash - word), word);
	ok = inet_pton(strchr(host, ':') ? AF_INET6 : AF_INET, host, buf) == 1;
	free(host);
	if (!ok)
		return -1;
	strv_add(out, word);
	return 0;
}

void cv_addrs(struct cv_doc *d, struct cv_svc *s, const char *where,
              const struct strv *words, size_t first, struct strv *out)
{
	unsigned char buf[16];

	for (size_t i = first; i < words->n; i++) {
		const char *w = words->v[i];

		if (strcmp(w, "localhost") == 0) {
			strv_add(out, "127.0.0.1");
			strv_add(out, "::1");
		} else if (strchr(w, '/') ? with_prefix(w, out) == 0
		           : strchr(w, '{') ? factorized(w, out) == 0
		           : strchr(w, ':') ? inet_pton(AF_INET6, w, buf) == 1 &&
		                              (strv_add(out, w), 1)
		           : ipv4_wild(w, out) == 0) {
			;
		} else {
			cv_unsupported(d, s, where, "address", w, "superd's allow and "
			               "deny take addresses and prefixes, not names");
		}
	}
}
