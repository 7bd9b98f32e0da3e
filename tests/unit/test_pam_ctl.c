/*
 * Tests of pam_ctl.so through the real libpam: each test writes a
 * service file into a temporary directory, opens it with
 * pam_start_confdir() and asserts the return code of pam_acct_mgmt,
 * pam_open_session or pam_close_session.
 *
 * The broker side is the test's own peer: a thread serving a Unix socket
 * in the temporary directory with common/proto.c, following a script
 * (answer, refuse, stay silent, send garbage...) and recording what the
 * module sent. The module's syslog lines are captured by interposing
 * __syslog_chk, which libpam's pam_syslog calls, so that the tests can
 * check what an administrator would read.
 *
 * Two account tests create a group (pamctlt-<pid>) with groupadd and
 * remove it at the end; without root they are skipped.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <security/pam_appl.h>

#include "proto.h"

#define SERVICE		"pamctl-test"
#define MAXCONN		4
#define PEER_WAIT_MS	5000	/* the peer's patience; above any timeout= */

/* --- captured syslog --------------------------------------------------- */

static char	logbuf[65536];
static size_t	loglen;

/* Default visibility: the build hides symbols, and libpam must see it. */
__attribute__((visibility("default"))) void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%d|%s\n",
	    pri & LOG_PRIMASK, line);
	if (n > 0 && (size_t)n < sizeof(logbuf) - loglen)
		loglen += (size_t)n;
}

static void
log_reset(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

/* Is there a line at priority pri containing needle? */
static int
logged(int pri, const char *needle)
{
	char prefix[8];
	const char *p, *eol;
	size_t plen;

	snprintf(prefix, sizeof(prefix), "%d|", pri);
	plen = strlen(prefix);
	for (p = logbuf; *p != '\0'; p = eol + 1) {
		if ((eol = strchr(p, '\n')) == NULL)
			break;
		if (strncmp(p, prefix, plen) == 0 &&
		    memmem(p, (size_t)(eol - p), needle, strlen(needle)) !=
		    NULL)
			return 1;
	}
	return 0;
}

static void
assert_logged(int pri, const char *needle)
{
	if (!logged(pri, needle))
		fail_msg("no log line at priority %d with \"%s\"; log:\n%s",
		    pri, needle, logbuf);
}

/* --- the test's broker peer -------------------------------------------- */

enum script {
	S_OK,		/* welcome, done exit 0 with containers */
	S_FAIL,		/* welcome, done exit 1 (error with a newline) */
	S_REFUSE,	/* done exit 4 instead of welcome */
	S_SILENT,	/* reads hello, never answers */
	S_SILENT_LATE,	/* welcome, reads request, never answers */
	S_BADTYPE,	/* a frame header of type 9 */
	S_OVERSIZE,	/* a header announcing PROTO_MAX_LEN + 1 bytes */
	S_BADJSON,	/* welcome, done that is not JSON */
	S_NOEXIT,	/* welcome, done without "exit" */
	S_PROMPT,	/* welcome, a prompt */
	S_OUTPUT,	/* welcome, stdout and stderr, done exit 0 */
	S_HANGUP,	/* welcome, reads request, closes */
	S_OLDPROTO,	/* welcome {"proto": 2} */
	S_WRONGFIRST,	/* stdout before welcome */
	S_BACKLOG	/* listen(0), never accept */
};

struct conn {
	uint8_t		 hello_type;
	char		 hello[512];
	uint8_t		 req_type;
	char		 req[512];
	int		 after;		/* frames sent after our last one */
	int		 eof;		/* the module closed its end */
};

static struct server {
	char		 dir[64];
	char		 path[108];
	int		 lfd;
	int		 stop[2];
	enum script	 script;
	pthread_t	 thr;
	int		 nconn;
	struct conn	 conn[MAXCONN];
	int		 filler;	/* S_BACKLOG: the queued connection */
	int		 running;
} srv;

static int	conv_calls;

static void
put_json(int fd, uint8_t type, const char *text)
{
	json_t *j;

	j = json_loads(text, 0, NULL);
	if (j != NULL) {
		(void)proto_send_json(fd, type, j);
		json_decref(j);
	}
}

static void
put_header(int fd, uint8_t type, uint32_t len)
{
	unsigned char hdr[PROTO_HDR_LEN];

	proto_put_header(hdr, type, len);
	(void)send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL);
}

