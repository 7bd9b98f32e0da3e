/*
 * The verbs through action_run (broker/actions.c) with the real
 * resolver, policy, engine client and audit, against a fake Engine API:
 * what the client is answered, what dockerd was asked, what is audited.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "actions.h"
#include "bk_util.h"
#include "explain.h"

static struct bk *b;
static struct answer a;
static char *alice_groups[] = { "dev", "ops", NULL };
static const struct identity alice = { 1000, 1000, 4242, "alice",
    alice_groups };

static int
setup(void **state)
{
	b = bk_start(NULL);
	return 0;
}

static int
teardown(void **state)
{
	answer_free(&a);
	bk_stop(b);
	return 0;
}

/* A new config for this test: rules, groups, ... */
static void
reconfigure(const char *extra)
{
	bk_stop(b);
	b = bk_start(extra);
}

static int
run(const struct identity *who, const char *json)
{
	return bk_run(b, who, json, &a);
}

static void
assert_not_found(const char *json)
{
	if (run(&alice, json) != EXIT_NOTFOUND || a.exit != EXIT_NOTFOUND ||
	    strcmp(a.error, "no such container: web") != 0)
		fail_msg("%s: exit %d, \"%s\"", json, a.exit, a.error);
}

/*
 * dockerd answers "web" with another container (an ID prefix or an
 * alias would): every verb says it does not exist, and acts on nothing.
 */
static void
test_name_mismatch_every_verb(void **state)
{
	static const char *const reqs[] = {
		"{\"verb\":\"status\",\"name\":\"web\"}",
		"{\"verb\":\"start\",\"name\":\"web\"}",
		"{\"verb\":\"stop\",\"name\":\"web\"}",
		"{\"verb\":\"restart\",\"name\":\"web\"}",
		"{\"verb\":\"logs\",\"name\":\"web\"}",
		"{\"verb\":\"logs\",\"name\":\"web\",\"opts\":{\"follow\":true,"
		    "\"tail\":0}}",
		"{\"verb\":\"stats\",\"name\":\"web\"}",
		"{\"verb\":\"rm\",\"name\":\"web\",\"opts\":{\"force\":true}}",
		"{\"verb\":\"can\",\"of\":\"stop\",\"name\":\"web\"}",
	};
	size_t i, n = sizeof(reqs) / sizeof(reqs[0]);

	bk_container(b, "web", "/other", ID_WEB, "alice", NULL, 1, 0);
	for (i = 0; i < n; i++) {
		assert_not_found(reqs[i]);
		assert_string_equal(bk_audit_str(b, "decision"), "deny");
		assert_string_equal(bk_audit_str(b, "reason"), "name resolved "
		    "to another container (ID prefix or alias)");
		assert_string_equal(bk_audit_str(b, "id"), "");
	}
	/* dockerd was only asked about the name, never told to act */
	assert_int_equal(fe_count(b->fe), n);
	assert_int_equal(fe_count_prefix(b->fe,
	    "GET /v1.41/containers/web/json"), n);
	assert_int_equal(bk_audit_count(b), n);
}

/* The same words and code as a container that does not exist. */
static void
test_missing_and_invisible_look_alike(void **state)
{
	fe_json(b->fe, "GET", "/v1.41/containers/web/json", 404,
	    "{\"message\":\"No such container: web\"}");
	assert_not_found("{\"verb\":\"status\",\"name\":\"web\"}");
	assert_string_equal(bk_audit_str(b, "reason"), "no such container");
	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "bob", "qa", 1, 0);
	assert_not_found("{\"verb\":\"stop\",\"name\":\"web\"}");
	assert_string_equal(bk_audit_str(b, "id"), ID_WEB);
	assert_not_found("{\"verb\":\"can\",\"of\":\"stop\",\"name\":"
	    "\"web\"}");
	assert_string_equal(bk_audit_str(b, "of"), "stop");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

