/* relayd.c: the relay process (ctld-relay), forked by relay.c. */
#ifndef CTLD_RELAYD_H
#define CTLD_RELAYD_H

#include <sys/types.h>

#include "engine.h"

#define RELAY_RING_LINES	1000	/* the last frames a relay keeps */

/* Where relays live and whom they serve; a test sets its own. */
struct relay_env {
	const struct engine	*eng;		/* the relay's dockerd */
	const char		*listen_path;	/* relays live beside it */
	uid_t			 uid;		/* relays, their directory and
						 * their sessions: 0, root */
};

void	relayd_main(const struct relay_env *, const char *id, int timestamps,
	    int lfd, int dfd, int lk, const char *sock)
	    __attribute__((noreturn));

#endif
