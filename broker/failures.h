/* Failed passwords per uid, shared by all sessions: see failures.c. */
#ifndef FAILURES_H
#define FAILURES_H

#include <sys/types.h>

#define FAILURES_MAX	100	/* the highest max_failures */

struct failure_limits {
	int	max;		/* failures in a window that lock: 1..100 */
	int	window;		/* seconds */
	int	lock_time;	/* seconds; 0: never lock */
};

enum grant {
	GRANT_OK,		/* go ahead: one attempt is reserved */
	GRANT_LOCKED,		/* too many failures: wait_s left */
	GRANT_BUSY,		/* failures and attempts in flight fill it */
	GRANT_FULL		/* no room to count: refuse */
};

enum try_result {
	TRY_OK,		/* right password: the count starts again */
	TRY_FAILED,		/* counted */
	TRY_CANCELLED	/* no answer was given: not counted */
};

/* In the main process, before the first fork. */
int		failures_init(void);
/* In a session: before each pam_authenticate, then with its outcome. */
enum grant	failures_reserve(const struct failure_limits *, uid_t, pid_t,
		    long long now, int *wait_s, int *first);
void		failures_settle(const struct failure_limits *, uid_t, pid_t,
		    enum try_result, long long now);
/* In the main process, for each session reaped. */
void		failures_reaped(const struct failure_limits *, pid_t,
		    long long now);
/* Any process: the uids locked out now, and for how long (ctld status). */
size_t		failures_locked(uid_t *, long long *left_ms, size_t max,
		    long long now);
/* Milliseconds of CLOCK_BOOTTIME. */
long long	failures_now(void);

#endif
