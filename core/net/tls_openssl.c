/*
 * tls_openssl.c - the TLS backend on OpenSSL 3 (see tls.h), built with
 * tls_hold.c as tls-openssl.so: the core loads it when a service has
 * `tls:` (tls_backend.h), so a superd without TLS never maps OpenSSL.
 *
 * Policy, as nginx's defaults or stricter: TLS 1.2 and 1.3 only, no
 * renegotiation, no compression, for TLS 1.2 only AEAD suites with forward
 * secrecy (Mozilla's "intermediate"), OpenSSL's TLS 1.3 suites, the
 * system's security level, the server's preference, ECDHE and DHE with
 * automatic parameters.  Sessions resume with stateless tickets whose keys
 * are derived from a secret made in the master, so every worker accepts
 * every other worker's tickets; the key changes every TLS_TICKET_PERIOD
 * seconds and the previous one is still accepted (and renewed).
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "diag.h"
#include "log.h"
#include "tls.h"
#include "tls_backend.h"
#include "tls_hold.h"

#define TICKET_SECRET 32
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL"
#define TICKET_NAME 16
/* A certificate or key file larger than this is refused (a PEM chain is a
 * few kB). */
#define PEM_FILE_MAX (1u << 20)

/** One certificate's SSL_CTX and the names it answers (none: default). */
struct tls_cert {
	SSL_CTX *ssl;
	char **names;   /**< borrowed from the configuration */
	size_t nnames;
};

/** The ticket keys of one period (slot period % 2), derived once. */
struct ticket_keyset {
	unsigned long long period;
	int valid;
	unsigned char name[32], aes[32], mac[32];
};

struct tls_ctx {
	struct tls_cert *certs; /**< [0] the default */
	size_t ncerts;
	unsigned handshake_ms;
	unsigned char alpn[64]; /**< wire format: length, name */
	size_t alpn_len;
	unsigned char secret[TICKET_SECRET]; /**< ticket keys derive from it */
	struct ticket_keyset keys[2]; /**< derived for the last periods used */
	EVP_CIPHER *cbc;        /**< AES-256-CBC, fetched once */
	long skew;              /**< tests: seconds added to the clock */
	char service[72];
};

struct tls_sess {
	SSL *ssl;
	const char *reason;     /**< why the last call failed */
	struct tls_hold hold;   /**< the socket under SSL, unless kTLS may be used */
};

/*
 * The root of every service's ticket secret: made once, in the master's
 * first load (before any worker forks), so the tickets of a service stay
 * good across reloads (its secret is derived from this and its name).
 */
static struct {
	unsigned char key[TICKET_SECRET];
	int made;
	tls_open_fn *opener;  /**< the master's way to files it cannot read */
} tls_root;

/** The core's diagnostics and log, lent at load (superd_tls_backend). */
static const struct tls_backend_env *core;

/* Does /proc say the kernel has the tls ULP? */
int tls_ktls_available(void)
{
	char buf[256];
	size_t n;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "re");

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n"))
		if (strcmp(t, "tls") == 0)
			return 1;
	return 0;
}

/* Say once how files are sent over TLS in this process. */
void tls_log_ktls_once(void)
{
	static int said;

	if (said)
		return;
	said = 1;
	if (tls_ktls_available())
		core->log_msg(SUPERD_LOG_INFO, NULL, "TLS: kTLS available; files go out "
		              "with SSL_sendfile");
	else
		core->log_msg(SUPERD_LOG_INFO, NULL, "TLS: the kernel has no tls ULP (no "
		              "kTLS); files go out with pread + SSL_write");
}

/* The text of OpenSSL's last error, for messages. */
static const char *ssl_error_text(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "unknown error";
}

/* Never ask for a passphrase (a locked key is a configuration error). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

/* --- session tickets --- */

/* 32 bytes of key material for label and period (HMAC-SHA256 of the secret). */
static int ticket_derive(const struct tls_ctx *ctx, const char *label,
                         unsigned long long period, unsigned char out[32])
{
	unsigned char msg[32];
	size_t len = 0, n = strlen(label);

	memcpy(msg, label, n);
	for (int i = 0; i < 8; i++)
		msg[n + (size_t)i] = (unsigned char)(period >> (56 - 8 * i));
	return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, ctx->secret,
	                 sizeof(ctx->secret), msg, n + 8, out, 32, &len) ? 0 : -1;
}

