/*
 * addr.h - listen addresses and CIDR rules: the types the configuration
 * holds, parsing and resolving them (addr.c), and the checks across
 * services (addr_unique.c).
 */
#ifndef SUPERD_ADDR_H
#define SUPERD_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "conftree.h"

struct service_conf;

/** One address to listen on, for one protocol. */
struct listen_addr {
	int family;                 /**< AF_INET, AF_INET6 or AF_UNIX */
	int socktype;               /**< SOCK_STREAM or SOCK_DGRAM */
	unsigned proto;             /**< SUPERD_PROTO_TCP, _UDP or _UNIX */
	struct sockaddr_storage ss; /**< resolved address (path for UNIX) */
	socklen_t sslen;            /**< bytes used in ss */
	int dual;                   /**< bare PORT: [::] with IPV6_V6ONLY off */
	char text[128];             /**< canonical text: "127.0.0.1:7/tcp",
	                                 "[::1]:7/udp", "unix:/p", "*:80/tcp" */
	const struct superd_opt *at; /**< where it was written */
};

/** An allow/deny rule: an address prefix. */
struct cidr {
	int family;                /**< AF_INET or AF_INET6 */
	unsigned char addr[16];    /**< network address, masked */
	unsigned prefix;           /**< prefix length in bits */
};

/** Parse one listen entry; appends to *out.  0 or -1 (reported). */
int addr_parse_listen(const struct superd_opt *at, unsigned protocols,
                      struct listen_addr **out, size_t *n);

/* Limits on what one file may ask us to resolve and hold. */
#define ADDR_MAX_LOOKUPS 64     /**< host names resolved per file */
#define ADDR_MAX_LISTEN 65536   /**< listen addresses per file */

/** What addr_parse_listen_in() needs beyond the node. */
struct addr_ctx {
	const char *dir;    /**< base of relative unix: paths (absolute) */
	const char *prefix; /**< put before messages ("service 'x': listen: ") */
	unsigned lookups;   /**< host names resolved so far */
	size_t total;       /**< addresses produced so far */
};
/** addr_parse_listen() with a base directory, prefix and limits. */
int addr_parse_listen_in(struct addr_ctx *ctx, const struct superd_opt *at,
                         unsigned protocols, struct listen_addr **out,
                         size_t *n);
/** addr_parse_cidr(), and on failure *why says what is wrong. */
int addr_parse_cidr_why(const char *text, struct cidr *c, const char **why);
/**
 * Report every address used twice across services (at the second, naming
 * the first's FILE:LINE), and every wildcard that overlaps a specific
 * address on the same port (Linux refuses to bind both).  Returns the
 * number of problems reported.
 */
unsigned addr_check_unique(const struct service_conf *svcs, size_t n);
/** Parse "A.B.C.D/N", "X::/N" or a bare address into c.  0 or -1. */
int addr_parse_cidr(const char *text, struct cidr *c);
/** Does sa (IPv4-mapped IPv6 counts as IPv4) fall in c? */
int addr_cidr_match(const struct cidr *c, const struct sockaddr *sa);
/** Same address (family, address, port or path, and socktype)? */
int addr_listen_equal(const struct listen_addr *a, const struct listen_addr *b);

#endif
