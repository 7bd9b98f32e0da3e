/*
 * Unit tests for request_decode (common/verbs.c), the broker's strict
 * reading of a REQUEST frame: a known remote verb, a valid name exactly
 * when the verb takes one, and only that verb's options, typed and in
 * range. Nothing else gets through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "names.h"
#include "verbs.h"

#define NOW	((time_t)1700000000)

static struct request	req;
static char		why[256];

/* Decodes a JSON text; the text itself must be valid JSON. */
static int
decode(const char *text)
{
	json_error_t jerr;
	json_t *msg;
	int rc;

	msg = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (msg == NULL)
		fail_msg("test JSON %s: %s", text, jerr.text);
	why[0] = '\0';
	rc = request_decode(msg, NOW, &req, why, sizeof(why));
	json_decref(msg);
	return rc;
}

static void
must_accept(const char *text)
{
	if (decode(text) != 0)
		fail_msg("refused %s: %s", text, why);
}

/* Refused, with a message for the user. */
static void
must_refuse(const char *text)
{
	if (decode(text) != -1)
		fail_msg("accepted %s", text);
	if (why[0] == '\0')
		fail_msg("refused %s without a reason", text);
}

static void
must_refuse_why(const char *text, const char *want)
{
	must_refuse(text);
	if (strstr(why, want) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", text, why, want);
}

/* Decodes {"verb": verb, "name": <len bytes of name>}. */
static int
decode_name(const char *verb, const char *name, size_t len)
{
	json_t *msg;
	int rc;

	msg = json_object();
	assert_non_null(msg);
	assert_int_equal(json_object_set_new(msg, "verb", json_string(verb)),
	    0);
	assert_int_equal(json_object_set_new(msg, "name",
	    json_stringn(name, len)), 0);
	why[0] = '\0';
	rc = request_decode(msg, NOW, &req, why, sizeof(why));
	json_decref(msg);
	return rc;
}

/* Valid requests. */

static void
test_ls(void **state)
{
	must_accept("{\"verb\": \"ls\"}");
	assert_non_null(req.verb);
	assert_int_equal(req.verb->id, VERB_LS);
	assert_string_equal(req.name, "");
	must_accept("{\"verb\": \"ls\", \"opts\": {}}");
	assert_int_equal(req.verb->id, VERB_LS);
}

static void
test_status_with_name(void **state)
{
	must_accept("{\"verb\": \"status\", \"name\": \"web-1\"}");
	assert_int_equal(req.verb->id, VERB_STATUS);
	assert_string_equal(req.name, "web-1");
	must_accept("{\"verb\": \"stats\", \"name\": \"A.b_c-9\"}");
	assert_int_equal(req.verb->id, VERB_STATS);
	assert_string_equal(req.name, "A.b_c-9");
}

static void
test_defaults(void **state)
{
	must_accept("{\"verb\": \"logs\", \"name\": \"web-1\"}");
	assert_int_equal(req.verb->id, VERB_LOGS);
	assert_int_equal(req.tail, -1);
	assert_int_equal(req.time, -1);
	assert_int_equal(req.follow, 0);
	assert_int_equal(req.timestamps, 0);
	assert_int_equal(req.has_since, 0);
	assert_int_equal(req.has_until, 0);
	must_accept("{\"verb\": \"stop\", \"name\": \"web-1\"}");
	assert_int_equal(req.time, -1);
	assert_int_equal(req.tail, -1);
}

static void
test_logs_all_opts(void **state)
{
	must_accept("{\"verb\": \"logs\", \"name\": \"app\", \"opts\": {"
	    "\"follow\": true, \"tail\": 100, \"since\": \"10m\", "
	    "\"until\": \"1700000000.5\", \"timestamps\": true}}");
	assert_int_equal(req.verb->id, VERB_LOGS);
	assert_string_equal(req.name, "app");
	assert_int_equal(req.follow, 1);
	assert_int_equal(req.timestamps, 1);
	assert_int_equal(req.tail, 100);
	assert_int_equal(req.has_since, 1);
	assert_int_equal(req.since.tv_sec, NOW - 600);
	assert_int_equal(req.since.tv_nsec, 0);
	assert_int_equal(req.has_until, 1);
	assert_int_equal(req.until.tv_sec, 1700000000);
	assert_int_equal(req.until.tv_nsec, 500000000);
	assert_int_equal(req.time, -1);

	must_accept("{\"verb\": \"logs\", \"name\": \"app\", \"opts\": {"
	    "\"follow\": false, \"timestamps\": false, \"tail\": -1}}");
	assert_int_equal(req.follow, 0);
	assert_int_equal(req.timestamps, 0);
	assert_int_equal(req.tail, -1);
	must_accept("{\"verb\": \"logs\", \"name\": \"app\", "
	    "\"opts\": {\"tail\": 0}}");
	assert_int_equal(req.tail, 0);
	must_accept("{\"verb\": \"logs\", \"name\": \"app\", "
	    "\"opts\": {\"tail\": 100000000}}");
	assert_int_equal(req.tail, 100000000);
}

static void
test_stop_with_time(void **state)
{
	must_accept("{\"verb\": \"stop\", \"name\": \"db\", "
	    "\"opts\": {\"time\": 10}}");
	assert_int_equal(req.verb->id, VERB_STOP);
	assert_string_equal(req.name, "db");
	assert_int_equal(req.time, 10);
	must_accept("{\"verb\": \"restart\", \"name\": \"db\", "
	    "\"opts\": {\"time\": 0}}");
	assert_int_equal(req.verb->id, VERB_RESTART);
	assert_int_equal(req.time, 0);
	must_accept("{\"verb\": \"stop\", \"name\": \"db\", "
	    "\"opts\": {\"time\": 86400}}");
	assert_int_equal(req.time, 86400);
}

/* The decoder starts from scratch: nothing leaks from a previous call. */
static void
test_no_state_carried(void **state)
{
	must_accept("{\"verb\": \"logs\", \"name\": \"app\", \"opts\": {"
	    "\"follow\": true, \"tail\": 5, \"since\": \"10m\"}}");
	must_accept("{\"verb\": \"ls\"}");
	assert_string_equal(req.name, "");
	assert_int_equal(req.follow, 0);
	assert_int_equal(req.tail, -1);
	assert_int_equal(req.has_since, 0);
}

/* Verbs. */

static void
test_unknown_verbs(void **state)
{
	must_refuse_why("{\"verb\": \"kill\", \"name\": \"x\"}",
	    "unknown verb");
	must_refuse_why("{\"verb\": \"run\", \"name\": \"x\"}",
	    "unknown verb");
	must_refuse_why("{\"verb\": \"\"}", "unknown verb");
	must_refuse_why("{\"verb\": \"LS\"}", "unknown verb");
	must_refuse_why("{\"verb\": \"ls \"}", "unknown verb");
	must_refuse_why("{\"name\": \"x\"}", "unknown verb");
	must_refuse_why("{}", "unknown verb");
	must_refuse_why("{\"verb\": 1}", "unknown verb");
	must_refuse_why("{\"verb\": [\"ls\"]}", "unknown verb");
	must_refuse_why("{\"verb\": null}", "unknown verb");
}

static void
test_local_verbs(void **state)
{
	must_refuse_why("{\"verb\": \"help\"}", "unknown verb");
	must_refuse_why("{\"verb\": \"help\", \"name\": \"ls\"}",
	    "unknown verb");
	must_refuse_why("{\"verb\": \"exit\"}", "unknown verb");
	must_refuse_why("{\"verb\": \"quit\"}", "unknown verb");
}

/*
 * "ls\0junk" is not "ls": request_decode is strict on any json_t, even
 * though proto_json already refuses \u0000.
 */
static void
test_verb_embedded_nul(void **state)
{
	json_t *msg;
	int rc;

	msg = json_object();
	assert_non_null(msg);
	assert_int_equal(json_object_set_new(msg, "verb",
	    json_stringn("ls\0junk", 7)), 0);
	rc = request_decode(msg, NOW, &req, why, sizeof(why));
	json_decref(msg);
	assert_int_equal(rc, -1);
}

/* Nor is the time "10m\0junk" the time "10m". */
static void
test_time_embedded_nul(void **state)
{
	json_t *msg, *opts;
	int rc;

	opts = json_object();
	assert_non_null(opts);
	assert_int_equal(json_object_set_new(opts, "since",
	    json_stringn("10m\0junk", 8)), 0);
	msg = json_pack("{s:s, s:s, s:o}", "verb", "logs", "name", "app",
	    "opts", opts);
	assert_non_null(msg);
	rc = request_decode(msg, NOW, &req, why, sizeof(why));
	json_decref(msg);
	assert_int_equal(rc, -1);
}

static void
test_not_an_object(void **state)
{
	json_t *msg;

	msg = json_pack("[s]", "ls");
	assert_non_null(msg);
	why[0] = '\0';
	assert_int_equal(request_decode(msg, NOW, &req, why, sizeof(why)),
	    -1);
	assert_true(why[0] != '\0');
	json_decref(msg);
}

/* Names. */

static void
test_name_required(void **state)
{
	static const char *const verbs[] = { "status", "start", "stop",
	    "restart", "logs" };
	char text[128];
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		snprintf(text, sizeof(text), "{\"verb\": \"%s\"}", verbs[i]);
		must_refuse_why(text, "needs a container name");
		snprintf(text, sizeof(text),
		    "{\"verb\": \"%s\", \"name\": null}", verbs[i]);
		must_refuse(text);
		snprintf(text, sizeof(text),
		    "{\"verb\": \"%s\", \"name\": 1}", verbs[i]);
		must_refuse(text);
		snprintf(text, sizeof(text),
		    "{\"verb\": \"%s\", \"name\": [\"a\"]}", verbs[i]);
		must_refuse(text);
	}
}

