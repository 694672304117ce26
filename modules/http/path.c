/*
 * path.c - request paths: decode once, remove dot segments, open beneath
 * the root, and percent-encode for URLs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/openat2.h>
#endif

#include "hex.h"
#include "path.h"

/* Percent-decode raw into out; 0, or 400 for NUL, controls, bad escapes. */
static int percent_decode(const char *raw, size_t n, char *out, size_t *outlen)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)raw[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return 400;
			hi = http_hexval((unsigned char)raw[i + 1]);
			lo = http_hexval((unsigned char)raw[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return 400;
		out[o++] = (char)c;
	}
	*outlen = o;
	return 0;
}

/*
 * Remove "." and ".." segments and empty segments from the absolute path
 * p[0..n) in place.  Returns the new length, or 0 when ".." would climb
 * above the root.
 */
static size_t remove_dot_segments(char *p, size_t n)
{
	size_t i = 0, o = 0;
	int dir = 0; /* the path names a directory: keep a trailing slash */

	while (i < n) {
		size_t seg, len;

		while (i < n && p[i] == '/')
			i++;
		if (i == n) {
			dir = 1;
			break;
		}
		seg = i;
		while (i < n && p[i] != '/')
			i++;
		len = i - seg;
		dir = 1;
		if (len == 1 && p[seg] == '.')
			continue;
		if (len == 2 && p[seg] == '.' && p[seg + 1] == '.') {
			if (o == 0)
				return 0;
			while (o > 0 && p[o - 1] != '/')
				o--;
			o--; /* the slash before the removed segment */
			continue;
		}
		dir = 0;
		p[o++] = '/';
		memmove(p + o, p + seg, len);
		o += len;
	}
	if (o == 0 || dir)
		p[o++] = '/';
	return o;
}

/* Decode and normalise a request path (see path.h). */
int http_path_normalize(const char *raw, size_t n, char *out, size_t outsz,
                        size_t *outlen)
{
	size_t len;
	int rc;

	if (n + 2 > outsz || n == 0 || raw[0] != '/')
		return 400;
	rc = percent_decode(raw, n, out, &len);
	if (rc)
		return rc;
	len = remove_dot_segments(out, len);
	if (len == 0)
		return 400;
	out[len] = '\0';
	*outlen = len;
	return 0;
}

/* The fallback for kernels without openat2: realpath, then a prefix check. */
static int open_checked(const char *root_real, const char *rel, int flags)
{
	char joined[PATH_MAX], real[PATH_MAX];
	size_t rl = strlen(root_real);
	int n;

	n = snprintf(joined, sizeof(joined), "%s/%s", root_real, rel);
	if (n < 0 || (size_t)n >= sizeof(joined)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!realpath(joined, real))
		return -1;
	if (strncmp(real, root_real, rl) != 0 ||
	    (real[rl] != '/' && real[rl] != '\0' && !(rl == 1 && root_real[0] == '/'))) {
		errno = EXDEV;
		return -1;
	}
	return open(real, flags | O_CLOEXEC | O_NOFOLLOW);
}

/* Open rel beneath the root (see path.h). */
int http_open_beneath(int rootfd, const char *root_real, const char *rel,
                      int flags)
{
	if (!*rel)
		rel = ".";
#if defined(__linux__) && defined(SYS_openat2)
	{
		struct open_how how = {
			.flags = (unsigned long long)(flags | O_CLOEXEC),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		long fd;

		do
			fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
		while (fd < 0 && errno == EINTR);
		if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
			return (int)fd;
	}
#endif
	return open_checked(root_real, rel, flags);
}

/* Percent-encode for a URL path (see path.h). */
size_t http_url_encode(const char *s, size_t n, char *out, size_t outsz,
                       int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		            c == '_' || c == '~' || (keep_slash && c == '/');

		if (plain) {
			if (o + 1 < outsz)
				out[o] = (char)c;
			o++;
		} else {
			if (o + 3 < outsz) {
				out[o] = '%';
				out[o + 1] = hex[c >> 4];
				out[o + 2] = hex[c & 15];
			}
			o += 3;
		}
	}
	if (outsz)
		out[o < outsz ? o : outsz - 1] = '\0';
	return o;
}
