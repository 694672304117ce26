/*
 * site.c - what a request is served from: the service's own site (its
 * root and the options around it) or a virtual host from `hosts:`.
 *
 * A virtual host has its own root and may set any site option (root,
 * index, listing, listing_css, cgi, cache, error_pages, precompressed);
 * what it does not set comes from the service's options.  A request is
 * served by the host its Host field (or absolute-form target) names: an
 * exact name first, then the longest matching "*.suffix" pattern (which
 * matches any name below the suffix, not the suffix itself, as nginx
 * does); anything else by the service's own site.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"

/* The keys a host may set. */
static const char *const site_keys[] = {
	"root", "index", "listing", "listing_css", "cgi", "cache",
	"error_pages", "precompressed", NULL,
};

/* A site's option view: its own mapping, then the service's. */
struct site_opts {
	const struct superd_host *h;
	superd_service *svc;
	const superd_opt *own;  /**< the host's mapping, or NULL */
	const superd_opt *dflt; /**< the service's options */
};

/* The value of key: the site's own, else the service's, else NULL. */
static const superd_opt *site_opt(const struct site_opts *so, const char *key)
{
	const superd_opt *o = so->own ? so->h->opt_get(so->own, key) : NULL;

	return o ? o : so->h->opt_get(so->dflt, key);
}

/* A string or a list of strings into an array; def when absent. */
static int opt_string_list(const struct site_opts *so, const superd_opt *o,
                           const char *def, const char ***out, size_t *count)
{
	const struct superd_host *h = so->h;
	size_t n = !o ? 1 : h->opt_kind(o) == SUPERD_OPT_SEQ ? h->opt_count(o) : 1;

	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return -1;
	*count = n;
	if (!o) {
		(*out)[0] = def;
		return 0;
	}
	if (h->opt_kind(o) != SUPERD_OPT_SEQ)
		return h->opt_string(so->svc, o, &(*out)[0]);
	for (size_t i = 0; i < n; i++)
		if (h->opt_string(so->svc, h->opt_at(o, i), &(*out)[i]) < 0)
			return -1;
	return 0;
}

/* Every name non-empty and without '/'.  0 or -1 (reported). */
static int names_plain(const struct site_opts *so, const superd_opt *o,
                       const char **names, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (!names[i][0] || strchr(names[i], '/')) {
			so->h->opt_error(so->svc, o, "%s", what);
			return -1;
		}
	return 0;
}

/* The document root: an existing directory. */
static int site_root(struct http_site *site, const struct site_opts *so)
{
	const superd_opt *o = site_opt(so, "root");
	const char *root;
	char *abs, real[PATH_MAX];
	struct stat sb;

	if (!o) {
		so->h->opt_error(so->svc, so->dflt, "http: option 'root' is required");
		return -1;
	}
	if (so->h->opt_string(so->svc, o, &root) < 0)
		return -1;
	abs = http_config_path(so->h, so->svc, root);
	if (!abs)
		return -1;
	errno = 0;
	if (!realpath(abs, real) || stat(real, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		so->h->opt_error(so->svc, o, "root: %s: %s", abs,
		                 errno ? strerror(errno) : "not a directory");
		free(abs);
		return -1;
	}
	free(abs);
	site->root_real = strdup(real);
	return site->root_real ? 0 : -1;
}

/* error_pages: status (400-599) -> a file under the root. */
static int site_error_pages(struct http_site *site, const struct site_opts *so)
{
	const struct superd_host *h = so->h;
	const superd_opt *o = site_opt(so, "error_pages");
	size_t n;

	if (!o)
		return 0;
	if (h->opt_kind(o) != SUPERD_OPT_MAP) {
		h->opt_error(so->svc, o, "error_pages: a mapping of status codes "
		             "to files under the root expected (404: /404.html)");
		return -1;
	}
	n = h->opt_count(o);
	site->errors = calloc(n ? n : 1, sizeof(*site->errors));
	if (!site->errors)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *key = h->opt_key_at(o, i), *file;
		const superd_opt *v = h->opt_at(o, i);
		char *end;
		long status = strtol(key, &end, 10);

		if (*end || end == key || status < 400 || status > 599) {
			h->opt_error(so->svc, v, "error_pages: '%s' is not an error "
			             "status (400 to 599)", key);
			return -1;
		}
		if (h->opt_string(so->svc, v, &file) < 0)
			return -1;
		while (*file == '/')
			file++;
		if (!*file) {
			h->opt_error(so->svc, v, "error_pages: a file under the root expected");
			return -1;
		}
		site->errors[site->nerrors++] = (struct http_error_page){ (int)status, file };
	}
	return 0;
}

