/*
 * helper_msg.c - pack and unpack the spawn helper's messages (see
 * helper_msg.h).
 */
#include "conf.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helper_msg.h"

#define MAX_FDS 4

/* Send one message (see helper_msg.h). */
int helper_send(int sock, const struct helper_hdr *hdr,
                const char *const *strs, size_t nstr, const int *fds,
                size_t nfds)
{
	struct iovec iov[1 + 512];
	union { struct cmsghdr align; char b[CMSG_SPACE(sizeof(int) * MAX_FDS)]; } cm;
	struct msghdr mh = { .msg_iov = iov };
	size_t total = sizeof(*hdr);
	ssize_t n;

	if (nstr > 512 || nfds > MAX_FDS) {
		errno = E2BIG;
		return -1;
	}
	iov[0].iov_base = (void *)hdr;
	iov[0].iov_len = sizeof(*hdr);
	for (size_t i = 0; i < nstr; i++) {
		iov[1 + i].iov_base = (void *)strs[i];
		iov[1 + i].iov_len = strlen(strs[i]) + 1;
		total += iov[1 + i].iov_len;
	}
	if (total > HELPER_MSG_MAX) {
		errno = E2BIG;
		return -1;
	}
	mh.msg_iovlen = 1 + nstr;
	if (nfds) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

/* Keep the descriptors of one control message; close what does not fit. */
static void take_fds(struct cmsghdr *c, int *fds, size_t maxfds, size_t *got)
{
	size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	int in[MAX_FDS * 4];

	if (n > sizeof(in) / sizeof(in[0]))
		n = sizeof(in) / sizeof(in[0]);
	memcpy(in, CMSG_DATA(c), n * sizeof(int));
	for (size_t i = 0; i < n; i++) {
		if (*got < maxfds)
			fds[(*got)++] = in[i];
		else
			close(in[i]);
	}
}

/* Receive one message (see helper_msg.h). */
ssize_t helper_recv(int sock, char *buf, int *fds, size_t maxfds)
{
	union { struct cmsghdr align; char b[CMSG_SPACE(sizeof(int) * MAX_FDS * 4)]; } cm;
	struct iovec iov = { .iov_base = buf, .iov_len = HELPER_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	                     .msg_control = cm.b, .msg_controllen = sizeof(cm.b) };
	size_t got = 0;
	ssize_t n;

	for (size_t i = 0; i < maxfds; i++)
		fds[i] = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			take_fds(c, fds, maxfds, &got);
	if ((size_t)n < sizeof(struct helper_hdr) || (mh.msg_flags & MSG_TRUNC)) {
		for (size_t i = 0; i < got; i++)
			close(fds[i]);
		errno = EBADMSG;
		return -1;
	}
	buf[n < HELPER_MSG_MAX ? n : HELPER_MSG_MAX - 1] = '\0';
	return n;
}
