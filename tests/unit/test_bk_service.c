/*
 * Swarm services through action_run (broker/service.c, svclogs.c), with
 * the real resolver, policy, engine client and audit against a fake
 * Engine API that is a manager: what the client is answered, and the
 * one update body dockerd is sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "actions.h"
#include "bk_util.h"

#define SID	"wwwwwwwwwwwwwwwwwwwwwwwww"
#define TID1	"t1t1t1t1t1t1t1t1t1t1t1t1t"
#define TID2	"t2t2t2t2t2t2t2t2t2t2t2t2t"
#define NID	"nnnnnnnnnnnnnnnnnnnnnnnnn"

static struct bk *b;
static struct answer a;
static char *alice_groups[] = { "dev", NULL };
static const struct identity alice = { 1000, 1000, 4242, "alice",
    alice_groups };
static char *no_groups[] = { NULL };
static const struct identity carol = { 1002, 1002, 4243, "carol",
    no_groups };

static int
setup(void **state)
{
	b = bk_start("rules = ( { users = [\"alice\"]; containers = "
	    "[\"web\"]; verbs = [\"scale\"]; } );\n"
	    "swarm = { max_replicas = 5; };\n");
	b->cf->engines[0].swarm = 1;	/* as engine_warm found it */
	snprintf(b->cf->engines[0].own_version,
	    sizeof(b->cf->engines[0].own_version), "1.41");
	return 0;
}

static int
teardown(void **state)
{
	answer_free(&a);
	bk_stop(b);
	return 0;
}

static int
run(const char *json)
{
	return bk_run(b, &alice, json, &a);
}

/* GET /services/web, and by its ID, with this mode and these labels. */
static void
service(const char *mode, const char *labels, int index)
{
	char *body;

	assert_true(asprintf(&body, "{\"ID\":\"" SID "\",\"Version\":"
	    "{\"Index\":%d},\"Spec\":{\"Name\":\"web\",\"Labels\":{%s},"
	    "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":"
	    "\"reg/app:2@sha256:abc\"},\"ForceUpdate\":4},\"Mode\":{%s}},"
	    "\"UpdateStatus\":{\"State\":\"completed\",\"Message\":\"update "
	    "completed\"}}", index, labels, mode) > 0);
	fe_json(b->fe, "GET", "/v1.41/services/web", 200, bk_keep(b, body));
	fe_json(b->fe, "GET", "/v1.41/services/" SID, 200, body);
	fe_json(b->fe, "GET", "/v1.41/containers/web/json", 404,
	    "{\"message\":\"No such container: web\"}");
}

static void
tasks_and_nodes(void)
{
	fe_json(b->fe, "GET", "/v1.41/tasks", 200, "["
	    "{\"ID\":\"" TID1 "\",\"Slot\":1,\"NodeID\":\"" NID "\","
	    "\"DesiredState\":\"running\",\"Status\":{\"State\":\"running\","
	    "\"Timestamp\":\"2026-12-01T10:00:00Z\"}},"
	    "{\"ID\":\"" TID2 "\",\"Slot\":2,\"NodeID\":\"" NID "\","
	    "\"DesiredState\":\"running\",\"Status\":{\"State\":\"failed\","
	    "\"Err\":\"task: non-zero exit (3)\"}}]");
	fe_json(b->fe, "GET", "/v1.41/nodes", 200, "[{\"ID\":\"" NID "\","
	    "\"Description\":{\"Hostname\":\"build01\"}}]");
}

static const char *OWNED = "\"ctl.owner\":\"alice\"";
static const char *REPLICATED2 = "\"Replicated\":{\"Replicas\":2}";

static void
test_status(void **state)
{
	json_t *t;

	service(REPLICATED2, OWNED, 7);
	tasks_and_nodes();
	assert_int_equal(run("{\"verb\":\"status\",\"name\":\"web\"}"), 0);
	assert_string_equal(json_string_value(bk_data(&a, "kind")), "service");
	assert_string_equal(json_string_value(bk_data(&a, "id")), SID);
	assert_string_equal(json_string_value(bk_data(&a, "mode")),
	    "replicated");
	/* the image as docker service ls shows it: a tag's digest dropped */
	assert_string_equal(json_string_value(bk_data(&a, "image")),
	    "reg/app:2");
	assert_int_equal(json_integer_value(bk_data(&a, "desired")), 2);
	assert_int_equal(json_integer_value(bk_data(&a, "running")), 1);
	t = json_array_get(bk_data(&a, "tasks"), 1);
	assert_string_equal(json_string_value(json_object_get(t, "node")),
	    "build01");
	assert_string_equal(json_string_value(json_object_get(t, "error")),
	    "task: non-zero exit (3)");
	assert_string_equal(bk_audit_str(b, "id"), SID);
	assert_string_equal(bk_audit_str(b, "kind"), "service");
}

