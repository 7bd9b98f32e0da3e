/* broker/failures.c: failed passwords per uid, shared across sessions. */
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "failures.h"

static const struct failure_limits lim = { 5, 600, 300 };
static uid_t next_uid = 1000;

static int
reserve(uid_t uid, pid_t pid, long long now)
{
	int wait_s, first;

	return (int)failures_reserve(&lim, uid, pid, now, &wait_s, &first);
}

static int
setup(void **state)
{
	*state = (void *)(uintptr_t)next_uid++;	/* a uid per test */
	return failures_init();
}

#define UID	((uid_t)(uintptr_t)*state)

/* Attempts in flight count: five parallel sessions, not a sixth. */
static void
test_in_flight_count(void **state)
{
	pid_t pid;

	for (pid = 100; pid < 105; pid++)
		assert_int_equal(reserve(UID, pid, 1000), GRANT_OK);
	assert_int_equal(reserve(UID, 105, 1000), GRANT_BUSY);
	assert_int_equal(reserve(UID + 1000, 105, 1000), GRANT_OK);
	failures_settle(&lim, UID, 100, TRY_CANCELLED, 1000);
	assert_int_equal(reserve(UID, 106, 1000), GRANT_OK);
}

/* Five failures lock; the first refusal says so, later ones do not. */
static void
test_lock_and_expiry(void **state)
{
	int wait_s, first;
	pid_t pid;

	for (pid = 1; pid <= 5; pid++) {
		assert_int_equal(reserve(UID, pid, 1000), GRANT_OK);
		failures_settle(&lim, UID, pid, TRY_FAILED, 1000 + pid);
	}
	assert_int_equal(failures_reserve(&lim, UID, 9, 2000, &wait_s,
	    &first), GRANT_LOCKED);
	assert_int_equal(first, 1);
	assert_int_equal(wait_s, 300);
	assert_int_equal(failures_reserve(&lim, UID, 9, 62000, &wait_s,
	    &first), GRANT_LOCKED);
	assert_int_equal(first, 0);
	assert_int_equal(wait_s, 240);
	/* a right password cannot be tried during the lock, only after */
	assert_int_equal(reserve(UID, 9, 1005 + 300000), GRANT_OK);
	failures_settle(&lim, UID, 9, TRY_FAILED, 1005 + 300000);
	assert_int_equal(reserve(UID, 10, 1005 + 300000), GRANT_OK);
}

/* A right password clears; cancelled attempts count nothing. */
static void
test_success_resets_cancel_is_free(void **state)
{
	pid_t pid;

	for (pid = 1; pid <= 4; pid++) {
		assert_int_equal(reserve(UID, pid, 1000), GRANT_OK);
		failures_settle(&lim, UID, pid, TRY_FAILED, 1000);
	}
	assert_int_equal(reserve(UID, 5, 1000), GRANT_OK);
	failures_settle(&lim, UID, 5, TRY_OK, 1000);
	for (pid = 6; pid <= 9; pid++) {
		assert_int_equal(reserve(UID, pid, 1000), GRANT_OK);
		failures_settle(&lim, UID, pid, TRY_FAILED, 1000);
	}
	for (pid = 10; pid <= 30; pid++) {
		assert_int_equal(reserve(UID, pid, 1000), GRANT_OK);
		failures_settle(&lim, UID, pid, TRY_CANCELLED, 1000);
	}
	assert_int_equal(reserve(UID, 31, 1000), GRANT_OK);
	failures_settle(&lim, UID, 31, TRY_FAILED, 1000);
	assert_int_equal(reserve(UID, 32, 1000), GRANT_LOCKED);
}

/* Failures older than the window are forgotten. */
static void
test_window(void **state)
{
	pid_t pid;

	for (pid = 1; pid <= 4; pid++) {
		assert_int_equal(reserve(UID, pid, 1000), GRANT_OK);
		failures_settle(&lim, UID, pid, TRY_FAILED, 1000);
	}
	assert_int_equal(reserve(UID, 5, 1000 + 600000), GRANT_OK);
	failures_settle(&lim, UID, 5, TRY_FAILED, 1000 + 600000);
	assert_int_equal(reserve(UID, 6, 1000 + 600000), GRANT_OK);
}

/*
 * A session that ends without settling (killed by the PAM alarm, say)
 * counts as a failure when reaped; its reservation was seen by the
 * others while it lived, in another process.
 */
static void
test_unsettled_is_a_failure(void **state)
{
	pid_t child;
	int status;

	if ((child = fork()) == 0)
		_exit(reserve(UID, getpid(), 1000) == GRANT_OK ? 0 : 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(reserve(UID, 1, 1000), GRANT_OK);
	assert_int_equal(reserve(UID, 2, 1000), GRANT_OK);
	assert_int_equal(reserve(UID, 3, 1000), GRANT_OK);
	assert_int_equal(reserve(UID, 4, 1000), GRANT_OK);
	assert_int_equal(reserve(UID, 5, 1000), GRANT_BUSY);
	failures_reaped(&lim, child, 1000);
	assert_int_equal(reserve(UID, 5, 1000), GRANT_BUSY);
	failures_settle(&lim, UID, 1, TRY_FAILED, 1000);
	failures_settle(&lim, UID, 2, TRY_FAILED, 1000);
	failures_settle(&lim, UID, 3, TRY_FAILED, 1000);
	failures_settle(&lim, UID, 4, TRY_FAILED, 1000);
	assert_int_equal(reserve(UID, 5, 1000), GRANT_LOCKED);
}

/* lock_time 0: counted, limited while in the window, never locked. */
static void
test_no_lock(void **state)
{
	const struct failure_limits nolock = { 2, 60, 0 };
	int wait_s, first;

	assert_int_equal(failures_reserve(&nolock, UID, 1, 0, &wait_s, &first),
	    GRANT_OK);
	failures_settle(&nolock, UID, 1, TRY_FAILED, 0);
	assert_int_equal(failures_reserve(&nolock, UID, 2, 0, &wait_s, &first),
	    GRANT_OK);
	failures_settle(&nolock, UID, 2, TRY_FAILED, 0);
	assert_int_equal(failures_reserve(&nolock, UID, 3, 0, &wait_s, &first),
	    GRANT_BUSY);
	assert_int_equal(failures_reserve(&nolock, UID, 3, 60000, &wait_s,
	    &first), GRANT_OK);
}

#define T(f)	cmocka_unit_test_setup(f, setup)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_in_flight_count),
		T(test_lock_and_expiry),
		T(test_success_resets_cancel_is_free),
		T(test_window),
		T(test_unsettled_is_a_failure),
		T(test_no_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
