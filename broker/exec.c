/*
 * exec: a command in a contained container, its streams relayed between
 * the client and dockerd's hijacked connection.
 *
 * Invariants:
 * 1. exec runs only in a container contain.c judges contained, judged
 *    from an inspect made for this request; the reason is told only to
 *    a caller policy already allowed exec on it (actions.c decided).
 * 2. The exec's body is built here: the command (request_decode
 *    checked each word), which streams to attach and whether a
 *    terminal; never a user, privileges, environment or working
 *    directory.
 * 3. The exec is audited with its argv before it starts, and again with
 *    its exit code or how it ended.
 * 4. At most limits.exec_per_user sessions per uid (execslots.c), each
 *    ended after limits.exec_idle seconds without a byte either way, or
 *    with a client that read nothing for as long.
 * 5. A -t session is recorded when audit.sessions is set (record.c); a
 *    recording that cannot be opened refuses the exec, one that cannot
 *    be written ends it.
 * 6. The client may send stdin and resize frames only after started,
 *    stdin only for -i, and nothing else: any other frame ends it.
 * 7. Neither side can make the other wait on it: stdin waits in one
 *    buffer while dockerd's output keeps flowing to the client.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "contain.h"
#include "execslots.h"
#include "handlers.h"
#include "hijack.h"
#include "record.h"
#include "stream.h"

#define EXEC_BUF	65536
#define EXIT_WAIT_MS	2000

struct execio {
	struct ctx	*x;
	struct hijack	 h;
	struct demux	 dm;
	char		 exec_id[ID_LEN + 1];
	unsigned char	 in[PROTO_MAX_LEN];	/* stdin not yet taken */
	size_t		 inlen, inoff;
	int		 in_eof, eof_sent;
	int		 client_gone;
	int		 stalled;	/* it did not read for exec_idle */
	const char	*ended;		/* why it ended early; NULL: dockerd */
	char		 why[320];
	struct recording *rec;		/* -t with audit.sessions; or NULL */
	long long	 last_ms;
	struct frame	 f;
	unsigned char	 out[EXEC_BUF];
};

