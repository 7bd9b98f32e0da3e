/*
 * Exec sessions per uid, across connections.
 *
 * Invariants:
 * 1. The table is memory shared by the main process and every session
 *    it forks, mapped once before the first fork and never remade: no
 *    session can start a table of its own, and a reload keeps it.
 * 2. A slot is held by one session's pid, for one uid, and a pid holds
 *    at most one slot: a second take by the same pid is refused.
 * 3. A uid is granted a slot only while it holds fewer than max; the
 *    count and the grant are made under one lock, so sessions in
 *    parallel cannot both slip under max. No uid is exempt here.
 * 4. A full table refuses; it never frees a slot to make room. A slot is
 *    freed only by its session's release or, whatever state the session
 *    died in, when the main process reaps that pid.
 * 5. A robust mutex guards the table: a session that dies holding it
 *    stops nobody, and what it left half-written is a slot of its own
 *    pid, freed when it is reaped (4).
 */
#include <errno.h>

#include "execslots.h"
#include "shmtable.h"

struct slot {
	pid_t	 pid;		/* 0: free */
	uid_t	 uid;
};

struct table {
	pthread_mutex_t	 mu;		/* first, for shmtable_map */
	struct slot	 slot[EXECSLOTS_MAX];
};

static struct table *tab;

int
execslots_init(void)
{
	if (tab == NULL && (tab = shmtable_map(sizeof(*tab))) == NULL)
		return -1;
	return 0;
}

static int
lock(void)
{
	if (tab == NULL) {
		errno = EINVAL;
		return -1;
	}
	return shmtable_lock(&tab->mu);
}

static void
unlock(void)
{
	pthread_mutex_unlock(&tab->mu);
}

/* Under the lock: takes a free slot for uid, or says why not. */
static int
take_locked(uid_t uid, pid_t pid, int max)
{
	struct slot *s, *spare = NULL;
	int i, n = 0;

	for (i = 0; i < EXECSLOTS_MAX; i++) {
		s = &tab->slot[i];
		if (s->pid == 0) {
			if (spare == NULL)
				spare = s;
			continue;
		}
		if (s->pid == pid) {
			errno = EEXIST;
			return -1;
		}
		if (s->uid == uid)
			n++;
	}
	if (n >= max)
		return 0;
	if (spare == NULL) {
		errno = ENOSPC;
		return -1;
	}
	spare->uid = uid;
	spare->pid = pid;
	return 1;
}

int
execslots_take(uid_t uid, pid_t pid, int max)
{
	int rc;

	if (pid <= 0 || max < 1) {
		errno = EINVAL;
		return -1;
	}
	if (lock() == -1)
		return -1;
	rc = take_locked(uid, pid, max);
	unlock();
	return rc;
}

static void
free_pid(pid_t pid)
{
	int i;

	if (pid <= 0 || lock() == -1)
		return;
	for (i = 0; i < EXECSLOTS_MAX; i++)
		if (tab->slot[i].pid == pid)
			tab->slot[i].pid = 0;
	unlock();
}

void
execslots_release(pid_t pid)
{
	free_pid(pid);
}

void
execslots_reaped(pid_t pid)
{
	free_pid(pid);
}

int
execslots_test_hold_lock(void)
{
	return lock();
}

/* The uid of each exec session now, for ctld status. */
size_t
execslots_list(uid_t *out, size_t max)
{
	size_t i, n = 0;

	if (lock() == -1)
		return 0;
	for (i = 0; i < EXECSLOTS_MAX && n < max; i++)
		if (tab->slot[i].pid != 0)
			out[n++] = tab->slot[i].uid;
	unlock();
	return n;
}
