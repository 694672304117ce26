/*
 * tls_none.c - the TLS layer when superd is built without OpenSSL: a
 * service with `tls:` is a configuration error; nothing else is reached.
 */
#include "conf.h"

#include <errno.h>

#include "diag.h"
#include "tls.h"

int tls_supported(void)
{
	return 0;
}

int tls_ktls_available(void)
{
	return 0;
}

void tls_log_ktls_once(void)
{
}

/* Refuse: this build cannot speak TLS. */
struct tls_ctx *tls_ctx_new(const struct tls_conf *tc, const char *service,
                            const char *alpn)
{
	diag_at(tc->at, "service '%s': tls: this superd was built without TLS "
	        "support (configure found no OpenSSL 3)", service);
	return NULL;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
}

unsigned tls_ctx_handshake_ms(const struct tls_ctx *ctx)
{
	return 0;
}

void tls_ctx_clock_skew(struct tls_ctx *ctx, long seconds)
{
}

void tls_set_opener(tls_open_fn *fn)
{
	(void)fn;
}

struct tls_sess *tls_sess_new(struct tls_ctx *ctx, int fd)
{
	errno = ENOTSUP;
	return NULL;
}

void tls_sess_free(struct tls_sess *s)
{
}

int tls_handshake(struct tls_sess *s)
{
	return TLS_ERR;
}

ssize_t tls_read(struct tls_sess *s, void *buf, size_t len)
{
	return TLS_ERR;
}

int tls_pending(const struct tls_sess *s)
{
	return 0;
}

ssize_t tls_write(struct tls_sess *s, const void *buf, size_t len)
{
	return TLS_ERR;
}

ssize_t tls_sendfile(struct tls_sess *s, int fd, off_t off, size_t len)
{
	return TLS_NOTSUP;
}

void tls_close_notify(struct tls_sess *s)
{
}

void tls_cork(struct tls_sess *s)
{
}

int tls_flush(struct tls_sess *s)
{
	return 0;
}

size_t tls_held(const struct tls_sess *s)
{
	return 0;
}

const char *tls_sess_reason(const struct tls_sess *s)
{
	return "no TLS support";
}

int tls_sess_info(struct tls_sess *s, struct superd_tls *out, char *buf,
                  size_t size)
{
	return -1;
}
