/* fdpass.c: descriptors sent along with a message (SCM_RIGHTS). */
#ifndef CTLD_FDPASS_H
#define CTLD_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX	2

/* sendmsg of buf with fds[0..n) (n <= FDPASS_MAX); as sendmsg returns. */
ssize_t	fdpass_send(int sock, const void *buf, size_t len, const int *fds,
	    size_t n, int flags);

#endif
