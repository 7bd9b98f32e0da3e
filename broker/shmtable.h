/* A table shared with the sessions, behind a robust mutex: see shmtable.c. */
#ifndef SHMTABLE_H
#define SHMTABLE_H

#include <pthread.h>
#include <stddef.h>

/*
 * len zeroed bytes shared with the children forked afterwards, starting
 * with a pthread_mutex_t made ready; NULL and errno.
 */
void	*shmtable_map(size_t len);
/* 0 with mu held, whatever its last holder died doing; -1 and errno. */
int	 shmtable_lock(pthread_mutex_t *mu);

#endif