/*
 * The keys of period: derived at its first use and kept (a worker derives
 * them in its own copy of the context), so a handshake does no key
 * derivation.  NULL when OpenSSL fails.
 */
static const struct ticket_keyset *keyset(struct tls_ctx *ctx,
                                          unsigned long long period)
{
	struct ticket_keyset *k = &ctx->keys[period % 2];

	if (k->valid && k->period == period)
		return k;
	k->valid = 0;
	if (ticket_derive(ctx, "name", period, k->name) < 0 ||
	    ticket_derive(ctx, "aes", period, k->aes) < 0 ||
	    ticket_derive(ctx, "mac", period, k->mac) < 0)
		return NULL;
	k->period = period;
	k->valid = 1;
	return k;
}

/* Set up cipher and MAC with k's keys.  0 or -1. */
static int ticket_keys(const struct tls_ctx *ctx, const struct ticket_keyset *k,
                       unsigned char *iv, EVP_CIPHER_CTX *cctx,
                       EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM params[3];
	int ok;

	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	                                              (void *)k->mac, sizeof(k->mac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	                                             (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	ok = enc ? EVP_EncryptInit_ex(cctx, ctx->cbc, NULL, k->aes, iv)
	         : EVP_DecryptInit_ex(cctx, ctx->cbc, NULL, k->aes, iv);
	ok = ok && EVP_MAC_CTX_set_params(hctx, params);
	return ok ? 0 : -1;
}

/*
 * OpenSSL's ticket key callback: encrypt with the current period's key;
 * decrypt with the current (1) or the previous one (2: renew the ticket);
 * TLS 1.3 always gets a new ticket.
 */
static int ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
                     EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct tls_ctx *ctx = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	unsigned long long now = (unsigned long long)(time(NULL) + ctx->skew);
	unsigned long long period = now / TLS_TICKET_PERIOD;
	const struct ticket_keyset *k;

	if (enc) {
		if (!(k = keyset(ctx, period)) || RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1)
			return -1;
		memcpy(name, k->name, TICKET_NAME);
		return ticket_keys(ctx, k, iv, cctx, hctx, 1) < 0 ? -1 : 1;
	}
	for (int back = 0; back < 2 && period >= (unsigned long long)back; back++) {
		if (!(k = keyset(ctx, period - (unsigned)back)))
			return -1;
		if (CRYPTO_memcmp(name, k->name, TICKET_NAME) != 0)
			continue;
		if (ticket_keys(ctx, k, iv, cctx, hctx, 0) < 0)
			return -1;
		/* TLS 1.3 clients use a ticket once: a resumption needs a
		 * new one (OpenSSL sends it only when told to renew) */
		return back || SSL_version(ssl) == TLS1_3_VERSION ? 2 : 1;
	}
	return 0; /* unknown or too old: a full handshake */
}

/* --- SNI and ALPN --- */

/* Does the configured name pattern match the client's name? */
static int name_matches(const char *pattern, const char *name)
{
	if (pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = strchr(name, '.');

		return dot && dot != name && strcasecmp(dot + 1, pattern + 2) == 0;
	}
	return strcasecmp(pattern, name) == 0;
}

/* Pick the certificate for the client's server name (exact names first). */
static int sni_cb(SSL *ssl, int *alert, void *arg)
{
	struct tls_ctx *ctx = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	if (!name)
		return SSL_TLSEXT_ERR_OK;
	for (int wild = 0; wild < 2; wild++) {
		for (size_t i = 1; i < ctx->ncerts; i++) {
			const struct tls_cert *c = &ctx->certs[i];

			for (size_t j = 0; j < c->nnames; j++) {
				if ((c->names[j][0] == '*') != wild ||
				    !name_matches(c->names[j], name))
					continue;
				SSL_set_SSL_CTX(ssl, c->ssl);
				return SSL_TLSEXT_ERR_OK;
			}
		}
	}
	return SSL_TLSEXT_ERR_OK; /* the default certificate */
}

/* Agree on the service's protocol, or fail when the client offers others. */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
	struct tls_ctx *ctx = arg;
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, ctx->alpn, (unsigned)ctx->alpn_len,
	                          in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* --- contexts --- */

/* Warn (with its position) when the certificate has expired. */
static void warn_expired(SSL_CTX *ssl, const struct tls_cert_conf *cc,
                         const char *service)
{
	X509 *x = SSL_CTX_get0_certificate(ssl);
	const struct superd_opt *at = cc->cert_at;

	if (x && X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		core->log_msg(SUPERD_LOG_WARN, service, "%s:%u:%u: tls: cert: %s has "
		              "expired; clients will refuse it", at->file, at->line,
		              at->col, cc->cert);
}

/* Set the master's way to files it cannot read itself (see tls.h). */
void tls_set_opener(tls_open_fn *fn)
{
	tls_root.opener = fn;
}

/* Open path for reading; through the opener when we lack the right.  fd or -1. */
static int pem_open(const char *path)
{
	int fd;

	do
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0 && (errno == EACCES || errno == EPERM) && tls_root.opener) {
		int saved = errno;

		fd = tls_root.opener(path);
		if (fd < 0 && errno != ENOENT)
			errno = saved; /* the helper refused: say what we hit */
	}
	return fd;
}

/* Read all of fd (a regular file, at most PEM_FILE_MAX) into a memory BIO. */
static BIO *pem_slurp(int fd)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	BIO *b = NULL;

	if (fstat(fd, &st) < 0)
		return NULL;
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)PEM_FILE_MAX) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	b = BIO_new(BIO_s_mem());
	if (b && BIO_write(b, buf, (int)got) != (int)got) {
		BIO_free(b);
		b = NULL;
	}
	OPENSSL_cleanse(buf, got);
	free(buf);
	return b;
}

