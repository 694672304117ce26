/*
 * exec.h - the exec module's shared types: inetd-style programs.
 *
 * exec.c checks the options and builds the instance; spawn.c starts one
 * program per connection (nowait) or hands the listening socket to one
 * (wait), and follows it until it exits.
 */
#ifndef SUPERD_EXEC_H
#define SUPERD_EXEC_H

#include <stdint.h>
#include <sys/types.h>

#include "superd/module.h"

/** Variables superd sets for each connection (configured env may not). */
#define EXEC_CONN_VARS 7
/** More of them on a TLS connection (SSL_PROTOCOL ... SSL_CLIENT_S_DN). */
#define EXEC_TLS_VARS 5

/** One configured exec service. */
struct exec_instance {
	const struct superd_host *host;
	superd_service *svc;
	char *path;         /**< the program, resolved (absolute or as found) */
	char **argv;        /**< NULL-terminated; argv[0] as written */
	char **env;         /**< configured "NAME=value", NULL-terminated */
	size_t nenv;
	int wait;           /**< inetd wait: the program gets the listener */
	int as_user;        /**< `user` was given (the host switches) */
};

/** A running program; outlives its connection if the host closes first. */
struct exec_child {
	struct exec_instance *inst;
	superd_conn *c;       /**< NULL once the connection is gone */
	pid_t pid;
	int conn_fd;          /**< the connection's socket (host-owned) */
	uint64_t started_ms;
	int exited;
};

/** Per-connection state (conn_size). */
struct exec_conn {
	struct exec_child *child;
};

int exec_open(superd_conn *c, void *instance, void *state);
void exec_close(superd_conn *c, void *instance, void *state);
int exec_serve(int fd, const struct superd_peer *peer, void *instance);

#endif
