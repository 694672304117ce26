/*
 * tls.h - the TLS layer of the connection: one small interface, served by
 * core/run/tls_load.c from a backend on OpenSSL 3 (tls_openssl.c, built as
 * tls-openssl.so) that is loaded when the first `tls:` block is (see
 * tls_backend.h).  Without the backend (a build without OpenSSL, or the
 * file missing) a `tls:` block is an error that says why.
 *
 * A tls_ctx is a service's server side: its certificates (the default one
 * and the `sni:` ones), client CA, protocol floor, ALPN and session-ticket
 * keys.  It is made in the master when the configuration is loaded (so
 * keys readable only by root work, and `-t` and a reload check every file)
 * and inherited by the workers, which share its ticket keys.
 *
 * A tls_sess is one connection over a non-blocking socket.  Every call
 * returns at once: TLS_WANT_READ / TLS_WANT_WRITE say what the socket must
 * become before the same call can make progress.
 */
#ifndef SUPERD_TLS_H
#define SUPERD_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "superd/module.h"

/* Results beyond a byte count. */
#define TLS_ERR (-1)        /**< failed; tls_sess_reason() says why */
#define TLS_WANT_READ (-2)  /**< retry when the socket is readable */
#define TLS_WANT_WRITE (-3) /**< retry when the socket is writable */
#define TLS_NOTSUP (-4)     /**< not available here (tls_sendfile without kTLS) */

/** Bytes of plaintext in the largest TLS record. */
#define TLS_RECORD_MAX 16384u

struct tls_ctx;
struct tls_sess;

/** 1 when the TLS backend is here (it is loaded by this call). */
int tls_supported(void);
/**
 * Where the backend may be besides $SUPERD_MODULE_PATH and the built-in
 * module directory: the configuration's global.module_path, searched as
 * for modules.  dirs must stay valid until tls_ctx_new has returned.
 */
void tls_search_dirs(char *const *dirs, size_t n);
/** 1 when the kernel offers kTLS (the `tls` TCP ULP). */
int tls_ktls_available(void);
/** Log, once per process, whether files go out with kTLS or a copy. */
void tls_log_ktls_once(void);

/**
 * Read every certificate and key of tc and build the server side of
 * service.  alpn: the protocol to agree on ("http/1.1"), or NULL.  Errors
 * are reported through diag at the key's position; NULL then.  An expired
 * certificate is only a warning (logged with its position).
 */
struct tls_ctx *tls_ctx_new(const struct tls_conf *tc, const char *service,
                            const char *alpn);
/**
 * How the master opens a certificate or key it may no longer read itself
 * (a root-only key on a reload after `global: user` dropped its
 * privileges): the spawn helper, which keeps them.  An O_RDONLY fd, or -1
 * with errno.  Used only when open(2) fails with EACCES or EPERM.
 */
typedef int tls_open_fn(const char *path);
void tls_set_opener(tls_open_fn *fn);

/** Free a context (sessions made from it must be gone). */
void tls_ctx_free(struct tls_ctx *ctx);
/** Handshake timeout of the context, in milliseconds. */
unsigned tls_ctx_handshake_ms(const struct tls_ctx *ctx);
/**
 * Tests: seconds to add to the clock that picks the session-ticket key
 * (keys rotate every TLS_TICKET_PERIOD seconds; the previous one is still
 * accepted, and renewed).
 */
void tls_ctx_clock_skew(struct tls_ctx *ctx, long seconds);
#define TLS_TICKET_PERIOD 3600

/** A server session on the connected socket fd (not owned).  NULL: no memory. */
struct tls_sess *tls_sess_new(struct tls_ctx *ctx, int fd);
/** Free a session (does not close the fd). */
void tls_sess_free(struct tls_sess *s);
/** Drive the handshake: 0 when done, else TLS_WANT_* or TLS_ERR. */
int tls_handshake(struct tls_sess *s);
/**
 * Decrypt into buf: bytes (> 0), 0 at the end of the client's stream
 * (close_notify, or a TCP close), or TLS_WANT_* / TLS_ERR (errno set for
 * a socket error, else 0).
 */
ssize_t tls_read(struct tls_sess *s, void *buf, size_t len);
/**
 * 1 when the library holds input the socket will not signal again: the
 * library reads ahead, so after a read that stopped for lack of room it
 * may keep whole records (or plaintext) that the next tls_read returns.
 * Only meaningful right after a tls_read that returned bytes.
 */
int tls_pending(const struct tls_sess *s);
/** Encrypt and send: bytes taken (> 0), or TLS_WANT_* / TLS_ERR. */
ssize_t tls_write(struct tls_sess *s, const void *buf, size_t len);
/**
 * With kTLS: send len bytes of file fd at off in the kernel.  Bytes sent,
 * TLS_WANT_WRITE, TLS_ERR, or TLS_NOTSUP (no kTLS on this connection).
 */
ssize_t tls_sendfile(struct tls_sess *s, int fd, off_t off, size_t len);
/**
 * Hold small writes back (they wait in a buffer of a few kB) until
 * tls_flush: what one event writes (a flight, a session ticket, a response,
 * a close_notify) then leaves in one write(2) and one TCP segment.  No
 * effect where the kernel may do the records (kTLS).
 */
void tls_cork(struct tls_sess *s);
/**
 * Uncork, and send what is held: 0 all out, 1 bytes left (the socket is
 * full: call again when it is writable), -1 with errno (the socket failed).
 */
int tls_flush(struct tls_sess *s);
/** Bytes held back and not yet sent. */
size_t tls_held(const struct tls_sess *s);
/** Send close_notify (best effort, never blocks). */
void tls_close_notify(struct tls_sess *s);
/** Why the last call failed ("unsupported protocol", "timeout"...). */
const char *tls_sess_reason(const struct tls_sess *s);
/**
 * The session's facts for modules (struct superd_tls), written into buf
 * (strings point into it).  0, or -1 (handshake not done).
 */
int tls_sess_info(struct tls_sess *s, struct superd_tls *out, char *buf,
                  size_t size);

#endif
