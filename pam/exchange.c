/*
 * pam_ctl's side of one broker connection: hello, welcome, request,
 * then stdout/stderr frames until done (docs/PROTOCOL.md).
 *
 * Invariants:
 * 1. The socket is SOCK_CLOEXEC and closed, and the frame buffer freed,
 *    on every path out of ctl_call().
 * 2. No wait is unbounded: connect and every send end after the timeout
 *    (SO_SNDTIMEO, which Unix-domain connect also obeys), and so does
 *    every wait for the broker's next bytes.
 * 3. Anything but welcome first, then stdout/stderr and one done, is a
 *    protocol error; a prompt is never answered (root has no password to
 *    give) but ends the exchange.
 * 4. Nothing the broker sends reaches syslog unfiltered: control bytes
 *    are replaced (log_clean) and lengths are bounded.
 * 5. Nothing here prints, exits or raises a signal (proto_send uses
 *    MSG_NOSIGNAL).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "pam_ctl.h"
#include "proto.h"

#define LOG_CHUNK	200	/* bytes of broker output per log line */

struct call {
	pam_handle_t		*pamh;
	const struct options	*o;
	int			 fd;
	struct frame		*f;
	json_t			*data;	/* done.data on success */
	char			*why;
	size_t			 whylen;
};

static int	fail(struct call *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	on_output(struct call *);
static int	on_done(struct call *);
static int	on_prompt(struct call *);

/*
 * What may follow the request. Returns 1: keep reading, 0: finished
 * with exit 0, -1: failed with c->why set.
 */
static const struct reply_handler {
	uint8_t	 type;
	int	(*fn)(struct call *);
} reply_handlers[] = {
	{ FRAME_STDOUT, on_output },
	{ FRAME_STDERR, on_output },
	{ FRAME_DATA, on_output },	/* a large data: not needed for the log */
	{ FRAME_DONE, on_done },
	{ FRAME_PROMPT, on_prompt },
	{ 0, NULL }
};

void
log_clean(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i;

	if (dstlen == 0)
		return;
	for (i = 0; i < srclen && i + 1 < dstlen; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

static int
fail(struct call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
dial(struct call *c)
{
	struct sockaddr_un sun;
	struct timeval tv;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->o->socket) >= sizeof(sun.sun_path))
		return fail(c, "socket path too long");
	strcpy(sun.sun_path, c->o->socket);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return fail(c, "socket: %m");
	tv.tv_sec = c->o->timeout_ms / 1000;
	tv.tv_usec = (c->o->timeout_ms % 1000) * 1000;
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return fail(c, "setsockopt SO_SNDTIMEO: %m");
	while (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return fail(c, "connect %s: timed out", c->o->socket);
		return fail(c, "connect %s: %m", c->o->socket);
	}
	return 0;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * One frame within the timeout. The first wait is ours so that a signal
 * (sshd has handlers) restarts it rather than failing the exchange;
 * proto_recv's own waits then cover the rest of the frame.
 * Returns 1 on a frame, -1 with c->why set.
 */
static int
recv_frame(struct call *c)
{
	struct pollfd pfd;
	struct timespec t0;
	const char *why = "error";
	long left;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	for (;;) {
		left = c->o->timeout_ms - ms_since(&t0);
		if (left <= 0)
			return fail(c, "no answer within %d s",
			    c->o->timeout_ms / 1000);
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			break;
		if (rc == -1 && errno != EINTR)
			return fail(c, "poll: %m");
	}
	rc = proto_recv(c->fd, c->f, c->o->timeout_ms, &why);
	if (rc == 0)
		return fail(c, "broker closed the connection");
	if (rc == -1)
		return fail(c, "receiving: %s", why);
	return 1;
}

static int
send_json(struct call *c, uint8_t type, json_t *msg)
{
	int rc;

	if (msg == NULL)
		return fail(c, "out of memory");
	rc = proto_send_json(c->fd, type, msg);
	json_decref(msg);
	if (rc == -1)
		return fail(c, "sending %s: %s", proto_type_name(type),
		    errno == EAGAIN ? "timed out" : strerror(errno));
	return 0;
}

/* The "error" of a done frame, cleaned for the log. */
static void
done_error(json_t *msg, char *buf, size_t len)
{
	json_t *e;

	e = json_object_get(msg, "error");
	if (json_is_string(e))
		log_clean(buf, len, json_string_value(e),
		    json_string_length(e));
	else
		snprintf(buf, len, "no error message");
}

static int
on_output(struct call *c)
{
	char line[LOG_CHUNK + 1];

	if (c->o->debug) {
		log_clean(line, sizeof(line), (const char *)c->f->buf,
		    c->f->len);
		pam_syslog(c->pamh, LOG_DEBUG, "broker %s: %s",
		    proto_type_name(c->f->type), line);
	}
	return 1;
}

static int
on_prompt(struct call *c)
{
	return fail(c, "broker sent a prompt; not answered");
}

static int
on_done(struct call *c)
{
	const char *why = "error";
	char err[256];
	json_t *msg, *ex, *data;
	json_int_t code;

	if ((msg = proto_json(c->f, &why)) == NULL)
		return fail(c, "done: %s", why);
	ex = json_object_get(msg, "exit");
	if (!json_is_integer(ex)) {
		json_decref(msg);
		return fail(c, "done without an exit code");
	}
	code = json_integer_value(ex);
	if (code != 0) {
		done_error(msg, err, sizeof(err));
		json_decref(msg);
		return fail(c, "broker answered exit %lld: %s",
		    (long long)code, err);
	}
	data = json_object_get(msg, "data");
	if (json_is_object(data))
		c->data = json_incref(data);
	json_decref(msg);
	return 0;
}

static int
expect_welcome(struct call *c)
{
	const char *why = "error";
	char err[256];
	json_t *msg, *v;

	if (recv_frame(c) == -1)
		return -1;
	if (c->f->type != FRAME_WELCOME && c->f->type != FRAME_DONE)
		return fail(c, "expected welcome, got %s",
		    proto_type_name(c->f->type));
	if ((msg = proto_json(c->f, &why)) == NULL)
		return fail(c, "%s: %s", proto_type_name(c->f->type), why);
	if (c->f->type == FRAME_DONE) {
		done_error(msg, err, sizeof(err));
		json_decref(msg);
		return fail(c, "broker refused the connection: %s", err);
	}
	v = json_object_get(msg, "proto");
	if (!json_is_integer(v) || json_integer_value(v) != PROTO_VERSION) {
		json_decref(msg);
		return fail(c, "welcome for another protocol version");
	}
	json_decref(msg);
	return 0;
}

static int
exchange(struct call *c, const char *verb, const char *user)
{
	const struct reply_handler *h;
	int rc;

	if (dial(c) == -1)
		return -1;
	if (send_json(c, FRAME_HELLO,
	    json_pack("{s:i}", "proto", PROTO_VERSION)) == -1)
		return -1;
	if (expect_welcome(c) == -1)
		return -1;
	if (send_json(c, FRAME_REQUEST,
	    json_pack("{s:s, s:s}", "verb", verb, "user", user)) == -1)
		return -1;
	for (;;) {
		if (recv_frame(c) == -1)
			return -1;
		for (h = reply_handlers; h->fn != NULL; h++)
			if (h->type == c->f->type)
				break;
		if (h->fn == NULL)
			return fail(c, "unexpected %s frame",
			    proto_type_name(c->f->type));
		if ((rc = h->fn(c)) != 1)
			return rc;
	}
}

int
ctl_call(pam_handle_t *pamh, const struct options *o, const char *verb,
    const char *user, json_t **data, char *why, size_t whylen)
{
	struct call c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.pamh = pamh;
	c.o = o;
	c.fd = -1;
	c.why = why;
	c.whylen = whylen;
	*data = NULL;
	if ((c.f = malloc(sizeof(*c.f))) == NULL)
		return fail(&c, "out of memory");
	rc = exchange(&c, verb, user);
	if (c.fd != -1)
		close(c.fd);
	free(c.f);
	if (rc == 0)
		*data = c.data;
	else
		json_decref(c.data);
	return rc;
}
