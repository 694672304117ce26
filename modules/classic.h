/*
 * classic.h - what the five RFC modules (echo, discard, chargen, daytime,
 * time) share: an instance holding the host and the service, and a
 * configure that accepts no options.  Header-only: each module is its own
 * shared object.
 */
#ifndef SUPERD_CLASSIC_H
#define SUPERD_CLASSIC_H

#include <stdlib.h>
#include <sys/socket.h>

#include "superd/module.h"

/* The modules' version: the package's, set by the build. */
#ifndef CLASSIC_VERSION
#define CLASSIC_VERSION "0"
#endif

/** A configured classic service. */
struct classic_instance {
	const struct superd_host *host; /**< the host's services */
	superd_service *svc;            /**< for log lines */
};

/*
 * Refuse every option (a misspelt key is reported at its position) and
 * fill the common part of an instance.  0 or -1.
 */
static inline int classic_configure(const struct superd_host *host,
                                    superd_service *svc,
                                    const superd_opt *options,
                                    struct classic_instance *inst)
{
	static const char *const no_keys[] = { NULL };

	if (host->opt_check_keys(svc, options, no_keys) < 0)
		return -1;
	inst->host = host;
	inst->svc = svc;
	return 0;
}

/* Allocate and configure an instance of size bytes (the classic part
 * first); the shared configure callback of the simplest modules. */
static inline int classic_configure_alloc(const struct superd_host *host,
                                          superd_service *svc,
                                          const superd_opt *options,
                                          size_t size, void **instance)
{
	struct classic_instance *inst = calloc(1, size);

	if (!inst) {
		host->log(svc, SUPERD_LOG_ERROR, "configure: out of memory");
		return -1;
	}
	if (classic_configure(host, svc, options, inst) < 0) {
		free(inst);
		return -1;
	}
	*instance = inst;
	return 0;
}

/*
 * Receive buffer of a stream connection of the services that take every
 * byte as it comes (echo, discard); Linux doubles it for its bookkeeping.
 */
#define CLASSIC_RCVBUF (128 * 1024)

/*
 * Keep the kernel's receive queue of c short.  With autotuning a fast
 * sender fills it to megabytes (tcp_rmem's maximum) whenever this side is
 * the slower one; each read then copies bytes that left the caches long
 * ago, which made echo streaming run at a third of its speed from time to
 * time (bench/README.md, "Profile").  A queue this size is still read from
 * cache, and the sender's bytes wait in its own buffers instead.  Not over
 * TLS (the record layer reads for us) and not for UNIX sockets (whose
 * receive side is bounded by the sender's buffer).  A failure only costs
 * speed, so it is ignored.
 */
static inline void classic_short_rcvbuf(const struct superd_host *host,
                                        superd_conn *c)
{
	const struct superd_peer *peer = host->peer(c);
	int fd, size = CLASSIC_RCVBUF;

	if (!peer || peer->proto != SUPERD_PROTO_TCP ||
	    (host->abi_minor >= 2 && host->tls(c)))
		return;
	fd = host->conn_fd(c);
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* destroy: free an instance allocated by classic_configure_alloc. */
static inline void classic_destroy(void *instance)
{
	free(instance);
}

#endif