/* ID prefixes and full IDs name no container, whatever dockerd says. */
static void
test_ids_never_resolve(void **state)
{
	bk_container(b, "aaaaaa", "/web", ID_WEB, "alice", NULL, 1, 0);
	bk_container(b, ID_WEB, "/web", ID_WEB, "alice", NULL, 1, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"stop\",\"name\":"
	    "\"aaaaaa\"}"), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no such container: aaaaaa");
	assert_int_equal(run(&alice, "{\"verb\":\"stop\",\"name\":\""
	    ID_WEB "\"}"), EXIT_NOTFOUND);
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

static void
test_explain_name_mismatch(void **state)
{
	char out[512];
	int fd, saved, rc;
	ssize_t n;
	FILE *fp;

	bk_container(b, "web", "/other", ID_WEB, "root", NULL, 1, 0);
	fp = tmpfile();
	assert_non_null(fp);
	fflush(stdout);
	saved = dup(1);
	fd = fileno(fp);
	dup2(fd, 1);
	rc = explain(b->cf, "root", "stop", "web");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	assert_true(n > 0);
	out[n] = '\0';
	fclose(fp);
	assert_int_equal(rc, 1);
	assert_string_equal(out,
	    "root stop web: denied: no container is named web\n");
	assert_int_equal(fe_count(b->fe), 1);
}

static void
test_explain_allowed(void **state)
{
	char out[512];
	int saved, rc;
	ssize_t n;
	FILE *fp;

	bk_container(b, "web", "/web", ID_WEB, "root", NULL, 1, 0);
	fp = tmpfile();
	assert_non_null(fp);
	fflush(stdout);
	saved = dup(1);
	dup2(fileno(fp), 1);
	rc = explain(b->cf, "root", "stop", "web");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fileno(fp), out, sizeof(out) - 1, 0);
	fclose(fp);
	assert_true(n > 0);
	out[n] = '\0';
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "root stop web: allowed: "));
}

static void
test_status(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"status\",\"name\":"
	    "\"web\"}"), 0);
	assert_string_equal(json_string_value(bk_data(&a, "id")), ID_WEB);
	assert_string_equal(json_string_value(bk_data(&a, "state")), "running");
	assert_string_equal(json_string_value(bk_data(&a, "image")), "img:1");
	assert_int_equal(json_integer_value(bk_data(&a, "restart_count")), 2);
	assert_true(json_is_false(bk_data(&a, "tty")));
	/* UTC to the second; dockerd's zero time is none */
	assert_string_equal(json_string_value(bk_data(&a, "started_at")),
	    "2026-11-28T15:04:05Z");
	assert_true(json_is_null(bk_data(&a, "finished_at")));
	assert_string_equal(bk_audit_str(b, "result"), "ok");
	assert_string_equal(bk_audit_str(b, "decision"), "allow");
	assert_string_equal(bk_audit_str(b, "user"), "alice");
	assert_string_equal(bk_audit_str(b, "verb"), "status");
	assert_string_equal(bk_audit_str(b, "container"), "web");
	assert_string_equal(bk_audit_str(b, "id"), ID_WEB);
	assert_string_equal(bk_audit_str(b, "uid"), "1000");
	assert_string_equal(bk_audit_str(b, "pid"), "4242");
	assert_string_equal(bk_audit_str(b, "exit"), "0");
	assert_non_null(strstr(bk_audit_str(b, "reason"), "owner"));
}

static void
test_start_204_and_304(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 0, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/" ID_WEB "/start", 204,
	    NULL);
	assert_int_equal(run(&alice, "{\"verb\":\"start\",\"name\":"
	    "\"web\"}"), 0);
	assert_true(json_is_true(bk_data(&a, "changed")));
	assert_string_equal(bk_audit_str(b, "result"), "started");
	assert_string_equal(fe_request(b->fe, 1),
	    "POST /v1.41/containers/" ID_WEB "/start");
	assert_string_equal(fe_body(b->fe, 1), "");

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/" ID_WEB "/start", 304,
	    NULL);
	assert_int_equal(run(&alice, "{\"verb\":\"start\",\"name\":"
	    "\"web\"}"), 0);
	assert_true(json_is_false(bk_data(&a, "changed")));
	assert_string_equal(bk_audit_str(b, "result"), "unchanged");
}

