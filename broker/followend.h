/*
 * followend.c: how a follow ends, for the user and the record: shared by
 * a session that followed (logs.c) and the keeper that held a relayed
 * follow for it (keeper.c).
 */
#ifndef CTLD_FOLLOWEND_H
#define CTLD_FOLLOWEND_H

#include "handlers.h"
#include "relay.h"

/* 1 if the stream ended while the container still runs (x->out says). */
int	follow_cut(struct ctx *);
/* The answer and record once a relay gave the client back. */
void	follow_relayed(struct ctx *, enum relayed, const char *why,
	    int revoked);

#endif
