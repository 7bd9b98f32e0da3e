/*
 * The relay process (ctld-relay): one dockerd follow shared by the
 * container's followers.
 *
 * With N clients following one container, dockerd would read, decode and
 * send every line N times, and N sessions would wake for each. A relay
 * process holds one follow, turns each of its frames into ctl's frames
 * once, and writes them straight to every follower's client socket,
 * which the session lends it (relay.c). The session, or the follow
 * keeper it hands the follow to (keeper.c), keeps everything else
 * (identity, policy, audit, the final answer) and sleeps meanwhile.
 *
 * Invariants:
 * 1. A relay serves only peers of its own uid (root), the sessions:
 *    nobody else feeds or reads it.
 * 2. A relay follows one container by its full ID, with or without
 *    timestamps; a session asking for anything else is refused.
 * 3. A relay writes whole frames, in dockerd's order, and gives the
 *    client socket back (closes its copy, then says why the stream
 *    ended) only after the last byte went out: no line is ever skipped
 *    in silence.
 * 4. One follower never holds up another: the relay stops reading
 *    dockerd only while every live follower has RELAY_QUEUE_BEHIND
 *    queued (plain backpressure from all its readers). A follower
 *    whose queue would pass RELAY_QUEUE_MAX is cut at once: the frames
 *    it has not begun are dropped, it is told why, and the others go
 *    on.
 * 5. A uid whose followers were cut RELAY_CUTS_MAX times within
 *    RELAY_CUTS_WINDOW_MS hears RELAY_SLOW: it reads dockerd itself, in
 *    a session of its own, where a stalled client stalls only itself.
 * 6. A relay says yes only once dockerd has answered it 200, and to a
 *    tail that leaves room in the follower's queue; a session whose
 *    client it never took hears END_UNSERVED.
 * 7. A relay never blocks on a session or a client, and leaving takes
 *    no lock: it only tries it.
 * 8. A relay follows from the moment it starts (tail=0), so its ring
 *    holds exactly the container's last frames, as many as it has seen;
 *    --tail N is served from it only when it has seen N.
 * 9. A session may ask for its client back (RELAY_RETURN: the follow was
 *    revoked): it gets it after the frame on its way, nothing more.
 * 10. A relay holds nothing of the session that forked it but the
 *    listening socket and the relay directory.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "clientfd.h"
#include "ctld.h"
#include "engine.h"
#include "relayd.h"
#include "relaymsg.h"
#include "stream.h"

#define RELAY_RING_BYTES	(4u << 20)
#define RELAY_FRAME_MAX		(1u << 20)
#define RELAY_QUEUE_MAX		(1u << 20)	/* a follower's queue; past it: cut */
#define RELAY_QUEUE_BEHIND	(256u << 10)	/* all this far behind: dockerd waits */
#define RELAY_CUTS_MAX		3	/* cuts of one uid's followers ... */
#define RELAY_CUTS_WINDOW_MS	600000	/* ... within this: RELAY_SLOW */
#define RELAY_CUTS_UIDS		64	/* uids remembered */
#define RELAY_SUBS_MAX		1024
#define RELAY_ENDING_MS		30000	/* to take what is queued, at the end */

/* One docker frame, as ctl frames. */
struct rframe {
	size_t		 len;
	unsigned char	 data[];
};

enum sub_state { WANT_REQ, WANT_CLIENT, LIVE };

struct sub {
	int		 fd;		/* the session */
	int		 cfd;		/* its client, lent; -1 until LIVE */
	uid_t		 uid;		/* the follower's, from its session */
	enum sub_state	 state;
	long long	 deadline;	/* ms: to finish the handshake, or to end */
	struct relay_msg end;
	int		 ending;	/* no more frames: flush, then end */
	unsigned char	*q;
	size_t		 off, len, cap;
	size_t		 fend;		/* where the frame at off ends */
};

/* A uid's followers cut for falling behind, since a moment. */
struct cuts {
	uid_t		 uid;
	int		 n;
	long long	 since;		/* ms; 0: a free slot */
};