static void
test_stop_restart_errors(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/" ID_WEB "/stop", 204,
	    NULL);
	assert_int_equal(run(&alice, "{\"verb\":\"stop\",\"name\":\"web\","
	    "\"opts\":{\"time\":5}}"), 0);
	assert_string_equal(fe_request(b->fe, 1),
	    "POST /v1.41/containers/" ID_WEB "/stop?t=5");
	assert_string_equal(bk_audit_str(b, "result"), "stopped");

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/" ID_WEB "/restart", 404,
	    "{\"message\":\"No such container\"}");
	assert_not_found("{\"verb\":\"restart\",\"name\":\"web\"}");
	assert_string_equal(bk_audit_str(b, "reason"), "container vanished");

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/" ID_WEB "/restart", 409,
	    "{\"message\":\"container is paused\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"restart\",\"name\":"
	    "\"web\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: container is paused");
	assert_string_equal(bk_audit_str(b, "result"), "docker error");

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/" ID_WEB "/stop", 500,
	    "{\"message\":\"boom\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"stop\",\"name\":\"web\"}"),
	    EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: boom");

	/* inspect itself failing is an error, not a missing container */
	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/web/json", 500,
	    "{\"message\":\"inspect broke\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"stop\",\"name\":\"web\"}"),
	    EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: inspect broke");
	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/web/json", 200,
	    "{\"Name\":\"/web\",\"Id\":\"1234\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"stop\",\"name\":\"web\"}"),
	    EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: malformed container ID");
}

static void
test_permission_denied(void **state)
{
	reconfigure("rules = ( { users = [\"alice\"]; containers = "
	    "[\"web\"]; verbs = [\"stop\"]; deny = true; } );\n");
	bk_container(b, "web", "/web", ID_WEB, "bob", "dev", 1, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"stop\",\"name\":\"web\"}"),
	    EXIT_NOTFOUND);
	assert_string_equal(a.error, "stop: permission denied");
	assert_non_null(strstr(bk_audit_str(b, "reason"), "rule"));
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
	assert_int_equal(run(&alice, "{\"verb\":\"status\",\"name\":"
	    "\"web\"}"), 0);
}

static void
test_stats(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/" ID_WEB "/stats", 200,
	    "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":300},"
	    "\"system_cpu_usage\":2000,\"online_cpus\":2},"
	    "\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":100},"
	    "\"system_cpu_usage\":1000},"
	    "\"memory_stats\":{\"usage\":1000,\"limit\":4096,"
	    "\"stats\":{\"inactive_file\":200}},"
	    "\"pids_stats\":{\"current\":7}}");
	assert_int_equal(run(&alice, "{\"verb\":\"stats\",\"name\":"
	    "\"web\"}"), 0);
	assert_string_equal(fe_request(b->fe, 1),
	    "GET /v1.41/containers/" ID_WEB "/stats?stream=false");
	assert_true(json_real_value(bk_data(&a, "cpu_percent")) == 40.0);
	assert_int_equal(json_integer_value(bk_data(&a, "memory_used")), 800);
	assert_int_equal(json_integer_value(bk_data(&a, "memory_limit")), 4096);
	assert_int_equal(json_integer_value(bk_data(&a, "pids")), 7);

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/" ID_WEB "/stats", 200,
	    "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":1,"
	    "\"percpu_usage\":[1,2]}},\"memory_stats\":{\"usage\":10,"
	    "\"stats\":{\"total_inactive_file\":20}}}");
	assert_int_equal(run(&alice, "{\"verb\":\"stats\",\"name\":"
	    "\"web\"}"), 0);
	assert_true(json_real_value(bk_data(&a, "cpu_percent")) == 0.0);
	assert_int_equal(json_integer_value(bk_data(&a, "memory_used")), 10);

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/" ID_WEB "/stats", 409,
	    "{\"message\":\"not running\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"stats\",\"name\":"
	    "\"web\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: not running");
}

