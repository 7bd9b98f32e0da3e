/* Unit tests for shell/inspect.c: how inspect's answer is shown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "inspect.h"
#include "proto.h"

static char out[16384];

/* inspect_show(data) with stdout in out; returns its exit code. */
static int
show(const char *json)
{
	json_t *data = json_loads(json, 0, NULL);
	FILE *fp = tmpfile();
	int saved, rc;
	ssize_t n;

	assert_non_null(fp);
	fflush(stdout);
	saved = dup(1);
	dup2(fileno(fp), 1);
	rc = inspect_show(NULL, data);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fileno(fp), out, sizeof(out) - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	fclose(fp);
	json_decref(data);
	return rc;
}

static void
has(const char *want)
{
	if (strstr(out, want) == NULL)
		fail_msg("no \"%s\" in:\n%s", want, out);
}

static void
test_full(void **state)
{
	char started[64], when[256], json[4096];
	time_t t = time(NULL) - 2 * 3600 - 5;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(when, sizeof(when), "{\"name\":\"web\",\"id\":\"abc\","
	    "\"image\":\"reg/app:2\",\"state\":\"running\","
	    "\"started_at\":\"%s\",\"finished_at\":null,"
	    "\"created\":\"%s\"", started, started);
	assert_true(strlen(when) < sizeof(when) - 1);
	snprintf(json, sizeof(json), "%s,"
	    "\"exit_code\":0,\"error\":\"\",\"oom_killed\":false,"
	    "\"restart_count\":2,\"restart_policy\":\"on-failure\","
	    "\"restart_max\":5,\"health\":\"unhealthy\","
	    "\"failing_streak\":4,\"tty\":false,\"memory\":536870912,"
	    "\"cpus\":1.5,\"pids\":null,"
	    "\"ports\":[{\"port\":80,\"protocol\":\"tcp\","
	    "\"host_ip\":\"0.0.0.0\",\"host_port\":8080},{\"port\":443,"
	    "\"protocol\":\"tcp\",\"host_ip\":null,\"host_port\":null}],"
	    "\"networks\":[{\"name\":\"bridge\",\"ip\":\"172.17.0.2\","
	    "\"prefix_len\":16,\"ipv6\":null}],"
	    "\"mounts\":[{\"type\":\"bind\",\"name\":null,"
	    "\"destination\":\"/config\",\"read_only\":true},"
	    "{\"type\":\"volume\",\"name\":\"appdata\","
	    "\"destination\":\"/data\",\"read_only\":false}],"
	    "\"labels\":{\"ctl.owner\":\"alice\"},"
	    "\"health_log\":[{\"start\":\"%s\",\"exit_code\":1,"
	    "\"output\":\"line one\\nline \\u001b[31mtwo\"}]}", when, started);
	assert_int_equal(show(json), EXIT_OK);
	has("Image:       reg/app:2\n");
	has("(2 hours ago)");
	has("Finished:    -\n");
	has("Restarts:    2 (policy on-failure, at most 5)\n");
	has("Health:      unhealthy (failing streak 4)\n");
	has("Memory:      512MiB\n");
	has("CPUs:        1.5\n");
	has("PIDs:        no limit\n");
	has("Ports:       80/tcp -> 0.0.0.0:8080\n"
	    "             443/tcp (not published)\n");
	has("Networks:    bridge 172.17.0.2/16\n");
	has("Mounts:      bind -> /config (read-only)\n"
	    "             volume appdata -> /data\n");
	has("Labels:      ctl.owner=alice\n");
	has(", exit code 1\n               line one\n"
	    "               line ?[31mtwo\n");
	assert_null(strstr(out, "\x1b"));
	assert_null(strstr(out, started));	/* local time, not RFC 3339 */
}

/* Never started: "never", no year 1; an image known only by ID. */
static void
test_never_started(void **state)
{
	assert_int_equal(show("{\"name\":\"web\",\"id\":\"abc\","
	    "\"image\":null,\"state\":\"created\",\"started_at\":null,"
	    "\"finished_at\":null,\"ports\":[],\"networks\":[],"
	    "\"mounts\":[],\"labels\":{},\"health\":null,"
	    "\"health_log\":[]}"), EXIT_OK);
	has("Image:       (an image without a name)\n");
	has("Started:     never\n");
	has("Health:      no health check\n");
	has("Ports:       -\n");
	assert_null(strstr(out, "0001"));
}

static void
test_malformed(void **state)
{
	assert_int_equal(show("[]"), EXIT_FAIL);
	assert_int_equal(show("{\"name\":\"web\"}"), EXIT_FAIL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_never_started),
		cmocka_unit_test(test_malformed),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