/* Reads one frame into buf; returns its type, or 0. */
static uint8_t
take(int fd, struct frame *f, char *buf, size_t len)
{
	const char *why;

	if (proto_recv(fd, f, PEER_WAIT_MS, &why) != 1)
		return 0;
	snprintf(buf, len, "%.*s", (int)f->len, (const char *)f->buf);
	return f->type;
}

/* Until the module closes: counts anything else it sends. */
static void
drain(int fd, struct frame *f, struct conn *c)
{
	const char *why;
	int rc;

	while ((rc = proto_recv(fd, f, PEER_WAIT_MS, &why)) == 1)
		c->after++;
	c->eof = rc == 0;
}

static void
serve(int fd, struct conn *c, struct frame *f)
{
	c->hello_type = take(fd, f, c->hello, sizeof(c->hello));
	switch (srv.script) {
	case S_REFUSE:
		put_json(fd, FRAME_DONE,
		    "{\"exit\": 4, \"error\": \"account refused\"}");
		goto out;
	case S_SILENT:
		goto out;
	case S_BADTYPE:
		put_header(fd, FRAME_TYPE_MAX + 1, 0);
		goto out;
	case S_OVERSIZE:
		put_header(fd, FRAME_DONE, PROTO_MAX_LEN + 1);
		goto out;
	case S_OLDPROTO:
		put_json(fd, FRAME_WELCOME, "{\"proto\": 2}");
		goto out;
	case S_WRONGFIRST:
		(void)proto_send(fd, FRAME_STDOUT, "hi", 2);
		goto out;
	default:
		put_json(fd, FRAME_WELCOME, "{\"proto\": 1, \"user\": \"root\","
		    " \"host\": \"test\", \"idle_timeout\": 900}");
	}
	c->req_type = take(fd, f, c->req, sizeof(c->req));
	switch (srv.script) {
	case S_OK:
		put_json(fd, FRAME_DONE, "{\"exit\": 0, \"data\": "
		    "{\"containers\": ["
		    "{\"name\": \"root-dev\", \"created\": true,"
		    " \"started\": true},"
		    "{\"name\": \"root-db\", \"created\": false,"
		    " \"started\": false}]}}");
		break;
	case S_FAIL:
		put_json(fd, FRAME_DONE, "{\"exit\": 1, \"error\": "
		    "\"dockerd unreachable\\nforged line\"}");
		break;
	case S_BADJSON:
		(void)proto_send(fd, FRAME_DONE, "{\"exit\": 0", 10);
		break;
	case S_NOEXIT:
		put_json(fd, FRAME_DONE, "{\"error\": \"\"}");
		break;
	case S_PROMPT:
		put_json(fd, FRAME_PROMPT,
		    "{\"style\": \"echo_off\", \"text\": \"Password: \"}");
		break;
	case S_OUTPUT:
		(void)proto_send(fd, FRAME_STDOUT, "pulling image\n", 14);
		(void)proto_send(fd, FRAME_STDERR, "warn\033[31m", 9);
		put_json(fd, FRAME_DONE, "{\"exit\": 0, \"error\": \"\"}");
		break;
	case S_HANGUP:
		close(fd);
		c->eof = 1;
		return;
	default:
		break;
	}
out:
	drain(fd, f, c);
	close(fd);
}

