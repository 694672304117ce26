/*
 * config_tls.c - check a service's `tls:` block (contract: "TLS").
 *
 *   tls:
 *     cert: PATH            PEM certificate chain (required)
 *     key: PATH             PEM private key (required)
 *     sni: [{names: [..], cert: PATH, key: PATH}, ...]
 *     client_ca: PATH       require a client certificate signed by these
 *     min_version: "1.2"    or "1.3"
 *     handshake_timeout: 10 seconds
 *
 * Only the shape is checked here (pure: no file is opened); the TLS layer
 * reads the files when the configuration is loaded (tls_ctx_new), and
 * reports a bad file at the key's position.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_check.h"

#define HANDSHAKE_TIMEOUT_DEFAULT 10
#define HANDSHAKE_TIMEOUT_MAX 3600
#define SNI_NAME_MAX 253

/* Free what one certificate entry owns. */
static void cert_clear(struct tls_cert_conf *cc)
{
	free(cc->cert);
	free(cc->key);
	for (size_t i = 0; i < cc->nnames; i++)
		free(cc->names[i]);
	free(cc->names);
}

/* Free a tls_conf (see config_check.h). */
void conf_tls_free(struct tls_conf *tc)
{
	if (!tc)
		return;
	for (size_t i = 0; i < tc->ncerts; i++)
		cert_clear(&tc->certs[i]);
	free(tc->certs);
	free(tc->client_ca);
	free(tc);
}

/* Report keys of map not in allowed, each with its nearest known key
 * (values.c: the one unknown-key check).  0 or -1. */
static int check_keys(const struct superd_opt *map, const char *prefix,
                      const char *const *allowed)
{
	int bad = 0;

	for (size_t i = 0; i < map->n; i++)
		if (conf_key(map->keys[i], prefix, "key", allowed, 0) < 0)
			bad = 1;
	return bad ? -1 : 0;
}

/* cert and key of map into cc; both required.  0 or -1. */
static int cert_pair(const struct conf_build *b, const struct superd_opt *map,
                     const struct superd_opt *where, const char *prefix,
                     struct tls_cert_conf *cc)
{
	const struct superd_opt *cert = conftree_get(map, "cert");
	const struct superd_opt *key = conftree_get(map, "key");
	int rc = 0;

	if (!cert || !key) {
		conf_error(where, prefix, NULL, "missing required key '%s'",
		           cert ? "key" : "cert");
		return -1;
	}
	if (conf_path(b, cert, prefix, "cert", &cc->cert) < 0)
		rc = -1;
	if (conf_path(b, key, prefix, "key", &cc->key) < 0)
		rc = -1;
	cc->cert_at = cert;
	cc->key_at = key;
	return rc;
}

/* A server name: letters, digits, '-', '.', optionally "*." first. */
static int sni_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > SNI_NAME_MAX)
		return 0;
	if (len > 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-' && c != '.')
			return 0;
	}
	return s[0] != '.' && s[len - 1] != '.';
}

/* names: one name or a list of them, into cc (lower case).  0 or -1. */
static int sni_names(const struct superd_opt *v, const char *prefix,
                     struct tls_cert_conf *cc)
{
	size_t n = v->kind == SUPERD_OPT_SEQ ? v->n : 1;