/* Invariant 1: dockerd's own spec, only the count and the label. */
static void
test_stop_start_keep_the_count(void **state)
{
	json_t *body;

	service(REPLICATED2, OWNED, 7);
	fe_json(b->fe, "POST", "/v1.41/services/" SID "/update", 200,
	    "{\"Warnings\":null}");
	assert_int_equal(run("{\"verb\":\"stop\",\"name\":\"web\"}"), 0);
	assert_int_equal(fe_count_prefix(b->fe, "POST /v1.41/services/" SID
	    "/update?version=7"), 1);
	body = json_loads(fe_body(b->fe, fe_count(b->fe) - 1), 0, NULL);
	assert_non_null(body);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_object_get(body, "Mode"), "Replicated"), "Replicas")), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    body, "Labels"), "ctl.replicas")), "2");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(body, "TaskTemplate"), "ContainerSpec"), "Image")),
	    "reg/app:2@sha256:abc");
	json_decref(body);

	fe_reset(b->fe);
	service("\"Replicated\":{\"Replicas\":0}",
	    "\"ctl.owner\":\"alice\",\"ctl.replicas\":\"2\"", 8);
	fe_json(b->fe, "POST", "/v1.41/services/" SID "/update", 200, "{}");
	assert_int_equal(run("{\"verb\":\"start\",\"name\":\"web\"}"), 0);
	body = json_loads(fe_body(b->fe, fe_count(b->fe) - 1), 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_object_get(body, "Mode"), "Replicated"), "Replicas")), 2);
	assert_null(json_object_get(json_object_get(body, "Labels"),
	    "ctl.replicas"));
	json_decref(body);
	/* stopped again at 0: nothing sent, the count kept */
	assert_int_equal(run("{\"verb\":\"stop\",\"name\":\"web\"}"), 0);
	assert_false(json_is_true(bk_data(&a, "changed")));
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 1);
}

