/* broker/execslots.c: exec sessions per uid, shared across sessions. */
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "execslots.h"

#define FAKE_PID	5000000	/* above any pid_max: never a real process */

static uid_t next_uid = 1000;
static pid_t next_pid = FAKE_PID, test_pid;
static int lock_lost;		/* the parent would hang on it */

static int
setup(void **state)
{
	*state = (void *)(uintptr_t)next_uid++;	/* a uid per test */
	test_pid = next_pid;
	return execslots_init();
}

/* Frees what the test's pids hold, so that a failure stays its own. */
static int
teardown(void **state)
{
	while (!lock_lost && test_pid < next_pid)
		execslots_reaped(test_pid++);
	return 0;
}

#define UID	((uid_t)(uintptr_t)*state)

/* A session's pid that no other test uses. */
static pid_t
fake_pid(void)
{
	return next_pid++;
}

/* The child's exit status, or -1 if a signal ended it. */
static int
wait_child(pid_t child)
{
	int status;

	assert_int_equal(waitpid(child, &status, 0), child);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* max slots for a uid, then no more; another uid is not touched. */
static void
test_max_then_refused(void **state)
{
	int i;

	for (i = 0; i < 4; i++)
		assert_int_equal(execslots_take(UID, fake_pid(), 4), 1);
	assert_int_equal(execslots_take(UID, fake_pid(), 4), 0);
	assert_int_equal(execslots_take(UID + 1000, fake_pid(), 4), 1);
	assert_int_equal(execslots_take(UID, fake_pid(), 5), 1);
}

/* One slot a session: a second take by its pid is refused. */
static void
test_one_per_session(void **state)
{
	pid_t p = fake_pid();

	assert_int_equal(execslots_take(UID, p, 4), 1);
	errno = 0;
	assert_int_equal(execslots_take(UID, p, 4), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(execslots_take(UID + 1000, p, 4), -1);
}

static void
test_release_frees(void **state)
{
	pid_t p = fake_pid(), q = fake_pid();

	assert_int_equal(execslots_take(UID, p, 1), 1);
	assert_int_equal(execslots_take(UID, q, 1), 0);
	execslots_release(q);	/* holds nothing: frees nothing */
	assert_int_equal(execslots_take(UID, q, 1), 0);
	execslots_release(p);
	assert_int_equal(execslots_take(UID, q, 1), 1);
}

static void
test_reaped_frees(void **state)
{
	pid_t p = fake_pid(), q = fake_pid();

	assert_int_equal(execslots_take(UID, p, 1), 1);
	assert_int_equal(execslots_take(UID, q, 1), 0);
	execslots_reaped(p);
	assert_int_equal(execslots_take(UID, q, 1), 1);
}

/* Full: refused, and no holder loses its slot to make room. */
static void
test_full_refuses(void **state)
{
	pid_t first = next_pid;
	int i;

	next_pid += EXECSLOTS_MAX;
	for (i = 0; i < EXECSLOTS_MAX; i++)
		assert_int_equal(execslots_take(UID + i % 1000, first + i,
		    1000), 1);
	errno = 0;
	assert_int_equal(execslots_take(UID + 2000, fake_pid(), 1000), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(execslots_take(UID + 2000, first, 1000), -1);
	assert_int_equal(errno, EEXIST);	/* first still holds its own */
	execslots_release(first);
	assert_int_equal(execslots_take(UID + 2000, fake_pid(), 1000), 1);
}

/*
 * A session takes in its own process; the main process counts it, and
 * frees it when it reaps the session, which never released it.
 */
static void
test_shared_across_fork(void **state)
{
	pid_t child;

	if ((child = fork()) == 0)
		_exit(execslots_take(UID, getpid(), 2) == 1 ? 0 : 1);
	assert_int_not_equal(child, -1);
	assert_int_equal(wait_child(child), 0);
	assert_int_equal(execslots_take(UID, fake_pid(), 2), 1);
	assert_int_equal(execslots_take(UID, fake_pid(), 2), 0);
	execslots_reaped(child);
	assert_int_equal(execslots_take(UID, fake_pid(), 2), 1);
}

/* Exits 0 once a take has gone through; an alarm makes a hang fail. */
static void
take_in_time(uid_t uid, pid_t pid)
{
	alarm(5);
	_exit(execslots_take(uid, pid, 1) == 1 ? 0 : 1);
}

/* A session killed holding the lock: the next one takes all the same. */
static void
test_dead_holder_stops_nobody(void **state)
{
	pid_t holder, taker, p = fake_pid();

	if ((holder = fork()) == 0) {
		if (execslots_test_hold_lock() == -1)
			_exit(1);
		kill(getpid(), SIGKILL);
		_exit(2);
	}
	assert_int_not_equal(holder, -1);
	assert_int_equal(wait_child(holder), -1);
	if ((taker = fork()) == 0)
		take_in_time(UID, p);
	assert_int_not_equal(taker, -1);
	if (wait_child(taker) != 0) {
		lock_lost = 1;
		fail_msg("a take after the lock's holder died hung or failed");
	}
	assert_int_equal(execslots_take(UID, fake_pid(), 1), 0);
	execslots_reaped(p);
	assert_int_equal(execslots_take(UID, p, 1), 1);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_max_then_refused),
		T(test_one_per_session),
		T(test_release_frees),
		T(test_reaped_frees),
		T(test_full_refuses),
		T(test_shared_across_fork),
		T(test_dead_holder_stops_nobody),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
