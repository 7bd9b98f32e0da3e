/*
 * Unit tests for the demultiplexer of Docker's log stream
 * (broker/stream.c): bytes pass exactly, in order, on the right stream,
 * however the input is split; a bad header stops the stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream.h"

#define OUT_MAX	1024

/* What the sink saw: every byte with its stream, and the calls. */
struct sink {
	unsigned char	 data[OUT_MAX];
	int		 stream[OUT_MAX];
	size_t		 n;
	int		 calls;
	int		 fail_at;	/* fail the call with this number */
};

static int
collect(void *ctx, int stream, const unsigned char *buf, size_t len)
{
	struct sink *s = ctx;
	size_t i;

	s->calls++;
	if (s->fail_at != 0 && s->calls == s->fail_at)
		return -1;
	assert_true(s->n + len <= OUT_MAX);
	for (i = 0; i < len; i++) {
		s->data[s->n] = buf[i];
		s->stream[s->n] = stream;
		s->n++;
	}
	return 0;
}

/* Appends one frame to buf at *off. */
static void
frame(unsigned char *buf, size_t *off, int stream, const char *payload,
    size_t len)
{
	buf[*off] = (unsigned char)stream;
	buf[*off + 1] = 0;
	buf[*off + 2] = 0;
	buf[*off + 3] = 0;
	buf[*off + 4] = (unsigned char)(len >> 24);
	buf[*off + 5] = (unsigned char)(len >> 16);
	buf[*off + 6] = (unsigned char)(len >> 8);
	buf[*off + 7] = (unsigned char)len;
	memcpy(buf + *off + 8, payload, len);
	*off += 8 + len;
}

static void
expect_output(const struct sink *s, const char *data, const int *streams)
{
	size_t i, len = strlen(data);

	assert_int_equal(s->n, len);
	assert_memory_equal(s->data, data, len);
	for (i = 0; i < len; i++)
		if (s->stream[i] != streams[i])
			fail_msg("byte %zu ('%c'): stream %d, want %d", i,
			    data[i], s->stream[i], streams[i]);
}

static void
expect_same(const struct sink *a, const struct sink *b)
{
	assert_int_equal(a->n, b->n);
	assert_memory_equal(a->data, b->data, a->n);
	assert_memory_equal(a->stream, b->stream, a->n * sizeof(int));
}

/* Three frames: "hello " on stdout, "err" on stderr, "world" on stdout. */
static size_t
three_frames(unsigned char *buf)
{
	size_t off = 0;

	frame(buf, &off, 1, "hello ", 6);
	frame(buf, &off, 2, "err", 3);
	frame(buf, &off, 1, "world", 5);
	return off;
}

static const int three_streams[] = { 1, 1, 1, 1, 1, 1, 2, 2, 2,
    1, 1, 1, 1, 1 };

static void
test_streams_in_order(void **state)
{
	unsigned char buf[128];
	struct demux d;
	struct sink s = { 0 };
	size_t len;

	len = three_frames(buf);
	demux_init(&d);
	assert_int_equal(demux_feed(&d, buf, len, collect, &s), 0);
	expect_output(&s, "hello errworld", three_streams);
	assert_true(demux_done(&d));
}

static void
test_stream0_is_stdout(void **state)
{
	static const int streams[] = { 1, 1, 1, 2, 1 };
	unsigned char buf[64];
	struct demux d;
	struct sink s = { 0 };
	size_t off = 0;

	frame(buf, &off, 0, "in", 2);
	frame(buf, &off, 1, "o", 1);
	frame(buf, &off, 2, "e", 1);
	frame(buf, &off, 0, "i", 1);
	demux_init(&d);
	assert_int_equal(demux_feed(&d, buf, off, collect, &s), 0);
	expect_output(&s, "inoei", streams);
}

static void
test_stream3_kept(void **state)
{
	static const int streams[] = { 3, 3, 3, 3, 1 };
	unsigned char buf[64];
	struct demux d;
	struct sink s = { 0 };
	size_t off = 0;

	frame(buf, &off, 3, "oops", 4);
	frame(buf, &off, 1, "x", 1);
	demux_init(&d);
	assert_int_equal(demux_feed(&d, buf, off, collect, &s), 0);
	expect_output(&s, "oopsx", streams);
}

static void
test_one_byte_at_a_time(void **state)
{
	unsigned char buf[128];
	struct demux d;
	struct sink whole = { 0 }, bytes = { 0 };
	size_t i, len;

	len = three_frames(buf);
	demux_init(&d);
	assert_int_equal(demux_feed(&d, buf, len, collect, &whole), 0);
	demux_init(&d);
	for (i = 0; i < len; i++)
		assert_int_equal(demux_feed(&d, buf + i, 1, collect, &bytes),
		    0);
	expect_same(&whole, &bytes);
	expect_output(&bytes, "hello errworld", three_streams);
	assert_true(demux_done(&d));
}

static void
test_every_split(void **state)
{
	static const int streams[] = { 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2 };
	unsigned char buf[64];
	struct demux d;
	struct sink s;
	size_t i, j, len = 0;

	frame(buf, &len, 1, "stdout!", 7);
	frame(buf, &len, 2, "ERROR", 5);
	/* Two pieces, at every point; then three pieces. */
	for (i = 0; i <= len; i++) {
		memset(&s, 0, sizeof(s));
		demux_init(&d);
		assert_int_equal(demux_feed(&d, buf, i, collect, &s), 0);
		assert_int_equal(demux_feed(&d, buf + i, len - i, collect, &s),
		    0);
		expect_output(&s, "stdout!ERROR", streams);
		assert_true(demux_done(&d));
	}
	for (i = 0; i <= len; i++)
		for (j = i; j <= len; j++) {
			memset(&s, 0, sizeof(s));
			demux_init(&d);
			assert_int_equal(demux_feed(&d, buf, i, collect, &s),
			    0);
			assert_int_equal(demux_feed(&d, buf + i, j - i,
			    collect, &s), 0);
			assert_int_equal(demux_feed(&d, buf + j, len - j,
			    collect, &s), 0);
			expect_output(&s, "stdout!ERROR", streams);
			assert_true(demux_done(&d));
		}
}

