/*
 * tls_load.c - the core's side of tls.h: the TLS backend (tls-openssl.so,
 * see tls_backend.h) is opened when the first `tls:` block is loaded, and
 * every call goes through its table.  Until then, and for good in a build
 * without OpenSSL, there is no TLS: a `tls:` block is an error at its
 * position, which says why; nothing else can be reached without one.
 *
 * The master loads the configuration before it forks the workers, so they
 * inherit the backend; a reload that adds the first `tls:` loads it in the
 * master, and the new workers inherit it in turn.
 */
#include "conf.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "loader.h"
#include "log.h"
#include "tls.h"
#include "tls_backend.h"

static struct {
	const struct tls_backend *be; /**< NULL until loaded */
	char *const *dirs;            /**< global.module_path, until tls_ctx_new */
	size_t ndirs;
	tls_open_fn *opener;          /**< kept for a backend loaded later */
	char why[PATH_MAX + 256];     /**< why it could not be loaded */
} tl;

#ifdef HAVE_OPENSSL
/* What the backend may call of the core. */
static const struct tls_backend_env env = {
	.size = sizeof(struct tls_backend_env),
	.diag_at = diag_at,
	.log_msg = log_msg,
};

/* Open the backend; 0, or -1 with tl.why set. */
static int backend_open(void)
{
	char path[PATH_MAX];
	tls_backend_init_fn *init;
	void *h;

	if (!loader_find_part(TLS_BACKEND_NAME, tl.dirs, tl.ndirs, path,
	                      sizeof(path))) {
		snprintf(tl.why, sizeof(tl.why), "the TLS layer is not installed "
		         "(no %s.so in %s)", TLS_BACKEND_NAME, path);
		return -1;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(tl.why, sizeof(tl.why), "cannot load the TLS layer: %s",
		         dlerror());
		return -1;
	}
	*(void **)&init = dlsym(h, TLS_BACKEND_SYMBOL);
	tl.be = init ? init(&env) : NULL;
	if (!tl.be || tl.be->size < sizeof(struct tls_backend)) {
		tl.be = NULL;
		snprintf(tl.why, sizeof(tl.why), "%s is not this superd's TLS layer",
		         path);
		dlclose(h);
		return -1;
	}
	if (tl.opener)
		tl.be->set_opener(tl.opener);
	return 0;
}
#else
static int backend_open(void)
{
	snprintf(tl.why, sizeof(tl.why), "this superd was built without TLS "
	         "support (configure found no OpenSSL 3)");
	return -1;
}
#endif

/* The backend, loaded now if it is not yet; NULL when there is none. */
static const struct tls_backend *backend(void)
{
	if (!tl.be)
		(void)backend_open();
	return tl.be;
}

int tls_supported(void)
{
	return backend() != NULL;
}

int tls_ktls_available(void)
{
	return tl.be ? tl.be->ktls_available() : 0;
}

void tls_log_ktls_once(void)
{
	if (tl.be)
		tl.be->log_ktls_once();
}

/* The first `tls:` loads the backend; without one, the block is refused. */
struct tls_ctx *tls_ctx_new(const struct tls_conf *tc, const char *service,
                            const char *alpn)
{
	const struct tls_backend *be = backend();

	tl.dirs = NULL; /* the configuration's: not kept past this call */
	tl.ndirs = 0;
	if (!be) {
		diag_at(tc->at, "service '%s': tls: %s", service, tl.why);
		return NULL;
	}
	return be->ctx_new(tc, service, alpn);
}

void tls_search_dirs(char *const *dirs, size_t n)
{
	tl.dirs = dirs;
	tl.ndirs = n;
}

void tls_set_opener(tls_open_fn *fn)
{
	tl.opener = fn;
	if (tl.be)
		tl.be->set_opener(fn);
}

/*
 * The rest needs a context or a session, which only a loaded backend
 * makes: without one they do nothing, as a build without TLS did.
 */
void tls_ctx_free(struct tls_ctx *ctx)
{
	if (tl.be && ctx)
		tl.be->ctx_free(ctx);
}

unsigned tls_ctx_handshake_ms(const struct tls_ctx *ctx)
{
	return tl.be ? tl.be->ctx_handshake_ms(ctx) : 0;
}

void tls_ctx_clock_skew(struct tls_ctx *ctx, long seconds)
{
	if (tl.be)
		tl.be->ctx_clock_skew(ctx, seconds);
}

struct tls_sess *tls_sess_new(struct tls_ctx *ctx, int fd)
{
	if (!tl.be) {
		errno = ENOTSUP;
		return NULL;
	}
	return tl.be->sess_new(ctx, fd);
}

void tls_sess_free(struct tls_sess *s)
{
	if (tl.be && s)
		tl.be->sess_free(s);
}

int tls_handshake(struct tls_sess *s)
{
	return tl.be ? tl.be->handshake(s) : TLS_ERR;
}

ssize_t tls_read(struct tls_sess *s, void *buf, size_t len)
{
	return tl.be ? tl.be->read(s, buf, len) : TLS_ERR;
}

int tls_pending(const struct tls_sess *s)
{
	return tl.be ? tl.be->pending(s) : 0;
}

ssize_t tls_write(struct tls_sess *s, const void *buf, size_t len)
{
	return tl.be ? tl.be->write(s, buf, len) : TLS_ERR;
}

ssize_t tls_sendfile(struct tls_sess *s, int fd, off_t off, size_t len)
{
	return tl.be ? tl.be->sendfile(s, fd, off, len) : TLS_NOTSUP;
}

void tls_cork(struct tls_sess *s)
{
	if (tl.be)
		tl.be->cork(s);
}

int tls_flush(struct tls_sess *s)
{
	return tl.be ? tl.be->flush(s) : 0;
}

size_t tls_held(const struct tls_sess *s)
{
	return tl.be ? tl.be->held(s) : 0;
}

void tls_close_notify(struct tls_sess *s)
{
	if (tl.be)
		tl.be->close_notify(s);
}

const char *tls_sess_reason(const struct tls_sess *s)
{
	return tl.be ? tl.be->sess_reason(s) : "no TLS support";
}

int tls_sess_info(struct tls_sess *s, struct superd_tls *out, char *buf,
                  size_t size)
{
	return tl.be ? tl.be->sess_info(s, out, buf, size) : -1;
}
