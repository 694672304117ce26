/*
 * dgram.c - UDP listeners in a worker.
 *
 * Datagrams are read one recvmsg at a time, a bounded number per readiness
 * event, so nothing queued is ever thrown away (xinetd drains the socket
 * after each request; we must not).  On a wildcard socket the local
 * address comes with IP_PKTINFO / IPV6_PKTINFO and the reply is sent with
 * it, so it leaves from the address the request hit.
 */
#include "conf.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "access.h"
#include "conn.h"
#include "dgram.h"
#include "listener.h"
#include "log.h"
#include "wnote.h"

/* Datagrams handled per readiness event before others get a turn. */
#define DGRAM_BATCH 64

/** What reply() needs: the socket, the sender, the local address. */
struct dgram_ctx {
	int fd;
	const char *service;            /**< for error lines */
	const struct sockaddr *to;
	socklen_t tolen;
	int family;                     /**< 0: no packet info to send back */
	struct in_pktinfo pi4;
	struct in6_pktinfo pi6;
	unsigned replies;               /**< sent for this datagram */
	size_t out;                     /**< bytes sent back */
};

/* Pick up the packet info (local address) from the control messages. */
static void read_pktinfo(struct msghdr *mh, struct dgram_ctx *ctx,
                         struct superd_peer *peer)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&peer->local;

			memcpy(&ctx->pi4, CMSG_DATA(cm), sizeof(ctx->pi4));
			ctx->family = AF_INET;
			sin->sin_family = AF_INET;
			sin->sin_addr = ctx->pi4.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		           cm->cmsg_type == IPV6_PKTINFO) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&peer->local;

			memcpy(&ctx->pi6, CMSG_DATA(cm), sizeof(ctx->pi6));
			ctx->family = AF_INET6;
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = ctx->pi6.ipi6_addr;
		}
	}
}

/* Fill peer->local's port (packet info has only the address). */
static void set_local_port(struct superd_peer *peer, const struct listener *ls)
{
	in_port_t port = ls->la.ss.ss_family == AF_INET6
	                     ? ((const struct sockaddr_in6 *)&ls->la.ss)->sin6_port
	                     : ((const struct sockaddr_in *)&ls->la.ss)->sin_port;

	if (peer->local.ss_family == AF_INET) {
		((struct sockaddr_in *)&peer->local)->sin_port = port;
		peer->local_len = sizeof(struct sockaddr_in);
	} else if (peer->local.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&peer->local)->sin6_port = port;
		peer->local_len = sizeof(struct sockaddr_in6);
	}
}

/* Check and hand one received datagram to the module. */
static void dgram_dispatch(struct loop *l, struct svc_listen *sl,
                           struct superd_peer *peer, struct dgram_ctx *ctx,
                           const unsigned char *buf, size_t len)
{
	struct superd_service *svc = sl->svc;
	struct superd_datagram d = { .data = buf, .len = len, .peer = peer,
	                             .reserved = ctx };
	const struct sockaddr *from = (const struct sockaddr *)&peer->remote;

	if (svc->access) {
		uint64_t now = loop_now(l);
		enum access_verdict v = access_datagram(svc->access, from, now);

		if (v != ACCESS_OK) {
			access_dgram_count(svc->access, v, 0);
			access_log_refusal(svc->access, v, from, now);
			return;
		}
	}
	conn_fill_peer_text(peer);
	wnote_enter(svc, WN_ON_DATAGRAM);
	svc->module->on_datagram(svc->instance, &d);
	wnote_leave();
	if (svc->access)
		access_dgram_count(svc->access, ACCESS_OK, ctx->replies);
	if (log_get_level() >= SUPERD_LOG_DEBUG) {
		char text[INET6_ADDRSTRLEN + 16];

		conn_format_addr(from, text, sizeof(text));
		log_msg(SUPERD_LOG_DEBUG, svc->name, "%s datagram, in %zu, out %zu "
		        "(%u %s)", text, len, ctx->out, ctx->replies,
		        ctx->replies == 1 ? "reply" : "replies");
	}
}

/* Receive one datagram: 1 handled, 0 nothing left, -1 error (logged). */
static int dgram_receive_one(struct loop *l, struct svc_listen *sl,
                             int fd, unsigned char *buf, size_t size)
{
	union { struct cmsghdr align; char b[256]; } control;
	struct superd_peer peer = { .proto = SUPERD_PROTO_UDP };
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = {
		.msg_name = &peer.remote, .msg_namelen = sizeof(peer.remote),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.b, .msg_controllen = sizeof(control.b),
	};
	struct dgram_ctx ctx = { .fd = fd, .service = sl->svc->name };
	ssize_t n;

	if (!sl->ls->pktinfo) {
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
	}
	n = recvmsg(fd, &mh, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EINTR || errno == ECONNREFUSED)
			return 1;
		log_errno(sl->svc->name, "recvmsg", errno);
		return -1;
	}
	peer.remote_len = mh.msg_namelen;
	ctx.to = (const struct sockaddr *)&peer.remote;
	ctx.tolen = peer.remote_len;
	if (sl->ls->pktinfo) {
		read_pktinfo(&mh, &ctx, &peer);
		set_local_port(&peer, sl->ls);
	} else {
		memcpy(&peer.local, &sl->ls->la.ss, sl->ls->la.sslen);
		peer.local_len = sl->ls->la.sslen;
	}
	dgram_dispatch(l, sl, &peer, &ctx, buf, (size_t)n);
	return 1;
}

/* A UDP listener is readable: handle a bounded batch. */
void dgram_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct svc_listen *sl = arg;
	size_t size;
	unsigned char *buf = conn_read_buffer(&size);

	for (int i = 0; i < DGRAM_BATCH; i++)
		if (dgram_receive_one(l, sl, fd, buf, size) <= 0)
			return;
}

/* Add the packet info control message so the reply leaves from the
 * address the request was sent to. */
static void add_pktinfo(struct msghdr *mh, const struct dgram_ctx *ctx,
                        char *control, size_t size)
{
	struct cmsghdr *cm;

	mh->msg_control = control;
	mh->msg_controllen = size;
	cm = CMSG_FIRSTHDR(mh);
	if (ctx->family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = ctx->pi4.ipi_addr };

		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = ctx->pi6.ipi6_addr };

		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
}

/* host->reply: one datagram back to the sender. */
int dgram_reply(const struct superd_datagram *d, const void *buf, size_t len)
{
	struct dgram_ctx *ctx = d->reserved;
	union { struct cmsghdr align; char b[128]; } control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)ctx->to, .msg_namelen = ctx->tolen,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	if (ctx->family)
		add_pktinfo(&mh, ctx, control.b, sizeof(control.b));
	do
		n = sendmsg(ctx->fd, &mh, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		/* A full send buffer drops the reply, as UDP may; say why. */
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
			log_errno(ctx->service, "sendmsg", errno);
		return -1;
	}
	ctx->replies++;
	ctx->out += (size_t)n;
	return 0;
}