/*
 * The contents of a file the master must read, as a memory BIO; NULL
 * after saying clearly why it cannot (errno's text), at the key's position.
 */
static BIO *pem_file(const char *path, const struct superd_opt *at,
                     const char *service, const char *key)
{
	int fd = pem_open(path);
	BIO *b = fd < 0 ? NULL : pem_slurp(fd);
	int saved = errno;

	if (fd >= 0)
		close(fd);
	if (!b)
		core->diag_at(at, "service '%s': tls: %s: cannot read %s: %s", service, key,
		              path, strerror(saved ? saved : ENOMEM));
	return b;
}

/* Is OpenSSL's last error only "no more PEM blocks"?  Then clear it. */
static int pem_at_end(void)
{
	unsigned long e = ERR_peek_last_error();

	if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
		return 0;
	ERR_clear_error();
	return 1;
}

/* A PEM certificate, then its chain, from b into ssl.  0 or -1. */
static int use_chain(SSL_CTX *ssl, BIO *b)
{
	X509 *x = PEM_read_bio_X509_AUX(b, NULL, no_passphrase, NULL);
	int ok = x && SSL_CTX_use_certificate(ssl, x) == 1;

	X509_free(x);
	if (!ok || SSL_CTX_clear_chain_certs(ssl) != 1)
		return -1;
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL) {
		if (SSL_CTX_add0_chain_cert(ssl, x) != 1) {
			X509_free(x);
			return -1;
		}
	}
	return pem_at_end() ? 0 : -1;
}

/* A PEM private key from b into ssl.  1 as SSL_CTX_use_PrivateKey, or 0. */
static int use_key(SSL_CTX *ssl, BIO *b)
{
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	int ok = k && SSL_CTX_use_PrivateKey(ssl, k) == 1;

	EVP_PKEY_free(k);
	return ok;
}

/* Did the key just refused fail only because it is not the certificate's? */
static int key_mismatch(void)
{
	unsigned long e = ERR_peek_last_error();
	int r = ERR_GET_REASON(e);

	if (ERR_GET_LIB(e) != ERR_LIB_X509 ||
	    (r != X509_R_KEY_VALUES_MISMATCH && r != X509_R_KEY_TYPE_MISMATCH))
		return 0;
	ERR_clear_error();
	return 1;
}

