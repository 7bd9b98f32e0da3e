/*
 * keeper.c: the follow keeper, one process that holds every follow a
 * session lent to a relay, so that the session itself ends.
 */
#ifndef CTLD_KEEPER_H
#define CTLD_KEEPER_H

#include <stddef.h>
#include <sys/types.h>

#include "handlers.h"

/* Main process: (re)start the keeper on cf, closing lfd in it. */
int	keeper_start(const struct config *cf, int lfd);
/* Main process: 1 if pid was the keeper (it is gone: start another). */
int	keeper_reaped(pid_t pid);
/* Main process: a session was reaped. */
void	keeper_session_reaped(pid_t);
/* Main process: 1 when a keeper that died may be started again. */
int	keeper_due(void);
/* Main process: a new configuration is in force; the keeper decides
 * its follows again. */
void	keeper_reloaded(void);
/* Main process: follows held, all and of uid (counted as sessions). */
size_t	keeper_total(void);
size_t	keeper_count(uid_t);
/* Any process: follows held per uid, for ctld status. */
struct kept_count {
	uid_t	uid;
	size_t	n;
};
size_t	keeper_list(struct kept_count *, size_t max);

/*
 * Session: hands the follow its relay holds (rfd, x->fd) to the keeper.
 * 0: the keeper answers and audits, and the session must do neither;
 * -1: the session keeps it.
 */
int	keeper_adopt(struct ctx *, int rfd);

#endif
