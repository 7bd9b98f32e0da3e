/*
 * Re-authentication tickets, as sudo's timestamps: one small file per
 * (uid, login session) in a root-only directory.
 *
 * Invariants:
 * 1. The directory is root's, mode 0700, checked on the open descriptor;
 *    files are opened with O_NOFOLLOW under it and must be root-owned
 *    regular files of mode 0600: a user can neither read nor plant one.
 * 2. A ticket names the uid, the session id and the session leader's
 *    start time, so it dies with the login session and a reused pid or
 *    session id never inherits it.
 * 3. Times are CLOCK_BOOTTIME milliseconds: setting the wall clock
 *    neither extends nor revives a ticket; a ticket from the future is
 *    invalid, and one an earlier ctld wrote in seconds reads as older
 *    than it is, never younger.
 * 4. Anything unexpected means "no ticket": the user is asked again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctld.h"

static long long
boottime_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) == -1)
		return -1;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
ticket_name(uid_t uid, const struct peer *p, char *buf, size_t len)
{
	snprintf(buf, len, "%u-%d-%llu", (unsigned)uid, (int)p->sid,
	    p->sid_start);
}

static int
open_dir(const struct config *cf, int create)
{
	struct stat st;
	int fd;

	if (create && mkdir(cf->ticket_dir, 0700) == -1 && errno != EEXIST)
		return -1;
	fd = open(cf->ticket_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_uid != 0 ||
	    (st.st_mode & 077) != 0) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int
ticket_valid(const struct config *cf, uid_t uid, const struct peer *p)
{
	char name[96], buf[32];
	struct stat st;
	long long t, now;
	ssize_t n;
	int dfd, fd, ok = 0;

	if (p->sid <= 0 || cf->reauth_timeout_ms == 0 ||
	    (dfd = open_dir(cf, 0)) == -1)
		return 0;
	ticket_name(uid, p, name, sizeof(name));
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & 07777) == 0600 &&
	    (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		t = strtoll(buf, NULL, 10);
		now = boottime_ms();
		ok = t > 0 && now >= t && now - t < cf->reauth_timeout_ms;
	}
	close(fd);
	return ok;
}

int
ticket_write(const struct config *cf, uid_t uid, const struct peer *p)
{
	char name[96], buf[32];
	int dfd, fd, len, rc = -1;

	if (p->sid <= 0 || cf->reauth_timeout_ms == 0)
		return 0;
	if ((dfd = open_dir(cf, 1)) == -1)
		return -1;
	ticket_name(uid, p, name, sizeof(name));
	unlinkat(dfd, name, 0);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	close(dfd);
	if (fd == -1)
		return -1;
	len = snprintf(buf, sizeof(buf), "%lld\n", boottime_ms());
	if (write(fd, buf, (size_t)len) == len)
		rc = 0;
	close(fd);
	return rc;
}

int
ticket_forget(const struct config *cf, uid_t uid, const struct peer *p)
{
	char name[96];
	int dfd, rc;

	if (p->sid <= 0 || (dfd = open_dir(cf, 0)) == -1)
		return 0;
	ticket_name(uid, p, name, sizeof(name));
	rc = unlinkat(dfd, name, 0);
	close(dfd);
	return rc == -1 && errno != ENOENT ? -1 : 0;
}