/* Load cc's certificate chain into ssl.  0 or -1 (reported). */
static int load_cert(SSL_CTX *ssl, const struct tls_cert_conf *cc,
                     const char *service)
{
	BIO *b = pem_file(cc->cert, cc->cert_at, service, "cert");
	int rc = b ? use_chain(ssl, b) : -1;

	if (b && rc < 0)
		core->diag_at(cc->cert_at, "service '%s': tls: cert: %s is not a PEM "
		              "certificate chain (%s)", service, cc->cert, ssl_error_text());
	BIO_free(b);
	return rc;
}

/*
 * Load cc's certificate chain and key into ssl.  0 or -1 (reported).  The
 * files are opened here (or by the spawn helper, see tls_set_opener) and
 * parsed from memory.
 */
static int load_pair(SSL_CTX *ssl, const struct tls_cert_conf *cc,
                     const char *service)
{
	int rc = load_cert(ssl, cc, service);
	BIO *b = pem_file(cc->key, cc->key_at, service, "key");
	int used;

	if (!b)
		return -1;
	used = use_key(ssl, b);
	BIO_free(b);
	if (!used && key_mismatch()) {
		core->diag_at(cc->key_at, "service '%s': tls: key: %s does not match the "
		              "certificate %s", service, cc->key, cc->cert);
		return -1;
	}
	if (SSL_CTX_get0_privatekey(ssl) == NULL) {
		core->diag_at(cc->key_at, "service '%s': tls: key: %s is not a PEM private "
		              "key without a passphrase (%s)", service, cc->key,
		              ssl_error_text());
		return -1;
	}
	if (rc == 0 && SSL_CTX_check_private_key(ssl) != 1) {
		ERR_clear_error();
		core->diag_at(cc->key_at, "service '%s': tls: key: %s does not match the "
		              "certificate %s", service, cc->key, cc->cert);
		return -1;
	}
	if (rc == 0)
		warn_expired(ssl, cc, service);
	return rc;
}

/* Trust every PEM certificate of b for client certificates, and name
 * them to clients.  The number taken, or -1. */
static int use_client_cas(SSL_CTX *ssl, BIO *b)
{
	STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
	X509_STORE *store = SSL_CTX_get_cert_store(ssl);
	X509 *x;
	int n = 0;

	if (!names)
		return -1;
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL) {
		X509_NAME *name = X509_NAME_dup(X509_get_subject_name(x));
		int ok = name && X509_STORE_add_cert(store, x) == 1 &&
		         sk_X509_NAME_push(names, name) > 0;

		X509_free(x);
		if (!ok) {
			X509_NAME_free(name);
			n = -1;
			break;
		}
		n++;
	}
	if (n <= 0 || !pem_at_end()) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		return -1;
	}
	SSL_CTX_set_client_CA_list(ssl, names);
	return n;
}

/* Ask for a client certificate signed by tc's client_ca.  0 or -1. */
static int load_client_ca(SSL_CTX *ssl, const struct tls_conf *tc,
                          const char *service)
{
	BIO *b = pem_file(tc->client_ca, tc->client_ca_at, service, "client_ca");
	int n;

	if (!b)
		return -1;
	n = use_client_cas(ssl, b);
	BIO_free(b);
	if (n <= 0) {
		core->diag_at(tc->client_ca_at, "service '%s': tls: client_ca: %s holds "
		              "no PEM certificate (%s)", service, tc->client_ca,
		              ssl_error_text());
		return -1;
	}
	SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	                   NULL);
	return 0;
}

