/* Unit tests for shell/args.c: command words to a request. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "args.h"
#include "lex.h"
#include "names.h"
#include "verbs.h"

#define TARGET	(ENGINE_MAX_LEN + 1 + NAME_MAX_LEN)	/* ENGINE/NAME */

static struct cmd c;
static char err[256];

/* Splits line and parses it; the words stay valid until the next call. */
static int
parse(const char *line)
{
	static struct words w;

	if (lex_line(line, strlen(line), &w, err, sizeof(err)) == -1)
		fail_msg("lex_line(\"%s\"): %s", line, err);
	memset(err, 0, sizeof(err));
	return args_parse(w.argc, w.argv, &c, err, sizeof(err));
}

static void
assert_refused(const char *line, const char *msg)
{
	if (parse(line) != -1)
		fail_msg("\"%s\" was accepted", line);
	assert_null(c.verb);
	assert_null(c.opts);
	if (strstr(err, msg) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", line, err, msg);
}

/* Refused, and counted as what: a mistake or something hostile. */
static void
assert_refused_as(const char *line, enum refusal why)
{
	if (parse(line) != -1)
		fail_msg("\"%s\" was accepted", line);
	if (c.refused != why)
		fail_msg("\"%s\" (%s) refused as %d, not %d", line, err,
		    c.refused, why);
}

/* The request JSON, compact with sorted keys, for comparison. */
static void
assert_request(const char *line, const char *expect)
{
	json_t *req;
	char *s;

	if (parse(line) == -1)
		fail_msg("\"%s\" was refused: %s", line, err);
	req = args_request(&c);
	assert_non_null(req);
	s = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(s);
	if (strcmp(s, expect) != 0)
		fail_msg("\"%s\": got %s, want %s", line, s, expect);
	free(s);
	json_decref(req);
	args_free(&c);
}

static void
test_verbs(void **state)
{
	assert_refused("foo", "unknown command 'foo' (try 'help')");
	assert_refused("LS", "unknown command 'LS'");
	assert_refused("'ls '", "unknown command 'ls '");
	assert_refused("sh -c x", "unknown command 'sh'");
	assert_refused("rm -rf x", "unknown option '-r' for rm");
	assert_refused("provision", "unknown command 'provision'");
	assert_refused("unprovision", "unknown command 'unprovision'");
	assert_int_equal(parse("ls"), 0);
	assert_int_equal(c.verb->id, VERB_LS);
	assert_null(c.word);
	assert_int_equal(c.json, 0);
	args_free(&c);
	assert_int_equal(args_parse(0, NULL, &c, err, sizeof(err)), -1);
}

static void
test_names(void **state)
{
	static char line[256];
	char name[NAME_MAX_LEN + 2];

	assert_request("status web-1", "{\"name\":\"web-1\",\"verb\":\"status\"}");
	assert_request("start a.b_c-1", "{\"name\":\"a.b_c-1\",\"verb\":\"start\"}");
	assert_refused("status", "status needs a container name");
	assert_refused("logs", "logs needs a container name");
	assert_refused("logs a b", "logs takes one container name");
	assert_refused("status 'a;b'", "invalid container name 'a;b'");
	assert_refused("status .hidden", "invalid container name");
	assert_refused("status _x", "invalid container name");
	assert_refused("status a/b/c", "invalid container name 'a/b/c'");
	assert_refused("status ../etc", "invalid container name");
	assert_refused("status a%2f", "invalid container name");
	assert_refused("status \"a b\"", "invalid container name");
	assert_refused("status ''", "invalid container name");
	assert_refused("status '$(id)'", "invalid container name");

	memset(name, 'a', NAME_MAX_LEN);
	name[NAME_MAX_LEN] = '\0';
	snprintf(line, sizeof(line), "stop %s", name);
	assert_int_equal(parse(line), 0);
	assert_string_equal(c.word, name);
	args_free(&c);
	name[NAME_MAX_LEN] = 'a';
	name[NAME_MAX_LEN + 1] = '\0';
	snprintf(line, sizeof(line), "stop %s", name);
	assert_refused(line, "invalid container name");
}

static void
test_dash_is_never_a_name(void **state)
{
	assert_refused("status -x", "unknown option '-x' for status");
	assert_refused("status -web", "unknown option '-w'");
	assert_refused("status --web", "unknown option '--web' for status");
	assert_refused("status -", "unknown option '-'");
	assert_refused("logs -1", "unknown option '-1'");
	assert_refused("status -- -x", "invalid container name '-x'");
	assert_request("status -- web", "{\"name\":\"web\",\"verb\":\"status\"}");
}

static void
test_no_operands(void **state)
{
	assert_refused("ls web", "ls takes no arguments");
	assert_refused("exit now", "exit takes no arguments");
	assert_refused("quit 1", "quit takes no arguments");
	assert_request("ls", "{\"verb\":\"ls\"}");
}

static void
test_json_flag(void **state)
{
	assert_int_equal(parse("ls --json"), 0);
	assert_int_equal(c.json, 1);
	assert_int_equal(json_object_size(c.opts), 0);
	args_free(&c);
	assert_request("ls --json", "{\"verb\":\"ls\"}");
	assert_request("status --json web",
	    "{\"name\":\"web\",\"verb\":\"status\"}");
	assert_refused("logs --json web", "unknown option '--json' for logs");
	assert_refused("ls --json=1", "--json takes no value");
	assert_refused("ls -j", "unknown option '-j'");
}

/* -q is the shell's alone: it sends nothing the broker would refuse. */
static void
test_quiet_flag(void **state)
{
	assert_int_equal(parse("ls -q"), 0);
	assert_int_equal(c.quiet, 1);
	assert_int_equal(c.json, 0);
	assert_int_equal(json_object_size(c.opts), 0);
	args_free(&c);
	assert_request("ls --quiet", "{\"verb\":\"ls\"}");
	assert_refused("status -q web", "unknown option '-q' for status");
	assert_refused("ls -q=1", "unknown option '-='");
	assert_refused("ls --quiet=1", "--quiet takes no value");
}

static void
test_logs_options(void **state)
{
	assert_request("logs -f web",
	    "{\"name\":\"web\",\"opts\":{\"follow\":true},\"verb\":\"logs\"}");
	assert_request("logs --follow web",
	    "{\"name\":\"web\",\"opts\":{\"follow\":true},\"verb\":\"logs\"}");
	assert_request("logs web -f",
	    "{\"name\":\"web\",\"opts\":{\"follow\":true},\"verb\":\"logs\"}");
	assert_request("logs -n 100 web",
	    "{\"name\":\"web\",\"opts\":{\"tail\":100},\"verb\":\"logs\"}");
	assert_request("logs -n100 web",
	    "{\"name\":\"web\",\"opts\":{\"tail\":100},\"verb\":\"logs\"}");
	assert_request("logs --tail 0 web",
	    "{\"name\":\"web\",\"opts\":{\"tail\":0},\"verb\":\"logs\"}");
	assert_request("logs --tail=all web",
	    "{\"name\":\"web\",\"opts\":{\"tail\":-1},\"verb\":\"logs\"}");
	assert_request("logs --tail=100000000 web",
	    "{\"name\":\"web\",\"opts\":{\"tail\":100000000},\"verb\":\"logs\"}");
	assert_request("logs -ft web", "{\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"timestamps\":true},\"verb\":\"logs\"}");
	assert_request("logs -fn 5 web", "{\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"tail\":5},\"verb\":\"logs\"}");
	assert_request("logs -fn5 web", "{\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"tail\":5},\"verb\":\"logs\"}");
	assert_request("logs --since 10m --until=2026-01-02T15:04:05Z web",
	    "{\"name\":\"web\",\"opts\":{\"since\":\"10m\","
	    "\"until\":\"2026-01-02T15:04:05Z\"},\"verb\":\"logs\"}");
	assert_request("logs --since=1700000000.5 web", "{\"name\":\"web\","
	    "\"opts\":{\"since\":\"1700000000.5\"},\"verb\":\"logs\"}");
	assert_request("logs -n 1 -n 2 web",
	    "{\"name\":\"web\",\"opts\":{\"tail\":2},\"verb\":\"logs\"}");
}

static void
test_bad_values(void **state)
{
	assert_refused("logs --tail abc web", "--tail: 'abc' is not a number");
	assert_refused("logs --tail -1 web", "--tail: '-1' is not a number");
	assert_refused("logs --tail 100000001 web", "is not a number");
	assert_refused("logs --tail ' 1' web", "is not a number");
	assert_refused("logs --tail +1 web", "is not a number");
	assert_refused("logs --tail 0x10 web", "is not a number");
	assert_refused("logs --tail= web", "is not a number");
	assert_refused("logs -n web", "--tail: 'web' is not a number");
	assert_refused("logs web -n", "option --tail needs a value (N)");
	assert_refused("logs web --since", "option --since needs a value");
	assert_refused("logs --since yesterday web", "--since: 'yesterday' is "
	    "not a time");
	assert_refused("logs --until 2026-02-30 web", "is not a time");
	assert_refused("logs --until 2026-13-01 web", "is not a time");
	assert_refused("logs --since 10x web", "is not a time");
	assert_refused("logs --follow=yes web", "--follow takes no value");
	assert_refused("logs -fx web", "unknown option '-x'");
	assert_refused("logs --bogus web", "unknown option '--bogus' for logs");
	assert_refused("logs --=1 web", "unknown option '--'");
	assert_refused("logs --aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa web",
	    "unknown option");
}

static void
test_stop_time(void **state)
{
	assert_request("stop -t 30 web",
	    "{\"name\":\"web\",\"opts\":{\"time\":30},\"verb\":\"stop\"}");
	assert_request("restart --time=86400 web",
	    "{\"name\":\"web\",\"opts\":{\"time\":86400},\"verb\":\"restart\"}");
	assert_refused("stop -t 86401 web", "from 0 to 86400");
	assert_refused("stop -t all web", "is not a number");
	assert_refused("stop -f web", "unknown option '-f' for stop");
	assert_refused("start -t 1 web", "unknown option '-t' for start");
	assert_refused("stats -n 1 web", "unknown option '-n' for stats");
}

static void
test_create_rm_forget(void **state)
{
	assert_request("create web", "{\"template\":\"web\",\"verb\":\"create\"}");
	assert_request("create web alice-web", "{\"name\":\"alice-web\","
	    "\"template\":\"web\",\"verb\":\"create\"}");
	assert_refused("create", "create needs a template name");
	assert_refused("create a b c", "create takes a template and at most "
	    "one name");
	assert_refused("create 'a;b'", "invalid template name 'a;b'");
	assert_refused("create web 'x y'", "invalid container name 'x y'");
	assert_refused("create -x web", "unknown option '-x' for create");
	assert_request("rm web", "{\"name\":\"web\",\"verb\":\"rm\"}");
	assert_request("rm -f web",
	    "{\"name\":\"web\",\"opts\":{\"force\":true},\"verb\":\"rm\"}");
	assert_request("rm web --force",
	    "{\"name\":\"web\",\"opts\":{\"force\":true},\"verb\":\"rm\"}");
	assert_refused("rm", "rm needs a container name");
	assert_refused("rm -f", "rm needs a container name");
	assert_request("forget", "{\"verb\":\"forget\"}");
	assert_refused("forget now", "forget takes no arguments");
}

static void
test_help(void **state)
{
	assert_int_equal(parse("help"), 0);
	assert_int_equal(c.verb->id, VERB_HELP);
	assert_null(c.word);
	args_free(&c);
	assert_int_equal(parse("help logs"), 0);
	assert_string_equal(c.word, "logs");
	args_free(&c);
	assert_int_equal(parse("help exit"), 0);
	args_free(&c);
	assert_refused("help foo", "unknown command 'foo'");
	assert_refused("help provision", "unknown command 'provision'");
	assert_refused("help logs stop", "help takes at most one command");
	assert_refused("help -f", "unknown option '-f' for help");
}

/*
 * A word with shell syntax in it, or longer than any name, makes a
 * refusal hostile; anything else refused is a mistake.
 */
static void
test_refusal_kinds(void **state)
{
	char line[NAME_MAX_LEN + 16];

	assert_refused_as("bogus", REFUSAL_USAGE);
	assert_refused_as("/bin/sh", REFUSAL_USAGE);
	assert_refused_as("'ls '", REFUSAL_USAGE);
	assert_refused_as("status", REFUSAL_USAGE);
	assert_refused_as("logs a b", REFUSAL_USAGE);
	assert_refused_as("status -x web", REFUSAL_USAGE);
	assert_refused_as("status 'my app'", REFUSAL_USAGE);
	assert_refused_as("status ../x", REFUSAL_USAGE);
	assert_refused_as("stop -t 99999999999999999999 web", REFUSAL_USAGE);
	assert_refused_as("logs --since yesterday web", REFUSAL_USAGE);
	assert_refused_as("\"\" status", REFUSAL_USAGE);
	assert_refused_as("'sh;id'", REFUSAL_HOSTILE);
	assert_refused_as("status 'a;b'", REFUSAL_HOSTILE);
	assert_refused_as("status \"$(id)\"", REFUSAL_HOSTILE);
	assert_refused_as("logs -n '1; id' web", REFUSAL_HOSTILE);
	assert_refused_as("logs --since='`id`' web", REFUSAL_HOSTILE);
	assert_refused_as("status a b '|'", REFUSAL_HOSTILE);
	snprintf(line, sizeof(line), "status %0*d", NAME_MAX_LEN + 1, 0);
	assert_refused_as(line, REFUSAL_HOSTILE);
	line[strlen(line) - 1] = '\0';
	assert_int_equal(parse(line), 0);	/* a whole name is no attack */
	assert_int_equal(c.refused, REFUSAL_NONE);
	args_free(&c);
	assert_int_equal(args_parse(0, NULL, &c, err, sizeof(err)), -1);
	assert_int_equal(c.refused, REFUSAL_USAGE);
}

/* What the shell sends, the broker's own decoder must accept. */
static void
test_broker_accepts(void **state)
{
	static const char *const lines[] = {
		"ls", "ls --json", "ls -q", "status web", "start web", "stop web",
		"stop -t 0 web", "restart --time 86400 web", "stats web",
		"stats --no-stream web", "stats", "stats --json web web",
		"logs web", "logs -ft -n all web", "logs --tail 7 web",
		"logs --since 1h30m --until 2026-11-28T15:04:05+01:00 web",
		"logs --since 1700000000 -t web", "rm web", "rm -f web",
		"create tmpl", "create tmpl web", "forget",
		"status b2/web", "stop -t 1 b2/web", "logs -f b2/web",
		"stats b2/web", "stats b2/web web", "rm b2/web",
		"inspect b2/web", "scale web 3", "scale b2/web 0",
		"restart -d web", "status service:web", "stop b2/container:web",
		"stats container:web", "can scale b2/service:web", NULL
	};
	struct request r;
	char why[128];
	json_t *req;
	size_t i;

	for (i = 0; lines[i] != NULL; i++) {
		if (parse(lines[i]) == -1)
			fail_msg("\"%s\" refused: %s", lines[i], err);
		req = args_request(&c);
		assert_non_null(req);
		if (request_decode(req, time(NULL), &r, why, sizeof(why)) != 0)
			fail_msg("\"%s\": broker refuses: %s", lines[i], why);
		assert_ptr_equal(r.verb, c.verb);
		if (c.verb->flags & VF_NAMES) {
			assert_int_equal(r.nnames, (size_t)c.nnames);
			assert_string_equal(r.name, "");
			if (c.nnames > 0)
				assert_string_equal(r.names[0], "web");
			if (c.nnames > 0)
				assert_string_equal(r.names_engine[0],
				    strchr(lines[i], '/') != NULL ? "b2" : "");
		} else if (c.verb->flags & VF_NAME || c.word != NULL)
			assert_string_equal(r.name, "web");
		if (!(c.verb->flags & VF_NAMES))
			assert_string_equal(r.engine,
			    strchr(lines[i], '/') != NULL ? "b2" : "");
		if (c.verb->flags & VF_TEMPLATE)
			assert_string_equal(r.template, "tmpl");
		assert_string_equal(r.kind, strstr(lines[i], "service:") !=
		    NULL ? "service" : strstr(lines[i], "container:") != NULL &&
		    !(c.verb->flags & VF_NAMES) ? "container" : "");
		json_decref(req);
		args_free(&c);
	}
	assert_int_equal(parse("logs -ft -n all web"), 0);
	req = args_request(&c);
	assert_int_equal(request_decode(req, time(NULL), &r, why, sizeof(why)),
	    0);
	assert_int_equal(r.follow, 1);
	assert_int_equal(r.timestamps, 1);
	assert_int_equal(r.tail, -1);
	json_decref(req);
	args_free(&c);
}

/* start, stop, restart, status, rm: a request per name, each checked. */
static void
test_several_names(void **state)
{
	static const char *const multi[] = { "start", "stop", "restart",
	    "status", "rm" };
	char line[64];
	size_t i;

	for (i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
		snprintf(line, sizeof(line), "%s a b c", multi[i]);
		assert_int_equal(parse(line), 0);
		assert_int_equal(c.nnames, 3);
		assert_string_equal(c.names[0], "a");
		assert_string_equal(c.names[2], "c");
		assert_string_equal(c.word, "a");
		args_free(&c);
		snprintf(line, sizeof(line), "%s a 'b;c'", multi[i]);
		assert_refused(line, "invalid container name 'b;c'");
	}
	assert_int_equal(parse("stop -t 3 a b"), 0);
	assert_int_equal(c.nnames, 2);
	args_free(&c);
	assert_refused("logs a b", "logs takes one container name");
	assert_refused("can stop a b", "stop takes one container name");
	assert_refused("rm -f", "rm needs a container name");
}

static void
test_usage(void **state)
{
	char buf[256];

	args_usage(verb_find("logs"), buf, sizeof(buf));
	assert_string_equal(buf,
	    "logs [-f] [-n N] [--since T] [--until T] [-t] [--raw] NAME");
	args_usage(verb_find("stop"), buf, sizeof(buf));
	assert_string_equal(buf, "stop [-t SECS] NAME...");
	args_usage(verb_find("ls"), buf, sizeof(buf));
	assert_string_equal(buf, "ls [-q] [--json]");
	args_usage(verb_find("help"), buf, sizeof(buf));
	assert_string_equal(buf, "help [COMMAND]");
	args_usage(verb_find("create"), buf, sizeof(buf));
	assert_string_equal(buf, "create TEMPLATE [NAME]");
	args_usage(verb_find("rm"), buf, sizeof(buf));
	assert_string_equal(buf, "rm [-f] NAME...");
	args_usage(verb_find("stats"), buf, sizeof(buf));
	assert_string_equal(buf, "stats [--no-stream] [--json] [NAME...]");
	args_usage(verb_find("scale"), buf, sizeof(buf));
	assert_string_equal(buf, "scale NAME N");
	args_usage(verb_find("restart"), buf, sizeof(buf));
	assert_string_equal(buf, "restart [-t SECS] [-d] NAME...");
	args_usage(verb_find("exit"), buf, sizeof(buf));
	assert_string_equal(buf, "exit");
	args_usage(verb_find("logs"), buf, 10);
	assert_string_equal(buf, "logs [-f]");
}

static void
test_is_self(void **state)
{
	assert_true(args_is_self("ctl"));
	assert_true(args_is_self("/usr/bin/ctl"));
	assert_true(args_is_self("./ctl"));
	assert_true(args_is_self("/ctl"));
	assert_false(args_is_self("ctld"));
	assert_false(args_is_self("xctl"));
	assert_false(args_is_self("ctl/"));
	assert_false(args_is_self(""));
}

/* ENGINE/NAME: split at its one '/', sent as "engine" and "name". */
static void
test_engine_names(void **state)
{
	static const char *const bad[] = { "status a/b/c", "status /b",
	    "status a/", "status /", "status a//b", "status .x/b",
	    "status a/.b", "status 'a b/c'", "status a/-b", "logs a/b/c",
	    "can stop a/b/c", "stats x a/b/c" };
	char line[TARGET + 16], engine[ENGINE_MAX_LEN + 2];
	json_t *req;
	size_t i;

	assert_request("status build02/web", "{\"engine\":\"build02\","
	    "\"name\":\"web\",\"verb\":\"status\"}");
	assert_request("inspect --json b.1_x-2/a.b", "{\"engine\":\"b.1_x-2\","
	    "\"name\":\"a.b\",\"verb\":\"inspect\"}");
	assert_request("logs -n 5 build02/web", "{\"engine\":\"build02\","
	    "\"name\":\"web\",\"opts\":{\"tail\":5},\"verb\":\"logs\"}");
	assert_request("rm -f local/x", "{\"engine\":\"local\",\"name\":"
	    "\"x\",\"opts\":{\"force\":true},\"verb\":\"rm\"}");
	assert_request("exec build02/app -- sh", "{\"argv\":[\"sh\"],"
	    "\"engine\":\"build02\",\"name\":\"app\",\"verb\":\"exec\"}");
	assert_request("can restart build02/web", "{\"engine\":\"build02\","
	    "\"name\":\"web\",\"of\":\"restart\",\"verb\":\"can\"}");
	assert_request("stats --no-stream local/a b", "{\"names\":[{\"engine\":"
	    "\"local\",\"name\":\"a\"},\"b\"],\"verb\":\"stats\"}");
	assert_request("status web", "{\"name\":\"web\",\"verb\":\"status\"}");
	/* several names: a request each, each with its own engine or none */
	assert_int_equal(parse("stop local/a b build02/c"), 0);
	assert_int_equal(c.nnames, 3);
	c.word = c.names[2];
	req = args_request(&c);
	assert_string_equal(json_string_value(json_object_get(req, "engine")),
	    "build02");
	assert_string_equal(json_string_value(json_object_get(req, "name")),
	    "c");
	json_decref(req);
	c.word = c.names[1];
	req = args_request(&c);
	assert_null(json_object_get(req, "engine"));
	json_decref(req);
	args_free(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_refused(bad[i], "invalid container name");
		assert_refused_as(bad[i], REFUSAL_USAGE);
	}
	/* the engine: at most ENGINE_MAX_LEN bytes */
	memset(engine, 'e', ENGINE_MAX_LEN);
	engine[ENGINE_MAX_LEN] = '\0';
	snprintf(line, sizeof(line), "start %s/web", engine);
	assert_int_equal(parse(line), 0);
	args_free(&c);
	snprintf(line, sizeof(line), "start e%s/web", engine);
	assert_refused(line, "invalid container name");
	assert_refused_as(line, REFUSAL_USAGE);
	/* create's NAME is plain: its template names the engine */
	assert_refused("create dev build02/x", "create takes a plain NAME, "
	    "not 'build02/x': the template names the engine");
	assert_refused("can create dev build02/x", "create takes a plain NAME");
	assert_refused("create build02/dev", "invalid template name");
	assert_refused("create dev a/b/c", "invalid container name");
}

/* word, the longest operand of its form, is one; a byte more is hostile. */
static void
assert_longest(const char *word)
{
	char line[TARGET + 32];

	snprintf(line, sizeof(line), "status %s", word);
	assert_int_equal(parse(line), 0);
	assert_int_equal(c.refused, REFUSAL_NONE);
	assert_string_equal(c.word, word);
	args_free(&c);
	snprintf(line, sizeof(line), "status %sn", word);
	assert_refused_as(line, REFUSAL_HOSTILE);
}

/* The longest operand, ENGINE/NAME, is no attack; a longer word is. */
static void
test_engine_name_lengths(void **state)
{
	char line[TARGET + 16], word[TARGET + 2];

	memset(word, 'e', ENGINE_MAX_LEN);
	word[ENGINE_MAX_LEN] = '/';
	memset(word + ENGINE_MAX_LEN + 1, 'n', NAME_MAX_LEN);
	word[TARGET] = '\0';
	assert_longest(word);
	/* without a '/', a word longer than a name is */
	memset(word, 'n', NAME_MAX_LEN + 1);
	word[NAME_MAX_LEN + 1] = '\0';
	snprintf(line, sizeof(line), "status %s", word);
	assert_refused_as(line, REFUSAL_HOSTILE);
}

static void
test_can(void **state)
{
	assert_request("can", "{\"verb\":\"can\"}");
	assert_request("can --json", "{\"verb\":\"can\"}");
	assert_request("can restart web-1",
	    "{\"name\":\"web-1\",\"of\":\"restart\",\"verb\":\"can\"}");
	assert_request("can create dev",
	    "{\"of\":\"create\",\"template\":\"dev\",\"verb\":\"can\"}");
	assert_refused("can ls x", "can asks about a verb on a container or "
	    "a template, not 'ls'");
	assert_refused("can provision x", "not 'provision'");
	assert_refused("can exit", "not 'exit'");
	assert_refused("can restart", "restart needs a container name");
	assert_refused("can create", "create needs a template name");
	assert_refused("can logs a b", "logs takes one container name");
	assert_refused("can status '../x'", "invalid container name");
}

static void
test_exec(void **state)
{
	json_t *req;

	assert_int_equal(parse("exec app -it -- sh -c 'a; b | c > $d'"), 0);
	assert_int_equal(c.argc, 3);
	assert_string_equal(c.argv[2], "a; b | c > $d");
	req = args_request(&c);
	assert_non_null(req);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(req, "argv"), 2)), "a; b | c > $d");
	assert_true(json_is_true(json_object_get(json_object_get(req, "opts"),
	    "tty")));
	json_decref(req);
	args_free(&c);
	/* the command begins at its first word: its options are its own */
	assert_int_equal(parse("exec -i app ls -l --all"), 0);
	assert_int_equal(c.argc, 3);
	assert_string_equal(c.argv[1], "-l");
	assert_string_equal(c.word, "app");
	args_free(&c);
	assert_int_equal(parse("exec app -- -- x"), 0);
	assert_string_equal(c.argv[0], "--");
	args_free(&c);
	assert_refused("exec app", "needs a command");
	assert_refused("exec app --", "needs a command");
	assert_refused("exec app -u root -- sh", "unknown option '-u'");
	assert_refused("exec app --privileged sh", "unknown option");
	assert_refused("exec app -- ''", "empty command");
	assert_refused_as("exec app", REFUSAL_USAGE);
}

