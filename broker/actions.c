/*
 * The verbs: resolve, decide, act on dockerd, answer.
 *
 * Invariants:
 * 1. A name is resolved by inspect and accepted only if the container's
 *    Name is exactly "/NAME": an ID, an ID prefix or another spelling
 *    that dockerd would also accept resolves to "no such container".
 * 2. Policy is decided on the resolved container's labels, and the
 *    action then names the container by its full 64-hex ID only.
 * 3. A container the caller may not use at all gets the same answer,
 *    word for word and exit code, as one that does not exist; the audit
 *    record keeps the real reason.
 * 4. Every dockerd path is printed here from the pinned API version,
 *    a validated name or ID, and numbers: never from client text.
 * 5. start, stop and restart send no body.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "actions.h"
#include "clientfd.h"
#include "names.h"
#include "relay.h"
#include "stream.h"

void
set_out(struct ctx *x, int code, const char *fmt, ...)
{
	va_list ap;

	x->out.exit = code;
	va_start(ap, fmt);
	vsnprintf(x->out.msg, sizeof(x->out.msg), fmt, ap);
	va_end(ap);
}

void
not_found(struct ctx *x, const char *reason)
{
	set_out(x, EXIT_NOTFOUND, "no such container: %s", x->req->name);
	x->audit->allow = 0;
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%s", reason);
}

const char *
label(json_t *labels, const char *key)
{
	json_t *v = json_object_get(labels, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* dockerd failed: a transport or server error the user should see. */
void
engine_failed(struct ctx *x, const struct engine_reply *r)
{
	set_out(x, EXIT_FAIL, "%s", r->error);
	x->audit->result = "docker error";
}

/*
 * dockerd's answers to inspect-by-name that mean "not that name": 404,
 * and an ID prefix shared by several containers (400 or, in 20.10, 500
 * "Multiple IDs found"). Told apart from a miss, the latter would count
 * containers the caller may not see.
 */
int
lookup_miss(const struct engine_reply *r)
{
	const char *m = json_string_value(json_object_get(r->body, "message"));

	if (r->status == 404 || (r->status >= 400 && r->status < 500))
		return 1;
	return m != NULL && strncmp(m, "Multiple IDs found", 18) == 0;
}

/* Inspect by name; fills x->t. Returns 0, or -1 with x->out set. */
int
resolve(struct ctx *x)
{
	struct engine_reply r;
	const char *name, *id;
	json_t *labels;

	if (engine_inspect(x->eng, x->req->name, ENGINE_TIMEOUT, &r) == -1 ||
	    (r.status != 200 && !lookup_miss(&r))) {
		not_found(x, "container lookup failed");
		engine_failed(x, &r);
		engine_reply_free(&r);
		return -1;
	}
	if (r.status != 200) {
		not_found(x, r.status == 404 ? "no such container" :
		    "name is an ambiguous ID prefix");
		engine_reply_free(&r);
		return -1;
	}
	x->t.inspect = r.body;
	name = json_string_value(json_object_get(r.body, "Name"));
	id = json_string_value(json_object_get(r.body, "Id"));
	if (name == NULL || name[0] != '/' ||
	    strcmp(name + 1, x->req->name) != 0) {	/* an ID or prefix */
		not_found(x, "name resolved to another container "
		    "(ID prefix or alias)");
		return -1;
	}
	if (!id_valid(id)) {
		not_found(x, "malformed inspect answer");
		set_out(x, EXIT_FAIL, "dockerd: malformed container ID");
		return -1;
	}
	memcpy(x->t.id, id, ID_LEN + 1);
	memcpy(x->audit->id, id, ID_LEN + 1);
	labels = json_object_get(json_object_get(r.body, "Config"), "Labels");
	x->t.owner = label(labels, x->cf->owner_label);
	x->t.group = label(labels, x->cf->group_label);
	x->t.tty = json_is_true(json_object_get(json_object_get(r.body,
	    "Config"), "Tty"));
	return 0;
}

