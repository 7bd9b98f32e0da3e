/*
 * The follow keeper: one process, forked by the main process, that holds
 * every follow a session lent to a relay, so that the session can end.
 *
 * A session sleeping beside its relay costs some 300 KiB of its own
 * (PAM, jansson, curl and its stack); a thousand followers would cost
 * ctld 300 MiB for nothing but waiting. Once a relay holds its client
 * (relay.c), a session sends the keeper the relay connection, the
 * client's socket and what the follow's end needs (who, the name, the
 * container, the record so far) and ends. The keeper then does what the
 * session would have done (logs.c, followend.c): it waits for the
 * relay's last word or the client leaving, decides the follow again
 * after a reload (revoke.c), answers the client and writes the record.
 *
 * Invariants:
 * 1. Only ctld's own processes hold the socket follows arrive on: the
 *    main process makes it before it forks a session, and relays close
 *    every descriptor they did not make. What arrives is trusted as a
 *    session's memory is.
 * 2. A session hands a follow over only once the relay holds its
 *    client, and from then on neither writes to the client nor audits;
 *    the keeper answers and audits each follow exactly once.
 * 3. The keeper never waits on one client: the answer goes out as far
 *    as the socket takes it, the rest when the client reads, for
 *    KEEPER_ANSWER_MS at most.
 * 4. Every follow held is decided again after each reload, and one
 *    decided under a configuration older than the keeper's when it
 *    arrives is decided again at once: none escapes a reload in flight.
 * 5. The main process counts the follows held here as sessions, per
 *    uid (limits.max_clients, limits.max_per_user): the session
 *    reserves the count before it hands over, the keeper frees it when
 *    the follow ends, and a new keeper starts from zero. Until the main
 *    process reaps the session, the follow is counted once, as the
 *    session, not also as the keeper's. A table that
 *    cannot be read counts as full: nobody but root is let in.
 * 6. The keeper holds an audit file that was moved away or removed
 *    (logrotate) for KEEPER_AUDIT_MS at most, and writes every record to
 *    the file of the configured name as it is then.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "followend.h"
#include "keeper.h"
#include "names.h"
#include "proto.h"
#include "relay.h"
#include "revoke.h"
#include "shmtable.h"

#define KEEPER_UIDS		1024	/* uids with follows held at once */
#define KEEPER_ANSWER_MS	10000	/* a client's time to take its answer */
#define KEEPER_DRAIN_MS		200	/* then to close: see session.c drain */
#define KEEPER_DRAIN_MAX	65536
#define KEEPER_HANDOFF_MS	1000	/* a session's wait for room to hand */
#define KEEPER_RESTART_SEC	10	/* a keeper that died is started again
					 * this often at most */
#define KEEPER_AUDIT_MS		2000	/* an audit file moved away (logrotate)
					 * is let go of this soon at most */

/* Shared with the sessions; behind its mutex (shmtable.c). */
struct kept {
	pthread_mutex_t	mu;
	uint32_t	gen;		/* reloads in force */
	uint32_t	capacity;	/* follows the keeper can hold */
	uint32_t	total;
	struct {
		uint32_t uid;
		uint32_t n;		/* 0: a free entry */
	} uids[KEEPER_UIDS];
	struct {			/* sessions that reserved and are not
					 * reaped yet: counted once, not twice */
		pid_t	 pid;		/* 0: a free entry */
		uint32_t uid;
	} handing[KEEPER_UIDS];
};

/* A session's word with its two descriptors (relay, client). */
struct keeper_msg {
	uint32_t	gen;		/* of the configuration it decided on */
	uint32_t	uid, gid;
	int32_t		pid;
	int32_t		session;	/* the session's pid: handing[] */
	int64_t		start_sec, start_nsec;
	char		user[256];
	char		engine[65];
	char		name[129];
	char		id[ID_LEN + 1];
	char		reason[200];
};

