/*
 * tmod_serve.c - a blocking-style test module: serve() echoes what it
 * reads, with plain blocking read/write, until EOF.  Integration tests
 * load it by path to see how the host runs serve() children (timeout,
 * byte counts in the log line).
 */
#include <errno.h>
#include <unistd.h>

#include "superd/module.h"

/* Echo until EOF or an error; exit 0 at EOF. */
static int tmod_serve(int fd, const struct superd_peer *peer, void *instance)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return 1;
			off += w;
		}
	}
}

const struct superd_module superd_module = {
	SUPERD_MODULE_HEADER,
	.name = "tmod_serve",
	.version = "1",
	.protocols = SUPERD_PROTO_TCP | SUPERD_PROTO_UNIX,
	.serve = tmod_serve,
};
