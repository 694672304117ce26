/*
 * tmod_upper.c - a blocking-style (serve) module for the TLS relay tests:
 * reads the connection until the client's end of stream, answering each
 * chunk in upper case, then says "bye" and exits 0.
 */
#include <ctype.h>
#include <errno.h>
#include <unistd.h>

#include "superd/module.h"

/* Write all of buf, or -1. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Serve one connection in the child (blocking reads and writes). */
static int upper_serve(int fd, const struct superd_peer *peer, void *instance)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		if (write_all(fd, buf, (size_t)n) < 0)
			return 1;
	}
	return write_all(fd, "bye\n", 4) < 0 ? 1 : 0;
}

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "upper",
	.version = "1",
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UNIX,
	.serve = upper_serve,
};
