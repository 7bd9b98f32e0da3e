/*
 * inspect through action_run (broker/inspect.c) against a fake Engine
 * API whose inspect is full of secrets and host paths: what the client
 * is answered holds none of them, only what the allow-list copies; and
 * the image is named as ls and status name it.
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

static struct bk *b;
static struct answer a;
static char *alice_groups[] = { "dev", NULL };
static const struct identity alice = { 1000, 1000, 4242, "alice",
    alice_groups };

#define REQ	"{\"verb\":\"inspect\",\"name\":\"web\"}"

/*
 * What dockerd 1.41 answers, with a secret or a host path in every place
 * it puts one. SECRETS lists them: none may reach the client.
 */
static const char inspect_secrets[] =
    "{\"Id\":\"" ID_WEB "\",\"Name\":\"/web\","
    "\"Created\":\"2026-11-30T08:00:00.123456789Z\","
    "\"Path\":\"/bin/app\",\"Args\":[\"--db-password=S3CRET-ARG\"],"
    "\"State\":{\"Status\":\"running\",\"Running\":true,\"Paused\":false,"
    "\"Pid\":424242,\"ExitCode\":0,\"Error\":\"bad\\u001b[2Jthing\","
    "\"OOMKilled\":false,"
    "\"StartedAt\":\"2026-11-30T09:00:00.5Z\","
    "\"FinishedAt\":\"0001-01-01T00:00:00Z\","
    "\"Health\":{\"Status\":\"unhealthy\",\"FailingStreak\":4,\"Log\":["
    "{\"Start\":\"2026-11-30T09:01:00Z\",\"End\":\"2026-11-30T09:01:01Z\","
    "\"ExitCode\":1,\"Output\":\"old-1\"},"
    "{\"Start\":\"2026-11-30T09:02:00Z\",\"ExitCode\":1,"
    "\"Output\":\"old-2\"},"
    "{\"Start\":\"2026-11-30T09:03:00Z\",\"ExitCode\":1,"
    "\"Output\":\"curl: (7) refused\\n\\u001b]0;pwned\\u0007title\\u009b\\n\"},"
    "{\"Start\":\"2026-11-30T09:04:00Z\",\"ExitCode\":1,\"Output\":\"%s\"},"
    "{\"Start\":\"2026-11-30T09:05:00Z\",\"ExitCode\":0,"
    "\"Output\":\"ok\\n\"}]}},"
    "\"Image\":\"" IMG_ID "\","
    "\"ResolvConfPath\":\"/var/lib/docker/containers/HOSTPATH-resolv\","
    "\"HostnamePath\":\"/var/lib/docker/containers/HOSTPATH-hostname\","
    "\"HostsPath\":\"/var/lib/docker/containers/HOSTPATH-hosts\","
    "\"LogPath\":\"/var/lib/docker/containers/HOSTPATH-log.json\","
    "\"RestartCount\":3,\"Driver\":\"overlay2\",\"Platform\":\"linux\","
    "\"MountLabel\":\"\",\"ProcessLabel\":\"\",\"AppArmorProfile\":\"docker-default\","
    "\"HostConfig\":{\"Binds\":[\"/srv/HOSTPATH-bind:/config:ro\"],"
    "\"ContainerIDFile\":\"/root/HOSTPATH-cidfile\","
    "\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"path\":"
    "\"/HOSTPATH-logcfg\"}},"
    "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":5},"
    "\"Memory\":536870912,\"NanoCpus\":1500000000,\"PidsLimit\":256,"
    "\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]},"
    "\"Devices\":[{\"PathOnHost\":\"/dev/HOSTPATH-dev\"}],"
    "\"SecurityOpt\":[\"seccomp=/etc/HOSTPATH-seccomp.json\"]},"
    "\"GraphDriver\":{\"Name\":\"overlay2\",\"Data\":{"
    "\"LowerDir\":\"/var/lib/docker/overlay2/HOSTPATH-lower\","
    "\"MergedDir\":\"/var/lib/docker/overlay2/HOSTPATH-merged\","
    "\"UpperDir\":\"/var/lib/docker/overlay2/HOSTPATH-upper\","
    "\"WorkDir\":\"/var/lib/docker/overlay2/HOSTPATH-work\"}},"
    "\"Mounts\":["
    "{\"Type\":\"bind\",\"Source\":\"/srv/HOSTPATH-bind\","
    "\"Destination\":\"/config\",\"Mode\":\"ro\",\"RW\":false,"
    "\"Propagation\":\"rprivate\"},"
    "{\"Type\":\"volume\",\"Name\":\"appdata\","
    "\"Source\":\"/var/lib/docker/volumes/HOSTPATH-vol/_data\","
    "\"Destination\":\"/data\",\"Driver\":\"local\",\"Mode\":\"z\","
    "\"RW\":true,\"Propagation\":\"\"},"
    "{\"Type\":\"tmpfs\",\"Source\":\"\",\"Destination\":\"/run\","
    "\"RW\":true}],"
    "\"Config\":{\"Hostname\":\"web\",\"User\":\"1000\","
    "\"Env\":[\"DB_PASSWORD=S3CRET-ENV\",\"PATH=/usr/bin\"],"
    "\"Cmd\":[\"--token=S3CRET-CMD\"],\"Entrypoint\":[\"/bin/app\"],"
    "\"Healthcheck\":{\"Test\":[\"CMD\",\"curl\",\"-u\","
    "\"admin:S3CRET-HC\",\"http://x\"]},"
    "\"Image\":\"registry.example/app:2\",\"Tty\":false,"
    "\"Labels\":{\"ctl.owner\":\"alice\",\"ctl.template\":\"dev\","
    "\"ctl.image\":\"registry.example/app:2\","
    "\"com.example.api-key\":\"S3CRET-LABEL\"}},"
    "\"NetworkSettings\":{\"SandboxKey\":\"/var/run/docker/netns/HOSTPATH-ns\","
    "\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"},"
    "{\"HostIp\":\"::\",\"HostPort\":\"8080\"}],\"443/tcp\":null,"
    "\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"5353\"}],"
    "\"bogus\":[{\"HostIp\":\"1.2.3.4\",\"HostPort\":\"1\"}]},"
    "\"Networks\":{\"bridge\":{\"IPAddress\":\"172.17.0.2\","
    "\"IPPrefixLen\":16,\"Gateway\":\"172.17.0.1\","
    "\"GlobalIPv6Address\":\"\",\"MacAddress\":\"02:42:ac:11:00:02\","
    "\"EndpointID\":\"S3CRET-ENDPOINT\",\"NetworkID\":\"S3CRET-NETID\"}}}}";