#define LIST_ALL	"GET /v1.41/containers/json?all=1"
/* filters={"label":["ctl.owner=alice"]}, and so on, URL-encoded */
#define Q_ALICE	LIST_ALL "&filters=%7B%22label%22%3A%5B%22ctl.owner%3Dalice" \
	"%22%5D%7D"
#define Q_DEV	LIST_ALL "&filters=%7B%22label%22%3A%5B%22ctl.group%3Ddev" \
	"%22%5D%7D"
#define Q_OPS	LIST_ALL "&filters=%7B%22label%22%3A%5B%22ctl.group%3Dops" \
	"%22%5D%7D"
#define Q_GROUP	LIST_ALL "&filters=%7B%22label%22%3A%5B%22ctl.group%22%5D%7D"

static const char listing[] = "["
    "{\"Id\":\"" ID_WEB "\",\"Names\":[\"/web\"],\"State\":\"running\","
	"\"Status\":\"Up\",\"Image\":\"img\","
	"\"Labels\":{\"ctl.owner\":\"alice\"}},"
    "{\"Id\":\"" ID_OTHER "\",\"Names\":[\"/x/link\",\"/db\"],"
	"\"State\":\"exited\",\"Labels\":{\"ctl.group\":\"dev\"}},"
    "{\"Id\":\"" ID_NEW "\",\"Names\":[\"/bobs\"],"
	"\"Labels\":{\"ctl.owner\":\"bob\"}},"
    "{\"Id\":\"abc\",\"Names\":[\"/short\"],"
	"\"Labels\":{\"ctl.owner\":\"alice\"}},"
    "{\"Id\":\"" ID_WEB "\",\"Names\":[\"/web\"],"
	"\"Labels\":{\"ctl.owner\":\"alice\"}}]";

static void
assert_names(const char *want)
{
	json_t *c, *list = bk_data(&a, "containers");
	char got[512] = "";
	size_t i;

	assert_true(json_is_array(list));
	json_array_foreach(list, i, c) {
		strcat(got, json_string_value(json_object_get(c, "name")));
		strcat(got, " ");
	}
	assert_string_equal(got, want);
}

/* No grant rule names alice: dockerd is asked for her labels alone. */
static void
test_ls_label_filters(void **state)
{
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listing);
	assert_int_equal(run(&alice, "{\"verb\":\"ls\"}"), 0);
	assert_int_equal(fe_count(b->fe), 3);
	assert_string_equal(fe_request(b->fe, 0), Q_ALICE);
	assert_string_equal(fe_request(b->fe, 1), Q_DEV);
	assert_string_equal(fe_request(b->fe, 2), Q_OPS);
	/* each visible container once, sorted; bob's and a bad ID left out */
	assert_names("db web ");
	assert_string_equal(bk_audit_str(b, "result"), "ok");
	assert_string_equal(bk_audit_str(b, "decision"), "allow");
}

static void
test_ls_many_groups_and_grants(void **state)
{
	static char *many[] = { "g1", "g2", "g3", "g4", "dev", NULL };
	struct identity carol = { 1001, 1001, 1, "carol", many };

	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listing);
	assert_int_equal(run(&carol, "{\"verb\":\"ls\"}"), 0);
	assert_int_equal(fe_count(b->fe), 2);
	assert_string_equal(fe_request(b->fe, 1), Q_GROUP);
	assert_names("db ");

	reconfigure("rules = ( { users = [\"alice\"]; containers = "
	    "[\"bob*\"]; verbs = [\"ls\"]; } );\n");
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listing);
	assert_int_equal(run(&alice, "{\"verb\":\"ls\"}"), 0);
	assert_int_equal(fe_count(b->fe), 1);
	assert_string_equal(fe_request(b->fe, 0), LIST_ALL);
	assert_names("bobs db web ");
}

/*
 * ls and status name the image as the admin wrote it: the ctl.image
 * label first (ctld creates by ID), then dockerd's; an ID alone is null.
 */