/* Flags, lists and caches of a site. */
static int site_rest(struct http_site *site, const struct site_opts *so)
{
	const struct superd_host *h = so->h;
	const superd_opt *o;
	int cache = 1;

	site->listing = 1;
	if (h->opt_bool(so->svc, site_opt(so, "listing"), &site->listing) < 0 ||
	    h->opt_bool(so->svc, site_opt(so, "cache"), &cache) < 0 ||
	    h->opt_bool(so->svc, site_opt(so, "precompressed"),
	                &site->precompressed) < 0)
		return -1;
	filecache_init(&site->fcache, cache ? 256 : 0, FC_MAX_FILE, NULL);
	filecache_init(&site->lcache, cache ? 16 : 0, FC_MAX_LISTING, NULL);
	filecache_init(&site->dcache, cache ? FC_FD_SLOTS : 0, 0, h);
	o = site_opt(so, "index");
	if (opt_string_list(so, o, "index.html", &site->index, &site->nindex) < 0 ||
	    names_plain(so, o, site->index, site->nindex,
	                "index: a file name without '/' expected") < 0)
		return -1;
	o = site_opt(so, "cgi");
	if (opt_string_list(so, o, ".cgi", &site->cgi_ext, &site->ncgi) < 0 ||
	    names_plain(so, o, site->cgi_ext, site->ncgi,
	                "cgi: a file name suffix expected") < 0)
		return -1;
	o = site_opt(so, "listing_css");
	if (o && h->opt_string(so->svc, o, &site->listing_css) < 0)
		return -1;
	return site_error_pages(site, so);
}

/* Configure one site from its options view; its root is declared to the
 * sandbox (read; and execute, for CGI scripts beneath it). */
static int site_configure(struct http_site *site, const struct site_opts *so)
{
	const struct superd_host *h = so->h;

	site->root_fd = -1;
	if (site_root(site, so) < 0 || site_rest(site, so) < 0)
		return -1;
	if (h->sandbox_path(so->svc, site->root_real, SUPERD_SANDBOX_READ) < 0 ||
	    (site->ncgi && h->sandbox_path(so->svc, site->root_real,
	                                   SUPERD_SANDBOX_EXEC) < 0)) {
		h->opt_error(so->svc, NULL, "out of memory");
		return -1;
	}
	return 0;
}

/* A host name pattern: lower case, "name" or "*.suffix".  0 or -1. */
static int host_pattern(const char *key, char **out)
{
	size_t n = strlen(key);
	const char *name = key;

	if (n > 2 && key[0] == '*' && key[1] == '.')
		name += 2;
	if (!*name || strchr(name, '*') || strchr(name, '/') || strchr(name, ':') ||
	    strchr(name, ' ') || name[strlen(name) - 1] == '.')
		return -1;
	*out = strdup(key);
	if (!*out)
		return -1;
	for (char *p = *out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return 0;
}

/* hosts: name -> site options. */
static int configure_hosts(struct http_instance *inst, const superd_opt *opts)
{
	const struct superd_host *h = inst->host;
	const superd_opt *o = h->opt_get(opts, "hosts");
	size_t n;

	if (!o)
		return 0;
	if (h->opt_kind(o) != SUPERD_OPT_MAP) {
		h->opt_error(inst->svc, o, "hosts: a mapping of host names to "
		             "options expected");
		return -1;
	}
	n = h->opt_count(o);
	inst->hosts = calloc(n ? n : 1, sizeof(*inst->hosts));
	if (!inst->hosts)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const superd_opt *v = h->opt_at(o, i);
		struct site_opts so = { h, inst->svc, v, opts };
		struct http_site *site = &inst->hosts[inst->nhosts++];

		site->root_fd = -1;
		if (host_pattern(h->opt_key_at(o, i), &site->name) < 0) {
			h->opt_error(inst->svc, v, "hosts: '%s' is not a host name or "
			             "a *.domain pattern", h->opt_key_at(o, i));
			return -1;
		}
		if (h->opt_kind(v) != SUPERD_OPT_MAP) {
			h->opt_error(inst->svc, v, "hosts: %s: a mapping of options "
			             "expected", site->name);
			return -1;
		}
		if (h->opt_check_keys(inst->svc, v, site_keys) < 0 ||
		    site_configure(site, &so) < 0)
			return -1;
	}
	return 0;
}

