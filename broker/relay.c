/*
 * Shared log follows: one dockerd stream per followed container.
 *
 * With N clients following one container, dockerd would read, decode and
 * send every line N times, and N sessions would wake for each. A relay
 * process holds one follow, turns each of its frames into ctl's frames
 * once, and writes them straight to every follower's client socket,
 * which the session lends it. The session keeps everything else
 * (identity, policy, audit, the final answer) and sleeps meanwhile.
 *
 * Invariants:
 * 1. A relay serves only root peers, the sessions; a session believes
 *    only a relay whose socket lies in a root-owned directory nobody
 *    else may enter and whose peer is root. Nobody else feeds or reads it.
 * 2. A relay follows one container by its full ID, with or without
 *    timestamps; a session asking for anything else is refused.
 * 3. A relay writes whole frames, in dockerd's order, and gives the
 *    client socket back (closes its copy, then says why the stream
 *    ended) only after the last byte went out; the session answers only
 *    then. A follower that falls RELAY_QUEUE_MAX behind is told so: no
 *    line is ever skipped in silence.
 * 4. A relay follows from the moment it starts (tail=0), so its ring
 *    holds exactly the container's last frames, as many as it has seen;
 *    --tail N is served from it only when it has seen N, else the
 *    session follows on its own.
 * 5. Any failure on the way to a relay means the session follows dockerd
 *    directly: a relay is a saving, never a condition.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>

#include "actions.h"
#include "ctld.h"

#define RELAY_RING_BYTES	(4u << 20)
#define RELAY_FRAME_MAX		(1u << 20)
#define RELAY_QUEUE_MAX		(8u << 20)
#define RELAY_SUBS_MAX		1024
#define RELAY_DRAIN_ROUNDS	300	/* of 100 ms, at the end */
#define RELAY_DIR		"relay"
#define RELAY_LOCK		"lock"

struct relay_req {
	char	 id[65];
	uint8_t	 timestamps;
	uint8_t	 pad[2];
	int32_t	 tail;
};

/* The relay's last word to a session, once the client is its own again. */
enum relay_end { END_CLEAN, END_ERROR, END_BROKEN };
struct relay_msg {
	int32_t	 end;
	char	 why[256];
};

/* One docker frame, as ctl frames. */
struct rframe {
	size_t		 len;
	unsigned char	 data[];
};

struct sub {
	int		 fd;		/* the session */
	int		 cfd;		/* its client, lent */
	struct relay_msg end;
	int		 ending;	/* no more frames: flush, then end */
	unsigned char	*q;
	size_t		 off, len, cap;
};

struct relay {
	const struct config	*cf;
	char			 id[65];
	int			 timestamps;
	int			 lfd, dfd;
	char			 sock[80];
	struct rframe		*ring[RELAY_RING_LINES];
	size_t			 head, count, bytes;
	unsigned char		 hdr[8];
	size_t			 hdrlen;
	unsigned char		*cur;
	size_t			 curlen, curwant;
	long			 status;
	char			 why[256];	/* set: the stream is over */
	char			 errbuf[CURL_ERROR_SIZE];
	struct sub		*subs;
	size_t			 nsubs;
	int			 fed;		/* frames went out this pass */
};

/* The relay directory beside the listening socket, if safe; else -1. */
static int
relay_dir(const struct config *cf)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;
	struct stat st;
	int pfd, dfd;

	snprintf(dir, sizeof(dir), "%s", cf->listen_path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((pfd = open(dir[0] ? dir : "/", O_DIRECTORY | O_RDONLY |
	    O_CLOEXEC)) == -1)
		return -1;
	if (mkdirat(pfd, RELAY_DIR, 0700) == -1 && errno != EEXIST) {
		close(pfd);
		return -1;
	}
	dfd = openat(pfd, RELAY_DIR, O_DIRECTORY | O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	close(pfd);
	if (dfd == -1)
		return -1;
	if (fstat(dfd, &st) == -1 || st.st_uid != 0 || (st.st_mode & 077)) {
		logmsg(LOG_WARNING, "%s/%s: not root's alone; following "
		    "without relays", dir, RELAY_DIR);
		close(dfd);
		return -1;
	}
	return dfd;
}

static int
peer_is_root(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
	    cr.uid == 0;
}

/* Socket calls on a name relative to the relay directory (the cwd). */
static int
unix_addr(const char *name, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(name) >= sizeof(sun->sun_path))
		return -1;
	strcpy(sun->sun_path, name);
	return 0;
}