static void
test_image_names(void **state)
{
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, "["
	    "{\"Id\":\"" ID_WEB "\",\"Names\":[\"/web\"],\"Image\":\""
	    IMG_ID "\",\"Labels\":{\"ctl.owner\":\"alice\","
	    "\"ctl.image\":\"reg/dev:1\"}},"
	    "{\"Id\":\"" ID_OTHER "\",\"Names\":[\"/api\"],\"Image\":\""
	    IMG_ID "\",\"Labels\":{\"ctl.owner\":\"alice\"}},"
	    "{\"Id\":\"" ID_NEW "\",\"Names\":[\"/db\"],\"Image\":"
	    "\"postgres:16\",\"Labels\":{\"ctl.owner\":\"alice\","
	    "\"ctl.image\":\"bad name\"}}]");
	assert_int_equal(run(&alice, "{\"verb\":\"ls\"}"), 0);
	assert_names("api db web ");
	assert_true(json_is_null(json_object_get(json_array_get(bk_data(&a,
	    "containers"), 0), "image")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    bk_data(&a, "containers"), 1), "image")), "postgres:16");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    bk_data(&a, "containers"), 2), "image")), "reg/dev:1");

	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/web/json", 200,
	    "{\"Id\":\"" ID_WEB "\",\"Name\":\"/web\",\"Image\":\"" IMG_ID
	    "\",\"Config\":{\"Image\":\"" IMG_ID "\",\"Labels\":{"
	    "\"ctl.owner\":\"alice\",\"ctl.image\":\"reg/dev:1\"}}}");
	assert_int_equal(run(&alice, "{\"verb\":\"status\",\"name\":"
	    "\"web\"}"), 0);
	assert_string_equal(json_string_value(bk_data(&a, "image")),
	    "reg/dev:1");
}

static void
test_ls_failure_and_large(void **state)
{
	json_t *big = json_array();
	char name[32], id[65];
	char *text;
	int i;

	fe_json(b->fe, "GET", "/v1.41/containers/json", 500,
	    "{\"message\":\"boom\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"ls\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: boom");
	/* every query went at once (one per label), none again */
	assert_int_equal(fe_count(b->fe), 3);	/* owner, dev, ops */

	/* more than a done frame holds goes ahead in data frames */
	fe_reset(b->fe);
	for (i = 0; i < 400; i++) {
		snprintf(name, sizeof(name), "/c%03d", i);
		snprintf(id, sizeof(id), "%064x", i + 1);
		json_array_append_new(big, json_pack("{s:s, s:[s], s:s, s:{s:s}}",
		    "Id", id, "Names", name, "Status", "Up 3 hours and more "
		    "words to fill the frame", "Labels", "ctl.owner", "alice"));
	}
	text = bk_keep(b, json_dumps(big, JSON_COMPACT));
	json_decref(big);
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, text);
	assert_int_equal(run(&alice, "{\"verb\":\"ls\"}"), 0);
	assert_int_equal(json_array_size(bk_data(&a, "containers")), 400);
}

static void
logs_setup(int tty)
{
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 0, tty);
}

static void
test_logs_multiplexed(void **state)
{
	unsigned char s[256];
	size_t n = 0;

	logs_setup(0);
	n += fe_frame(s + n, 1, "out one\n");
	n += fe_frame(s + n, 2, "err one\n");
	n += fe_frame(s + n, 1, "out two\n");
	n += fe_frame(s + n, 1, "");
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", s, n, NULL, 0, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"logs\",\"name\":\"web\","
	    "\"opts\":{\"tail\":100,\"timestamps\":true,"
	    "\"since\":\"1700000000\",\"until\":\"1700000001.5\"}}"), 0);
	assert_string_equal(fe_request(b->fe, 1), "GET /v1.41/containers/"
	    ID_WEB "/logs?stdout=1&stderr=1&timestamps=1&tail=100"
	    "&since=1700000000.000000000&until=1700000001.500000000");
	assert_int_equal(a.outlen, 16);
	assert_memory_equal(a.out, "out one\nout two\n", 16);
	assert_int_equal(a.errlen, 8);
	assert_memory_equal(a.err, "err one\n", 8);
	assert_string_equal(bk_audit_str(b, "result"), "ok");
	assert_null(json_object_get(a.done, "data"));	/* no follow */
}

