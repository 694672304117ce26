/*
 * tls_backend.h - between the core and its TLS backend, a shared object
 * loaded only when a service has `tls:` (core/run/tls_load.c).
 *
 * The backend (tls_openssl.c and tls_hold.c, built as tls-openssl.so
 * beside the modules) is what links OpenSSL.  Loading it on demand keeps
 * libssl and libcrypto out of every superd that serves no TLS: their
 * relocation alone made 1.7 MB of the master's resident memory.
 *
 * The backend exports one symbol, TLS_BACKEND_SYMBOL, of type
 * tls_backend_init_fn: given the core's diagnostics it returns its table
 * of the tls.h calls, which tls_load.c forwards to.  The backend links no
 * core code; the table and the environment carry a size so either side
 * can tell an older other side.
 */
#ifndef SUPERD_TLS_BACKEND_H
#define SUPERD_TLS_BACKEND_H

#include <stddef.h>
#include <sys/types.h>

#include "tls.h"

/** The backend's file, NAME.so, found where the modules are. */
#define TLS_BACKEND_NAME "tls-openssl"
/** The one symbol the backend exports. */
#define TLS_BACKEND_SYMBOL "superd_tls_backend"

struct superd_opt;

/** What the core lends the backend: its diagnostics and its log. */
struct tls_backend_env {
	size_t size; /**< sizeof(struct tls_backend_env) */
	void (*diag_at)(const struct superd_opt *at, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	void (*log_msg)(int level, const char *service, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
};

/** The calls of tls.h (but tls_supported, which is the loader's). */
struct tls_backend {
	size_t size; /**< sizeof(struct tls_backend) */
	int (*ktls_available)(void);
	void (*log_ktls_once)(void);
	struct tls_ctx *(*ctx_new)(const struct tls_conf *tc, const char *service,
	                           const char *alpn);
	void (*set_opener)(tls_open_fn *fn);
	void (*ctx_free)(struct tls_ctx *ctx);
	unsigned (*ctx_handshake_ms)(const struct tls_ctx *ctx);
	void (*ctx_clock_skew)(struct tls_ctx *ctx, long seconds);
	struct tls_sess *(*sess_new)(struct tls_ctx *ctx, int fd);
	void (*sess_free)(struct tls_sess *s);
	int (*handshake)(struct tls_sess *s);
	ssize_t (*read)(struct tls_sess *s, void *buf, size_t len);
	int (*pending)(const struct tls_sess *s);
	ssize_t (*write)(struct tls_sess *s, const void *buf, size_t len);
	ssize_t (*sendfile)(struct tls_sess *s, int fd, off_t off, size_t len);
	void (*cork)(struct tls_sess *s);
	int (*flush)(struct tls_sess *s);
	size_t (*held)(const struct tls_sess *s);
	void (*close_notify)(struct tls_sess *s);
	const char *(*sess_reason)(const struct tls_sess *s);
	int (*sess_info)(struct tls_sess *s, struct superd_tls *out, char *buf,
	                 size_t size);
};

/** The backend's entry: its table, or NULL when env is too old for it. */
typedef const struct tls_backend *tls_backend_init_fn(const struct tls_backend_env *env);
/** The backend's entry, named TLS_BACKEND_SYMBOL (defined in the backend only). */
tls_backend_init_fn superd_tls_backend;

#endif
