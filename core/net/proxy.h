/*
 * proxy.h - the PROXY protocol header (HAProxy's proxy-protocol.txt, v1 and
 * v2), as sent by a load balancer in front of superd.  A pure parser: it
 * reads bytes, never a socket, so it is unit-tested and fuzzed alone.
 */
#ifndef SUPERD_PROXY_H
#define SUPERD_PROXY_H

#include <stddef.h>
#include <sys/socket.h>

/** A v1 line is at most this long, CRLF included (the spec's bound). */
#define PROXY_V1_MAX 107
/** Whole headers longer than this (v2 with many TLVs) are refused. */
#define PROXY_HEADER_MAX 4096
/** A trusted sender has this long to send a complete header. */
#define PROXY_DEADLINE_MS 5000

enum proxy_status {
	PROXY_NEED_MORE = 0, /**< no verdict yet: every byte so far is header */
	PROXY_DONE,          /**< a complete, valid header */
	PROXY_BAD,           /**< not a valid header: close the connection */
};

/** What a complete header says. */
struct proxy_result {
	int version;                  /**< 1 or 2 */
	size_t len;                   /**< header bytes, to consume */
	int has_addr;                 /**< 0: keep the connection's own addresses
	                                   (v2 LOCAL, v1 UNKNOWN, unspec/unix) */
	struct sockaddr_storage src;  /**< the client, when has_addr */
	struct sockaddr_storage dst;  /**< the address it reached, when has_addr */
	socklen_t addr_len;           /**< bytes used in src and dst */
};

/**
 * Parse the first len bytes a connection sent.  PROXY_NEED_MORE: the bytes
 * seen are a valid beginning (and none is past the header's end, so all may
 * be consumed); PROXY_DONE: *r is filled, r->len bytes are the header;
 * PROXY_BAD: *why says what is wrong (static text).
 */
enum proxy_status proxy_parse(const unsigned char *buf, size_t len,
                              struct proxy_result *r, const char **why);

#endif
