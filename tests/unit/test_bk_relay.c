/*
 * Shared follows (broker/relay.c, relayd.c) against a fake Engine API:
 * a session lends its client to a relay it forks, the relay writes the
 * container's lines and gives the client back, and the session answers.
 * The relay directory and its peers are the test's uid (relay_env.uid),
 * not root's.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "actions.h"
#include "bk_util.h"

/*
 * The relay ends with _exit, which would lose a coverage build's counts
 * (gcov writes them at exit): there, write them first (make coverage
 * defines CTL_COVERAGE). Nothing else changes.
 */
#ifdef CTL_COVERAGE
void	__gcov_dump(void);

void
_exit(int status)
{
	__gcov_dump();
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}
#endif

#define TICK	"\x01\0\0\0\0\0\0\x05tick\n"

static struct bk *b;
static char *alice_groups[] = { "dev", NULL };
static const struct identity alice = { 1000, 1000, 1, "alice",
    alice_groups };

struct follow {
	pthread_t	 thr;
	int		 sv[2];
	struct request	 req;
	struct audit_rec rec;
	struct peer	 peer;
	int		 rc;
};

static int
setup(void **state)
{
	b = bk_start(NULL);
	return 0;
}

static int
teardown(void **state)
{
	bk_stop(b);
	return 0;
}

static void *
follow_run(void *arg)
{
	struct follow *f = arg;

	f->rc = action_run(b->cf, &b->eng, &b->relays, &alice, &f->peer,
	    &f->req, f->sv[0], &f->rec);
	return NULL;
}

/* A session following web in a thread; the test holds its client. */
static void
follow_start(struct follow *f, const char *json)
{
	char why[160];
	json_t *j;

	memset(f, 0, sizeof(*f));
	j = json_loads(json, 0, NULL);
	assert_int_equal(request_decode(j, time(NULL), &f->req, why,
	    sizeof(why)), 0);
	json_decref(j);
	f->rec.who = &alice;
	f->rec.verb = "logs";
	snprintf(f->rec.name, sizeof(f->rec.name), "web");
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    f->sv), 0);
	assert_int_equal(pthread_create(&f->thr, NULL, follow_run, f), 0);
}

static void
follow_end(struct follow *f)
{
	assert_int_equal(pthread_join(f->thr, NULL), 0);
	close(f->sv[0]);
	close(f->sv[1]);
}

/* Waits for the client's first stdout frame; fails after 10 s. */
static void
first_line(struct follow *f, const char *want)
{
	static struct frame fr;
	const char *why;

	assert_int_equal(proto_recv(f->sv[1], &fr, 10000, &why), 1);
	if (fr.type != FRAME_STDOUT)
		fail_msg("frame %d: %.*s", fr.type, (int)fr.len, fr.buf);
	assert_memory_equal(fr.buf, want, strlen(want));
}

static void
containers(void)
{
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	bk_container(b, ID_WEB, "/web", ID_WEB, "alice", NULL, 0, 0);
}