static const char *const secrets[] = {
	"S3CRET", "HOSTPATH", "sha256:", "0001-01-01", "424242", "/bin/app",
	"docker-default", "overlay2", "172.17.0.1", "02:42", "\x1b", "\x07",
	"old-1", "old-2", NULL
};

static char inspect_body[16384];

static int
setup(void **state)
{
	char big[4000];

	b = bk_start(NULL);
	memset(big, 'x', sizeof(big) - 1);	/* longer than any output kept */
	big[sizeof(big) - 1] = '\0';
	snprintf(inspect_body, sizeof(inspect_body), inspect_secrets, big);
	return 0;
}

static int
teardown(void **state)
{
	answer_free(&a);
	bk_stop(b);
	return 0;
}

static void
reconfigure(const char *extra)
{
	bk_stop(b);
	b = bk_start(extra);
}

static void
inspect_answers(const char *body)
{
	fe_json(b->fe, "GET", "/v1.41/containers/web/json", 200, body);
}

static json_t *
data(void)
{
	return json_object_get(a.done, "data");
}

/* The whole answer, as the client received it, has none of secrets. */
static void
assert_no_secret(void)
{
	char *text = json_dumps(a.done, JSON_COMPACT);
	char *raw = json_dumps(a.done, JSON_COMPACT | JSON_ENSURE_ASCII);
	size_t i;

	assert_non_null(text);
	for (i = 0; secrets[i] != NULL; i++)
		if (strstr(text, secrets[i]) != NULL ||
		    strstr(raw, secrets[i]) != NULL)
			fail_msg("\"%s\" reached the client: %s", secrets[i],
			    text);
	assert_null(strstr(raw, "\\u001b"));
	assert_null(strstr(raw, "\\u0007"));
	assert_null(strstr(raw, "\\u009b"));
	assert_int_equal(a.outlen, 0);
	free(text);
	free(raw);
}

static void
assert_json_eq(json_t *got, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);
	char *g;

	assert_non_null(w);
	if (!json_equal(got, w)) {
		g = json_dumps(got, JSON_COMPACT);
		fail_msg("got %s\nwant %s", g, want);
	}
	json_decref(w);
}

