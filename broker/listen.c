/*
 * The listening socket: made here, or handed over by systemd (socket
 * activation, ctld.socket).
 *
 * Invariants:
 * 1. The socket is created with the configured mode by bind(2) itself
 *    (umask), in a directory only ctld's user can write: no chmod that a
 *    swapped symlink could redirect, no window with wider access.
 * 2. A stale socket is replaced only if nobody answers on it; a live
 *    one (another ctld) or anything that is not a socket is left alone.
 * 3. A socket systemd hands over is used only if it is what ctld would
 *    have made: a listening Unix stream socket bound to listen.path, in
 *    a directory only ctld's user can write, the file ctld's user's
 *    with exactly listen.mode. Anything else is refused, and ctld does
 *    not start.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctld.h"

static int
clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "%s: another ctld is listening", path);
		return -1;
	}
	if (unlink(path) == -1) {
		snprintf(err, errlen, "unlink %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The socket's directory: made if missing; root's and not writable by others. */
static int
dir_safe(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "%s: must be owned by ctld's user and not "
		    "writable by group or others (mode %04o)", dir,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
listen_open(const struct config *cf, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	char dir[sizeof(sun.sun_path)];
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    cf->listen_path) >= (int)sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", cf->listen_path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", cf->listen_path);
	if (dir_safe(dirname(dir), err, errlen) == -1)
		return -1;
	if (clear_stale(cf->listen_path, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(~cf->listen_mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "bind %s: %s", cf->listen_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (listen(fd, SOMAXCONN) == -1) {
		snprintf(err, errlen, "%s: %s", cf->listen_path,
		    strerror(errno));
		close(fd);
		unlink(cf->listen_path);
		return -1;
	}
	return fd;
}

#define SD_LISTEN_FDS_START	3

/* The descriptor systemd passed (LISTEN_FDS=1 for this pid), or -1. */
static int
passed_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char want[24];

	snprintf(want, sizeof(want), "%ld", (long)getpid());
	if (pid == NULL || fds == NULL || strcmp(pid, want) != 0)
		return -1;
	return strcmp(fds, "1") == 0 ? SD_LISTEN_FDS_START : -2;
}

/* Invariant 3: fd is the socket ctld would have made, or err says why. */
static int
activated_ok(const struct config *cf, int fd, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int type = 0, listening = 0;
	socklen_t ilen = sizeof(int);
	char dir[sizeof(sun.sun_path)];
	struct stat st;

	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_family != AF_UNIX || getsockopt(fd, SOL_SOCKET, SO_TYPE,
	    &type, &ilen) == -1 || type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) ==
	    -1 || !listening) {
		snprintf(err, errlen, "socket activation: descriptor %d is not "
		    "a listening Unix stream socket", fd);
		return -1;
	}
	if (len <= offsetof(struct sockaddr_un, sun_path) ||
	    strncmp(sun.sun_path, cf->listen_path, sizeof(sun.sun_path)) != 0) {
		snprintf(err, errlen, "socket activation: the socket is %.*s, "
		    "not listen.path %s (ListenStream= must name it)",
		    (int)sizeof(sun.sun_path), sun.sun_path, cf->listen_path);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", cf->listen_path);
	if (dir_safe(dirname(dir), err, errlen) == -1)
		return -1;
	if (lstat(cf->listen_path, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 07777) !=
	    (mode_t)cf->listen_mode) {
		snprintf(err, errlen, "socket activation: %s must be a socket "
		    "of ctld's user with mode %04o, listen.mode (SocketMode=)",
		    cf->listen_path, (unsigned)cf->listen_mode);
		return -1;
	}
	return 0;
}

/*
 * The socket systemd passed, checked; -1 with err when one was passed
 * but is refused; -2 when none was passed (make one: listen_open).
 */
int
listen_activated(const struct config *cf, char *err, size_t errlen)
{
	int fd = passed_fd();

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (fd == -1)
		return -2;
	if (fd == -2) {
		snprintf(err, errlen, "socket activation: one socket expected "
		    "(LISTEN_FDS)");
		return -1;
	}
	if (activated_ok(cf, fd, err, errlen) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return fd;
}
