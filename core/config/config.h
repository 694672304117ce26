/*
 * config.h - the checked configuration: global keys and services.
 *
 * config_load() is pure: it reads and validates the file, resolves names
 * (getaddrinfo, getservbyname), and binds nothing.  Modules are not loaded
 * here; the loader does that on the result (so `-t` runs both).
 */
#ifndef SUPERD_CONFIG_H
#define SUPERD_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>

#include "conftree.h"

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

/** One service as configured (after `defaults:` are applied). */
struct service_conf {
	char *name;                       /**< key under services: */
	const struct superd_opt *at;      /**< the service's mapping node (its
	                                       name's node when it has none) */
	const struct superd_opt *name_at; /**< the name under services:, where
	                                       service-wide errors point */
	char *module;                     /**< `module:` as written */
	const struct superd_opt *module_at;
	struct listen_addr *listen;       /**< every address x every protocol */
	size_t nlisten;
	unsigned protocols;               /**< SUPERD_PROTO_TCP|UDP requested */
	unsigned long max_connections;    /**< 0: unlimited */
	unsigned long per_source;         /**< 0: unlimited */
	unsigned long rate;               /**< new connections/s, 0: unlimited */
	unsigned long rate_per_source;    /**< per client address, 0: unlimited */
	unsigned timeout;                 /**< idle seconds, 0: none */
	int enabled;                      /**< `enabled:` (default 1) */
	struct cidr *allow;               /**< empty: everyone */
	size_t nallow;
	struct cidr *deny;                /**< deny wins over allow */
	size_t ndeny;
	const struct superd_opt *options; /**< `options:` or NULL */
};

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG, LOG_TO_FILE };

/** The `global:` section, with defaults filled in. */
struct global_conf {
	enum log_target log;        /**< default stderr */
	char *log_file;             /**< when log is a path */
	int log_level;              /**< SUPERD_LOG_*; default INFO */
	char *pid_file;             /**< NULL: none */
	char *user;                 /**< NULL: do not drop privileges */
	char *group;                /**< NULL: the user's primary group */
	char **module_path;         /**< searched before the built-in dir */
	size_t nmodule_path;
	unsigned long max_connections; /**< whole server; 0: unlimited */
	unsigned workers;           /**< default: number of online CPUs */
	char *event_backend;        /**< NULL: default (epoll on Linux) */
};

/** A whole checked configuration. */
struct config {
	char *path;                 /**< the file as given */
	char *dir;                  /**< absolute directory of the file */
	struct superd_opt *tree;    /**< owns every node referenced below */
	struct global_conf global;
	struct service_conf *services;
	size_t nservices;
};

/**
 * Read and check path.  Every problem is reported through diag (all of
 * them, not only the first, where that is meaningful); returns NULL if any.
 * The same address twice (across all services) is an error.
 */
struct config *config_load(const char *path);
/** Same from a buffer (tests); name is used in messages and as the path. */
struct config *config_parse(const char *name, const char *buf, size_t len);
void config_free(struct config *cfg);

/** Parse one listen entry (addr.c); appends to *out.  0 or -1 (reported). */
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
