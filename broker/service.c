/*
 * Swarm services, on an engine that is a manager: the verbs a resolved
 * service takes (status, logs, start, stop, restart, scale), and its
 * row in ls.
 *
 * Invariants:
 * 1. Users never create, update or remove a service: the one body ctld
 *    sends is dockerd's own Spec of that service, read at the version it
 *    is sent with, in which ctld changes only ForceUpdate (restart), the
 *    replicated count (scale, stop, start) and its own ctl.replicas
 *    label. No image, environment, mount or placement comes from a user.
 * 2. Only replicated services are scaled, stopped or started; scale goes
 *    no higher than swarm.max_replicas, or a lower ctl.max_replicas
 *    label an admin set on the service.
 * 3. Actions go to the service's full Swarm ID on the engine that
 *    resolved it (resolve.c); a version that moved meanwhile is read
 *    again, a few times, never overwritten.
 * 4. A service's logs are its tasks' lines as docker service logs shows
 *    them, each prefixed with NAME.SLOT.TASK@NODE from tasks and nodes
 *    ctld looked up itself; no byte of a line is dropped or changed.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clientfd.h"
#include "handlers.h"
#include "names.h"
#include "service.h"

#define UPDATE_TRIES	3
#define CONVERGE_SECS	300	/* a restart waits so long at most */
#define REPLICAS_LABEL	"ctl.replicas"
#define MAX_LABEL	"ctl.max_replicas"

static json_t *
jpath2(json_t *j, const char *a, const char *b)
{
	return json_object_get(json_object_get(j, a), b);
}

/* The mode as the CLI names it, from Spec.Mode's one key. */
const char *
service_mode(json_t *svc)
{
	static const struct {
		const char	*key, *name;
	} modes[] = {
		{ "Replicated", "replicated" },
		{ "Global", "global" },
		{ "ReplicatedJob", "replicated-job" },
		{ "GlobalJob", "global-job" },
	};
	json_t *m = jpath2(svc, "Spec", "Mode");
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (json_object_get(m, modes[i].key) != NULL)
			return modes[i].name;
	return "unknown";
}

/* The image as docker service ls shows it: a tag's digest dropped. */
json_t *
service_image(json_t *svc)
{
	const char *img = json_string_value(json_object_get(json_object_get(
	    jpath2(svc, "Spec", "TaskTemplate"), "ContainerSpec"), "Image"));
	const char *at, *slash, *colon;

	if (img == NULL)
		return json_null();
	if ((at = strchr(img, '@')) == NULL)
		return json_string(img);
	slash = memrchr(img, '/', (size_t)(at - img));
	colon = memrchr(img, ':', (size_t)(at - img));
	if (colon != NULL && (slash == NULL || colon > slash))
		return json_stringn(img, (size_t)(at - img));	/* a tag */
	return json_string(img);
}

/* A replicated service's count; -1: it is no replicated service. */
static long
replicas_of(json_t *svc)
{
	json_t *rep = json_object_get(jpath2(svc, "Spec", "Mode"),
	    "Replicated"), *r = json_object_get(rep, "Replicas");

	return json_is_integer(r) ? (long)json_integer_value(r) : -1;
}

static long
label_number(json_t *svc, const char *key)
{
	const char *v = json_string_value(json_object_get(jpath2(svc, "Spec",
	    "Labels"), key));
	unsigned long n;

	return v != NULL && uint_parse(v, 1000000, &n) == 0 ? (long)n : -1;
}

/* A task's row for status, with its node's name. */
static json_t *
task_row(json_t *task, json_t *nodes)
{
	json_t *st = json_object_get(task, "Status"), *slot;
	const char *node = json_string_value(json_object_get(task, "NodeID"));
	json_t *host = node != NULL ? json_object_get(nodes, node) : NULL;

	slot = json_object_get(task, "Slot");
	return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}",
	    "id", json_object_get(task, "ID"),
	    "slot", json_integer_value(slot) > 0 ? slot : json_null(),
	    "node", host != NULL ? host : json_object_get(task, "NodeID"),
	    "state", json_object_get(st, "State"),
	    "desired_state", json_object_get(task, "DesiredState"),
	    "error", json_object_get(st, "Err"),
	    "timestamp", json_object_get(st, "Timestamp"));
}

