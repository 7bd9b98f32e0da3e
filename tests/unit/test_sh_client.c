/*
 * Unit tests for shell/client.c against a scripted broker: a forked child
 * on a socket in a temporary directory, speaking through common/proto.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "client.h"
#include "proto.h"
#include "sig.h"

static char dir[] = "/tmp/ctl-test-XXXXXX";
static char sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char outpath[64], errpath[64];
static int lfd = -1;
static pid_t broker_pid;
static struct frame f;

/* The broker side. Any surprise is a distinct exit code of the child. */

static void
expect(int fd, uint8_t type, const char *payload)
{
	const char *why;

	if (proto_recv(fd, &f, 5000, &why) != 1)
		_exit(20);
	if (f.type != type)
		_exit(21);
	if (payload != NULL && strcmp((char *)f.buf, payload) != 0) {
		fprintf(stderr, "broker got %s, want %s\n", f.buf, payload);
		_exit(22);
	}
}

static void
say(int fd, uint8_t type, const char *s)
{
	if (proto_send(fd, type, s, strlen(s)) == -1)
		_exit(23);
}

static void
greet(int fd)
{
	expect(fd, FRAME_HELLO, "{\"proto\":1}");
	say(fd, FRAME_WELCOME, "{\"proto\":1,\"user\":\"alice\","
	    "\"host\":\"build01\",\"idle_timeout\":60}");
}

/*
 * The request, whose "prompt" says whether the client could answer a
 * password prompt: 1 or 0 as asked, -1 when it depends on whether the
 * test runs on a terminal.
 */
static void
greet_request_prompt(int fd, int prompt)
{
	static const char base[] = "{\"verb\":\"logs\",\"name\":\"web\","
	    "\"prompt\":";
	const char *why, *rest;

	greet(fd);
	if (proto_recv(fd, &f, 5000, &why) != 1 || f.type != FRAME_REQUEST)
		_exit(20);
	rest = (const char *)f.buf + sizeof(base) - 1;
	if (strncmp((char *)f.buf, base, sizeof(base) - 1) != 0 ||
	    (strcmp(rest, "true}") != 0 && strcmp(rest, "false}") != 0) ||
	    (prompt != -1 && (strcmp(rest, "true}") == 0) != prompt)) {
		fprintf(stderr, "broker got %s, want prompt %d\n", f.buf,
		    prompt);
		_exit(22);
	}
}

static void
greet_request(int fd)
{
	greet_request_prompt(fd, -1);
}

static pid_t
broker(void (*script)(int))
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(10);	/* never outlive the test */
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			_exit(24);
		script(fd);
		close(fd);
		_exit(0);
	}
	broker_pid = pid;
	return pid;
}

static void
broker_done(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	broker_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("broker child failed: status %#x", status);
}

/* The client side, its fds 1 and 2 in files. */

static char out[8192], errtext[8192];
static size_t outlen;

