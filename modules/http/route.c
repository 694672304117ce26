/*
 * route.c - from a parsed request to an answer: decode and normalise the
 * path, open it beneath the root, then a file, a directory (redirect,
 * index, listing) or a CGI script, or an error page.
 *
 * errno becomes a status in one place (status_for_errno).  CGI scripts
 * are found by suffix; a script may be followed by PATH_INFO
 * ("/t.cgi/x/y"), found by trying each prefix of the path that ends in a
 * CGI suffix, left to right, when the whole path does not exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "path.h"

#define PATH_BUF 8192
#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY)
#define ALLOW_STATIC "GET, HEAD, OPTIONS"

/* An errno from opening a path, as a status. */
static int status_for_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return 404;
	case EACCES:
	case EPERM:
	case EXDEV:  /* a symbolic link leading out of the root */
	case ELOOP:
	case ENXIO:  /* a UNIX socket (or a FIFO, device) in the root */
	case ENODEV:
		return 403;
	case ENAMETOOLONG:
		return 414;
	case EMFILE:
	case ENFILE:
	case ENOMEM:
	case EAGAIN:
		return 503;
	default:
		return 500;
	}
}

/* The name ends in one of the CGI suffixes. */
static int is_cgi(const struct http_site *site, const char *name, size_t n)
{
	for (size_t i = 0; i < site->ncgi; i++) {
		size_t k = strlen(site->cgi_ext[i]);

		if (n > k && !memcmp(name + n - k, site->cgi_ext[i], k) &&
		    name[n - k - 1] != '/')
			return 1;
	}
	return 0;
}

/* Send an error page; the connection closes when the status requires. */
static int route_error(struct http_conn *st, struct http_reqinfo *ri,
                       int status, const char *allow)
{
	http_send_error(st, ri, status, 0, allow);
	return HTTP_ROUTE_DONE;
}

