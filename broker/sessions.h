/*
 * sessions.c: the main process's sessions (its forked children), by pid
 * and uid: for the limits, reload's word to them, and ctld status (a
 * session's copy is the table as it was at its fork, itself left out).
 */
#ifndef CTLD_SESSIONS_H
#define CTLD_SESSIONS_H

#include <stddef.h>
#include <sys/types.h>

struct session_ref {
	pid_t	pid;
	uid_t	uid;
};

int	sessions_track(pid_t, uid_t);
/* 1 if pid was a session (now forgotten). */
int	sessions_reaped(pid_t);
size_t	sessions_count(void);
size_t	sessions_of(uid_t);
/* The table: n entries. */
const struct session_ref *sessions_all(size_t *n);

#endif
