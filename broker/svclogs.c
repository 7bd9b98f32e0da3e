/*
 * logs of a Swarm service: its tasks' lines as `docker service logs`
 * prints them, "NAME.SLOT.TASK@NODE    | line".
 *
 * Invariants:
 * 1. dockerd's stream is asked with details=1, so each line names its
 *    task and node; the prefix is built from those IDs and the tasks and
 *    nodes ctld looked up itself, and the line after it is dockerd's,
 *    byte for byte (service.c's invariant 4).
 * 2. A line whose details cannot be read is passed on unprefixed, never
 *    dropped; a malformed multiplexed stream is said to be so.
 * 3. When the client leaves, the stream stops at once (engine.c).
 * 4. A follow a reload revoked (revoke.c) stops between passes, and is
 *    answered and audited as revoked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "names.h"
#include "revoke.h"
#include "service.h"
#include "stream.h"

#define LINE_MAX_LEN	(64u << 10)

struct svcsink {
	struct ctx	*x;
	struct demux	 dm;
	json_t		*slots;		/* task ID -> slot */
	json_t		*nodes;		/* node ID -> name */
	int		 width;		/* digits of the replica count */
	time_t		 looked;	/* when the tasks were read */
	int		 failed;	/* the client is gone */
	int		 bad;		/* dockerd's stream is malformed */
	int		 revoked;	/* a reload took the follow away */
	struct {
		unsigned char	buf[LINE_MAX_LEN];
		size_t		len;
		int		cont;	/* the rest of a line too long */
	} line[3];
};

