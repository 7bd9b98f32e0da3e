/*
 * Unit tests for common/proto.c: header checks, framing over a real
 * socket, and the JSON control frame decoder.
 *
 * Each test checks one defence of proto.c's invariants: the header is
 * judged before any payload byte is read, short reads and timeouts are
 * errors, and control frames are bounded, strict JSON objects.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"

static struct frame	fr;			/* 64 KiB: not on the stack */
static unsigned char	big[PROTO_MAX_LEN + 1];

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void
closepair(int sv[2])
{
	if (sv[0] != -1)
		close(sv[0]);
	if (sv[1] != -1)
		close(sv[1]);
}

static void
put(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void
put_header(int fd, uint8_t type, uint32_t len)
{
	unsigned char hdr[PROTO_HDR_LEN];

	proto_put_header(hdr, type, len);
	put(fd, hdr, sizeof(hdr));
}

/* Bytes still waiting on fd: what proto_recv did not consume. */
static ssize_t
unread(int fd, unsigned char *buf, size_t len)
{
	ssize_t n;

	n = recv(fd, buf, len, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
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

static void
frame_set(struct frame *f, const char *s, size_t len)
{
	memcpy(f->buf, s, len);
	f->len = (uint32_t)len;
	f->buf[len] = '\0';
}

/* Header checks. */

static void
test_header_accepts_known_types(void **state)
{
	unsigned char hdr[PROTO_HDR_LEN];
	uint8_t type;
	uint32_t len;
	int t;

	for (t = 1; t <= FRAME_TYPE_MAX; t++) {
		proto_put_header(hdr, (uint8_t)t, 0);
		assert_int_equal(proto_parse_header(hdr, &type, &len), 0);
		assert_int_equal(type, t);
		assert_int_equal(len, 0);

		proto_put_header(hdr, (uint8_t)t, PROTO_MAX_LEN);
		assert_int_equal(proto_parse_header(hdr, &type, &len), 0);
		assert_int_equal(type, t);
		assert_int_equal(len, PROTO_MAX_LEN);
	}
}

static void
test_header_rejects_bad_types(void **state)
{
	unsigned char hdr[PROTO_HDR_LEN];
	uint8_t type;
	uint32_t len;
	int t;

	proto_put_header(hdr, 0, 0);
	assert_int_equal(proto_parse_header(hdr, &type, &len), -1);
	for (t = FRAME_TYPE_MAX + 1; t <= 0xff; t++) {
		proto_put_header(hdr, (uint8_t)t, 1);
		assert_int_equal(proto_parse_header(hdr, &type, &len), -1);
	}
}

static void
test_header_rejects_oversize(void **state)
{
	unsigned char hdr[PROTO_HDR_LEN];
	uint8_t type;
	uint32_t len;

	proto_put_header(hdr, FRAME_STDOUT, PROTO_MAX_LEN + 1);
	assert_int_equal(proto_parse_header(hdr, &type, &len), -1);
	proto_put_header(hdr, FRAME_STDOUT, 0xffffffffu);
	assert_int_equal(proto_parse_header(hdr, &type, &len), -1);
	/* Each length byte counts: 0x01000000 is far over the limit. */
	proto_put_header(hdr, FRAME_STDOUT, 0x01000000u);
	assert_int_equal(proto_parse_header(hdr, &type, &len), -1);
}

static void
test_header_round_trip(void **state)
{
	static const uint32_t lens[] = { 0, 1, 0xff, 0x100, 0x1234,
	    PROTO_MAX_JSON, PROTO_MAX_LEN - 1, PROTO_MAX_LEN };
	static const unsigned char be[PROTO_HDR_LEN] = { 3, 0, 1, 0, 0 };
	unsigned char hdr[PROTO_HDR_LEN];
	uint8_t type;
	uint32_t len;
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		proto_put_header(hdr, FRAME_DONE, lens[i]);
		assert_int_equal(proto_parse_header(hdr, &type, &len), 0);
		assert_int_equal(type, FRAME_DONE);
		assert_int_equal(len, lens[i]);
	}
	/* Wire layout: u8 type, u32 big-endian length. */
	proto_put_header(hdr, FRAME_REQUEST, PROTO_MAX_LEN);
	assert_memory_equal(hdr, be, sizeof(be));
	assert_int_equal(proto_parse_header(be, &type, &len), 0);
	assert_int_equal(type, FRAME_REQUEST);
	assert_int_equal(len, PROTO_MAX_LEN);
	proto_put_header(hdr, FRAME_REQUEST, 0x0a0b0c0d);
	assert_int_equal(hdr[1], 0x0a);
	assert_int_equal(hdr[2], 0x0b);
	assert_int_equal(hdr[3], 0x0c);
	assert_int_equal(hdr[4], 0x0d);
}

static void
test_type_names(void **state)
{
	assert_string_equal(proto_type_name(0), "unknown");
	assert_string_equal(proto_type_name(FRAME_HELLO), "hello");
	assert_string_equal(proto_type_name(FRAME_REPLY), "reply");
	assert_string_equal(proto_type_name(FRAME_TYPE_MAX + 1), "unknown");
	assert_string_equal(proto_type_name(0xff), "unknown");
}

/* Framing over a socketpair. */

static void
test_recv_empty_payload(void **state)
{
	const char *why = NULL;
	int sv[2];

	pair(sv);
	assert_int_equal(proto_send(sv[1], FRAME_DONE, NULL, 0), 0);
	memset(fr.buf, 'x', 8);
	assert_int_equal(proto_recv(sv[0], &fr, 1000, &why), 1);
	assert_int_equal(fr.type, FRAME_DONE);
	assert_int_equal(fr.len, 0);
	assert_int_equal(fr.buf[0], '\0');
	closepair(sv);
}

static void
test_recv_max_payload(void **state)
{
	const char *why = NULL;
	pid_t pid;
	int sv[2], status, rc;
	size_t i;

	for (i = 0; i < PROTO_MAX_LEN; i++)
		big[i] = (unsigned char)(i * 7 + 3);
	pair(sv);
	/* A writer process, so that no socket buffer size matters. */
	pid = fork();
	assert_int_not_equal(pid, -1);
	if (pid == 0) {
		close(sv[0]);
		rc = proto_send(sv[1], FRAME_STDOUT, big, PROTO_MAX_LEN) ||
		    proto_send(sv[1], FRAME_STDERR, "tail", 4);
		_exit(rc ? 1 : 0);
	}
	close(sv[1]);
	sv[1] = -1;
	assert_int_equal(proto_recv(sv[0], &fr, 5000, &why), 1);
	assert_int_equal(fr.type, FRAME_STDOUT);
	assert_int_equal(fr.len, PROTO_MAX_LEN);
	assert_memory_equal(fr.buf, big, PROTO_MAX_LEN);
	assert_int_equal(fr.buf[PROTO_MAX_LEN], '\0');
	/* The next frame starts exactly where the first ended. */
	assert_int_equal(proto_recv(sv[0], &fr, 5000, &why), 1);
	assert_int_equal(fr.type, FRAME_STDERR);
	assert_int_equal(fr.len, 4);
	assert_string_equal((char *)fr.buf, "tail");
	assert_int_equal(proto_recv(sv[0], &fr, 5000, &why), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	closepair(sv);
}

static void
test_recv_over_pipe(void **state)
{
	const char *why = NULL;
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(proto_send(p[1], FRAME_HELLO, "{\"proto\":1}", 11),
	    0);
	close(p[1]);
	assert_int_equal(proto_recv(p[0], &fr, 1000, &why), 1);
	assert_int_equal(fr.type, FRAME_HELLO);
	assert_string_equal((char *)fr.buf, "{\"proto\":1}");
	assert_int_equal(proto_recv(p[0], &fr, 1000, &why), 0);
	close(p[0]);
}

static void
test_recv_eof_before_frame(void **state)
{
	const char *why = NULL;
	int sv[2];

	pair(sv);
	close(sv[1]);
	sv[1] = -1;
	assert_int_equal(proto_recv(sv[0], &fr, 1000, &why), 0);
	closepair(sv);
}

static void
test_recv_truncated_header(void **state)
{
	static const unsigned char part[3] = { FRAME_STDOUT, 0, 0 };
	const char *why = NULL;
	int sv[2];

	pair(sv);
	put(sv[1], part, sizeof(part));
	close(sv[1]);
	sv[1] = -1;
	assert_int_equal(proto_recv(sv[0], &fr, 1000, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, "truncated frame");
	closepair(sv);
}

static void
test_recv_truncated_payload(void **state)
{
	const char *why = NULL;
	int sv[2];

	pair(sv);
	put_header(sv[1], FRAME_STDOUT, 10);
	put(sv[1], "12345", 5);
	close(sv[1]);
	sv[1] = -1;
	assert_int_equal(proto_recv(sv[0], &fr, 1000, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, "truncated frame");
	closepair(sv);

	/* EOF right after the header is truncation too, not a clean EOF. */
	why = NULL;
	pair(sv);
	put_header(sv[1], FRAME_STDOUT, 10);
	close(sv[1]);
	sv[1] = -1;
	assert_int_equal(proto_recv(sv[0], &fr, 1000, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, "truncated frame");
	closepair(sv);
}

static void
test_recv_oversize_before_payload(void **state)
{
	static const uint32_t lens[] = { PROTO_MAX_LEN + 1, 0xffffffffu };
	unsigned char rest[64];
	const char *why;
	size_t i;
	int sv[2];

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		why = NULL;
		pair(sv);
		put_header(sv[1], FRAME_STDOUT, lens[i]);
		put(sv[1], "PAYLOAD-NOT-READ", 16);
		assert_int_equal(proto_recv(sv[0], &fr, 50, &why), -1);
		assert_non_null(why);
		assert_string_equal(why, "oversize frame");
		/* Judged on the header: the payload is still unread. */
		assert_int_equal(unread(sv[0], rest, sizeof(rest)), 16);
		assert_memory_equal(rest, "PAYLOAD-NOT-READ", 16);
		closepair(sv);
	}
}

static void
test_recv_unknown_type(void **state)
{
	static const uint8_t types[] = { 0, FRAME_TYPE_MAX + 1, 0xff };
	unsigned char rest[16];
	const char *why;
	size_t i;
	int sv[2];

	for (i = 0; i < sizeof(types); i++) {
		why = NULL;
		pair(sv);
		put_header(sv[1], types[i], 3);
		put(sv[1], "abc", 3);
		assert_int_equal(proto_recv(sv[0], &fr, 50, &why), -1);
		assert_non_null(why);
		assert_string_equal(why, "unknown frame type");
		assert_int_equal(unread(sv[0], rest, sizeof(rest)), 3);
		closepair(sv);
	}
}

static void
test_recv_timeout(void **state)
{
	struct timespec t0;
	const char *why = NULL;
	long ms;
	int sv[2];

	pair(sv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(proto_recv(sv[0], &fr, 50, &why), -1);
	ms = elapsed_ms(&t0);
	assert_non_null(why);
	assert_string_equal(why, "timed out");
	assert_true(ms >= 40);
	assert_true(ms < 400);	/* 50 ms, not ten times that */

	/* A header, then silence: the payload wait times out too. */
	why = NULL;
	put_header(sv[1], FRAME_STDOUT, 4);
	put(sv[1], "ab", 2);
	assert_int_equal(proto_recv(sv[0], &fr, 50, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, "timed out");
	closepair(sv);
}

static void
test_send_refuses_oversize(void **state)
{
	unsigned char rest[16];
	int sv[2];

	pair(sv);
	errno = 0;
	assert_int_equal(proto_send(sv[1], FRAME_STDOUT, big,
	    PROTO_MAX_LEN + 1), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(proto_send(sv[1], FRAME_STDOUT, big,
	    (size_t)UINT32_MAX + 2), -1);
	assert_int_equal(proto_send(sv[1], 0, "x", 1), -1);
	assert_int_equal(proto_send(sv[1], FRAME_TYPE_MAX + 1, "x", 1), -1);
	/* Nothing at all went out, not even a header. */
	assert_int_equal(unread(sv[0], rest, sizeof(rest)), 0);
	closepair(sv);
}

static void
test_send_json_round_trip(void **state)
{
	const char *why = NULL;
	json_t *msg, *got;
	int sv[2];

	pair(sv);
	msg = json_pack("{s:i, s:s}", "proto", 1, "user", "alice");
	assert_non_null(msg);
	assert_int_equal(proto_send_json(sv[1], FRAME_WELCOME, msg), 0);
	assert_int_equal(proto_recv(sv[0], &fr, 1000, &why), 1);
	assert_int_equal(fr.type, FRAME_WELCOME);
	got = proto_json(&fr, &why);
	assert_non_null(got);
	assert_true(json_equal(got, msg));
	json_decref(got);
	json_decref(msg);
	closepair(sv);
}

/* JSON control frames. */

static void
test_json_accepts_object(void **state)
{
	const char *why = NULL;
	json_t *j;

	frame_set(&fr, " {\"verb\": \"ls\"}\n", 16);
	j = proto_json(&fr, &why);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "verb")),
	    "ls");
	json_decref(j);
}

static void
test_json_rejects_non_objects(void **state)
{
	static const char *const arrays[] = { "[]", "[{}]",
	    "[{\"verb\":\"ls\"}]" };
	/* jansson refuses bare scalars itself: either message will do. */
	static const char *const scalars[] = { "1", "\"s\"", "null",
	    "true" };
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		why = NULL;
		frame_set(&fr, arrays[i], strlen(arrays[i]));
		assert_null(proto_json(&fr, &why));
		assert_non_null(why);
		assert_string_equal(why, "control message is not an object");
	}
	for (i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		why = NULL;
		frame_set(&fr, scalars[i], strlen(scalars[i]));
		assert_null(proto_json(&fr, &why));
		assert_non_null(why);
	}
}

static void
test_json_rejects_malformed(void **state)
{
	static const char *const bad[] = { "", "{", "{\"a\":}", "{'a':1}",
	    "{} x", "{}{}", "{\"a\":1,}", "{\"a\":\"\\u0000\"}",
	    "{\"a\\u0000\":1}" };
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		frame_set(&fr, bad[i], strlen(bad[i]));
		assert_null(proto_json(&fr, &why));
		assert_non_null(why);
		assert_string_equal(why, "malformed JSON");
	}
	/* A NUL byte inside the frame: the length counts, not strlen. */
	why = NULL;
	frame_set(&fr, "{}\0junk", 7);
	assert_null(proto_json(&fr, &why));
	assert_non_null(why);
}

static void
test_json_rejects_duplicate_keys(void **state)
{
	static const char *const bad[] = { "{\"a\":1,\"a\":2}",
	    "{\"verb\":\"ls\",\"name\":\"x\",\"verb\":\"stop\"}",
	    "{\"opts\":{\"tail\":1,\"tail\":2}}" };
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		frame_set(&fr, bad[i], strlen(bad[i]));
		assert_null(proto_json(&fr, &why));
		assert_non_null(why);
		assert_string_equal(why, "malformed JSON");
	}
}

/* {"k":"xxx..."} of exactly len bytes. */
static void
frame_object(struct frame *f, size_t len)
{
	memcpy(f->buf, "{\"k\":\"", 6);
	memset(f->buf + 6, 'x', len - 8);
	memcpy(f->buf + len - 2, "\"}", 2);
	f->len = (uint32_t)len;
	f->buf[len] = '\0';
}

static void
test_json_size_limit(void **state)
{
	const char *why = NULL;
	json_t *j;

	fr.type = FRAME_REPLY;
	frame_object(&fr, PROTO_MAX_JSON);
	j = proto_json(&fr, &why);
	assert_non_null(j);
	json_decref(j);

	frame_object(&fr, PROTO_MAX_JSON + 1);
	assert_null(proto_json(&fr, &why));
	assert_non_null(why);
	assert_string_equal(why, "control message too large");

	frame_object(&fr, PROTO_MAX_LEN);
	why = NULL;
	assert_null(proto_json(&fr, &why));
	assert_string_equal(why, "control message too large");

	/* a request may fill its frame: exec's command rides in it */
	fr.type = FRAME_REQUEST;
	frame_object(&fr, PROTO_MAX_LEN);
	j = proto_json(&fr, &why);
	assert_non_null(j);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_accepts_known_types),
		cmocka_unit_test(test_header_rejects_bad_types),
		cmocka_unit_test(test_header_rejects_oversize),
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_recv_empty_payload),
		cmocka_unit_test(test_recv_max_payload),
		cmocka_unit_test(test_recv_over_pipe),
		cmocka_unit_test(test_recv_eof_before_frame),
		cmocka_unit_test(test_recv_truncated_header),
		cmocka_unit_test(test_recv_truncated_payload),
		cmocka_unit_test(test_recv_oversize_before_payload),
		cmocka_unit_test(test_recv_unknown_type),
		cmocka_unit_test(test_recv_timeout),
		cmocka_unit_test(test_send_refuses_oversize),
		cmocka_unit_test(test_send_json_round_trip),
		cmocka_unit_test(test_json_accepts_object),
		cmocka_unit_test(test_json_rejects_non_objects),
		cmocka_unit_test(test_json_rejects_malformed),
		cmocka_unit_test(test_json_rejects_duplicate_keys),
		cmocka_unit_test(test_json_size_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