/* scale NAME N: the count sent as "replicas", required, 0..100000. */
static void
test_scale(void **state)
{
	static const char *const bad[][2] = {
		{ "scale web", "scale needs a count (scale NAME N)" },
		{ "scale", "scale needs a container name" },
		{ "scale web x", "scale: 'x' is not a count from 0 to 100000" },
		{ "scale web -1", "scale: '-1' is not a count" },
		{ "scale web 100001", "'100001' is not a count" },
		{ "scale web 3x", "'3x' is not a count" },
		{ "scale web ''", "'' is not a count" },
		{ "scale web 1 2", "scale takes one name and a count" },
		{ "scale web --replicas 3", "unknown option '--replicas'" },
		{ "scale web -t 3", "unknown option '-t'" },
		{ "can scale web 3", "scale takes one container name" },
	};
	size_t i;

	assert_request("scale web 3", "{\"name\":\"web\",\"opts\":"
	    "{\"replicas\":3},\"verb\":\"scale\"}");
	assert_request("scale web 0", "{\"name\":\"web\",\"opts\":"
	    "{\"replicas\":0},\"verb\":\"scale\"}");
	assert_request("scale build02/service:web 100000", "{\"engine\":"
	    "\"build02\",\"kind\":\"service\",\"name\":\"web\",\"opts\":"
	    "{\"replicas\":100000},\"verb\":\"scale\"}");
	assert_request("scale -- web 2", "{\"name\":\"web\",\"opts\":"
	    "{\"replicas\":2},\"verb\":\"scale\"}");
	assert_request("can scale web", "{\"name\":\"web\",\"of\":"
	    "\"scale\",\"verb\":\"can\"}");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_refused(bad[i][0], bad[i][1]);
		assert_refused_as(bad[i][0], REFUSAL_USAGE);
	}
}