static void *
server_main(void *arg)
{
	struct pollfd pfd[2];
	struct frame *f;
	int fd;

	if ((f = malloc(sizeof(*f))) == NULL)
		return NULL;
	for (;;) {
		pfd[0].fd = srv.script == S_BACKLOG ? -1 : srv.lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = srv.stop[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(srv.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		if (srv.nconn == MAXCONN) {
			close(fd);
			continue;
		}
		serve(fd, &srv.conn[srv.nconn++], f);
	}
	free(f);
	return NULL;
}

static void
server_start(enum script s)
{
	struct sockaddr_un sun;

	srv.script = s;
	srv.nconn = 0;
	srv.filler = -1;
	memset(srv.conn, 0, sizeof(srv.conn));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, srv.path);
	srv.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(srv.lfd >= 0);
	assert_int_equal(bind(srv.lfd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	assert_int_equal(listen(srv.lfd, s == S_BACKLOG ? 0 : 8), 0);
	if (s == S_BACKLOG) {
		/* fills the backlog: the module's connect must wait */
		srv.filler = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(srv.filler, (struct sockaddr *)&sun,
		    sizeof(sun)), 0);
	}
	assert_int_equal(pipe2(srv.stop, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&srv.thr, NULL, server_main, NULL),
	    0);
	srv.running = 1;
}

static void
server_stop(void)
{
	srv.running = 0;
	assert_int_equal(write(srv.stop[1], "x", 1), 1);
	assert_int_equal(pthread_join(srv.thr, NULL), 0);
	close(srv.stop[0]);
	close(srv.stop[1]);
	close(srv.lfd);
	if (srv.filler != -1)
		close(srv.filler);
	unlink(srv.path);
}

/* --- PAM --------------------------------------------------------------- */

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *appdata)
{
	conv_calls++;
	return PAM_CONV_ERR;
}

static const struct pam_conv pconv = { conv, NULL };

static void
write_service(const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", srv.dir, SERVICE);
	fp = fopen(path, "w");
	assert_non_null(fp);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(fp), 0);
}

static pam_handle_t *
start(const char *user)
{
	pam_handle_t *pamh = NULL;

	log_reset();
	conv_calls = 0;
	assert_int_equal(pam_start_confdir(SERVICE, user, &pconv, srv.dir,
	    &pamh), PAM_SUCCESS);
	return pamh;
}

static void
end(pam_handle_t *pamh, int rc)
{
	assert_int_equal(pam_end(pamh, rc), PAM_SUCCESS);
}

static int
count_fds(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The JSON text s equals the JSON text want (same keys, no others). */
static void
assert_json(const char *s, const char *want)
{
	json_t *a, *b;
	int eq;

	a = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	b = json_loads(want, 0, NULL);
	assert_non_null(b);
	eq = a != NULL && json_equal(a, b);
	json_decref(a);
	json_decref(b);
	if (!eq)
		fail_msg("got %s, want %s", s, want);
}

/* One open_session against script s; returns pam_open_session's code. */
static int
open_with(enum script s, const char *opts)
{
	pam_handle_t *pamh;
	int rc;

	write_service("session required %s socket=%s %s\n", PAM_CTL_SO,
	    srv.path, opts);
	server_start(s);
	pamh = start("root");
	rc = pam_open_session(pamh, 0);
	end(pamh, rc);
	server_stop();
	assert_int_equal(conv_calls, 0);
	return rc;
}

/* --- suite set-up ------------------------------------------------------ */

static char	group[32];	/* root is not in it until a test adds it */

static int
suite_setup(void **state)
{
	char cmd[128];

	strcpy(srv.dir, "/tmp/pamctl-XXXXXX");
	if (mkdtemp(srv.dir) == NULL)
		return -1;
	snprintf(srv.path, sizeof(srv.path), "%s/ctld.sock", srv.dir);
	snprintf(group, sizeof(group), "pamctlt-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "groupadd %s", group);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_pam_ctl: %s failed (not root?); "
		    "skipping the tests that need it\n", cmd);
		group[0] = '\0';
	}
	return 0;
}

static int
suite_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "groupdel %s", group);
	if (group[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "test_pam_ctl: %s failed\n", cmd);
	snprintf(cmd, sizeof(cmd), "%s/%s", srv.dir, SERVICE);
	unlink(cmd);
	unlink(srv.path);
	rmdir(srv.dir);
	return 0;
}

/* A test that failed half-way may have left its peer listening. */
static int
test_teardown(void **state)
{
	if (srv.running)
		server_stop();
	unlink(srv.path);
	return 0;
}

/* --- account ----------------------------------------------------------- */

static int
account(const char *user, const char *opts)
{
	pam_handle_t *pamh;
	int rc;

	write_service("account required %s %s\n", PAM_CTL_SO, opts);
	pamh = start(user);
	rc = pam_acct_mgmt(pamh, 0);
	end(pamh, rc);
	return rc;
}

static void
test_acct_primary_group(void **state)
{
	assert_int_equal(account("root", "require_group=root"), PAM_SUCCESS);
	assert_int_equal(conv_calls, 0);
}

