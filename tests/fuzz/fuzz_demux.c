/*
 * libFuzzer: Docker's log stream demultiplexer. Oracle: feeding the same
 * bytes whole or split at any point gives the same bytes on the same
 * streams in the same order, and the same verdict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

struct out {
	unsigned char	buf[2 * 60000];	/* (stream, byte) pairs */
	size_t		len;
};

static int
collect(void *ctx, int stream, const unsigned char *p, size_t len)
{
	struct out *o = ctx;
	size_t i;

	if (stream < 1 || stream > 3 || o->len + 2 * len > sizeof(o->buf))
		abort();
	for (i = 0; i < len; i++) {
		o->buf[o->len++] = (unsigned char)stream;
		o->buf[o->len++] = p[i];
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct out a, b;
	struct demux da, db;
	size_t cut;
	int ra, rb;

	if (size < 1 || size > 60000)
		return 0;
	cut = data[0] % size;
	a.len = b.len = 0;
	demux_init(&da);
	demux_init(&db);
	ra = demux_feed(&da, data, size, collect, &a);
	rb = demux_feed(&db, data, cut, collect, &b);
	if (rb == 0)
		rb = demux_feed(&db, data + cut, size - cut, collect, &b);
	if (ra != rb || (ra == 0 && demux_done(&da) != demux_done(&db)))
		abort();
	if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0)
		abort();
	return 0;
}