/* {"verb": "stats", "names": ["c0", ...]} with n names, in buf. */
static const char *
names_of(size_t n, char *buf, size_t len)
{
	size_t i, k;

	k = (size_t)snprintf(buf, len, "{\"verb\": \"stats\", \"names\": [");
	for (i = 0; i < n; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s\"c%zu\"",
		    i > 0 ? ", " : "", i);
	snprintf(buf + k, len - k, "]}");
	return buf;
}

/* stats: one "name" (as before), a "names" list, or none: all. */
static void
test_stats_names(void **state)
{
	char text[NAMES_MAX * 8 + 64];

	must_accept("{\"verb\": \"stats\"}");
	assert_int_equal(req.nnames, 0);
	assert_string_equal(req.name, "");
	must_accept("{\"verb\": \"stats\", \"name\": \"web\"}");
	assert_string_equal(req.name, "web");
	must_accept("{\"verb\": \"stats\", \"names\": [\"a\", \"b-1\"], "
	    "\"opts\": {\"stream\": true}}");
	assert_int_equal(req.nnames, 2);
	assert_string_equal(req.names[1], "b-1");
	assert_int_equal(req.stream, 1);
	must_refuse_why("{\"verb\": \"stats\", \"names\": []}", "1 to");
	must_refuse("{\"verb\": \"stats\", \"names\": \"a\"}");
	must_refuse("{\"verb\": \"stats\", \"names\": [\"a\", 1]}");
	must_refuse("{\"verb\": \"stats\", \"names\": [\"../x\"]}");
	must_refuse_why("{\"verb\": \"stats\", \"name\": \"a\", "
	    "\"names\": [\"b\"]}", "together");
	must_refuse_why("{\"verb\": \"stop\", \"names\": [\"a\"]}",
	    "unknown request field");
	must_refuse_why("{\"verb\": \"can\", \"of\": \"stats\", "
	    "\"names\": [\"a\"]}", "unknown request field");
	must_refuse_why("{\"verb\": \"can\", \"of\": \"stats\"}",
	    "needs a container name");
	must_refuse("{\"verb\": \"logs\", \"name\": \"a\", "
	    "\"opts\": {\"stream\": true}}");
	must_refuse("{\"verb\": \"stats\", \"opts\": {\"stream\": 1}}");
	must_accept(names_of(NAMES_MAX, text, sizeof(text)));
	assert_int_equal(req.nnames, NAMES_MAX);
	must_refuse_why(names_of(NAMES_MAX + 1, text, sizeof(text)), "1 to");
}

