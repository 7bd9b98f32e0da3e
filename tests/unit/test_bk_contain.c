/*
 * contain.c against a fake Engine API: a container made the way ctld
 * makes one from a template is contained; each way of reaching the host
 * is refused with the rule that failed; what the answer does not say
 * (a field of the wrong type, a dockerd error) is never contained.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bk_util.h"
#include "contain.h"

static struct bk *b;
static char why[512];

/* As template.c makes a container, with a volume, and a tmpfs. */
static const char base[] = "{\"Id\":\"" ID_WEB "\","
    "\"Config\":{\"User\":\"1000:1000\"},"
    "\"HostConfig\":{\"Privileged\":false,\"CapDrop\":[\"ALL\"],"
    "\"CapAdd\":[\"KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"SecurityOpt\":[\"no-new-privileges\"],\"Devices\":[],"
    "\"DeviceCgroupRules\":null,\"DeviceRequests\":null,"
    "\"MaskedPaths\":[\"/proc/kcore\"],\"ReadonlyPaths\":[\"/proc/sys\"],"
    "\"Runtime\":\"runc\",\"PidMode\":\"\",\"IpcMode\":\"private\","
    "\"NetworkMode\":\"default\",\"UTSMode\":\"\",\"UsernsMode\":\"\","
    "\"CgroupnsMode\":\"private\"},"
    "\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"home-alice\","
    "\"Source\":\"/var/lib/docker/volumes/home-alice/_data\","
    "\"Destination\":\"/home\",\"Driver\":\"local\"},"
    "{\"Type\":\"tmpfs\",\"Destination\":\"/tmp\"}]}";

static int
setup(void **state)
{
	b = bk_start("exec = { bind_allow = [\"/usr/share\"]; "
	    "runtimes = [\"runsc\"]; };\n");
	fe_json(b->fe, "GET", "/v1.41/volumes/home-alice", 200,
	    "{\"Name\":\"home-alice\",\"Driver\":\"local\",\"Options\":null}");
	return 0;
}

static int
teardown(void **state)
{
	bk_stop(b);
	return 0;
}

/* base with the first occurrence of from replaced by to, judged. */
static enum contained
judge_with(const char *from, const char *to)
{
	char text[4096];
	const char *at = strstr(base, from);
	json_t *j;
	enum contained rc;

	assert_non_null(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base), base, to,
	    at + strlen(from));
	assert_non_null(j = json_loads(text, 0, NULL));
	rc = contained(b->cf, &b->eng, j, why, sizeof(why));
	json_decref(j);
	return rc;
}

static void
refused(const char *from, const char *to, const char *rule)
{
	if (judge_with(from, to) != NOT_CONTAINED)
		fail_msg("%s -> %s: contained", from, to);
	if (strncmp(why, rule, strlen(rule)) != 0)
		fail_msg("%s -> %s: \"%s\", not rule %s", from, to, why, rule);
}

static void
test_template_made_is_contained(void **state)
{
	assert_int_equal(judge_with("", ""), CONTAINED);
	assert_string_equal(why, "");
	/* the admin's runtime, and a bind mount below an allowed path */
	assert_int_equal(judge_with("\"runc\"", "\"runsc\""), CONTAINED);
	assert_int_equal(judge_with("{\"Type\":\"tmpfs\"", "{\"Type\":"
	    "\"bind\",\"Source\":\"/usr/share/../share\"},{\"Type\":\"tmpfs\""),
	    CONTAINED);
	assert_int_equal(judge_with("\"SecurityOpt\":[",
	    "\"SecurityOpt\":[\"seccomp=builtin\",\"apparmor:docker-default\","),
	    CONTAINED);
}

static void
test_privileged_caps_devices(void **state)
{
	refused("\"Privileged\":false", "\"Privileged\":true", "privileged");
	refused("\"Privileged\":false", "\"Privileged\":1", "privileged");
	refused("\"KILL\"", "\"SYS_ADMIN\"", "capabilities");
	refused("\"KILL\"", "\"ALL\"", "capabilities");
	refused("\"KILL\"", "\"cap_sys_ptrace\"", "capabilities");
	refused("\"CapAdd\":[", "\"CapAdd\":[1,", "capabilities");
	refused("\"Devices\":[]", "\"Devices\":[{\"PathOnHost\":\"/dev/sda\"}]",
	    "devices");
	refused("\"DeviceCgroupRules\":null",
	    "\"DeviceCgroupRules\":[\"a *:* rwm\"]", "devices");
	refused("\"DeviceRequests\":null", "\"DeviceRequests\":[{}]", "devices");
	refused("\"Devices\":[]", "\"Devices\":{}", "devices");
}

