/*
 * discard.c - the Discard Protocol (RFC 863), TCP and UDP.
 *
 * Everything received is thrown away and nothing is ever sent.  The
 * connection ends when the client closes (or the service's idle timeout).
 */
#include "classic.h"

static int discard_configure(const struct superd_host *host,
                             superd_service *svc, const superd_opt *options,
                             void **instance);
static int discard_open(superd_conn *c, void *instance, void *state);
static size_t discard_data(superd_conn *c, void *instance, void *state,
                           const unsigned char *data, size_t len);
static void discard_datagram(void *instance, const struct superd_datagram *d);

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "discard",
	.version = CLASSIC_VERSION,
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UDP | SUPERD_PROTO_UNIX,
	.conn_size = 0,
	.configure = discard_configure,
	.destroy = classic_destroy,
	.on_open = discard_open,
	.on_data = discard_data,
	.on_datagram = discard_datagram,
};

/* No options; the instance is just the host and the service. */
static int discard_configure(const struct superd_host *host,
                             superd_service *svc, const superd_opt *options,
                             void **instance)
{
	return classic_configure_alloc(host, svc, options,
	                               sizeof(struct classic_instance), instance);
}

/* Nothing to say, ever; keep the receive queue short. */
static int discard_open(superd_conn *c, void *instance, void *state)
{
	const struct classic_instance *inst = instance;

	classic_short_rcvbuf(inst->host, c);
	return 0;
}

/* Drop the bytes: all of them are consumed. */
static size_t discard_data(superd_conn *c, void *instance, void *state,
                           const unsigned char *data, size_t len)
{
	return len;
}

/* Drop the datagram: no reply. */
static void discard_datagram(void *instance, const struct superd_datagram *d)
{
}
