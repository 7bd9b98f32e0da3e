/*
 * Failed passwords per uid, across connections and sessions.
 *
 * Invariants:
 * 1. The table is memory shared by the main process and every session
 *    it forks, mapped once before the first fork and never remade: the
 *    counts survive SIGHUP, and no session can start a table of its own.
 * 2. A session reserves an attempt before each pam_authenticate, and the
 *    attempts in flight count against max_failures with the failures of
 *    the window: sessions in parallel get no more PAM calls in all.
 * 3. Every reservation is settled once: a failure is counted, a success
 *    clears the uid's failures, a cancel (the client left or stopped
 *    before answering) counts nothing. One its session never settled is
 *    counted as a failure when the main process reaps that session.
 * 4. max_failures failures within failure_window lock the uid for
 *    lock_time: no reservation is granted, and the first refusal of each
 *    lock says so (so that the lock, not every knock, is audited).
 * 5. A full table refuses, it never forgets a locked uid or one with
 *    attempts in flight. A robust mutex guards it: a session that dies
 *    holding it stops nobody.
 */
#include <string.h>
#include <time.h>

#include "failures.h"
#include "shmtable.h"

#define NUIDS		1024
#define MAXFLIGHT	FAILURES_MAX

struct uidrec {
	int		 used;
	uid_t		 uid;
	long long	 last_ms;		/* for eviction */
	long long	 fail_ms[FAILURES_MAX];	/* a ring of failure times */
	int		 nfail;
	long long	 locked_until;		/* 0: not locked */
	int		 lock_told;
	pid_t		 flight[MAXFLIGHT];	/* 0: free slot */
};

struct table {
	pthread_mutex_t	 mu;		/* first, for shmtable_map */
	struct uidrec	 rec[NUIDS];
};

static struct table *tab;

int
failures_init(void)
{
	if (tab == NULL && (tab = shmtable_map(sizeof(*tab))) == NULL)
		return -1;
	return 0;
}

static int
lock(void)
{
	return tab == NULL ? -1 : shmtable_lock(&tab->mu);
}

static void
unlock(void)
{
	pthread_mutex_unlock(&tab->mu);
}

static int
in_flight(const struct uidrec *r)
{
	int i, n = 0;

	for (i = 0; i < MAXFLIGHT; i++)
		n += r->flight[i] != 0;
	return n;
}

/* Failures still inside the window; older ones are dropped. */
static int
recent(struct uidrec *r, const struct failure_limits *l, long long now)
{
	int i, n = 0;

	for (i = 0; i < r->nfail; i++)
		if (now - r->fail_ms[i] < (long long)l->window * 1000)
			r->fail_ms[n++] = r->fail_ms[i];
	r->nfail = n;
	return n;
}

static struct uidrec *
find(uid_t uid, long long now)
{
	struct uidrec *r, *spare = NULL;
	size_t i;

	for (i = 0; i < NUIDS; i++) {
		r = &tab->rec[i];
		if (r->used && r->uid == uid)
			return r;
		if (!r->used) {
			if (spare == NULL || spare->used)
				spare = r;
		} else if (in_flight(r) == 0 && r->locked_until <= now &&
		    (spare == NULL || (spare->used &&
		    r->last_ms < spare->last_ms)))
			spare = r;
	}
	if (spare == NULL)
		return NULL;
	memset(spare, 0, sizeof(*spare));
	spare->used = 1;
	spare->uid = uid;
	return spare;
}

static void
fail_one(struct uidrec *r, const struct failure_limits *l, long long now)
{
	int n = recent(r, l, now);

	if (n == FAILURES_MAX) {
		memmove(r->fail_ms, r->fail_ms + 1,
		    (FAILURES_MAX - 1) * sizeof(r->fail_ms[0]));
		n--;
	}
	r->fail_ms[n++] = now;
	r->nfail = n;
	if (n >= l->max && l->lock_time > 0) {
		r->locked_until = now + (long long)l->lock_time * 1000;
		r->lock_told = 0;
		r->nfail = 0;
	}
}

enum grant
failures_reserve(const struct failure_limits *l, uid_t uid, pid_t pid,
    long long now, int *wait_s, int *first)
{
	struct uidrec *r;
	enum grant g = GRANT_FULL;
	int i;

	*wait_s = 0;
	*first = 0;
	if (lock() == -1)
		return GRANT_FULL;
	if ((r = find(uid, now)) == NULL)
		goto out;
	r->last_ms = now;
	if (r->locked_until > now) {
		*wait_s = (int)((r->locked_until - now + 999) / 1000);
		*first = !r->lock_told;
		r->lock_told = 1;
		g = GRANT_LOCKED;
		goto out;
	}
	r->locked_until = 0;
	if (recent(r, l, now) + in_flight(r) >= l->max) {
		g = GRANT_BUSY;
		goto out;
	}
	for (i = 0; i < MAXFLIGHT; i++)
		if (r->flight[i] == 0) {
			r->flight[i] = pid;
			g = GRANT_OK;
			break;
		}
out:
	unlock();
	return g;
}

/* Frees pid's reservation for uid (any uid if uid is -1); 1 if found. */
static int
take_flight(struct uidrec *r, pid_t pid)
{
	int i;

	for (i = 0; i < MAXFLIGHT; i++)
		if (r->flight[i] == pid) {
			r->flight[i] = 0;
			return 1;
		}
	return 0;
}

void
failures_settle(const struct failure_limits *l, uid_t uid, pid_t pid,
    enum try_result o, long long now)
{
	struct uidrec *r;
	size_t i;

	if (lock() == -1)
		return;
	for (i = 0; i < NUIDS; i++) {
		r = &tab->rec[i];
		if (!r->used || r->uid != uid || !take_flight(r, pid))
			continue;
		if (o == TRY_FAILED)
			fail_one(r, l, now);
		else if (o == TRY_OK) {
			r->nfail = 0;
			r->locked_until = 0;
		}
		break;
	}
	unlock();
}

void
failures_reaped(const struct failure_limits *l, pid_t pid, long long now)
{
	struct uidrec *r;
	size_t i;

	if (lock() == -1)
		return;
	for (i = 0; i < NUIDS; i++) {
		r = &tab->rec[i];
		while (r->used && take_flight(r, pid))
			fail_one(r, l, now);
	}
	unlock();
}

long long
failures_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The uids locked out now, and for how many more milliseconds each. */
size_t
failures_locked(uid_t *uids, long long *left_ms, size_t max, long long now)
{
	size_t i, n = 0;

	if (lock() == -1)
		return 0;
	for (i = 0; i < NUIDS && n < max; i++)
		if (tab->rec[i].used && tab->rec[i].locked_until > now) {
			uids[n] = tab->rec[i].uid;
			left_ms[n++] = tab->rec[i].locked_until - now;
		}
	unlock();
	return n;
}