static void
test_confinement(void **state)
{
	static const char *const opts[] = {
		"seccomp=unconfined", "seccomp={}", "apparmor=unconfined",
		"label=disable", "label:type:spc_t", "systempaths=unconfined",
		"apparmor", "seccomp", NULL
	};
	char to[128];
	size_t i;

	for (i = 0; opts[i] != NULL; i++) {
		snprintf(to, sizeof(to), "\"SecurityOpt\":[\"%s\",", opts[i]);
		refused("\"SecurityOpt\":[", to, "confinement");
	}
	refused("\"MaskedPaths\":[\"/proc/kcore\"]", "\"MaskedPaths\":[]",
	    "confinement");
	refused("\"ReadonlyPaths\":[\"/proc/sys\"]", "\"ReadonlyPaths\":[]",
	    "confinement");
	refused("\"Runtime\":\"runc\"", "\"Runtime\":\"kata\"", "runtime");
}

static void
test_namespaces(void **state)
{
	static const char *const keys[] = { "PidMode", "IpcMode",
	    "NetworkMode", "UTSMode", "UsernsMode", "CgroupnsMode", NULL };
	char from[64], to[64];
	const char *at;
	size_t i;

	for (i = 0; keys[i] != NULL; i++) {
		snprintf(from, sizeof(from), "\"%s\":\"", keys[i]);
		at = strstr(base, from) + strlen(from);
		snprintf(from, sizeof(from), "\"%s\":\"%.*s\"", keys[i],
		    (int)strcspn(at, "\""), at);
		snprintf(to, sizeof(to), "\"%s\":\"host\"", keys[i]);
		refused(from, to, "namespaces");
	}
	refused("\"UTSMode\":\"\"", "\"UTSMode\":\"container:" ID_OTHER "\"",
	    "namespaces");
	refused("\"PidMode\":\"\"", "\"PidMode\":\"container:web\"",
	    "namespaces");
	refused("\"IpcMode\":\"private\"", "\"IpcMode\":\"weird\"",
	    "namespaces");
}

static void
volume_answer(const char *json)
{
	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/volumes/home-alice", 200, json);
}

/* What the fake answers for ID_OTHER: base, Id id, from made to. */
static void
answer_for(const char *id, const char *from, const char *to)
{
	char text[4096], *p;
	const char *at = strstr(base, from);

	assert_non_null(at);
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base), base, to,
	    at + strlen(from));
	p = strstr(text, ID_WEB);
	memcpy(p, id, strlen(ID_WEB));
	fe_json(b->fe, "GET", "/v1.41/containers/" ID_OTHER "/json", 200,
	    bk_keep(b, strdup(text)));
}

/* A joined container is judged too: contained, or not, or not there. */
static void
test_joined_namespace(void **state)
{
	static const char *const join = "\"NetworkMode\":\"container:"
	    ID_OTHER "\"";

	answer_for(ID_OTHER, "", "");
	assert_int_equal(judge_with("\"NetworkMode\":\"default\"", join),
	    CONTAINED);
	volume_answer("{\"Driver\":\"local\"}");
	answer_for(ID_OTHER, "\"Privileged\":false", "\"Privileged\":true");
	refused("\"NetworkMode\":\"default\"", join, "namespaces");
	if (strstr(why, "privileged") == NULL)
		fail_msg("why: %s", why);
	/* one that joins itself ends at CONTAIN_DEPTH */
	volume_answer("{\"Driver\":\"local\"}");
	answer_for(ID_OTHER, "\"NetworkMode\":\"default\"", join);
	refused("\"NetworkMode\":\"default\"", join, "namespaces");
	/* dockerd answers for another, or not at all */
	volume_answer("{\"Driver\":\"local\"}");
	answer_for(ID_NEW, "", "");
	refused("\"NetworkMode\":\"default\"", join, "namespaces");
	volume_answer("{\"Driver\":\"local\"}");
	assert_int_equal(judge_with("\"NetworkMode\":\"default\"", join),
	    CONTAIN_FAILED);
}

