/*
 * stats through action_run (broker/stats.c) against a fake Engine API:
 * several names each decided and audited alone, all the caller's with
 * none, the numbers as docker stats computes them, and a stream's ends
 * (the client leaving, not reading, the idle timeout).
 */
#include <sys/socket.h>

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

static struct bk *b;
static struct answer a;
static char *alice_groups[] = { "dev", NULL };
static const struct identity alice = { 1000, 1000, 4242, "alice",
    alice_groups };

/* Two samples' worth of a busy container: 40% of 2 CPUs' time. */
static const char sample[] =
    "{\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":300},"
    "\"system_cpu_usage\":2000,\"online_cpus\":2},"
    "\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":100},"
    "\"system_cpu_usage\":1000},"
    "\"memory_stats\":{\"usage\":1000,\"limit\":4000,"
    "\"stats\":{\"inactive_file\":200}},"
    "\"networks\":{\"eth0\":{\"rx_bytes\":10,\"tx_bytes\":20},"
    "\"eth1\":{\"rx_bytes\":1,\"tx_bytes\":2}},"
    "\"blkio_stats\":{\"io_service_bytes_recursive\":["
    "{\"op\":\"read\",\"value\":4096},{\"op\":\"write\",\"value\":512},"
    "{\"op\":\"Read\",\"value\":4},{\"op\":\"sync\",\"value\":9}]},"
    "\"pids_stats\":{\"current\":7}}";

