/*
 * echo.c - the Echo Protocol (RFC 862), TCP and UDP.
 *
 * TCP: every byte received is sent back, by the core itself (host->reflect:
 * spliced, never copied through the worker, on plain TCP and UNIX).  The
 * host queues what the socket does not take and stops reading while too
 * much is queued, so a client that sends without reading cannot grow our
 * memory.  When the client
 * half-closes, the host's default (send what is queued, then close) is
 * exactly "finish echoing, then close".
 * UDP: each datagram is answered with a datagram of the same bytes (an
 * empty one included).
 */
#include "classic.h"

static int echo_configure(const struct superd_host *host, superd_service *svc,
                          const superd_opt *options, void **instance);
static int echo_open(superd_conn *c, void *instance, void *state);
static size_t echo_data(superd_conn *c, void *instance, void *state,
                        const unsigned char *data, size_t len);
static void echo_datagram(void *instance, const struct superd_datagram *d);

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "echo",
	.version = CLASSIC_VERSION,
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UDP | SUPERD_PROTO_UNIX,
	.conn_size = 0,
	.configure = echo_configure,
	.destroy = classic_destroy,
	.on_open = echo_open,
	.on_data = echo_data,
	.on_datagram = echo_datagram,
};

/* No options; the instance is just the host and the service. */
static int echo_configure(const struct superd_host *host, superd_service *svc,
                          const superd_opt *options, void **instance)
{
	return classic_configure_alloc(host, svc, options,
	                               sizeof(struct classic_instance), instance);
}

/*
 * Nothing to say first: the core sends the client's bytes back itself
 * (host->reflect: in the kernel where it can), with a short receive queue.
 * Should it refuse, on_data echoes instead.
 */
static int echo_open(superd_conn *c, void *instance, void *state)
{
	const struct classic_instance *inst = instance;

	classic_short_rcvbuf(inst->host, c);
	(void)inst->host->reflect(c);
	return 0;
}

/* Send everything back and consume it all. */
static size_t echo_data(superd_conn *c, void *instance, void *state,
                        const unsigned char *data, size_t len)
{
	const struct classic_instance *inst = instance;

	if (inst->host->write(c, data, len) < 0)
		return SUPERD_DATA_ABORT;
	return len;
}

/* One datagram back per datagram, byte for byte. */
static void echo_datagram(void *instance, const struct superd_datagram *d)
{
	const struct classic_instance *inst = instance;

	inst->host->reply(d, d->data, d->len);
}