static void
test_inspect_allow_list(void **state)
{
	static const char *const keys[] = {
		"name", "id", "image", "created", "state", "exit_code",
		"error", "oom_killed", "started_at", "finished_at", "health",
		"failing_streak", "health_log", "restart_count",
		"restart_policy", "restart_max", "tty", "memory", "cpus",
		"pids", "ports", "networks", "mounts", "labels", NULL
	};
	json_t *log;
	size_t i;

	inspect_answers(inspect_body);
	assert_int_equal(bk_run(b, &alice, REQ, &a), 0);
	assert_no_secret();
	for (i = 0; keys[i] != NULL; i++)
		if (json_object_get(data(), keys[i]) == NULL)
			fail_msg("no %s in the answer", keys[i]);
	assert_int_equal(json_object_size(data()), i);

	assert_string_equal(json_string_value(bk_data(&a, "id")), ID_WEB);
	assert_string_equal(json_string_value(bk_data(&a, "image")),
	    "registry.example/app:2");
	assert_string_equal(json_string_value(bk_data(&a, "created")),
	    "2026-11-30T08:00:00Z");
	assert_string_equal(json_string_value(bk_data(&a, "started_at")),
	    "2026-11-30T09:00:00Z");
	assert_true(json_is_null(bk_data(&a, "finished_at")));
	assert_string_equal(json_string_value(bk_data(&a, "error")),
	    "bad?[2Jthing");
	assert_string_equal(json_string_value(bk_data(&a, "restart_policy")),
	    "on-failure");
	assert_int_equal(json_integer_value(bk_data(&a, "restart_max")), 5);
	assert_int_equal(json_integer_value(bk_data(&a, "restart_count")), 3);
	assert_int_equal(json_integer_value(bk_data(&a, "memory")),
	    536870912);
	assert_true(json_real_value(bk_data(&a, "cpus")) == 1.5);
	assert_int_equal(json_integer_value(bk_data(&a, "pids")), 256);
	assert_string_equal(json_string_value(bk_data(&a, "health")),
	    "unhealthy");
	assert_json_eq(bk_data(&a, "ports"), "["
	    "{\"port\":80,\"protocol\":\"tcp\",\"host_ip\":\"0.0.0.0\","
	    "\"host_port\":8080},"
	    "{\"port\":80,\"protocol\":\"tcp\",\"host_ip\":\"::\","
	    "\"host_port\":8080},"
	    "{\"port\":443,\"protocol\":\"tcp\",\"host_ip\":null,"
	    "\"host_port\":null},"
	    "{\"port\":53,\"protocol\":\"udp\",\"host_ip\":\"127.0.0.1\","
	    "\"host_port\":5353}]");
	assert_json_eq(bk_data(&a, "networks"), "[{\"name\":\"bridge\","
	    "\"ip\":\"172.17.0.2\",\"prefix_len\":16,\"ipv6\":null}]");
	assert_json_eq(bk_data(&a, "mounts"), "["
	    "{\"type\":\"bind\",\"name\":null,\"destination\":\"/config\","
	    "\"read_only\":true},"
	    "{\"type\":\"volume\",\"name\":\"appdata\","
	    "\"destination\":\"/data\",\"read_only\":false},"
	    "{\"type\":\"tmpfs\",\"name\":null,\"destination\":\"/run\","
	    "\"read_only\":false}]");
	assert_json_eq(bk_data(&a, "labels"), "{\"ctl.owner\":\"alice\","
	    "\"ctl.template\":\"dev\","
	    "\"ctl.image\":\"registry.example/app:2\"}");

	/* the last three checks, each bounded, no control byte but \n */
	log = bk_data(&a, "health_log");
	assert_int_equal(json_array_size(log), 3);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(log, 0), "output")),
	    "curl: (7) refused\n?]0;pwned?title?");
	assert_int_equal(json_string_length(json_object_get(
	    json_array_get(log, 1), "output")), 1024);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(log, 2), "output")), "ok");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(log, 2), "start")), "2026-11-30T09:05:00Z");
	assert_string_equal(bk_audit_str(b, "verb"), "inspect");
	assert_string_equal(bk_audit_str(b, "result"), "ok");
	assert_string_equal(bk_audit_str(b, "decision"), "allow");
	assert_int_equal(fe_count(b->fe), 1);	/* the one inspect */
}