enum fstate {
	F_WAIT,		/* the relay holds the client */
	F_ANSWER,	/* the answer is going out */
	F_DRAIN,	/* answered: what the client still sends is read */
};

struct follow {
	enum fstate		 state;
	int			 rfd, cfd;
	int			 revoked;
	pid_t			 session;	/* that handed it over */
	struct identity		 who;
	char			 engine[65];
	char			 name[129];
	const struct engine	*eng;		/* in the keeper's config */
	struct audit_rec	 audit;
	unsigned char		*out;
	size_t			 outlen, outoff, drained;
	long long		 deadline;
};

struct keeper {
	struct config	 *cf;
	int		  sock;
	uint32_t	  seen_gen;	/* the reload its config reflects */
	struct follow	**f;
	size_t		  n, max;
	struct pollfd	 *pf;
	size_t		  npf;
	sigset_t	  waitmask;
};

static struct kept *kept;
static int send_fd = -1;	/* the sessions' end */
static pid_t keeper_pid = -1;
static time_t keeper_started;
static uint32_t forked_gen;	/* main: kept->gen; a session: its own */
static volatile sig_atomic_t reloaded;
static struct request scratch;	/* the follow's request, as decide_again
				 * and followend.c read it */

/* The uid's entry in the table, made when add; NULL if none (full). */
static uint32_t *
uid_slot(uid_t uid, int add)
{
	size_t i, free_at = KEEPER_UIDS;

	for (i = 0; i < KEEPER_UIDS; i++) {
		if (kept->uids[i].n > 0 && kept->uids[i].uid == uid)
			return &kept->uids[i].n;
		if (kept->uids[i].n == 0 && free_at == KEEPER_UIDS)
			free_at = i;
	}
	if (!add || free_at == KEEPER_UIDS)
		return NULL;
	kept->uids[free_at].uid = uid;
	return &kept->uids[free_at].n;
}

/* The handing entry of pid (0: a free one); NULL if none. */
static size_t
handing_slot(pid_t pid)
{
	size_t i;

	for (i = 0; i < KEEPER_UIDS; i++)
		if (kept->handing[i].pid == pid)
			return i;
	return KEEPER_UIDS;
}

/*
 * Session: room for one more follow of uid, counted, and this session
 * marked as handing it over until it is reaped; -1: none.
 */
static int
reserve(uid_t uid)
{
	uint32_t *n;
	size_t h;
	int rc = -1;

	if (kept == NULL || shmtable_lock(&kept->mu) == -1)
		return -1;
	if (kept->total < kept->capacity && (h = handing_slot(0)) <
	    KEEPER_UIDS && (n = uid_slot(uid, 1)) != NULL) {
		(*n)++;
		kept->total++;
		kept->handing[h].pid = getpid();
		kept->handing[h].uid = (uint32_t)uid;
		rc = 0;
	}
	pthread_mutex_unlock(&kept->mu);
	return rc;
}

/*
 * The follow of uid ended (keeper), or was never handed (its session):
 * the session that handed it, if not reaped yet, counts as itself alone.
 */
static void
unreserve(uid_t uid, pid_t handing)
{
	uint32_t *n;
	size_t h;

	if (kept == NULL || shmtable_lock(&kept->mu) == -1)
		return;
	if ((n = uid_slot(uid, 0)) != NULL)
		(*n)--;
	if (kept->total > 0)
		kept->total--;
	if (handing != 0 && (h = handing_slot(handing)) < KEEPER_UIDS &&
	    kept->handing[h].uid == (uint32_t)uid)
		kept->handing[h].pid = 0;
	pthread_mutex_unlock(&kept->mu);
}

/* Main process: session pid is reaped; its follow counts as the keeper's. */
void
keeper_session_reaped(pid_t pid)
{
	size_t h;

	if (kept == NULL || pid <= 0 || shmtable_lock(&kept->mu) == -1)
		return;
	if ((h = handing_slot(pid)) < KEEPER_UIDS)
		kept->handing[h].pid = 0;
	pthread_mutex_unlock(&kept->mu);
}