int
authorize(struct ctx *x)
{
	struct decision d;

	policy_decide(x->cf, x->who, x->req->verb->id, x->req->name,
	    x->t.owner, x->t.group, &d);
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%s", d.reason);
	if (d.allow) {
		x->audit->allow = 1;
		return 0;
	}
	if (d.visible)
		set_out(x, EXIT_NOTFOUND, "%s: permission denied",
		    x->req->verb->name);
	else
		not_found(x, d.reason);
	return -1;
}

static void
post_action(struct ctx *x, enum engine_action action, const char *done)
{
	struct engine_reply r;
	long timeout = ENGINE_TIMEOUT;

	timeout += x->req->time >= 0 ? x->req->time : 10;
	if (engine_action(x->eng, x->t.id, action, x->req->time, timeout,
	    &r) == -1 ||
	    (r.status != 204 && r.status != 304)) {
		if (r.status == 404)
			not_found(x, "container vanished");
		else
			engine_failed(x, &r);
		engine_reply_free(&r);
		return;
	}
	x->out.data = json_pack("{s:s, s:s, s:b}", "name", x->req->name,
	    "id", x->t.id, "changed", r.status == 204);
	x->audit->result = r.status == 204 ? done : "unchanged";
	engine_reply_free(&r);
}

static void
do_start(struct ctx *x)
{
	post_action(x, ENGINE_START, "started");
}

static void
do_stop(struct ctx *x)
{
	post_action(x, ENGINE_STOP, "stopped");
}

static void
do_restart(struct ctx *x)
{
	post_action(x, ENGINE_RESTART, "restarted");
}

static json_t *
jpath(json_t *j, const char *a, const char *b)
{
	return json_object_get(json_object_get(j, a), b);
}

static void
do_status(struct ctx *x)
{
	json_t *st = json_object_get(x->t.inspect, "State");
	json_t *health = jpath(st, "Health", "Status");

	x->out.data = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?,"
	    " s:O?, s:O?, s:b}",
	    "name", x->req->name,
	    "id", x->t.id,
	    "state", json_object_get(st, "Status"),
	    "health", json_is_string(health) ? health : NULL,
	    "started_at", json_object_get(st, "StartedAt"),
	    "finished_at", json_object_get(st, "FinishedAt"),
	    "exit_code", json_object_get(st, "ExitCode"),
	    "restart_count", json_object_get(x->t.inspect, "RestartCount"),
	    "image", jpath(x->t.inspect, "Config", "Image"),
	    "tty", x->t.tty);
	x->audit->result = "ok";
}

static json_int_t
num(json_t *j)
{
	return json_is_integer(j) ? json_integer_value(j) : 0;
}

static double
cpu_percent(json_t *s)
{
	json_t *cpu = json_object_get(s, "cpu_stats");
	json_t *pre = json_object_get(s, "precpu_stats");
	double cd, sd, online;

	cd = (double)(num(jpath(cpu, "cpu_usage", "total_usage")) -
	    num(jpath(pre, "cpu_usage", "total_usage")));
	sd = (double)(num(json_object_get(cpu, "system_cpu_usage")) -
	    num(json_object_get(pre, "system_cpu_usage")));
	online = (double)num(json_object_get(cpu, "online_cpus"));
	if (online == 0)
		online = (double)json_array_size(jpath(cpu, "cpu_usage",
		    "percpu_usage"));
	if (cd <= 0 || sd <= 0)
		return 0;
	return cd / sd * online * 100.0;
}

static json_int_t
memory_used(json_t *s)
{
	json_t *m = json_object_get(s, "memory_stats");
	json_int_t usage = num(json_object_get(m, "usage")), cache;

	cache = num(jpath(m, "stats", "total_inactive_file"));
	if (cache == 0)
		cache = num(jpath(m, "stats", "inactive_file"));
	return cache < usage ? usage - cache : usage;
}

