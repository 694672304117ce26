/*
 * listener.c - binding listening sockets.
 */
#include "conf.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"
#include "sockact.h"

/* Listen backlog: the kernel caps it at net.core.somaxconn. */
#define LISTEN_BACKLOG 65535
/* UDP receive buffer asked for (the kernel caps it at rmem_max). */
#define UDP_RCVBUF (4 << 20)

/* setsockopt for an int option; logs and returns -1 on failure. */
static int set_int_opt(int fd, int level, int name, int value,
                       const char *service, const char *what)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) == 0)
		return 0;
	log_errno(service, what, errno);
	return -1;
}

/* Is the address a wildcard (any address)? */
static int addr_is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
		    &((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

/*
 * Remove a UNIX socket file left by a dead server: only a socket nobody
 * answers on.  0 when the path is free, -1 (errno EADDRINUSE) if it is live.
 */
static int unix_remove_stale(const struct sockaddr_un *sun, socklen_t len)
{
	struct stat st;
	int fd, rc;

	if (sun->sun_path[0] == '\0' || lstat(sun->sun_path, &st) < 0 ||
	    !S_ISSOCK(st.st_mode))
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sun, len);
	close(fd);
	if (rc == 0) {
		errno = EADDRINUSE;
		return -1;
	}
	unlink(sun->sun_path);
	return 0;
}

/* Should la's socket join a SO_REUSEPORT group (TCP; not turned off)? */
static int reuseport_wanted(const struct listen_addr *la)
{
	const char *env = getenv("SUPERD_REUSEPORT");

	return la->socktype == SOCK_STREAM && la->ss.ss_family != AF_UNIX &&
	       !(env && strcmp(env, "0") == 0);
}

/*
 * Can ss be bound without SO_REUSEPORT, i.e. does no other socket listen
 * there?  A group would otherwise quietly share the port with another
 * server of the same user.  0, or -1 with errno (EADDRINUSE).
 */
static int probe_unused(const struct sockaddr_storage *ss, socklen_t sslen,
                        int v6only)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int rc = -1, saved;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) == 0 &&
	    (ss->ss_family != AF_INET6 ||
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) == 0))
		rc = bind(fd, (const struct sockaddr *)ss, sslen);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Socket options before bind, per family and type; 0 or -1 (logged). */
static int prepare_socket(int fd, const struct listen_addr *la, int v6only,
                          int pktinfo, int reuseport, const char *service)
{
	int family = la->ss.ss_family;

	if (family != AF_UNIX &&
	    set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1, service,
	                "setsockopt SO_REUSEADDR") < 0)
		return -1;
	if (reuseport &&
	    set_int_opt(fd, SOL_SOCKET, SO_REUSEPORT, 1, service,
	                "setsockopt SO_REUSEPORT") < 0)
		return -1;
	if (family == AF_INET6 &&
	    set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only, service,
	                "setsockopt IPV6_V6ONLY") < 0)
		return -1;
	if (la->socktype != SOCK_DGRAM)
		return 0;
	/* A larger receive queue: bursts wait instead of being dropped. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ UDP_RCVBUF }, sizeof(int));
	if (!pktinfo)
		return 0;
	if (family == AF_INET6 &&
	    set_int_opt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, service,
	                "setsockopt IPV6_RECVPKTINFO") < 0)
		return -1;
	if ((family == AF_INET || !v6only) &&
	    set_int_opt(fd, IPPROTO_IP, IP_PKTINFO, 1, service,
	                "setsockopt IP_PKTINFO") < 0)
		return -1;
	return 0;
}

/*
 * Make one bound (and, for streams, listening) socket for ss; -1 with
 * errno (the caller logs, so the IPv6 fallback can stay quiet).
 */
static int bind_socket(const struct listen_addr *la,
                       const struct sockaddr_storage *ss, socklen_t sslen,
                       int v6only, int pktinfo, int reuseport,
                       const char *service)
{
	int fd, saved;

	if (reuseport && probe_unused(ss, sslen, v6only) < 0)
		return -1;
	fd = socket(ss->ss_family, la->socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (prepare_socket(fd, la, v6only, pktinfo, reuseport, service) < 0)
		goto close_fd;
	if (ss->ss_family == AF_UNIX &&
	    unix_remove_stale((const struct sockaddr_un *)ss, sslen) < 0)
		goto close_fd;
	if (bind(fd, (const struct sockaddr *)ss, sslen) < 0)
		goto close_fd;
	if (la->socktype == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) < 0)
		goto close_fd;
	return fd;

close_fd:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* A bare port: [::] dual-stack, or 0.0.0.0 when IPv6 is not there. */
static int bind_dual(struct listener *ls, const char *service)
{
	const struct listen_addr *la = &ls->la;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	fd = bind_socket(la, &la->ss, la->sslen, 0, ls->pktinfo, ls->reuseport,
	                 service);
	if (fd >= 0 || (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL))
		return fd;
	log_msg(SUPERD_LOG_INFO, service, "%s: no IPv6 here, listening on IPv4 only",
	        la->text);
	if (la->ss.ss_family == AF_INET6)
		sin.sin_port = ((const struct sockaddr_in6 *)&la->ss)->sin6_port;
	else
		sin.sin_port = ((const struct sockaddr_in *)&la->ss)->sin_port;
	return bind_socket(la, (struct sockaddr_storage *)&sin, sizeof(sin),
	                   0, ls->pktinfo, ls->reuseport, service);
}

/* Set O_NONBLOCK (and FD_CLOEXEC) on a socket passed by the manager. */
static int adopt_passed(int fd, const char *service)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		log_errno(service, "fcntl on a passed socket", errno);
		return -1;
	}
	return 0;
}