static void
test_acct_not_member(void **state)
{
	char opt[64];

	if (group[0] == '\0')
		skip();
	snprintf(opt, sizeof(opt), "require_group=%s", group);
	assert_int_equal(account("root", opt), PAM_PERM_DENIED);
	assert_logged(LOG_NOTICE, "root");
	assert_logged(LOG_NOTICE, group);
}

static void
test_acct_supplementary_group(void **state)
{
	char cmd[128], opt[64];

	if (group[0] == '\0')
		skip();
	snprintf(cmd, sizeof(cmd), "gpasswd -a root %s >/dev/null", group);
	assert_int_equal(system(cmd), 0);
	snprintf(opt, sizeof(opt), "require_group=%s", group);
	assert_int_equal(account("root", opt), PAM_SUCCESS);
	snprintf(cmd, sizeof(cmd), "gpasswd -d root %s >/dev/null", group);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(account("root", opt), PAM_PERM_DENIED);
}

static void
test_acct_no_such_group(void **state)
{
	assert_int_equal(account("root", "require_group=pamctl-no-such-group"),
	    PAM_PERM_DENIED);
	assert_logged(LOG_ERR, "no such group");
}

/* A malformed require_group must not turn into "no check at all". */
static void
test_acct_malformed_group(void **state)
{
	assert_int_equal(account("root", "require_group="), PAM_PERM_DENIED);
	assert_logged(LOG_ERR, "bad value in option: require_group=");
	assert_int_equal(account("root", "require_group"), PAM_PERM_DENIED);
}

static void
test_acct_users(void **state)
{
	assert_int_equal(account("pamctl-nosuchuser", "require_group=root"),
	    PAM_USER_UNKNOWN);
	assert_int_equal(account("Root Bad", "require_group=root"),
	    PAM_USER_UNKNOWN);
	assert_logged(LOG_ERR, "refusing user name");
	assert_int_equal(account("root\nforged", "require_group=root"),
	    PAM_USER_UNKNOWN);
	assert_logged(LOG_ERR, "root?forged");
}

/*
 * The module's own PAM_IGNORE is invisible through a lone "required"
 * line (libpam turns an all-ignore stack into PAM_PERM_DENIED). This
 * stack succeeds only if the module returned exactly PAM_IGNORE: ignore
 * jumps over pam_deny, any other code dies with it (and a PAM_SUCCESS
 * that dies is turned into PAM_PERM_DENIED).
 */
static void
test_acct_ignore(void **state)
{
	pam_handle_t *pamh;

	write_service("account [ignore=1 default=die] %s\n"
	    "account requisite pam_deny.so\n"
	    "account required pam_permit.so\n", PAM_CTL_SO);
	pamh = start("root");
	assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
	end(pamh, PAM_SUCCESS);

	/* the probe itself: a module that does decide fails it */
	write_service("account [ignore=1 default=die] %s require_group=root\n"
	    "account requisite pam_deny.so\n"
	    "account required pam_permit.so\n", PAM_CTL_SO);
	pamh = start("root");
	assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED);
	end(pamh, PAM_SUCCESS);

	/* without the option the user is not even looked at */
	write_service("account [ignore=1 default=die] %s\n"
	    "account requisite pam_deny.so\n"
	    "account required pam_permit.so\n", PAM_CTL_SO);
	pamh = start("Not Valid");
	assert_int_equal(pam_acct_mgmt(pamh, 0), PAM_SUCCESS);
	end(pamh, PAM_SUCCESS);
}

/* --- session open ------------------------------------------------------ */

static void
test_open_ok(void **state)
{
	int fds;

	fds = count_fds();
	assert_int_equal(open_with(S_OK, "fail=closed timeout=1"),
	    PAM_SUCCESS);
	assert_int_equal(count_fds(), fds);
	assert_int_equal(srv.nconn, 1);
	assert_int_equal(srv.conn[0].hello_type, FRAME_HELLO);
	assert_json(srv.conn[0].hello, "{\"proto\": 1}");
	assert_int_equal(srv.conn[0].req_type, FRAME_REQUEST);
	assert_json(srv.conn[0].req,
	    "{\"verb\": \"provision\", \"user\": \"root\"}");
	assert_int_equal(srv.conn[0].after, 0);
	assert_true(srv.conn[0].eof);
	assert_logged(LOG_INFO,
	    "provision root: root-dev (created, started), root-db");
}