static void
do_stats(struct ctx *x)
{
	struct engine_reply r;

	if (engine_stats(x->eng, x->t.id, &r) == -1 ||
	    r.status != 200 || !json_is_object(r.body)) {
		engine_failed(x, &r);
		engine_reply_free(&r);
		return;
	}
	x->out.data = json_pack("{s:s, s:s, s:f, s:I, s:I, s:I}",
	    "name", x->req->name, "id", x->t.id,
	    "cpu_percent", cpu_percent(r.body),
	    "memory_used", memory_used(r.body),
	    "memory_limit", num(jpath(r.body, "memory_stats", "limit")),
	    "pids", num(jpath(r.body, "pids_stats", "current")));
	x->audit->result = "ok";
	engine_reply_free(&r);
}

/*
 * Log bytes become stdout/stderr frames, laid out back to back in one
 * buffer and written with one write(2) per batch: a stream that switches
 * between stdout and stderr every line would otherwise cost a system
 * call per line on both sides.
 */
#define SINK_BUF	(256u << 10)

struct logsink {
	int		 fd;
	int		 send_failed;	/* the client is gone */
	int		 bad;		/* dockerd's stream is malformed */
	uint8_t		 type;		/* of the open frame; 0: none */
	size_t		 hdr;		/* where the open frame's header is */
	size_t		 len;		/* bytes in buf */
	struct demux	 dm;
	char		 syserr[256];
	size_t		 syserrlen;
	unsigned char	 buf[SINK_BUF];
};

static void
sink_close_frame(struct logsink *s)
{
	if (s->type != 0)
		proto_put_header(s->buf + s->hdr, s->type,
		    (uint32_t)(s->len - s->hdr - PROTO_HDR_LEN));
	s->type = 0;
}

static int
sink_flush(struct logsink *s)
{
	sink_close_frame(s);
	if (s->len == 0)
		return 0;
	if (proto_send_framed(s->fd, s->buf, s->len) == -1) {
		s->send_failed = 1;
		return -1;
	}
	s->len = 0;
	return 0;
}

static int
sink_put(void *arg, int stream, const unsigned char *p, size_t len)
{
	struct logsink *s = arg;
	uint8_t type = stream == 2 ? FRAME_STDERR : FRAME_STDOUT;
	size_t n, room;

	if (stream == 3) {
		n = sizeof(s->syserr) - 1 - s->syserrlen;
		n = len < n ? len : n;
		memcpy(s->syserr + s->syserrlen, p, n);
		s->syserrlen += n;
		return 0;
	}
	while (len > 0) {
		if (s->type != 0 && (s->type != type ||
		    s->len - s->hdr - PROTO_HDR_LEN == PROTO_MAX_LEN))
			sink_close_frame(s);
		if (s->type == 0) {
			if (s->len + PROTO_HDR_LEN + 1 > sizeof(s->buf) &&
			    sink_flush(s) == -1)
				return -1;
			s->hdr = s->len;
			s->len += PROTO_HDR_LEN;
			s->type = type;
		}
		room = PROTO_MAX_LEN - (s->len - s->hdr - PROTO_HDR_LEN);
		if (room > sizeof(s->buf) - s->len)
			room = sizeof(s->buf) - s->len;
		n = len < room ? len : room;
		memcpy(s->buf + s->len, p, n);
		s->len += n;
		p += n;
		len -= n;
		if (s->len == sizeof(s->buf) && sink_flush(s) == -1)
			return -1;
	}
	return 0;
}

/*
 * engine_logs's sink. Bytes are only gathered here; a NULL buffer is
 * the stream's word that it is about to wait, and the batch goes out.
 */
static int
sink_raw(void *arg, const unsigned char *p, size_t len)
{
	struct logsink *s = arg;

	if (p == NULL)
		return sink_flush(s);
	return sink_put(s, 1, p, len);
}

static int
sink_mux(void *arg, const unsigned char *p, size_t len)
{
	struct logsink *s = arg;

	if (p == NULL)
		return sink_flush(s);
	if (demux_feed(&s->dm, p, len, sink_put, s) == -1) {
		s->bad = !s->send_failed;
		return -1;
	}
	return 0;
}

static void
logs_opts(const struct request *r, struct engine_logopts *o)
{
	o->follow = r->follow;
	o->timestamps = r->timestamps;
	o->tail = r->tail;
	o->has_since = r->has_since;
	o->since = r->since;
	o->has_until = r->has_until;
	o->until = r->until;
}