static void
test_name_refused_for_ls(void **state)
{
	must_refuse_why("{\"verb\": \"ls\", \"name\": \"web-1\"}",
	    "takes no container name");
	must_refuse_why("{\"verb\": \"ls\", \"name\": \"\"}",
	    "takes no container name");
	must_refuse_why("{\"verb\": \"ls\", \"name\": null}",
	    "takes no container name");
}

static void
test_invalid_names(void **state)
{
	static const char *const bad[] = { "../x", "-f", "a/b", "", ".x",
	    "_x", "a b", "a%2f", "x?all=1", "x#y", "a\n", "$x",
	    "\xc3\xa9t\xc3\xa9" };
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(decode_name("status", bad[i],
		    strlen(bad[i])), -1);
		assert_string_equal(why, "invalid container name");
	}
	/* NAME_MAX_LEN (128) bytes is the limit. */
	memset(text, 'a', NAME_MAX_LEN + 1);
	assert_int_equal(decode_name("status", text, NAME_MAX_LEN), 0);
	assert_int_equal(strlen(req.name), NAME_MAX_LEN);
	assert_int_equal(decode_name("status", text, NAME_MAX_LEN + 1), -1);
	assert_string_equal(why, "invalid container name");
}

static void
test_name_embedded_nul(void **state)
{
	/* "web" is valid; what follows the NUL must not be dropped. */
	assert_int_equal(decode_name("stop", "web\0/../x", 9), -1);
	assert_string_equal(why, "invalid container name");
	assert_int_equal(decode_name("stop", "web\0", 4), -1);
	assert_int_equal(decode_name("stop", "web", 3), 0);
	assert_string_equal(req.name, "web");
}

/* Fields and options. */

static void
test_unknown_field(void **state)
{
	must_refuse_why("{\"verb\": \"ls\", \"user\": \"root\"}",
	    "unknown request field");
	must_refuse_why("{\"verb\": \"status\", \"name\": \"x\", "
	    "\"Name\": \"y\"}",
	    "unknown request field");
	must_refuse_why("{\"verb\": \"ls\", \"opts\": {}, \"args\": []}",
	    "unknown request field");
}

static void
test_opts_not_object(void **state)
{
	must_refuse_why("{\"verb\": \"ls\", \"opts\": []}", "not an object");
	must_refuse_why("{\"verb\": \"ls\", \"opts\": null}", "not an object");
	must_refuse_why("{\"verb\": \"logs\", \"name\": \"x\", "
	    "\"opts\": \"-f\"}",
	    "not an object");
}

static void
test_unknown_opt(void **state)
{
	must_refuse_why("{\"verb\": \"logs\", \"name\": \"x\", "
	    "\"opts\": {\"details\": true}}", "takes no option");
	must_refuse_why("{\"verb\": \"logs\", \"name\": \"x\", "
	    "\"opts\": {\"Follow\": true}}", "takes no option");
	/* --json is the shell's: it has no key on the wire. */
	must_refuse_why("{\"verb\": \"ls\", \"opts\": {\"json\": true}}",
	    "takes no option");
	must_refuse_why("{\"verb\": \"status\", \"name\": \"x\", "
	    "\"opts\": {\"json\": true}}", "takes no option");
	must_refuse_why("{\"verb\": \"start\", \"name\": \"x\", "
	    "\"opts\": {\"time\": 1}}", "takes no option \"time\"");
	/* a key that is not a plain word is never echoed into the reason */
	must_refuse_why("{\"verb\": \"logs\", \"name\": \"x\", "
	    "\"opts\": {\"x\\\" result=\\\"allowed\": 1}}",
	    "logs takes no such option");
	must_refuse_why("{\"verb\": \"logs\", \"name\": \"x\", "
	    "\"opts\": {\"a\\nb\": 1}}", "logs takes no such option");
	must_refuse_why("{\"verb\": \"logs\", \"name\": \"x\", "
	    "\"opts\": {\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": 1}}",
	    "logs takes no such option");
}

/* "prompt": whether the client can answer a password prompt. */
static void
test_prompt_field(void **state)
{
	must_accept("{\"verb\": \"ls\"}");
	assert_int_equal(req.prompt, 0);
	must_accept("{\"verb\": \"restart\", \"name\": \"x\", "
	    "\"prompt\": true}");
	assert_int_equal(req.prompt, 1);
	must_accept("{\"prompt\": false, \"verb\": \"ls\"}");
	assert_int_equal(req.prompt, 0);
	must_refuse_why("{\"verb\": \"ls\", \"prompt\": 1}",
	    "unknown request field");
	must_refuse_why("{\"verb\": \"ls\", \"prompt\": \"yes\"}",
	    "unknown request field");
}

