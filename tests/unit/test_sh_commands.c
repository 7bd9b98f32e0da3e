/*
 * Unit tests for shell/commands.c: what a command sends and prints, with
 * a scripted broker in a forked child.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "client.h"
#include "commands.h"
#include "proto.h"

static char dir[] = "/tmp/ctl-test-XXXXXX";
static char sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char nosock[sizeof(sockpath)];
static char outpath[64], errpath[64];
static int lfd = -1;
/*
 * The shell always ends a request with "prompt" (whether it could answer
 * a password prompt, which depends on the test's terminal): removed.
 */
static int
strip_prompt(char *buf)
{
	char *p = strstr(buf, ",\"prompt\":");

	if (p == NULL || (strcmp(p + 10, "true}") != 0 &&
	    strcmp(p + 10, "false}") != 0))
		return -1;
	strcpy(p, "}");
	return 0;
}

static pid_t broker_pid;
static struct frame f;
static char out[8192], errtext[8192];
static enum refusal refused;

#define WELCOME_ONE	"{\"proto\":1,\"user\":\"a\",\"host\":\"h\"}"
#define WELCOME_TWO	"{\"proto\":1,\"user\":\"a\",\"host\":\"h\"," \
			"\"engines\":[\"local\",\"build02\"]}"

/* What the next brokers say in their welcome (before() sets it back). */
static const char *welcome = WELCOME_ONE;

/* The broker greets, checks the request and answers with done. */
static pid_t
broker(const char *request, const char *done)
{
	const char *why;
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(10);
		if ((fd = accept(lfd, NULL, NULL)) == -1 ||
		    proto_recv(fd, &f, 5000, &why) != 1 ||
		    f.type != FRAME_HELLO)
			_exit(20);
		if (proto_send(fd, FRAME_WELCOME, welcome, strlen(welcome))
		    == -1 ||
		    proto_recv(fd, &f, 5000, &why) != 1 ||
		    f.type != FRAME_REQUEST)
			_exit(21);
		if (strip_prompt((char *)f.buf) == -1 ||
		    strcmp((char *)f.buf, request) != 0) {
			fprintf(stderr, "broker got %s, want %s\n", f.buf,
			    request);
			_exit(22);
		}
		if (proto_send(fd, FRAME_DONE, done, strlen(done)) == -1)
			_exit(23);
		_exit(0);
	}
	broker_pid = pid;
	return pid;
}

static void
broker_done(void)
{
	int status;

	assert_int_equal(waitpid(broker_pid, &status, 0), broker_pid);
	broker_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("broker child failed: status %#x", status);
}

