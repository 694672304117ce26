/*
 * time.c - the Time Protocol (RFC 868), TCP and UDP.
 *
 * The answer is 4 bytes: the seconds since 1900-01-01 00:00 UTC as an
 * unsigned 32-bit big-endian number.  It wraps modulo 2^32 (on 2036-02-07
 * 06:28:16 UTC the count restarts at 0), as every RFC 868 client expects.
 * TCP: sent on connect, then the connection is closed.  UDP: one answer
 * per datagram received.
 */
#include <stdint.h>
#include <time.h>

#include "classic.h"

/** Seconds from 1900-01-01 to 1970-01-01 (70 years, 17 leap days). */
#define TIME_EPOCH_OFFSET 2208988800u

static int time_configure(const struct superd_host *host, superd_service *svc,
                          const superd_opt *options, void **instance);
static int time_open(superd_conn *c, void *instance, void *state);
static void time_datagram(void *instance, const struct superd_datagram *d);

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "time",
	.version = CLASSIC_VERSION,
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UDP | SUPERD_PROTO_UNIX,
	.conn_size = 0,
	.configure = time_configure,
	.destroy = classic_destroy,
	.on_open = time_open,
	.on_datagram = time_datagram,
};

/*
 * Encode unix_seconds as RFC 868 time into out: big-endian, modulo 2^32.
 * Pure, for the unit tests.
 */
static void time_encode(int64_t unix_seconds, unsigned char out[4])
{
	uint32_t t = (uint32_t)((uint64_t)unix_seconds + TIME_EPOCH_OFFSET);

	out[0] = (unsigned char)(t >> 24);
	out[1] = (unsigned char)(t >> 16);
	out[2] = (unsigned char)(t >> 8);
	out[3] = (unsigned char)t;
}

/* The answer for now; 0, or -1 when the clock cannot be read. */
static int time_now(unsigned char out[4])
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	time_encode(ts.tv_sec, out);
	return 0;
}

/* No options; the instance is just the host and the service. */
static int time_configure(const struct superd_host *host, superd_service *svc,
                          const superd_opt *options, void **instance)
{
	return classic_configure_alloc(host, svc, options,
	                               sizeof(struct classic_instance), instance);
}

/* Send the 4 bytes, then close once they are out. */
static int time_open(superd_conn *c, void *instance, void *state)
{
	const struct classic_instance *inst = instance;
	unsigned char answer[4];

	if (time_now(answer) < 0 || inst->host->write(c, answer, 4) < 0)
		return -1;
	inst->host->close(c);
	return 0;
}

/* One answer per datagram received. */
static void time_datagram(void *instance, const struct superd_datagram *d)
{
	const struct classic_instance *inst = instance;
	unsigned char answer[4];

	if (time_now(answer) == 0)
		inst->host->reply(d, answer, 4);
}