static void
test_opt_of_other_verb(void **state)
{
	must_refuse_why("{\"verb\": \"stop\", \"name\": \"x\", "
	    "\"opts\": {\"follow\": true}}", "takes no option");
	must_refuse_why("{\"verb\": \"logs\", \"name\": \"x\", "
	    "\"opts\": {\"time\": 5}}", "takes no option");
	must_refuse_why("{\"verb\": \"restart\", \"name\": \"x\", "
	    "\"opts\": {\"tail\": 5}}", "takes no option");
	must_refuse_why("{\"verb\": \"ls\", \"opts\": {\"since\": \"10m\"}}",
	    "takes no option");
}

static void
test_wrong_types(void **state)
{
	static const char *const bad[] = {
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"tail\":\"10\"}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"tail\":\"all\"}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"tail\":10.0}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"tail\":true}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"follow\":1}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"follow\":\"true\"}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"follow\":null}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"timestamps\":0}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":"
		"{\"since\":1700000000}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"until\":true}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"since\":[\"10m\"]}}",
	    "{\"verb\":\"stop\",\"name\":\"x\",\"opts\":{\"time\":\"10\"}}",
	    "{\"verb\":\"stop\",\"name\":\"x\",\"opts\":{\"time\":1.5}}",
	    "{\"verb\":\"stop\",\"name\":\"x\",\"opts\":{\"time\":false}}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		must_refuse_why(bad[i], "bad value for option");
}

static void
test_out_of_range(void **state)
{
	static const char *const bad[] = {
	    "{\"verb\":\"stop\",\"name\":\"x\",\"opts\":{\"time\":-1}}",
	    "{\"verb\":\"stop\",\"name\":\"x\",\"opts\":{\"time\":86401}}",
	    "{\"verb\":\"restart\",\"name\":\"x\",\"opts\":{\"time\":-1}}",
	    "{\"verb\":\"restart\",\"name\":\"x\",\"opts\":{\"time\":86401}}",
	    "{\"verb\":\"stop\",\"name\":\"x\",\"opts\":"
		"{\"time\":9223372036854775807}}",
	    "{\"verb\":\"stop\",\"name\":\"x\",\"opts\":"
		"{\"time\":-9223372036854775808}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"tail\":-2}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":{\"tail\":100000001}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":"
		"{\"tail\":-9223372036854775808}}",
	    "{\"verb\":\"logs\",\"name\":\"x\",\"opts\":"
		"{\"tail\":9223372036854775807}}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		must_refuse_why(bad[i], "bad value for option");
}

static void
test_bad_times(void **state)
{
	static const char *const bad[] = { "10x", "m", "1h2", "",
	    "yesterday", "2026-13-01", "2026-02-30", "2026-11-28T25:00",
	    "1700000000.1234567891", "10m; rm -rf /", "1700000000&follow=1",
	    "500000h" };
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"verb\": \"logs\", "
		    "\"name\": \"x\", \"opts\": {\"since\": \"%s\"}}", bad[i]);
		must_refuse_why(text, "bad value for option since");
		snprintf(text, sizeof(text), "{\"verb\": \"logs\", "
		    "\"name\": \"x\", \"opts\": {\"until\": \"%s\"}}", bad[i]);
		must_refuse_why(text, "bad value for option until");
	}
}

/* Verbs with a template, a user, or neither. */

static void
test_create(void **state)
{
	must_accept("{\"verb\": \"create\", \"template\": \"dev\"}");
	assert_int_equal(req.verb->id, VERB_CREATE);
	assert_string_equal(req.template, "dev");
	assert_string_equal(req.name, "");
	must_accept("{\"verb\": \"create\", \"template\": \"dev\", "
	    "\"name\": \"box-1\"}");
	assert_string_equal(req.template, "dev");
	assert_string_equal(req.name, "box-1");

	must_refuse_why("{\"verb\": \"create\"}", "invalid template");
	must_refuse_why("{\"verb\": \"create\", \"template\": 1}",
	    "invalid template");
	must_refuse_why("{\"verb\": \"create\", \"template\": \"../x\"}",
	    "invalid template");
	must_refuse_why("{\"verb\": \"create\", \"template\": \"dev\", "
	    "\"name\": \"-x\"}", "invalid container name");
	must_refuse_why("{\"verb\": \"create\", \"template\": \"dev\", "
	    "\"name\": null}", "invalid container name");
	must_refuse_why("{\"verb\": \"create\", \"template\": \"dev\", "
	    "\"user\": \"root\"}", "unknown request field");
	must_refuse_why("{\"verb\": \"create\", \"template\": \"dev\", "
	    "\"opts\": {\"image\": \"alpine\"}}", "takes no option");
	/* Only create takes a template. */
	must_refuse_why("{\"verb\": \"ls\", \"template\": \"dev\"}",
	    "unknown request field");
	must_refuse_why("{\"verb\": \"start\", \"name\": \"x\", "
	    "\"template\": \"dev\"}", "unknown request field");
}

static void
test_create_template_embedded_nul(void **state)
{
	json_t *msg;
	int rc;

	msg = json_object();
	assert_non_null(msg);
	assert_int_equal(json_object_set_new(msg, "verb",
	    json_string("create")), 0);
	assert_int_equal(json_object_set_new(msg, "template",
	    json_stringn("dev\0/../x", 10)), 0);
	rc = request_decode(msg, NOW, &req, why, sizeof(why));
	json_decref(msg);
	assert_int_equal(rc, -1);
	assert_string_equal(why, "invalid template");
}

static void
test_rm(void **state)
{
	must_accept("{\"verb\": \"rm\", \"name\": \"box\"}");
	assert_int_equal(req.verb->id, VERB_RM);
	assert_int_equal(req.force, 0);
	must_accept("{\"verb\": \"rm\", \"name\": \"box\", "
	    "\"opts\": {\"force\": true}}");
	assert_int_equal(req.force, 1);
	assert_int_equal(req.follow, 0);
	assert_int_equal(req.timestamps, 0);
	must_refuse_why("{\"verb\": \"rm\"}", "needs a container name");
	must_refuse_why("{\"verb\": \"rm\", \"name\": \"box\", "
	    "\"opts\": {\"force\": 1}}", "bad value for option force");
	must_refuse_why("{\"verb\": \"rm\", \"name\": \"box\", "
	    "\"opts\": {\"volumes\": true}}", "takes no option");
	must_refuse_why("{\"verb\": \"stop\", \"name\": \"box\", "
	    "\"opts\": {\"force\": true}}", "takes no option");
}

static void
test_forget(void **state)
{
	must_accept("{\"verb\": \"forget\"}");
	assert_int_equal(req.verb->id, VERB_FORGET);
	must_refuse_why("{\"verb\": \"forget\", \"name\": \"x\"}",
	    "takes no container name");
	must_refuse_why("{\"verb\": \"forget\", \"user\": \"bob\"}",
	    "unknown request field");
}

static void
test_provision_user(void **state)
{
	static const char *const bad[] = { "Alice", "1bob", "-bob", "a.b",
	    "a b", "../root", "a/b", "", "a$b" };
	char text[128];
	size_t i;

	must_accept("{\"verb\": \"provision\", \"user\": \"alice\"}");
	assert_int_equal(req.verb->id, VERB_PROVISION);
	assert_string_equal(req.user, "alice");
	must_accept("{\"verb\": \"unprovision\", \"user\": \"_svc-1\"}");
	assert_int_equal(req.verb->id, VERB_UNPROVISION);
	assert_string_equal(req.user, "_svc-1");

	must_refuse_why("{\"verb\": \"provision\"}",
	    "needs a valid user name");
	must_refuse_why("{\"verb\": \"provision\", \"user\": 0}",
	    "needs a valid user name");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
		    "{\"verb\": \"provision\", \"user\": \"%s\"}", bad[i]);
		must_refuse_why(text, "needs a valid user name");
	}
	must_refuse_why("{\"verb\": \"provision\", \"user\": \"alice\", "
	    "\"name\": \"x\"}", "takes no container name");
	/* No other verb names a user: the broker takes it from the kernel. */
	must_refuse_why("{\"verb\": \"ls\", \"user\": \"root\"}",
	    "unknown request field");
	must_refuse_why("{\"verb\": \"logs\", \"name\": \"x\", "
	    "\"user\": \"root\"}", "unknown request field");
}