/* Invariant 2: the ceiling, and a lower one an admin's label sets. */
static void
test_scale_limits(void **state)
{
	service(REPLICATED2, OWNED, 3);
	fe_json(b->fe, "POST", "/v1.41/services/" SID "/update", 200, "{}");
	assert_int_equal(run("{\"verb\":\"scale\",\"name\":\"web\",\"opts\":"
	    "{\"replicas\":6}}"), EXIT_NOTFOUND);
	assert_string_equal(a.error, "scale: at most 5 replicas of web");
	assert_int_equal(run("{\"verb\":\"scale\",\"name\":\"web\",\"opts\":"
	    "{\"replicas\":5}}"), 0);
	assert_int_equal(json_integer_value(bk_data(&a, "previous")), 2);
	fe_reset(b->fe);
	service(REPLICATED2, "\"ctl.owner\":\"alice\",\"ctl.max_replicas\":"
	    "\"3\"", 3);
	assert_int_equal(run("{\"verb\":\"scale\",\"name\":\"web\",\"opts\":"
	    "{\"replicas\":4}}"), EXIT_NOTFOUND);
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
	fe_reset(b->fe);
	service("\"Global\":{}", OWNED, 3);
	assert_int_equal(run("{\"verb\":\"scale\",\"name\":\"web\",\"opts\":"
	    "{\"replicas\":1}}"), EXIT_USAGE);
	assert_non_null(strstr(a.error, "is a global service"));
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

/* start is capped as scale is: the label is anybody's who deployed it. */
static void
test_start_capped(void **state)
{
	service("\"Replicated\":{\"Replicas\":0}",
	    "\"ctl.owner\":\"alice\",\"ctl.replicas\":\"900\"", 2);
	fe_json(b->fe, "POST", "/v1.41/services/" SID "/update", 200, "{}");
	assert_int_equal(run("{\"verb\":\"start\",\"name\":\"web\"}"),
	    EXIT_NOTFOUND);
	assert_string_equal(a.error, "start: at most 5 replicas of web");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

/* engine.c invariant 7: an engine's own version not known, no update. */
static void
test_no_update_at_an_unknown_version(void **state)
{
	b->cf->engines[0].own_version[0] = '\0';
	service(REPLICATED2, OWNED, 2);
	fe_json(b->fe, "POST", "/v1.41/services/" SID "/update", 200, "{}");
	assert_int_equal(run("{\"verb\":\"stop\",\"name\":\"web\"}"),
	    EXIT_FAIL);
	assert_non_null(strstr(a.error, "its API version is not known"));
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

/* A restart dockerd rolled back failed. */
static void
test_rolled_back_restart_fails(void **state)
{
	static const char body[] = "{\"ID\":\"" SID "\",\"Version\":"
	    "{\"Index\":3},\"Spec\":{\"Name\":\"web\",\"Labels\":"
	    "{\"ctl.owner\":\"alice\"},\"TaskTemplate\":{\"ForceUpdate\":1},"
	    "\"Mode\":{\"Replicated\":{\"Replicas\":1}}},\"UpdateStatus\":"
	    "{\"State\":\"rollback_completed\",\"Message\":\"update rolled "
	    "back due to failure\"}}";

	fe_json(b->fe, "GET", "/v1.41/services/web", 200, body);
	fe_json(b->fe, "GET", "/v1.41/services/" SID, 200, body);
	fe_json(b->fe, "GET", "/v1.41/containers/web/json", 404, "{}");
	fe_json(b->fe, "POST", "/v1.41/services/" SID "/update", 200, "{}");
	assert_int_equal(run("{\"verb\":\"restart\",\"name\":\"web\"}"),
	    EXIT_FAIL);
	assert_string_equal(a.error, "restart: web: update rolled back due to "
	    "failure");
}

/* Invariant 3: a version that moved is read again, not overwritten. */
static void
test_restart_retries_a_moved_version(void **state)
{
	struct fe_reply moved = { "POST", "/v1.41/services/" SID "/update",
	    500, "{\"message\":\"rpc error: code = Unknown desc = update out "
	    "of sequence\"}", NULL, NULL, 0, 0, 1, NULL, 0, 0 };
	json_t *body;

	service(REPLICATED2, OWNED, 9);
	fe_add(b->fe, &moved);
	fe_json(b->fe, "POST", "/v1.41/services/" SID "/update", 200, "{}");
	assert_int_equal(run("{\"verb\":\"restart\",\"name\":\"web\"}"), 0);
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 2);
	body = json_loads(fe_body(b->fe, fe_count(b->fe) - 2), 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    body, "TaskTemplate"), "ForceUpdate")), 5);
	json_decref(body);
	assert_true(json_is_true(bk_data(&a, "converged")));
	assert_string_equal(bk_audit_str(b, "result"), "restarted");
}

