/*
 * runconf.h - a configured service at run time (what modules see as the
 * opaque superd_service), and a whole loaded configuration (struct runconf).
 *
 * The first fields are all that options.c and the unit tests' fake host
 * need; the runtime appends what it needs after them.
 */
#ifndef SUPERD_SERVICE_H
#define SUPERD_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "refusals.h"
#include "superd/module.h"

struct loaded_module;
struct access_svc;
struct access_shared;
struct listener;
struct privs_ids;
struct tls_ctx;

struct superd_service {
	const char *name;               /**< service name (from conf) */
	const struct superd_opt *at;    /**< the service's node, for positions */
	const char *config_dir;         /**< absolute dir of the config file */
	const struct service_conf *conf; /**< NULL in unit tests */
	/* runtime fields follow (runtime-owned) */
	const struct superd_module *module; /**< the loaded descriptor */
	void *instance;                 /**< what configure returned */
	int wait;                       /**< inetd wait style (service_set_wait) */
	void *rt;                       /**< runtime private data (unused) */
	struct loaded_module *lib;      /**< the .so, shared between services */
	struct access_svc *access;      /**< rules and counters; NULL under -t */
	int configured;                 /**< configure succeeded: destroy owed */
	int started;                    /**< start() succeeded (or not needed) */
	unsigned timeout_ms;            /**< idle timeout for new connections */
	size_t in_max;                  /**< input kept per connection, at most */
	size_t out_max;                 /**< output queued before back-pressure */
	struct privs_ids *user_ids;     /**< host->service_user, or NULL */
	const struct sandbox_conf *child_limits; /**< sandbox:, or NULL */
	struct tls_ctx *tls;            /**< `tls:` made into a context, or NULL */
	struct refusals tls_refusals;   /**< refused handshakes (worker) */
	char **sandbox_read;            /**< host->sandbox_path, NULL-terminated */
	char **sandbox_write;
	const struct superd_opt *spawns_at; /**< host->service_spawns, or NULL */
	char spawns_what[48];           /**< what it starts ("CGI programs") */
	char **sandbox_exec;            /**< programs it may start (spawn) */
	char **sandbox_syscalls;        /**< host->sandbox_syscall */
};

/** Does svc run on workers of its own (`isolate: true`)? */
static inline int svc_isolated(const struct superd_service *svc)
{
	return svc->conf && svc->conf->isolate;
}

/** How a listening socket is served. */
enum listen_mode {
	LISTEN_EVENT,   /**< workers accept; module callbacks in the loop */
	LISTEN_SERVE,   /**< workers accept; serve() in a child per connection */
	LISTEN_DGRAM,   /**< workers receive datagrams; on_datagram */
	LISTEN_WAIT,    /**< master: serve(listen fd) in a child (inetd wait) */
};

/** One listening socket of one service in a configuration. */
struct svc_listen {
	struct superd_service *svc;
	struct listener *ls;            /**< the socket (shared across reloads) */
	enum listen_mode mode;
	pid_t wait_child;               /**< LISTEN_WAIT: the running child */
};

/** A loaded configuration: its services (modules configured) and sockets. */
struct runconf {
	struct config *cfg;
	struct superd_service *svcs;
	size_t nsvcs;
	struct svc_listen *ls;          /**< filled by runconf_bind */
	size_t nls;
};

/**
 * Load and check path: config_load, then load every service's module and
 * run its configure.  Errors go through diag; NULL if there were any.
 */
struct runconf *runconf_load(const char *path);
/**
 * Bind every listener of the enabled services, reusing sockets of old (may
 * be NULL) whose address is the same.  0, or -1 (logged; nothing bound
 * stays open).
 */
int runconf_bind(struct runconf *rc, const struct runconf *old);
/** Bind the services to the shared access counters.  0 or -1 (logged). */
int runconf_access(struct runconf *rc, struct access_shared *sh);
/** Call every module's start(); a failing service is logged and disabled. */
void runconf_start(struct runconf *rc);
/**
 * Release rc's sockets (after a reload took what it keeps): a socket no
 * newer configuration uses closes now, not when rc's workers are gone.
 */
void runconf_drop_listeners(struct runconf *rc);
/** Destroy instances, release sockets and modules, free the config. */
void runconf_free(struct runconf *rc);

#endif