/* Follows of uid (all: -1) whose session is still counted as one. */
static size_t
handing_of(long uid)
{
	size_t i, n = 0;

	for (i = 0; i < KEEPER_UIDS; i++)
		n += kept->handing[i].pid != 0 && (uid == -1 ||
		    kept->handing[i].uid == (uint32_t)uid);
	return n;
}

/* Invariant 5: past any limit (at most 100000) when it cannot be read. */
#define KEEPER_UNKNOWN	((size_t)1 << 30)

size_t
keeper_total(void)
{
	size_t n, h;

	if (kept == NULL)
		return 0;
	if (shmtable_lock(&kept->mu) != 0)
		return KEEPER_UNKNOWN;
	h = handing_of(-1);
	n = kept->total > h ? kept->total - h : 0;
	pthread_mutex_unlock(&kept->mu);
	return n;
}

size_t
keeper_count(uid_t uid)
{
	uint32_t *p;
	size_t n = 0, h;

	if (kept == NULL)
		return 0;
	if (shmtable_lock(&kept->mu) != 0)
		return KEEPER_UNKNOWN;
	if ((p = uid_slot(uid, 0)) != NULL && *p > (h = handing_of((long)uid)))
		n = *p - h;
	pthread_mutex_unlock(&kept->mu);
	return n;
}

size_t
keeper_list(struct kept_count *out, size_t max)
{
	size_t i, n = 0;

	if (kept == NULL || shmtable_lock(&kept->mu) != 0)
		return 0;
	for (i = 0; i < KEEPER_UIDS && n < max; i++)
		if (kept->uids[i].n > 0) {
			out[n].uid = kept->uids[i].uid;
			out[n++].n = kept->uids[i].n;
		}
	pthread_mutex_unlock(&kept->mu);
	return n;
}

/* ---- the session's side ---- */

