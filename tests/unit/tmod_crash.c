/*
 * tmod_crash.c - an event-style test module that crashes its worker on
 * demand: on_data aborts when a line starts with "crash", else echoes;
 * configure aborts for a service named "boom" (a module that crashes
 * while a reload is checked).
 * Integration tests load it by path to see crash containment: the other
 * services keep answering, the death line names service, module, callback.
 */
#include <stdlib.h>
#include <string.h>

#include "superd/module.h"

/* The host table, kept by configure (instance-less module). */
struct tmod_crash {
	const struct superd_host *host;
};

static int tmod_configure(const struct superd_host *host, superd_service *svc,
                          const superd_opt *options, void **instance)
{
	struct tmod_crash *t;

	if (strcmp(host->service_name(svc), "boom") == 0)
		abort();
	t = malloc(sizeof(*t));
	if (!t)
		return -1;
	t->host = host;
	*instance = t;
	return 0;
}

static void tmod_destroy(void *instance)
{
	free(instance);
}

static int tmod_open(superd_conn *c, void *instance, void *state)
{
	return 0;
}

/* "crash...": abort (SIGABRT); anything else is echoed. */
static size_t tmod_data(superd_conn *c, void *instance, void *state,
                        const unsigned char *data, size_t len)
{
	struct tmod_crash *t = instance;

	if (len >= 5 && memcmp(data, "crash", 5) == 0)
		abort();
	t->host->write(c, data, len);
	return len;
}

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "tmod_crash",
	.version = "1",
	.protocols = SUPERD_PROTO_TCP,
	.configure = tmod_configure,
	.destroy = tmod_destroy,
	.on_open = tmod_open,
	.on_data = tmod_data,
};