static void
test_logs_tty_raw(void **state)
{
	static const char raw[] = "\x01\x02 not a frame header, as is\n";

	logs_setup(1);
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", raw,
	    sizeof(raw) - 1, NULL, 0, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"logs\",\"name\":"
	    "\"web\"}"), 0);
	assert_string_equal(fe_request(b->fe, 1), "GET /v1.41/containers/"
	    ID_WEB "/logs?stdout=1&stderr=1");
	assert_int_equal(a.outlen, sizeof(raw) - 1);
	assert_memory_equal(a.out, raw, sizeof(raw) - 1);
}

static void
test_logs_malformed(void **state)
{
	unsigned char s[64];
	size_t n;

	logs_setup(0);
	n = fe_frame(s, 1, "fine\n");
	n += fe_frame(s + n, 7, "bad stream byte");
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", s, n, NULL, 0, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"logs\",\"name\":"
	    "\"web\"}"), EXIT_FAIL);
	assert_string_equal(a.error,
	    "error from daemon in stream: malformed frame header");
	assert_string_equal(bk_audit_str(b, "result"), "stream error");
}

static void
test_logs_truncated(void **state)
{
	unsigned char s[64];
	size_t n;

	logs_setup(0);
	n = fe_frame(s, 1, "whole\n");
	n += fe_frame(s + n, 1, "cut short\n") - 5;
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", s, n, NULL, 0, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"logs\",\"name\":"
	    "\"web\"}"), EXIT_FAIL);
	assert_string_equal(a.error,
	    "error from daemon in stream: truncated stream");
	/* what came whole was passed on, nothing of the cut frame's header */
	assert_memory_equal(a.out, "whole\n", 6);

	fe_reset(b->fe);
	logs_setup(0);
	n = fe_frame(s, 3, "daemon says no");
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", s, n, NULL, 0, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"logs\",\"name\":"
	    "\"web\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "error from daemon in stream: daemon "
	    "says no");
}

static void
test_logs_errors(void **state)
{
	logs_setup(0);
	fe_json(b->fe, "GET", "/v1.41/containers/" ID_WEB "/logs", 404,
	    "{\"message\":\"No such container\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"logs\",\"name\":"
	    "\"web\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: No such container");
	assert_string_equal(bk_audit_str(b, "result"), "docker error");
}

/*
 * A follow that ends while the container still runs says so; one that
 * ends because it stopped carries its exit code, and nothing else.
 */
static void
test_logs_follow_cut(void **state)
{
	unsigned char s[64];
	size_t n;

	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	bk_container(b, ID_WEB, "/web", ID_WEB, "alice", NULL, 1, 0);
	n = fe_frame(s, 1, "line\n");
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", s, n, NULL, 0, 0);
	/* --since: never from a relay */
	assert_int_equal(run(&alice, "{\"verb\":\"logs\",\"name\":\"web\","
	    "\"opts\":{\"follow\":true,\"since\":\"1\"}}"), EXIT_FAIL);
	assert_string_equal(a.error, "the log stream ended while web still "
	    "runs (dockerd restarted?)");
	assert_null(json_object_get(a.done, "data"));
	assert_string_equal(bk_audit_str(b, "result"), "stream ended");
	assert_string_equal(fe_request(b->fe, 2),
	    "GET /v1.41/containers/" ID_WEB "/json");

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	bk_container(b, ID_WEB, "/web", ID_WEB, "alice", NULL, 0, 0);
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", s, n, NULL, 0, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"logs\",\"name\":\"web\","
	    "\"opts\":{\"follow\":true,\"since\":\"1\"}}"), 0);
	assert_string_equal(bk_audit_str(b, "result"), "ok");
	assert_int_equal(json_object_size(json_object_get(a.done, "data")), 1);
	assert_true(json_is_integer(bk_data(&a, "exit_code")));
	assert_int_equal(json_integer_value(bk_data(&a, "exit_code")),
	    BK_EXIT_CODE);

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", s, n, NULL, 0, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"logs\",\"name\":\"web\","
	    "\"opts\":{\"follow\":true,\"since\":\"1\"}}"), EXIT_FAIL);
	assert_string_equal(a.error, "the log stream ended: dockerd went "
	    "away");
	assert_null(json_object_get(a.done, "data"));
}

