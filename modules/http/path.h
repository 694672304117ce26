/*
 * path.h - request paths: decode, normalise, encode, and open inside root.
 *
 * A request path is percent-decoded exactly once, then its dot segments
 * and repeated slashes are removed (RFC 3986 §5.2.4).  NUL, control
 * characters, bad escapes and ".." above the root are refused (400).  The
 * result is opened relative to the root directory so that nothing outside
 * it can be reached, through ".." or through a symbolic link.
 */
#ifndef SUPERD_HTTP_PATH_H
#define SUPERD_HTTP_PATH_H

#include <stddef.h>

/**
 * Decode raw[0..n) into out (outsz >= n + 1 suffices) as an absolute,
 * normalised path ("/", "/a/b", "/dir/" keeps its trailing slash),
 * NUL-terminated.  0, or 400 for a path that must be refused.
 */
int http_path_normalize(const char *raw, size_t n, char *out, size_t outsz,
                        size_t *outlen);

/**
 * Open rel (a normalised path without its leading '/'; "" is the root
 * itself) beneath the directory rootfd, whose canonical path is root_real.
 * Symbolic links are followed only while they stay inside the root
 * (openat2 RESOLVE_BENEATH; a realpath check where openat2 is missing).
 * Returns an fd (O_CLOEXEC added) or -1 with errno set: EXDEV or ELOOP for
 * a path leading out, else what open(2) says.
 */
int http_open_beneath(int rootfd, const char *root_real, const char *rel,
                      int flags);

/**
 * Percent-encode s[0..n) for use in a URL path: everything except
 * unreserved characters and '/' (keep_slash) is escaped.  Writes at most
 * outsz - 1 bytes plus a NUL; returns the length it needed (like snprintf).
 */
size_t http_url_encode(const char *s, size_t n, char *out, size_t outsz,
                       int keep_slash);

#endif
