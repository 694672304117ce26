/*
 * tmod.c - tiny modules for the loader tests, one per -D: a good one, one
 * with the wrong magic, one built for ABI 2.0, one for ABI 1.(minor+1),
 * one without the descriptor symbol, one serving TCP only, one built
 * for ABI 1.0 (a descriptor that ends before on_reopen), and one built for
 * ABI 1.1 (before host->spawn; the descriptor did not grow in 1.2).
 */
#include <stddef.h>
#include <stdlib.h>

#include "superd/module.h"

#if defined(TMOD_NOSYM)
/* No superd_module here: something else entirely. */
const int not_a_module = 42;
#else
#if defined(TMOD_BADMAGIC)
#define TMOD_MAGIC 0x12345678u
#else
#define TMOD_MAGIC SUPERD_MODULE_MAGIC
#endif
#if defined(TMOD_ABI2)
#define TMOD_MAJOR 2
#else
#define TMOD_MAJOR SUPERD_ABI_MAJOR
#endif
#if defined(TMOD_NEWMINOR)
#define TMOD_MINOR (SUPERD_ABI_MINOR + 1)
#elif defined(TMOD_V10)
#define TMOD_MINOR 0
#elif defined(TMOD_V11)
#define TMOD_MINOR 1
#else
#define TMOD_MINOR SUPERD_ABI_MINOR
#endif
#if defined(TMOD_TCPONLY)
#define TMOD_PROTOS SUPERD_PROTO_TCP
#else
#define TMOD_PROTOS (SUPERD_PROTO_TCP | SUPERD_PROTO_UDP)
#endif

/* The only callback: refuse every connection. */
static int tmod_open(superd_conn *c, void *instance, void *state)
{
	return -1;
}

static void tmod_datagram(void *instance, const struct superd_datagram *d)
{
}

/* Past a 1.0 descriptor's end: the host must never call it. */
static void tmod_reopen(void *instance)
{
	abort();
}

#if defined(TMOD_V10)
#define TMOD_SIZE offsetof(struct superd_module, on_reopen)
#elif defined(TMOD_V11)
#define TMOD_SIZE offsetof(struct superd_module, on_retire)
#else
#define TMOD_SIZE sizeof(struct superd_module)
#endif

const struct superd_module superd_module = {
	.magic = TMOD_MAGIC,
	.abi_major = TMOD_MAJOR,
	.abi_minor = TMOD_MINOR,
	.size = TMOD_SIZE,
	.name = "tmod",
	.version = "1",
	.protocols = TMOD_PROTOS,
	.on_open = tmod_open,
	.on_datagram = tmod_datagram,
	.on_reopen = tmod_reopen,
};
#endif