/* The service's own site and its virtual hosts (see http.h). */
int http_sites_configure(struct http_instance *inst, const superd_opt *opts)
{
	struct site_opts so = { inst->host, inst->svc, NULL, opts };

	if (site_configure(&inst->site, &so) < 0)
		return -1;
	return configure_hosts(inst, opts);
}

/* Open a site's root (once per process).  0 or -1 (logged). */
static int site_open(struct http_instance *inst, struct http_site *site)
{
	if (site->root_fd >= 0)
		return 0;
	site->root_fd = open(site->root_real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (site->root_fd < 0) {
		inst->host->log(inst->svc, SUPERD_LOG_ERROR, "open %s: %s",
		                site->root_real, strerror(errno));
		return -1;
	}
	return 0;
}

/* Open every site's root (see http.h). */
int http_sites_open(struct http_instance *inst)
{
	if (site_open(inst, &inst->site) < 0)
		return -1;
	for (size_t i = 0; i < inst->nhosts; i++)
		if (site_open(inst, &inst->hosts[i]) < 0)
			return -1;
	return 0;
}

/* Free what a site holds. */
static void site_free(struct http_site *site)
{
	if (site->root_fd >= 0)
		close(site->root_fd);
	filecache_free(&site->fcache);
	filecache_free(&site->lcache);
	filecache_free(&site->dcache);
	http_listing_snaps_release(&site->snaps);
	free(site->index);
	free(site->cgi_ext);
	free(site->errors);
	free(site->root_real);
	free(site->name);
}

/* Free every site (see http.h). */
void http_sites_free(struct http_instance *inst)
{
	site_free(&inst->site);
	for (size_t i = 0; i < inst->nhosts; i++)
		site_free(&inst->hosts[i]);
	free(inst->hosts);
}

/*
 * The host name of a Host value or authority: without userinfo, port or
 * a final dot, lower case, into out (size outsz).  Returns its length, 0
 * when there is none or it does not fit.
 */
size_t http_host_name(struct http_slice v, char *out, size_t outsz)
{
	const char *p = v.p, *end = v.p + v.n, *at;
	size_t n = 0;

	if (!p)
		return 0;
	at = memchr(p, '@', v.n);
	if (at)
		p = at + 1;
	if (p < end && *p == '[') { /* an IPv6 literal: keep it whole */
		const char *close = memchr(p, ']', (size_t)(end - p));

		end = close ? close + 1 : end;
	} else {
		const char *colon = memchr(p, ':', (size_t)(end - p));

		if (colon)
			end = colon;
	}
	if (end > p && end[-1] == '.')
		end--;
	if ((size_t)(end - p) >= outsz)
		return 0;
	for (; p < end; p++)
		out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	out[n] = '\0';
	return n;
}

/* The site for a request's host (see http.h). */
struct http_site *http_site_for(struct http_instance *inst,
                                const struct http_request *req)
{
	char name[256];
	size_t n, best_len = 0;
	struct http_site *best = NULL;

	if (!inst->nhosts || !(n = http_host_name(req->host, name, sizeof(name))))
		return &inst->site;
	for (size_t i = 0; i < inst->nhosts; i++) {
		const char *pat = inst->hosts[i].name;
		size_t k = strlen(pat);

		if (pat[0] != '*') {
			if (k == n && !memcmp(pat, name, n))
				return &inst->hosts[i];
			continue;
		}
		/* "*.example.org": k - 1 bytes ".example.org" end the name */
		if (n > k - 1 && !memcmp(name + n - (k - 1), pat + 1, k - 1) &&
		    k > best_len) {
			best = &inst->hosts[i];
			best_len = k;
		}
	}
	return best ? best : &inst->site;
}
