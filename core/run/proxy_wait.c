/*
 * proxy_wait.c - read a PROXY protocol header in the event loop.
 *
 * Bytes are peeked, and only those that belong to the header are taken
 * from the socket (the parser says where the header ends, or that every
 * byte so far is header), so whatever the client sent after it stays in
 * the socket for the module, a serve() child or an exec program alike.
 * Taking every peeked byte that is header also means a level-triggered
 * loop never wakes again for bytes already looked at.
 */
#include "conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "counters.h"
#include "listener.h"
#include "log.h"
#include "proxy.h"
#include "proxy_wait.h"

/** One connection waiting for its header. */
struct pwait {
	struct pwait *prev, *next;
	struct loop *loop;
	struct svc_listen *sl;
	int fd;
	int in_loop;
	struct loop_timer *deadline;
	proxy_ready_cb *ready;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	size_t have;                            /**< header bytes taken */
	unsigned char buf[PROXY_HEADER_MAX];
};

static struct {
	struct pwait *list;
	size_t count;
	void (*on_refused)(void);
} pw;

/* See proxy_wait.h. */
void proxy_wait_on_refused(void (*cb)(void))
{
	pw.on_refused = cb;
}

/* See proxy_wait.h. */
int proxy_expected(const struct svc_listen *sl, const struct sockaddr *peer)
{
	const struct service_conf *conf = sl->svc->conf;

	if (!conf || conf->nproxy_from == 0)
		return 0;
	if (peer->sa_family == AF_UNIX || sl->ls->la.proto == SUPERD_PROTO_UNIX)
		return 1;
	for (size_t i = 0; i < conf->nproxy_from; i++)
		if (addr_cidr_match(&conf->proxy_from[i], peer))
			return 1;
	return 0;
}

size_t proxy_wait_count(void)
{
	return pw.count;
}

/* Take p out of the loop and the list, and free it (fd stays open). */
static void pwait_free(struct pwait *p)
{
	if (p->in_loop)
		loop_del(p->loop, p->fd);
	if (p->deadline)
		loop_timer_cancel(p->loop, p->deadline);
	if (p->prev)
		p->prev->next = p->next;
	else
		pw.list = p->next;
	if (p->next)
		p->next->prev = p->prev;
	pw.count--;
	free(p);
}

/* No valid header: close, log (once per burst) and count the refusal. */
static void pwait_refuse(struct pwait *p, const char *why)
{
	struct superd_service *svc = p->sl->svc;

	log_msg(SUPERD_LOG_DEBUG, svc->name, "PROXY header: %s", why);
	if (svc->access)
		counters_refused(svc->access, ACCESS_PROXY);
	if (svc->access)
		access_log_refusal(svc->access, ACCESS_PROXY,
		                   (const struct sockaddr *)&p->peer,
		                   loop_now(p->loop));
	close(p->fd);
	pwait_free(p);
	if (pw.on_refused)
		pw.on_refused();
}

/* The header is complete: hand the connection on with its addresses. */
static void pwait_done(struct pwait *p, const struct proxy_result *r)
{
	struct svc_listen *sl = p->sl;
	proxy_ready_cb *ready = p->ready;
	struct sockaddr_storage remote, local;
	socklen_t rlen = p->peer_len, llen = r->addr_len;
	int fd = p->fd, has = r->has_addr;

	memcpy(&remote, has ? &r->src : &p->peer, sizeof(remote));
	if (has) {
		rlen = r->addr_len;
		memcpy(&local, &r->dst, sizeof(local));
	}
	pwait_free(p);
	ready(sl, fd, (struct sockaddr *)&remote, rlen,
	      has ? (struct sockaddr *)&local : NULL, has ? llen : 0);
}

/* Take n bytes already peeked at (they are in the socket). 0 or -1. */
static int take(struct pwait *p, size_t n)
{
	while (n > 0) {
		ssize_t got = recv(p->fd, p->buf + p->have, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		p->have += (size_t)got;
		n -= (size_t)got;
	}
	return 0;
}

/* The socket is readable: look at what came, take what is header. */
static void pwait_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct pwait *p = arg;
	struct proxy_result r;
	enum proxy_status st;
	const char *why = NULL;
	ssize_t n;

	n = recv(fd, p->buf + p->have, sizeof(p->buf) - p->have, MSG_PEEK);
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		pwait_refuse(p, n == 0 ? "closed before a complete header"
		                       : strerror(errno));
		return;
	}
	st = proxy_parse(p->buf, p->have + (size_t)n, &r, &why);
	if (st == PROXY_BAD) {
		pwait_refuse(p, why);
		return;
	}
	if (take(p, st == PROXY_DONE ? r.len - p->have : (size_t)n) < 0) {
		pwait_refuse(p, "recv failed");
		return;
	}
	if (st == PROXY_DONE)
		pwait_done(p, &r);
}

/* PROXY_DEADLINE_MS passed without a complete header. */
static void pwait_late(struct loop *l, void *arg)
{
	struct pwait *p = arg;

	p->deadline = NULL;
	pwait_refuse(p, "no complete header within 5 s");
}

/* See proxy_wait.h. */
void proxy_wait_start(struct loop *loop, struct svc_listen *sl, int fd,
                      const struct sockaddr *peer, socklen_t len,
                      proxy_ready_cb *ready)
{
	struct pwait *p = malloc(sizeof(*p));

	if (!p) {
		log_errno(sl->svc->name, "malloc", errno);
		close(fd);
		return;
	}
	memset(p, 0, offsetof(struct pwait, buf));
	p->loop = loop;
	p->sl = sl;
	p->fd = fd;
	p->ready = ready;
	if (len > sizeof(p->peer))
		len = sizeof(p->peer);
	memcpy(&p->peer, peer, len);
	p->peer_len = len;
	p->next = pw.list;
	if (pw.list)
		pw.list->prev = p;
	pw.list = p;
	pw.count++;
	p->deadline = loop_timer_add(loop, PROXY_DEADLINE_MS, pwait_late, p);
	if (!p->deadline || loop_add(loop, fd, LOOP_IN, pwait_readable, p) < 0) {
		log_errno(sl->svc->name, "loop_add", errno);
		close(fd);
		pwait_free(p);
		return;
	}
	p->in_loop = 1;
}

/* See proxy_wait.h. */
void proxy_wait_close_all(void)
{
	while (pw.list) {
		close(pw.list->fd);
		pwait_free(pw.list);
	}
}