static void
test_provision_user_embedded_nul(void **state)
{
	json_t *msg;
	int rc;

	msg = json_object();
	assert_non_null(msg);
	assert_int_equal(json_object_set_new(msg, "verb",
	    json_string("provision")), 0);
	assert_int_equal(json_object_set_new(msg, "user",
	    json_stringn("bob\0root", 8)), 0);
	rc = request_decode(msg, NOW, &req, why, sizeof(why));
	json_decref(msg);
	assert_int_equal(rc, -1);
}

/* can: nothing, or "of" a verb on a container or template and its operand. */
static void
test_can(void **state)
{
	must_accept("{\"verb\": \"can\"}");
	assert_int_equal(req.verb->id, VERB_CAN);
	assert_null(req.of);
	must_accept("{\"verb\": \"can\", \"of\": \"restart\", "
	    "\"name\": \"web-1\"}");
	assert_int_equal(req.of->id, VERB_RESTART);
	assert_string_equal(req.name, "web-1");
	must_accept("{\"verb\": \"can\", \"of\": \"create\", "
	    "\"template\": \"dev\"}");
	assert_int_equal(req.of->id, VERB_CREATE);
	assert_string_equal(req.template, "dev");
	must_accept("{\"verb\": \"can\", \"opts\": {}}");
	must_refuse_why("{\"verb\": \"can\", \"name\": \"x\"}",
	    "can takes no container name");
	must_refuse_why("{\"verb\": \"can\", \"of\": \"restart\"}",
	    "restart needs a container name");
	must_refuse("{\"verb\": \"can\", \"of\": \"create\", "
	    "\"name\": \"x\"}");
	must_refuse("{\"verb\": \"can\", \"of\": \"restart\", "
	    "\"template\": \"dev\", \"name\": \"x\"}");
	for (const char **v = (const char *[]){ "ls", "can", "help", "exit",
	    "provision", "forget", "nope", "", NULL }; *v != NULL; v++) {
		char text[128];

		snprintf(text, sizeof(text), "{\"verb\": \"can\", \"of\": "
		    "\"%s\", \"name\": \"x\"}", *v);
		must_refuse_why(text, "can asks only about a verb on a "
		    "container or a template");
		assert_null(req.of);
	}
	must_refuse_why("{\"verb\": \"can\", \"of\": 1}", "can asks only");
	must_refuse_why("{\"verb\": \"status\", \"of\": \"restart\", "
	    "\"name\": \"x\"}", "unknown request field");
}