static int
send_follow(const struct keeper_msg *m, int rfd, int cfd)
{
	struct pollfd p = { send_fd, POLLOUT, 0 };
	int fds[2] = { rfd, cfd };
	ssize_t n;

	n = fdpass_send(send_fd, m, sizeof(*m), fds, 2, MSG_NOSIGNAL |
	    MSG_DONTWAIT);
	if (n == -1 && errno == EAGAIN && poll(&p, 1, KEEPER_HANDOFF_MS) == 1)
		n = fdpass_send(send_fd, m, sizeof(*m), fds, 2, MSG_NOSIGNAL |
		    MSG_DONTWAIT);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

int
keeper_adopt(struct ctx *x, int rfd)
{
	struct keeper_msg m;

	if (send_fd == -1 || x->who->user == NULL || reserve(x->who->uid) == -1)
		return -1;
	memset(&m, 0, sizeof(m));
	m.gen = forked_gen;
	m.uid = (uint32_t)x->who->uid;
	m.gid = (uint32_t)x->who->gid;
	m.pid = (int32_t)x->who->pid;
	m.session = (int32_t)getpid();
	m.start_sec = x->audit->start.tv_sec;
	m.start_nsec = x->audit->start.tv_nsec;
	snprintf(m.user, sizeof(m.user), "%s", x->who->user);
	snprintf(m.engine, sizeof(m.engine), "%s", x->eng->name);
	snprintf(m.name, sizeof(m.name), "%s", x->req->name);
	snprintf(m.id, sizeof(m.id), "%s", x->t.id);
	snprintf(m.reason, sizeof(m.reason), "%s", x->audit->reason);
	if (strlen(x->who->user) >= sizeof(m.user) ||
	    send_follow(&m, rfd, x->fd) == -1) {
		unreserve(x->who->uid, getpid());
		return -1;
	}
	return 0;
}

/* ---- the keeper ---- */

static void
on_reload(int sig)
{
	(void)sig;
	reloaded = 1;
}

/* What the session's handlers would see of the follow f. */
static void
ctx_of(struct keeper *K, struct follow *f, struct ctx *x)
{
	memset(x, 0, sizeof(*x));
	snprintf(scratch.name, sizeof(scratch.name), "%s", f->name);
	snprintf(scratch.engine, sizeof(scratch.engine), "%s", f->engine);
	x->cf = K->cf;
	x->eng = f->eng;
	x->who = &f->who;
	x->req = &scratch;
	x->fd = f->cfd;
	x->t.eng = f->eng;
	snprintf(x->t.id, sizeof(x->t.id), "%s", f->audit.id);
	x->audit = &f->audit;
}

static void
revoke_follow(struct follow *f, const char *why)
{
	if (why != NULL) {
		f->audit.allow = 0;
		snprintf(f->audit.reason, sizeof(f->audit.reason), "revoked on "
		    "reload: %.150s", why);
	}
	f->revoked = 1;
	(void)relay_return(f->rfd);
}

/* f decided again on cf (the keeper's, or the one coming in force). */
static void
decide(struct keeper *K, struct follow *f, const struct config *cf)
{
	struct ctx x;

	if (f->eng == NULL) {
		revoke_follow(f, "its engine is no longer configured");
		return;
	}
	ctx_of(K, f, &x);
	if (revoke_decide(&x, cf))
		revoke_follow(f, NULL);
}

/* After a reload: every follow decided again on the new configuration. */
static void
recheck_all(struct keeper *K)
{
	struct config *ncf;
	char err[512];
	size_t i;
	uint32_t gen = K->seen_gen;

	if (shmtable_lock(&kept->mu) == 0) {
		gen = kept->gen;
		pthread_mutex_unlock(&kept->mu);
	}
	if ((ncf = config_load(K->cf->path, 1, err, sizeof(err))) == NULL) {
		logmsg(LOG_WARNING, "keeper: follows not decided again after "
		    "the reload: %s", err);
		return;
	}
	if (auditlog_open(ncf, err, sizeof(err)) == -1)
		logmsg(LOG_ERR, "keeper: audit: %s", err);
	for (i = 0; i < K->n; i++)
		if (K->f[i]->state == F_WAIT && !K->f[i]->revoked)
			decide(K, K->f[i], ncf);
	for (i = 0; i < K->n; i++)
		K->f[i]->eng = config_engine(ncf, K->f[i]->engine);
	config_free(K->cf);
	K->cf = ncf;
	K->seen_gen = gen;
}

static void
follow_free(struct keeper *K, size_t i)
{
	struct follow *f = K->f[i];

	if (f->rfd != -1)
		close(f->rfd);
	if (f->cfd != -1)
		close(f->cfd);
	free(f->out);
	free(f->who.user);
	unreserve(f->who.uid, f->session);
	free(f);
	K->f[i] = K->f[--K->n];
}

/* The done frame, laid out; -1: nothing can be said. */
static int
render(struct follow *f, const struct outcome *o)
{
	json_t *j;
	char *s;
	size_t len;

	if ((j = outcome_json(o)) == NULL)
		return -1;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s == NULL || (len = strlen(s)) > PROTO_MAX_LEN ||
	    (f->out = malloc(PROTO_HDR_LEN + len)) == NULL) {
		free(s);
		return -1;
	}
	proto_put_header(f->out, FRAME_DONE, (uint32_t)len);
	memcpy(f->out + PROTO_HDR_LEN, s, len);
	free(s);
	f->outlen = PROTO_HDR_LEN + len;
	f->outoff = 0;
	return 0;
}

