/*
 * What a session (relay.c) and a relay (relayd.c) say to each other on
 * the relay's socket, in this order: the session's request, the
 * relay's 'Y' or 'N', the client's socket (SCM_RIGHTS, one byte 'C'),
 * and, once the relay has given the client back, its last word.
 */
#ifndef CTLD_RELAYMSG_H
#define CTLD_RELAYMSG_H

#include <stdint.h>

#define RELAY_LOCK		"lock"	/* in the relay directory */
#define RELAY_HANDSHAKE_MS	5000	/* a session's request, then its client */

struct relay_req {
	char	 id[65];
	uint8_t	 timestamps;
	uint8_t	 pad[2];
	int32_t	 tail;
};

/* The relay's last word to a session, once the client is its own again. */
enum relay_end {
	END_CLEAN,	/* the stream ended */
	END_ERROR,	/* it failed, or this follower was cut: why */
	END_BROKEN,	/* a frame went out only in part */
	END_UNSERVED,	/* the client never reached the relay; still the
			 * session's */
};
struct relay_msg {
	int32_t	 end;
	char	 why[256];
};

#endif
