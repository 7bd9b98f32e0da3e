/*
 * relay.c: a session's side of a shared follow. It finds or starts the
 * container's relay (relayd.c), lends it the client and waits.
 */
#ifndef CTLD_RELAY_H
#define CTLD_RELAY_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "relayd.h"

/* How a relayed follow ended, for the session. */
enum relayed {
	RELAYED_ENDED,		/* the stream ended: the client is ours again */
	RELAYED_FAILED,		/* the stream failed: why says how */
	RELAYED_LEFT,		/* the client left */
	RELAYED_LOST,		/* the client can no longer be answered */
	RELAYED_UNSERVED,	/* the relay never took the client: read
				 * dockerd ourselves */
	RELAYED_CUT,		/* the follower fell behind and was cut */
	RELAYED_CUT_LOST,	/* cut, and the client can no longer be
				 * answered */
	RELAYED_RETURNED,	/* given back, as relay_return asked */
	RELAYED_WOKEN,		/* a signal woke the wait: call again */
};

int	relay_attach(const struct relay_env *, const char *id, int timestamps,
	    long tail, uid_t uid, int client_fd, int *slow);
enum relayed relay_wait(int relay_fd, int client_fd, char *why,
	    size_t whylen, const sigset_t *wake);
int	relay_return(int relay_fd);

#endif