static void
test_exec(void **state)
{
	static const char head[] = "{\"verb\":\"exec\",\"name\":\"a\","
	    "\"argv\":[\"";
	json_t *msg;
	char *big;
	size_t i, n;

	must_accept("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[\"sh\",\"-c\","
	    "\"a; b | c > d $x `y` &\",\"\"],\"opts\":{\"interactive\":true,"
	    "\"tty\":true,\"rows\":24,\"cols\":80}}");
	assert_int_equal(req.argc, 4);
	assert_string_equal(req.argbuf + req.argoff[0], "sh");
	assert_string_equal(req.argbuf + req.argoff[2],
	    "a; b | c > d $x `y` &");
	assert_string_equal(req.argbuf + req.argoff[3], "");
	assert_true(req.interactive && req.tty);
	assert_int_equal(req.rows, 24);
	assert_int_equal(req.cols, 80);
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\"}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[]}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[\"\"]}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":\"sh\"}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[1]}");
	must_refuse("{\"verb\":\"exec\",\"argv\":[\"sh\"]}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[\"a\\nb\"]}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[\"a\\u001bb\"]}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[\"a\\u007f\"]}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[\"sh\"],"
	    "\"opts\":{\"rows\":65536}}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[\"sh\"],"
	    "\"opts\":{\"user\":\"root\"}}");
	must_refuse("{\"verb\":\"exec\",\"name\":\"app\",\"argv\":[\"sh\"],"
	    "\"opts\":{\"privileged\":true}}");
	must_refuse("{\"verb\":\"status\",\"name\":\"app\",\"argv\":[\"sh\"]}");
	must_refuse("{\"verb\":\"status\",\"name\":\"app\","
	    "\"opts\":{\"rows\":1}}");
	/* 16384 bytes with their NULs: one word of 16383 fits, 16384 not */
	big = malloc(20000 + 64);
	assert_non_null(big);
	for (i = 16383; i <= 16384; i++) {
		n = strlen(head);
		memcpy(big, head, n);
		memset(big + n, 'x', i);
		memcpy(big + n + i, "\"]}", 4);
		if (i == 16383)
			must_accept(big);
		else
			must_refuse(big);
	}
	free(big);
	/* a NUL inside a word, as jansson can hold it */
	msg = json_pack("{s:s, s:s, s:[s%]}", "verb", "exec", "name", "app",
	    "argv", "a\0b", (size_t)3);
	assert_non_null(msg);
	assert_int_equal(request_decode(msg, NOW, &req, why, sizeof(why)), -1);
	json_decref(msg);
}

/* key: value beside "name" of each verb on a container; got its field. */
static void
accept_beside_name(const char *key, const char *value, const char *got)
{
	static const char *const named[] = { "status", "inspect", "start",
	    "stop", "restart", "logs", "stats", "rm" };
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		snprintf(text, sizeof(text), "{\"verb\": \"%s\", \"%s\": "
		    "\"%s\", \"name\": \"web\"}", named[i], key, value);
		must_accept(text);
		assert_string_equal(got, value);
		assert_string_equal(req.name, "web");
	}
}

/* "engine": beside "name" of a verb on a container, and nowhere else. */
static void
test_engine(void **state)
{
	accept_beside_name("engine", "build02", req.engine);
	must_accept("{\"verb\": \"exec\", \"engine\": \"b.2_x-1\", "
	    "\"name\": \"web\", \"argv\": [\"sh\"]}");
	assert_string_equal(req.engine, "b.2_x-1");
	must_accept("{\"verb\": \"can\", \"of\": \"restart\", "
	    "\"engine\": \"local\", \"name\": \"web\"}");
	assert_string_equal(req.engine, "local");
	must_accept("{\"verb\": \"status\", \"name\": \"web\"}");
	assert_string_equal(req.engine, "");

	must_refuse_why("{\"verb\": \"create\", \"template\": \"dev\", "
	    "\"name\": \"box\", \"engine\": \"local\"}",
	    "create takes no engine (its template names one)");
	must_refuse_why("{\"verb\": \"create\", \"template\": \"dev\", "
	    "\"engine\": \"local\"}", "create takes no engine");
	must_refuse_why("{\"verb\": \"can\", \"of\": \"create\", "
	    "\"template\": \"dev\", \"engine\": \"local\"}",
	    "create takes no engine");
	must_refuse_why("{\"verb\": \"ls\", \"engine\": \"local\"}",
	    "ls takes no engine");
	must_refuse_why("{\"verb\": \"forget\", \"engine\": \"local\"}",
	    "forget takes no engine");
	must_refuse_why("{\"verb\": \"can\", \"engine\": \"local\"}",
	    "can takes no engine");
	must_refuse_why("{\"verb\": \"provision\", \"user\": \"alice\", "
	    "\"engine\": \"local\"}", "provision takes no engine");
	must_refuse_why("{\"verb\": \"stats\", \"engine\": \"local\"}",
	    "\"engine\" comes only with \"name\"");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [\"a\"], "
	    "\"engine\": \"local\"}", "\"engine\" comes only with \"name\"");
}

/* An engine name has a name's form, in at most ENGINE_MAX_LEN bytes. */
static void
test_engine_invalid(void **state)
{
	static const char *const bad[] = { "\"\"", "\"-x\"", "\"a/b\"",
	    "\"../x\"", "\"a b\"", "\"a\\n\"", "null", "1", "[\"a\"]",
	    "{}" };
	char text[256], e[ENGINE_MAX_LEN + 2];
	size_t i;
	json_t *msg;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"verb\": \"status\", "
		    "\"name\": \"web\", \"engine\": %s}", bad[i]);
		must_refuse_why(text, "invalid engine name");
	}
	memset(e, 'e', ENGINE_MAX_LEN);
	e[ENGINE_MAX_LEN] = '\0';
	snprintf(text, sizeof(text), "{\"verb\": \"status\", \"name\": "
	    "\"web\", \"engine\": \"%s\"}", e);
	must_accept(text);
	assert_string_equal(req.engine, e);
	e[ENGINE_MAX_LEN] = 'e';
	e[ENGINE_MAX_LEN + 1] = '\0';
	snprintf(text, sizeof(text), "{\"verb\": \"status\", \"name\": "
	    "\"web\", \"engine\": \"%s\"}", e);
	must_refuse_why(text, "invalid engine name");
	msg = json_pack("{s:s, s:s, s:s%}", "verb", "stop", "name", "web",
	    "engine", "local\0x", (size_t)7);
	assert_non_null(msg);
	assert_int_equal(request_decode(msg, NOW, &req, why, sizeof(why)), -1);
	assert_string_equal(why, "invalid engine name");
	json_decref(msg);
}