/* The relay's last word (or the client gone): the record, the answer. */
static void
ended(struct keeper *K, struct follow *f)
{
	struct ctx x;
	enum relayed rc;
	char why[256];

	rc = relay_wait(f->rfd, f->cfd, why, sizeof(why), NULL);
	close(f->rfd);
	f->rfd = -1;
	ctx_of(K, f, &x);
	if (rc == RELAYED_UNSERVED && !f->revoked) {
		/* a session would read dockerd itself; here nobody can */
		set_out(&x, EXIT_FAIL, "the log stream could not be relayed: "
		    "try again");
		f->audit.via = "relay";
		f->audit.result = "relay failed";
	} else
		follow_relayed(&x, rc, why, f->revoked);
	f->audit.exit = x.out.exit;
	auditlog_refresh(0);
	auditlog_write(K->cf, &f->audit);
	if (x.out.exit >= 0 && render(f, &x.out) == 0) {
		f->state = F_ANSWER;
		f->deadline = now_ms() + KEEPER_ANSWER_MS;
	} else {
		close(f->cfd);
		f->cfd = -1;
	}
	json_decref(x.out.data);
}

/* As far as the client takes it; then closes as session.c does. */
static void
answer(struct follow *f)
{
	ssize_t n;

	n = send(f->cfd, f->out + f->outoff, f->outlen - f->outoff,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n > 0)
		f->outoff += (size_t)n;
	else if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(f->cfd);
		f->cfd = -1;
		return;
	}
	if (f->outoff < f->outlen)
		return;
	shutdown(f->cfd, SHUT_WR);
	f->state = F_DRAIN;
	f->deadline = now_ms() + KEEPER_DRAIN_MS;
}

