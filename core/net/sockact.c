/*
 * sockact.c - listening sockets passed by systemd (see sockact.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "sockact.h"
#include "superd/module.h"

/* The first passed fd (SD_LISTEN_FDS_START in sd-daemon.h). */
#define SOCKACT_FIRST_FD 3
/* More than any real unit passes; keeps the table fixed. */
#define SOCKACT_MAX_FDS 1024

/* The passed sockets: the master's start-up state, not a module's. */
static int passed_count;
static unsigned char passed_taken[SOCKACT_MAX_FDS];

/*
 * Parse a decimal environment value into *out; -1 when absent, empty,
 * not a number, or out of [0, max].
 */
static int env_number(const char *name, long max, long *out)
{
	const char *text = getenv(name);
	char *end;
	long v;

	if (!text || !*text)
		return -1;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Mark fd close-on-exec, keeping its other descriptor flags. */
static int set_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0)
		return -1;
	if (flags & FD_CLOEXEC)
		return 0;
	return fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/*
 * Read the activation variables once; see sockact.h.  Variables meant for
 * another process (LISTEN_PID differs) are dropped and ignored, as
 * sd_listen_fds() does.
 */
int sockact_init(void)
{
	long pid, count = 0;
	int i;

	passed_count = 0;
	memset(passed_taken, 0, sizeof(passed_taken));
	if (env_number("LISTEN_PID", LONG_MAX, &pid) == 0 &&
	    pid == (long)getpid() &&
	    env_number("LISTEN_FDS", SOCKACT_MAX_FDS, &count) == 0) {
		for (i = 0; i < count; i++) {
			if (set_cloexec(SOCKACT_FIRST_FD + i) < 0)
				log_errno(NULL, "socket activation: fcntl",
				          errno);
		}
		passed_count = (int)count;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return passed_count;
}

/*
 * Do two socket addresses name the same place (family, address, port)?
 * Copied into typed structs first: reading a sockaddr_storage through a
 * sockaddr_in pointer breaks C's aliasing rules.
 */
static int same_address(const struct sockaddr_storage *a, socklen_t alen,
                        const struct sockaddr_storage *b, socklen_t blen)
{
	struct sockaddr_in a4, b4;
	struct sockaddr_in6 a6, b6;
	struct sockaddr_un au, bu;
	size_t off = offsetof(struct sockaddr_un, sun_path);

	if (a->ss_family != b->ss_family)
		return 0;
	switch (a->ss_family) {
	case AF_INET:
		memcpy(&a4, a, sizeof(a4));
		memcpy(&b4, b, sizeof(b4));
		return a4.sin_port == b4.sin_port &&
		       a4.sin_addr.s_addr == b4.sin_addr.s_addr;
	case AF_INET6:
		memcpy(&a6, a, sizeof(a6));
		memcpy(&b6, b, sizeof(b6));
		return a6.sin6_port == b6.sin6_port &&
		       !memcmp(&a6.sin6_addr, &b6.sin6_addr,
		               sizeof(a6.sin6_addr));
	case AF_UNIX:
		if (alen <= off || blen <= off)
			return 0;
		memcpy(&au, a, sizeof(au));
		memcpy(&bu, b, sizeof(bu));
		return !strncmp(au.sun_path, bu.sun_path, sizeof(au.sun_path));
	}
	return 0;
}

/* Does passed fd match la's address and socket type? */
static int fd_matches(int fd, const struct listen_addr *la)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int type;
	socklen_t typelen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typelen) < 0 ||
	    type != la->socktype)
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
		return 0;
	return same_address(&ss, sslen, &la->ss, la->sslen);
}

/* Hand out the passed socket matching la; see sockact.h. */
int sockact_take(const struct listen_addr *la)
{
	int i;

	for (i = 0; i < passed_count; i++) {
		if (passed_taken[i] || !fd_matches(SOCKACT_FIRST_FD + i, la))
			continue;
		passed_taken[i] = 1;
		return SOCKACT_FIRST_FD + i;
	}
	return -1;
}

/* Close the passed sockets no service took; see sockact.h. */
void sockact_close_unused(void)
{
	int i;

	for (i = 0; i < passed_count; i++) {
		if (passed_taken[i])
			continue;
		log_msg(SUPERD_LOG_WARN, NULL,
		        "socket activation: fd %d matches no listen address; "
		        "closed", SOCKACT_FIRST_FD + i);
		if (close(SOCKACT_FIRST_FD + i) < 0 && errno != EINTR)
			log_errno(NULL, "socket activation: close", errno);
		passed_taken[i] = 1;
	}
}