/* Bind la (see listener.h). */
struct listener *listener_open(const struct listen_addr *la, const char *service)
{
	struct listener *ls = calloc(1, sizeof(*ls));
	int fd;

	if (!ls) {
		log_errno(service, "malloc", errno);
		return NULL;
	}
	ls->la = *la;
	ls->refs = 1;
	ls->pktinfo = la->socktype == SOCK_DGRAM &&
	              (la->dual || addr_is_wildcard(&la->ss));
	fd = sockact_take(la);
	if (fd >= 0) {
		if (adopt_passed(fd, service) < 0)
			goto free_ls;
		ls->fd = fd;
		if (la->socktype == SOCK_DGRAM && ls->pktinfo)
			prepare_socket(fd, la, la->dual ? 0 : 1, 1, 0, service);
		log_msg(SUPERD_LOG_DEBUG, service, "%s: socket from the service manager",
		        la->text);
		return ls;
	}
	ls->reuseport = reuseport_wanted(la);
	if (la->dual)
		fd = bind_dual(ls, service);
	else
		fd = bind_socket(la, &la->ss, la->sslen, 1, ls->pktinfo,
		                 ls->reuseport, service);
	if (fd < 0) {
		log_msg(SUPERD_LOG_ERROR, service, "bind %s: %s", la->text,
		        strerror(errno));
		goto free_ls;
	}
	ls->fd = fd;
	ls->unlink_at_close = la->ss.ss_family == AF_UNIX;
	return ls;

free_ls:
	free(ls);
	return NULL;
}

struct listener *listener_ref(struct listener *ls)
{
	ls->refs++;
	return ls;
}

/* Drop a reference; close (and unlink a UNIX socket file) with the last. */
void listener_release(struct listener *ls)
{
	if (!ls || --ls->refs > 0)
		return;
	listener_trim(ls);
	if (ls->fd >= 0)
		close(ls->fd);
	if (ls->unlink_at_close) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)&ls->la.ss;

		if (sun->sun_path[0])
			unlink(sun->sun_path);
	}
	free(ls);
}

/* In a child: close the fd without touching the socket file. */
void listener_forget(struct listener *ls)
{
	for (unsigned i = 1; i < ls->ngroup; i++)
		close(ls->group[i]);
	free(ls->group);
	ls->group = NULL;
	ls->ngroup = 0;
	if (ls->fd >= 0)
		close(ls->fd);
	ls->fd = -1;
}

/* One more socket for the group of a listener bound at ss; -1 + errno. */
static int group_socket(const struct sockaddr_storage *ss, socklen_t len,
                        int v6only)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int saved;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 }, sizeof(int)) < 0 ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) ||
	    bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0)
		goto close_fd;
	return fd;

close_fd:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Grow the SO_REUSEPORT group to n sockets (see listener.h). */
int listener_grow(struct listener *ls, unsigned n, const char *service)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), olen = sizeof(int);
	int v6only = 0, *group;

	if (!ls->reuseport || ls->fd < 0 || n <= listener_group_size(ls))
		return 0;
	if (getsockname(ls->fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family == AF_INET6 &&
	     getsockopt(ls->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen) < 0)) {
		log_errno(service, "getsockname (listener)", errno);
		return -1;
	}
	group = realloc(ls->group, n * sizeof(*group));
	if (!group) {
		log_errno(service, "malloc", errno);
		return -1;
	}
	ls->group = group;
	if (ls->ngroup == 0)
		group[ls->ngroup++] = ls->fd;
	while (ls->ngroup < n) {
		int fd = group_socket(&ss, len, v6only);

		if (fd < 0) {
			log_msg(SUPERD_LOG_ERROR, service,
			        "%s: SO_REUSEPORT socket %u: %s; workers share the others",
			        ls->la.text, ls->ngroup, strerror(errno));
			return -1;
		}
		group[ls->ngroup++] = fd;
	}
	return 0;
}

/* Close every group socket but fd (see listener.h). */
void listener_trim(struct listener *ls)
{
	for (unsigned i = 1; i < ls->ngroup; i++)
		close(ls->group[i]);
	free(ls->group);
	ls->group = NULL;
	ls->ngroup = 0;
}

unsigned listener_group_size(const struct listener *ls)
{
	return ls->ngroup ? ls->ngroup : 1;
}

int listener_group_fd(const struct listener *ls, unsigned i)
{
	return i < ls->ngroup ? ls->group[i] : ls->fd;
}
