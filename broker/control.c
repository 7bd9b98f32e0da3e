/*
 * The verbs on one resolved container: status, start, stop, restart,
 * stats.
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

	x->out.data = json_pack("{s:s, s:s, s:O?, s:O?, s:O?, s:O?, s:O?,"
	    " s:O?, s:o?, s:b}",
	    "name", x->req->name,
	    "id", x->t.id,
	    "state", json_object_get(st, "Status"),
	    "health", json_is_string(health) ? health : NULL,
	    "started_at", json_object_get(st, "StartedAt"),
	    "finished_at", json_object_get(st, "FinishedAt"),
	    "exit_code", json_object_get(st, "ExitCode"),
	    "restart_count", json_object_get(x->t.inspect, "RestartCount"),
	    "image", image_name(jpath(x->t.inspect, "Config", "Labels"),
	    jpath(x->t.inspect, "Config", "Image")),
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

void
do_stats(struct ctx *x)
{
	struct engine_reply r;

	if (engine_stats(x->eng, x->t.id, &r) == -1 ||
	    r.status != 200 || !json_is_object(r.body)) {
		engine_failed(x, r.error);
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