/* The client leaving ends the stream, and nobody is answered. */
static void
test_logs_client_leaves(void **state)
{
	struct audit_rec rec;
	struct request req;
	struct peer peer;
	char why[160];
	json_t *j;
	int sv[2];

	logs_setup(0);
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", "", 0,
	    "\x01\0\0\0\0\0\0\x05tick\n", 13, 20);
	j = json_loads("{\"verb\":\"logs\",\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"since\":\"1\"}}", 0, NULL);
	assert_int_equal(request_decode(j, time(NULL), &req, why,
	    sizeof(why)), 0);
	json_decref(j);
	memset(&rec, 0, sizeof(rec));
	memset(&peer, 0, sizeof(peer));
	rec.who = &alice;
	rec.verb = "logs";
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], "x", 1), 1);	/* a key: leaving */
	assert_int_equal(action_run(b->cf, &b->eng, &b->relays, &alice,
	    &peer, &req, sv[0], &rec), -1);
	assert_string_equal(bk_audit_str(b, "result"), "client left");
	fe_release(b->fe);
	close(sv[0]);
	close(sv[1]);
}

static void
test_rm(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 0, 0);
	fe_json(b->fe, "DELETE", "/v1.41/containers/" ID_WEB, 204, NULL);
	assert_int_equal(run(&alice, "{\"verb\":\"rm\",\"name\":\"web\"}"),
	    0);
	assert_string_equal(fe_request(b->fe, 1),
	    "DELETE /v1.41/containers/" ID_WEB);
	assert_string_equal(bk_audit_str(b, "result"), "removed");

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "DELETE", "/v1.41/containers/" ID_WEB, 204, NULL);
	assert_int_equal(run(&alice, "{\"verb\":\"rm\",\"name\":\"web\"}"),
	    EXIT_FAIL);
	assert_string_equal(a.error, "web is running: stop it first, or use "
	    "rm --force");
	assert_int_equal(run(&alice, "{\"verb\":\"rm\",\"name\":\"web\","
	    "\"opts\":{\"force\":true}}"), 0);
	assert_string_equal(fe_request(b->fe, 2),
	    "DELETE /v1.41/containers/" ID_WEB "?force=1");

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "bob", "dev", 0, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"rm\",\"name\":\"web\"}"),
	    EXIT_NOTFOUND);
	assert_string_equal(a.error, "rm: permission denied (you can remove "
	    "only your own containers)");
	assert_int_equal(fe_count_prefix(b->fe, "DELETE"), 0);

	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 0, 0);
	fe_json(b->fe, "DELETE", "/v1.41/containers/" ID_WEB, 409,
	    "{\"message\":\"in use\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"rm\",\"name\":\"web\"}"),
	    EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: in use");
}

static void
test_root_verbs_hidden(void **state)
{
	assert_int_equal(run(&alice, "{\"verb\":\"provision\","
	    "\"user\":\"alice\"}"), EXIT_USAGE);
	assert_string_equal(a.error, "unknown verb");
	assert_string_equal(bk_audit_str(b, "reason"),
	    "provision is for root (pam_ctl) only");
	assert_int_equal(fe_count(b->fe), 0);
}

static void
test_forget(void **state)
{
	reconfigure("reauth = { verbs = [\"stop\"]; dir = \"@DIR@/t\"; };\n");
	assert_int_equal(run(&alice, "{\"verb\":\"forget\"}"), 0);
	assert_string_equal(bk_audit_str(b, "result"), "forgotten");
}

/* The verbs of can's entry for name, as "status start ...". */
static const char *
can_verbs(const char *name, const char *key)
{
	static char got[256];
	json_t *c, *v;
	size_t i, j;

	got[0] = '\0';
	json_array_foreach(bk_data(&a, "containers"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")),
		    name) != 0)
			continue;
		json_array_foreach(json_object_get(c, key), j, v) {
			strcat(got, json_string_value(v));
			strcat(got, " ");
		}
	}
	return got;
}

