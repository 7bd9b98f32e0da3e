/*
 * create, provision and unprovision (broker/provision.c, template.c)
 * against a fake Engine API: the create body dockerd receives, the image
 * named by the ID that was checked, and a name that resolves to another
 * container treated as absent, its ID never adopted.
 */
#include <grp.h>
#include <pwd.h>
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

#define DIGEST	"sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static struct bk *b;
static struct answer a;
static char *alice_groups[] = { "dev", NULL };
static const struct identity alice = { 1000, 1000, 1, "alice",
    alice_groups };
static char *root_groups[] = { "root", NULL };
static const struct identity root = { 0, 0, 1, "root", root_groups };
static char me[64], mygroup[64];	/* who runs the test: provisioned */

static const char templates[] =
    "images = { trusted = [\"reg/dev:\", \"reg/pin@" DIGEST "\"]; };\n"
    "templates = (\n"
    " { name = \"dev\"; container = \"dev-%%u\"; image = \"reg/dev:1\";\n"
    "   memory = \"64m\"; cpus = 0.5; pids = 100;\n"
    "   volume = { name = \"h-%%u\"; path = \"/h\"; };\n"
    "   capabilities = [\"KILL\"]; command = [\"sleep\", \"inf\"];\n"
    "   env = [\"A=1\"]; workdir = \"/w\"; restart = \"unless-stopped\";\n"
    "   groups = [\"dev\"]; },\n"
    " { name = \"evil\"; container = \"evil-%%u\"; image = \"evil/x:1\";\n"
    "   users = [\"alice\"]; },\n"
    " { name = \"pin\"; container = \"pin-%%u\"; image = \"reg/pin:1\";\n"
    "   users = [\"alice\"]; run_as_root = true; network = false; },\n"
    " { name = \"ops\"; container = \"ops-%%u\"; image = \"reg/dev:1\";\n"
    "   groups = [\"ops\"]; }\n"
    ");\n"
    "provision = ( { group = \"%s\"; templates = [\"dev\"]; "
    "start = true; } );\n"
    "%s";

static void
configure(const char *more)
{
	char *text;

	if (b != NULL)
		bk_stop(b);
	assert_true(asprintf(&text, templates, mygroup, more) > 0);
	b = bk_start(text);
	free(text);
}

static int
setup(void **state)
{
	struct passwd *pw = getpwuid(getuid());
	struct group *gr;

	assert_non_null(pw);
	snprintf(me, sizeof(me), "%s", pw->pw_name);
	assert_non_null(gr = getgrgid(pw->pw_gid));
	snprintf(mygroup, sizeof(mygroup), "%s", gr->gr_name);
	b = NULL;
	configure("");
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
run(const struct identity *who, const char *json)
{
	return bk_run(b, who, json, &a);
}

static void
image(const char *ref, const char *id)
{
	char path[128], *body;

	snprintf(path, sizeof(path), "/v1.41/images/%s/json", ref);
	assert_true(asprintf(&body, "{\"Id\":\"%s\",\"RepoDigests\":[]}",
	    id) > 0);
	fe_json(b->fe, "GET", bk_keep(b, strdup(path)), 200,
	    bk_keep(b, body));
	/* the quota's count: none yet, unless a test answered first */
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, "[]");
}

static void
created(void)
{
	fe_json(b->fe, "POST", "/v1.41/containers/create", 201,
	    "{\"Id\":\"" ID_NEW "\",\"Warnings\":[]}");
}

/* The index of the request that starts with prefix; fails if none. */
static size_t
find(const char *prefix)
{
	size_t i;

	for (i = 0; i < fe_count(b->fe); i++)
		if (strncmp(fe_request(b->fe, i), prefix, strlen(prefix)) == 0)
			return i;
	fail_msg("no request %s", prefix);
	return 0;
}

/* No request dockerd received names id. */
static void
never_named(const char *id)
{
	size_t i;

	for (i = 0; i < fe_count(b->fe); i++)
		if (strstr(fe_request(b->fe, i), id) != NULL)
			fail_msg("request %s", fe_request(b->fe, i));
}

static json_t *
jget(json_t *j, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		j = json_object_get(j, key);
		path = dot + 1;
	}
	return json_object_get(j, path);
}