/* The default is fail=open. */
static void
test_open_defaults(void **state)
{
	assert_int_equal(open_with(S_FAIL, ""), PAM_SUCCESS);
	assert_logged(LOG_WARNING, "fail=open");
}

static void
test_open_exit_nonzero(void **state)
{
	assert_int_equal(open_with(S_FAIL, "fail=open"), PAM_SUCCESS);
	assert_logged(LOG_WARNING,
	    "provision root failed: broker answered exit 1: "
	    "dockerd unreachable?forged line");
	assert_true(srv.conn[0].eof);
	assert_int_equal(open_with(S_FAIL, "fail=closed"), PAM_SESSION_ERR);
	assert_logged(LOG_ERR, "broker answered exit 1");
	assert_false(logged(LOG_WARNING, "provision"));
}

static void
test_open_no_broker(void **state)
{
	pam_handle_t *pamh;
	int fds, fd;
	struct sockaddr_un sun;

	fds = count_fds();
	write_service("session required %s socket=%s fail=open\n",
	    PAM_CTL_SO, srv.path);
	pamh = start("root");
	assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
	end(pamh, PAM_SUCCESS);
	assert_logged(LOG_WARNING, "connect");
	assert_logged(LOG_WARNING, srv.path);

	write_service("session required %s socket=%s fail=closed\n",
	    PAM_CTL_SO, srv.path);
	pamh = start("root");
	assert_int_equal(pam_open_session(pamh, 0), PAM_SESSION_ERR);
	end(pamh, PAM_SESSION_ERR);
	assert_logged(LOG_ERR, "No such file or directory");

	/* a stale socket: bound, nobody listening */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, srv.path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	pamh = start("root");
	assert_int_equal(pam_open_session(pamh, 0), PAM_SESSION_ERR);
	end(pamh, PAM_SESSION_ERR);
	assert_logged(LOG_ERR, "Connection refused");
	unlink(srv.path);
	assert_int_equal(count_fds(), fds);
}

static void
timed(enum script s, const char *needle)
{
	struct timespec t0;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(open_with(s, "fail=closed timeout=1"),
	    PAM_SESSION_ERR);
	ms = elapsed_ms(&t0);
	assert_logged(LOG_ERR, needle);
	if (ms < 900 || ms > 3000)
		fail_msg("took %ld ms with timeout=1", ms);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(open_with(s, "fail=open timeout=1"), PAM_SUCCESS);
	ms = elapsed_ms(&t0);
	assert_logged(LOG_WARNING, needle);
	if (ms < 900 || ms > 3000)
		fail_msg("took %ld ms with timeout=1", ms);
}

static void
test_open_silent(void **state)
{
	timed(S_SILENT, "no answer within 1 s");
	assert_true(srv.conn[0].eof);
	timed(S_SILENT_LATE, "no answer within 1 s");
	assert_json(srv.conn[0].req,
	    "{\"verb\": \"provision\", \"user\": \"root\"}");
	assert_true(srv.conn[0].eof);
}

/* connect itself waits at most timeout= when the backlog is full */
static void
test_open_backlog(void **state)
{
	timed(S_BACKLOG, "timed out");
}

