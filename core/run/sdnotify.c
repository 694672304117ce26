/*
 * sdnotify.c - the NOTIFY_SOCKET datagram protocol (see sdnotify.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

/*
 * Turn a NOTIFY_SOCKET value into a socket address.  A leading '@' names
 * the abstract namespace (the '@' becomes a NUL byte and the length counts
 * exactly the name); anything else must be an absolute path.
 */
int sdnotify_address(const char *name, struct sockaddr_un *addr,
                     unsigned *len)
{
	size_t n;

	if (!name || (name[0] != '/' && name[0] != '@'))
		return -1;
	n = strlen(name);
	if (n < 2 || n >= sizeof(addr->sun_path))
		return -1;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, name, n);
	if (name[0] == '@') {
		addr->sun_path[0] = '\0';
		*len = (unsigned)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (unsigned)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

/*
 * Send one state datagram to $NOTIFY_SOCKET.  A fresh socket per call:
 * notifications are rare (start, reload, stop), and this keeps no fd open
 * that workers or exec'd children could inherit.
 */
void sdnotify_send(const char *state)
{
	struct sockaddr_un addr;
	unsigned len;
	ssize_t sent;
	int fd;

	if (!state || sdnotify_address(getenv("NOTIFY_SOCKET"), &addr, &len))
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	do {
		sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		              (struct sockaddr *)&addr, (socklen_t)len);
	} while (sent < 0 && errno == EINTR);
	close(fd);
}