/*
 * A followed stream ends by itself when the container stops. If it ended
 * while the container still runs, or dockerd is gone, the user must hear
 * that the output stopped for another reason.
 */
static int
follow_cut(struct ctx *x)
{
	struct engine_reply r;
	int running;

	if (engine_inspect(x->eng, x->t.id, 5, &r) == -1 ||
	    r.status != 200) {
		set_out(x, EXIT_FAIL, "the log stream ended: dockerd went away");
		engine_reply_free(&r);
		return 1;
	}
	running = json_is_true(json_object_get(json_object_get(r.body,
	    "State"), "Running"));
	engine_reply_free(&r);
	if (running)
		set_out(x, EXIT_FAIL, "the log stream ended while %s still "
		    "runs (dockerd restarted?)", x->req->name);
	return running;
}

/*
 * A follow of new lines, or of fewer than a relay keeps, can share one
 * dockerd stream with the container's other followers (relay.c).
 */
static int
relay_fits(const struct ctx *x)
{
	const struct request *r = x->req;

	return r->follow && !x->t.tty && !r->has_since && !r->has_until &&
	    r->tail >= 0 && r->tail <= RELAY_RING_LINES;
}

/* The answer after a relay wrote the lines (relay_wait's outcome). */
static void
logs_relayed(struct ctx *x, int rc, const struct engine_reply *r)
{
	x->audit->via = "relay";
	if (rc == -2 || rc == -3) {
		x->out.exit = -1;	/* nobody to answer */
		x->audit->result = rc == -2 ? "client left" : "relay failed";
	} else if (rc == -1) {
		set_out(x, EXIT_FAIL, "%s", r->error);
		x->audit->result = "stream error";
	} else if (follow_cut(x))
		x->audit->result = "stream ended";
	else
		x->audit->result = "ok";
}

static void
do_logs(struct ctx *x)
{
	struct engine_reply r;
	struct engine_logopts o;
	struct logsink *s;
	enum engine_stream es;
	int rc, rfd;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		return;
	}
	s->fd = x->fd;
	demux_init(&s->dm);
	logs_opts(x->req, &o);
	if (relay_fits(x) && (rfd = relay_attach(x->cf, x->eng, x->t.id,
	    x->req->timestamps, x->req->tail, x->fd)) != -1) {
		rc = relay_wait(rfd, x->fd, &r);
		close(rfd);
		if (rc != -4) {
			logs_relayed(x, rc, &r);
			free(s);
			return;
		}
	}
	es = engine_logs(x->eng, x->t.id, &o, x->fd, x->req->follow ?
	    FOLLOW_PACE_MS : 0, x->t.tty ? sink_raw : sink_mux, s, &r);
	if (es == ENGINE_STREAM_CUT && s->bad) {
		set_out(x, EXIT_FAIL, "error from daemon in stream: malformed "
		    "frame header");
		x->audit->result = "stream error";
	} else if (es == ENGINE_STREAM_CUT) {
		x->out.exit = -1;	/* nobody to answer */
		x->audit->result = "client left";
	} else if (es == ENGINE_STREAM_FAILED || r.status != 200) {
		if (r.status == 0 && r.error[0] == '\0')
			snprintf(r.error, sizeof(r.error),
			    "malformed log stream from dockerd");
		engine_failed(x, &r);
	} else if (!x->t.tty && (!demux_done(&s->dm) || s->syserrlen > 0)) {
		set_out(x, EXIT_FAIL, "error from daemon in stream: %s",
		    s->syserrlen ? s->syserr : "truncated stream");
		x->audit->result = "stream error";
	} else if (x->req->follow && follow_cut(x))
		x->audit->result = "stream ended";
	else
		x->audit->result = "ok";
	engine_reply_free(&r);
	free(s);
}