json_t *
exec_argv(const struct request *req)
{
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < req->argc; i++)
		if (json_array_append_new(a,
		    json_string(req->argbuf + req->argoff[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int
exec_contained(struct ctx *x, const char *no)
{
	char why[512];

	switch (contained(x->cf, x->eng, x->t.inspect, why, sizeof(why))) {
	case CONTAINED:
		return 0;
	case NOT_CONTAINED:
		set_out(x, EXIT_NOTFOUND, "%sexec: permission denied (not "
		    "contained: %.256s)", no, why);
		x->audit->allow = 0;
		snprintf(x->audit->reason, sizeof(x->audit->reason),
		    "not contained: %.180s", why);
		return -1;
	case CONTAIN_FAILED:
		engine_failed(x, why);
		return -1;
	}
	return -1;
}

/* POST /containers/ID/exec: the exec's ID, or -1 with x->out set. */
static int
create(struct ctx *x, json_t *argv, char id[ID_LEN + 1])
{
	struct engine_reply r;
	json_t *body, *v;
	int rc = -1;

	body = json_pack("{s:b, s:b, s:b, s:b, s:O, s:b}",
	    "AttachStdin", x->req->interactive, "AttachStdout", 1,
	    "AttachStderr", 1, "Tty", x->req->tty, "Cmd", argv,
	    "Privileged", 0);
	if (body == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		return -1;
	}
	if (engine_exec_create(x->eng, x->t.id, body, &r) == -1)
		engine_failed(x, r.error);
	else if (r.status == 404)
		not_found(x, "container vanished");
	else if (r.status == 409) {
		set_out(x, EXIT_FAIL, "%s is not running", x->req->name);
		x->audit->result = "not running";
	} else if (r.status != 201 && r.status != 200)
		engine_failed(x, r.error);
	else if (!json_is_string(v = json_object_get(r.body, "Id")) ||
	    !id_valid(json_string_value(v))) {
		set_out(x, EXIT_FAIL, "dockerd: malformed answer");
		x->audit->result = "docker error";
	} else {
		memcpy(id, json_string_value(v), ID_LEN + 1);
		rc = 0;
	}
	json_decref(body);
	engine_reply_free(&r);
	return rc;
}

static void
resize(struct execio *e, long rows, long cols)
{
	struct engine_reply r;

	if (rows < 1 || cols < 1)
		return;
	engine_exec_resize(e->x->eng, e->exec_id, rows, cols, &r);
	engine_reply_free(&r);
}

static int
send_out(void *ctx, int stream, const unsigned char *buf, size_t len)
{
	struct execio *e = ctx;

	if (proto_send(e->x->fd, stream == 2 ? FRAME_STDERR : FRAME_STDOUT,
	    buf, len) == -1) {
		e->stalled = errno == EAGAIN || errno == EWOULDBLOCK;
		e->client_gone = 1;
		return -1;
	}
	return 0;
}

/* A recording that cannot be written ends its session (invariant 5). */
static int
recording_failed(struct execio *e)
{
	e->ended = "recording failed";
	snprintf(e->why, sizeof(e->why), "the session's recording cannot be "
	    "written: the session was ended");
	snprintf(e->x->audit->reason, sizeof(e->x->audit->reason), "%s",
	    record_error(e->rec));
	return -1;
}

/* What dockerd sent, to the client: 0, or -1 when it ends here. */
static int
from_docker(struct execio *e)
{
	ssize_t n;

	n = hijack_read(&e->h, e->out, sizeof(e->out));
	if (n == HIJACK_AGAIN)
		return 0;
	if (n == 0)
		return -1;		/* the command's streams ended */
	if (n < 0) {
		e->ended = "dockerd broke the stream";
		snprintf(e->why, sizeof(e->why), "%s", e->h.error);
		return -1;
	}
	e->last_ms = now_ms();
	if (e->x->req->tty && record_output(e->rec, e->out, (size_t)n) == -1)
		return recording_failed(e);
	if (e->x->req->tty)
		return send_out(e, 1, e->out, (size_t)n);
	if (demux_feed(&e->dm, e->out, (size_t)n, send_out, e) == -1) {
		if (!e->client_gone) {
			e->ended = "dockerd's stream is malformed";
			snprintf(e->why, sizeof(e->why), "%s", e->ended);
		}
		return -1;
	}
	return 0;
}

static int
to_docker(struct execio *e)
{
	ssize_t n;

	if (e->inoff < e->inlen) {
		if ((n = hijack_write(&e->h, e->in + e->inoff,
		    e->inlen - e->inoff)) == -1) {
			e->ended = "dockerd broke the stream";
			snprintf(e->why, sizeof(e->why), "%s", e->h.error);
			return -1;
		}
		e->inoff += (size_t)n;
	}
	if (e->inoff == e->inlen) {
		e->inoff = e->inlen = 0;
		if (e->in_eof && !e->eof_sent) {
			e->eof_sent = 1;
			if (hijack_close_write(&e->h) == -1) {
				e->ended = "dockerd broke the stream";
				snprintf(e->why, sizeof(e->why), "%s",
				    e->h.error);
				return -1;
			}
		}
	}
	return 0;
}

static int
protocol_error(struct execio *e, const char *what)
{
	e->ended = "protocol error";
	snprintf(e->why, sizeof(e->why), "protocol error: %s", what);
	return -1;
}

static int
window(struct execio *e)
{
	const char *why;
	json_t *j, *r, *c;

	if ((j = proto_json(&e->f, &why)) == NULL)
		return protocol_error(e, why);
	r = json_object_get(j, "rows");
	c = json_object_get(j, "cols");
	if (!e->x->req->tty || json_object_size(j) != 2 ||
	    !json_is_integer(r) || !json_is_integer(c) ||
	    json_integer_value(r) < 0 || json_integer_value(r) > 65535 ||
	    json_integer_value(c) < 0 || json_integer_value(c) > 65535) {
		json_decref(j);
		return protocol_error(e, "bad resize");
	}
	resize(e, (long)json_integer_value(r), (long)json_integer_value(c));
	if (record_resize(e->rec, (int)json_integer_value(c),
	    (int)json_integer_value(r)) == -1) {
		json_decref(j);
		return recording_failed(e);
	}
	json_decref(j);
	return 0;
}

/* A frame from the client: 0, or -1 when it ends here. */
static int
from_client(struct execio *e)
{
	const char *why;
	int rc;

	rc = proto_recv(e->x->fd, &e->f, e->x->cf->client_timeout * 1000,
	    &why);
	if (rc == 0) {
		e->client_gone = 1;
		return -1;
	}
	if (rc == -1)
		return protocol_error(e, why);
	e->last_ms = now_ms();
	if (e->f.type == FRAME_RESIZE)
		return window(e);
	if (e->f.type != FRAME_STDIN || !e->x->req->interactive || e->in_eof)
		return protocol_error(e, "unexpected frame type");
	if (e->f.len == 0) {
		e->in_eof = 1;
		return 0;
	}
	if (record_input(e->rec, e->f.buf, e->f.len) == -1)
		return recording_failed(e);
	memcpy(e->in, e->f.buf, e->f.len);
	e->inlen = e->f.len;
	e->inoff = 0;
	return 0;
}

static int
idle_left(const struct execio *e)
{
	long long left;

	if (e->x->cf->exec_idle <= 0)
		return -1;
	left = e->last_ms + (long long)e->x->cf->exec_idle * 1000 - now_ms();
	return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* Until the command's streams end, the client leaves, or it is ended. */
static void
relay(struct execio *e)
{
	struct pollfd pf[2];
	int n, t;

	e->last_ms = now_ms();
	for (;;) {
		if (hijack_pending(&e->h) && from_docker(e) == -1)
			return;
		pf[0].fd = e->x->fd;
		pf[0].events = e->inlen == 0 && !e->in_eof ? POLLIN : 0;
		pf[1].fd = e->h.fd;
		pf[1].events = POLLIN | (e->inlen > 0 ? POLLOUT : 0);
		pf[0].revents = pf[1].revents = 0;
		t = idle_left(e);
		if (t == 0) {
			e->ended = "idle";
			snprintf(e->why, sizeof(e->why), "exec session idle "
			    "for %d s (limits.exec_idle): ended",
			    e->x->cf->exec_idle);
			return;
		}
		if ((n = poll(pf, 2, t)) == -1 && errno != EINTR) {
			e->ended = "poll failed";
			snprintf(e->why, sizeof(e->why), "poll: %s",
			    strerror(errno));
			return;
		}
		if (n <= 0)
			continue;
		if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    from_client(e) == -1)
			return;
		if ((pf[1].revents & (POLLOUT | POLLERR)) && e->inlen > 0 &&
		    to_docker(e) == -1)
			return;
		if (e->in_eof && e->inlen == 0 && !e->eof_sent &&
		    to_docker(e) == -1)
			return;
		if ((pf[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    from_docker(e) == -1)
			return;
	}
}

/* The command's exit code, once dockerd says it stopped; -1: unknown. */
static int
exit_code(struct execio *e)
{
	long long until = now_ms() + EXIT_WAIT_MS;
	struct engine_reply r;
	json_t *code;
	int rc = -1, running;

	do {
		if (engine_exec_inspect(e->x->eng, e->exec_id, &r) == -1 ||
		    r.status != 200) {
			engine_reply_free(&r);
			return -1;
		}
		running = json_is_true(json_object_get(r.body, "Running"));
		code = json_object_get(r.body, "ExitCode");
		if (!running && json_is_integer(code))
			rc = (int)json_integer_value(code);
		engine_reply_free(&r);
		if (running)
			usleep(20000);
	} while (running && now_ms() < until);
	return rc;
}

static void
finish(struct execio *e)
{
	struct ctx *x = e->x;
	int code;

	if (e->client_gone) {
		x->out.exit = -1;	/* nobody to answer */
		x->audit->result = e->stalled ? "idle: the client stopped "
		    "reading" : "client left";
		return;
	}
	if (e->ended != NULL) {
		set_out(x, EXIT_FAIL, "%s", e->why);
		x->audit->result = e->ended;
		return;
	}
	if (!x->req->tty && !demux_done(&e->dm)) {
		set_out(x, EXIT_FAIL, "dockerd's stream ended inside a frame");
		x->audit->result = "docker error";
		return;
	}
	if ((code = exit_code(e)) == -1) {
		set_out(x, EXIT_FAIL, "the exit code of the command is unknown");
		x->audit->result = "exit code unknown";
		return;
	}
	x->audit->result = "exited";
	x->audit->exit_code = code;
	x->audit->has_exit_code = 1;
	x->out.data = json_pack("{s:i}", "exit_code", code);
}

/* A client that stops reading is as idle as a silent one. */
static void
idle_sends(struct ctx *x)
{
	struct timeval tv = { x->cf->exec_idle, 0 };

	if (x->cf->exec_idle > 0 && setsockopt(x->fd, SOL_SOCKET, SO_SNDTIMEO,
	    &tv, sizeof(tv)) == -1)
		logmsg(LOG_ERR, "exec: SO_SNDTIMEO: %s", strerror(errno));
}

static void
session(struct ctx *x, struct execio *e)
{
	if (engine_exec_start(x->eng, e->exec_id, x->req->tty, &e->h) == -1) {
		engine_failed(x, e->h.error);
		hijack_close(&e->h);
		return;
	}
	if (proto_send(x->fd, FRAME_STARTED, "{}", 2) == -1) {
		e->client_gone = 1;
		finish(e);
		hijack_close(&e->h);
		return;
	}
	if (x->req->tty)
		resize(e, x->req->rows, x->req->cols);
	idle_sends(x);
	relay(e);
	hijack_close(&e->h);
	finish(e);
}

/* At most limits.exec_per_user sessions per uid (invariant 4). */
static int
slot(struct ctx *x)
{
	switch (execslots_take(x->who->uid, getpid(), x->cf->exec_per_user)) {
	case 1:
		return 0;
	case 0:
		set_out(x, EXIT_FAIL, "too many exec sessions "
		    "(limits.exec_per_user is %d)", x->cf->exec_per_user);
		x->audit->result = "refused: limits.exec_per_user";
		return -1;
	default:
		set_out(x, EXIT_FAIL, "cannot count exec sessions");
		snprintf(x->audit->reason, sizeof(x->audit->reason),
		    "exec slots: %s", strerror(errno));
		x->audit->result = "refused: exec slots";
		return -1;
	}
}

/*
 * A -t session's recording, opened before it starts (invariant 5). Its
 * path outlives the session: the last audit record names it.
 */
static int
recording(struct ctx *x, struct execio *e)
{
	static char recpath[4096];
	char *args[ARGV_MAX_WORDS + 1], err[512];
	const char *path;
	size_t i;

	if (!x->req->tty)
		return 0;
	for (i = 0; i < x->req->argc; i++)
		args[i] = (char *)x->req->argbuf + x->req->argoff[i];
	args[i] = NULL;
	if (record_open(x->cf, x->who->user, x->req->name, args,
	    (int)x->req->cols, (int)x->req->rows, "xterm", &e->rec, err,
	    sizeof(err)) == -1) {
		set_out(x, EXIT_FAIL, "cannot record the session, which "
		    "audit.sessions asks for: exec refused");
		snprintf(x->audit->reason, sizeof(x->audit->reason), "%.190s",
		    err);
		x->audit->result = "refused: recording";
		logmsg(LOG_ERR, "exec recording: %s", err);
		return -1;
	}
	if (e->rec != NULL && (path = record_path(e->rec)) != NULL) {
		snprintf(recpath, sizeof(recpath), "%s", path);
		x->audit->recording = recpath;
	}
	return 0;
}

static void
stop_recording(struct execio *e)
{
	char err[512];

	if (e->rec != NULL && record_close(e->rec, err, sizeof(err)) == -1)
		logmsg(LOG_ERR, "exec recording: %s", err);
	e->rec = NULL;
}

void
do_exec(struct ctx *x)
{
	struct execio *e;

	if (x->audit->argv == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		return;
	}
	if (exec_contained(x, "") == -1)
		return;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		return;
	}
	e->x = x;
	demux_init(&e->dm);
	if (slot(x) == -1) {
		free(e);
		return;
	}
	if (recording(x, e) == 0 && create(x, x->audit->argv, e->exec_id) ==
	    0) {
		x->audit->result = "started";
		if (auditlog_write(x->cf, x->audit) == -1) {
			set_out(x, EXIT_FAIL, "request refused: ctld cannot "
			    "write its audit log");
			x->audit->result = "refused: audit unavailable";
		} else
			session(x, e);
	}
	stop_recording(e);
	execslots_release(getpid());
	free(e);
}
