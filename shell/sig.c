/*
 * SIGINT, SIGTERM and SIGHUP end the command in progress; the callers
 * see it as an interrupted call and clean up (terminal modes, buffers).
 *
 * Invariants:
 * 1. The handler does only async-signal-safe work: it records the signal
 *    and shuts down the watched connection, which wakes a blocked read.
 * 2. No handler uses SA_RESTART: a blocked read or write returns EINTR.
 * 3. SIGPIPE is ignored: a lost broker or a closed reader is an error
 *    return. Interactive mode ignores SIGQUIT and the job-control stops,
 *    since a stopped login shell cannot be resumed.
 * 4. A wait on a descriptor no signal shuts down (the terminal) goes
 *    through sig_wait(): the signals are unblocked only inside ppoll(),
 *    so one that comes just before the wait still ends it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>

#include "sig.h"

static const int ending[] = { SIGINT, SIGTERM, SIGHUP };

static volatile sig_atomic_t interrupted;
static volatile sig_atomic_t fatal;
static volatile sig_atomic_t watched = -1;

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGINT)
		interrupted = 1;
	else
		fatal = sig;
	if (watched != -1)
		(void)shutdown(watched, SHUT_RDWR);
	errno = saved;
}

void
sig_init(int interactive)
{
	static const int stopping[] = { SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU };
	struct sigaction sa;
	size_t i;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sa.sa_handler = on_signal;
	for (i = 0; i < sizeof(ending) / sizeof(ending[0]); i++)
		sigaddset(&sa.sa_mask, ending[i]);
	for (i = 0; i < sizeof(ending) / sizeof(ending[0]); i++)
		(void)sigaction(ending[i], &sa, NULL);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (!interactive)
		return;
	for (i = 0; i < sizeof(stopping) / sizeof(stopping[0]); i++)
		(void)sigaction(stopping[i], &sa, NULL);
}

int
sig_caught(void)
{
	if (fatal != 0)
		return fatal;
	return interrupted ? SIGINT : 0;
}

void
sig_clear(void)
{
	interrupted = 0;
}

int
sig_fatal(void)
{
	return fatal != 0;
}

void
sig_watch(int fd)
{
	watched = fd;
}

int
sig_wait(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts, *tp = NULL;
	sigset_t block, old;
	size_t i;
	int rc, e;

	sigemptyset(&block);
	for (i = 0; i < sizeof(ending) / sizeof(ending[0]); i++)
		sigaddset(&block, ending[i]);
	if (sigprocmask(SIG_BLOCK, &block, &old) == -1)
		return -1;
	if (sig_caught()) {
		rc = -1;
		e = EINTR;
	} else {
		if (timeout_ms >= 0) {
			ts.tv_sec = timeout_ms / 1000;
			ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
			tp = &ts;
		}
		rc = ppoll(&pfd, 1, tp, &old);
		e = errno;
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return rc;
}