/* Each kind of broken broker, with both fail= outcomes. */
static void
test_open_protocol_errors(void **state)
{
	static const struct {
		enum script	 s;
		const char	*log;
	} cases[] = {
		{ S_REFUSE, "broker refused the connection: account refused" },
		{ S_BADTYPE, "unknown frame type" },
		{ S_OVERSIZE, "oversize frame" },
		{ S_BADJSON, "done: malformed JSON" },
		{ S_NOEXIT, "done without an exit code" },
		{ S_PROMPT, "prompt" },
		{ S_HANGUP, "broker closed the connection" },
		{ S_OLDPROTO, "another protocol version" },
		{ S_WRONGFIRST, "expected welcome, got stdout" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(open_with(cases[i].s, "fail=open timeout=2"),
		    PAM_SUCCESS);
		assert_logged(LOG_WARNING, cases[i].log);
		assert_int_equal(srv.nconn, 1);
		assert_true(srv.conn[0].eof);
		assert_int_equal(srv.conn[0].after, 0);
		assert_int_equal(open_with(cases[i].s,
		    "fail=closed timeout=2"), PAM_SESSION_ERR);
		assert_logged(LOG_ERR, cases[i].log);
		assert_int_equal(srv.conn[0].after, 0);
	}
}

/* Output frames are skipped; with debug they are logged, cleaned. */
static void
test_open_output(void **state)
{
	int saved[2], fd;
	struct stat st;
	char tmp[] = "/tmp/pamctl-out-XXXXXX";

	assert_int_equal(open_with(S_OUTPUT, "fail=closed"), PAM_SUCCESS);
	assert_false(logged(LOG_DEBUG, "pulling image"));

	/* and nothing ever reaches stdout or stderr */
	fflush(stdout);
	fflush(stderr);
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	saved[0] = dup(1);
	saved[1] = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);
	assert_int_equal(open_with(S_OUTPUT, "fail=closed debug"),
	    PAM_SUCCESS);
	assert_int_equal(open_with(S_FAIL, "fail=closed debug"),
	    PAM_SESSION_ERR);
	fflush(stdout);
	fflush(stderr);
	dup2(saved[0], 1);
	dup2(saved[1], 2);
	close(saved[0]);
	close(saved[1]);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	unlink(tmp);
	assert_int_equal(st.st_size, 0);
}

static void
test_open_debug_log(void **state)
{
	assert_int_equal(open_with(S_OUTPUT, "fail=closed debug"),
	    PAM_SUCCESS);
	assert_logged(LOG_DEBUG, "broker stdout: pulling image?");
	assert_logged(LOG_DEBUG, "broker stderr: warn?[31m");
	assert_logged(LOG_INFO, "provision root: done");
}

static void
test_open_bad_user(void **state)
{
	pam_handle_t *pamh;

	write_service("session required %s socket=%s fail=open\n",
	    PAM_CTL_SO, srv.path);
	server_start(S_OK);
	pamh = start("Bad User");
	assert_int_equal(pam_open_session(pamh, 0), PAM_SESSION_ERR);
	end(pamh, PAM_SESSION_ERR);
	pamh = start(NULL);	/* pam_get_user asks; conv refuses */
	assert_int_equal(pam_open_session(pamh, 0), PAM_SESSION_ERR);
	end(pamh, PAM_SESSION_ERR);
	server_stop();
	assert_int_equal(srv.nconn, 0);
}

/* --- options ----------------------------------------------------------- */

static void
test_options_unknown(void **state)
{
	assert_int_equal(open_with(S_OK, "timeout=abc fail=closed"),
	    PAM_SUCCESS);
	assert_logged(LOG_ERR, "bad value in option: timeout=abc");
	assert_json(srv.conn[0].req,
	    "{\"verb\": \"provision\", \"user\": \"root\"}");
	assert_int_equal(srv.nconn, 1);
	/* a bad value leaves the one before it: the server is still used */
	assert_int_equal(open_with(S_OK, "fail=closed timeout=0 "
	    "timeout=99999 timeout=-1 socket=relative socket="), PAM_SUCCESS);
	assert_int_equal(srv.nconn, 1);
	assert_logged(LOG_ERR, "bad value in option: timeout=0; ignored");
	assert_logged(LOG_ERR, "bad value in option: timeout=99999");
	assert_logged(LOG_ERR, "bad value in option: timeout=-1");
	assert_logged(LOG_ERR, "bad value in option: socket=relative");
	assert_logged(LOG_ERR, "bad value in option: socket=; ignored");
}

/*
 * A name the module does not know may be the administrator's typo for
 * fail=closed or require_group=: every call fails, and says why; so
 * does a flag given a value. The broker is never asked.
 */
static void
test_options_unknown_name_fails_closed(void **state)
{
	const char *bad[] = { "Fail=closed", "frobnicate", "requre_group=root",
	    "stop_on_logout=yes", "debug=1" };
	pam_handle_t *pamh;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(open_with(S_OK, bad[i]), PAM_SESSION_ERR);
		assert_int_equal(srv.nconn, 0);
		assert_logged(LOG_ERR, bad[i]);
		assert_logged(LOG_ERR, "failing closed");
		assert_int_equal(account("root", bad[i]), PAM_PERM_DENIED);
		assert_int_equal(account("root", "require_group=root x"),
		    PAM_PERM_DENIED);
		write_service("session required %s socket=%s %s\n", PAM_CTL_SO,
		    srv.path, bad[i]);
		pamh = start("root");
		assert_int_equal(pam_close_session(pamh, 0), PAM_SESSION_ERR);
		end(pamh, PAM_SESSION_ERR);
	}
}

