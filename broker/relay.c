/*
 * A session's side of a shared follow: it finds the container's relay
 * or starts one (relayd.c), asks it, lends it the client, and waits
 * until the relay gives the client back.
 *
 * Invariants:
 * 1. A session believes only a relay whose socket lies in a directory
 *    of the relay uid (root) that nobody else may enter, and whose peer
 *    is that uid.
 * 2. The session lends its client only after the relay said yes, and
 *    from then on never writes to it until the relay gives it back (or
 *    the client left); a "no", a silence, any failure before the yes,
 *    or the relay's word that it never took the client, means the
 *    session reads from dockerd itself.
 * 5. The relay learns the follower's uid from its session alone, to
 *    count the uid's cuts (relayd.c, invariant 5).
 * 3. Nobody waits on anybody while holding the lock: connects are
 *    non-blocking and the lock is only tried, for a little while.
 * 4. A relay is started only for a follow of new lines (no tail): a new
 *    relay has seen nothing it could serve a tail from.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "clientfd.h"
#include "ctld.h"
#include "fdpass.h"
#include "names.h"
#include "relay.h"
#include "relaymsg.h"

/* dir/name, made root's alone if missing and checked so; else -1. */
static int
safe_subdir(int pfd, const char *name, const char *what, uid_t uid)
{
	struct stat st;
	int dfd;

	if (mkdirat(pfd, name, 0700) == -1 && errno != EEXIST)
		return -1;
	dfd = openat(pfd, name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (dfd == -1)
		return -1;
	if (fstat(dfd, &st) == -1 || st.st_uid != uid || (st.st_mode & 077)) {
		logmsg(LOG_WARNING, "%s/%s: not root's alone; following "
		    "without relays", what, name);
		close(dfd);
		return -1;
	}
	return dfd;
}

/*
 * The relay directory of the engine, beside the listening socket, if
 * safe; else -1. Relays are keyed by engine and ID: each engine has a
 * directory of its own (its name is of the engine grammar).
 */
static int
relay_dir(const struct relay_env *env)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;
	int pfd, dfd, efd;

	snprintf(dir, sizeof(dir), "%s", env->listen_path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((pfd = open(dir[0] ? dir : "/", O_DIRECTORY | O_RDONLY |
	    O_CLOEXEC)) == -1)
		return -1;
	dfd = safe_subdir(pfd, RELAY_DIR, dir, env->uid);
	close(pfd);
	if (dfd == -1)
		return -1;
	efd = safe_subdir(dfd, env->eng->name, RELAY_DIR, env->uid);
	close(dfd);
	return efd;
}

/* Socket calls on a name relative to the relay directory (the cwd). */
static int
unix_addr(const char *name, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	return snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", name) <
	    (int)sizeof(sun->sun_path) ? 0 : -1;
}

/* Never waits: a relay too busy to take a connection is no relay. */
static int
relay_connect(const char *name, uid_t uid)
{
	struct sockaddr_un sun;
	int fd, e;

	if (unix_addr(name, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!peer_uid_is(fd, uid) || fcntl(fd, F_SETFL, 0) == -1) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static int
relay_listen(const char *name)
{
	struct sockaddr_un sun;
	int fd;

	if (unix_addr(name, &sun) == -1)
		return -1;
	if ((unlink(name) == -1 && errno != ENOENT) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 64) == -1) {
		close(fd);
		unlink(name);
		return -1;
	}
	return fd;
}


/* The request, before the lock goes: the relay finds it waiting. */
static int
relay_request(int fd, const char *id, int timestamps, long tail, uid_t uid)
{
	struct relay_req req;

	memset(&req, 0, sizeof(req));
	snprintf(req.id, sizeof(req.id), "%s", id);
	req.timestamps = (uint8_t)(timestamps != 0);
	req.tail = (int32_t)tail;
	req.uid = (uint32_t)uid;
	return send(fd, &req, sizeof(req), MSG_NOSIGNAL) ==
	    (ssize_t)sizeof(req) ? 0 : -1;
}

/* After the relay's yes, and only then, the client goes over. */
static int
relay_lend(int fd, int client_fd)
{
	char byte = 'C';

	return fdpass_send(fd, &byte, 1, &client_fd, 1, MSG_NOSIGNAL) == 1 ?
	    0 : -1;
}

/* Connects to the container's relay, starting one when there is none. */
static int
relay_find(const struct relay_env *env, int dfd, int lk, const char *id,
    int timestamps, long tail, const char *sock)
{
	pid_t pid;
	int fd, lfd;

	/* a new relay has seen nothing yet: it could serve no tail */
	if ((fd = relay_connect(sock, env->uid)) != -1 || tail > 0 ||
	    (errno != ENOENT && errno != ECONNREFUSED))
		return fd;
	if ((lfd = relay_listen(sock)) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(lfd);
		unlink(sock);
		return -1;
	}
	if (pid == 0)
		relayd_main(env, id, timestamps, lfd, dfd, lk, sock);
	close(lfd);
	return relay_connect(sock, env->uid);
}

/* The lock, tried for a little while: its holders never wait on anyone. */
static int
relay_lock(int dfd)
{
	int lk, i;

	if ((lk = openat(dfd, RELAY_LOCK, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		return -1;
	for (i = 0; i < 50; i++) {
		if (flock(lk, LOCK_EX | LOCK_NB) == 0)
			return lk;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		(void)poll(NULL, 0, 10);
	}
	close(lk);
	return -1;
}

/*
 * Lends client_fd to the container's relay, for the follower uid.
 * Returns the connection to wait on with relay_wait, the client then
 * being the relay's; or -1, the client still the caller's alone, to
 * read dockerd itself (*slow set: the relay refused uid for its cuts).
 */
int
relay_attach(const struct relay_env *env, const char *id, int timestamps,
    long tail, uid_t uid, int client_fd, int *slow)
{
	struct pollfd p;
	char sock[80], yes = 0;
	int dfd, lk, fd = -1;

	*slow = 0;
	if (tail < 0 || tail > RELAY_RING_LINES || !id_valid(id) ||
	    (dfd = relay_dir(env)) == -1)
		return -1;
	snprintf(sock, sizeof(sock), "%s-%c.sock", id, timestamps ? 't' : 'p');
	if ((lk = relay_lock(dfd)) != -1 && fchdir(dfd) == 0) {
		fd = relay_find(env, dfd, lk, id, timestamps, tail, sock);
		if (fd != -1 && relay_request(fd, id, timestamps, tail, uid) == -1) {
			close(fd);
			fd = -1;
		}
		if (chdir("/") == -1 && fd != -1) {
			close(fd);
			fd = -1;
		}
	}
	if (lk != -1)
		close(lk);
	close(dfd);
	if (fd == -1)
		return -1;
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, RELAY_HANDSHAKE_MS) != 1 ||
	    recv(fd, &yes, 1, MSG_DONTWAIT) != 1 || yes != RELAY_YES ||
	    relay_lend(fd, client_fd) == -1) {
		*slow = yes == RELAY_SLOW;
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * While the relay writes to the client, the session waits for the
 * client to leave or the relay to give it back; a signal that wake
 * (the mask ppoll runs under) lets through ends the wait.
 */
enum relayed
relay_wait(int rfd, int client_fd, char *why, size_t whylen,
    const sigset_t *wake)
{
	struct pollfd p[2];
	struct relay_msg m;
	ssize_t n;

	why[0] = '\0';
	p[0].fd = rfd;
	p[0].events = POLLIN;
	p[1].fd = client_fd;
	p[1].events = POLLIN;
	while (ppoll(p, 2, NULL, wake) == -1)
		if (errno != EINTR)
			return RELAYED_LOST;
		else if (wake != NULL)
			return RELAYED_WOKEN;
	if (client_left(client_fd, p[1].revents))
		return RELAYED_LEFT;
	n = recv(rfd, &m, sizeof(m), MSG_WAITALL);
	if (n != (ssize_t)sizeof(m) || m.end == END_BROKEN) {
		p[1].revents = 0;
		if (poll(&p[1], 1, 0) == 1 && client_left(client_fd,
		    p[1].revents))
			return RELAYED_LEFT;
		return RELAYED_LOST;
	}
	if (m.end == END_UNSERVED)
		return RELAYED_UNSERVED;
	if (m.end == END_CLEAN)
		return RELAYED_ENDED;
	if (m.end == END_RETURNED)
		return RELAYED_RETURNED;
	m.why[sizeof(m.why) - 1] = '\0';
	snprintf(why, whylen, "%s", m.why);
	if (m.end == END_CUT)
		return RELAYED_CUT;
	if (m.end == END_CUT_BROKEN)
		return RELAYED_CUT_LOST;
	return RELAYED_FAILED;
}

/*
 * Asks the relay for the client back at once (the follow must end):
 * relay_wait then hears the relay's last word as for any end.
 */
int
relay_return(int rfd)
{
	char c = RELAY_RETURN;

	return send(rfd, &c, 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}