static void
test_zero_length_frames(void **state)
{
	static const int streams[] = { 2, 1 };
	unsigned char buf[64];
	struct demux d;
	struct sink s = { 0 }, bytes = { 0 };
	size_t i, off = 0;

	frame(buf, &off, 1, "", 0);
	frame(buf, &off, 2, "x", 1);
	frame(buf, &off, 2, "", 0);
	frame(buf, &off, 1, "y", 1);
	frame(buf, &off, 1, "", 0);
	demux_init(&d);
	assert_int_equal(demux_feed(&d, buf, off, collect, &s), 0);
	expect_output(&s, "xy", streams);
	assert_true(demux_done(&d));

	demux_init(&d);
	for (i = 0; i < off; i++)
		assert_int_equal(demux_feed(&d, buf + i, 1, collect, &bytes),
		    0);
	expect_output(&bytes, "xy", streams);
	assert_true(demux_done(&d));
}

static void
test_bad_headers(void **state)
{
	unsigned char buf[64];
	struct demux d;
	struct sink s;
	size_t off, i;
	int bad;

	/* Stream types above 3. */
	for (bad = 4; bad <= 0xff; bad++) {
		memset(&s, 0, sizeof(s));
		off = 0;
		frame(buf, &off, bad, "data", 4);
		demux_init(&d);
		assert_int_equal(demux_feed(&d, buf, off, collect, &s), -1);
		assert_int_equal(s.calls, 0);
	}
	/* Non-zero padding in each of bytes 1..3. */
	for (i = 1; i <= 3; i++) {
		memset(&s, 0, sizeof(s));
		off = 0;
		frame(buf, &off, 1, "data", 4);
		buf[i] = 1;
		demux_init(&d);
		assert_int_equal(demux_feed(&d, buf, off, collect, &s), -1);
		assert_int_equal(s.calls, 0);
	}
}

static void
test_bad_header_after_good(void **state)
{
	static const int streams[] = { 1, 1 };
	unsigned char buf[64];
	struct demux d;
	struct sink s = { 0 };
	size_t i, off = 0;
	int rc = 0;

	frame(buf, &off, 1, "ok", 2);
	frame(buf, &off, 4, "evil", 4);
	demux_init(&d);
	assert_int_equal(demux_feed(&d, buf, off, collect, &s), -1);
	expect_output(&s, "ok", streams);

	/* Byte by byte: fails on the last header byte, sends nothing more. */
	memset(&s, 0, sizeof(s));
	demux_init(&d);
	for (i = 0; i < off && rc == 0; i++)
		rc = demux_feed(&d, buf + i, 1, collect, &s);
	assert_int_equal(rc, -1);
	assert_int_equal(i, 10 + 8);
	expect_output(&s, "ok", streams);
	/* And it stays failed. */
	assert_int_equal(demux_feed(&d, buf + i, off - i, collect, &s), -1);
	expect_output(&s, "ok", streams);
}

static void
test_done(void **state)
{
	unsigned char buf[64];
	struct demux d;
	struct sink s = { 0 };
	size_t off = 0;

	frame(buf, &off, 1, "12345", 5);
	demux_init(&d);
	assert_true(demux_done(&d));
	assert_int_equal(demux_feed(&d, buf, 3, collect, &s), 0);
	assert_false(demux_done(&d));		/* mid-header */
	assert_int_equal(demux_feed(&d, buf + 3, 5, collect, &s), 0);
	assert_false(demux_done(&d));		/* header, no payload */
	assert_int_equal(demux_feed(&d, buf + 8, 2, collect, &s), 0);
	assert_false(demux_done(&d));		/* mid-payload */
	assert_int_equal(demux_feed(&d, buf + 10, 3, collect, &s), 0);
	assert_true(demux_done(&d));		/* boundary */
	assert_int_equal(s.n, 5);

	/* A zero-length frame is complete as soon as its header is. */
	off = 0;
	frame(buf, &off, 2, "", 0);
	assert_int_equal(demux_feed(&d, buf, 7, collect, &s), 0);
	assert_false(demux_done(&d));
	assert_int_equal(demux_feed(&d, buf + 7, 1, collect, &s), 0);
	assert_true(demux_done(&d));
}

static void
test_out_error_propagates(void **state)
{
	unsigned char buf[128];
	struct demux d;
	struct sink s;
	size_t len;

	len = three_frames(buf);
	memset(&s, 0, sizeof(s));
	s.fail_at = 1;
	demux_init(&d);
	assert_int_equal(demux_feed(&d, buf, len, collect, &s), -1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.n, 0);

	/* Failing the second frame: the first got through, no third call. */
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	demux_init(&d);
	assert_int_equal(demux_feed(&d, buf, len, collect, &s), -1);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.n, 6);
	assert_memory_equal(s.data, "hello ", 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streams_in_order),
		cmocka_unit_test(test_stream0_is_stdout),
		cmocka_unit_test(test_stream3_kept),
		cmocka_unit_test(test_one_byte_at_a_time),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_zero_length_frames),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_header_after_good),
		cmocka_unit_test(test_done),
		cmocka_unit_test(test_out_error_propagates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
