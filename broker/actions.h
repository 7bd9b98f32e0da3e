/* actions.c: one request, from resolution to the answer (session.c). */
#ifndef CTLD_ACTIONS_H
#define CTLD_ACTIONS_H

#include "ctld.h"
#include "engine.h"
#include "relayd.h"

int	action_run(const struct config *, const struct engine *,
	    const struct relay_env *, const struct identity *,
	    const struct peer *, const struct request *, int fd,
	    struct audit_rec *);

#endif