/* An SSL_CTX with superd's policy for certificate cc.  NULL (reported). */
static SSL_CTX *ssl_ctx_build(struct tls_ctx *ctx, const struct tls_conf *tc,
                              const struct tls_cert_conf *cc)
{
	SSL_CTX *ssl = SSL_CTX_new(TLS_server_method());

	if (!ssl) {
		core->diag_at(tc->at, "service '%s': tls: %s", ctx->service, ssl_error_text());
		return NULL;
	}
	SSL_CTX_set_app_data(ssl, ctx);
	SSL_CTX_set_min_proto_version(ssl, tc->min_version == 13 ? TLS1_3_VERSION
	                                                         : TLS1_2_VERSION);
	SSL_CTX_set_options(ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	                    SSL_OP_CIPHER_SERVER_PREFERENCE |
	                    SSL_OP_IGNORE_UNEXPECTED_EOF |
	                    (tls_ktls_available() ? SSL_OP_ENABLE_KTLS : 0));
	SSL_CTX_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                 SSL_MODE_RELEASE_BUFFERS);
	/* one read(2) per burst of records, not two per record (header,
	 * body); the loop asks tls_pending for what the library kept.  Not
	 * with kTLS, whose receive side must start on a record boundary. */
	if (!tls_ktls_available())
		SSL_CTX_set_read_ahead(ssl, 1);
	/* TLS 1.2: forward secrecy and AEAD only (no CBC: LUCKY13 and kin),
	 * as Mozilla's "intermediate"; TLS 1.3: OpenSSL's suites */
	SSL_CTX_set_cipher_list(ssl, TLS12_CIPHERS);
	SSL_CTX_set_dh_auto(ssl, 1);
	SSL_CTX_set_default_passwd_cb(ssl, no_passphrase);
	SSL_CTX_set_session_cache_mode(ssl, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_id_context(ssl, (const unsigned char *)ctx->service,
	                               (unsigned)strlen(ctx->service));
	SSL_CTX_set_timeout(ssl, 2 * TLS_TICKET_PERIOD);
	SSL_CTX_set_num_tickets(ssl, 1);
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ssl, ticket_cb);
	SSL_CTX_set_tlsext_servername_callback(ssl, sni_cb);
	SSL_CTX_set_tlsext_servername_arg(ssl, ctx);
	if (ctx->alpn_len)
		SSL_CTX_set_alpn_select_cb(ssl, alpn_cb, ctx);
	if (load_pair(ssl, cc, ctx->service) < 0 ||
	    (tc->client_ca && load_client_ca(ssl, tc, ctx->service) < 0)) {
		SSL_CTX_free(ssl);
		return NULL;
	}
	return ssl;
}

/*
 * The ticket secret of service: HMAC-SHA256 of its name under the root
 * secret (made at the first call, in the master).  The same on every
 * reload, so tickets issued before a SIGHUP still resume after it; the
 * keys derived from it still change every TLS_TICKET_PERIOD.  0 or -1.
 */
static int ticket_secret(const char *service, unsigned char out[TICKET_SECRET])
{
	size_t len = 0;

	if (!tls_root.made) {
		if (RAND_bytes(tls_root.key, sizeof(tls_root.key)) != 1)
			return -1;
		tls_root.made = 1;
	}
	return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, tls_root.key,
	                 sizeof(tls_root.key), (const unsigned char *)service,
	                 strlen(service), out, TICKET_SECRET, &len) ? 0 : -1;
}

