/*
 * revoke.c: a session's live follow decided again after a reload
 * (main.c signals its sessions with SIGUSR1 once a new configuration
 * is in force).
 */
#ifndef CTLD_REVOKE_H
#define CTLD_REVOKE_H

#include <signal.h>

#include "handlers.h"

#define REVOKE_SIGNAL	SIGUSR1

void		 revoke_init(const sigset_t *orig);
int		 revoke_pending(void);
const sigset_t	*revoke_waitmask(void);
int		 revoke_recheck(struct ctx *);
int		 revoke_decide(struct ctx *, const struct config *);
void		 revoke_set_out(struct ctx *);

#endif