static void
assert_json(json_t *j, const char *path, const char *want)
{
	char *got = json_dumps(jget(j, path), JSON_COMPACT |
	    JSON_ENCODE_ANY);

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: %s, want %s", path, got ? got : "(none)", want);
	free(got);
}

static void
test_create_body(void **state)
{
	json_t *body;
	size_t i;

	fe_json(b->fe, "GET", "/v1.41/containers/dev-alice/json", 404,
	    "{\"message\":\"No such container\"}");
	image("reg/dev:1", IMG_ID);
	created();
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), 0);
	assert_string_equal(json_string_value(bk_data(&a, "id")), ID_NEW);
	assert_true(json_is_true(bk_data(&a, "created")));
	assert_string_equal(fe_request(b->fe, 1),
	    "GET /v1.41/images/reg/dev:1/json");
	i = find("POST /v1.41/containers/create");
	assert_string_equal(fe_request(b->fe, i),
	    "POST /v1.41/containers/create?name=dev-alice");
	body = json_loads(fe_body(b->fe, i), 0, NULL);
	assert_non_null(body);
	assert_json(body, "Image", "\"" IMG_ID "\"");
	assert_json(body, "User", "\"65534:65534\"");
	/* by ID, and the name the admin wrote in ctl.image, for display */
	assert_json(body, "Labels", "{\"ctl.owner\":\"alice\","
	    "\"ctl.group\":\"\",\"ctl.template\":\"dev\","
	    "\"ctl.image\":\"reg/dev:1\"}");
	assert_json(body, "Cmd", "[\"sleep\",\"inf\"]");
	assert_json(body, "Env", "[\"A=1\"]");
	assert_json(body, "WorkingDir", "\"/w\"");
	assert_json(body, "Tty", "false");
	assert_json(body, "HostConfig.Privileged", "false");
	assert_json(body, "HostConfig.CapDrop", "[\"ALL\"]");
	assert_json(body, "HostConfig.CapAdd", "[\"KILL\"]");
	assert_json(body, "HostConfig.SecurityOpt",
	    "[\"no-new-privileges\"]");
	assert_json(body, "HostConfig.PidsLimit", "100");
	assert_json(body, "HostConfig.Memory", "67108864");
	assert_json(body, "HostConfig.NanoCpus", "500000000");
	assert_json(body, "HostConfig.IpcMode", "\"private\"");
	assert_json(body, "HostConfig.CgroupnsMode", "\"private\"");
	assert_json(body, "HostConfig.Binds", "[]");
	assert_json(body, "HostConfig.Devices", "[]");
	assert_json(body, "HostConfig.RestartPolicy",
	    "{\"Name\":\"unless-stopped\"}");
	assert_json(body, "HostConfig.Mounts", "[{\"Type\":\"volume\","
	    "\"Source\":\"h-alice\",\"Target\":\"/h\"}]");
	assert_null(jget(body, "HostConfig.NetworkMode"));
	assert_null(jget(body, "NetworkDisabled"));
	assert_null(jget(body, "HostConfig.PidMode"));
	json_decref(body);
	assert_string_equal(bk_audit_str(b, "result"), "created");
	assert_string_equal(bk_audit_str(b, "id"), ID_NEW);
	assert_string_equal(bk_audit_str(b, "container"), "dev-alice");
}

/*
 * The name answers with another container, even one labelled as the
 * caller's: it is absent, and a container is created; nothing is done
 * with the other one's ID.
 */
static void
test_create_name_mismatch(void **state)
{
	bk_container(b, "alice-x", "/other", ID_WEB, "alice", NULL, 0, 0);
	image("reg/dev:1", IMG_ID);
	created();
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\",\"name\":\"alice-x\"}"), 0);
	assert_string_equal(json_string_value(bk_data(&a, "id")), ID_NEW);
	assert_true(json_is_true(bk_data(&a, "created")));
	assert_string_equal(fe_request(b->fe, find("POST")),
	    "POST /v1.41/containers/create?name=alice-x");
	never_named(ID_WEB);
}