/* The relay's exit: 0, once every follower has gone. */
static void
relay_reaped(void)
{
	int status;

	assert_true(waitpid(-1, &status, 0) > 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_relayed_follow(void **state)
{
	struct answer a;
	struct follow f;
	struct stat st;
	char dir[128];

	containers();
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", "", 0, TICK,
	    sizeof(TICK) - 1, 20);
	follow_start(&f, "{\"verb\":\"logs\",\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"tail\":0}}");
	first_line(&f, "tick\n");
	fe_release(b->fe);	/* the stream ends: the container stopped */
	bk_read(f.sv[1], &a);
	follow_end(&f);
	assert_int_equal(f.rc, 0);
	assert_int_equal(a.exit, 0);
	/* the container stopped: the session asked dockerd how it exited */
	assert_int_equal(json_integer_value(bk_data(&a, "exit_code")),
	    BK_EXIT_CODE);
	answer_free(&a);
	relay_reaped();
	assert_string_equal(bk_audit_str(b, "via"), "relay");
	assert_string_equal(bk_audit_str(b, "result"), "ok");
	/* one follow of dockerd, the relay's: new lines only */
	assert_int_equal(fe_count_prefix(b->fe, "GET /v1.41/containers/"
	    ID_WEB "/logs"), 1);
	assert_string_equal(fe_request(b->fe, 1), "GET /v1.41/containers/"
	    ID_WEB "/logs?stdout=1&stderr=1&follow=1&tail=0");
	snprintf(dir, sizeof(dir), "%s/ctld-relay", b->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* relays are keyed by engine and ID: a directory per engine */
	snprintf(dir, sizeof(dir), "%s/ctld-relay/local", b->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

/* A second follower with a tail the relay has seen is served from it. */
static void
test_two_followers(void **state)
{
	struct answer a1, a2;
	struct follow f1, f2;

	containers();
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", "", 0, TICK,
	    sizeof(TICK) - 1, 20);
	follow_start(&f1, "{\"verb\":\"logs\",\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"tail\":0}}");
	first_line(&f1, "tick\n");
	follow_start(&f2, "{\"verb\":\"logs\",\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"tail\":1}}");
	first_line(&f2, "tick\n");
	fe_release(b->fe);
	bk_read(f1.sv[1], &a1);
	bk_read(f2.sv[1], &a2);
	follow_end(&f1);
	follow_end(&f2);
	assert_int_equal(a1.exit, 0);
	assert_int_equal(a2.exit, 0);
	assert_int_equal(json_integer_value(bk_data(&a1, "exit_code")),
	    BK_EXIT_CODE);
	assert_int_equal(json_integer_value(bk_data(&a2, "exit_code")),
	    BK_EXIT_CODE);
	answer_free(&a1);
	answer_free(&a2);
	relay_reaped();
	assert_int_equal(fe_count_prefix(b->fe, "GET /v1.41/containers/"
	    ID_WEB "/logs"), 1);
	assert_string_equal(bk_audit_str(b, "via"), "relay");
}

/* The client leaving a relayed follow: nobody to answer. */
static void
test_client_leaves(void **state)
{
	struct follow f;

	containers();
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", "", 0, TICK,
	    sizeof(TICK) - 1, 20);
	follow_start(&f, "{\"verb\":\"logs\",\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"tail\":0}}");
	first_line(&f, "tick\n");
	shutdown(f.sv[1], SHUT_RDWR);
	follow_end(&f);
	assert_int_equal(f.rc, -1);
	assert_string_equal(bk_audit_str(b, "result"), "client left");
	assert_string_equal(bk_audit_str(b, "via"), "relay");
	fe_release(b->fe);
	relay_reaped();
}

/* A relay directory that is not the relay uid's: read dockerd itself. */
static void
test_unsafe_dir_no_relay(void **state)
{
	unsigned char s[64];
	struct answer a;
	struct follow f;
	size_t n;

	containers();
	n = fe_frame(s, 1, "direct\n");
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", s, n, NULL, 0, 0);
	b->relays.uid = getuid() + 1;
	follow_start(&f, "{\"verb\":\"logs\",\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"tail\":0}}");
	bk_read(f.sv[1], &a);
	follow_end(&f);
	assert_int_equal(a.exit, 0);
	assert_memory_equal(a.out, "direct\n", 7);
	answer_free(&a);
	assert_string_equal(bk_audit_str(b, "via"), "");
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);	/* no relay */
}

/* A relay whose dockerd follow fails tells the session, which says so. */
static void
test_relay_stream_error(void **state)
{
	struct answer a;
	struct follow f;

	containers();
	bk_stream(b, "/v1.41/containers/" ID_WEB "/logs", "", 0,
	    "\x07\0\0\0\0\0\0\x01x", 9, 20);
	follow_start(&f, "{\"verb\":\"logs\",\"name\":\"web\",\"opts\":"
	    "{\"follow\":true,\"tail\":0}}");
	bk_read(f.sv[1], &a);
	follow_end(&f);
	fe_release(b->fe);
	relay_reaped();
	assert_int_equal(a.exit, EXIT_FAIL);
	answer_free(&a);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_relayed_follow),
		T(test_two_followers),
		T(test_client_leaves),
		T(test_unsafe_dir_no_relay),
		T(test_relay_stream_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
