/*
 * Login sessions that pam_ctl provisioned for, so that stop_on_logout
 * stops a user's containers only when the last of them ends, and so
 * that a login and a logout of one user never overlap.
 *
 * Invariants:
 * 1. A session is the process that asked (SO_PEERCRED: the sshd that
 *    loaded pam_ctl, which opens and closes the PAM session) named with
 *    its start time, so a reused pid is never taken for it; markers of
 *    processes that have ended are removed when found.
 * 2. Markers live in "ctld-logins" beside the listening socket, which
 *    must be a directory of the broker's uid (0) that nobody else may
 *    enter; anything else is not believed, and the caller then keeps
 *    containers running rather than stop them under an open session.
 * 3. Provisioning and unprovisioning of one user hold that user's lock
 *    from start to end: a login that comes while a logout's stop is
 *    under way waits for it, and then finds the container stopped.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ctld.h"
#include "logins.h"

#define LOGINS_DIR	"ctld-logins"

static int
logins_dir(const char *listen_path, uid_t owner)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;
	struct stat st;
	int pfd, dfd;

	snprintf(dir, sizeof(dir), "%s", listen_path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((pfd = open(dir[0] ? dir : "/", O_DIRECTORY | O_RDONLY |
	    O_CLOEXEC)) == -1)
		return -1;
	if (mkdirat(pfd, LOGINS_DIR, 0700) == -1 && errno != EEXIST) {
		close(pfd);
		return -1;
	}
	dfd = openat(pfd, LOGINS_DIR, O_DIRECTORY | O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	close(pfd);
	if (dfd == -1)
		return -1;
	if (fstat(dfd, &st) == -1 || st.st_uid != owner ||
	    (st.st_mode & 077)) {
		logmsg(LOG_WARNING, "%s/%s: not the broker's alone; login "
		    "sessions are not counted", dir, LOGINS_DIR);
		close(dfd);
		return -1;
	}
	return dfd;
}

int
logins_open(struct logins *l, const char *listen_path, uid_t owner,
    uid_t uid)
{
	char name[64];

	l->dfd = -1;
	l->lockfd = -1;
	l->uid = uid;
	if ((l->dfd = logins_dir(listen_path, owner)) == -1)
		return -1;
	snprintf(name, sizeof(name), "lock-%u", (unsigned)uid);
	l->lockfd = openat(l->dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (l->lockfd == -1 || flock(l->lockfd, LOCK_EX) == -1) {
		logins_close(l);
		return -1;
	}
	return 0;
}

void
logins_close(struct logins *l)
{
	if (l->lockfd != -1)
		close(l->lockfd);	/* and with it the lock */
	if (l->dfd != -1)
		close(l->dfd);
	l->lockfd = l->dfd = -1;
}

static int
marker(uid_t uid, pid_t pid, char *buf, size_t len)
{
	unsigned long long start;

	if (peer_start_time(pid, &start) == -1)
		return -1;
	snprintf(buf, len, "s-%u-%d-%llu", (unsigned)uid, (int)pid, start);
	return 0;
}

int
logins_add(struct logins *l, pid_t pid)
{
	char name[96];
	int fd;

	if (marker(l->uid, pid, name, sizeof(name)) == -1)
		return -1;
	fd = openat(l->dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

/* Whether the marker's process still runs (same pid, same start). */
static int
alive(const char *name, uid_t uid)
{
	unsigned long long start, now;
	unsigned u;
	int pid;

	if (sscanf(name, "s-%u-%d-%llu", &u, &pid, &start) != 3 ||
	    u != (unsigned)uid)
		return -1;	/* another user's, or not ours */
	return peer_start_time(pid, &now) == 0 && now == start;
}

int
logins_remove_count(struct logins *l, pid_t pid)
{
	char mine[96];
	struct dirent *de;
	DIR *d;
	int fd, n = 0, rc;

	if (marker(l->uid, pid, mine, sizeof(mine)) == 0)
		(void)unlinkat(l->dfd, mine, 0);
	if ((fd = dup(l->dfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if ((rc = alive(de->d_name, l->uid)) == 1)
			n++;
		else if (rc == 0)
			(void)unlinkat(l->dfd, de->d_name, 0);	/* ended */
	}
	closedir(d);
	return n;
}