/* restart -d: "detach", restart's alone. */
static void
test_restart_detach(void **state)
{
	assert_request("restart -d web", "{\"name\":\"web\",\"opts\":"
	    "{\"detach\":true},\"verb\":\"restart\"}");
	assert_request("restart --detach -t 5 web", "{\"name\":\"web\","
	    "\"opts\":{\"detach\":true,\"time\":5},\"verb\":\"restart\"}");
	assert_refused("stop -d web", "unknown option '-d' for stop");
	assert_refused("start --detach web", "unknown option '--detach'");
}

/* service:NAME, container:NAME, ENGINE/KIND:NAME: sent as "kind". */
static void
test_kind_names(void **state)
{
	static const char *const bad[] = { "status svc:web",
	    "status Service:web", "status service:", "status :web",
	    "status service:a:b", "status service:b2/web", "status service::x",
	    "status b2/task:web", "status b2/:web", "status containers:web",
	    "logs service:.x", "can stop task:x" };
	size_t i;

	assert_request("status service:web", "{\"kind\":\"service\","
	    "\"name\":\"web\",\"verb\":\"status\"}");
	assert_request("stop -t 1 build02/container:web", "{\"engine\":"
	    "\"build02\",\"kind\":\"container\",\"name\":\"web\","
	    "\"opts\":{\"time\":1},\"verb\":\"stop\"}");
	assert_request("can restart service:web", "{\"kind\":\"service\","
	    "\"name\":\"web\",\"of\":\"restart\",\"verb\":\"can\"}");
	assert_request("logs -f b2/service:web", "{\"engine\":\"b2\","
	    "\"kind\":\"service\",\"name\":\"web\",\"opts\":{\"follow\":"
	    "true},\"verb\":\"logs\"}");
	assert_request("exec container:app -- sh", "{\"argv\":[\"sh\"],"
	    "\"kind\":\"container\",\"name\":\"app\",\"verb\":\"exec\"}");
	/* stats' names are containers: container: said is no field */
	assert_request("stats --no-stream container:a b2/container:b",
	    "{\"names\":[\"a\",{\"engine\":\"b2\",\"name\":\"b\"}],"
	    "\"verb\":\"stats\"}");
	assert_refused("stats service:web", "stats shows containers, not a "
	    "service: 'service:web'");
	assert_refused("stats a b2/service:web", "not a service");
	assert_request("can stats service:web", "{\"kind\":\"service\","
	    "\"name\":\"web\",\"of\":\"stats\",\"verb\":\"can\"}");
	/* create makes a container: its NAME is plain */
	assert_refused("create dev container:x", "create takes a plain NAME, "
	    "not 'container:x': it makes a container");
	assert_refused("create dev service:x", "create takes a plain NAME");
	assert_refused("create service:dev", "invalid template name");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_refused(bad[i], "invalid container name");
		assert_refused_as(bad[i], REFUSAL_USAGE);
	}
}