/* A malformed fail= is fail=closed, and says so. */
static void
test_options_bad_fail(void **state)
{
	assert_int_equal(open_with(S_FAIL, "fail=opne"), PAM_SESSION_ERR);
	assert_logged(LOG_ERR, "bad value in option: fail=opne; "
	    "using fail=closed");
	assert_int_equal(open_with(S_FAIL, "fail"), PAM_SESSION_ERR);
	/* the last valid one wins */
	assert_int_equal(open_with(S_FAIL, "fail=closed fail=open"),
	    PAM_SUCCESS);
}

/* --- session close ----------------------------------------------------- */

static void
test_close_stop_on_logout(void **state)
{
	pam_handle_t *pamh;

	write_service("session required %s socket=%s fail=closed "
	    "stop_on_logout\n", PAM_CTL_SO, srv.path);
	server_start(S_OK);
	pamh = start("root");
	assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
	assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
	end(pamh, PAM_SUCCESS);
	server_stop();
	assert_int_equal(srv.nconn, 2);
	assert_json(srv.conn[0].req,
	    "{\"verb\": \"provision\", \"user\": \"root\"}");
	assert_json(srv.conn[1].hello, "{\"proto\": 1}");
	assert_json(srv.conn[1].req,
	    "{\"verb\": \"unprovision\", \"user\": \"root\"}");
	assert_true(srv.conn[1].eof);
}

static void
test_close_without_option(void **state)
{
	pam_handle_t *pamh;

	write_service("session required %s socket=%s fail=closed\n",
	    PAM_CTL_SO, srv.path);
	server_start(S_OK);
	pamh = start("root");
	assert_int_equal(pam_open_session(pamh, 0), PAM_SUCCESS);
	assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
	end(pamh, PAM_SUCCESS);
	/* a close alone, as an application may call it */
	pamh = start("root");
	assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
	end(pamh, PAM_SUCCESS);
	server_stop();
	assert_int_equal(srv.nconn, 1);
}

static void
test_close_failures(void **state)
{
	pam_handle_t *pamh;

	write_service("session required %s socket=%s stop_on_logout "
	    "fail=closed\n", PAM_CTL_SO, srv.path);
	pamh = start("root");
	assert_int_equal(pam_close_session(pamh, 0), PAM_SESSION_ERR);
	end(pamh, PAM_SESSION_ERR);
	assert_logged(LOG_ERR, "unprovision root failed");
	write_service("session required %s socket=%s stop_on_logout\n",
	    PAM_CTL_SO, srv.path);
	server_start(S_FAIL);
	pamh = start("root");
	assert_int_equal(pam_close_session(pamh, 0), PAM_SUCCESS);
	end(pamh, PAM_SUCCESS);
	server_stop();
	assert_logged(LOG_WARNING, "unprovision root failed");
	assert_json(srv.conn[0].req,
	    "{\"verb\": \"unprovision\", \"user\": \"root\"}");
}

#define T(f)	cmocka_unit_test_teardown(f, test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_acct_primary_group),
		T(test_acct_not_member),
		T(test_acct_supplementary_group),
		T(test_acct_no_such_group),
		T(test_acct_malformed_group),
		T(test_acct_users),
		T(test_acct_ignore),
		T(test_open_ok),
		T(test_open_defaults),
		T(test_open_exit_nonzero),
		T(test_open_no_broker),
		T(test_open_silent),
		T(test_open_backlog),
		T(test_open_protocol_errors),
		T(test_open_output),
		T(test_open_debug_log),
		T(test_open_bad_user),
		T(test_options_unknown),
		T(test_options_unknown_name_fails_closed),
		T(test_options_bad_fail),
		T(test_close_stop_on_logout),
		T(test_close_without_option),
		T(test_close_failures),
	};

	return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