/* Build a service's server side (see tls.h). */
struct tls_ctx *tls_ctx_new(const struct tls_conf *tc, const char *service,
                            const char *alpn)
{
	struct tls_ctx *ctx = calloc(1, sizeof(*ctx));
	int failed = 0;

	if (!ctx || !(ctx->certs = calloc(tc->ncerts, sizeof(*ctx->certs)))) {
		free(ctx);
		core->diag_at(tc->at, "service '%s': tls: out of memory", service);
		return NULL;
	}
	snprintf(ctx->service, sizeof(ctx->service), "%s", service);
	ctx->handshake_ms = tc->handshake_timeout * 1000u;
	if (alpn && strlen(alpn) < sizeof(ctx->alpn) - 1) {
		ctx->alpn[0] = (unsigned char)strlen(alpn);
		memcpy(ctx->alpn + 1, alpn, ctx->alpn[0]);
		ctx->alpn_len = 1 + (size_t)ctx->alpn[0];
	}
	ctx->cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	if (!ctx->cbc || ticket_secret(service, ctx->secret) < 0) {
		core->diag_at(tc->at, "service '%s': tls: no random bytes (%s)", service,
		              ssl_error_text());
		failed = 1;
	}
	for (size_t i = 0; i < tc->ncerts && !failed; i++) {
		ctx->certs[i].ssl = ssl_ctx_build(ctx, tc, &tc->certs[i]);
		ctx->certs[i].names = tc->certs[i].names;
		ctx->certs[i].nnames = tc->certs[i].nnames;
		ctx->ncerts++;
		if (!ctx->certs[i].ssl)
			failed = 1;
	}
	if (failed) {
		tls_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Free a context (see tls.h). */
void tls_ctx_free(struct tls_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < ctx->ncerts; i++)
		SSL_CTX_free(ctx->certs[i].ssl);
	OPENSSL_cleanse(ctx->secret, sizeof(ctx->secret));
	OPENSSL_cleanse(ctx->keys, sizeof(ctx->keys));
	EVP_CIPHER_free(ctx->cbc);
	free(ctx->certs);
	free(ctx);
}

unsigned tls_ctx_handshake_ms(const struct tls_ctx *ctx)
{
	return ctx->handshake_ms;
}

void tls_ctx_clock_skew(struct tls_ctx *ctx, long seconds)
{
	ctx->skew = seconds;
}

/* --- sessions --- */

/*
 * The socket under s: OpenSSL's socket BIO where the kernel has kTLS (it
 * must see that BIO to hand the records to the kernel), else tls_hold.c's,
 * which sends an event's small writes together.  1, or 0 (no memory).
 */
static int attach_socket(struct tls_sess *s, int fd)
{
	BIO *b;

	if (SSL_get_options(s->ssl) & SSL_OP_ENABLE_KTLS)
		return SSL_set_fd(s->ssl, fd) == 1;
	b = tls_hold_bio(&s->hold);
	if (!b)
		return 0;
	SSL_set_bio(s->ssl, b, b);
	return 1;
}

/* A server session on fd (see tls.h). */
struct tls_sess *tls_sess_new(struct tls_ctx *ctx, int fd)
{
	struct tls_sess *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->hold.fd = fd;
	s->ssl = SSL_new(ctx->certs[0].ssl);
	if (!s->ssl || !attach_socket(s, fd)) {
		SSL_free(s->ssl);
		free(s);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(s->ssl);
	return s;
}

void tls_sess_free(struct tls_sess *s)
{
	if (!s)
		return;
	SSL_free(s->ssl);
	tls_hold_free(&s->hold);
	free(s);
}

/*
 * Hold small writes back until tls_flush (see tls.h); a no-op on a
 * kTLS-capable kernel, where the socket BIO must be OpenSSL's own.
 */
void tls_cork(struct tls_sess *s)
{
	s->hold.corked = 1;
}

int tls_flush(struct tls_sess *s)
{
	return tls_hold_flush(&s->hold);
}

size_t tls_held(const struct tls_sess *s)
{
	return s->hold.len;
}

/* Map a failed call's result to TLS_WANT_* / TLS_ERR / 0 (end of stream). */
static int ssl_result(struct tls_sess *s, int r)
{
	int saved = errno;

	switch (SSL_get_error(s->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && saved == 0) {
			s->reason = "connection closed";
			return 0;
		}
		s->reason = ERR_peek_error() ? ssl_error_text() : strerror(saved);
		ERR_clear_error();
		errno = saved;
		return TLS_ERR;
	default:
		s->reason = ssl_error_text();
		errno = 0;
		return TLS_ERR;
	}
}

/* Drive the handshake (see tls.h). */
int tls_handshake(struct tls_sess *s)
{
	int r, rc;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(s->ssl);
	if (r == 1)
		return 0;
	rc = ssl_result(s, r);
	if (rc == 0) {
		s->reason = "closed by the client during the handshake";
		return TLS_ERR;
	}
	return rc;
}

ssize_t tls_read(struct tls_sess *s, void *buf, size_t len)
{
	int r;

	ERR_clear_error();
	errno = 0;
	r = SSL_read(s->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	return r > 0 ? r : ssl_result(s, r);
}

int tls_pending(const struct tls_sess *s)
{
	return SSL_has_pending(s->ssl);
}

ssize_t tls_write(struct tls_sess *s, const void *buf, size_t len)
{
	int r, rc;

	ERR_clear_error();
	errno = 0;
	r = SSL_write(s->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	if (r > 0)
		return r;
	rc = ssl_result(s, r);
	if (rc == 0) {
		errno = EPIPE;
		return TLS_ERR;
	}
	return rc;
}

/* kTLS file sending (see tls.h). */
ssize_t tls_sendfile(struct tls_sess *s, int fd, off_t off, size_t len)
{
#ifndef OPENSSL_NO_KTLS
	ossl_ssize_t n;
	int rc;

	if (!BIO_get_ktls_send(SSL_get_wbio(s->ssl)))
		return TLS_NOTSUP;
	ERR_clear_error();
	errno = 0;
	n = SSL_sendfile(s->ssl, fd, off, len, 0);
	if (n > 0)
		return n;
	rc = ssl_result(s, (int)n);
	if (rc == 0) {
		errno = EPIPE;
		return TLS_ERR;
	}
	return rc;
#else
	return TLS_NOTSUP;
#endif
}

void tls_close_notify(struct tls_sess *s)
{
	ERR_clear_error();
	if (SSL_is_init_finished(s->ssl))
		SSL_shutdown(s->ssl);
	ERR_clear_error();
}

const char *tls_sess_reason(const struct tls_sess *s)
{
	return s->reason ? s->reason : "unknown";
}

/* The client certificate's subject in RFC 2253 form, into buf. */
static void subject_dn(X509 *x, char *buf, size_t size)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	buf[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(b, buf, (int)size - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

/* Copy src into the info buffer; the copy (or "" when out of room). */
static const char *info_put(char **p, size_t *left, const char *src)
{
	size_t n = strlen(src ? src : "") + 1;
	char *dst = *p;

	if (n > *left)
		return "";
	memcpy(dst, src ? src : "", n);
	*p += n;
	*left -= n;
	return dst;
}

/* The session's facts for modules (see tls.h). */
int tls_sess_info(struct tls_sess *s, struct superd_tls *out, char *buf,
                  size_t size)
{
	X509 *peer;
	char dn[512] = "";
	int ok;

	if (!SSL_is_init_finished(s->ssl))
		return -1;
	peer = SSL_get0_peer_certificate(s->ssl);
	ok = peer && SSL_get_verify_result(s->ssl) == X509_V_OK;
	if (peer)
		subject_dn(peer, dn, sizeof(dn));
	out->protocol = info_put(&buf, &size, SSL_get_version(s->ssl));
	out->cipher = info_put(&buf, &size, SSL_get_cipher_name(s->ssl));
	out->server_name = info_put(&buf, &size,
	                            SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name));
	out->client_verify = ok ? "SUCCESS" : "NONE";
	out->client_s_dn = info_put(&buf, &size, dn);
	return 0;
}

/* What the core calls, through tls_load.c. */
static const struct tls_backend table = {
	.size = sizeof(struct tls_backend),
	.ktls_available = tls_ktls_available,
	.log_ktls_once = tls_log_ktls_once,
	.ctx_new = tls_ctx_new,
	.set_opener = tls_set_opener,
	.ctx_free = tls_ctx_free,
	.ctx_handshake_ms = tls_ctx_handshake_ms,
	.ctx_clock_skew = tls_ctx_clock_skew,
	.sess_new = tls_sess_new,
	.sess_free = tls_sess_free,
	.handshake = tls_handshake,
	.read = tls_read,
	.pending = tls_pending,
	.write = tls_write,
	.sendfile = tls_sendfile,
	.cork = tls_cork,
	.flush = tls_flush,
	.held = tls_held,
	.close_notify = tls_close_notify,
	.sess_reason = tls_sess_reason,
	.sess_info = tls_sess_info,
};

/*
 * The backend's one exported symbol (the rest is hidden: the build gives
 * -fvisibility=hidden, so these tls_* never meet the core's).
 */
__attribute__((visibility("default")))
const struct tls_backend *superd_tls_backend(const struct tls_backend_env *env)
{
	if (!env || env->size < sizeof(*env))
		return NULL;
	core = env;
	return &table;
}
