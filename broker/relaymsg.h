/*
 * What a session (relay.c) and a relay (relayd.c) say to each other on
 * the relay's socket, in this order: the session's request, the
 * relay's answer (RELAY_YES; RELAY_NO or RELAY_SLOW end it), the client's
 * socket (SCM_RIGHTS, one byte 'C'), maybe the session's RELAY_RETURN,
 * and, once the relay has given the client back, its last word.
 */
#ifndef CTLD_RELAYMSG_H
#define CTLD_RELAYMSG_H

#include <stdint.h>

#define RELAY_DIR		"ctld-relay"	/* beside the listening socket */
#define RELAY_LOCK		"lock"	/* in the relay directory */
#define RELAY_HANDSHAKE_MS	5000	/* a session's request, then its client */

struct relay_req {
	char	 id[65];
	uint8_t	 timestamps;
	uint8_t	 pad[2];
	int32_t	 tail;
	uint32_t uid;		/* the follower's: its cuts are counted */
};

/* The relay's answers to a request. */
#define RELAY_YES	'Y'
#define RELAY_NO	'N'	/* not this request: read dockerd */
#define RELAY_SLOW	'S'	/* this uid was cut too often: read dockerd */

/* A session's one word once its client is lent: give it back now. */
#define RELAY_RETURN	'R'

/* The relay's last word to a session, once the client is its own again. */
enum relay_end {
	END_CLEAN,	/* the stream ended */
	END_ERROR,	/* it failed, or this follower was cut: why */
	END_BROKEN,	/* a frame went out only in part */
	END_UNSERVED,	/* the client never reached the relay; still the
			 * session's */
	END_CUT,	/* this follower fell behind and was cut: why */
	END_CUT_BROKEN,	/* cut, and its last frame went out only in part */
	END_RETURNED,	/* given back at the session's RELAY_RETURN */
};
struct relay_msg {
	int32_t	 end;
	char	 why[256];
};

#endif