/* Node ID -> its name (Spec.Name, else the host name), as the CLI. */
json_t *
service_node_names(const struct engine *e)
{
	struct engine_reply r;
	json_t *map = json_object(), *n, *name;
	size_t i;

	if (engine_nodes(e, &r) == 0 && r.status == 200)
		json_array_foreach(r.body, i, n) {
			name = jpath2(n, "Spec", "Name");
			if (!json_is_string(name))
				name = jpath2(n, "Description", "Hostname");
			if (json_is_string(json_object_get(n, "ID")) &&
			    json_is_string(name))
				json_object_set(map, json_string_value(
				    json_object_get(n, "ID")), name);
		}
	engine_reply_free(&r);
	return map;
}

/* running: tasks running and meant to; desired: the count, or tasks meant
 * to run (global). */
static void
task_counts(json_t *svc, json_t *tasks, long *running, long *desired)
{
	json_t *t;
	size_t i;
	long want = 0;

	*running = 0;
	json_array_foreach(tasks, i, t) {
		if (strcmp(json_string_value(json_object_get(t,
		    "DesiredState")) ?: "", "running") != 0)
			continue;
		want++;
		if (strcmp(json_string_value(jpath2(t, "Status", "State")) ?:
		    "", "running") == 0)
			(*running)++;
	}
	*desired = replicas_of(svc) >= 0 ? replicas_of(svc) : want;
}

static void
svc_status(struct ctx *x)
{
	struct engine_reply tr;
	json_t *svc = x->t.inspect, *rows, *nodes, *t, *us;
	long running, desired;
	size_t i;

	if (engine_tasks(x->eng, x->t.id, &tr) == -1 || tr.status != 200 ||
	    !json_is_array(tr.body)) {
		engine_failed(x, tr.error[0] ? tr.error :
		    "dockerd: malformed task list");
		engine_reply_free(&tr);
		return;
	}
	nodes = service_node_names(x->eng);
	rows = json_array();
	json_array_foreach(tr.body, i, t)
		json_array_append_new(rows, task_row(t, nodes));
	task_counts(svc, tr.body, &running, &desired);
	us = json_object_get(svc, "UpdateStatus");
	x->out.data = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, "
	    "s:o}", "kind", "service", "name", x->req->name, "id", x->t.id,
	    "mode", service_mode(svc), "running", (json_int_t)running,
	    "desired", (json_int_t)desired, "image", service_image(svc),
	    "update", us == NULL ? json_null() : json_pack("{s:O?, s:O?, "
	    "s:O?, s:O?}", "state", json_object_get(us, "State"), "message",
	    json_object_get(us, "Message"), "started_at",
	    json_object_get(us, "StartedAt"), "completed_at",
	    json_object_get(us, "CompletedAt")), "tasks", rows);
	json_decref(nodes);
	engine_reply_free(&tr);
	x->audit->result = "ok";
}

/* What one change does to a copy of the Spec: 0, or -1 with x->out. */
typedef int (*spec_edit)(struct ctx *, json_t *svc, json_t *spec);

/*
 * Reads the service, lets edit change its Spec, and sends that at the
 * version read; a version that moved meanwhile is read again. 1: sent;
 * 0: edit left nothing to change; -1 with x->out set. *svcp: the
 * service as last read (caller's).
 */
static int
update(struct ctx *x, spec_edit edit, json_t **svcp)
{
	struct engine_reply r, u;
	json_t *svc, *spec, *ver;
	const char *msg;
	int i;

	*svcp = NULL;
	for (i = 0; i < UPDATE_TRIES; i++) {
		if (engine_service(x->eng, x->t.id, &r) == -1 ||
		    r.status != 200 || !json_is_integer(ver = jpath2(r.body,
		    "Version", "Index"))) {
			engine_failed(x, r.error[0] ? r.error :
			    "dockerd: malformed service");
			engine_reply_free(&r);
			return -1;
		}
		svc = r.body;
		json_decref(*svcp);
		*svcp = json_incref(svc);
		if ((spec = json_deep_copy(json_object_get(svc, "Spec"))) ==
		    NULL || edit(x, svc, spec) == -1) {
			if (spec == NULL)
				engine_failed(x, json_is_object(json_object_get(
				    svc, "Spec")) ? "out of memory" :
				    "dockerd: malformed service");
			json_decref(spec);
			engine_reply_free(&r);
			return -1;
		}
		if (json_object_size(spec) == 0) {	/* nothing to change */
			json_decref(spec);
			engine_reply_free(&r);
			return 0;
		}
		(void)engine_service_update(x->eng, x->t.id,
		    (unsigned long long)json_integer_value(ver), spec, &u);
		json_decref(spec);
		engine_reply_free(&r);
		msg = json_string_value(json_object_get(u.body, "message"));
		if (u.status == 200) {
			engine_reply_free(&u);
			return 1;
		}
		if (u.status != 500 || msg == NULL ||
		    strstr(msg, "update out of sequence") == NULL) {
			engine_failed(x, u.error);
			engine_reply_free(&u);
			return -1;
		}
		engine_reply_free(&u);
	}
	set_out(x, EXIT_FAIL, "%s: the service kept changing meanwhile; try "
	    "again", x->req->name);
	x->audit->result = "docker error";
	return -1;
}

