/*
 * The one resolver (broker/resolve.c) against a fake Engine API: exact
 * names only; a Name that differs (an ID, an ID prefix, an alias) is
 * another container; dockerd's misses told apart from its failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bk_util.h"
#include "resolve.h"

static struct bk *b;
static struct target t;
static char err[256];

static int
setup(void **state)
{
	b = bk_start(NULL);
	return 0;
}

static int
teardown(void **state)
{
	target_free(&t);
	bk_stop(b);
	return 0;
}

static enum resolved
res(const char *name)
{
	target_free(&t);
	return resolve(&b->eng, b->cf, name, &t, err, sizeof(err));
}

static void
assert_empty(void)
{
	assert_string_equal(t.id, "");
	assert_null(t.inspect);
	assert_null(t.owner);
}

static void
test_exact_name(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, "alice", "dev", 1, 1);
	assert_int_equal(res("web"), RESOLVED);
	assert_string_equal(t.id, ID_WEB);
	assert_string_equal(t.owner, "alice");
	assert_string_equal(t.group, "dev");
	assert_true(t.running);
	assert_true(t.tty);
	assert_int_equal(fe_count(b->fe), 1);
	assert_string_equal(fe_request(b->fe, 0),
	    "GET /v1.41/containers/web/json");
}

/* dockerd found "web" under another name: not the container named so. */
static void
test_name_mismatch(void **state)
{
	bk_container(b, "web", "/other", ID_WEB, "alice", NULL, 1, 0);
	assert_int_equal(res("web"), RESOLVE_OTHER);
	assert_empty();
	assert_string_equal(resolve_reason(RESOLVE_OTHER),
	    "name resolved to another container (ID prefix or alias)");
}

/* dockerd resolves ID prefixes and full IDs; the broker never does. */
static void
test_id_prefix_and_full_id(void **state)
{
	bk_container(b, "aaaa", "/web", ID_WEB, "alice", NULL, 1, 0);
	bk_container(b, ID_WEB, "/web", ID_WEB, "alice", NULL, 1, 0);
	assert_int_equal(res("aaaa"), RESOLVE_OTHER);
	assert_empty();
	assert_int_equal(res(ID_WEB), RESOLVE_OTHER);
	assert_empty();
	/* a container really named like an ID prefix is found */
	bk_container(b, "abc", "/abc", ID_OTHER, "alice", NULL, 0, 0);
	assert_int_equal(res("abc"), RESOLVED);
	assert_string_equal(t.id, ID_OTHER);
}

static void
test_nested_or_missing_name(void **state)
{
	fe_json(b->fe, "GET", "/v1.41/containers/web/json", 200,
	    "{\"Id\":\"" ID_WEB "\",\"Name\":\"/web/x\"}");
	fe_json(b->fe, "GET", "/v1.41/containers/noname/json", 200,
	    "{\"Id\":\"" ID_WEB "\"}");
	fe_json(b->fe, "GET", "/v1.41/containers/noslash/json", 200,
	    "{\"Id\":\"" ID_WEB "\",\"Name\":\"noslash\"}");
	assert_int_equal(res("web"), RESOLVE_OTHER);
	assert_int_equal(res("noname"), RESOLVE_OTHER);
	assert_int_equal(res("noslash"), RESOLVE_OTHER);
}

static void
test_misses(void **state)
{
	fe_json(b->fe, "GET", "/v1.41/containers/gone/json", 404,
	    "{\"message\":\"No such container: gone\"}");
	fe_json(b->fe, "GET", "/v1.41/containers/ab/json", 400,
	    "{\"message\":\"Multiple IDs found with provided prefix: ab\"}");
	fe_json(b->fe, "GET", "/v1.41/containers/abc/json", 500,
	    "{\"message\":\"Multiple IDs found with provided prefix: abc\"}");
	assert_int_equal(res("gone"), RESOLVE_NONE);
	assert_string_equal(err, "");
	assert_int_equal(res("ab"), RESOLVE_AMBIGUOUS);
	assert_int_equal(res("abc"), RESOLVE_AMBIGUOUS);
	assert_empty();
}

static void
test_failures(void **state)
{
	struct engine dead;

	fe_json(b->fe, "GET", "/v1.41/containers/web/json", 500,
	    "{\"message\":\"boom\"}");
	fe_json(b->fe, "GET", "/v1.41/containers/junk/json", 200, "{\"Id\":");
	fe_json(b->fe, "GET", "/v1.41/containers/short/json", 200,
	    "{\"Id\":\"aaaa\",\"Name\":\"/short\"}");
	assert_int_equal(res("web"), RESOLVE_FAILED);
	assert_string_equal(err, "dockerd: boom");
	assert_int_equal(res("junk"), RESOLVE_FAILED);
	assert_string_equal(err, "dockerd: malformed answer (HTTP 200)");
	assert_int_equal(res("short"), RESOLVE_MALFORMED);
	assert_string_equal(err, "dockerd: malformed container ID");
	assert_empty();

	assert_int_equal(engine_init(&dead, "/nonexistent/docker.sock",
	    "1.41"), 0);
	assert_int_equal(resolve(&dead, b->cf, "web", &t, err, sizeof(err)),
	    RESOLVE_FAILED);
	assert_string_equal(err,
	    "cannot reach dockerd at /nonexistent/docker.sock");
}

/* A name that is no name never reaches dockerd. */
static void
test_bad_names(void **state)
{
	assert_int_equal(res("../web"), RESOLVE_FAILED);
	assert_int_equal(res("a/b"), RESOLVE_FAILED);
	assert_int_equal(res(""), RESOLVE_FAILED);
	assert_int_equal(fe_count(b->fe), 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exact_name),
		T(test_name_mismatch),
		T(test_id_prefix_and_full_id),
		T(test_nested_or_missing_name),
		T(test_misses),
		T(test_failures),
		T(test_bad_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
