/*
 * Descriptors sent along with a message: a session lends its client to
 * a relay (relay.c) and hands a follow to the keeper (keeper.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fdpass.h"

ssize_t
fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t n,
    int flags)
{
	union {
		char		buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
		struct cmsghdr	align;
	} u;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh;
	struct cmsghdr *c;

	if (n == 0 || n > FDPASS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&u, 0, sizeof(u));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	return sendmsg(sock, &mh, flags);
}