static const char *
list_name(json_t *c)
{
	json_t *names = json_object_get(c, "Names"), *n;
	size_t i;
	const char *s;

	json_array_foreach(names, i, n) {
		s = json_string_value(n);
		if (s != NULL && s[0] == '/' && strchr(s + 1, '/') == NULL)
			return s + 1;
	}
	return NULL;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t **)a,
	    "name")), json_string_value(json_object_get(*(json_t **)b,
	    "name")));
}

static void
sort_list(json_t *arr)
{
	size_t i, n = json_array_size(arr);
	json_t **v;

	if (n < 2 || (v = calloc(n, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), by_name);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/* More groups than this ask for every group-labelled container at once. */
#define LS_GROUP_QUERIES	4

/* Lists what dockerd answers for one query, once per ID, if visible. */
static int
ls_query(struct ctx *x, const char *key, const char *value, json_t *seen,
    json_t *list)
{
	struct engine_reply r;
	struct decision d;
	json_t *c, *labels;
	const char *name, *id;
	size_t i;

	if (engine_list(x->eng, key, value, &r) == -1 ||
	    r.status != 200 || !json_is_array(r.body)) {
		engine_failed(x, &r);
		engine_reply_free(&r);
		return -1;
	}
	json_array_foreach(r.body, i, c) {
		name = list_name(c);
		id = json_string_value(json_object_get(c, "Id"));
		if (name == NULL || !id_valid(id) ||
		    json_object_get(seen, id) != NULL)
			continue;
		json_object_set_new(seen, id, json_true());
		labels = json_object_get(c, "Labels");
		policy_decide(x->cf, x->who, VERB_LS, name,
		    label(labels, x->cf->owner_label),
		    label(labels, x->cf->group_label), &d);
		if (!d.visible)
			continue;
		json_array_append_new(list, json_pack("{s:s, s:O, s:O?, s:O?,"
		    " s:O?}", "name", name, "id", json_object_get(c, "Id"),
		    "state", json_object_get(c, "State"),
		    "status", json_object_get(c, "Status"),
		    "image", json_object_get(c, "Image")));
	}
	engine_reply_free(&r);
	return 0;
}

/*
 * With no grant rule naming the caller, only its owner and group labels
 * can show a container: ask dockerd for those (it filters before it
 * serializes, which is most of a large listing's cost), else for all.
 */
static int
ls_collect(struct ctx *x, json_t *seen, json_t *list)
{
	char *const *g = x->who->groups;
	size_t i, n = 0;

	if (policy_rules_grant(x->cf, x->who))
		return ls_query(x, NULL, NULL, seen, list);
	if (ls_query(x, x->cf->owner_label, x->who->user, seen, list) == -1)
		return -1;
	while (g != NULL && g[n] != NULL)
		n++;
	if (n > LS_GROUP_QUERIES)
		return ls_query(x, x->cf->group_label, NULL, seen, list);
	for (i = 0; i < n; i++)
		if (ls_query(x, x->cf->group_label, g[i], seen, list) == -1)
			return -1;
	return 0;
}

static void
do_ls(struct ctx *x)
{
	json_t *list = json_array(), *seen = json_object();

	if (list == NULL || seen == NULL || ls_collect(x, seen, list) == -1) {
		if (list == NULL || seen == NULL) {
			set_out(x, EXIT_FAIL, "out of memory");
			x->audit->result = "error";
		}
		json_decref(list);
		json_decref(seen);
		return;
	}
	json_decref(seen);
	sort_list(list);
	x->out.data = json_pack("{s:o}", "containers", list);
	x->audit->allow = 1;
	snprintf(x->audit->reason, sizeof(x->audit->reason),
	    "lists only permitted containers");
	x->audit->result = "ok";
}

static void
do_forget(struct ctx *x)
{
	x->audit->allow = 1;
	snprintf(x->audit->reason, sizeof(x->audit->reason),
	    "a user may always forget its own ticket");
	if (ticket_forget(x->cf, x->who->uid, x->peer) == -1) {
		set_out(x, EXIT_FAIL, "cannot remove the ticket");
		x->audit->result = "error";
		return;
	}
	x->audit->result = "forgotten";
}

static const handler handlers[VERB_COUNT] = {
	[VERB_CREATE] = do_create,
	[VERB_RM] = do_rm,
	[VERB_PROVISION] = do_provision,
	[VERB_UNPROVISION] = do_unprovision,
	[VERB_FORGET] = do_forget,
	[VERB_LS] = do_ls,
	[VERB_STATUS] = do_status,
	[VERB_START] = do_start,
	[VERB_STOP] = do_stop,
	[VERB_RESTART] = do_restart,
	[VERB_LOGS] = do_logs,
	[VERB_STATS] = do_stats,
};

/* Data too large for one control frame goes ahead in data frames. */
static int
send_data(int fd, json_t *data)
{
	char *text;
	size_t len, off, n;
	int rc = 0;

	if ((text = json_dumps(data, JSON_COMPACT)) == NULL)
		return -1;
	len = strlen(text);
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < PROTO_MAX_LEN ? len - off : PROTO_MAX_LEN;
		rc = proto_send(fd, FRAME_DATA, text + off, n);
	}
	free(text);
	return rc;
}

static int
send_done(int fd, const struct outcome *o)
{
	json_t *j;
	char *probe;
	int rc;

	if ((j = json_pack("{s:i}", "exit", o->exit)) == NULL)
		return -1;
	if (o->exit != 0)
		json_object_set_new(j, "error", json_string(o->msg));
	if (o->data != NULL) {
		json_object_set(j, "data", o->data);
		probe = json_dumps(j, JSON_COMPACT);
		if (probe == NULL || strlen(probe) > PROTO_MAX_JSON) {
			json_object_del(j, "data");
			if (send_data(fd, o->data) == -1) {
				free(probe);
				json_decref(j);
				return -1;
			}
		}
		free(probe);
	}
	rc = proto_send_json(fd, FRAME_DONE, j);
	json_decref(j);
	return rc;
}

/* Fail closed: an action that could not be audited is not taken. */
static int
audit_ready(struct ctx *x)
{
	char why[128];

	if (auditlog_ready(why, sizeof(why)) == 0)
		return 0;
	set_out(x, EXIT_FAIL, "request refused: ctld cannot write its audit "
	    "log");
	x->audit->allow = 0;
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%s", why);
	x->audit->result = "refused: audit unavailable";
	logmsg(LOG_ERR, "refusing requests: %s", why);
	return -1;
}

static int
reauth_needed(struct ctx *x)
{
	char msg[300];

	if (!(x->cf->reauth_verbs & VERB_BIT(x->req->verb->id)))
		return 0;
	if (reauth(x->cf, x->who, x->peer, x->fd, x->audit, msg,
	    sizeof(msg)) == 0)
		return 0;
	set_out(x, EXIT_AUTH, "%s", msg);
	x->audit->result = "refused";
	return -1;
}

int
action_run(const struct config *cf, const struct engine *eng,
    const struct identity *who, const struct peer *peer,
    const struct request *req, int fd, struct audit_rec *audit)
{
	struct ctx x;
	handler h = handlers[req->verb->id];

	memset(&x, 0, sizeof(x));
	x.cf = cf;
	x.eng = eng;
	x.who = who;
	x.peer = peer;
	x.req = req;
	x.fd = fd;
	x.audit = audit;
	audit->result = "refused";
	if ((req->verb->flags & VF_ADMIN) && who->uid != 0) {
		set_out(&x, EXIT_USAGE, "unknown verb");
		snprintf(audit->reason, sizeof(audit->reason),
		    "%s is for root (pam_ctl) only", req->verb->name);
	} else if (h == NULL)
		set_out(&x, EXIT_USAGE, "unknown verb");
	else if ((!(req->verb->flags & VF_NAME) ||
	    (resolve(&x) == 0 && authorize(&x) == 0)) &&
	    reauth_needed(&x) == 0 && audit_ready(&x) == 0)
		h(&x);
	audit->exit = x.out.exit;
	auditlog_write(cf, audit);	/* recorded before it is answered */
	if (x.out.exit >= 0)
		send_done(fd, &x.out);
	json_decref(x.out.data);
	json_decref(x.t.inspect);
	return x.out.exit;
}