static void
test_create_exists_or_taken(void **state)
{
	bk_container(b, "dev-alice", "/dev-alice", ID_WEB, "alice", NULL, 0,
	    0);
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), 0);
	assert_true(json_is_false(bk_data(&a, "created")));
	assert_string_equal(json_string_value(bk_data(&a, "id")), ID_WEB);
	assert_string_equal(bk_audit_str(b, "result"), "exists");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);

	fe_reset(b->fe);
	bk_container(b, "dev-alice", "/dev-alice", ID_WEB, "bob", NULL, 0, 0);
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "cannot create dev-alice: the name is "
	    "taken");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);

	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/dev-alice/json", 500,
	    "{\"message\":\"boom\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: boom");
}

static void
test_create_refusals(void **state)
{
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"nope\"}"), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no such template: nope");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"ops\"}"), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no such template: ops");
	assert_string_equal(bk_audit_str(b, "reason"),
	    "template does not list the caller");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\",\"name\":\"bob-x\"}"), EXIT_USAGE);
	assert_string_equal(a.error, "a container name must start with "
	    "\"alice-\"");
	assert_int_equal(fe_count(b->fe), 0);

	fe_json(b->fe, "GET", "/v1.41/containers/*/json", 404, "{}");
	image("evil/x:1", IMG_ID);
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"evil\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "refused: image evil/x:1 is not in "
	    "images.trusted");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);

	fe_json(b->fe, "GET", "/v1.41/images/reg/dev:1/json", 404, "{}");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "image reg/dev:1 is not on this host "
	    "(ctld never pulls)");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

/* An image pinned by digest is created only with that very image. */
static void
test_create_pinned_digest(void **state)
{
	fe_json(b->fe, "GET", "/v1.41/containers/*/json", 404, "{}");
	image("reg/pin:1", IMG_ID);
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"pin\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "refused: image reg/pin:1 does not have "
	    "the digest pinned in images.trusted (" DIGEST ")");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);

	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/*/json", 404, "{}");
	image("reg/pin:1", DIGEST);
	created();
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"pin\"}"), 0);
	assert_non_null(strstr(fe_body(b->fe, find("POST")),
	    "\"Image\":\"" DIGEST "\""));
	assert_non_null(strstr(fe_body(b->fe, find("POST")),
	    "\"User\":\"0:0\""));
	assert_non_null(strstr(fe_body(b->fe, find("POST")),
	    "\"NetworkMode\":\"none\""));	/* network = false */
	assert_non_null(strstr(fe_body(b->fe, find("POST")),
	    "\"NetworkDisabled\":true"));

	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/*/json", 404, "{}");
	image("reg/pin:1", "sha256:short");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"pin\"}"), EXIT_FAIL);
}

static const struct fe_reply once404 = { .method = "GET",
    .path = "/v1.41/containers/dev-alice/json", .status = 404,
    .body = "{\"message\":\"none\"}", .times = 1 };

/*
 * "[...]": n containers of alice's that ctld made from templates (half
 * from "dev") and one an admin gave her.
 */
static char *
listed(int n)
{
	char *out = strdup("["), *next;
	int i;

	for (i = 0; i < n; i++) {
		assert_true(asprintf(&next, "%s{\"Id\":\"%064d\",\"Labels\":"
		    "{\"ctl.owner\":\"alice\",\"ctl.template\":\"%s\"}},", out,
		    i, i % 2 ? "dev" : "other") > 0);
		free(out);
		out = next;
	}
	assert_true(asprintf(&next, "%s{\"Id\":\"" ID_WEB "\",\"Labels\":"
	    "{\"ctl.owner\":\"alice\"}}]", out) > 0);
	free(out);
	return bk_keep(b, next);
}