static json_t *
spec_labels(json_t *spec)
{
	json_t *l = json_object_get(spec, "Labels");

	if (!json_is_object(l)) {
		l = json_object();
		json_object_set_new(spec, "Labels", l);
	}
	return l;
}

/* Scale, stop and start: replicated services only (invariant 2). */
static int
replicated(struct ctx *x, json_t *svc)
{
	if (replicas_of(svc) >= 0)
		return 0;
	set_out(x, EXIT_USAGE, "%s: %s is a %s service: only a replicated "
	    "service can be scaled, stopped or started", x->req->verb->name,
	    x->req->name, service_mode(svc));
	x->audit->result = "refused: not replicated";
	return -1;
}

static void
set_replicas(json_t *spec, long n)
{
	json_object_set_new(json_object_get(json_object_get(spec, "Mode"),
	    "Replicated"), "Replicas", json_integer(n));
}

/* Invariant 2: n replicas within the ceiling; else -1 with x->out. */
static int
within_cap(struct ctx *x, json_t *svc, long n)
{
	long max = x->cf->swarm_max_replicas, own = label_number(svc,
	    MAX_LABEL);

	if (own >= 0 && own < max)
		max = own;
	if (n <= max)
		return 0;
	set_out(x, EXIT_NOTFOUND, "%s: at most %ld replicas of %s",
	    x->req->verb->name, max, x->req->name);
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%ld above the "
	    "limit of %ld (%s)", n, max, own >= 0 && own == max ? MAX_LABEL :
	    "swarm.max_replicas");
	x->audit->result = "refused";
	return -1;
}

static int
edit_scale(struct ctx *x, json_t *svc, json_t *spec)
{
	if (replicated(x, svc) == -1 || within_cap(x, svc,
	    x->req->replicas) == -1)
		return -1;
	if (replicas_of(svc) == x->req->replicas)
		json_object_clear(spec);
	else
		set_replicas(spec, x->req->replicas);
	return 0;
}

/* stop: to 0, the count remembered (a service at 0 keeps its label). */
static int
edit_stop(struct ctx *x, json_t *svc, json_t *spec)
{
	char n[24];

	if (replicated(x, svc) == -1)
		return -1;
	if (replicas_of(svc) == 0) {
		json_object_clear(spec);
		return 0;
	}
	snprintf(n, sizeof(n), "%ld", replicas_of(svc));
	json_object_set_new(spec_labels(spec), REPLICAS_LABEL, json_string(n));
	set_replicas(spec, 0);
	return 0;
}

static int
edit_start(struct ctx *x, json_t *svc, json_t *spec)
{
	long n = label_number(svc, REPLICAS_LABEL);

	if (replicated(x, svc) == -1)
		return -1;
	if (replicas_of(svc) > 0) {
		json_object_clear(spec);
		return 0;
	}
	if (n <= 0) {
		set_out(x, EXIT_FAIL, "start: %s has no count to restore (no "
		    "%s label): say scale %s N", x->req->name, REPLICAS_LABEL,
		    x->req->name);
		x->audit->result = "refused: nothing to restore";
		return -1;
	}
	if (within_cap(x, svc, n) == -1)
		return -1;	/* the label is anybody's who deployed it */
	json_object_del(spec_labels(spec), REPLICAS_LABEL);
	set_replicas(spec, n);
	return 0;
}

static int
edit_restart(struct ctx *x, json_t *svc, json_t *spec)
{
	json_t *tt = json_object_get(spec, "TaskTemplate");

	if (!json_is_object(tt)) {
		set_out(x, EXIT_FAIL, "dockerd: malformed service spec");
		return -1;
	}
	json_object_set_new(tt, "ForceUpdate", json_integer(
	    json_integer_value(json_object_get(tt, "ForceUpdate")) + 1));
	return 0;
}

/*
 * After a restart's update: until dockerd says it completed (or rolled
 * back), or failed, or CONVERGE_SECS passed, or the client left. 1: it
 * converged; 0: it goes on without us; -1: x->out says why.
 */
