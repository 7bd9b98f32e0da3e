/*
 * The client's socket while a stream goes to it (a session's logs, or a
 * session waiting on a relay): the client may only leave.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "clientfd.h"

/* The client may only close while we stream: any byte or EOF ends it. */
int
client_left(int fd, short revents)
{
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	shutdown(fd, SHUT_RD);
	return 1;
}

/*
 * A followed stream trickles: a line at a time would wake this process,
 * and the client, once per line. Waiting ms after each pass lets lines
 * gather (dockerd's socket buffers them) and go out together; the first
 * line after a quiet spell still goes out at once. Only the client
 * leaving ends the wait early.
 */
int
client_pace(int client_fd, int ms)
{
	struct pollfd p = { .fd = client_fd, .events = POLLIN };

	if (ms <= 0)
		return 0;
	if (poll(&p, 1, ms) == -1)
		return errno == EINTR ? 0 : -1;
	return client_left(client_fd, p.revents) ? -1 : 0;
}
