/*
 * hello.c - an example superd module, built outside the superd tree
 * against the installed <superd/module.h> only.
 *
 * TCP (and UNIX sockets): sends "GREETING, CLIENT-ADDRESS!" and closes.
 * UDP: answers every datagram with the same line.
 * Options: `greeting` (a string; default "hello").
 *
 * Build and install (see the Makefile beside this file):
 *     make && sudo make install
 * Use it in /etc/superd/superd.yaml:
 *     services:
 *       hello:
 *         module: hello
 *         listen: "127.0.0.1:7777"
 *         protocol: [tcp, udp]
 *         options: {greeting: bonjour}
 */
#include <stdio.h>
#include <stdlib.h>

#include <superd/module.h>

/* One configured service: what configure() read from its options. */
struct hello {
	const struct superd_host *host; /* the host's functions */
	const char *greeting;           /* points into the options tree */
};

/* Check the options and build the service's instance; pure. */
static int hello_configure(const struct superd_host *host, superd_service *svc,
                           const superd_opt *options, void **instance)
{
	static const char *const known[] = { "greeting", NULL };
	const superd_opt *greeting = NULL;
	struct hello *h;

	if (host->opt_check_keys(svc, options, known) < 0)
		return -1;
	if (options)
		greeting = host->opt_get(options, "greeting");
	h = calloc(1, sizeof(*h));
	if (!h) {
		host->opt_error(svc, options, "out of memory");
		return -1;
	}
	h->host = host;
	h->greeting = "hello";
	if (host->opt_string(svc, greeting, &h->greeting) < 0) {
		free(h);
		return -1;
	}
	*instance = h;
	return 0;
}

/* Free the instance (the greeting belongs to the options tree). */
static void hello_destroy(void *instance)
{
	free(instance);
}

/* The line this peer gets; its length. */
static int hello_line(const struct hello *h, const struct superd_peer *peer,
                      char *buf, size_t size)
{
	const char *who = peer->remote_ip[0] ? peer->remote_ip : "neighbour";
	int n = snprintf(buf, size, "%s, %s!\r\n", h->greeting, who);

	return n < 0 ? 0 : (size_t)n >= size ? (int)size - 1 : n;
}

/* A connection: greet, then close once the line is sent. */
static int hello_open(superd_conn *c, void *instance, void *state)
{
	const struct hello *h = instance;
	char line[512];
	int n = hello_line(h, h->host->peer(c), line, sizeof(line));

	(void)state; /* conn_size is 0: no per-connection state */
	if (h->host->write(c, line, (size_t)n) < 0)
		return -1;
	h->host->close(c);
	return 0;
}

/* A datagram: answer the sender with the same line. */
static void hello_datagram(void *instance, const struct superd_datagram *d)
{
	const struct hello *h = instance;
	char line[512];
	int n = hello_line(h, d->peer, line, sizeof(line));

	h->host->reply(d, line, (size_t)n);
}

/* The descriptor superd looks up when it loads hello.so. */
const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "hello",
	.version = "1.0",
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UDP | SUPERD_PROTO_UNIX,
	.configure = hello_configure,
	.destroy = hello_destroy,
	.on_open = hello_open,
	.on_datagram = hello_datagram,
};