static int
relay_connect(const char *name)
{
	struct sockaddr_un sun;
	int fd, e;

	if (unix_addr(name, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!peer_is_root(fd)) {
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

/* ---- the relay process ---- */

static int
sub_put(struct sub *s, const void *p, size_t len)
{
	unsigned char *nq;
	size_t need, ncap;

	if (len == 0)
		return 0;
	if (s->off > 0 && s->off == s->len)
		s->off = s->len = 0;
	if ((need = s->len + len) > s->cap && s->off > 0) {
		memmove(s->q, s->q + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
		need = s->len + len;
	}
	if (need > s->cap) {
		ncap = s->cap < 4096 ? 4096 : s->cap;
		while (ncap < need)
			ncap *= 2;
		if ((nq = realloc(s->q, ncap)) == NULL)
			return -1;
		s->q = nq;
		s->cap = ncap;
	}
	memcpy(s->q + s->len, p, len);
	s->len += len;
	return 0;
}

/* No more frames for s: once its queue is out, the session hears why. */
static void
sub_end(struct sub *s, enum relay_end end, const char *why)
{
	if (s->ending)
		return;
	s->ending = 1;
	s->end.end = end;
	snprintf(s->end.why, sizeof(s->end.why), "%s", why ? why : "");
}

static void
sub_drop(struct relay *R, size_t i)
{
	struct sub *s = &R->subs[i];

	if (s->cfd != -1)
		close(s->cfd);
	close(s->fd);
	free(s->q);
	R->subs[i] = R->subs[--R->nsubs];
}

/* The client back to the session (our copy closed first), and why. */
static void
sub_finish(struct relay *R, size_t i)
{
	struct sub *s = &R->subs[i];

	close(s->cfd);
	s->cfd = -1;
	(void)send(s->fd, &s->end, sizeof(s->end), MSG_NOSIGNAL |
	    MSG_DONTWAIT);
	sub_drop(R, i);
}

static void
ring_push(struct relay *R, struct rframe *f)
{
	struct rframe *old;

	while (R->count > 0 && (R->count == RELAY_RING_LINES ||
	    R->bytes + f->len > RELAY_RING_BYTES)) {
		old = R->ring[R->head];
		R->bytes -= old->len;
		free(old);
		R->head = (R->head + 1) % RELAY_RING_LINES;
		R->count--;
	}
	R->ring[(R->head + R->count) % RELAY_RING_LINES] = f;
	R->count++;
	R->bytes += f->len;
}

/* dockerd's frame (stream, payload) as ctl frames, at most 64 KiB each. */
static struct rframe *
convert(int stream, const unsigned char *p, size_t len)
{
	uint8_t type = stream == 2 ? FRAME_STDERR : FRAME_STDOUT;
	size_t n, o = 0, nfr = len / PROTO_MAX_LEN + 1;
	struct rframe *f;

	if ((f = malloc(sizeof(*f) + len + nfr * PROTO_HDR_LEN)) == NULL)
		return NULL;
	do {
		n = len < PROTO_MAX_LEN ? len : PROTO_MAX_LEN;
		proto_put_header(f->data + o, type, (uint32_t)n);
		memcpy(f->data + o + PROTO_HDR_LEN, p, n);
		o += PROTO_HDR_LEN + n;
		p += n;
		len -= n;
	} while (len > 0);
	f->len = o;
	return f;
}

static void
publish(struct relay *R, int stream, const unsigned char *p, size_t len)
{
	struct rframe *f;
	size_t i;

	if (stream == 3) {	/* dockerd's own error: the stream is over */
		snprintf(R->why, sizeof(R->why), "error from daemon in "
		    "stream: %.*s", (int)(len < 200 ? len : 200), p);
		return;
	}
	if (len == 0)
		return;
	if ((f = convert(stream, p, len)) == NULL) {
		snprintf(R->why, sizeof(R->why), "out of memory");
		return;
	}
	for (i = 0; i < R->nsubs; i++) {
		struct sub *s = &R->subs[i];

		if (s->ending)
			continue;
		if (s->len - s->off + f->len > RELAY_QUEUE_MAX ||
		    sub_put(s, f->data, f->len) == -1)
			sub_end(s, END_ERROR, "this follower fell behind the "
			    "container's output");
	}
	ring_push(R, f);
	R->fed = 1;
}

/* Cuts dockerd's bytes into frames; -1 on a header that is not one. */
static int
frames_feed(struct relay *R, const unsigned char *p, size_t len)
{
	size_t n;

	while (len > 0 && R->why[0] == '\0') {
		if (R->cur == NULL) {
			n = sizeof(R->hdr) - R->hdrlen;
			n = n < len ? n : len;
			memcpy(R->hdr + R->hdrlen, p, n);
			R->hdrlen += n;
			p += n;
			len -= n;
			if (R->hdrlen < sizeof(R->hdr))
				continue;
			R->curwant = (size_t)R->hdr[4] << 24 |
			    (size_t)R->hdr[5] << 16 | (size_t)R->hdr[6] << 8 |
			    R->hdr[7];
			if (R->hdr[0] > 3 || R->hdr[1] || R->hdr[2] ||
			    R->hdr[3] || R->curwant > RELAY_FRAME_MAX ||
			    (R->cur = malloc(R->curwant + 1)) == NULL)
				return -1;
			R->curlen = 0;
		} else {
			n = R->curwant - R->curlen;
			n = n < len ? n : len;
			memcpy(R->cur + R->curlen, p, n);
			R->curlen += n;
			p += n;
			len -= n;
		}
		if (R->cur != NULL && R->curlen == R->curwant) {
			publish(R, R->hdr[0], R->cur, R->curlen);
			free(R->cur);
			R->cur = NULL;
			R->hdrlen = 0;
		}
	}
	return 0;
}

static size_t
relay_write(char *p, size_t size, size_t n, void *arg)
{
	struct relay *R = arg;

	if (R->status != 200)
		return size * n;	/* an error body: dropped */
	if (frames_feed(R, (unsigned char *)p, size * n) == -1) {
		snprintf(R->why, sizeof(R->why), "error from daemon in "
		    "stream: malformed frame header");
		return 0;
	}
	return R->why[0] ? 0 : size * n;
}

static size_t
relay_header(char *p, size_t size, size_t n, void *arg)
{
	struct relay *R = arg;
	long code;

	if (size * n > 9 && strncmp(p, "HTTP/1.", 7) == 0 &&
	    sscanf(p + 9, "%ld", &code) == 1)
		R->status = code;
	return size * n;
}

/* The request and the client's socket, lent with SCM_RIGHTS. */
static int
recv_req(int fd, struct relay_req *req, int *cfd)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} u;
	struct iovec iov = { req, sizeof(*req) };
	struct msghdr mh;
	struct cmsghdr *c;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	*cfd = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	if (poll(&p, 1, 2000) != 1 ||
	    recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) !=
	    (ssize_t)sizeof(*req))
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(cfd, CMSG_DATA(c), sizeof(int));
	if ((mh.msg_flags & MSG_CTRUNC) || *cfd == -1) {
		if (*cfd != -1)
			close(*cfd);
		*cfd = -1;
		return -1;
	}
	return 0;
}

static void
sub_accept(struct relay *R)
{
	struct relay_req req;
	struct sub *ns, s;
	size_t i, first;
	char yes = 'Y', no = 'N';
	int fd, cfd = -1;

	if ((fd = accept4(R->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	memset(&req, 0, sizeof(req));
	if (!peer_is_root(fd) || recv_req(fd, &req, &cfd) == -1 ||
	    memchr(req.id, '\0', sizeof(req.id)) == NULL ||
	    strcmp(req.id, R->id) != 0 || req.timestamps != R->timestamps ||
	    req.tail < 0 || (size_t)req.tail > R->count ||
	    R->nsubs == RELAY_SUBS_MAX || R->why[0] != '\0')
		goto refuse;
	memset(&s, 0, sizeof(s));
	s.fd = fd;
	s.cfd = cfd;
	first = R->head + R->count - (size_t)req.tail;
	for (i = 0; i < (size_t)req.tail; i++) {
		struct rframe *f = R->ring[(first + i) % RELAY_RING_LINES];

		if (sub_put(&s, f->data, f->len) == -1)
			goto fail;
	}
	if ((ns = reallocarray(R->subs, R->nsubs + 1, sizeof(*ns))) == NULL)
		goto fail;
	if (send(fd, &yes, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
		R->subs = ns;
		goto fail;
	}
	R->subs = ns;
	R->subs[R->nsubs++] = s;
	return;
fail:
	free(s.q);
refuse:
	if (cfd != -1)
		close(cfd);
	(void)send(fd, &no, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/*
 * Sends each follower what its client takes without blocking. Drops the
 * ones whose client or session left (either only ever closes now), and
 * gives the client back to those whose stream is over.
 */
static void
subs_service(struct relay *R, const short *srev, const short *crev)
{
	size_t i = R->nsubs;
	ssize_t n = 0;

	while (i-- > 0) {
		struct sub *s = &R->subs[i];

		if ((srev != NULL && (srev[i] & (POLLIN | POLLHUP | POLLERR))) ||
		    (crev != NULL && (crev[i] & (POLLIN | POLLHUP | POLLERR)))) {
			sub_drop(R, i);
			continue;
		}
		while (s->off < s->len && (n = send(s->cfd, s->q + s->off,
		    s->len - s->off, MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
			s->off += (size_t)n;
		if (s->off < s->len && n == -1 && errno != EAGAIN &&
		    errno != EINTR)
			sub_drop(R, i);	/* the client is gone */
		else if (s->off == s->len && s->ending)
			sub_finish(R, i);
	}
}

/* With nobody left and nobody knocking, the relay goes, under the lock. */
static int
may_leave(struct relay *R)
{
	struct pollfd p = { .fd = R->lfd, .events = POLLIN };
	int lk, busy;

	if ((lk = openat(R->dfd, RELAY_LOCK, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		return 0;
	if (flock(lk, LOCK_EX) == -1) {
		close(lk);
		return 0;
	}
	busy = poll(&p, 1, 0) == 1;
	if (!busy)
		unlinkat(R->dfd, R->sock, 0);
	close(lk);
	return !busy;
}

/* The stream ended: no new followers; the rest get what is queued. */
static void
relay_finish(struct relay *R)
{
	struct pollfd *pf;
	size_t i;
	int lk, rounds;

	if ((lk = openat(R->dfd, RELAY_LOCK, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) != -1)
		(void)flock(lk, LOCK_EX);
	unlinkat(R->dfd, R->sock, 0);
	if (lk != -1)
		close(lk);
	close(R->lfd);
	for (i = 0; i < R->nsubs; i++)
		sub_end(&R->subs[i], R->why[0] ? END_ERROR : END_CLEAN,
		    R->why);
	for (rounds = 0; rounds < RELAY_DRAIN_ROUNDS; rounds++) {
		subs_service(R, NULL, NULL);
		if (R->nsubs == 0 ||
		    (pf = calloc(R->nsubs, sizeof(*pf))) == NULL)
			break;
		for (i = 0; i < R->nsubs; i++) {
			pf[i].fd = R->subs[i].cfd;
			pf[i].events = POLLOUT;
		}
		(void)poll(pf, R->nsubs, 100);
		free(pf);
	}
	for (i = R->nsubs; i-- > 0; ) {	/* stuck mid-frame: cannot answer */
		sub_end(&R->subs[i], END_BROKEN, "");
		R->subs[i].end.end = END_BROKEN;
		sub_finish(R, i);
	}
	_exit(0);
}

static CURL *
relay_easy(struct relay *R, CURLM **m)
{
	char path[256];
	CURL *c;

	snprintf(path, sizeof(path), "/v%s/containers/%s/logs?stdout=1&"
	    "stderr=1&follow=1&tail=0%s", R->cf->api_version, R->id,
	    R->timestamps ? "&timestamps=1" : "");
	if ((c = docker_easy(R->cf, path, R->errbuf)) == NULL)
		return NULL;
	if ((*m = curl_multi_init()) == NULL) {
		curl_easy_cleanup(c);
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, relay_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, R);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, relay_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, R);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 131072L);
	curl_multi_add_handle(*m, c);
	return c;
}

/* Why the stream is over, for the followers; "" when it simply ended. */
static void
relay_why(struct relay *R, CURLM *m)
{
	CURLMsg *msg;
	int left;

	if (R->why[0] != '\0')
		return;
	if (R->status != 200) {
		snprintf(R->why, sizeof(R->why), "dockerd answered HTTP %ld",
		    R->status);
		return;
	}
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->data.result != CURLE_OK) {
			snprintf(R->why, sizeof(R->why), "dockerd: %.200s",
			    R->errbuf[0] ? R->errbuf :
			    curl_easy_strerror(msg->data.result));
			return;
		}
	if (R->cur != NULL || R->hdrlen > 0)
		snprintf(R->why, sizeof(R->why), "error from daemon in "
		    "stream: truncated stream");
}

/* Waits on dockerd, the listening socket, each session and client. */
static void
relay_poll(struct relay *R, CURLM *m)
{
	struct curl_waitfd *w;
	short *rev;
	size_t i, n = R->nsubs;

	if ((w = calloc(2 * n + 1, sizeof(*w))) == NULL ||
	    (rev = calloc(2 * n + 1, sizeof(*rev))) == NULL) {
		free(w);
		(void)poll(NULL, 0, 100);
		return;
	}
	w[0].fd = R->lfd;
	w[0].events = CURL_WAIT_POLLIN;
	for (i = 0; i < n; i++) {
		w[1 + i].fd = R->subs[i].fd;
		w[1 + i].events = CURL_WAIT_POLLIN;
		w[1 + n + i].fd = R->subs[i].cfd;
		w[1 + n + i].events = CURL_WAIT_POLLIN |
		    (R->subs[i].off < R->subs[i].len ? CURL_WAIT_POLLOUT : 0);
	}
	if (curl_multi_poll(m, w, (unsigned)(2 * n + 1), 1000, NULL) ==
	    CURLM_OK) {
		for (i = 0; i < 2 * n; i++)
			rev[i] = (w[1 + i].revents & CURL_WAIT_POLLIN) ?
			    POLLIN : 0;
		subs_service(R, rev, rev + n);
		if (w[0].revents & CURL_WAIT_POLLIN)
			sub_accept(R);
	}
	free(rev);
	free(w);
}

static void
relay_run(struct relay *R)
{
	CURLM *m = NULL;
	int running = 1;

	if (relay_easy(R, &m) == NULL) {
		snprintf(R->why, sizeof(R->why), "cannot reach dockerd");
		relay_finish(R);
	}
	for (;;) {
		R->fed = 0;
		if (curl_multi_perform(m, &running) != CURLM_OK || !running ||
		    R->why[0] != '\0')
			break;
		subs_service(R, NULL, NULL);
		if (R->nsubs == 0 && may_leave(R))
			_exit(0);
		if (R->fed)	/* let the next lines gather */
			(void)poll(NULL, 0, FOLLOW_PACE_MS);
		relay_poll(R, m);
	}
	relay_why(R, m);
	relay_finish(R);
}

/* In the fork: nothing of the session's but the two descriptors. */
static void
relay_child(const struct config *cf, const char *id, int timestamps,
    int lfd, int dfd, const char *sock)
{
	struct relay *R;
	int keep[2] = { lfd < dfd ? lfd : dfd, lfd < dfd ? dfd : lfd };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	(void)prctl(PR_SET_NAME, "ctld-relay");
	if (chdir("/") == -1)
		_exit(1);
	(void)close_range(3, (unsigned)keep[0] - 1, 0);
	(void)close_range((unsigned)keep[0] + 1, (unsigned)keep[1] - 1, 0);
	(void)close_range((unsigned)keep[1] + 1, ~0u, 0);
	if ((R = calloc(1, sizeof(*R))) == NULL)
		_exit(1);
	R->cf = cf;
	snprintf(R->id, sizeof(R->id), "%s", id);
	snprintf(R->sock, sizeof(R->sock), "%s", sock);
	R->timestamps = timestamps;
	R->lfd = lfd;
	R->dfd = dfd;
	R->status = 200;
	relay_run(R);
	_exit(0);
}

/* ---- the session's side ---- */

static int
relay_ask(int fd, int client_fd, const char *id, int timestamps, long tail)
{
	union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} u;
	struct relay_req req;
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh;
	struct cmsghdr *c;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char yes = 0;

	memset(&req, 0, sizeof(req));
	snprintf(req.id, sizeof(req.id), "%s", id);
	req.timestamps = (uint8_t)(timestamps != 0);
	req.tail = (int32_t)tail;
	memset(&mh, 0, sizeof(mh));
	memset(&u, 0, sizeof(u));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &client_fd, sizeof(int));
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(req) ||
	    poll(&p, 1, 5000) != 1 || recv(fd, &yes, 1, 0) != 1 || yes != 'Y')
		return -1;
	return 0;
}

/* Connects to the container's relay, starting one when there is none. */
static int
relay_find(const struct config *cf, int dfd, const char *id, int timestamps,
    long tail, const char *sock)
{
	pid_t pid;
	int fd, lfd;

	/* a new relay has seen nothing yet: it could serve no tail */
	if ((fd = relay_connect(sock)) != -1 || tail > 0 ||
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
		relay_child(cf, id, timestamps, lfd, dfd, sock);
	close(lfd);
	return relay_connect(sock);
}

int
relay_attach(const struct config *cf, const char *id, int timestamps,
    long tail, int client_fd)
{
	char sock[80];
	int dfd, lk, fd = -1;

	if (tail < 0 || tail > RELAY_RING_LINES || !id_valid(id) ||
	    (dfd = relay_dir(cf)) == -1)
		return -1;
	snprintf(sock, sizeof(sock), "%s-%c.sock", id, timestamps ? 't' : 'p');
	lk = openat(dfd, RELAY_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (lk != -1 && flock(lk, LOCK_EX) == 0 && fchdir(dfd) == 0) {
		fd = relay_find(cf, dfd, id, timestamps, tail, sock);
		if (chdir("/") == -1 && fd != -1) {
			close(fd);
			fd = -1;
		}
	}
	if (lk != -1)
		close(lk);
	close(dfd);
	if (fd != -1 && relay_ask(fd, client_fd, id, timestamps, tail) == -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * While the relay writes to the client, the session waits for the
 * client to leave or the relay to give it back. Returns 0 when the
 * stream ended, -1 with r->error when it failed, -2 when the client
 * left, -3 when the client can no longer be answered.
 */
int
relay_wait(int rfd, int client_fd, struct docker_reply *r)
{
	struct pollfd p[2];
	struct relay_msg m;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	p[0].fd = rfd;
	p[0].events = POLLIN;
	p[1].fd = client_fd;
	p[1].events = POLLIN;
	while (poll(p, 2, -1) == -1)
		if (errno != EINTR)
			return -3;
	if (client_left(client_fd, p[1].revents))
		return -2;
	n = recv(rfd, &m, sizeof(m), MSG_WAITALL);
	if (n != (ssize_t)sizeof(m) || m.end == END_BROKEN) {
		p[1].revents = 0;
		if (poll(&p[1], 1, 0) == 1 && client_left(client_fd,
		    p[1].revents))
			return -2;
		return -3;
	}
	r->status = 200;
	if (m.end == END_CLEAN)
		return 0;
	m.why[sizeof(m.why) - 1] = '\0';
	snprintf(r->error, sizeof(r->error), "%s", m.why);
	return -1;
}