static size_t
slurp(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	assert_true((fd = open(path, O_RDONLY)) != -1);
	n = read(fd, buf, size - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return (size_t)n;
}

static int
run(int flags, json_t **data)
{
	json_t *req;
	int o, e, so, se, rc;

	req = json_pack("{s:s,s:s}", "verb", "logs", "name", "web");
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	o = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(o, 1);
	dup2(e, 2);
	rc = client_run(req, flags, data);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(o);
	close(e);
	close(so);
	close(se);
	json_decref(req);
	outlen = slurp(outpath, out, sizeof(out));
	slurp(errpath, errtext, sizeof(errtext));
	return rc;
}

static void
assert_err(const char *want)
{
	if (strstr(errtext, want) == NULL)
		fail_msg("stderr \"%s\" lacks \"%s\"", errtext, want);
}

/* Scripts. */

static void
s_relay(int fd)
{
	greet_request(fd);
	if (proto_send(fd, FRAME_STDOUT, "out\0\xff\n", 6) == -1)
		_exit(30);
	say(fd, FRAME_STDERR, "err\033[31m\n");
	say(fd, FRAME_STDOUT, "more\n");
	say(fd, FRAME_DONE, "{\"exit\":0,\"data\":{\"k\":[1,2]}}");
}

static void
test_relay(void **state)
{
	json_t *data = NULL;
	pid_t pid = broker(s_relay);

	assert_int_equal(run(0, &data), 0);
	broker_done(pid);
	assert_int_equal(outlen, 11);
	assert_memory_equal(out, "out\0\xff\nmore\n", 11);
	assert_string_equal(errtext, "err\033[31m\n");	/* byte-exact */
	assert_non_null(data);
	assert_int_equal(json_array_size(json_object_get(data, "k")), 2);
	json_decref(data);
}

static void
s_quiet(int fd)
{
	greet_request(fd);
	say(fd, FRAME_STDOUT, "noise\n");
	say(fd, FRAME_DONE, "{\"exit\":0,\"data\":{}}");
}

static void
test_quiet(void **state)
{
	json_t *data = NULL;
	pid_t pid = broker(s_quiet);

	assert_int_equal(run(CLIENT_QUIET, &data), 0);
	broker_done(pid);
	assert_int_equal(outlen, 0);
	assert_non_null(data);
	json_decref(data);
}

static void
s_notfound(int fd)
{
	greet_request(fd);
	say(fd, FRAME_DONE, "{\"exit\":3,\"error\":\"no such container: "
	    "web\\u001b]0;x\\u0007\",\"data\":{\"x\":1}}");
}

static void
test_error_sanitized(void **state)
{
	json_t *data = (json_t *)1;
	pid_t pid = broker(s_notfound);

	assert_int_equal(run(0, &data), 3);
	broker_done(pid);
	assert_null(data);
	assert_string_equal(errtext, "ctl: no such container: web?]0;x?\n");
}

static void
s_noerror(int fd)
{
	greet_request(fd);
	say(fd, FRAME_DONE, "{\"exit\":1}");
}

static void
s_oddcode(int fd)
{
	greet_request(fd);
	say(fd, FRAME_DONE, "{\"exit\":42,\"error\":\"odd\"}");
}

static void
test_exit_codes(void **state)
{
	pid_t pid = broker(s_noerror);

	assert_int_equal(run(0, NULL), 1);
	broker_done(pid);
	assert_err("ctl: the operation failed");
	pid = broker(s_oddcode);
	assert_int_equal(run(0, NULL), 1);
	broker_done(pid);
	assert_err("ctl: odd");
}

static void
s_refused(int fd)
{
	expect(fd, FRAME_HELLO, NULL);
	say(fd, FRAME_DONE, "{\"exit\":4,\"error\":\"account expired\"}");
}

static void
s_eof_hello(int fd)
{
	expect(fd, FRAME_HELLO, NULL);
}

static void
s_bad_welcome(int fd)
{
	expect(fd, FRAME_HELLO, NULL);
	say(fd, FRAME_WELCOME, "{\"proto\":2,\"user\":\"a\",\"host\":\"b\"}");
}

static void
s_stdout_first(int fd)
{
	expect(fd, FRAME_HELLO, NULL);
	say(fd, FRAME_STDOUT, "x");
}

static void
test_before_welcome(void **state)
{
	pid_t pid = broker(s_refused);

	assert_int_equal(run(0, NULL), 4);
	broker_done(pid);
	assert_err("ctl: account expired");

	pid = broker(s_eof_hello);
	assert_int_equal(run(0, NULL), 5);
	broker_done(pid);
	assert_err("ctl: connection to the broker lost");

	pid = broker(s_bad_welcome);
	assert_int_equal(run(0, NULL), 5);
	broker_done(pid);
	assert_err("malformed welcome");

	pid = broker(s_stdout_first);
	assert_int_equal(run(0, NULL), 5);
	broker_done(pid);
	assert_err("unexpected frame");
	assert_int_equal(outlen, 0);
}

static void
s_eof_request(int fd)
{
	greet_request(fd);
	say(fd, FRAME_STDOUT, "partial\n");
}

static void
s_bad_type(int fd)
{
	unsigned char hdr[PROTO_HDR_LEN] = { FRAME_TYPE_MAX + 1, 0, 0, 0, 0 };

	greet_request(fd);
	if (write(fd, hdr, sizeof(hdr)) != sizeof(hdr))
		_exit(31);
}

static void
s_welcome_again(int fd)
{
	greet_request(fd);
	say(fd, FRAME_WELCOME, "{\"proto\":1,\"user\":\"a\",\"host\":\"b\"}");
}

static void
s_bad_json(int fd)
{
	greet_request(fd);
	say(fd, FRAME_DONE, "{\"exit\":0,\"exit\":1}");
}

static void
s_oversize(int fd)
{
	unsigned char hdr[PROTO_HDR_LEN];

	greet_request(fd);
	proto_put_header(hdr, FRAME_STDOUT, PROTO_MAX_LEN + 1);
	if (write(fd, hdr, sizeof(hdr)) != sizeof(hdr))
		_exit(31);
}

static void
test_after_welcome(void **state)
{
	static const struct {
		void		(*script)(int);
		const char	*msg;
	} cases[] = {
		{ s_eof_request, "connection to the broker lost\n" },
		{ s_bad_type, "unknown frame type" },
		{ s_welcome_again, "unexpected frame" },
		{ s_bad_json, "malformed JSON" },
		{ s_oversize, "oversize frame" },
	};
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid = broker(cases[i].script);
		assert_int_equal(run(0, NULL), 1);
		broker_done(pid);
		assert_err(cases[i].msg);
	}
}