/*
 * can lists what ls shows, each with the verbs policy_decide allows
 * (rm only on her own), and the rules and templates that name her.
 */
static void
test_can_list(void **state)
{
	json_t *r;

	reconfigure("rules = ( { users = [\"alice\"]; containers = "
	    "[\"d*\"]; verbs = [\"rm\"]; },\n"
	    "  { groups = [\"dev\"]; containers = [\"web\"]; verbs = "
	    "[\"stop\"]; deny = true; },\n"
	    "  { users = [\"bob\"]; containers = [\"*\"]; verbs = "
	    "[\"ls\"]; } );\n"
	    "reauth = { verbs = [\"restart\"]; dir = \"@DIR@/t\"; };\n");
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listing);
	assert_int_equal(run(&alice, "{\"verb\":\"can\"}"), 0);
	assert_names("db web ");
	assert_string_equal(can_verbs("web", "verbs"),
	    "status start restart logs stats rm inspect ");
	assert_string_equal(can_verbs("web", "password"), "restart ");
	/* the group grants owner_verbs; rm is still hers alone */
	assert_string_equal(can_verbs("db", "verbs"),
	    "status start stop restart logs stats inspect ");
	assert_int_equal(json_array_size(bk_data(&a, "rules")), 2);
	r = json_array_get(bk_data(&a, "rules"), 1);
	assert_true(json_is_true(json_object_get(r, "deny")));
	assert_int_equal(json_array_size(bk_data(&a, "templates")), 0);
	assert_string_equal(bk_audit_str(b, "verb"), "can");
	assert_string_equal(bk_audit_str(b, "decision"), "allow");

	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/json", 500,
	    "{\"message\":\"boom\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"can\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: boom");
}

/* One question: yes, yes with a password, no (seen), not found (unseen). */
static void
test_can_ask(void **state)
{
	reconfigure("reauth = { verbs = [\"restart\"]; dir = \"@DIR@/t\"; };\n"
	    "rules = ( { users = [\"alice\"]; containers = [\"web\"]; "
	    "verbs = [\"rm\"]; } );\n");
	bk_container(b, "web", "/web", ID_WEB, "bob", "dev", 1, 0);
	bk_container(b, "db", "/db", ID_OTHER, "alice", NULL, 1, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"can\",\"of\":\"status\","
	    "\"name\":\"db\"}"), 0);
	assert_string_equal(json_string_value(bk_data(&a, "answer")), "yes");
	assert_int_equal(run(&alice, "{\"verb\":\"can\",\"of\":\"restart\","
	    "\"name\":\"web\"}"), 0);
	assert_string_equal(json_string_value(bk_data(&a, "answer")),
	    "password");
	assert_string_equal(bk_audit_str(b, "result"), "yes, with a password");
	assert_int_equal(run(&alice, "{\"verb\":\"can\",\"of\":\"rm\","
	    "\"name\":\"web\"}"), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no: rm: permission denied (you can "
	    "remove only your own containers)");
	assert_string_equal(bk_audit_str(b, "reason"), "rm needs the owner "
	    "label");
	/* nothing was asked of PAM, nothing done */
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_name_mismatch_every_verb),
		T(test_missing_and_invisible_look_alike),
		T(test_ids_never_resolve),
		T(test_explain_name_mismatch),
		T(test_explain_allowed),
		T(test_status),
		T(test_start_204_and_304),
		T(test_stop_restart_errors),
		T(test_permission_denied),
		T(test_stats),
		T(test_ls_label_filters),
		T(test_ls_many_groups_and_grants),
		T(test_ls_failure_and_large),
		T(test_image_names),
		T(test_logs_multiplexed),
		T(test_logs_tty_raw),
		T(test_logs_malformed),
		T(test_logs_truncated),
		T(test_logs_errors),
		T(test_logs_follow_cut),
		T(test_logs_client_leaves),
		T(test_rm),
		T(test_root_verbs_hidden),
		T(test_forget),
		T(test_can_list),
		T(test_can_ask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