static void
slurp(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	assert_true((fd = open(path, O_RDONLY)) != -1);
	n = read(fd, buf, size - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
}

/* Runs one command line with fds 1 and 2 in files. */
static int
run(const char *line, int *quit)
{
	int o, e, so, se, rc;

	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	o = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(o, 1);
	dup2(e, 2);
	rc = cmd_run_line(line, strlen(line), quit, &refused);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(o);
	close(e);
	close(so);
	close(se);
	slurp(outpath, out, sizeof(out));
	slurp(errpath, errtext, sizeof(errtext));
	return rc;
}

static void
assert_run(const char *line, const char *request, const char *done,
    int code, const char *want_out, const char *want_err)
{
	int quit = 0;

	broker(request, done);
	assert_int_equal(run(line, &quit), code);
	broker_done();
	assert_int_equal(quit, 0);
	if (want_out != NULL)
		assert_string_equal(out, want_out);
	assert_string_equal(errtext, want_err);
}

#define ID_A	"0123456789ab0123456789ab0123456789ab0123456789ab0123456789abcdef"

static void
test_ls(void **state)
{
	assert_run("ls", "{\"verb\":\"ls\"}",
	    "{\"exit\":0,\"data\":{\"containers\":["
	    "{\"name\":\"api\",\"id\":\"" ID_A "\",\"state\":\"running\","
	    "\"status\":\"Up 2 hours\",\"image\":\"api:1.4\"},"
	    "{\"name\":\"web-1\",\"id\":\"abc\",\"state\":\"exited\","
	    "\"status\":\"Exited (0)\\u001b[31m\",\"image\":\"\\u00e9\"},"
	    "{\"name\":\"x\\u0007y\",\"state\":\"running\"}]}}", 0,
	    "NAME    ID             STATE     STATUS            IMAGE\n"
	    "api     0123456789ab   running   Up 2 hours        api:1.4\n"
	    "web-1   abc            exited    Exited (0)?[31m   ??\n"
	    "x?y     -              running   -                 -\n", "");
	assert_run("ls", "{\"verb\":\"ls\"}",
	    "{\"exit\":0,\"data\":{\"containers\":[]}}", 0,
	    "NAME   ID   STATE   STATUS   IMAGE\n", "");
	assert_run("ls", "{\"verb\":\"ls\"}",
	    "{\"exit\":0,\"data\":{\"containers\":{}}}", 1, "",
	    "ctl: unexpected reply from the broker\n");
}

/* -q: names alone, made safe like any string; --json keeps whole IDs. */
static void
test_ls_quiet(void **state)
{
	static const char list[] = "{\"exit\":0,\"data\":{\"containers\":["
	    "{\"name\":\"api\",\"id\":\"" ID_A "\",\"state\":\"running\"},"
	    "{\"name\":\"x\\u001b]0;t\\u0007\",\"state\":\"exited\"}]}}";

	assert_run("ls -q", "{\"verb\":\"ls\"}", list, 0,
	    "api\nx?]0;t?\n", "");
	assert_run("ls --quiet", "{\"verb\":\"ls\"}",
	    "{\"exit\":0,\"data\":{\"containers\":[]}}", 0, "", "");
	assert_run("ls -q", "{\"verb\":\"ls\"}",
	    "{\"exit\":0,\"data\":{}}", 1, "",
	    "ctl: unexpected reply from the broker\n");
	assert_run("ls --json", "{\"verb\":\"ls\"}",
	    "{\"exit\":0,\"data\":{\"containers\":[{\"id\":\"" ID_A "\"}]}}",
	    0, "{\n  \"containers\": [\n    {\n      \"id\": \"" ID_A "\"\n"
	    "    }\n  ]\n}\n", "");
}

/*
 * An engine that did not answer: the rows of the others are shown all
 * the same (table, -q, --json), then the broker's error, exit 1.
 */
static void
test_ls_unreachable(void **state)
{
	static const char part[] = "{\"exit\":1,\"error\":\"build02 did not "
	    "answer (timed out after 2 s)\",\"data\":{\"containers\":["
	    "{\"name\":\"api\",\"id\":\"abc\",\"state\":\"running\","
	    "\"status\":\"Up\",\"image\":\"i\",\"engine\":\"local\"}],"
	    "\"unreachable\":[{\"engine\":\"build02\",\"error\":\"x\"}]}}";
	static const char said[] = "ctl: build02 did not answer (timed out "
	    "after 2 s)\n";

	assert_run("ls", "{\"verb\":\"ls\"}", part, 1,
	    "NAME   ID    STATE     STATUS   IMAGE\n"
	    "api    abc   running   Up       i\n", said);
	assert_run("ls -q", "{\"verb\":\"ls\"}", part, 1, "api\n", said);
	assert_run("ls --json", "{\"verb\":\"ls\"}", part, 1,
	    "{\n  \"containers\": [\n    {\n      \"name\": \"api\",\n"
	    "      \"id\": \"abc\",\n      \"state\": \"running\",\n"
	    "      \"status\": \"Up\",\n      \"image\": \"i\",\n"
	    "      \"engine\": \"local\"\n    }\n  ],\n  \"unreachable\": [\n"
	    "    {\n      \"engine\": \"build02\",\n      \"error\": \"x\"\n"
	    "    }\n  ]\n}\n", said);
	/* malformed rows still end with the broker's error, exit 1 */
	assert_run("ls", "{\"verb\":\"ls\"}", "{\"exit\":1,\"error\":\"e\","
	    "\"data\":{}}", 1, "", "ctl: unexpected reply from the broker\n"
	    "ctl: e\n");
	/* a failing done of another verb shows no data */
	assert_run("status web", "{\"verb\":\"status\",\"name\":\"web\"}",
	    "{\"exit\":3,\"error\":\"no such container: web\","
	    "\"data\":{\"name\":\"web\"}}", 3, "",
	    "ctl: no such container: web\n");
}

/*
 * More than one engine in the welcome: ls has an ENGINE column, -q says
 * ENGINE/NAME, status, inspect, changes and stats name the engine. One
 * engine listed: all as before.
 */
#define LS_TWO	"{\"exit\":0,\"data\":{\"containers\":[" \
	"{\"name\":\"api\",\"id\":\"abc\",\"state\":\"running\"," \
	"\"status\":\"Up\",\"image\":\"i\",\"engine\":\"local\"}," \
	"{\"name\":\"api\",\"id\":\"def\",\"state\":\"exited\"," \
	"\"status\":\"Exited (0)\",\"image\":\"i\",\"engine\":\"build02\"}]}}"

static void
test_engines(void **state)
{
	int quit = 0;

	welcome = WELCOME_TWO;
	assert_run("ls", "{\"verb\":\"ls\"}", LS_TWO, 0,
	    "ENGINE    NAME   ID    STATE     STATUS       IMAGE\n"
	    "local     api    abc   running   Up           i\n"
	    "build02   api    def   exited    Exited (0)   i\n", "");
	assert_run("ls -q", "{\"verb\":\"ls\"}", LS_TWO, 0,
	    "local/api\nbuild02/api\n", "");
	assert_run("status build02/web",
	    "{\"verb\":\"status\",\"engine\":\"build02\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"engine\":\"build02\","
	    "\"id\":\"abc\"}}", 0,
	    "Name:      web\n"
	    "Engine:    build02\n"
	    "ID:        abc\n"
	    "State:     -\n"
	    "Health:    -\n"
	    "Started:   -\n"
	    "Finished:  -\n"
	    "Exit code: -\n"
	    "Restarts:  -\n"
	    "Image:     -\n"
	    "TTY:       -\n", "");
	assert_run("inspect web", "{\"verb\":\"inspect\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"engine\":\"build02\","
	    "\"id\":\"abc\"}}", 0, NULL, "");
	assert_non_null(strstr(out, "Name:        web\nEngine:      build02\n"
	    "ID:          abc\n"));
	assert_run("start build02/web",
	    "{\"verb\":\"start\",\"engine\":\"build02\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"engine\":\"build02\","
	    "\"changed\":true}}", 0, "build02/web: started\n", "");
	assert_run("stats --no-stream web", "{\"verb\":\"stats\",\"names\":"
	    "[\"web\"]}", "{\"exit\":0,\"data\":{\"containers\":["
	    "{\"name\":\"web\",\"engine\":\"b2\",\"error\":\"gone\"}]}}", 0,
	    "NAME     CPU %    MEM USAGE / LIMIT      MEM %    NET I/O"
	    "              BLOCK I/O            PIDS\n"
	    "b2/web   --       --                     --       --"
	    "                   --                   --\n", "");
	assert_run("can", "{\"verb\":\"can\"}", "{\"exit\":0,\"data\":{"
	    "\"containers\":[{\"name\":\"web\",\"engine\":\"b2\",\"verbs\":"
	    "[\"logs\"]}],\"rules\":[],\"templates\":[],\"password\":[]}}", 0,
	    "CONTAINER                YOU MAY\n"
	    "b2/web                   logs\n", "");

	/* help names the engines the last welcome listed */
	client_set_socket(nosock);
	assert_int_equal(run("help", &quit), 0);
	assert_non_null(strstr(out, "\nA NAME may be ENGINE/NAME, the container "
	    "on that engine (engines: local, build02).\n"));
	assert_int_equal(run("help stop", &quit), 0);
	assert_non_null(strstr(out, "\n\nA NAME may be ENGINE/NAME"));
	assert_int_equal(run("help ls", &quit), 0);
	assert_null(strstr(out, "ENGINE/NAME"));
	client_set_socket(sockpath);

	welcome = "{\"proto\":1,\"user\":\"a\",\"host\":\"h\","
	    "\"engines\":[\"local\"]}";
	assert_run("ls", "{\"verb\":\"ls\"}", LS_TWO, 0,
	    "NAME   ID    STATE     STATUS       IMAGE\n"
	    "api    abc   running   Up           i\n"
	    "api    def   exited    Exited (0)   i\n", "");
	assert_run("ls -q", "{\"verb\":\"ls\"}", LS_TWO, 0, "api\napi\n", "");
	assert_run("start build02/web",
	    "{\"verb\":\"start\",\"engine\":\"build02\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"engine\":\"build02\","
	    "\"changed\":true}}", 0, "web: started\n", "");
	assert_run("inspect web", "{\"verb\":\"inspect\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"engine\":\"build02\","
	    "\"id\":\"abc\"}}", 0, NULL, "");
	assert_null(strstr(out, "Engine"));
	client_set_socket(nosock);
	assert_int_equal(run("help stop", &quit), 0);
	assert_null(strstr(out, "ENGINE"));
	/* no blank line where the engines' would have been */
	assert_string_not_equal(out + strlen(out) - 2, "\n\n");
}

/* An engine that did not answer, with two: rows, ENGINE column, error. */
static void
test_engines_unreachable(void **state)
{
	welcome = WELCOME_TWO;
	assert_run("ls", "{\"verb\":\"ls\"}", "{\"exit\":1,\"error\":"
	    "\"build02 did not answer\",\"data\":{\"containers\":[{\"name\":"
	    "\"api\",\"engine\":\"local\"}],\"unreachable\":[{\"engine\":"
	    "\"build02\",\"error\":\"timed out\"}]}}", 1,
	    "ENGINE   NAME   ID   STATE   STATUS   IMAGE\n"
	    "local    api    -    -       -        -\n",
	    "ctl: build02 did not answer\n");
}

/* can: the table made safe, '*' on password verbs, rules, templates. */
static void
test_can(void **state)
{
	assert_run("can", "{\"verb\":\"can\"}",
	    "{\"exit\":0,\"data\":{\"containers\":["
	    "{\"name\":\"api\",\"verbs\":[\"status\",\"restart\"],"
	    "\"password\":[\"restart\"]},"
	    "{\"name\":\"x\\u001b[2J\",\"verbs\":[],\"password\":[]}],"
	    "\"rules\":[{\"containers\":[\"web-*\",\"db\"],"
	    "\"verbs\":[\"restart\"],\"deny\":true}],"
	    "\"templates\":[{\"name\":\"dev\",\"container\":\"dev-al\","
	    "\"left\":2},{\"name\":\"box\",\"container\":\"al-box\","
	    "\"left\":null}],\"password\":[\"restart\"],"
	    "\"quota\":{\"used\":3,\"limit\":5}}}", 0,
	    "CONTAINER                YOU MAY\n"
	    "api                      status restart*\n"
	    "x?[2J                    -\n"
	    "web-*, db                never: restart (a rule)\n"
	    "\n"
	    "TEMPLATE (create)        MAKES                            LEFT\n"
	    "dev                      dev-al                           2\n"
	    "box                      al-box                           no limit\n"
	    "\n"
	    "You have 3 of at most 5 containers made from templates.\n"
	    "\n"
	    "* asks for your password (once in a while, as sudo does).\n", "");
	assert_run("can", "{\"verb\":\"can\"}",
	    "{\"exit\":0,\"data\":{\"containers\":[],\"rules\":[],"
	    "\"templates\":[],\"password\":[],\"quota\":{\"used\":0,"
	    "\"limit\":null}}}", 0, "You may use no container here.\n", "");
	assert_run("can", "{\"verb\":\"can\"}",
	    "{\"exit\":0,\"data\":{\"containers\":[]}}", 1, "",
	    "ctl: unexpected reply from the broker\n");
	assert_run("can restart api",
	    "{\"verb\":\"can\",\"of\":\"restart\",\"name\":\"api\"}",
	    "{\"exit\":0,\"data\":{\"answer\":\"password\",\"left\":null}}",
	    0, "yes, after your password\n", "");
	assert_run("can create dev",
	    "{\"verb\":\"can\",\"of\":\"create\",\"template\":\"dev\"}",
	    "{\"exit\":0,\"data\":{\"answer\":\"yes\",\"left\":2}}", 0,
	    "yes (2 left)\n", "");
	assert_run("can stop api",
	    "{\"verb\":\"can\",\"of\":\"stop\",\"name\":\"api\"}",
	    "{\"exit\":3,\"error\":\"no: stop: permission denied\"}", 3, "",
	    "ctl: no: stop: permission denied\n");
}

static void
test_json(void **state)
{
	assert_run("ctl ls --json", "{\"verb\":\"ls\"}",
	    "{\"exit\":0,\"data\":{\"containers\":[{\"name\":\"a\\u001b\","
	    "\"state\":\"caf\\u00e9\"}]}}", 0,
	    "{\n  \"containers\": [\n    {\n      \"name\": \"a\\u001B\",\n"
	    "      \"state\": \"caf\\u00E9\"\n    }\n  ]\n}\n", "");
}

static void
test_status(void **state)
{
	assert_run("status web", "{\"verb\":\"status\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"id\":\"abc\","
	    "\"state\":\"running\",\"started_at\":\"2026-11-28T15:04:05Z\","
	    "\"exit_code\":0,\"restart_count\":2,\"image\":\"nginx\","
	    "\"tty\":false}}", 0,
	    "Name:      web\n"
	    "ID:        abc\n"
	    "State:     running\n"
	    "Health:    -\n"
	    "Started:   2026-11-28T15:04:05Z\n"
	    "Finished:  -\n"
	    "Exit code: 0\n"
	    "Restarts:  2\n"
	    "Image:     nginx\n"
	    "TTY:       no\n", "");
}

static void
test_changes(void **state)
{
	assert_run("start web", "{\"verb\":\"start\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"changed\":true}}", 0,
	    "web: started\n", "");
	assert_run("start web", "{\"verb\":\"start\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"changed\":false}}", 0,
	    "web: already running\n", "");
	assert_run("stop -t 5 web",
	    "{\"verb\":\"stop\",\"name\":\"web\",\"opts\":{\"time\":5}}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"changed\":false}}", 0,
	    "web: already stopped\n", "");
	assert_run("restart web", "{\"verb\":\"restart\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"changed\":true}}", 0,
	    "web: restarted\n", "");
	assert_run("rm -f web",
	    "{\"verb\":\"rm\",\"name\":\"web\",\"opts\":{\"force\":true}}",
	    "{\"exit\":0,\"data\":{\"name\":\"web\",\"id\":\"x\"}}", 0,
	    "web: removed\n", "");
	assert_run("create dev", "{\"verb\":\"create\",\"template\":\"dev\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"alice-dev\",\"created\":true}}",
	    0, "alice-dev: created\n", "");
	assert_run("create dev alice-x",
	    "{\"verb\":\"create\",\"template\":\"dev\",\"name\":\"alice-x\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"alice-x\",\"created\":false}}",
	    0, "alice-x: already exists\n", "");
	/* A name from the broker that is no name is not printed. */
	assert_run("create dev", "{\"verb\":\"create\",\"template\":\"dev\"}",
	    "{\"exit\":0,\"data\":{\"name\":\"\\u001b[2J\",\"created\":true}}",
	    0, "dev: created\n", "");
	assert_run("forget", "{\"verb\":\"forget\"}", "{\"exit\":0}", 0, "",
	    "");
}

/*
 * Services in ls: a KIND column, a service's replicas as its STATE and
 * its mode as its STATUS; -q names them as containers; no service, no
 * KIND column (test_ls, test_engines).
 */
#define LS_SVC	"{\"exit\":0,\"data\":{\"containers\":[" \
	"{\"name\":\"api\",\"id\":\"" ID_A "\",\"state\":\"running\"," \
	"\"status\":\"Up 2 hours\",\"image\":\"api:1.4\"," \
	"\"engine\":\"local\"}," \
	"{\"kind\":\"service\",\"name\":\"web\",\"engine\":\"build02\"," \
	"\"id\":\"abcdefghijklmnopqrstuvwxy\",\"mode\":\"replicated\"," \
	"\"running\":1,\"desired\":3,\"image\":\"nginx:1\"}," \
	"{\"kind\":\"service\",\"name\":\"agent\",\"engine\":\"build02\"," \
	"\"id\":\"z\",\"mode\":\"global-job\",\"running\":0," \
	"\"desired\":2,\"image\":\"\\u001b\"}]}}"

static void
test_services_ls(void **state)
{
	assert_run("ls", "{\"verb\":\"ls\"}", LS_SVC, 0,
	    "NAME    KIND        ID             STATE     STATUS       IMAGE\n"
	    "api     container   0123456789ab   running   Up 2 hours   api:1.4\n"
	    "web     service     abcdefghijkl   1/3       replicated   nginx:1\n"
	    "agent   service     z              0/2       global-job   ?\n", "");
	assert_run("ls -q", "{\"verb\":\"ls\"}", LS_SVC, 0,
	    "api\nweb\nagent\n", "");
	welcome = WELCOME_TWO;
	assert_run("ls", "{\"verb\":\"ls\"}", LS_SVC, 0,
	    "ENGINE    NAME    KIND        ID             STATE     STATUS"
	    "       IMAGE\n"
	    "local     api     container   0123456789ab   running   Up 2 hours"
	    "   api:1.4\n"
	    "build02   web     service     abcdefghijkl   1/3       replicated"
	    "   nginx:1\n"
	    "build02   agent   service     z              0/2       global-job"
	    "   ?\n", "");
	assert_run("ls -q", "{\"verb\":\"ls\"}", LS_SVC, 0,
	    "local/api\nbuild02/web\nbuild02/agent\n", "");
	assert_run("ls --json", "{\"verb\":\"ls\"}",
	    "{\"exit\":0,\"data\":{\"containers\":[{\"kind\":\"service\","
	    "\"running\":1}]}}", 0, "{\n  \"containers\": [\n    {\n"
	    "      \"kind\": \"service\",\n      \"running\": 1\n    }\n"
	    "  ]\n}\n", "");
	/* a "kind" that is not "service" is a container's row */
	assert_run("ls", "{\"verb\":\"ls\"}", "{\"exit\":0,\"data\":"
	    "{\"containers\":[{\"kind\":\"task\",\"name\":\"a\","
	    "\"state\":\"up\",\"mode\":\"global\"}]}}", 0,
	    "ENGINE   NAME   ID   STATE   STATUS   IMAGE\n"
	    "-        a      -    up      -        -\n", "");
}

/* A time as the broker sends it, secs before now. */
static const char *
ago(long secs)
{
	static char buf[64];
	time_t t = time(NULL) - secs;
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	assert_true(strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.5Z", &tm) > 0);
	return buf;
}

/* status of a service: its header, then its tasks as docker service ps. */
static void
test_service_status(void **state)
{
	char done[2048];

	snprintf(done, sizeof(done), "{\"exit\":0,\"data\":{\"kind\":"
	    "\"service\",\"name\":\"web\",\"id\":\"abcdefghijklmnopqrstuvwxy\","
	    "\"engine\":\"build02\",\"mode\":\"replicated\",\"running\":1,"
	    "\"desired\":2,\"image\":\"nginx:1\",\"update\":{\"state\":"
	    "\"updating\",\"message\":\"update in progress\",\"started_at\":"
	    "\"x\",\"completed_at\":null},\"tasks\":["
	    "{\"id\":\"t1bcdefghijklmnopqrstuvwx\",\"slot\":1,\"node\":\"n1\","
	    "\"state\":\"running\",\"desired_state\":\"running\","
	    "\"error\":null,\"timestamp\":\"%s\"},", ago(300));
	snprintf(done + strlen(done), sizeof(done) - strlen(done),
	    "{\"id\":\"t2\",\"slot\":null,\"node\":\"node-2\","
	    "\"state\":\"failed\",\"desired_state\":\"shutdown\","
	    "\"error\":\"task: non-zero exit (1)\\u001b\","
	    "\"timestamp\":\"%s\"}]}}", ago(3 * 3600));
	assert_run("status service:web", "{\"verb\":\"status\",\"kind\":"
	    "\"service\",\"name\":\"web\"}", done, 0,
	    "Name:      web\n"
	    "ID:        abcdefghijkl\n"
	    "Mode:      replicated\n"
	    "Replicas:  1/2\n"
	    "Image:     nginx:1\n"
	    "Update:    updating (update in progress)\n"
	    "\n"
	    "ID             NAME    NODE     DESIRED STATE   CURRENT STATE"
	    "           ERROR\n"
	    "t1bcdefghijk   web.1   n1       Running         Running 5 minutes "
	    "ago   -\n"
	    "t2             web     node-2   Shutdown        Failed 3 hours ago"
	    "      task: non-zero exit (1)?\n", "");
	welcome = WELCOME_TWO;
	assert_run("status web", "{\"verb\":\"status\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"kind\":\"service\",\"name\":\"web\","
	    "\"engine\":\"build02\",\"mode\":\"global\",\"running\":0,"
	    "\"desired\":0,\"update\":null,\"tasks\":[]}}", 0,
	    "Name:      web\n"
	    "ID:        -\n"
	    "Engine:    build02\n"
	    "Mode:      global\n"
	    "Replicas:  0/0\n"
	    "Image:     -\n"
	    "Update:    -\n"
	    "\n"
	    "ID   NAME   NODE   DESIRED STATE   CURRENT STATE   ERROR\n", "");
	assert_run("status web", "{\"verb\":\"status\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"kind\":\"service\",\"name\":\"web\"}}",
	    1, "", "ctl: unexpected reply from the broker\n");
	assert_run("status --json web", "{\"verb\":\"status\",\"name\":"
	    "\"web\"}", "{\"exit\":0,\"data\":{\"kind\":\"service\","
	    "\"tasks\":[]}}", 0, "{\n  \"kind\": \"service\",\n"
	    "  \"tasks\": []\n}\n", "");
}

/* A service's answers: as a container's, but scale's counts and restart -d. */
static void
test_service_changes(void **state)
{
	assert_run("scale web 3", "{\"verb\":\"scale\",\"name\":\"web\","
	    "\"opts\":{\"replicas\":3}}", "{\"exit\":0,\"data\":{\"kind\":"
	    "\"service\",\"name\":\"web\",\"id\":\"x\",\"replicas\":3,"
	    "\"previous\":1,\"changed\":true}}", 0,
	    "web: scaled from 1 to 3\n", "");
	assert_run("scale service:web 3", "{\"verb\":\"scale\",\"kind\":"
	    "\"service\",\"name\":\"web\",\"opts\":{\"replicas\":3}}",
	    "{\"exit\":0,\"data\":{\"kind\":\"service\",\"name\":\"web\","
	    "\"replicas\":3,\"previous\":3,\"changed\":false}}", 0,
	    "web: already at 3 replicas\n", "");
	assert_run("scale web 3", "{\"verb\":\"scale\",\"name\":\"web\","
	    "\"opts\":{\"replicas\":3}}", "{\"exit\":0,\"data\":{\"name\":"
	    "\"web\",\"changed\":true}}", 0, "web: scaled\n", "");
	assert_run("restart -d web", "{\"verb\":\"restart\",\"name\":\"web\","
	    "\"opts\":{\"detach\":true}}", "{\"exit\":0,\"data\":{\"kind\":"
	    "\"service\",\"name\":\"web\",\"replicas\":2,\"previous\":2,"
	    "\"converged\":false,\"changed\":true}}", 0,
	    "web: update started (not waiting)\n", "");
	assert_run("restart web", "{\"verb\":\"restart\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"kind\":\"service\",\"name\":\"web\","
	    "\"replicas\":2,\"previous\":2,\"converged\":true,"
	    "\"changed\":true}}", 0, "web: restarted\n", "");
	/* -d of a container's restart says what a container's says */
	assert_run("restart -d web", "{\"verb\":\"restart\",\"name\":\"web\","
	    "\"opts\":{\"detach\":true}}", "{\"exit\":0,\"data\":{\"name\":"
	    "\"web\",\"changed\":true}}", 0, "web: restarted\n", "");
	assert_run("stop web", "{\"verb\":\"stop\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"kind\":\"service\",\"name\":\"web\","
	    "\"replicas\":0,\"previous\":3,\"changed\":true}}", 0,
	    "web: stopped\n", "");
	assert_run("start web", "{\"verb\":\"start\",\"name\":\"web\"}",
	    "{\"exit\":0,\"data\":{\"kind\":\"service\",\"name\":\"web\","
	    "\"replicas\":3,\"previous\":3,\"changed\":false}}", 0,
	    "web: already running\n", "");
	welcome = WELCOME_TWO;
	assert_run("scale build02/web 0", "{\"verb\":\"scale\",\"engine\":"
	    "\"build02\",\"name\":\"web\",\"opts\":{\"replicas\":0}}",
	    "{\"exit\":0,\"data\":{\"kind\":\"service\",\"name\":\"web\","
	    "\"engine\":\"build02\",\"replicas\":0,\"previous\":2,"
	    "\"changed\":true}}", 0, "build02/web: scaled from 2 to 0\n", "");
}

/* One connection of a scripted broker: the request, a prompt or not. */
struct step {
	const char	*request;	/* without "prompt" */
	int		 prompt;	/* the "prompt" the request must carry */
	int		 ask;		/* send a password prompt first */
	const char	*done;
	const char	*samples[3];	/* sample frames before done */
	int		 cut;		/* the client may hang up first */
};

static void
serve_step(const struct step *st)
{
	static const char ask[] = "{\"style\":\"echo_off\",\"text\":\"P: \"}";
	const char *want = st->prompt ? ",\"prompt\":true}" :
	    ",\"prompt\":false}";
	const char *why;
	char *p;
	int fd, i;

	if ((fd = accept(lfd, NULL, NULL)) == -1 ||
	    proto_recv(fd, &f, 5000, &why) != 1 || f.type != FRAME_HELLO ||
	    proto_send(fd, FRAME_WELCOME, welcome, strlen(welcome)) == -1 ||
	    proto_recv(fd, &f, 5000, &why) != 1 || f.type != FRAME_REQUEST)
		_exit(21);
	if ((p = strstr((char *)f.buf, ",\"prompt\":")) == NULL ||
	    strcmp(p, want) != 0) {
		fprintf(stderr, "broker got %s, want prompt %d\n", f.buf,
		    st->prompt);
		_exit(24);
	}
	strcpy(p, "}");
	if (strcmp((char *)f.buf, st->request) != 0) {
		fprintf(stderr, "broker got %s, want %s\n", f.buf,
		    st->request);
		_exit(22);
	}
	if (st->ask && (proto_send(fd, FRAME_PROMPT, ask, strlen(ask)) == -1 ||
	    proto_recv(fd, &f, 5000, &why) != 1 || f.type != FRAME_REPLY ||
	    strcmp((char *)f.buf, "{\"text\":\"pw\"}") != 0))
		_exit(25);
	for (i = 0; i < 3 && st->samples[i] != NULL; i++)
		if (proto_send(fd, FRAME_SAMPLE, st->samples[i],
		    strlen(st->samples[i])) == -1)
			_exit(26);
	if (proto_send(fd, FRAME_DONE, st->done, strlen(st->done)) == -1 &&
	    !st->cut)
		_exit(23);
	close(fd);
}

/* A broker for n connections, one after the other. */
static void
brokers(const struct step *steps, size_t n)
{
	pid_t pid;
	size_t i;

	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(10);
		for (i = 0; i < n; i++)
			serve_step(&steps[i]);
		_exit(0);
	}
	broker_pid = pid;
}

#define DONE_CHANGED	"{\"exit\":0,\"data\":{\"changed\":true}}"
#define DONE_SAME	"{\"exit\":0,\"data\":{\"changed\":false}}"

/*
 * Several names: a request each, reported each, the highest exit code;
 * a name the broker does not know stops nothing.
 */
static void
test_several_names(void **state)
{
	static const struct step stop[] = {
		{ "{\"verb\":\"stop\",\"name\":\"a\"}", 0, 0, DONE_CHANGED,
		    { NULL }, 0 },
		{ "{\"verb\":\"stop\",\"name\":\"b\"}", 0, 0,
		    "{\"exit\":3,\"error\":\"no such container: b\"}", { NULL },
		    0 },
		{ "{\"verb\":\"stop\",\"name\":\"c\"}", 0, 0, DONE_SAME,
		    { NULL }, 0 },
	};
	static const struct step status[] = {
		{ "{\"verb\":\"status\",\"name\":\"a\"}", 0, 0,
		    "{\"exit\":0,\"data\":{\"name\":\"a\"}}", { NULL }, 0 },
		{ "{\"verb\":\"status\",\"name\":\"b\"}", 0, 0,
		    "{\"exit\":1,\"error\":\"dockerd: down\"}", { NULL }, 0 },
		{ "{\"verb\":\"status\",\"name\":\"c\"}", 0, 0,
		    "{\"exit\":0,\"data\":{\"name\":\"c\"}}", { NULL }, 0 },
	};
	int quit = 0;

	brokers(stop, 3);
	assert_int_equal(run("stop a b c", &quit), 3);
	broker_done();
	assert_string_equal(out, "a: stopped\nc: already stopped\n");
	assert_string_equal(errtext, "ctl: no such container: b\n");
	brokers(status, 3);
	assert_int_equal(run("status --json a b c", &quit), 1);
	broker_done();
	assert_string_equal(out, "[\n  {\n    \"name\": \"a\"\n  },\n"
	    "  {\n    \"name\": \"c\"\n  }\n]\n");
	assert_string_equal(errtext, "ctl: dockerd: down\n");
}

/*
 * A password is asked once per command: once answered, the next names
 * tell the broker no prompt can be answered (their ticket lets them in).
 */
static void
test_several_names_one_password(void **state)
{
	static const struct step restart[] = {
		{ "{\"verb\":\"restart\",\"name\":\"a\"}", 1, 1,
		    DONE_CHANGED, { NULL }, 0 },
		{ "{\"verb\":\"restart\",\"name\":\"b\"}", 0, 0,
		    DONE_CHANGED, { NULL }, 0 },
	};
	int quit = 0, saved;
	FILE *in = tmpfile();

	assert_non_null(in);
	assert_true(fputs("pw\n", in) >= 0);
	rewind(in);
	saved = dup(0);
	dup2(fileno(in), 0);
	fclose(in);
	client_answer_from_stdin();
	brokers(restart, 2);
	assert_int_equal(run("restart a b", &quit), 0);
	dup2(saved, 0);
	close(saved);
	broker_done();
	assert_string_equal(out, "a: restarted\nb: restarted\n");
}

#define WEB_ROW	"{\"name\":\"web\",\"id\":\"x\",\"cpu_percent\":12.3456," \
	"\"memory_used\":13148160,\"memory_limit\":2087354368," \
	"\"memory_percent\":0.6299,\"net_rx\":1234,\"net_tx\":15700000," \
	"\"block_read\":0,\"block_write\":4096,\"pids\":7}"
#define HEADER	"NAME   CPU %    MEM USAGE / LIMIT      MEM %    NET I/O" \
	"              BLOCK I/O            PIDS\n"
#define WEB_LINE "web    12.35%   12.54MiB / 1.944GiB    0.63%    " \
	"1.23kB / 15.7MB      0B / 4.1kB           7\n"

/* One sample: a table, refused names on stderr, the highest code. */
static void
test_stats(void **state)
{
	assert_run("stats --no-stream web nope",
	    "{\"verb\":\"stats\",\"names\":[\"web\",\"nope\"]}",
	    "{\"exit\":0,\"data\":{\"containers\":[" WEB_ROW "],"
	    "\"errors\":[{\"name\":\"nope\",\"error\":"
	    "\"no such container: nope\",\"exit\":3}]}}", 3,
	    HEADER WEB_LINE, "ctl: no such container: nope\n");
	assert_run("stats --no-stream",
	    "{\"verb\":\"stats\"}",
	    "{\"exit\":0,\"data\":{\"containers\":[{\"name\":"
	    "\"x\\u001b]0;t\",\"id\":\"y\",\"error\":\"gone\"}]}}", 0,
	    "NAME     CPU %    MEM USAGE / LIMIT      MEM %    NET I/O"
	    "              BLOCK I/O            PIDS\n"
	    "x?]0;t   --       --                     --       --"
	    "                   --                   --\n", "");
	assert_run("stats --no-stream --json web",
	    "{\"verb\":\"stats\",\"names\":[\"web\"]}",
	    "{\"exit\":0,\"data\":{\"containers\":[{\"name\":\"web\"}]}}",
	    0, "{\n  \"containers\": [\n    {\n      \"name\": \"web\"\n"
	    "    }\n  ]\n}\n", "");
	assert_run("stats --no-stream web",
	    "{\"verb\":\"stats\",\"names\":[\"web\"]}",
	    "{\"exit\":0,\"data\":{\"containers\":{}}}", 1, "",
	    "ctl: unexpected reply from the broker\n");
}

/*
 * A stream to a pipe: a line per container and round, the header once;
 * with --json, a line of JSON a round; how it ended, on stderr.
 */
static void
test_stats_stream(void **state)
{
	static const struct step lines[] = {
		{ "{\"verb\":\"stats\",\"names\":[\"web\"],\"opts\":"
		    "{\"stream\":true}}", 0, 0,
		    "{\"exit\":0,\"data\":{\"containers\":[],\"ended\":"
		    "\"the broker's idle timeout (9 s) passed\"}}",
		    { "{\"containers\":[" WEB_ROW "]}",
		    "{\"containers\":[" WEB_ROW "]}", NULL }, 0 },
	};
	static const struct step json[] = {
		{ "{\"verb\":\"stats\",\"opts\":{\"stream\":true}}", 0, 0,
		    "{\"exit\":0,\"data\":{\"containers\":[]}}",
		    { "{\"containers\":[{\"name\":\"a\"}],\"errors\":[{"
		    "\"name\":\"b\",\"error\":\"no such container: b\","
		    "\"exit\":3}]}", "{\"containers\":[]}", NULL }, 0 },
	};
	static const struct step stray[] = {
		{ "{\"verb\":\"status\",\"name\":\"web\"}", 0, 0,
		    "{\"exit\":0,\"data\":{}}",
		    { "{\"containers\":[]}", NULL }, 1 },
	};
	int quit = 0;

	brokers(lines, 1);
	assert_int_equal(run("stats web", &quit), 0);
	broker_done();
	assert_string_equal(out, HEADER WEB_LINE WEB_LINE);
	assert_string_equal(errtext, "ctl: stats ended: the broker's idle "
	    "timeout (9 s) passed\n");
	brokers(json, 1);
	assert_int_equal(run("stats --json", &quit), 3);
	broker_done();
	assert_string_equal(out, "{\"containers\":[{\"name\":\"a\"}],"
	    "\"errors\":[{\"name\":\"b\",\"error\":\"no such container: "
	    "b\",\"exit\":3}]}\n{\"containers\":[]}\n");
	assert_string_equal(errtext, "ctl: no such container: b\n");
	brokers(stray, 1);
	assert_int_equal(run("status web", &quit), 1);
	broker_done();
	assert_string_equal(errtext, "ctl: connection to the broker lost "
	    "(unexpected frame)\n");
}

/* A follow's end says how the container exited, on stderr alone. */
static void
test_logs_exit_code(void **state)
{
	static const char req[] = "{\"verb\":\"logs\",\"name\":\"web\","
	    "\"opts\":{\"follow\":true}}";

	assert_run("logs -f web", req,
	    "{\"exit\":0,\"data\":{\"exit_code\":1}}", 0, "",
	    "ctl: web exited with code 1\n");
	assert_run("logs -f web", req,
	    "{\"exit\":0,\"data\":{\"exit_code\":137,\"later\":\"x\"}}", 0,
	    "", "ctl: web exited with code 137\n");
	/* a broker that does not say, or a follow cut short, prints nothing */
	assert_run("logs -f web", req, "{\"exit\":0}", 0, "", "");
	assert_run("logs -f web", req, "{\"exit\":0,\"data\":{}}", 0, "", "");
	assert_run("logs -f web", req, "{\"exit\":1,\"error\":\"the log "
	    "stream ended while web still runs (dockerd restarted?)\"}", 1, "",
	    "ctl: the log stream ended while web still runs (dockerd "
	    "restarted?)\n");
	assert_run("logs -f web", req,
	    "{\"exit\":0,\"data\":{\"exit_code\":\"1\\u001b[2J\"}}", 1, "",
	    "ctl: unexpected reply from the broker\n");
}

static void
test_errors(void **state)
{
	assert_run("logs web", "{\"verb\":\"logs\",\"name\":\"web\"}",
	    "{\"exit\":3,\"error\":\"no such container: web\"}", 3, "",
	    "ctl: no such container: web\n");
}

/* Refused lines never connect: the socket is missing, yet the code is 2. */
static void
test_refused_locally(void **state)
{
	static const struct {
		const char	*line;
		enum refusal	 why;
	} lines[] = {
		{ "ls; id", REFUSAL_HOSTILE },
		{ "bogus", REFUSAL_USAGE },
		{ "logs", REFUSAL_USAGE },
		{ "logs -x web", REFUSAL_USAGE },
		{ "logs 'a b'", REFUSAL_USAGE },
		{ "logs 'a;b'", REFUSAL_HOSTILE },
		{ "provision", REFUSAL_USAGE },
		{ "help bogus", REFUSAL_USAGE },
		{ "stop -t 99999 web", REFUSAL_USAGE },
		{ "status 'web", REFUSAL_USAGE },
		{ "status '$(id)", REFUSAL_HOSTILE },
		{ NULL, REFUSAL_NONE }
	};
	size_t i;
	int quit = 0;

	client_set_socket(nosock);
	for (i = 0; lines[i].line != NULL; i++) {
		assert_int_equal(run(lines[i].line, &quit), EXIT_USAGE);
		assert_string_equal(out, "");
		assert_int_equal(strncmp(errtext, "ctl: ", 5), 0);
		assert_null(strstr(errtext, "cannot reach"));
		if (refused != lines[i].why)
			fail_msg("\"%s\": refused as %d, not %d", lines[i].line,
			    refused, lines[i].why);
	}
	assert_int_equal(quit, 0);
	assert_int_equal(run("ls", &quit), EXIT_UNREACHABLE);
	assert_int_equal(refused, REFUSAL_NONE);
	assert_non_null(strstr(errtext, "cannot reach the ctl broker"));
}

/* A mistake is answered with the verb's usage; an attack is not. */
static void
test_usage_after_a_mistake(void **state)
{
	int quit = 0;

	client_set_socket(nosock);
	assert_int_equal(run("logs", &quit), EXIT_USAGE);
	assert_string_equal(errtext, "ctl: logs needs a container name\n"
	    "usage: logs [-f] [-n N] [--since T] [--until T] [-t] [--raw] "
	    "NAME\n");
	assert_int_equal(run("ls -x", &quit), EXIT_USAGE);
	assert_string_equal(errtext, "ctl: unknown option '-x' for ls "
	    "(try 'help ls')\nusage: ls [-q] [--json]\n");
	assert_int_equal(run("lss", &quit), EXIT_USAGE);
	assert_string_equal(errtext, "ctl: unknown command 'lss' "
	    "(try 'help')\n");
	assert_int_equal(run("ls '$(id)'", &quit), EXIT_USAGE);
	assert_null(strstr(errtext, "usage:"));
}

static void
test_local(void **state)
{
	static const char usage[] = "usage: logs [-f] [-n N] [--since T] "
	    "[--until T] [-t] [--raw] NAME\nshow a container's or a service's "
	    "logs\n\n";
	int quit = 0;

	client_set_socket(nosock);
	assert_int_equal(run("help", &quit), 0);
	/* help asks the broker what to mark; without one it just lists */
	assert_string_equal(errtext, "");
	assert_null(strstr(out, "(-)"));
	assert_non_null(strstr(out, "  logs       show a container's or a "
	    "service's logs\n"));
	assert_non_null(strstr(out, "  scale      set a replicated service's "
	    "replica count\n"));
	assert_non_null(strstr(out, "  forget "));
	assert_null(strstr(out, "provision"));
	assert_int_equal(run("help logs", &quit), 0);
	assert_int_equal(strncmp(out, usage, strlen(usage)), 0);
	assert_non_null(strstr(out, "  -n, --tail N          show the last N "
	    "lines"));
	assert_non_null(strstr(out, "      --since T       "));
	/* a verb on a name says how to tell a service from a container */
	assert_non_null(strstr(out, "\n\nWhere a container and a service have "
	    "one name, say which: service:NAME or\ncontainer:NAME.\n"));
	assert_int_equal(run("help scale", &quit), 0);
	assert_string_equal(out, "usage: scale NAME N\nset a replicated "
	    "service's replica count\n\nWhere a container and a service have "
	    "one name, say which: service:NAME or\ncontainer:NAME.\n");
	assert_int_equal(run("help restart", &quit), 0);
	assert_non_null(strstr(out, "  -d, --detach          do not wait for a "
	    "service's update to converge\n"));
	/* stats' names are containers only; ls takes none */
	assert_int_equal(run("help stats", &quit), 0);
	assert_null(strstr(out, "service:NAME"));
	assert_int_equal(run("help ls", &quit), 0);
	assert_null(strstr(out, "service:NAME"));
	assert_int_equal(run("", &quit), 0);
	assert_int_equal(run("  ctl  ", &quit), 0);
	assert_int_equal(quit, 0);
	assert_int_equal(run("exit", &quit), 0);
	assert_int_equal(quit, 1);
	quit = 0;
	assert_int_equal(run("ctl quit", &quit), 0);
	assert_int_equal(quit, 1);
}

static int
before(void **state)
{
	client_set_socket(sockpath);
	program_invocation_short_name = (char *)"ctl";
	welcome = WELCOME_ONE;
	return 0;
}

static int
after(void **state)
{
	if (broker_pid > 0) {
		kill(broker_pid, SIGKILL);
		waitpid(broker_pid, NULL, 0);
		broker_pid = 0;
	}
	return 0;
}

static int
setup(void **state)
{
	struct sockaddr_un sun;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sockpath, sizeof(sockpath), "%s/sock", dir);
	snprintf(nosock, sizeof(nosock), "%s/none", dir);
	snprintf(outpath, sizeof(outpath), "%s/out", dir);
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sockpath, strlen(sockpath));
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 8) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
teardown(void **state)
{
	close(lfd);
	unlink(sockpath);
	unlink(outpath);
	unlink(errpath);
	rmdir(dir);
	return 0;
}

#define T(test)	cmocka_unit_test_setup_teardown(test, before, after)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ls),
		T(test_ls_quiet),
		T(test_ls_unreachable),
		T(test_engines),
		T(test_engines_unreachable),
		T(test_services_ls),
		T(test_service_status),
		T(test_service_changes),
		T(test_logs_exit_code),
		T(test_json),
		T(test_can),
		T(test_status),
		T(test_changes),
		T(test_stats),
		T(test_stats_stream),
		T(test_errors),
		T(test_refused_locally),
		T(test_usage_after_a_mistake),
		T(test_local),
		T(test_several_names),
		T(test_several_names_one_password),	/* last: -S stays on */
	};

	alarm(60);
	return cmocka_run_group_tests(tests, setup, teardown);
}