	cc->names_at = v;
	if (v->kind == SUPERD_OPT_MAP || n == 0) {
		conf_error(v, prefix, "names", "expected a server name or a list "
		           "of them");
		return -1;
	}
	cc->names = calloc(n, sizeof(*cc->names));
	if (!cc->names) {
		conf_error(v, prefix, "names", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct superd_opt *it = v->kind == SUPERD_OPT_SEQ ? v->items[i] : v;

		if (it->kind != SUPERD_OPT_SCALAR || !sni_name_ok(it->str, it->len)) {
			conf_error(it, prefix, "names", "'%.100s' is not a server name "
			           "(a DNS name, or *. and one)",
			           it->kind == SUPERD_OPT_SCALAR ? it->str : "");
			return -1;
		}
		cc->names[i] = strdup(it->str);
		if (!cc->names[i]) {
			conf_error(it, prefix, "names", "out of memory");
			return -1;
		}
		cc->nnames++;
		for (char *p = cc->names[i]; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	return 0;
}

/* One sni: entry into cc.  0 or -1. */
static int sni_entry(const struct conf_build *b, const struct superd_opt *e,
                     const char *prefix, struct tls_cert_conf *cc)
{
	static const char *const keys[] = { "names", "cert", "key", NULL };
	const struct superd_opt *names;
	int rc = 0;

	if (e->kind != SUPERD_OPT_MAP) {
		conf_error(e, prefix, "sni", "expected a mapping with names, cert "
		           "and key");
		return -1;
	}
	if (check_keys(e, prefix, keys) < 0)
		rc = -1;
	names = conftree_get(e, "names");
	if (!names) {
		conf_error(e, prefix, NULL, "missing required key 'names'");
		rc = -1;
	} else if (sni_names(names, prefix, cc) < 0) {
		rc = -1;
	}
	if (cert_pair(b, e, e, prefix, cc) < 0)
		rc = -1;
	return rc;
}

/* sni: a list of entries, appended to tc->certs.  0 or -1. */
static int sni_list(const struct conf_build *b, const struct superd_opt *v,
                    const char *prefix, struct tls_conf *tc)
{
	struct tls_cert_conf *certs;
	int rc = 0;

	if (v->kind != SUPERD_OPT_SEQ) {
		conf_error(v, prefix, "sni", "expected a list of {names, cert, key}");
		return -1;
	}
	certs = realloc(tc->certs, (1 + v->n) * sizeof(*certs));
	if (!certs) {
		conf_error(v, prefix, "sni", "out of memory");
		return -1;
	}
	tc->certs = certs;
	for (size_t i = 0; i < v->n; i++) {
		memset(&tc->certs[tc->ncerts], 0, sizeof(tc->certs[0]));
		tc->ncerts++;
		if (sni_entry(b, v->items[i], prefix, &tc->certs[tc->ncerts - 1]) < 0)
			rc = -1;
	}
	return rc;
}

/* min_version, handshake_timeout and client_ca.  0 or -1. */
static int tls_scalars(const struct conf_build *b, const struct superd_opt *v, const char *prefix,
                       struct tls_conf *tc)
{
	static const char *const versions[] = { "1.2", "1.3", NULL };
	const struct superd_opt *o;
	unsigned long long u;
	int w, rc = 0;

	if ((o = conftree_get(v, "min_version"))) {
		if (conf_word(o, prefix, "min_version", versions, &w) < 0)
			rc = -1;
		else
			tc->min_version = w == 0 ? 12 : 13;
	}
	if ((o = conftree_get(v, "handshake_timeout"))) {
		if (conf_uint(o, prefix, "handshake_timeout", 1,
		              HANDSHAKE_TIMEOUT_MAX, &u) < 0)
			rc = -1;
		else
			tc->handshake_timeout = (unsigned)u;
	}
	if ((o = conftree_get(v, "client_ca"))) {
		tc->client_ca_at = o;
		if (conf_path(b, o, prefix, "client_ca", &tc->client_ca) < 0)
			rc = -1;
	}
	return rc;
}

/* Check a `tls:` block (see config_check.h). */
int conf_tls(const struct conf_build *b, const struct superd_opt *v,
             const char *prefix, struct tls_conf **out)
{
	static const char *const keys[] = { "cert", "key", "sni", "client_ca",
		"min_version", "handshake_timeout", NULL };
	char pfx[256];
	struct tls_conf *tc;
	int rc = 0;

	snprintf(pfx, sizeof(pfx), "%stls: ", prefix ? prefix : "");
	if (v->kind != SUPERD_OPT_MAP) {
		conf_error(v, prefix, "tls", "expected a mapping with cert and key");
		return -1;
	}
	tc = calloc(1, sizeof(*tc));
	if (!tc || !(tc->certs = calloc(1, sizeof(*tc->certs)))) {
		free(tc);
		conf_error(v, prefix, "tls", "out of memory");
		return -1;
	}
	tc->at = v;
	tc->ncerts = 1;
	tc->min_version = 12;
	tc->handshake_timeout = HANDSHAKE_TIMEOUT_DEFAULT;
	if (check_keys(v, pfx, keys) < 0)
		rc = -1;
	if (cert_pair(b, v, v, pfx, &tc->certs[0]) < 0)
		rc = -1;
	if (conftree_get(v, "sni") && sni_list(b, conftree_get(v, "sni"), pfx, tc) < 0)
		rc = -1;
	if (tls_scalars(b, v, pfx, tc) < 0)
		rc = -1;
	conf_tls_free(*out);
	*out = tc;
	return rc;
}