static void
test_unreachable(void **state)
{
	char missing[sizeof(sockpath) + 8];

	snprintf(missing, sizeof(missing), "%s/nope", dir);
	client_set_socket(missing);
	assert_int_equal(run(0, NULL), 5);
	assert_err("ctl: cannot reach the ctl broker at ");
	assert_err("/nope: No such file or directory");
	client_set_socket(sockpath);
}

static void
s_info(int fd)
{
	greet_request(fd);
	say(fd, FRAME_PROMPT, "{\"style\":\"info\",\"text\":\"hi\\u001b\"}");
	expect(fd, FRAME_REPLY, "{\"text\":\"\"}");
	say(fd, FRAME_PROMPT, "{\"style\":\"error\",\"text\":\"careful\"}");
	expect(fd, FRAME_REPLY, "{\"text\":\"\"}");
	say(fd, FRAME_DONE, "{\"exit\":0}");
}

static void
s_bad_style(int fd)
{
	greet_request(fd);
	say(fd, FRAME_PROMPT, "{\"style\":\"binary\",\"text\":\"x\"}");
}

/* The broker gives up and closes: its done, not the failed reply, counts. */
static void
s_timed_out(int fd)
{
	greet_request(fd);
	say(fd, FRAME_PROMPT, "{\"style\":\"info\",\"text\":\"wait\"}");
	say(fd, FRAME_DONE, "{\"exit\":4,\"error\":\"authentication timed "
	    "out\"}");
	shutdown(fd, SHUT_RDWR);
}

static void
test_info_prompts(void **state)
{
	pid_t pid = broker(s_info);

	assert_int_equal(run(0, NULL), 0);
	broker_done(pid);
	assert_string_equal(errtext, "hi?\ncareful\n");
	pid = broker(s_timed_out);
	assert_int_equal(run(0, NULL), EXIT_AUTH);
	broker_done(pid);
	assert_string_equal(errtext, "wait\nctl: authentication timed out\n");
	pid = broker(s_bad_style);
	assert_int_equal(run(0, NULL), 1);
	broker_done(pid);
	assert_err("unknown prompt style");
}

static void
s_password_unanswered(int fd)
{
	const char *why;

	greet_request(fd);
	say(fd, FRAME_PROMPT, "{\"style\":\"echo_off\",\"text\":\"Password: \"}");
	if (proto_recv(fd, &f, 5000, &why) != 0)	/* EOF, no reply */
		_exit(32);
}

/* Without a terminal the request says it cannot answer a prompt. */
static void
s_password_unanswerable(int fd)
{
	const char *why;

	greet_request_prompt(fd, 0);
	say(fd, FRAME_PROMPT, "{\"style\":\"echo_off\",\"text\":\"Password: \"}");
	if (proto_recv(fd, &f, 5000, &why) != 0)	/* EOF, no reply */
		_exit(32);
}

