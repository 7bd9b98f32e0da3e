/*
 * Memory the main process shares with the sessions it forks (failures.c,
 * execslots.c), each table behind one mutex.
 *
 * Invariants:
 * 1. A table is anonymous MAP_SHARED memory: only the process that maps
 *    it and the children it forks afterwards ever see it.
 * 2. Its mutex is process-shared and robust: a holder that dies hands it
 *    on as EOWNERDEAD, which is made consistent here, so that it stops
 *    nobody. Its users keep their data whole at every store.
 */
#include <sys/mman.h>

#include <errno.h>
#include <string.h>

#include "shmtable.h"

static int
init_mutex(pthread_mutex_t *mu)
{
	pthread_mutexattr_t ma;
	int rc;

	if ((rc = pthread_mutexattr_init(&ma)) != 0)
		return rc;
	if ((rc = pthread_mutexattr_setpshared(&ma,
	    PTHREAD_PROCESS_SHARED)) == 0 &&
	    (rc = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST)) == 0)
		rc = pthread_mutex_init(mu, &ma);
	pthread_mutexattr_destroy(&ma);
	return rc;
}

void *
shmtable_map(size_t len)
{
	void *p;
	int rc;

	if (len < sizeof(pthread_mutex_t)) {
		errno = EINVAL;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
	if ((rc = init_mutex(p)) != 0) {
		munmap(p, len);
		errno = rc;
		return NULL;
	}
	return p;
}

int
shmtable_lock(pthread_mutex_t *mu)
{
	int rc;

	rc = pthread_mutex_lock(mu);
	if (rc == EOWNERDEAD)	/* its holder died; see invariant 2 */
		rc = pthread_mutex_consistent(mu);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}