static int
setup(void **state)
{
	b = bk_start(NULL);
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
run(const char *json)
{
	return bk_run(b, &alice, json, &a);
}

static json_t *
entry(const char *list, size_t i)
{
	return json_array_get(bk_data(&a, list), i);
}

static const char *
str(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s != NULL ? s : "";
}

static json_int_t
integer(json_t *j, const char *key)
{
	return json_integer_value(json_object_get(j, key));
}

/* The numbers, as docker stats computes them from one sample. */
static void
test_row(void **state)
{
	json_t *r;

	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/*/stats", 200, sample);
	assert_int_equal(run("{\"verb\":\"stats\",\"names\":[\"web\"]}"), 0);
	assert_int_equal(a.exit, 0);
	r = entry("containers", 0);
	assert_non_null(r);
	assert_string_equal(str(r, "name"), "web");
	assert_string_equal(str(r, "id"), ID_WEB);
	assert_true(json_real_value(json_object_get(r, "cpu_percent")) == 40.0);
	assert_int_equal(integer(r, "memory_used"), 800);
	assert_int_equal(integer(r, "memory_limit"), 4000);
	assert_true(json_real_value(json_object_get(r, "memory_percent")) ==
	    20.0);
	assert_int_equal(integer(r, "net_rx"), 11);
	assert_int_equal(integer(r, "net_tx"), 22);
	assert_int_equal(integer(r, "block_read"), 4100);
	assert_int_equal(integer(r, "block_write"), 512);
	assert_int_equal(integer(r, "pids"), 7);
	assert_null(bk_data(&a, "errors"));
	assert_string_equal(fe_request(b->fe, 1),
	    "GET /v1.41/containers/" ID_WEB "/stats?stream=false");
}

/* cgroup v1's total_inactive_file wins when below usage; else v2's. */
static void
test_memory_cache(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/*/stats", 200,
	    "{\"memory_stats\":{\"usage\":1000,\"stats\":{"
	    "\"total_inactive_file\":300,\"inactive_file\":100}}}");
	assert_int_equal(run("{\"verb\":\"stats\",\"names\":[\"web\"]}"), 0);
	assert_int_equal(integer(entry("containers", 0), "memory_used"), 700);
	fe_reset(b->fe);
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/*/stats", 200,
	    "{\"memory_stats\":{\"usage\":1000,\"stats\":{"
	    "\"total_inactive_file\":3000,\"inactive_file\":100}}}");
	assert_int_equal(run("{\"verb\":\"stats\",\"names\":[\"web\"]}"), 0);
	assert_int_equal(integer(entry("containers", 0), "memory_used"), 900);
}

/*
 * Each name alone: one not permitted says what a missing one says, each
 * has its own record, and dockerd is asked for the allowed one only.
 */
static void
test_names_each_decided(void **state)
{
	json_t *e, *rec;

	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	bk_container(b, "bobs", "/bobs", ID_OTHER, "bob", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/nope/json", 404,
	    "{\"message\":\"No such container: nope\"}");
	fe_json(b->fe, "GET", "/v1.41/containers/*/stats", 200, sample);
	assert_int_equal(run("{\"verb\":\"stats\",\"names\":[\"bobs\","
	    "\"web\",\"nope\"]}"), 0);
	assert_int_equal(json_array_size(bk_data(&a, "containers")), 1);
	assert_string_equal(str(entry("containers", 0), "name"), "web");
	e = entry("errors", 0);
	assert_string_equal(str(e, "name"), "bobs");
	assert_string_equal(str(e, "error"), "no such container: bobs");
	assert_int_equal(integer(e, "exit"), EXIT_NOTFOUND);
	e = entry("errors", 1);
	assert_string_equal(str(e, "error"), "no such container: nope");
	assert_int_equal(integer(e, "exit"), EXIT_NOTFOUND);
	assert_int_equal(fe_count_prefix(b->fe, "GET /v1.41/containers/"
	    ID_OTHER "/stats"), 0);
	assert_int_equal(fe_count_prefix(b->fe, "GET /v1.41/containers/"
	    ID_WEB "/stats"), 1);
	assert_int_equal(bk_audit_count(b), 4);	/* a name each, the request */
	rec = bk_audit(b, 0);
	assert_string_equal(str(rec, "container"), "bobs");
	assert_string_equal(str(rec, "decision"), "deny");
	assert_string_equal(str(rec, "id"), ID_OTHER);
	json_decref(rec);
	rec = bk_audit(b, 1);
	assert_string_equal(str(rec, "container"), "nope");
	assert_string_equal(str(rec, "reason"), "no such container");
	json_decref(rec);
	rec = bk_audit(b, 2);
	assert_string_equal(str(rec, "container"), "web");
	assert_string_equal(str(rec, "decision"), "allow");
	assert_string_equal(str(rec, "result"), "ok");
	json_decref(rec);
	rec = bk_audit(b, 3);
	assert_string_equal(str(rec, "verb"), "stats");
	assert_true(json_is_null(json_object_get(rec, "container")));
	json_decref(rec);
}

/* A password is asked only once some name was allowed. */
static void
test_password_only_for_an_allowed_name(void **state)
{
	bk_stop(b);
	b = bk_start("reauth = { verbs = [\"stats\"]; };\n");
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	bk_container(b, "bobs", "/bobs", ID_OTHER, "bob", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/*/stats", 200, sample);
	assert_int_equal(run("{\"verb\":\"stats\",\"names\":[\"bobs\"]}"),
	    0);
	assert_int_equal(integer(entry("errors", 0), "exit"), EXIT_NOTFOUND);
	assert_int_equal(run("{\"verb\":\"stats\",\"names\":[\"bobs\","
	    "\"web\"]}"), EXIT_AUTH);
	assert_non_null(strstr(a.error, "a password is needed"));
	assert_string_equal(bk_audit_str(b, "result"), "refused");
	assert_int_equal(fe_count_prefix(b->fe, "GET /v1.41/containers/"
	    ID_WEB "/stats"), 0);
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Each "no such container" waits for its own quantum, as alone. */
static void
test_each_miss_in_step(void **state)
{
	struct timespec t0;
	double t;

	b->cf->miss_quantum_ms = 300;
	bk_container(b, "bobs", "/bobs", ID_OTHER, "bob", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/nope/json", 404,
	    "{\"message\":\"No such container: nope\"}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(run("{\"verb\":\"stats\",\"names\":[\"bobs\","
	    "\"nope\"]}"), 0);
	t = elapsed(&t0);
	assert_true(t >= 0.6);
	assert_true(t < 1.5);
	assert_int_equal(json_array_size(bk_data(&a, "errors")), 2);
}

/* No name: the caller's running containers policy allows stats on. */
static void
test_all_of_the_callers(void **state)
{
	static const char listing[] = "["
	    "{\"Id\":\"" ID_WEB "\",\"Names\":[\"/web\"],\"State\":\"running\","
		"\"Labels\":{\"ctl.owner\":\"alice\"}},"
	    "{\"Id\":\"" ID_OTHER "\",\"Names\":[\"/off\"],"
		"\"State\":\"exited\",\"Labels\":{\"ctl.owner\":\"alice\"}},"
	    "{\"Id\":\"" ID_NEW "\",\"Names\":[\"/bobs\"],"
		"\"State\":\"running\",\"Labels\":{\"ctl.owner\":\"bob\"}}]";

	fe_json(b->fe, "GET", "/v1.41/containers/json", 200, listing);
	fe_json(b->fe, "GET", "/v1.41/containers/*/stats", 200, sample);
	assert_int_equal(run("{\"verb\":\"stats\"}"), 0);
	assert_int_equal(json_array_size(bk_data(&a, "containers")), 1);
	assert_string_equal(str(entry("containers", 0), "name"), "web");
	assert_null(bk_data(&a, "errors"));
	assert_int_equal(fe_count_prefix(b->fe, "GET /v1.41/containers/"
	    ID_NEW "/stats"), 0);
	assert_int_equal(fe_count_prefix(b->fe, "GET /v1.41/containers/"
	    ID_OTHER "/stats"), 0);
	assert_int_equal(bk_audit_count(b), 2);
	assert_string_equal(bk_audit_str(b, "verb"), "stats");
}

/* A stream, served by action_run in a thread, read here frame by frame. */
struct served {
	struct request	 req;
	struct audit_rec rec;
	struct peer	 peer;
	int		 fd;
	int		 rc;
	pthread_t	 thr;
};

static void *
serve(void *arg)
{
	struct served *s = arg;

	s->rc = action_run(b->cf, &b->eng, &b->relays, &alice, &s->peer,
	    &s->req, s->fd, &s->rec);
	close(s->fd);
	return NULL;
}

/*
 * Starts text's request; returns the client's end of the socket (small:
 * with the least buffer the kernel allows on both ends).
 */
static int
start_buffered(struct served *s, const char *text, int small)
{
	char why[160];
	json_t *j = json_loads(text, 0, NULL);
	int sv[2];

	memset(s, 0, sizeof(*s));
	assert_non_null(j);
	assert_int_equal(request_decode(j, time(NULL), &s->req, why,
	    sizeof(why)), 0);
	json_decref(j);
	s->rec.who = &alice;
	s->rec.verb = s->req.verb->name;
	clock_gettime(CLOCK_REALTIME, &s->rec.start);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	s->fd = sv[0];
	if (small) {
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
		    sizeof(small));
		setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small,
		    sizeof(small));
	}
	assert_int_equal(pthread_create(&s->thr, NULL, serve, s), 0);
	return sv[1];
}

static int
start(struct served *s, const char *text)
{
	return start_buffered(s, text, 0);
}

/* Frames until done (or EOF, or ten samples): how many samples came. */
static int
samples_until_done(int fd, json_t **done)
{
	static struct frame f;
	const char *why;
	int n = 0;

	*done = NULL;
	while (n < 10 && proto_recv(fd, &f, 10000, &why) == 1) {
		if (f.type == FRAME_SAMPLE)
			n++;
		else if (f.type == FRAME_DONE) {
			*done = proto_json(&f, &why);
			break;
		}
	}
	return n;
}

#define STREAM_WEB	"{\"verb\":\"stats\",\"names\":[\"web\"]," \
	"\"opts\":{\"stream\":true}}"

/* limits.idle_timeout ends a stream, and says why. */
static void
test_stream_idle_timeout(void **state)
{
	struct served s;
	json_t *done;
	int fd, n;

	b->cf->idle_timeout = 2;
	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/*/stats", 200, sample);
	fd = start(&s, STREAM_WEB);
	n = samples_until_done(fd, &done);
	close(fd);
	pthread_join(s.thr, NULL);
	assert_non_null(done);
	assert_true(n >= 2 && n <= 3);
	assert_non_null(strstr(json_string_value(json_object_get(
	    json_object_get(done, "data"), "ended")), "idle timeout (2 s)"));
	assert_string_equal(bk_audit_str(b, "result"), "ended: idle timeout");
	json_decref(done);
}

/* The client leaving ends the stream at once, with nothing answered. */
static void
test_stream_client_leaves(void **state)
{
	static struct frame f;
	struct served s;
	const char *why;
	int fd;

	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_json(b->fe, "GET", "/v1.41/containers/*/stats", 200, sample);
	fd = start(&s, STREAM_WEB);
	assert_int_equal(proto_recv(fd, &f, 5000, &why), 1);
	assert_int_equal(f.type, FRAME_SAMPLE);
	close(fd);
	pthread_join(s.thr, NULL);
	assert_int_equal(s.rc, -1);
	assert_string_equal(bk_audit_str(b, "result"), "client left");
	assert_true(fe_count_prefix(b->fe, "GET /v1.41/containers/" ID_WEB
	    "/stats") <= 3);
}

/* A client leaving while dockerd takes its time ends the round at once. */
static void
test_client_leaves_mid_round(void **state)
{
	struct fe_reply slow = { .method = "GET",
	    .path = "/v1.41/containers/*/stats", .status = 200,
	    .body = sample, .delay_ms = 3000 };
	struct timespec t0;
	struct served s;
	int fd;

	bk_container(b, "web", "/web", ID_WEB, "alice", NULL, 1, 0);
	fe_add(b->fe, &slow);
	fd = start(&s, STREAM_WEB);
	usleep(300 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(fd);
	pthread_join(s.thr, NULL);
	assert_true(elapsed(&t0) < 1.5);
	assert_int_equal(s.rc, -1);
	assert_string_equal(bk_audit_str(b, "result"), "client left");
}

/*
 * A client that stops reading: a frame that cannot be written within
 * limits.client_timeout ends the stream.
 */
static void
test_stream_client_stalls(void **state)
{
	char names[1024], name[16], dname[16];
	struct served s;
	struct timespec t0;
	size_t i, n = 0;
	int fd;

	b->cf->client_timeout = 1;
	n = (size_t)snprintf(names, sizeof(names), "{\"verb\":\"stats\","
	    "\"opts\":{\"stream\":true},\"names\":[");
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "c%zu", i);
		snprintf(dname, sizeof(dname), "/c%zu", i);
		bk_container(b, name, dname, ID_WEB, "alice", NULL, 1, 0);
		n += (size_t)snprintf(names + n, sizeof(names) - n,
		    "%s\"c%zu\"", i ? "," : "", i);
	}
	snprintf(names + n, sizeof(names) - n, "]}");
	fe_json(b->fe, "GET", "/v1.41/containers/*/stats", 200, sample);
	fd = start_buffered(&s, names, 1);
	clock_gettime(CLOCK_REALTIME, &t0);
	t0.tv_sec += 8;
	if (pthread_timedjoin_np(s.thr, NULL, &t0) != 0)	/* never read */
		fail_msg("a client that reads nothing held the stream 8 s");
	close(fd);
	assert_int_equal(s.rc, -1);
	assert_string_equal(bk_audit_str(b, "result"), "client left");
}

#define T(test)	cmocka_unit_test_setup_teardown(test, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_row),
		T(test_memory_cache),
		T(test_names_each_decided),
		T(test_each_miss_in_step),
		T(test_password_only_for_an_allowed_name),
		T(test_all_of_the_callers),
		T(test_stream_idle_timeout),
		T(test_stream_client_leaves),
		T(test_client_leaves_mid_round),
		T(test_stream_client_stalls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
