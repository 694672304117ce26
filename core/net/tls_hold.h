/*
 * tls_hold.h - the socket BIO of tls_openssl.c that holds small writes
 * back while the connection is corked (see tls_hold.c).
 */
#ifndef SUPERD_TLS_HOLD_H
#define SUPERD_TLS_HOLD_H

#include <stddef.h>

#include <openssl/bio.h>

/** The socket and what is held back for it; lives as long as its BIO. */
struct tls_hold {
	int fd;
	int corked;         /**< hold small writes until tls_hold_flush */
	int eof;            /**< a read returned 0 */
	unsigned char *buf; /**< allocated while bytes are held */
	size_t len;         /**< bytes held */
};

/** A BIO reading and writing h->fd, holding while h->corked.  NULL: no memory. */
BIO *tls_hold_bio(struct tls_hold *h);
/**
 * Uncork and send what is held: 0 when all is out, 1 when the socket is
 * full and bytes are left, -1 with errno when the socket failed.
 */
int tls_hold_flush(struct tls_hold *h);
/** Drop what is held (the session ends). */
void tls_hold_free(struct tls_hold *h);

#endif
