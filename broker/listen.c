/*
 * The listening socket.
 *
 * Invariants:
 * 1. The socket is created with the configured mode by bind(2) itself
 *    (umask), in a directory only ctld's user can write: no chmod that a
 *    swapped symlink could redirect, no window with wider access.
 * 2. A stale socket is replaced only if nobody answers on it; a live
 *    one (another ctld) or anything that is not a socket is left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
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
