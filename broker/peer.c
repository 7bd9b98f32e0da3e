/*
 * What the kernel knows about the client process: its login session,
 * terminal and, for SSH logins, the remote address.
 *
 * Invariants:
 * 1. Everything comes from /proc of the pid SO_PEERCRED gave, read by
 *    root; nothing from the client's frames or environment.
 * 2. A process whose real uid is not the peer's uid (the pid was reused)
 *    yields nothing: no session, so no ticket is ever found for it.
 * 3. The remote address is read only from an ancestor sshd that runs as
 *    root, which a user cannot start or impersonate.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctld.h"

#define MAX_DEPTH	32

struct procstat {
	pid_t			ppid;
	pid_t			sid;
	unsigned		tty_nr;
	unsigned long long	start;
};

static int
read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int
proc_stat(pid_t pid, struct procstat *ps)
{
	char path[64], buf[1024], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) == -1 ||
	    (p = strrchr(buf, ')')) == NULL)
		return -1;
	/* fields 3.. after "pid (comm)": state ppid pgrp session tty_nr */
	if (sscanf(p + 1, " %*c %d %*d %d %u %*d %*u %*u %*u %*u %*u %*u %*u"
	    " %*d %*d %*d %*d %*d %*d %llu", &ps->ppid, &ps->sid, &ps->tty_nr,
	    &ps->start) != 4)
		return -1;
	return 0;
}

/* When pid started, in clock ticks after boot: with the pid, an identity. */
int
peer_start_time(pid_t pid, unsigned long long *start)
{
	struct procstat ps;

	if (proc_stat(pid, &ps) == -1)
		return -1;
	*start = ps.start;
	return 0;
}

/* Real and effective uid from /proc/PID/status; -1 on error. */
static int
proc_uids(pid_t pid, uid_t *ruid, uid_t *euid)
{
	char path[64], buf[4096], *p;
	unsigned r, e;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) == -1 ||
	    (p = strstr(buf, "\nUid:")) == NULL ||
	    sscanf(p, "\nUid: %u %u", &r, &e) != 2)
		return -1;
	*ruid = r;
	*euid = e;
	return 0;
}

static void
tty_name(unsigned nr, char *buf, size_t len)
{
	unsigned major = (nr >> 8) & 0xfff;
	unsigned minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);

	buf[0] = '\0';
	if (nr == 0)
		return;
	if (major >= 136 && major <= 143)
		snprintf(buf, len, "/dev/pts/%u", (major - 136) * 256 + minor);
	else if (major == 4 && minor < 64)
		snprintf(buf, len, "/dev/tty%u", minor);
	else if (major == 4)
		snprintf(buf, len, "/dev/ttyS%u", minor - 64);
}

/* Remote address of an established TCP socket with this inode. */
static int
tcp_remote(const char *table, unsigned long inode, int v6, char *out,
    size_t len)
{
	char line[512], rem[40];
	unsigned long ino;
	unsigned st, w[4];
	unsigned char a[16];
	FILE *fp;
	int found = 0, i;

	if ((fp = fopen(table, "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL) {
		if (sscanf(line, " %*d: %*s %39[0-9A-Fa-f]:%*x %x %*s %*s %*s"
		    " %*d %*d %lu", rem, &st, &ino) != 3 || ino != inode ||
		    st != 1)
			continue;
		if (!v6 && sscanf(rem, "%8x", &w[0]) == 1) {
			memcpy(a, &w[0], 4);
			found = inet_ntop(AF_INET, a, out, (socklen_t)len) != NULL;
		} else if (v6 && sscanf(rem, "%8x%8x%8x%8x", &w[0], &w[1],
		    &w[2], &w[3]) == 4) {
			for (i = 0; i < 4; i++)
				memcpy(a + 4 * i, &w[i], 4);
			found = inet_ntop(AF_INET6, a, out, (socklen_t)len) !=
			    NULL;
		}
	}
	fclose(fp);
	return found;
}

static int
socket_remote(pid_t pid, char *out, size_t len)
{
	char dir[64], link[320], target[128];
	struct dirent *de;
	unsigned long inode;
	ssize_t n;
	DIR *d;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (sscanf(target, "socket:[%lu]", &inode) != 1)
			continue;
		found = tcp_remote("/proc/net/tcp", inode, 0, out, len) ||
		    tcp_remote("/proc/net/tcp6", inode, 1, out, len);
	}
	closedir(d);
	return found;
}

static void
ssh_rhost(pid_t pid, char *out, size_t len)
{
	struct procstat ps;
	char path[64], exe[256], *base;
	ssize_t n;
	uid_t r, e;
	int depth;

	out[0] = '\0';
	for (depth = 0; depth < MAX_DEPTH && pid > 1; depth++) {
		if (proc_stat(pid, &ps) == -1)
			return;
		pid = ps.ppid;
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		if ((n = readlink(path, exe, sizeof(exe) - 1)) <= 0)
			return;
		exe[n] = '\0';
		base = strrchr(exe, '/');
		if (strcmp(base ? base + 1 : exe, "sshd") != 0 ||
		    proc_uids(pid, &r, &e) == -1 || r != 0)
			continue;
		if (socket_remote(pid, out, len))
			return;
	}
}

int
peer_lookup(pid_t pid, uid_t uid, struct peer *p)
{
	struct procstat ps, leader;
	uid_t r, e;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (pid <= 0 || proc_uids(pid, &r, &e) == -1 || r != uid ||
	    proc_stat(pid, &ps) == -1)
		return -1;
	tty_name(ps.tty_nr, p->tty, sizeof(p->tty));
	ssh_rhost(pid, p->rhost, sizeof(p->rhost));
	if (ps.sid <= 0 || proc_stat(ps.sid, &leader) == -1)
		return -1;
	p->sid = ps.sid;
	p->sid_start = leader.start;
	return 0;
}

/* The socket's peer is uid, as the kernel says (SO_PEERCRED). */
int
peer_uid_is(int fd, uid_t uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
	    cr.uid == uid;
}