/* Another user's service is no service at all; stats is not for one. */
static void
test_others_and_container_verbs(void **state)
{
	service(REPLICATED2, "\"ctl.owner\":\"bob\"", 1);
	assert_int_equal(bk_run(b, &carol, "{\"verb\":\"restart\",\"name\":"
	    "\"web\"}", &a), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no such container: web");
	fe_reset(b->fe);
	service(REPLICATED2, OWNED, 1);
	assert_int_equal(run("{\"verb\":\"stats\",\"name\":\"web\"}"),
	    EXIT_USAGE);
	assert_string_equal(a.error, "stats: web is a service: stats acts on "
	    "containers");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

/* Invariant 8 of resolve.c: both kinds, refused until the client says. */
static void
test_container_and_service_of_one_name(void **state)
{
	service(REPLICATED2, OWNED, 1);
	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	service(REPLICATED2, OWNED, 1);
	assert_int_equal(run("{\"verb\":\"status\",\"name\":\"web\"}"),
	    EXIT_USAGE);
	assert_string_equal(a.error, "web is a container and a service on "
	    "local: say service:web or container:web");
	assert_int_equal(run("{\"verb\":\"status\",\"name\":\"web\","
	    "\"kind\":\"container\"}"), 0);
	assert_string_equal(json_string_value(bk_data(&a, "id")), ID_WEB);
}

/* Invariant 4: NAME.SLOT.TASK@NODE, then the line as dockerd sent it. */
static void
test_logs_prefixes(void **state)
{
	unsigned char s[512];
	size_t n;

	service(REPLICATED2, OWNED, 1);
	tasks_and_nodes();
	n = fe_frame(s, 1, "com.docker.swarm.node.id=" NID ",com.docker."
	    "swarm.service.id=" SID ",com.docker.swarm.task.id=" TID1
	    " hello world\n");
	n += fe_frame(s + n, 2, "com.docker.swarm.node.id=" NID ",com."
	    "docker.swarm.service.id=" SID ",com.docker.swarm.task.id=" TID2
	    " oops\n");
	n += fe_frame(s + n, 1, "no details here\n");
	bk_stream(b, "/v1.41/services/" SID "/logs", s, n, NULL, 0, 0);
	assert_int_equal(run("{\"verb\":\"logs\",\"name\":\"web\"}"), 0);
	assert_int_equal(a.outlen, strlen("web.1.t1t1t1t1t1t1@build01    | "
	    "hello world\nno details here\n"));
	assert_memory_equal(a.out, "web.1.t1t1t1t1t1t1@build01    | hello "
	    "world\nno details here\n", a.outlen);
	assert_int_equal(a.errlen, strlen("web.2.t2t2t2t2t2t2@build01    | "
	    "oops\n"));
	assert_memory_equal(a.err, "web.2.t2t2t2t2t2t2@build01    | oops\n",
	    a.errlen);
	assert_non_null(strstr(fe_request(b->fe, fe_count(b->fe) - 1),
	    "details=1"));
}

/*
 * A manager that hangs on the task lookup a stream makes holds the lines
 * up for the engine's timeout (2 s), not an action's 30 s: they go out
 * without their slot instead of waiting for it.
 */
static void
test_logs_hung_lookup(void **state)
{
	struct fe_reply hung = { "GET", "/v1.41/tasks", 200, "[{\"ID\":\""
	    TID1 "\",\"Slot\":1}]", NULL, NULL, 0, 5000, 0, NULL, 0, 0 };
	unsigned char s[256];
	size_t n;

	service(REPLICATED2, OWNED, 1);
	fe_add(b->fe, &hung);
	fe_json(b->fe, "GET", "/v1.41/nodes", 200, "[]");
	n = fe_frame(s, 1, "com.docker.swarm.node.id=" NID ",com.docker."
	    "swarm.service.id=" SID ",com.docker.swarm.task.id=" TID1
	    " hello\n");
	bk_stream(b, "/v1.41/services/" SID "/logs", s, n, NULL, 0, 0);
	assert_int_equal(run("{\"verb\":\"logs\",\"name\":\"web\"}"), 0);
	assert_non_null(strstr(a.out, "web.0.t1t1t1t1t1t1@"));
	assert_non_null(strstr(a.out, "| hello\n"));
}

/* ls: services beside containers; a task's container is not a row. */
static void
test_ls_services(void **state)
{
	json_t *rows;

	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, "["
	    "{\"Id\":\"" ID_WEB "\",\"Names\":[\"/web.1." TID1 "\"],"
	    "\"Labels\":{\"ctl.owner\":\"alice\",\"com.docker.swarm.service.id\":"
	    "\"" SID "\"}},"
	    "{\"Id\":\"" ID_OTHER "\",\"Names\":[\"/db\"],\"Labels\":"
	    "{\"ctl.owner\":\"alice\"}}]");
	fe_json(b->fe, "GET", "/v1.41/services", 200, "["
	    "{\"ID\":\"" SID "\",\"Spec\":{\"Name\":\"web\",\"Labels\":"
	    "{\"ctl.owner\":\"alice\"},\"Mode\":{\"Global\":{}},"
	    "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"reg/app:2\"}}},"
	    "\"ServiceStatus\":{\"RunningTasks\":1,\"DesiredTasks\":1}},"
	    "{\"ID\":\"xxxxxxxxxxxxxxxxxxxxxxxxx\",\"Spec\":{\"Name\":\"bobs\","
	    "\"Labels\":{\"ctl.owner\":\"bob\"},\"Mode\":{\"Global\":{}}}}]");
	assert_int_equal(run("{\"verb\":\"ls\"}"), 0);
	rows = bk_data(&a, "containers");
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    rows, 0), "name")), "db");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    rows, 1), "kind")), "service");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    rows, 1), "mode")), "global");
	/* a known manager that cannot answer hides nothing: it failed */
	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, "[]");
	fe_json(b->fe, "GET", "/v1.41/services", 503, "{\"message\":\"rpc "
	    "error: code = Unknown desc = The swarm does not have a leader\"}");
	assert_int_equal(run("{\"verb\":\"ls\"}"), EXIT_FAIL);
	assert_non_null(strstr(a.error, "does not have a leader"));
	/* a task's container is not a target either: its service is */
	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/web.1." TID1 "/json", 200,
	    "{\"Id\":\"" ID_WEB "\",\"Name\":\"/web.1." TID1 "\","
	    "\"Config\":{\"Labels\":{\"ctl.owner\":\"alice\","
	    "\"com.docker.swarm.service.id\":\"" SID "\"}},\"State\":"
	    "{\"Running\":true}}");
	fe_json(b->fe, "GET", "/v1.41/services/*", 404, "{}");
	assert_int_equal(run("{\"verb\":\"stop\",\"name\":\"web.1." TID1
	    "\"}"), EXIT_NOTFOUND);
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

