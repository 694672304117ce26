/*
 * tcpinfo.c - byte counts from the kernel's TCP_INFO (see tcpinfo.h).
 * Only <linux/tcp.h> has the RFC 4898 counters; it must not meet
 * <netinet/tcp.h>, so this file includes nothing else of the kind.
 */
#include "conf.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#ifdef __linux__
#include <linux/tcp.h>
#endif

#include "tcpinfo.h"

#ifdef __linux__
/* Has a socket in this TCP state seen the peer's FIN? */
static int fin_received(unsigned state)
{
	switch (state) {
	case 6:  /* TIME_WAIT */
	case 7:  /* CLOSE: a reset, most often after the peer's FIN */
	case 8:  /* CLOSE_WAIT */
	case 9:  /* LAST_ACK */
	case 11: /* CLOSING */
		return 1;
	default:
		return 0;
	}
}
#endif

/* Read tcpi_bytes_received / tcpi_bytes_acked (see tcpinfo.h). */
int tcpinfo_bytes(int fd, uint64_t *in, uint64_t *out)
{
#ifdef __linux__
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -1;
	if (len < offsetof(struct tcp_info, tcpi_bytes_received) +
	          sizeof(ti.tcpi_bytes_received)) {
		errno = ENOSYS; /* an old kernel: no counters */
		return -1;
	}
	*in = ti.tcpi_bytes_received;
	*out = ti.tcpi_bytes_acked;
	/* The peer's FIN takes a sequence number: it is counted as received. */
	if (*in && fin_received(ti.tcpi_state))
		--*in;
	return 0;
#else
	(void)fd;
	(void)in;
	(void)out;
	errno = ENOSYS;
	return -1;
#endif
}
