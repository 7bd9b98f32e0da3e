/* relay.c: one dockerd follow shared by a container's followers. */
#ifndef CTLD_RELAY_H
#define CTLD_RELAY_H

#include "ctld.h"
#include "engine.h"

#define RELAY_RING_LINES	1000

int	relay_attach(const struct config *, const struct engine *,
	    const char *id, int timestamps, long tail, int client_fd);
int	relay_wait(int relay_fd, int client_fd, struct engine_reply *);

#endif
