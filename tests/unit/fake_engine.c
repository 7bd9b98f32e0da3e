/* A fake Docker Engine API for unit tests; see fake_engine.h. */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_engine.h"

#define MAXREPLIES	64
#define MAXLOG		1024
#define MAXHEAD		65536

struct fake_engine {
	char		 dir[64];
	char		 path[108];
	int		 lfd;
	int		 stop[2];
	pthread_t	 thr;
	pthread_mutex_t	 mu;
	pthread_cond_t	 idle;
	int		 busy;		/* connection threads alive */
	int		 released;	/* ticking answers end */
	pthread_cond_t	 rel;
	struct fe_reply	 replies[MAXREPLIES];
	int		 used[MAXREPLIES];
	size_t		 nreplies;
	char		*log[MAXLOG];
	char		*bodies[MAXLOG];
	size_t		 nlog;
};

static void
die(const char *what)
{
	fprintf(stderr, "fake engine: %s: %s\n", what, strerror(errno));
	abort();
}

static int
put(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0 && (n = send(fd, p, len, MSG_NOSIGNAL)) > 0) {
		p += n;
		len -= (size_t)n;
	}
	return len == 0 ? 0 : -1;
}

/* Reads until the end of the headers; returns their length, or -1. */
static ssize_t
read_head(int fd, char *buf, size_t size, size_t *have)
{
	char *end;
	ssize_t n;

	*have = 0;
	while (*have < size - 1) {
		if ((n = recv(fd, buf + *have, size - 1 - *have, 0)) <= 0)
			return -1;
		*have += (size_t)n;
		buf[*have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			return end + 4 - buf;
	}
	return -1;
}

static size_t
content_length(const char *head)
{
	const char *p = strcasestr(head, "\r\ncontent-length:");

	return p != NULL ? strtoul(p + 17, NULL, 10) : 0;
}

static char *
read_body(int fd, const char *head, size_t headlen, char *buf, size_t have)
{
	size_t want = content_length(head), got = have - headlen;
	char *body;
	ssize_t n;

	if (strcasestr(head, "\r\nexpect: 100-continue") != NULL && got < want)
		put(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	if ((body = malloc(want + 1)) == NULL)
		die("malloc");
	memcpy(body, buf + headlen, got < want ? got : want);
	while (got < want) {
		if ((n = recv(fd, body + got, want - got, 0)) <= 0)
			break;
		got += (size_t)n;
	}
	body[got < want ? got : want] = '\0';
	return body;
}

/* The first reply for "METHOD /path?query", counted; NULL: none. */
static struct fe_reply *
match(struct fake_engine *fe, const char *method, const char *target)
{
	char path[4096];
	struct fe_reply *r;
	size_t i;

	snprintf(path, sizeof(path), "%.*s", (int)strcspn(target, "?"),
	    target);
	for (i = 0; i < fe->nreplies; i++) {
		r = &fe->replies[i];
		if (r->method != NULL && strcmp(r->method, method) != 0)
			continue;
		if (fnmatch(r->path, path, 0) != 0)
			continue;
		if (r->times > 0 && fe->used[i] >= r->times)
			continue;
		fe->used[i]++;
		return r;
	}
	return NULL;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 500: return "Internal Server Error";
	default: return "Status";
	}
}

/* r->tick every r->tick_ms until fe_release, or the client leaves. */
static void
ticks(struct fake_engine *fe, int fd, const struct fe_reply *r)
{
	struct timespec ts;

	pthread_mutex_lock(&fe->mu);
	while (!fe->released) {
		pthread_mutex_unlock(&fe->mu);
		if (put(fd, r->tick, r->ticklen) == -1)
			return;
		pthread_mutex_lock(&fe->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += r->tick_ms * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		if (!fe->released)
			pthread_cond_timedwait(&fe->rel, &fe->mu, &ts);
	}
	pthread_mutex_unlock(&fe->mu);
}

static void
answer(struct fake_engine *fe, int fd, const struct fe_reply *r)
{
	char head[512];
	const char *body = r->body != NULL ? r->body : "";
	int n;

	if (r->delay_ms > 0) {
		struct timespec ts = { r->delay_ms / 1000,
		    (r->delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	if (r->raw != NULL) {
		if (put(fd, r->raw, r->rawlen) == 0 && r->tick != NULL)
			ticks(fe, fd, r);
		return;
	}
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nApi-Version: 1.41"
	    "\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", r->status, reason(r->status),
	    r->ctype != NULL ? r->ctype : "application/json", strlen(body));
	put(fd, head, (size_t)n);
	if (r->status != 204 && r->status != 304)
		put(fd, body, strlen(body));
}

struct conn {
	struct fake_engine *fe;
	int		 fd;
	struct fe_reply	 reply;
};

/* Reads and logs a request; conn's reply is what it is answered. */
static void
take(struct conn *c)
{
	static const struct fe_reply none = { .path = "*", .status = 404,
	    .body = "{\"message\":\"fake engine: no reply for this "
	    "request\"}" };
	struct fake_engine *fe = c->fe;
	char *buf, method[16], target[4096], *body;
	const struct fe_reply *r;
	ssize_t headlen;
	size_t have;

	memset(&c->reply, 0, sizeof(c->reply));
	if ((buf = malloc(MAXHEAD)) == NULL)
		die("malloc");
	headlen = read_head(c->fd, buf, MAXHEAD, &have);
	if (headlen > 0 && sscanf(buf, "%15s %4095s", method, target) == 2) {
		body = read_body(c->fd, buf, (size_t)headlen, buf, have);
		pthread_mutex_lock(&fe->mu);
		if (fe->nlog < MAXLOG) {
			if (asprintf(&fe->log[fe->nlog], "%s %s", method,
			    target) == -1)
				die("asprintf");
			fe->bodies[fe->nlog++] = body;
		} else
			free(body);
		r = match(fe, method, target);
		c->reply = r != NULL ? *r : none;
		pthread_mutex_unlock(&fe->mu);
	}
	free(buf);
}

/* Answers (nothing if the request was unreadable), closes, forgets. */
static void *
finish(void *arg)
{
	struct conn *c = arg;
	struct fake_engine *fe = c->fe;

	if (c->reply.path != NULL)
		answer(fe, c->fd, &c->reply);
	shutdown(c->fd, SHUT_WR);
	close(c->fd);
	pthread_mutex_lock(&fe->mu);
	fe->busy--;
	pthread_cond_broadcast(&fe->idle);
	pthread_mutex_unlock(&fe->mu);
	free(c);
	return NULL;
}

/*
 * Each request is read here, in turn; an answer that takes time (a
 * delay, ticks) gets a thread of its own, any other is given at once:
 * a thread per connection would cost more than most answers.
 */
static void *
accept_loop(void *arg)
{
	struct fake_engine *fe = arg;
	struct pollfd p[2] = { { fe->lfd, POLLIN, 0 }, { fe->stop[0], POLLIN,
	    0 } };
	struct conn *c;
	pthread_t t;
	int fd;

	for (;;) {
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[1].revents != 0)
			return NULL;
		if ((fd = accept(fe->lfd, NULL, NULL)) == -1)
			continue;
		if ((c = malloc(sizeof(*c))) == NULL)
			die("malloc");
		c->fe = fe;
		c->fd = fd;
		pthread_mutex_lock(&fe->mu);
		fe->busy++;
		pthread_mutex_unlock(&fe->mu);
		take(c);
		if (c->reply.delay_ms == 0 && c->reply.tick == NULL) {
			finish(c);
			continue;
		}
		if (pthread_create(&t, NULL, finish, c) != 0)
			die("pthread_create");
		pthread_detach(t);
	}
}

struct fake_engine *
fe_start(void)
{
	struct fake_engine *fe;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if ((fe = calloc(1, sizeof(*fe))) == NULL)
		die("calloc");
	snprintf(fe->dir, sizeof(fe->dir), "/tmp/fake-engine-XXXXXX");
	if (mkdtemp(fe->dir) == NULL)
		die("mkdtemp");
	snprintf(fe->path, sizeof(fe->path), "%s/docker.sock", fe->dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fe->path);
	if ((fe->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fe->lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fe->lfd, 64) == -1)
		die("listen");
	if (pipe2(fe->stop, O_CLOEXEC) == -1)
		die("pipe2");
	pthread_mutex_init(&fe->mu, NULL);
	pthread_cond_init(&fe->idle, NULL);
	pthread_cond_init(&fe->rel, NULL);
	if (pthread_create(&fe->thr, NULL, accept_loop, fe) != 0)
		die("pthread_create");
	return fe;
}

const char *
fe_socket(const struct fake_engine *fe)
{
	return fe->path;
}

void
fe_add(struct fake_engine *fe, const struct fe_reply *r)
{
	pthread_mutex_lock(&fe->mu);
	if (fe->nreplies == MAXREPLIES) {
		fprintf(stderr, "fake engine: more than %d replies\n",
		    MAXREPLIES);
		abort();
	}
	fe->used[fe->nreplies] = 0;
	fe->replies[fe->nreplies++] = *r;
	pthread_mutex_unlock(&fe->mu);
}

void
fe_json(struct fake_engine *fe, const char *method, const char *path,
    int status, const char *body)
{
	struct fe_reply r = { .method = method, .path = path,
	    .status = status, .body = body };

	fe_add(fe, &r);
}

static void
log_free(struct fake_engine *fe)
{
	size_t i;

	for (i = 0; i < fe->nlog; i++) {
		free(fe->log[i]);
		free(fe->bodies[i]);
	}
	fe->nlog = 0;
}

/* Waits for the connections in flight, so no answer outlives a test. */
static void
quiesce(struct fake_engine *fe)
{
	while (fe->busy > 0)
		pthread_cond_wait(&fe->idle, &fe->mu);
}

void
fe_release(struct fake_engine *fe)
{
	pthread_mutex_lock(&fe->mu);
	fe->released = 1;
	pthread_cond_broadcast(&fe->rel);
	pthread_mutex_unlock(&fe->mu);
}

void
fe_reset(struct fake_engine *fe)
{
	pthread_mutex_lock(&fe->mu);
	fe->released = 1;
	pthread_cond_broadcast(&fe->rel);
	quiesce(fe);
	fe->released = 0;
	log_free(fe);
	fe->nreplies = 0;
	pthread_mutex_unlock(&fe->mu);
}

size_t
fe_count(struct fake_engine *fe)
{
	size_t n;

	pthread_mutex_lock(&fe->mu);
	n = fe->nlog;
	pthread_mutex_unlock(&fe->mu);
	return n;
}

const char *
fe_request(struct fake_engine *fe, size_t i)
{
	const char *s;

	pthread_mutex_lock(&fe->mu);
	s = i < fe->nlog ? fe->log[i] : NULL;
	pthread_mutex_unlock(&fe->mu);
	return s;
}

const char *
fe_body(struct fake_engine *fe, size_t i)
{
	const char *s;

	pthread_mutex_lock(&fe->mu);
	s = i < fe->nlog ? fe->bodies[i] : NULL;
	pthread_mutex_unlock(&fe->mu);
	return s;
}

size_t
fe_count_prefix(struct fake_engine *fe, const char *prefix)
{
	size_t i, n = 0;

	pthread_mutex_lock(&fe->mu);
	for (i = 0; i < fe->nlog; i++)
		if (strncmp(fe->log[i], prefix, strlen(prefix)) == 0)
			n++;
	pthread_mutex_unlock(&fe->mu);
	return n;
}

size_t
fe_frame(unsigned char *dst, int stream, const char *data)
{
	size_t len = strlen(data);

	dst[0] = (unsigned char)stream;
	dst[1] = dst[2] = dst[3] = 0;
	dst[4] = (unsigned char)(len >> 24);
	dst[5] = (unsigned char)(len >> 16);
	dst[6] = (unsigned char)(len >> 8);
	dst[7] = (unsigned char)len;
	memcpy(dst + 8, data, len);
	return 8 + len;
}

void
fe_stop(struct fake_engine *fe)
{
	(void)!write(fe->stop[1], "x", 1);
	pthread_join(fe->thr, NULL);
	pthread_mutex_lock(&fe->mu);
	fe->released = 1;
	pthread_cond_broadcast(&fe->rel);
	quiesce(fe);
	log_free(fe);
	pthread_mutex_unlock(&fe->mu);
	close(fe->lfd);
	close(fe->stop[0]);
	close(fe->stop[1]);
	unlink(fe->path);
	rmdir(fe->dir);
	pthread_mutex_destroy(&fe->mu);
	pthread_cond_destroy(&fe->idle);
	pthread_cond_destroy(&fe->rel);
	free(fe);
}