static int
converge(struct ctx *x)
{
	struct engine_reply r;
	const char *state, *msg;
	struct timespec now;
	time_t end;
	struct pollfd p = { x->fd, POLLIN, 0 };

	clock_gettime(CLOCK_MONOTONIC, &now);
	end = now.tv_sec + CONVERGE_SECS;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec >= end)
			break;
		if (poll(&p, 1, 500) == 1 && client_left(x->fd, p.revents))
			return 0;
		if (engine_service(x->eng, x->t.id, &r) == -1 ||
		    r.status != 200) {
			engine_failed(x, r.error);
			engine_reply_free(&r);
			return -1;
		}
		state = json_string_value(jpath2(r.body, "UpdateStatus",
		    "State"));
		msg = json_string_value(jpath2(r.body, "UpdateStatus",
		    "Message"));
		if (state != NULL && strcmp(state, "completed") == 0) {
			engine_reply_free(&r);
			return 1;
		}
		if (state != NULL && (strstr(state, "paused") != NULL ||
		    strncmp(state, "rollback_", 9) == 0)) {
			/* paused, or rolled back: the restart failed */
			set_out(x, EXIT_FAIL, "restart: %s: %s", x->req->name,
			    msg ? msg : state);
			x->audit->result = "docker error: update failed";
			engine_reply_free(&r);
			return -1;
		}
		engine_reply_free(&r);
	}
	set_out(x, EXIT_FAIL, "restart: %s still updating after %d s; it "
	    "goes on", x->req->name, CONVERGE_SECS);
	x->audit->result = "timed out waiting";
	return -1;
}

/* The verbs that change a service, as the CLI's scale, update --force. */
static const struct {
	enum verb_id	 verb;
	spec_edit	 edit;
	const char	*done;
} changes[] = {
	{ VERB_START, edit_start, "started" },
	{ VERB_STOP, edit_stop, "stopped" },
	{ VERB_RESTART, edit_restart, "restarted" },
	{ VERB_SCALE, edit_scale, "scaled" },
};

static void
svc_change(struct ctx *x)
{
	json_t *svc = NULL;
	long before;
	size_t i;
	int conv = 0, sent;

	for (i = 0; i < sizeof(changes) / sizeof(changes[0]) &&
	    changes[i].verb != x->req->verb->id; i++)
		;
	if (i == sizeof(changes) / sizeof(changes[0])) {
		set_out(x, EXIT_USAGE, "unknown verb");
		return;
	}
	if ((sent = update(x, changes[i].edit, &svc)) == -1) {
		json_decref(svc);
		return;
	}
	before = replicas_of(svc);
	/* no task to replace at 0: dockerd never says it completed */
	if (x->req->verb->id == VERB_RESTART && !x->req->detach &&
	    sent == 1 && replicas_of(svc) != 0 && (conv = converge(x)) == -1) {
		json_decref(svc);
		return;
	}
	x->out.data = json_pack("{s:s, s:s, s:s, s:I, s:b}", "kind",
	    "service", "name", x->req->name, "id", x->t.id, "previous",
	    (json_int_t)before, "changed", sent == 1);
	if (x->req->verb->id == VERB_RESTART)
		json_object_set_new(x->out.data, "converged", json_boolean(
		    conv == 1));
	if (x->req->verb->id == VERB_SCALE)
		json_object_set_new(x->out.data, "replicas",
		    json_integer(x->req->replicas));
	json_decref(svc);
	x->audit->result = sent == 1 ? changes[i].done : "unchanged";
}

/* What a verb does to a service; NULL: it acts on containers only. */
static const handler svc_handlers[VERB_COUNT] = {
	[VERB_STATUS] = svc_status,
	[VERB_START] = svc_change,
	[VERB_STOP] = svc_change,
	[VERB_RESTART] = svc_change,
	[VERB_SCALE] = svc_change,
	[VERB_LOGS] = service_logs,
};

handler
service_handler(const struct ctx *x)
{
	return svc_handlers[x->req->verb->id];
}

/* scale on a container: only a service scales. */
void
do_scale(struct ctx *x)
{
	set_out(x, EXIT_USAGE, "scale: %s is a container: only a replicated "
	    "service scales", x->req->name);
	x->audit->result = "refused: a container";
}

/* A service's row in ls. */
json_t *
service_row(const struct engine *e, json_t *svc, const char *name)
{
	json_t *st = json_object_get(svc, "ServiceStatus");

	return json_pack("{s:s, s:s, s:s, s:O?, s:s, s:O?, s:O?, s:o}",
	    "kind", "service", "name", name, "engine", e->name, "id",
	    json_object_get(svc, "ID"), "mode", service_mode(svc),
	    "running", json_object_get(st, "RunningTasks"), "desired",
	    json_object_get(st, "DesiredTasks"), "image", service_image(svc));
}