static void
drain(struct follow *f)
{
	unsigned char buf[4096];
	ssize_t n;

	while ((n = recv(f->cfd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if ((f->drained += (size_t)n) >= KEEPER_DRAIN_MAX)
			break;
	if (n == -1 && (errno == EAGAIN || errno == EINTR) &&
	    f->drained < KEEPER_DRAIN_MAX)
		return;
	close(f->cfd);
	f->cfd = -1;
}

/*
 * A follow from a session: 1; 0 none waiting; -1 one came incomplete
 * (its descriptors closed); -2 the main process is gone.
 */
static int
receive(struct keeper *K, struct keeper_msg *m, int fds[2])
{
	union {
		char		buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr	align;
	} u;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;
	int got = 0;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	n = recvmsg(K->sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == 0)
		return -2;
	if (n == -1)
		return errno == EINTR ? -1 : 0;
	c = CMSG_FIRSTHDR(&mh);
	if (c != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS) {
		got = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), (size_t)(got < 2 ? got : 2) *
		    sizeof(int));
	}
	if (n == (ssize_t)sizeof(*m) && got == 2 &&
	    !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return 1;
	logmsg(LOG_ERR, "keeper: a follow arrived incomplete (%zd bytes, "
	    "%d descriptors%s): it ends unanswered", n, got,
	    mh.msg_flags & MSG_CTRUNC ? ", descriptor limit?" : "");
	while (got-- > 0)
		close(fds[got]);
	if (n == (ssize_t)sizeof(*m))
		unreserve(m->uid, m->session);
	return -1;
}

static int
adopt(struct keeper *K, const struct keeper_msg *m, const int fds[2])
{
	struct follow *f, **nf;

	if (K->n == K->max) {
		nf = reallocarray(K->f, K->max * 2 + 64, sizeof(*nf));
		if (nf == NULL)
			return -1;
		K->f = nf;
		K->max = K->max * 2 + 64;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->who.user = strndup(m->user, sizeof(m->user) - 1)) == NULL) {
		free(f);
		return -1;
	}
	f->rfd = fds[0];
	f->cfd = fds[1];
	f->who.uid = m->uid;
	f->who.gid = m->gid;
	f->who.pid = m->pid;
	f->session = m->session;
	snprintf(f->engine, sizeof(f->engine), "%.64s", m->engine);
	snprintf(f->name, sizeof(f->name), "%.128s", m->name);
	f->eng = config_engine(K->cf, f->engine);
	f->audit.who = &f->who;
	f->audit.verb = scratch.verb->name;
	snprintf(f->audit.name, sizeof(f->audit.name), "%s", f->name);
	f->audit.engine = f->engine;
	snprintf(f->audit.id, sizeof(f->audit.id), "%.64s", m->id);
	f->audit.allow = 1;
	snprintf(f->audit.reason, sizeof(f->audit.reason), "%.199s",
	    m->reason);
	f->audit.start.tv_sec = (time_t)m->start_sec;
	f->audit.start.tv_nsec = (long)m->start_nsec;
	K->f[K->n++] = f;
	/* decided before a reload this keeper has already applied */
	if ((int32_t)(m->gen - K->seen_gen) < 0 || f->eng == NULL)
		decide(K, f, K->cf);
	return 0;
}

static void
take_follows(struct keeper *K)
{
	struct keeper_msg m;
	int fds[2], rc;

	while ((rc = receive(K, &m, fds)) != 0) {
		if (rc == -2) {		/* the main process is gone */
			close(K->sock);
			K->sock = -1;
			return;
		}
		if (rc == 1 && adopt(K, &m, fds) == -1) {
			logmsg(LOG_ERR, "keeper: out of memory: a follow of "
			    "uid %u ends unanswered", (unsigned)m.uid);
			close(fds[0]);
			close(fds[1]);
			unreserve(m.uid, m.session);
		}
	}
}

/* pf[0] the sessions' socket; then each follow's one or two. */
static int
poll_set(struct keeper *K, long long *first)
{
	struct pollfd *p;
	struct follow *f;
	size_t i, k = 1;

	if (K->npf < 2 * K->n + 1) {
		p = reallocarray(K->pf, 2 * K->n + 64, sizeof(*p));
		if (p == NULL)
			return -1;
		K->pf = p;
		K->npf = 2 * K->n + 64;
	}
	K->pf[0].fd = K->sock;
	K->pf[0].events = POLLIN;
	*first = -1;
	for (i = 0; i < K->n; i++, k += 2) {
		f = K->f[i];
		K->pf[k].fd = f->state == F_WAIT ? f->rfd : -1;
		K->pf[k].events = POLLIN;
		K->pf[k + 1].fd = f->cfd;
		K->pf[k + 1].events = f->state == F_ANSWER ? POLLOUT : POLLIN;
		if (f->state != F_WAIT && (*first == -1 || f->deadline < *first))
			*first = f->deadline;
	}
	return 0;
}

static void
step(struct keeper *K, size_t i, const struct pollfd *p)
{
	struct follow *f = K->f[i];

	if (f->state == F_WAIT && (p[0].revents || p[1].revents))
		ended(K, f);
	else if (f->state == F_ANSWER && (p[1].revents || f->deadline <=
	    now_ms()))
		answer(f);
	else if (f->state == F_DRAIN && p[1].revents)
		drain(f);
	if (f->cfd != -1 && f->state != F_WAIT && f->deadline <= now_ms()) {
		close(f->cfd);	/* the client never took its answer */
		f->cfd = -1;
	}
	if (f->cfd == -1)
		follow_free(K, i);
}

static void
keeper_loop(struct keeper *K)
{
	struct timespec ts;
	long long first, ms;
	size_t i, n;
	int rc;

	while (K->sock != -1 || K->n > 0) {
		if (poll_set(K, &first) == -1) {
			logmsg(LOG_ERR, "keeper: out of memory");
			(void)poll(NULL, 0, 100);
			continue;
		}
		ms = KEEPER_AUDIT_MS;
		if (first != -1 && first - now_ms() < ms)
			ms = first - now_ms() < 0 ? 0 : first - now_ms();
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		n = K->n;
		rc = ppoll(K->pf, 2 * n + 1, &ts, &K->waitmask);
		/* holding a rotated file would keep logrotate from it */
		auditlog_refresh(0);
		if (rc == -1 && errno != EINTR) {
			logmsg(LOG_ERR, "keeper: ppoll: %s", strerror(errno));
			(void)poll(NULL, 0, 100);
			continue;
		}
		if (reloaded) {
			reloaded = 0;
			recheck_all(K);
		}
		for (i = n; i-- > 0; )	/* a follow freed takes the last's place */
			step(K, i, &K->pf[2 * i + 1]);
		if (rc > 0 && (K->pf[0].revents & (POLLIN | POLLHUP)))
			take_follows(K);
	}
	_exit(0);
}

/*
 * As many follows as descriptors allow, two each: the limit is the
 * service's (LimitNOFILE=), not ours to raise (the unit's system call
 * filter forbids it).
 */
static uint32_t
capacity(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	if (rl.rlim_cur > (1u << 20))
		rl.rlim_cur = 1u << 20;
	return rl.rlim_cur > 64 ? (uint32_t)(rl.rlim_cur - 32) / 2 : 0;
}

static void __attribute__((noreturn))
keeper_main(const struct config *cf, int sock)
{
	struct keeper K;
	struct sigaction sa;
	sigset_t mask;
	uint32_t cap;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_reload;
	sigemptyset(&sa.sa_mask);
	sigaction(REVOKE_SIGNAL, &sa, NULL);
	signal(SIGHUP, SIG_IGN);	/* reloads come as REVOKE_SIGNAL */
	sigemptyset(&mask);
	sigaddset(&mask, REVOKE_SIGNAL);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	(void)prctl(PR_SET_NAME, "ctld-keeper");
	memset(&K, 0, sizeof(K));
	sigemptyset(&K.waitmask);
	K.cf = (struct config *)cf;	/* the keeper's own copy, since fork */
	K.sock = sock;
	K.seen_gen = forked_gen;
	scratch.verb = verb_find("logs");
	scratch.follow = 1;
	cap = capacity();
	if (shmtable_lock(&kept->mu) == 0) {
		kept->capacity = cap;
		pthread_mutex_unlock(&kept->mu);
	}
	keeper_loop(&K);
	_exit(0);
}

/* ---- the main process's side ---- */

int
keeper_start(const struct config *cf, int lfd)
{
	int sv[2];
	pid_t pid;

	if (kept == NULL && (kept = shmtable_map(sizeof(*kept))) == NULL)
		return -1;
	keeper_started = time(NULL);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if (shmtable_lock(&kept->mu) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	kept->capacity = 0;	/* until the new keeper says */
	kept->total = 0;
	memset(kept->uids, 0, sizeof(kept->uids));
	memset(kept->handing, 0, sizeof(kept->handing));
	pthread_mutex_unlock(&kept->mu);
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[1]);
		if (send_fd != -1)
			close(send_fd);
		close(lfd);
		keeper_main(cf, sv[0]);
	}
	close(sv[0]);
	if (send_fd != -1)
		close(send_fd);
	send_fd = sv[1];
	keeper_pid = pid;
	return 0;
}

int
keeper_reaped(pid_t pid)
{
	if (pid != keeper_pid || pid == -1)
		return 0;
	keeper_pid = -1;
	if (send_fd != -1)
		close(send_fd);
	send_fd = -1;	/* sessions keep their follows until another */
	return 1;
}

/* Main process: whether it is time to start a keeper that died. */
int
keeper_due(void)
{
	return kept != NULL && keeper_pid == -1 &&
	    time(NULL) - keeper_started >= KEEPER_RESTART_SEC;
}

void
keeper_reloaded(void)
{
	if (kept != NULL && shmtable_lock(&kept->mu) == 0) {
		forked_gen = ++kept->gen;
		pthread_mutex_unlock(&kept->mu);
	}
	if (keeper_pid != -1)
		(void)kill(keeper_pid, REVOKE_SIGNAL);
}