struct relay {
	const struct engine	*eng;
	uid_t			 uid;		/* whom it serves: root */
	struct engine_follow	*f;
	char			 id[65];
	int			 timestamps;
	int			 lfd, dfd;
	char			 sock[80];
	struct rframe		*ring[RELAY_RING_LINES];
	size_t			 head, count, bytes;
	struct demux		 dm;
	unsigned char		*cur;		/* the frame being gathered */
	size_t			 curlen, curcap;
	char			 why[256];	/* set: the stream is over */
	struct sub		*subs;
	size_t			 nsubs, maxsubs;
	long long		 accept_after;	/* ms: out of descriptors */
	int			 fed;		/* frames went out this pass */
	int			 paused;	/* all are behind: dockerd waits */
	struct cuts		 cuts[RELAY_CUTS_UIDS];
};

/* No more frames for s: once its queue is out, the session hears why. */
static void
sub_end(struct sub *s, enum relay_end end, const char *why)
{
	if (s->ending)
		return;
	s->ending = 1;
	s->deadline = now_ms() + RELAY_ENDING_MS;
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

/*
 * The client back to the session (our copy closed first), and why. A
 * session whose client we never took hears END_UNSERVED (its client, if
 * in flight, goes with our end of the socket) and reads dockerd itself;
 * one still asking hears nothing, which means the same.
 */
static void
sub_finish(struct relay *R, size_t i)
{
	struct sub *s = &R->subs[i];

	if (s->cfd != -1)
		close(s->cfd);
	s->cfd = -1;
	if (s->state == WANT_CLIENT)
		s->end.end = END_UNSERVED;	/* nothing written: no loss */
	if (s->state != WANT_REQ)
		(void)send(s->fd, &s->end, sizeof(s->end), MSG_NOSIGNAL |
		    MSG_DONTWAIT);
	sub_drop(R, i);
}

/* The queue holds whole frames: fend follows off from frame to frame. */
static void
sub_frame_end(struct sub *s)
{
	const unsigned char *h;

	while (s->fend < s->off) {
		h = s->q + s->fend;
		s->fend += PROTO_HDR_LEN + ((size_t)h[1] << 24 |
		    (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4]);
	}
}

/* What went out leaves the queue. */
static void
sub_compact(struct sub *s)
{
	sub_frame_end(s);
	memmove(s->q, s->q + s->off, s->len - s->off);
	s->len -= s->off;
	s->fend -= s->off;
	s->off = 0;
}

static int
sub_put(struct sub *s, const void *p, size_t len)
{
	unsigned char *nq;
	size_t need, ncap;

	if (len == 0)
		return 0;
	if (s->off > 0 && s->off == s->len)
		s->off = s->len = s->fend = 0;
	if ((need = s->len + len) > s->cap && s->off > 0) {
		sub_compact(s);
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

/* The uid's entry: its own, else a free or expired one, else the oldest. */
static struct cuts *
cuts_of(struct relay *R, uid_t uid, long long now)
{
	struct cuts *c, *pick = &R->cuts[0];

	for (c = R->cuts; c < R->cuts + RELAY_CUTS_UIDS; c++) {
		if (c->since != 0 && c->uid == uid)
			return c;
		if (pick->since != 0 && (c->since == 0 ||
		    now - c->since > RELAY_CUTS_WINDOW_MS ||
		    c->since < pick->since))
			pick = c;
	}
	memset(pick, 0, sizeof(*pick));
	pick->uid = uid;
	return pick;
}

/* Cut this often of late, the uid's follows go to dockerd (invariant 5). */
static int
too_slow(struct relay *R, uid_t uid)
{
	long long now = now_ms();
	size_t i;

	for (i = 0; i < RELAY_CUTS_UIDS; i++)
		if (R->cuts[i].since != 0 && R->cuts[i].uid == uid)
			return R->cuts[i].n >= RELAY_CUTS_MAX &&
			    now - R->cuts[i].since <= RELAY_CUTS_WINDOW_MS;
	return 0;
}

/* Only the rest of the frame on its way stays queued. */
static void
sub_trim(struct sub *s)
{
	unsigned char *nq;

	sub_frame_end(s);
	s->len = s->fend;
	sub_compact(s);
	if (s->cap > 4096 && (nq = realloc(s->q, s->len > 0 ? s->len :
	    1)) != NULL) {
		s->q = nq;
		s->cap = s->len > 0 ? s->len : 1;
	}
}

/*
 * A follower whose queue would pass RELAY_QUEUE_MAX: the frame on its
 * way still goes, the ones not begun are dropped (a gap-free prefix,
 * then the session tells why), and its uid's cut is counted.
 */
static void
sub_cut(struct relay *R, struct sub *s)
{
	long long now = now_ms();
	struct cuts *c;

	sub_trim(s);
	if (s->state == LIVE) {	/* not one still being handed over */
		c = cuts_of(R, s->uid, now);
		if (c->since == 0 || now - c->since > RELAY_CUTS_WINDOW_MS) {
			c->since = now;
			c->n = 0;
		}
		c->n++;
	}
	sub_end(s, END_CUT, "this follower fell behind the container's "
	    "output");
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

		if (s->ending || s->state == WANT_REQ)
			continue;
		if (s->len - s->off + f->len > RELAY_QUEUE_MAX ||
		    sub_put(s, f->data, f->len) == -1)
			sub_cut(R, s);
	}
	ring_push(R, f);
	R->fed = 1;
}

/*
 * demux_feed's out: the pieces of one frame gathered, then published
 * whole. stream.c checks every header; the frame ends when the piece
 * covers what is left of it.
 */
static int
frame_piece(void *arg, int stream, const unsigned char *p, size_t len)
{
	struct relay *R = arg;
	unsigned char *nc;

	if (R->why[0] != '\0' || R->curlen + len > RELAY_FRAME_MAX)
		return -1;
	if (R->curlen + len > R->curcap) {
		if ((nc = realloc(R->cur, R->curlen + len)) == NULL)
			return -1;
		R->cur = nc;
		R->curcap = R->curlen + len;
	}
	memcpy(R->cur + R->curlen, p, len);
	R->curlen += len;
	if (R->dm.left == len) {
		publish(R, stream, R->cur, R->curlen);
		R->curlen = 0;
	}
	return 0;
}

/*
 * Every live follower has RELAY_QUEUE_BEHIND queued: dockerd must wait
 * (invariant 4). One that is not behind keeps the stream going, and a
 * follower that stopped reading then fills its queue and is cut.
 */
static int
all_behind(const struct relay *R)
{
	size_t i, live = 0;

	for (i = 0; i < R->nsubs; i++) {
		if (R->subs[i].state != LIVE || R->subs[i].ending)
			continue;
		if (R->subs[i].len - R->subs[i].off <= RELAY_QUEUE_BEHIND)
			return 0;
		live++;
	}
	return live > 0;
}

/* Some client has not taken all: no pause for lines to gather. */
static int
backlog(const struct relay *R)
{
	size_t i;

	for (i = 0; i < R->nsubs; i++)
		if (R->subs[i].state == LIVE && R->subs[i].off < R->subs[i].len)
			return 1;
	return 0;
}

/* dockerd's bytes; while every follower is behind, dockerd must wait. */
static enum engine_take
relay_feed(void *arg, const unsigned char *p, size_t len)
{
	struct relay *R = arg;

	if (all_behind(R)) {
		R->paused = 1;
		return ENGINE_TAKE_PAUSE;
	}
	if (demux_feed(&R->dm, p, len, frame_piece, R) == -1) {
		if (R->why[0] == '\0')
			snprintf(R->why, sizeof(R->why), "error from daemon "
			    "in stream: malformed frame header");
		return ENGINE_TAKE_STOP;
	}
	return R->why[0] ? ENGINE_TAKE_STOP : ENGINE_TAKE_ALL;
}

/* The lent client: one descriptor, any other one closed. */
static int
recv_client(int fd)
{
	union {
		char		buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr	align;
	} u;
	char byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh;
	struct cmsghdr *c;
	int fds[4], got = -1, n, k;
	ssize_t r;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	for (c = r < 0 ? NULL : CMSG_FIRSTHDR(&mh); c != NULL;
	    c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), (size_t)n * sizeof(int));
		for (k = 0; k < n; k++)
			if (got == -1)
				got = fds[k];
			else
				close(fds[k]);
	}
	if (r == 1 && !(mh.msg_flags & MSG_CTRUNC) && got != -1)
		return got;
	if (got != -1)
		close(got);
	return -1;
}

