/*
 * chargen.c - the Character Generator Protocol (RFC 864), TCP and UDP.
 *
 * The data is the RFC's rotating pattern: lines of 72 characters taken
 * from the 95 printable ASCII characters (0x20 ' ' to 0x7E '~') in order,
 * each line starting one character further on than the one before, and
 * ended by CR LF.  After 95 lines (7030 bytes) the pattern repeats.
 *
 * TCP: the pattern is sent from the first line (starting with ' ') until
 * the client goes away; what it sends is ignored, and a half-close does
 * not stop the stream (only the client closing does, or the idle timeout
 * if it stops reading).  Output is written in large slices of a table
 * built once per service, so streaming costs one write per ~62 KiB.
 * UDP: each datagram is answered with 0 to 512 characters of the
 * pattern (the length is pseudo-random, derived from the request and a
 * per-service counter), starting at the beginning of a line.
 */
#include <stdint.h>

#include "classic.h"

/** Characters of a line, and bytes of a line with its CR LF. */
#define CHARGEN_LINE_CHARS 72
#define CHARGEN_LINE_BYTES (CHARGEN_LINE_CHARS + 2)
/** The printable characters, and so the lines in one cycle. */
#define CHARGEN_PRINTABLE 95
/** Bytes in one cycle of the pattern. */
#define CHARGEN_CYCLE (CHARGEN_PRINTABLE * CHARGEN_LINE_BYTES)
/** Bytes per write: whole cycles, so a slice always ends where it began. */
#define CHARGEN_CHUNK (9 * CHARGEN_CYCLE)
/** The table: a chunk may start anywhere within the first cycle. */
#define CHARGEN_TABLE (CHARGEN_CHUNK + CHARGEN_CYCLE)
/** Most chunks written per callback, so one fast reader cannot hog a worker. */
#define CHARGEN_BURST 4
/** Longest UDP answer (RFC 864). */
#define CHARGEN_UDP_MAX 512

/** A configured chargen service. */
struct chargen_instance {
	struct classic_instance base;       /**< host and service */
	uint64_t datagrams;                 /**< UDP requests answered */
	unsigned char table[CHARGEN_TABLE]; /**< the pattern from line 0 on */
};

/** Per connection: where in the cycle the next byte is. */
struct chargen_conn {
	size_t offset; /**< 0 .. CHARGEN_CYCLE - 1 */
};

static int chargen_configure(const struct superd_host *host,
                             superd_service *svc, const superd_opt *options,
                             void **instance);
static int chargen_open(superd_conn *c, void *instance, void *state);
static void chargen_eof(superd_conn *c, void *instance, void *state);
static void chargen_drain(superd_conn *c, void *instance, void *state);
static void chargen_datagram(void *instance, const struct superd_datagram *d);

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "chargen",
	.version = CLASSIC_VERSION,
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UDP | SUPERD_PROTO_UNIX,
	.conn_size = sizeof(struct chargen_conn),
	.configure = chargen_configure,
	.destroy = classic_destroy,
	.on_open = chargen_open,
	.on_eof = chargen_eof,
	.on_drain = chargen_drain,
	.on_datagram = chargen_datagram,
};

/* The byte at position pos of the endless pattern.  Pure. */
static unsigned char chargen_byte_at(uint64_t pos)
{
	uint64_t line = pos / CHARGEN_LINE_BYTES;
	unsigned col = (unsigned)(pos % CHARGEN_LINE_BYTES);

	if (col == CHARGEN_LINE_CHARS)
		return '\r';
	if (col == CHARGEN_LINE_CHARS + 1)
		return '\n';
	return (unsigned char)(0x20 + (line + col) % CHARGEN_PRINTABLE);
}

/* Fill table with the pattern from position 0. */
static void chargen_table_fill(unsigned char *table, size_t len)
{
	for (size_t i = 0; i < len; i++)
		table[i] = chargen_byte_at(i);
}

/* No options; build the pattern table. */
static int chargen_configure(const struct superd_host *host,
                             superd_service *svc, const superd_opt *options,
                             void **instance)
{
	struct chargen_instance *inst;

	if (classic_configure_alloc(host, svc, options, sizeof(*inst),
	                            instance) < 0)
		return -1;
	inst = *instance;
	chargen_table_fill(inst->table, sizeof(inst->table));
	return 0;
}

/*
 * Write up to CHARGEN_BURST chunks, stopping as soon as the socket is
 * full (the host then has bytes queued and calls on_drain later).
 * 0, or -1 when the connection is failing.
 */
static int chargen_fill(superd_conn *c, struct chargen_instance *inst,
                        struct chargen_conn *st)
{
	const struct superd_host *host = inst->base.host;

	for (int i = 0; i < CHARGEN_BURST; i++) {
		if (host->write(c, inst->table + st->offset, CHARGEN_CHUNK) < 0)
			return -1;
		st->offset = (st->offset + CHARGEN_CHUNK) % CHARGEN_CYCLE;
		if (host->pending(c) > 0)
			break;
	}
	return 0;
}

/* Start the stream at line 0. */
static int chargen_open(superd_conn *c, void *instance, void *state)
{
	struct chargen_conn *st = state;

	st->offset = 0;
	return chargen_fill(c, instance, state);
}

/* A half-close does not end the stream: RFC 864 sends until the client
 * closes the connection. */
static void chargen_eof(superd_conn *c, void *instance, void *state)
{
}

/* The socket took everything: produce more. */
static void chargen_drain(superd_conn *c, void *instance, void *state)
{
	struct chargen_instance *inst = instance;

	if (chargen_fill(c, inst, state) < 0)
		inst->base.host->abort(c);
}

/* A 64-bit mixer (a bijection), to spread a counter and a request hash. */
static uint64_t chargen_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/*
 * Length of the answer to a datagram (0..512): pseudo-random from the
 * request bytes, the sender's port and how many were answered before.
 */
static size_t chargen_udp_length(const struct superd_datagram *d,
                                 uint64_t counter)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a over the first bytes */
	size_t n = d->len < 64 ? d->len : 64;

	for (size_t i = 0; i < n; i++) {
		h ^= d->data[i];
		h *= 0x100000001b3ull;
	}
	h ^= (uint64_t)d->peer->remote_port << 32;
	return (size_t)(chargen_mix(h ^ chargen_mix(counter)) %
	                (CHARGEN_UDP_MAX + 1));
}

/* Answer with 0..512 pattern characters, starting at the next line. */
static void chargen_datagram(void *instance, const struct superd_datagram *d)
{
	struct chargen_instance *inst = instance;
	uint64_t counter = inst->datagrams++;
	size_t start = (size_t)(counter % CHARGEN_PRINTABLE) * CHARGEN_LINE_BYTES;

	inst->base.host->reply(d, inst->table + start,
	                       chargen_udp_length(d, counter));
}