/* The longest ENGINE/container:NAME is no attack; a longer word is. */
static void
test_kind_name_lengths(void **state)
{
	static const char kind[] = "container:";
	char word[TARGET + 16];
	size_t n = 0;

	memset(word, 'e', ENGINE_MAX_LEN);
	word[ENGINE_MAX_LEN] = '/';
	n = ENGINE_MAX_LEN + 1;
	memcpy(word + n, kind, sizeof(kind) - 1);
	n += sizeof(kind) - 1;
	memset(word + n, 'n', NAME_MAX_LEN);
	word[n + NAME_MAX_LEN] = '\0';
	assert_longest(word);
	assert_longest(word + ENGINE_MAX_LEN + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dash_is_never_a_name),
		cmocka_unit_test(test_no_operands),
		cmocka_unit_test(test_json_flag),
		cmocka_unit_test(test_quiet_flag),
		cmocka_unit_test(test_refusal_kinds),
		cmocka_unit_test(test_logs_options),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_stop_time),
		cmocka_unit_test(test_create_rm_forget),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_broker_accepts),
		cmocka_unit_test(test_several_names),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_is_self),
		cmocka_unit_test(test_can),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_engine_names),
		cmocka_unit_test(test_engine_name_lengths),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_restart_detach),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_kind_name_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