/* Odd shapes and types become null or are left out, never passed on. */
static void
test_inspect_wrong_types(void **state)
{
	inspect_answers("{\"Id\":\"" ID_WEB "\",\"Name\":\"/web\","
	    "\"Created\":\"yesterday\",\"RestartCount\":\"3\","
	    "\"State\":{\"Status\":\"RUN\\nNING\",\"ExitCode\":1.5,"
	    "\"StartedAt\":\"0001-01-01T00:00:00Z\",\"Health\":\"x\"},"
	    "\"HostConfig\":{\"Memory\":0,\"PidsLimit\":-1,\"NanoCpus\":0,"
	    "\"CpuQuota\":50000,\"CpuPeriod\":100000},"
	    "\"Mounts\":[{\"Type\":\"image\",\"Source\":\"/HOSTPATH\","
	    "\"Destination\":\"/x\",\"Name\":\"HOSTPATH\"}],"
	    "\"NetworkSettings\":{\"Ports\":{\"99999/tcp\":null,"
	    "\"22/tcp\":[{\"HostIp\":\"localhost\",\"HostPort\":\"x\"}]},"
	    "\"Networks\":{\"n\\u001b1\":{\"IPAddress\":\"HOSTPATH\"}}},"
	    "\"Config\":{\"Image\":\"sha256:abc\",\"Labels\":{"
	    "\"ctl.owner\":\"alice\",\"ctl.x\\u001b\":\"v\",\"ctl.y\":7}}}");
	assert_int_equal(bk_run(b, &alice, REQ, &a), 0);
	assert_no_secret();
	assert_true(json_is_null(bk_data(&a, "image")));
	assert_true(json_is_null(bk_data(&a, "created")));
	assert_true(json_is_null(bk_data(&a, "started_at")));
	assert_true(json_is_null(bk_data(&a, "state")));
	assert_true(json_is_null(bk_data(&a, "exit_code")));
	assert_true(json_is_null(bk_data(&a, "restart_count")));
	assert_true(json_is_null(bk_data(&a, "health")));
	assert_true(json_is_null(bk_data(&a, "memory")));
	assert_true(json_is_null(bk_data(&a, "pids")));
	assert_true(json_real_value(bk_data(&a, "cpus")) == 0.5);
	assert_json_eq(bk_data(&a, "mounts"), "[{\"type\":\"other\","
	    "\"name\":null,\"destination\":\"/x\",\"read_only\":false}]");
	assert_json_eq(bk_data(&a, "ports"), "[{\"port\":22,"
	    "\"protocol\":\"tcp\",\"host_ip\":null,\"host_port\":null}]");
	assert_json_eq(bk_data(&a, "networks"), "[{\"name\":\"n?1\","
	    "\"ip\":null,\"prefix_len\":null,\"ipv6\":null}]");
	assert_json_eq(bk_data(&a, "labels"), "{\"ctl.owner\":\"alice\"}");
	assert_json_eq(bk_data(&a, "health_log"), "[]");
}

/* inspect is decided as status: its grant, its deny, its "no such". */
static void
test_inspect_needs_status(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, "bob", NULL, 1, 0);
	assert_int_equal(bk_run(b, &alice, REQ, &a), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no such container: web");
	assert_string_equal(bk_audit_str(b, "decision"), "deny");

	reconfigure("rules = ( { users = [\"alice\"]; containers = [\"web\"];"
	    " verbs = [\"logs\"]; } );\n");
	bk_container(b, "web", "/web", ID_WEB, "bob", NULL, 1, 0);
	assert_int_equal(bk_run(b, &alice, REQ, &a), EXIT_NOTFOUND);
	assert_string_equal(a.error, "inspect: permission denied");

	reconfigure("rules = ( { users = [\"alice\"]; containers = [\"web\"];"
	    " verbs = [\"status\"]; } );\n");
	bk_container(b, "web", "/web", ID_WEB, "bob", NULL, 1, 0);
	assert_int_equal(bk_run(b, &alice, REQ, &a), 0);
	assert_string_equal(json_string_value(bk_data(&a, "image")), "img:1");

	reconfigure("rules = ( { users = [\"alice\"]; containers = [\"web\"];"
	    " verbs = [\"status\"]; deny = true; } );\n");
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	assert_int_equal(bk_run(b, &alice, REQ, &a), EXIT_NOTFOUND);
	assert_string_equal(a.error, "inspect: permission denied");
	assert_non_null(strstr(bk_audit_str(b, "reason"), "denied by rule"));

	assert_int_equal(bk_run(b, &alice, "{\"verb\":\"can\",\"of\":"
	    "\"inspect\",\"name\":\"web\"}", &a), EXIT_NOTFOUND);
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inspect_allow_list,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspect_wrong_types,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspect_needs_status,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