static void
test_mounts(void **state)
{
	refused("{\"Type\":\"tmpfs\"", "{\"Type\":\"bind\",\"Source\":\"/\"},"
	    "{\"Type\":\"tmpfs\"", "mounts");
	refused("{\"Type\":\"tmpfs\"", "{\"Type\":\"bind\",\"Source\":"
	    "\"/usr/sharex\"},{\"Type\":\"tmpfs\"", "mounts");
	refused("{\"Type\":\"tmpfs\"", "{\"Type\":\"bind\",\"Source\":"
	    "\"/etc\"},{\"Type\":\"tmpfs\"", "mounts");
	refused("{\"Type\":\"tmpfs\"", "{\"Type\":\"bind\"},"
	    "{\"Type\":\"tmpfs\"", "mounts");
	refused("{\"Type\":\"tmpfs\"", "{\"Type\":\"npipe\"},"
	    "{\"Type\":\"tmpfs\"", "mounts");
	refused("\"Mounts\":[", "\"Mounts\":[{\"Type\":\"volume\"},", "mounts");
	refused("\"Mounts\":[", "\"Mounts\":{},\"x\":[", "mounts");
}

static void
test_volumes(void **state)
{
	volume_answer("{\"Driver\":\"local\",\"Options\":{\"type\":\"tmpfs\","
	    "\"device\":\"tmpfs\",\"o\":\"size=10m\"}}");
	assert_int_equal(judge_with("", ""), CONTAINED);
	volume_answer("{\"Driver\":\"local\",\"Options\":{\"o\":\"bind\","
	    "\"device\":\"/etc\",\"type\":\"none\"}}");
	refused("", "", "mounts");
	volume_answer("{\"Driver\":\"local\",\"Options\":{\"o\":\"rbind\"}}");
	refused("", "", "mounts");
	volume_answer("{\"Driver\":\"local\",\"Options\":{\"device\":\"/dev/sda1\","
	    "\"type\":\"ext4\"}}");
	refused("", "", "mounts");
	volume_answer("{\"Driver\":\"nfs-plugin\",\"Options\":null}");
	refused("", "", "mounts");
	volume_answer("{\"Driver\":\"local\",\"Options\":[]}");
	refused("", "", "mounts");
	/* dockerd fails: not contained, and the caller hears dockerd */
	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/volumes/home-alice", 500,
	    "{\"message\":\"boom\"}");
	assert_int_equal(judge_with("", ""), CONTAIN_FAILED);
}

static void
test_user(void **state)
{
	refused("\"User\":\"1000:1000\"", "\"User\":\"\"", "user");
	refused("\"User\":\"1000:1000\"", "\"User\":\"0\"", "user");
	refused("\"User\":\"1000:1000\"", "\"User\":\"0:1000\"", "user");
	refused("\"User\":\"1000:1000\"", "\"User\":\"root\"", "user");
	refused("\"User\":\"1000:1000\"", "\"User\":\"nobody\"", "user");
	refused("\"User\":\"1000:1000\"", "\"User\":\"1000x\"", "user");
	refused("\"SecurityOpt\":[\"no-new-privileges\"]",
	    "\"SecurityOpt\":[]", "user");
	refused("\"SecurityOpt\":[\"no-new-privileges\"]",
	    "\"SecurityOpt\":[\"no-new-privileges=false\"]", "user");
	assert_int_equal(judge_with("\"SecurityOpt\":[\"no-new-privileges\"]",
	    "\"SecurityOpt\":[\"no-new-privileges:true\"]"), CONTAINED);
	/* the admin may let root in: the rest still holds */
	bk_stop(b);
	b = bk_start("exec = { allow_root = true; };\n");
	volume_answer("{\"Driver\":\"local\"}");
	assert_int_equal(judge_with("\"User\":\"1000:1000\"", "\"User\":\"\""),
	    CONTAINED);
	refused("\"Privileged\":false", "\"Privileged\":true", "privileged");
}

static void
test_malformed(void **state)
{
	json_t *j = json_pack("{s:s}", "Id", ID_WEB);

	assert_int_equal(contained(b->cf, &b->eng, j, why, sizeof(why)),
	    NOT_CONTAINED);
	json_decref(j);
	refused("\"Runtime\":\"runc\"", "\"Runtime\":7", "runtime");
	refused("\"PidMode\":\"\"", "\"PidMode\":[]", "namespaces");
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_template_made_is_contained),
		T(test_privileged_caps_devices),
		T(test_confinement),
		T(test_namespaces),
		T(test_joined_namespace),
		T(test_mounts),
		T(test_volumes),
		T(test_user),
		T(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