static int
digits(long n)
{
	int d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* The tasks' slots, read again at most once a second for a new task. */
static void
read_slots(struct svcsink *s)
{
	struct engine_reply r;
	json_t *t, *slot;
	size_t i;

	if (s->looked == time(NULL))
		return;
	s->looked = time(NULL);
	if (engine_tasks(s->x->eng, s->x->t.id, &r) == 0 && r.status == 200)
		json_array_foreach(r.body, i, t) {
			slot = json_object_get(t, "Slot");
			if (json_is_string(json_object_get(t, "ID")))
				json_object_set_new(s->slots, json_string_value(
				    json_object_get(t, "ID")), json_integer(
				    json_integer_value(slot)));
		}
	engine_reply_free(&r);
}

/* The value of key in details "k=v,k=v" (IDs need no unescaping). */
static int
detail(const char *d, size_t len, const char *key, char *out, size_t olen)
{
	size_t klen = strlen(key), i = 0, n;

	while (i < len) {
		n = i;
		while (n < len && d[n] != ',')
			n++;
		if (n - i > klen && memcmp(d + i, key, klen) == 0 &&
		    d[i + klen] == '=' && n - i - klen - 1 < olen) {
			memcpy(out, d + i + klen + 1, n - i - klen - 1);
			out[n - i - klen - 1] = '\0';
			return 0;
		}
		i = n + 1;
	}
	return -1;
}

static int
emit(struct svcsink *s, int stream, const void *p, size_t len)
{
	uint8_t type = stream == 2 ? FRAME_STDERR : FRAME_STDOUT;
	const unsigned char *b = p;
	size_t n;

	while (len > 0 && !s->failed) {
		n = len < PROTO_MAX_LEN ? len : PROTO_MAX_LEN;
		if (proto_send(s->x->fd, type, b, n) == -1)
			s->failed = 1;
		b += n;
		len -= n;
	}
	return s->failed ? -1 : 0;
}

/* "[TS ]DETAILS MSG": the prefix put after TS, before MSG. */
static int
emit_line(struct svcsink *s, int stream, const unsigned char *l, size_t len)
{
	const char *p = (const char *)l, *det, *sp;
	char task[SWARM_ID_LEN + 1], node[SWARM_ID_LEN + 1], pre[512];
	size_t tslen = 0;
	json_t *slot, *host;
	int n;

	if (s->x->req->timestamps) {
		sp = memchr(p, ' ', len);
		tslen = sp != NULL ? (size_t)(sp - p) + 1 : 0;
	}
	det = p + tslen;
	sp = memchr(det, ' ', len - tslen);
	if (sp == NULL || detail(det, (size_t)(sp - det),
	    "com.docker.swarm.task.id", task, sizeof(task)) == -1 ||
	    detail(det, (size_t)(sp - det), "com.docker.swarm.node.id", node,
	    sizeof(node)) == -1)
		return emit(s, stream, l, len);	/* as it came */
	if (json_object_get(s->slots, task) == NULL)
		read_slots(s);
	slot = json_object_get(s->slots, task);
	host = json_object_get(s->nodes, node);
	n = snprintf(pre, sizeof(pre), "%.*s%s.%lld.%.12s@%s%*s    | ",
	    (int)tslen, p, s->x->req->name, (long long)json_integer_value(slot),
	    task, host != NULL ? json_string_value(host) : node,
	    s->width - digits((long)json_integer_value(slot)), "");
	if (n < 0 || (size_t)n >= sizeof(pre))
		return emit(s, stream, l, len);
	if (emit(s, stream, pre, (size_t)n) == -1)
		return -1;
	return emit(s, stream, sp + 1, len - (size_t)(sp + 1 - p));
}

/* demux's bytes, a line at a time per stream. */
static int
svc_put(void *arg, int stream, const unsigned char *p, size_t len)
{
	struct svcsink *s = arg;
	const unsigned char *nl;
	size_t n, i = stream == 2 ? 2 : 1;

	if (stream == 3)	/* dockerd's own error, as a line on stderr */
		return emit(s, 2, p, len);
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) + 1 : len;
		if (s->line[i].cont) {
			if (emit(s, stream, p, n) == -1)
				return -1;
		} else {
			if (s->line[i].len + n > LINE_MAX_LEN) {
				/* a line too long: its head, prefixed, then
				 * the rest as it comes */
				n = LINE_MAX_LEN - s->line[i].len;
				memcpy(s->line[i].buf + s->line[i].len, p, n);
				if (emit_line(s, stream, s->line[i].buf,
				    LINE_MAX_LEN) == -1)
					return -1;
				s->line[i].len = 0;
				s->line[i].cont = 1;
				p += n;
				len -= n;
				continue;
			}
			memcpy(s->line[i].buf + s->line[i].len, p, n);
			s->line[i].len += n;
		}
		if (nl != NULL) {
			if (!s->line[i].cont && emit_line(s, stream,
			    s->line[i].buf, s->line[i].len) == -1)
				return -1;
			s->line[i].len = 0;
			s->line[i].cont = 0;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int
svc_sink(void *arg, const unsigned char *p, size_t len)
{
	struct svcsink *s = arg;

	if (p == NULL) {	/* between passes: a reload may end it */
		if (!s->failed && s->x->req->follow && revoke_pending() &&
		    revoke_recheck(s->x))
			s->revoked = 1;
		return s->failed || s->revoked ? -1 : 0;
	}
	if (demux_feed(&s->dm, p, len, svc_put, s) == -1) {
		if (!s->failed)
			s->bad = 1;
		return -1;
	}
	return 0;
}

/* The last lines without a newline, once the stream ended. */
static void
svc_finish(struct svcsink *s)
{
	size_t i;

	for (i = 1; i < 3; i++)
		if (s->line[i].len > 0 && !s->line[i].cont)
			(void)emit_line(s, (int)i, s->line[i].buf,
			    s->line[i].len);
}

static void
logs_answer(struct ctx *x, enum engine_stream es, struct engine_reply *r,
    struct svcsink *s)
{
	if (s->revoked)
		revoke_set_out(x);
	else if (s->bad) {
		set_out(x, EXIT_FAIL, "dockerd: malformed log stream");
		x->audit->result = "docker error";
	} else if (es == ENGINE_STREAM_CUT || s->failed) {
		x->out.exit = -1;	/* the client left: nobody to answer */
		x->audit->result = "client gone";
	} else if (es == ENGINE_STREAM_FAILED || r->status != 200)
		engine_failed(x, r->error);
	else if (!demux_done(&s->dm)) {
		set_out(x, EXIT_FAIL, "dockerd: malformed log stream");
		x->audit->result = "docker error";
	} else {
		svc_finish(s);
		x->audit->result = "ok";
	}
}

void
service_logs(struct ctx *x)
{
	struct engine_logopts o = { x->req->follow, x->req->timestamps,
	    x->req->tail, x->req->has_since, 0, x->req->since, { 0, 0 } };
	json_t *cs = json_object_get(json_object_get(json_object_get(
	    x->t.inspect, "Spec"), "TaskTemplate"), "ContainerSpec");
	json_t *rep = json_object_get(json_object_get(json_object_get(
	    x->t.inspect, "Spec"), "Mode"), "Replicated");
	struct engine_reply r;
	enum engine_stream es;
	struct svcsink *s;

	if (json_is_true(json_object_get(cs, "TTY")) || x->req->has_until) {
		set_out(x, EXIT_USAGE, "logs: %s", x->req->has_until ?
		    "--until is for containers, not services" : "a service "
		    "with a terminal (TTY) writes no lines its tasks can be "
		    "told apart by");
		x->audit->result = "refused";
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		return;
	}
	s->x = x;
	s->slots = json_object();
	demux_init(&s->dm);
	s->width = digits((long)json_integer_value(json_object_get(rep,
	    "Replicas")));
	read_slots(s);
	s->nodes = service_node_names(x->eng);
	es = engine_service_logs(x->eng, x->t.id, &o, x->fd,
	    x->req->follow ? 50 : 0, svc_sink, s, &r);
	logs_answer(x, es, &r, s);
	engine_reply_free(&r);
	json_decref(s->slots);
	json_decref(s->nodes);
	free(s);
}