/* Without a controlling terminal the password is refused, exit 4. */
static void
test_password_no_tty(void **state)
{
	pid_t pid = broker(s_password_unanswerable), child;
	int status;

	if ((child = fork()) == 0) {
		setsid();
		_exit(run(0, NULL) == EXIT_AUTH &&
		    strstr(errtext, "a password is needed but there is no "
		    "terminal") != NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	broker_done(pid);

	pid = broker(s_password_unanswered);
	assert_int_equal(run(CLIENT_QUIET, NULL), EXIT_AUTH);
	broker_done(pid);
	assert_int_equal(errtext[0], '\0');
}

static void
s_password(int fd)
{
	greet_request_prompt(fd, 1);
	say(fd, FRAME_PROMPT, "{\"style\":\"echo_off\",\"text\":\"Password: \"}");
	expect(fd, FRAME_REPLY, "{\"text\":\"hun\\\"ter\\\\2\\u0001\"}");
	say(fd, FRAME_DONE, "{\"exit\":0}");
}

/* On a terminal: read with echo off, sent escaped, echo restored. */
static void
test_password_tty(void **state)
{
	char seen[256] = "";
	size_t got = 0;
	ssize_t n;
	pid_t pid = broker(s_password), child;
	int master, slave, status;

	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	if ((child = fork()) == 0) {
		close(master);
		setsid();
		if (ioctl(slave, TIOCSCTTY, 0) == -1)
			_exit(2);
		_exit(run(0, NULL));
	}
	close(slave);
	while (got < sizeof(seen) - 1 && strstr(seen, "Password: ") == NULL) {
		if ((n = read(master, seen + got, sizeof(seen) - 1 - got)) <= 0)
			break;
		got += (size_t)n;
		seen[got] = '\0';
	}
	assert_non_null(strstr(seen, "Password: "));
	assert_true(write(master, "hun\"ter\\2\001\n", 11) == 11);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	broker_done(pid);
	while ((n = read(master, seen + got, sizeof(seen) - 1 - got)) > 0)
		got += (size_t)n;
	seen[got] = '\0';
	assert_null(strstr(seen, "hun"));		/* no echo */
	close(master);
}

/* The request came: then the user's Ctrl-C (not before: on a busy
 * machine a timer could beat the client to its request). */
static void
s_interrupt(int fd)
{
	const char *why;

	greet_request(fd);
	kill(getppid(), SIGINT);
	if (proto_recv(fd, &f, 5000, &why) != 0)	/* the client leaves */
		_exit(33);
}

/* SIGINT during a request closes the connection and returns 130. */
static void
test_interrupt(void **state)
{
	pid_t pid = broker(s_interrupt);

	sig_init(0);
	assert_int_equal(run(0, NULL), 130);
	broker_done(pid);
	assert_int_equal(sig_caught(), SIGINT);
	sig_clear();
	assert_int_equal(sig_caught(), 0);
}

/*
 * A Ctrl-C that lands after the prompt is shown but before the read
 * starts still ends the wait on the terminal (which no signal shuts
 * down). A child, so that a wait that never ends is a failure, not a hang.
 */
static void
test_interrupt_before_the_wait(void **state)
{
	int p[2], status;
	pid_t child;

	assert_int_equal(pipe(p), 0);
	if ((child = fork()) == 0) {
		alarm(5);
		sig_init(0);
		raise(SIGINT);
		if (sig_wait(p[0], -1) != -1 || errno != EINTR)
			_exit(1);
		_exit(sig_caught() == SIGINT ? 0 : 2);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	close(p[0]);
	close(p[1]);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The wait still times out and still sees input. */
static void
test_wait_times_out_and_reads(void **state)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(sig_wait(p[0], 10), 0);
	assert_true(write(p[1], "x", 1) == 1);
	assert_int_equal(sig_wait(p[0], -1), 1);
	close(p[0]);
	close(p[1]);
}

static int
before(void **state)
{
	client_set_socket(sockpath);
	program_invocation_short_name = (char *)"ctl";
	return 0;
}

/* A failed test leaves its broker waiting: it must not take the next. */
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
	snprintf(outpath, sizeof(outpath), "%s/out", dir);
	snprintf(errpath, sizeof(errpath), "%s/err", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sockpath, strlen(sockpath));
	if ((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 8) == -1)
		return -1;
	client_set_socket(sockpath);
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

/* The welcome of the next s_welcome broker. */
static const char *welcome_text;

static void
s_welcome(int fd)
{
	expect(fd, FRAME_HELLO, NULL);
	say(fd, FRAME_WELCOME, welcome_text);
	if (proto_recv(fd, &f, 5000, &(const char *){ NULL }) == 1 &&
	    f.type == FRAME_REQUEST)
		say(fd, FRAME_DONE, "{\"exit\":0}");
}

static int
run_welcome(const char *text)
{
	pid_t pid;
	int rc;

	welcome_text = text;
	pid = broker(s_welcome);
	rc = run(0, NULL);
	broker_done(pid);
	return rc;
}

/* A welcome listing n engines e0, e1, ... */
static const char *
engines_of(size_t n, char *buf, size_t len)
{
	size_t i, k;

	k = (size_t)snprintf(buf, len, "{\"proto\":1,\"user\":\"a\","
	    "\"host\":\"h\",\"engines\":[");
	for (i = 0; i < n; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s\"e%zu\"",
		    i > 0 ? "," : "", i);
	snprintf(buf + k, len - k, "]}");
	return buf;
}

/* The welcome's engines are kept, in order, until the next welcome. */
static void
test_engines(void **state)
{
	static const char *const bad[] = { "\"local\"", "[\"a/b\"]",
	    "[\"\"]", "[1]", "[\"-x\"]", "[null]", "{}" };
	char text[2048];
	size_t i;

	assert_int_equal(run_welcome("{\"proto\":1,\"user\":\"a\","
	    "\"host\":\"h\",\"engines\":[\"local\",\"build02\"]}"), 0);
	assert_int_equal(client_engines()->n, 2);
	assert_string_equal(client_engines()->name[0], "local");
	assert_string_equal(client_engines()->name[1], "build02");
	assert_int_equal(run_welcome("{\"proto\":1,\"user\":\"a\","
	    "\"host\":\"h\"}"), 0);
	assert_int_equal(client_engines()->n, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"proto\":1,\"user\":\"a\","
		    "\"host\":\"h\",\"engines\":%s}", bad[i]);
		assert_int_equal(run_welcome(text), 5);
		assert_err("malformed welcome");
	}
	assert_int_equal(run_welcome(engines_of(ENGINES_MAX, text,
	    sizeof(text))), 0);
	assert_int_equal(client_engines()->n, ENGINES_MAX);
	assert_string_equal(client_engines()->name[ENGINES_MAX - 1], "e63");
	assert_int_equal(run_welcome(engines_of(ENGINES_MAX + 1, text,
	    sizeof(text))), 5);
	assert_err("malformed welcome");
}

static void
s_unreachable(int fd)
{
	greet_request(fd);
	say(fd, FRAME_DONE, "{\"exit\":1,\"error\":\"build02 did not "
	    "answer\",\"data\":{\"containers\":[]}}");
}

/*
 * CLIENT_PARTIAL: a failing done's data is kept and its error held for
 * client_say_error(); one without data says its error at once.
 */
static void
test_partial(void **state)
{
	json_t *data = NULL;
	pid_t pid = broker(s_unreachable);

	assert_int_equal(run(CLIENT_PARTIAL, &data), 1);
	broker_done(pid);
	assert_non_null(data);
	assert_non_null(json_object_get(data, "containers"));
	assert_string_equal(errtext, "");
	json_decref(data);
	data = NULL;
	pid = broker(s_noerror);
	assert_int_equal(run(CLIENT_PARTIAL, &data), 1);
	broker_done(pid);
	assert_null(data);
	assert_string_equal(errtext, "ctl: the operation failed\n");
	pid = broker(s_unreachable);
	assert_int_equal(run(0, &data), 1);
	broker_done(pid);
	assert_null(data);
	assert_string_equal(errtext, "ctl: build02 did not answer\n");
}

#define T(test)	cmocka_unit_test_setup_teardown(test, before, after)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_relay),
		T(test_quiet),
		T(test_error_sanitized),
		T(test_exit_codes),
		T(test_before_welcome),
		T(test_after_welcome),
		T(test_unreachable),
		T(test_info_prompts),
		T(test_password_no_tty),
		T(test_password_tty),
		T(test_interrupt),
		T(test_interrupt_before_the_wait),
		T(test_wait_times_out_and_reads),
		T(test_engines),
		T(test_partial),
	};

	alarm(60);	/* a hung client fails the run instead of stalling it */
	return cmocka_run_group_tests(tests, setup, teardown);
}