/* stats' "names": a name, or an object of exactly "engine" and "name". */
static void
test_names_with_engine(void **state)
{
	must_accept("{\"verb\": \"stats\", \"names\": [\"a\", "
	    "{\"engine\": \"build02\", \"name\": \"b\"}, "
	    "{\"name\": \"a\", \"engine\": \"local\"}]}");
	assert_int_equal(req.nnames, 3);
	assert_string_equal(req.names[0], "a");
	assert_string_equal(req.names_engine[0], "");
	assert_string_equal(req.names[1], "b");
	assert_string_equal(req.names_engine[1], "build02");
	assert_string_equal(req.names[2], "a");
	assert_string_equal(req.names_engine[2], "local");
	assert_string_equal(req.engine, "");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [{\"name\": "
	    "\"a\"}]}", "an entry of \"names\" is a name or");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [{\"engine\": "
	    "\"local\"}]}", "an entry of \"names\" is a name or");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [{}]}",
	    "an entry of \"names\" is a name or");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [{\"engine\": "
	    "\"local\", \"name\": \"a\", \"id\": \"x\"}]}",
	    "an entry of \"names\" is a name or");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [{\"engine\": "
	    "\"local\", \"nom\": \"a\"}]}", "an entry of \"names\" is");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [{\"engine\": "
	    "\"lo/cal\", \"name\": \"a\"}]}", "invalid engine name");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [{\"engine\": "
	    "\"local\", \"name\": \"../a\"}]}", "invalid container name");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [{\"engine\": "
	    "null, \"name\": \"a\"}]}", "invalid engine name");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [[\"local\", "
	    "\"a\"]]}", "invalid container name");
	/* nothing carried from one request to the next */
	must_accept("{\"verb\": \"stats\", \"names\": [\"a\", \"b\"]}");
	assert_string_equal(req.names_engine[1], "");
}

/* scale: a name and opts "replicas", 0..REPLICAS_MAX, required. */
static void
test_scale(void **state)
{
	must_accept("{\"verb\": \"scale\", \"name\": \"web\", "
	    "\"opts\": {\"replicas\": 3}}");
	assert_int_equal(req.verb->id, VERB_SCALE);
	assert_string_equal(req.name, "web");
	assert_int_equal(req.replicas, 3);
	must_accept("{\"verb\": \"scale\", \"name\": \"web\", "
	    "\"opts\": {\"replicas\": 0}}");
	assert_int_equal(req.replicas, 0);
	must_accept("{\"verb\": \"scale\", \"name\": \"web\", "
	    "\"engine\": \"build02\", \"kind\": \"service\", "
	    "\"opts\": {\"replicas\": 100000}}");
	assert_int_equal(req.replicas, 100000);
	assert_string_equal(req.engine, "build02");
	must_refuse("{\"verb\": \"scale\", \"name\": \"web\", "
	    "\"opts\": {\"replicas\": 100001}}");
	must_refuse("{\"verb\": \"scale\", \"name\": \"web\", "
	    "\"opts\": {\"replicas\": -1}}");
	must_refuse("{\"verb\": \"scale\", \"name\": \"web\", "
	    "\"opts\": {\"replicas\": \"3\"}}");
	must_refuse("{\"verb\": \"scale\", \"name\": \"web\", "
	    "\"opts\": {\"replicas\": 2.0}}");
	must_refuse_why("{\"verb\": \"scale\", \"name\": \"web\"}",
	    "scale needs \"replicas\" in \"opts\"");
	must_refuse_why("{\"verb\": \"scale\", \"name\": \"web\", "
	    "\"opts\": {}}", "scale needs \"replicas\"");
	must_refuse_why("{\"verb\": \"scale\", \"opts\": "
	    "{\"replicas\": 1}}", "scale needs a container name");
	must_refuse_why("{\"verb\": \"scale\", \"name\": \"web\", "
	    "\"opts\": {\"replicas\": 1, \"time\": 1}}",
	    "takes no option \"time\"");
	/* replicas is scale's alone */
	must_refuse_why("{\"verb\": \"start\", \"name\": \"web\", "
	    "\"opts\": {\"replicas\": 1}}", "takes no option \"replicas\"");
	must_refuse_why("{\"verb\": \"restart\", \"name\": \"web\", "
	    "\"opts\": {\"replicas\": 1}}", "takes no option");
	/* other verbs leave it absent */
	must_accept("{\"verb\": \"stop\", \"name\": \"web\"}");
	assert_int_equal(req.replicas, -1);
	/* can asks about scale without a count */
	must_accept("{\"verb\": \"can\", \"of\": \"scale\", "
	    "\"name\": \"web\"}");
	assert_int_equal(req.of->id, VERB_SCALE);
	assert_string_equal(req.name, "web");
	must_refuse_why("{\"verb\": \"can\", \"of\": \"scale\"}",
	    "scale needs a container name");
}

/* restart's "detach": a flag, restart's alone. */
static void
test_restart_detach(void **state)
{
	must_accept("{\"verb\": \"restart\", \"name\": \"web\", "
	    "\"opts\": {\"detach\": true, \"time\": 3}}");
	assert_int_equal(req.detach, 1);
	assert_int_equal(req.time, 3);
	must_accept("{\"verb\": \"restart\", \"name\": \"web\", "
	    "\"opts\": {\"detach\": false}}");
	assert_int_equal(req.detach, 0);
	assert_int_equal(req.timestamps, 0);
	must_accept("{\"verb\": \"restart\", \"name\": \"web\"}");
	assert_int_equal(req.detach, 0);
	must_refuse("{\"verb\": \"restart\", \"name\": \"web\", "
	    "\"opts\": {\"detach\": 1}}");
	must_refuse_why("{\"verb\": \"stop\", \"name\": \"web\", "
	    "\"opts\": {\"detach\": true}}", "takes no option \"detach\"");
	must_refuse_why("{\"verb\": \"start\", \"name\": \"web\", "
	    "\"opts\": {\"detach\": true}}", "takes no option");
}

/* Every flag lands in its own field, and no other. */
static void
test_flags_own_fields(void **state)
{
	must_accept("{\"verb\": \"logs\", \"name\": \"a\", "
	    "\"opts\": {\"timestamps\": true}}");
	assert_int_equal(req.timestamps, 1);
	assert_int_equal(req.follow, 0);
	must_accept("{\"verb\": \"rm\", \"name\": \"a\", "
	    "\"opts\": {\"force\": true}}");
	assert_int_equal(req.force, 1);
	assert_int_equal(req.timestamps, 0);
	must_accept("{\"verb\": \"stats\", \"opts\": {\"stream\": true}}");
	assert_int_equal(req.stream, 1);
	assert_int_equal(req.timestamps, 0);
}

/* "kind": "service" or "container", where "engine" may be. */
static void
test_kind(void **state)
{
	static const char *const bad[] = { "\"\"", "\"Service\"",
	    "\"services\"", "\"task\"", "\"service \"", "null", "1",
	    "true", "[\"service\"]", "{}" };
	char text[256];
	json_t *msg;
	size_t i;

	accept_beside_name("kind", "service", req.kind);
	accept_beside_name("kind", "container", req.kind);
	must_accept("{\"verb\": \"status\", \"kind\": \"container\", "
	    "\"engine\": \"build02\", \"name\": \"web\"}");
	assert_string_equal(req.kind, "container");
	assert_string_equal(req.engine, "build02");
	must_accept("{\"verb\": \"exec\", \"kind\": \"container\", "
	    "\"name\": \"web\", \"argv\": [\"sh\"]}");
	assert_string_equal(req.kind, "container");
	must_accept("{\"verb\": \"can\", \"of\": \"scale\", "
	    "\"kind\": \"service\", \"name\": \"web\"}");
	assert_string_equal(req.kind, "service");
	must_accept("{\"verb\": \"status\", \"name\": \"web\"}");
	assert_string_equal(req.kind, "");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"verb\": \"status\", "
		    "\"name\": \"web\", \"kind\": %s}", bad[i]);
		must_refuse_why(text, "invalid kind");
		assert_string_equal(req.kind, "");
	}
	must_refuse_why("{\"verb\": \"ls\", \"kind\": \"service\"}",
	    "ls takes no kind");
	must_refuse_why("{\"verb\": \"can\", \"kind\": \"service\"}",
	    "can takes no kind");
	must_refuse_why("{\"verb\": \"forget\", \"kind\": \"service\"}",
	    "forget takes no kind");
	must_refuse_why("{\"verb\": \"create\", \"template\": \"dev\", "
	    "\"name\": \"box\", \"kind\": \"container\"}",
	    "create takes no kind");
	must_refuse_why("{\"verb\": \"can\", \"of\": \"create\", "
	    "\"template\": \"dev\", \"kind\": \"service\"}",
	    "create takes no kind");
	must_refuse_why("{\"verb\": \"provision\", \"user\": \"alice\", "
	    "\"kind\": \"service\"}", "provision takes no kind");
	must_refuse_why("{\"verb\": \"stats\", \"kind\": \"service\"}",
	    "stats takes no kind without \"name\"");
	must_refuse_why("{\"verb\": \"stats\", \"names\": [\"a\"], "
	    "\"kind\": \"service\"}", "takes no kind without");
	/* in an entry of "names", as any other key */
	must_refuse("{\"verb\": \"stats\", \"names\": [{\"engine\": "
	    "\"local\", \"name\": \"a\", \"kind\": \"service\"}]}");
	/* "kind" in "opts" is not a request field */
	must_refuse_why("{\"verb\": \"status\", \"name\": \"web\", "
	    "\"opts\": {\"kind\": \"service\"}}", "takes no option");
	msg = json_pack("{s:s, s:s, s:s%}", "verb", "stop", "name", "web",
	    "kind", "service\0x", (size_t)9);
	assert_non_null(msg);
	assert_int_equal(request_decode(msg, NOW, &req, why, sizeof(why)), -1);
	assert_string_equal(req.kind, "");
	json_decref(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ls),
		cmocka_unit_test(test_status_with_name),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_logs_all_opts),
		cmocka_unit_test(test_stop_with_time),
		cmocka_unit_test(test_no_state_carried),
		cmocka_unit_test(test_unknown_verbs),
		cmocka_unit_test(test_local_verbs),
		cmocka_unit_test(test_verb_embedded_nul),
		cmocka_unit_test(test_time_embedded_nul),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_name_required),
		cmocka_unit_test(test_stats_names),
		cmocka_unit_test(test_name_refused_for_ls),
		cmocka_unit_test(test_invalid_names),
		cmocka_unit_test(test_name_embedded_nul),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_opts_not_object),
		cmocka_unit_test(test_unknown_opt),
		cmocka_unit_test(test_prompt_field),
		cmocka_unit_test(test_opt_of_other_verb),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_bad_times),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_create_template_embedded_nul),
		cmocka_unit_test(test_rm),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_provision_user),
		cmocka_unit_test(test_provision_user_embedded_nul),
		cmocka_unit_test(test_can),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_engine),
		cmocka_unit_test(test_engine_invalid),
		cmocka_unit_test(test_names_with_engine),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_restart_detach),
		cmocka_unit_test(test_flags_own_fields),
		cmocka_unit_test(test_kind),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
