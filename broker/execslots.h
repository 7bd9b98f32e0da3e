/* Exec sessions per uid, shared by all sessions: see execslots.c. */
#ifndef EXECSLOTS_H
#define EXECSLOTS_H

#include <sys/types.h>

#define EXECSLOTS_MAX	4096	/* exec sessions at once, all uids */

/* In the main process, before the first fork. -1 and errno. */
int	execslots_init(void);
/*
 * In a session, with its own pid, before an exec: 1 taken, 0 uid holds
 * max already, -1 and errno (ENOSPC full, EEXIST pid holds one, lock).
 * Refuse the exec on 0 and on -1.
 */
int	execslots_take(uid_t, pid_t, int max);
/* In a session, when its exec ends. */
void	execslots_release(pid_t);
/* In the main process, for each session reaped. */
void	execslots_reaped(pid_t);
/* Any process: the uid of each exec session now (ctld status). */
size_t	execslots_list(uid_t *, size_t max);

/* Tests only: take the table's lock and keep it (a session dying). */
int	execslots_test_hold_lock(void);

#endif