/* A CGI script (fd taken): check it may run, then start it. */
static int route_cgi(struct http_conn *st, const struct http_request *req,
                     struct http_reqinfo *ri, int fd, const struct stat *sb,
                     const char *script, const char *path_info)
{
	struct cgi_request cr = {
		.req = req, .ri = ri, .script_name = script,
		.script_name_len = strlen(script), .path_info = path_info,
		.script_rel = script + 1,
		.root = st->site->root_real,
	};
	int rc;

	close(fd);
	if (!(sb->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
		return route_error(st, ri, 403, NULL);
	if (req->method == HTTP_M_TRACE || req->method == HTTP_M_CONNECT)
		return route_error(st, ri, 405, "GET, HEAD, POST, PUT, DELETE, "
		                   "OPTIONS, PATCH");
	rc = cgi_start(st, &cr);
	if (rc == 0)
		return HTTP_ROUTE_CGI;
	return route_error(st, ri, rc, NULL);
}

/* 301 to the same path with a slash (the query is kept). */
static int route_redirect_slash(struct http_conn *st,
                                const struct http_request *req,
                                struct http_reqinfo *ri, const char *path,
                                size_t n)
{
	struct hbuf *b = st->out;
	size_t need = 3 * n + 1;

	http_head_begin(st, ri, 301);
	hbuf_str(b, "Location: ");
	if (hbuf_reserve(b, need) == 0)
		b->len += http_url_encode(path, n, b->p + b->len, need, 1);
	hbuf_str(b, "/");
	if (req->has_query) {
		hbuf_str(b, "?");
		hbuf_add(b, req->query.p, req->query.n);
	}
	hbuf_str(b, "\r\nContent-Length: 0\r\n\r\n");
	http_log(st, ri, 301, 0);
	http_flush_head(st);
	return HTTP_ROUTE_DONE;
}

/* A generated listing of the directory fd (not taken). */
static int route_listing(struct http_conn *st, const struct http_request *req,
                         struct http_reqinfo *ri, int fd, const char *path,
                         size_t n)
{
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD) {
		if (req->method != HTTP_M_OPTIONS)
			return route_error(st, ri, 405, ALLOW_STATIC);
		http_head_begin(st, ri, 200);
		hbuf_str(st->out, "Allow: " ALLOW_STATIC "\r\nContent-Length: 0\r\n\r\n");
		http_log(st, ri, 200, 0);
		http_flush_head(st);
		return HTTP_ROUTE_DONE;
	}
	if (http_send_listing(st, req, ri, fd, path, n, st->site->listing_css) < 0)
		return route_error(st, ri, status_for_errno(errno), NULL);
	return HTTP_ROUTE_DONE;
}

/* A directory (fd taken): redirect, index file, listing or 403. */
static int route_dir(struct http_conn *st, const struct http_request *req,
                     struct http_reqinfo *ri, int fd, char *path, size_t n)
{
	struct http_site *site = st->site;
	int rc;

	if (path[n - 1] != '/') {
		close(fd);
		return route_redirect_slash(st, req, ri, path, n);
	}
	for (size_t i = 0; i < site->nindex; i++) {
		size_t k = strlen(site->index[i]);
		struct stat sb;
		int ifd;

		if (n + k + 1 > PATH_BUF)
			continue;
		memcpy(path + n, site->index[i], k + 1);
		ifd = http_open_beneath(site->root_fd, site->root_real, path + 1,
		                        OPEN_FLAGS);
		if (ifd < 0)
			continue;
		if (fstat(ifd, &sb) == 0 && S_ISREG(sb.st_mode)) {
			close(fd);
			if (is_cgi(site, path, n + k))
				return route_cgi(st, req, ri, ifd, &sb, path, "");
			http_serve_file(st, req, ri, ifd, &sb, path, n + k);
			return HTTP_ROUTE_DONE;
		}
		close(ifd);
	}
	path[n] = '\0';
	if (!site->listing) {
		close(fd);
		return route_error(st, ri, 403, NULL);
	}
	rc = route_listing(st, req, ri, fd, path, n);
	close(fd);
	return rc;
}

/* The path does not exist as a whole: maybe a script with PATH_INFO. */
static int route_missing(struct http_conn *st, const struct http_request *req,
                         struct http_reqinfo *ri, char *path, size_t n,
                         int err)
{
	struct http_site *site = st->site;
	char script[PATH_BUF];

	if ((err == ENOENT || err == ENOTDIR) && site->ncgi) {
		for (size_t k = 1; k < n; k++) {
			struct stat sb;
			int fd;

			if (path[k] != '/' || !is_cgi(site, path, k))
				continue;
			memcpy(script, path, k);
			script[k] = '\0';
			fd = http_open_beneath(site->root_fd, site->root_real,
			                       script + 1, OPEN_FLAGS);
			if (fd < 0)
				break;
			if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
				return route_cgi(st, req, ri, fd, &sb, script, path + k);
			close(fd);
			break;
		}
	}
	return route_error(st, ri, status_for_errno(err), NULL);
}

/* Whether the request may run a CGI program (see http.h). */
int http_route_may_cgi(struct http_instance *inst,
                       const struct http_request *req)
{
	const struct http_site *site = http_site_for(inst, req);
	char path[PATH_BUF + 256];
	size_t n;

	if (!site->ncgi || req->asterisk || req->path.n >= PATH_BUF ||
	    req->method == HTTP_M_CONNECT || req->method == HTTP_M_TRACE ||
	    http_path_normalize(req->path.p, req->path.n, path, PATH_BUF, &n))
		return 0;
	for (size_t k = 1; k <= n; k++)
		if ((k == n || path[k] == '/') && is_cgi(site, path, k))
			return 1;
	if (path[n - 1] == '/')
		for (size_t i = 0; i < site->nindex; i++)
			if (is_cgi(site, site->index[i], strlen(site->index[i])))
				return 1;
	return 0;
}

/*
 * The one-second cache may answer: a plain GET or HEAD (not conditional,
 * no range, no listing order, nothing a precompressed variant could
 * answer instead).
 */
static int cache_usable(const struct http_site *site,
                        const struct http_request *req, const char *path,
                        size_t n)
{
	if (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD)
		return 0;
	if (req->if_none_match.p || req->if_modified_since.p || req->range.p)
		return 0;
	if (path[n - 1] == '/')
		return !req->has_query;
	return !site->precompressed || !http_field_get(req, "accept-encoding");
}

/* Answer one parsed request (see http.h). */
int http_route(struct http_conn *st, const struct http_request *req,
               struct http_reqinfo *ri)
{
	struct http_site *site = http_site_for(st->inst, req);
	char path[PATH_BUF + 256];
	size_t n;
	struct stat sb;
	int fd;

	st->site = site;
	if (st->inst->nhosts)
		ri->vhost = req->host;
	if (req->method == HTTP_M_CONNECT || req->method == HTTP_M_TRACE)
		return route_error(st, ri, 405, ALLOW_STATIC);
	if (req->asterisk) {
		http_head_begin(st, ri, 200);
		hbuf_str(st->out, "Allow: GET, HEAD, POST, OPTIONS\r\n"
		         "Content-Length: 0\r\n\r\n");
		http_log(st, ri, 200, 0);
		http_flush_head(st);
		return HTTP_ROUTE_DONE;
	}
	if (req->path.n >= PATH_BUF)
		return route_error(st, ri, 414, NULL);
	if (http_path_normalize(req->path.p, req->path.n, path, PATH_BUF, &n))
		return route_error(st, ri, 400, NULL);
	if (cache_usable(site, req, path, n)) {
		int dir = path[n - 1] == '/';
		time_t now = time(NULL);
		const struct fc_entry *e =
			filecache_get(dir ? &site->lcache : &site->fcache, path, n, now);

		if (!e && !dir)
			e = filecache_get(&site->dcache, path, n, now);
		if (e && http_serve_cached(st, ri, e) >= 0)
			return HTTP_ROUTE_DONE;
	}
	fd = http_open_beneath(site->root_fd, site->root_real, path + 1, OPEN_FLAGS);
	if (fd < 0)
		return route_missing(st, req, ri, path, n, errno);
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return route_error(st, ri, 500, NULL);
	}
	if (S_ISDIR(sb.st_mode))
		return route_dir(st, req, ri, fd, path, n);
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return route_error(st, ri, 403, NULL);
	}
	if (is_cgi(site, path, n))
		return route_cgi(st, req, ri, fd, &sb, path, "");
	if (site->precompressed)
		fd = http_precompressed(st, req, ri, fd, &sb, path, n);
	http_serve_file(st, req, ri, fd, &sb, path, n);
	return HTTP_ROUTE_DONE;
}
