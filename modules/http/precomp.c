/*
 * precomp.c - precompressed files (`precompressed: true`): a request for
 * FILE whose Accept-Encoding allows it gets FILE.br (br) or FILE.gz
 * (gzip) instead, when that is a regular file not older than FILE.  The
 * response keeps FILE's type and says Content-Encoding; its length,
 * ETag and ranges are the compressed file's (as nginx's gzip_static
 * does).  Every file response of such a site says Vary: Accept-Encoding.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "path.h"

#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY)

/* The variants tried, best first. */
static const struct {
	const char *suffix;
	const char *coding;
} variants[] = { { ".br", "br" }, { ".gz", "gzip" } };

/* A q-value of zero ("0", "0.", "0.000"). */
static int q_zero(const char *p, const char *end)
{
	if (p >= end || *p != '0')
		return 0;
	for (p++; p < end && (*p == '.' || *p == '0'); p++)
		;
	return p == end;
}

/*
 * How an Accept-Encoding value rates coding: 1 acceptable, 0 refused
 * (q=0), -1 not named.  "*" names every coding not listed on its own.
 */
static int rating(struct http_slice v, const char *coding)
{
	const char *p = v.p, *end = v.p + v.n;
	size_t clen = strlen(coding);
	int star = -1;

	while (p < end) {
		const char *e = memchr(p, ',', (size_t)(end - p)), *tok, *q;
		size_t tlen;

		e = e ? e : end;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		tok = p;
		while (p < e && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		tlen = (size_t)(p - tok);
		q = memmem(p, (size_t)(e - p), "q=", 2);
		if (q) {
			const char *qe = q + 2;

			while (qe < e && *qe != ' ' && *qe != '\t' && *qe != ';')
				qe++;
			q = q_zero(q + 2, qe) ? q : NULL;
		}
		/* q now non-NULL only when the element is refused */
		if (tlen == clen &&
		    http_slice_eq((struct http_slice){ tok, tlen }, coding))
			return q ? 0 : 1;
		if (tlen == 1 && *tok == '*')
			star = q ? 0 : 1;
		p = e + 1;
	}
	return star;
}

/* A variant beneath the root that is a regular file not older than orig. */
static int open_variant(const struct http_site *site, char *path, size_t n,
                        const char *suffix, const struct stat *orig,
                        struct stat *sb)
{
	size_t k = strlen(suffix);
	int fd;

	memcpy(path + n, suffix, k + 1);
	fd = http_open_beneath(site->root_fd, site->root_real, path + 1, OPEN_FLAGS);
	path[n] = '\0';
	if (fd < 0)
		return -1;
	if (fstat(fd, sb) == 0 && S_ISREG(sb->st_mode) &&
	    (sb->st_mtim.tv_sec > orig->st_mtim.tv_sec ||
	     (sb->st_mtim.tv_sec == orig->st_mtim.tv_sec &&
	      sb->st_mtim.tv_nsec >= orig->st_mtim.tv_nsec)))
		return fd;
	close(fd);
	return -1;
}

/* Swap fd for a precompressed variant when one fits (see http.h). */
int http_precompressed(struct http_conn *st, const struct http_request *req,
                       struct http_reqinfo *ri, int fd, struct stat *sb,
                       char *path, size_t n)
{
	const struct http_field *ae = http_field_get(req, "accept-encoding");
	struct stat vsb;

	if (!ae || (req->method != HTTP_M_GET && req->method != HTTP_M_HEAD))
		return fd;
	/* several ranges are parts of one representation: the plain one */
	if (req->range.p && memchr(req->range.p, ',', req->range.n))
		return fd;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		int vfd;

		if (rating(ae->value, variants[i].coding) != 1)
			continue;
		vfd = open_variant(st->site, path, n, variants[i].suffix, sb, &vsb);
		if (vfd < 0)
			continue;
		close(fd);
		*sb = vsb;
		ri->encoding = variants[i].coding;
		return vfd;
	}
	return fd;
}
