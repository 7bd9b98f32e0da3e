/*
 * The verbs on one resolved container: status, start, stop, restart.
 *
 * Invariants:
 * 1. They act on the target's full ID (resolve.c), after policy allowed
 *    the verb (actions.c).
 * 2. start, stop and restart send no body; only --time, a number,
 *    reaches dockerd from the request.
 */
#include <stdio.h>

#include "handlers.h"

static void
post_action(struct ctx *x, enum engine_action action, const char *done)
{
	struct engine_reply r;
	long wait = x->req->time >= 0 ? x->req->time : 10; /* dockerd's */

	if (engine_action(x->eng, x->t.id, action, x->req->time,
	    ENGINE_TIMEOUT + wait, &r) == -1 ||
	    (r.status != 204 && r.status != 304)) {
		if (r.status == 404)
			not_found(x, "container vanished");
		else
			engine_failed(x, r.error);
		engine_reply_free(&r);
		return;
	}
	x->out.data = json_pack("{s:s, s:s, s:b}", "name", x->req->name,
	    "id", x->t.id, "changed", r.status == 204);
	x->audit->result = r.status == 204 ? done : "unchanged";
	engine_reply_free(&r);
}

void
do_start(struct ctx *x)
{
	post_action(x, ENGINE_START, "started");
}

void
do_stop(struct ctx *x)
{
	post_action(x, ENGINE_STOP, "stopped");
}

void
do_restart(struct ctx *x)
{
	post_action(x, ENGINE_RESTART, "restarted");
}

static json_t *
jpath(json_t *j, const char *a, const char *b)
{
	return json_object_get(json_object_get(j, a), b);
}

void
do_status(struct ctx *x)
{
	json_t *st = json_object_get(x->t.inspect, "State");
	json_t *health = jpath(st, "Health", "Status");

	x->out.data = json_pack("{s:s, s:s, s:O?, s:O?, s:o?, s:o?, s:O?,"
	    " s:O?, s:o?, s:b}",
	    "name", x->req->name,
	    "id", x->t.id,
	    "state", json_object_get(st, "Status"),
	    "health", json_is_string(health) ? health : NULL,
	    "started_at", docker_time(json_object_get(st, "StartedAt")),
	    "finished_at", docker_time(json_object_get(st, "FinishedAt")),
	    "exit_code", json_object_get(st, "ExitCode"),
	    "restart_count", json_object_get(x->t.inspect, "RestartCount"),
	    "image", image_name(jpath(x->t.inspect, "Config", "Labels"),
	    jpath(x->t.inspect, "Config", "Image")),
	    "tty", x->t.tty);
	x->audit->result = "ok";
}