/* Quota: what ctld made from templates for the user (default 10). */
static void
test_create_quota(void **state)
{
	fe_json(b->fe, "GET", "/v1.41/containers/*/json", 404, "{}");
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listed(10));
	image("reg/dev:1", IMG_ID);
	created();
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "quota: you have 10 containers, the "
	    "limit is 10");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
	assert_non_null(strstr(fe_request(b->fe, find("GET /v1.41/containers/"
	    "json")), "ctl.owner%3Dalice"));

	/* the admin's one (no ctl.template) does not count */
	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/*/json", 404, "{}");
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listed(9));
	image("reg/dev:1", IMG_ID);
	created();
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), 0);
}

static void
test_create_failures(void **state)
{
	fe_json(b->fe, "GET", "/v1.41/containers/*/json", 404, "{}");
	image("reg/dev:1", "nosha");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: malformed image ID");

	/* a 409: made meanwhile by another's create, then looked up again */
	fe_reset(b->fe);
	fe_add(b->fe, &once404);
	bk_container(b, "dev-alice", "/dev-alice", ID_WEB, "bob", NULL, 0, 0);
	image("reg/dev:1", IMG_ID);
	fe_json(b->fe, "POST", "/v1.41/containers/create", 409,
	    "{\"message\":\"Conflict. The container name is already in use\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "cannot create dev-alice: the name is "
	    "taken");
	/* ...by the user's own create: that one is the answer */
	fe_reset(b->fe);
	fe_add(b->fe, &once404);
	bk_container(b, "dev-alice", "/dev-alice", ID_WEB, "alice", NULL, 0, 0);
	image("reg/dev:1", IMG_ID);
	fe_json(b->fe, "POST", "/v1.41/containers/create", 409,
	    "{\"message\":\"Conflict. The container name is already in use\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), 0);
	assert_true(json_is_false(bk_data(&a, "created")));
	assert_string_equal(json_string_value(bk_data(&a, "id")), ID_WEB);

	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/*/json", 404, "{}");
	fe_json(b->fe, "GET", "/v1.41/images/*", 500, "{\"message\":\"x\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: x");
}

static void
test_create_deny_rule(void **state)
{
	configure("rules = ( { users = [\"alice\"]; containers = "
	    "[\"dev-*\"]; verbs = [\"create\"]; deny = true; } );\n");
	assert_int_equal(run(&alice, "{\"verb\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no such template: dev");
	assert_int_equal(fe_count(b->fe), 0);
}

/* can: the templates alice may use, what is left, and one question. */
static void
test_can_templates(void **state)
{
	json_t *t;

	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listed(7));
	assert_int_equal(run(&alice, "{\"verb\":\"can\"}"), 0);
	/* ops lists a group alice is not in */
	assert_int_equal(json_array_size(bk_data(&a, "templates")), 3);
	t = json_array_get(bk_data(&a, "templates"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "name")),
	    "dev");
	assert_string_equal(json_string_value(json_object_get(t,
	    "container")), "dev-alice");
	assert_int_equal(json_integer_value(json_object_get(t, "left")), 3);
	assert_int_equal(json_integer_value(json_object_get(bk_data(&a,
	    "quota"), "used")), 7);
	assert_int_equal(run(&alice, "{\"verb\":\"can\",\"of\":\"create\","
	    "\"template\":\"dev\"}"), 0);
	assert_string_equal(json_string_value(bk_data(&a, "answer")), "yes");
	assert_int_equal(json_integer_value(bk_data(&a, "left")), 3);
	assert_string_equal(bk_audit_str(b, "container"), "dev-alice");
	assert_int_equal(run(&alice, "{\"verb\":\"can\",\"of\":\"create\","
	    "\"template\":\"ops\"}"), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no such template: ops");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);

	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listed(10));
	assert_int_equal(run(&alice, "{\"verb\":\"can\",\"of\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no: your quota of containers from "
	    "templates is used up");
	fe_reset(b->fe);
	fe_json(b->fe, "GET", "/v1.41/containers/json", 500,
	    "{\"message\":\"boom\"}");
	assert_int_equal(run(&alice, "{\"verb\":\"can\",\"of\":\"create\","
	    "\"template\":\"dev\"}"), EXIT_FAIL);

	/* a deny rule hides the template */
	configure("rules = ( { users = [\"alice\"]; containers = [\"evil-*\"]; "
	    "verbs = [\"create\"]; deny = true; } );\n");
	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listed(7));
	assert_int_equal(run(&alice, "{\"verb\":\"can\"}"), 0);
	assert_int_equal(json_array_size(bk_data(&a, "templates")), 2);
	assert_int_equal(run(&alice, "{\"verb\":\"can\",\"of\":\"create\","
	    "\"template\":\"evil\"}"), EXIT_NOTFOUND);
	assert_string_equal(a.error, "no such template: evil");
}

static char *
req_for(const char *verb)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "{\"verb\":\"%s\",\"user\":\"%s\"}", verb,
	    me);
	return buf;
}

/* prefix and the provisioned user's name, kept for the fake */
static char *
path_for(const char *prefix)
{
	char *p;

	assert_true(asprintf(&p, "%s%s", prefix, me) > 0);
	return bk_keep(b, p);
}