static char warned[512];

static void
warn_of(const struct engine *e, const char *why)
{
	snprintf(warned, sizeof(warned), "%s: %s", e->name, why);
}

/* A HEAD /_ping answered with these headers (no body: it is a HEAD),
 * and /swarm with this status (200: a manager; 503: anyone else). */
static void
ping(const char *headers, int swarm)
{
	static char raw[512];
	struct fe_reply r = { .method = "HEAD", .path = "/v1.41/_ping" };

	fe_reset(b->fe);
	snprintf(raw, sizeof(raw), "HTTP/1.1 200 OK\r\n%sContent-Length: 2"
	    "\r\nConnection: close\r\n\r\n", headers);
	r.raw = raw;
	r.rawlen = strlen(raw);
	fe_add(b->fe, &r);
	fe_json(b->fe, "GET", "/v1.41/swarm", swarm, swarm == 200 ?
	    "{\"ID\":\"s\"}" : "{\"message\":\"This node is not a swarm "
	    "manager.\"}");
	warned[0] = '\0';
	engine_warm_all(b->cf->engines, b->cf->nengines, warn_of);
}

/* Whether an engine is a Swarm manager, and its own API version: HEAD
 * /_ping and GET /swarm, never /info or /version (dockerd runs runc and
 * docker-init to answer those). */
static void
test_warm_asks_ping_and_swarm(void **state)
{
	struct engine *e = &b->cf->engines[0];

	ping("api-version:  1.43 \r\n", 200);
	assert_int_equal(e->swarm, 1);
	assert_string_equal(e->own_version, "1.43");
	assert_string_equal(warned, "");
	assert_int_equal(fe_count(b->fe), 2);
	assert_int_equal(fe_count_prefix(b->fe, "HEAD /v1.41/_ping"), 1);
	assert_int_equal(fe_count_prefix(b->fe, "GET /v1.41/swarm"), 1);

	ping("API-Version: 1.41\r\n", 503);
	assert_int_equal(e->swarm, 0);
	assert_string_equal(e->own_version, "1.41");
	assert_string_equal(warned, "");

	/* no version, or one too long or not N.N: not known, and said */
	ping("", 200);
	assert_int_equal(e->swarm, 1);
	assert_string_equal(e->own_version, "");
	assert_non_null(strstr(warned, "no API version"));
	ping("API-Version: 1.4100000000\r\n", 503);
	assert_string_equal(e->own_version, "");
	ping("API-Version: 1.x\r\n", 503);
	assert_string_equal(e->own_version, "");
	ping("Api-Versions: 1.43\r\n", 503);
	assert_string_equal(e->own_version, "");

	/* /swarm in error: whether a manager is not known, and said */
	ping("API-Version: 1.41\r\n", 500);
	assert_int_equal(e->swarm, -1);
	assert_non_null(strstr(warned, "dockerd: This node"));

	/* an error (a HEAD's has no message): neither known */
	fe_reset(b->fe);
	fe_json(b->fe, NULL, "*", 500, "{}");
	engine_warm_all(b->cf->engines, b->cf->nengines, warn_of);
	assert_int_equal(e->swarm, -1);
	assert_string_equal(e->own_version, "");
	assert_non_null(strstr(warned, "request failed"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_status),
		T(test_stop_start_keep_the_count),
		T(test_scale_limits),
		T(test_restart_retries_a_moved_version),
		T(test_start_capped),
		T(test_no_update_at_an_unknown_version),
		T(test_rolled_back_restart_fails),
		T(test_others_and_container_verbs),
		T(test_container_and_service_of_one_name),
		T(test_logs_prefixes),
		T(test_logs_hung_lookup),
		T(test_ls_services),
		T(test_warm_asks_ping_and_swarm),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