/* The request: this relay's container, and a tail the ring holds. */
static int
take_req(struct relay *R, struct sub *s)
{
	struct relay_req req;
	char yes = RELAY_YES;
	size_t i, first, bytes;

	memset(&req, 0, sizeof(req));
	if (recv(s->fd, &req, sizeof(req), MSG_DONTWAIT) != (ssize_t)sizeof(req) ||
	    memchr(req.id, '\0', sizeof(req.id)) == NULL ||
	    strcmp(req.id, R->id) != 0 || req.timestamps != R->timestamps ||
	    req.tail < 0 || (size_t)req.tail > R->count || R->why[0] != '\0')
		return -1;
	s->uid = (uid_t)req.uid;
	if (too_slow(R, s->uid))
		return -2;
	first = R->head + R->count - (size_t)req.tail;
	for (i = 0, bytes = 0; i < (size_t)req.tail; i++)
		bytes += R->ring[(first + i) % RELAY_RING_LINES]->len;
	if (bytes > RELAY_QUEUE_MAX / 2)	/* room for the lines to come */
		return -1;
	for (i = 0; i < (size_t)req.tail; i++)
		if (sub_put(s, R->ring[(first + i) % RELAY_RING_LINES]->data,
		    R->ring[(first + i) % RELAY_RING_LINES]->len) == -1)
			return -1;
	if (send(s->fd, &yes, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
		return -1;
	s->state = WANT_CLIENT;
	s->deadline = now_ms() + RELAY_HANDSHAKE_MS;
	return 0;
}

/* A session spoke: its request, its client, or (once live) its leaving. */
static void
sub_readable(struct relay *R, size_t i)
{
	struct sub *s = &R->subs[i];
	char no;
	int rc;

	switch (s->state) {
	case WANT_REQ:
		if ((rc = take_req(R, s)) == 0)
			return;
		no = rc == -2 ? RELAY_SLOW : RELAY_NO;
		(void)send(s->fd, &no, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	case WANT_CLIENT:
		if ((s->cfd = recv_client(s->fd)) != -1) {
			s->state = LIVE;
			return;
		}
		sub_finish(R, i);	/* unserved: the session reads dockerd */
		return;
	case LIVE:	/* its session wants the client back, or left */
		if (recv(s->fd, &no, 1, MSG_DONTWAIT) == 1 &&
		    no == RELAY_RETURN) {
			if (!s->ending) {	/* else its end is on the way */
				sub_trim(s);
				sub_end(s, END_RETURNED, "");
			}
			return;
		}
		break;
	}
	sub_drop(R, i);
}

/* Takes every waiting session that is root, as far as room allows. */
static void
subs_accept(struct relay *R)
{
	struct sub *ns;
	int fd;

	while ((fd = accept4(R->lfd, NULL, NULL, SOCK_CLOEXEC |
	    SOCK_NONBLOCK)) != -1) {
		if (!peer_uid_is(fd, R->uid) || R->nsubs >= R->maxsubs ||
		    (ns = reallocarray(R->subs, R->nsubs + 1,
		    sizeof(*ns))) == NULL) {
			close(fd);
			continue;
		}
		R->subs = ns;
		memset(&ns[R->nsubs], 0, sizeof(*ns));
		ns[R->nsubs].fd = fd;
		ns[R->nsubs].cfd = -1;
		ns[R->nsubs].state = WANT_REQ;
		ns[R->nsubs].deadline = now_ms() + RELAY_HANDSHAKE_MS;
		R->nsubs++;
	}
	if (errno == EMFILE || errno == ENFILE)	/* let them fall back */
		R->accept_after = now_ms() + 1000;
}

/*
 * Sends each live follower what its client takes without blocking;
 * drops the ones whose session or client left (either only ever closes
 * now); gives the client back to those whose stream is over, or cuts
 * them off when they would not take the rest in time.
 */
static void
subs_service(struct relay *R, const short *srev, const short *crev)
{
	long long now = now_ms();
	size_t i = R->nsubs;
	ssize_t n = 0;

	while (i-- > 0) {
		struct sub *s = &R->subs[i];

		if (srev != NULL && (srev[i] & (POLLIN | POLLHUP | POLLERR))) {
			sub_readable(R, i);
			continue;
		}
		if (crev != NULL && (crev[i] & (POLLIN | POLLHUP | POLLERR))) {
			sub_drop(R, i);
			continue;
		}
		if (s->state != LIVE) {
			if (s->ending || now >= s->deadline)
				sub_finish(R, i);
			continue;
		}
		while (s->off < s->len && (n = send(s->cfd, s->q + s->off,
		    s->len - s->off, MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
			s->off += (size_t)n;
		if (s->off < s->len && n == -1 && errno != EAGAIN &&
		    errno != EINTR)
			sub_drop(R, i);	/* the client is gone */
		else if (s->ending && (s->off == s->len || now >= s->deadline)) {
			if (s->off < s->len)
				s->end.end = s->end.end == END_CUT ?
				    END_CUT_BROKEN : END_BROKEN;
			sub_finish(R, i);
		}
	}
}

/* With nobody left and nobody knocking, the relay goes; never waits. */
static int
may_leave(struct relay *R)
{
	struct pollfd p = { .fd = R->lfd, .events = POLLIN };
	int lk, gone = 0;

	if ((lk = openat(R->dfd, RELAY_LOCK, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		return 0;
	if (flock(lk, LOCK_EX | LOCK_NB) == 0 && poll(&p, 1, 0) == 0) {
		unlinkat(R->dfd, R->sock, 0);
		gone = 1;
	}
	close(lk);
	return gone;
}

/*
 * The stream ended: no new followers (the name goes first, so nobody can
 * find us, then the socket; a session's connect then fails and it reads
 * dockerd itself); the rest get what is queued, within RELAY_ENDING_MS.
 */
static void
relay_finish(struct relay *R)
{
	struct pollfd *pf;
	size_t i;

	unlinkat(R->dfd, R->sock, 0);
	close(R->lfd);
	for (i = 0; i < R->nsubs; i++)
		sub_end(&R->subs[i], R->why[0] ? END_ERROR : END_CLEAN,
		    R->why);
	while (R->nsubs > 0) {
		subs_service(R, NULL, NULL);
		if (R->nsubs == 0 ||
		    (pf = calloc(R->nsubs, sizeof(*pf))) == NULL)
			break;
		for (i = 0; i < R->nsubs; i++) {
			pf[i].fd = R->subs[i].cfd != -1 ? R->subs[i].cfd :
			    R->subs[i].fd;
			pf[i].events = POLLOUT;
		}
		(void)poll(pf, R->nsubs, 100);
		free(pf);
	}
	_exit(0);
}

/* Why the stream is over, for the followers; "" when it simply ended. */
static void
relay_why(struct relay *R)
{
	const char *err;

	if (R->why[0] != '\0')
		return;
	if (engine_follow_status(R->f) != 200) {
		snprintf(R->why, sizeof(R->why), "dockerd answered HTTP %ld",
		    engine_follow_status(R->f));
		return;
	}
	if ((err = engine_follow_error(R->f)) != NULL) {
		snprintf(R->why, sizeof(R->why), "dockerd: %.200s", err);
		return;
	}
	if (!demux_done(&R->dm) || R->curlen > 0)
		snprintf(R->why, sizeof(R->why), "error from daemon in "
		    "stream: truncated stream");
}

/* Waits on dockerd, the listening socket, each session and client. */
static void
relay_poll(struct relay *R)
{
	struct pollfd *w;
	short *rev;
	size_t i, n = R->nsubs;
	int listening = now_ms() >= R->accept_after;

	if ((w = calloc(2 * n + 1, sizeof(*w))) == NULL ||
	    (rev = calloc(2 * n + 1, sizeof(*rev))) == NULL) {
		free(w);
		(void)poll(NULL, 0, 100);
		return;
	}
	w[0].fd = R->lfd;
	w[0].events = listening ? POLLIN : 0;
	for (i = 0; i < n; i++) {
		w[1 + i].fd = R->subs[i].fd;
		w[1 + i].events = (short)(R->subs[i].state != WANT_REQ ||
		    engine_follow_ready(R->f) ? POLLIN : 0);
		w[1 + n + i].fd = R->subs[i].cfd != -1 ? R->subs[i].cfd :
		    R->subs[i].fd;
		w[1 + n + i].events = (short)(R->subs[i].cfd == -1 ? 0 :
		    POLLIN | (R->subs[i].off < R->subs[i].len ? POLLOUT : 0));
	}
	if (engine_follow_wait(R->f, w, 2 * n + 1, listening ? 1000 : 100) ==
	    0) {
		for (i = 0; i < 2 * n; i++)
			rev[i] = (w[1 + i].revents & POLLIN) ? POLLIN : 0;
		subs_service(R, rev, rev + n);
		if (w[0].revents & POLLIN)
			subs_accept(R);
	} else
		(void)poll(NULL, 0, 100);
	free(rev);
	free(w);
}

/* dockerd waits while every follower is behind; once one is not, on. */
static void
resume(struct relay *R)
{
	if (!all_behind(R)) {
		R->paused = 0;
		engine_follow_resume(R->f);
	}
}

static void
relay_run(struct relay *R)
{
	if ((R->f = engine_follow(R->eng, R->id, R->timestamps, relay_feed,
	    R)) == NULL) {
		snprintf(R->why, sizeof(R->why), "cannot reach dockerd");
		relay_finish(R);
	}
	for (;;) {
		R->fed = 0;
		if (!engine_follow_step(R->f) || R->why[0] != '\0')
			break;
		subs_service(R, NULL, NULL);
		if (R->nsubs == 0 && may_leave(R))
			_exit(0);
		if (R->paused)
			resume(R);
		else if (R->fed && !backlog(R))	/* let the next lines gather */
			(void)poll(NULL, 0, FOLLOW_PACE_MS);
		relay_poll(R);
	}
	relay_why(R);
	relay_finish(R);
}

/* Closes every descriptor but keep[0..1]; -1 if one may have stayed. */
static int
close_others(const int keep[2])
{
	struct rlimit rl;
	int fd, lo = keep[0] < keep[1] ? keep[0] : keep[1];
	int hi = keep[0] < keep[1] ? keep[1] : keep[0];

	if ((lo <= 3 || close_range(3, (unsigned)lo - 1, 0) == 0) &&
	    (hi <= lo + 1 || close_range((unsigned)lo + 1, (unsigned)hi - 1,
	    0) == 0) && close_range((unsigned)hi + 1, ~0u, 0) == 0)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur > 1u << 20)
		return -1;
	for (fd = 3; fd < (int)rl.rlim_cur; fd++)
		if (fd != lo && fd != hi)
			(void)close(fd);
	return 0;
}

/*
 * In the fork: nothing of the session's but the listening socket and
 * the directory. The session's lock goes first: it is the same open
 * file as the session's, and kept here it would be held for ever.
 */
void
relayd_main(const struct relay_env *env, const char *id, int timestamps,
    int lfd, int dfd, int lk, const char *sock)
{
	struct relay *R;
	struct rlimit rl;
	int keep[2] = { lfd, dfd };
	sigset_t none;

	close(lk);
	closelog();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGUSR1, SIG_IGN);	/* the sessions' reload word */
	(void)prctl(PR_SET_NAME, "ctld-relay");
	if (chdir("/") == -1 || close_others(keep) == -1 ||
	    fcntl(lfd, F_SETFL, O_NONBLOCK) == -1)
		_exit(1);
	if ((R = calloc(1, sizeof(*R))) == NULL)
		_exit(1);
	R->eng = env->eng;
	R->uid = env->uid;
	snprintf(R->id, sizeof(R->id), "%s", id);
	snprintf(R->sock, sizeof(R->sock), "%s", sock);
	R->timestamps = timestamps;
	R->lfd = lfd;
	R->dfd = dfd;
	demux_init(&R->dm);
	R->maxsubs = RELAY_SUBS_MAX;
	/* the descriptor limit is the service's (LimitNOFILE=), not ours */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2 *
	    RELAY_SUBS_MAX + 64)	/* a session and a client each */
		R->maxsubs = rl.rlim_cur > 64 ? (rl.rlim_cur - 32) / 2 : 1;
	relay_run(R);
	_exit(0);
}