/*
 * Provisioning: the user's container from the template, created and
 * started; a name that resolves to another container is absent, its ID
 * never started.
 */
static void
test_provision_name_mismatch(void **state)
{
	bk_container(b, path_for("dev-"), "/other", ID_WEB, me, NULL, 0, 0);
	image("reg/dev:1", IMG_ID);
	created();
	fe_json(b->fe, "POST", "/v1.41/containers/*/start", 204, NULL);
	assert_int_equal(run(&root, req_for("provision")), 0);
	assert_string_equal(fe_request(b->fe, find("POST /v1.41/containers/"
	    ID_NEW)), "POST /v1.41/containers/" ID_NEW "/start");
	never_named(ID_WEB);
	assert_string_equal(bk_audit_str(b, "result"), "provisioned");
	assert_true(json_is_true(json_object_get(json_array_get(
	    bk_data(&a, "containers"), 0), "created")));
	assert_true(json_is_true(json_object_get(json_array_get(
	    bk_data(&a, "containers"), 0), "started")));
}

static void
test_provision_existing(void **state)
{
	bk_container(b, path_for("dev-"), path_for("/dev-"), ID_WEB, me,
	    NULL, 0, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/*/start", 204, NULL);
	assert_int_equal(run(&root, req_for("provision")), 0);
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 1);
	assert_string_equal(fe_request(b->fe, find("POST")),
	    "POST /v1.41/containers/" ID_WEB "/start");

	/* running: left as it is */
	fe_reset(b->fe);
	bk_container(b, path_for("dev-"), path_for("/dev-"), ID_WEB, me,
	    NULL, 1, 0);
	assert_int_equal(run(&root, req_for("provision")), 0);
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);

	/* another's: untouched, and said */
	fe_reset(b->fe);
	bk_container(b, path_for("dev-"), path_for("/dev-"), ID_WEB,
	    "somebody-else", NULL, 0, 0);
	assert_int_equal(run(&root, req_for("provision")), EXIT_FAIL);
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
	assert_string_equal(bk_audit_str(b, "result"), "failed");

	/* the start fails */
	fe_reset(b->fe);
	bk_container(b, path_for("dev-"), path_for("/dev-"), ID_WEB, me,
	    NULL, 0, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/*/start", 500,
	    "{\"message\":\"no\"}");
	assert_int_equal(run(&root, req_for("provision")), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: no");
}

static void
test_unprovision(void **state)
{
	bk_container(b, path_for("dev-"), path_for("/dev-"), ID_WEB, me,
	    NULL, 1, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/*/stop", 204, NULL);
	assert_int_equal(run(&root, req_for("unprovision")), 0);
	assert_string_equal(fe_request(b->fe, find("POST")),
	    "POST /v1.41/containers/" ID_WEB "/stop");
	assert_string_equal(bk_audit_str(b, "result"), "unprovisioned");

	/* another container answering the name is not stopped */
	fe_reset(b->fe);
	bk_container(b, path_for("dev-"), "/other", ID_WEB, me, NULL, 1, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/*/stop", 204, NULL);
	assert_int_equal(run(&root, req_for("unprovision")), 0);
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);

	fe_reset(b->fe);
	bk_container(b, path_for("dev-"), path_for("/dev-"), ID_WEB, me,
	    NULL, 1, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/*/stop", 500,
	    "{\"message\":\"stuck\"}");
	assert_int_equal(run(&root, req_for("unprovision")), EXIT_FAIL);
	assert_string_equal(a.error, "dockerd: stuck");
}

static void
test_provision_no_such_user(void **state)
{
	assert_int_equal(run(&root, "{\"verb\":\"provision\","
	    "\"user\":\"no-such-user-here\"}"), EXIT_FAIL);
	assert_string_equal(a.error, "no such user: no-such-user-here");
	assert_int_equal(fe_count(b->fe), 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_create_body),
		T(test_create_name_mismatch),
		T(test_create_exists_or_taken),
		T(test_create_refusals),
		T(test_create_pinned_digest),
		T(test_create_quota),
		T(test_create_failures),
		T(test_create_deny_rule),
		T(test_can_templates),
		T(test_provision_name_mismatch),
		T(test_provision_existing),
		T(test_unprovision),
		T(test_provision_no_such_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
