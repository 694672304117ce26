/*
 * conf.h - the checked configuration: global keys and services.
 *
 * config_load() is pure: it reads and validates the file, resolves names
 * (getaddrinfo, getservbyname), and binds nothing.  Modules are not loaded
 * here; the loader does that on the result (so `-t` runs both).
 */
#ifndef SUPERD_CONF_H
#define SUPERD_CONF_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "addr.h"
#include "conftree.h"

/** A service's `sandbox:` (config_sandbox.c): what its children get. */
struct sandbox_conf {
	unsigned long long cpu;       /**< RLIMIT_CPU seconds; 0: inherited */
	unsigned long long memory;    /**< RLIMIT_AS bytes; 0: inherited */
	unsigned long long files;     /**< RLIMIT_NOFILE; 0: inherited */
	unsigned long long processes; /**< RLIMIT_NPROC; 0: inherited */
	int no_new_privs;             /**< PR_SET_NO_NEW_PRIVS */
	char **read, **write, **exec; /**< Landlock paths, NULL-terminated (or NULL) */
	int landlock;                 /**< any of the three lists given */
};

/** Free a sandbox_conf and its lists (NULL is fine). */
void sandbox_conf_free(struct sandbox_conf *sb);
/** One certificate and its key: `tls:` itself, or one `sni:` entry. */
struct tls_cert_conf {
	char *cert;                       /**< PEM chain, absolute path */
	char *key;                        /**< PEM private key, absolute path */
	const struct superd_opt *cert_at; /**< where errors about each point */
	const struct superd_opt *key_at;
	char **names;                     /**< sni: server names, lower case
	                                       ("*.example.org" allowed); none
	                                       for the default certificate */
	size_t nnames;
	const struct superd_opt *names_at;
};

/** A service's `tls:` block (see superd.yaml(5)). */
struct tls_conf {
	const struct superd_opt *at;      /**< the `tls:` value */
	struct tls_cert_conf *certs;      /**< [0]: cert/key; then each sni entry */
	size_t ncerts;
	char *client_ca;                  /**< NULL: no client certificate asked */
	const struct superd_opt *client_ca_at;
	int min_version;                  /**< 12 (TLS 1.2, default) or 13 */
	unsigned handshake_timeout;       /**< seconds (default 10) */
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
	size_t max_input;                 /**< bytes; 0: the module's or default */
	size_t max_output;                /**< bytes; 0: the module's or default */
	int enabled;                      /**< `enabled:` (default 1) */
	int isolate;                      /**< `isolate:` its own workers */
	struct cidr *allow;               /**< empty: everyone */
	size_t nallow;
	struct cidr *deny;                /**< deny wins over allow */
	size_t ndeny;
	struct cidr *proxy_from;          /**< `proxy_protocol`: trusted PROXY
	                                       header senders (on a UNIX
	                                       listener, any entry: every client) */
	size_t nproxy_from;
	const struct superd_opt *options; /**< `options:` or NULL */
	struct sandbox_conf *sandbox;     /**< `sandbox:`, or NULL */
	struct tls_conf *tls;             /**< `tls:`, or NULL for plaintext */
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
	int log_json;               /**< log_format: json (default text) */
	unsigned shutdown_delay;    /**< seconds still accepting after SIGTERM */
	unsigned stop_timeout;      /**< grace seconds for the drain; default 10 */
	char **include;             /**< `include:` glob patterns, absolute */
	const struct superd_opt **include_at; /**< where each was written */
	size_t ninclude;
	int watch;                  /**< `watch:` reload when a read file or an
	                                 include directory changes */
	unsigned reload_timeout;    /**< s an old worker may drain; 0: no bound */
	int sandbox;                /**< `sandbox:` Landlock + seccomp in
	                                 workers (default 1) */
};

/** A whole checked configuration. */
struct config {
	char *path;                 /**< the file as given */
	char *dir;                  /**< absolute directory of the file */
	struct superd_opt *tree;    /**< owns every node referenced below */
	struct global_conf global;
	struct service_conf *services;
	size_t nservices;
	struct superd_opt **more;   /**< trees of the included files (owned) */
	size_t nmore;
	char **files;               /**< every file read: the main one first,
	                                 then the included ones, in order */
	size_t nfiles;
	struct timespec read_at;    /**< CLOCK_REALTIME before the first read
	                                 (global: watch: changes after it) */
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

#endif
