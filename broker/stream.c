/*
 * Demultiplexing Docker's log stream (non-TTY containers).
 *
 * Each frame is an 8-byte header, [stream, 0, 0, 0, size (u32 BE)],
 * then size bytes. Stream 0 is stdin (written to stdout, as the Docker
 * CLI does), 1 stdout, 2 stderr, 3 a daemon error.
 *
 * Invariants:
 * 1. A header with another stream type or non-zero padding is an error:
 *    the broker stops and says so instead of guessing.
 * 2. Payload bytes are passed on exactly, in order, split anywhere.
 */
#include <string.h>

#include "stream.h"

void
demux_init(struct demux *d)
{
	memset(d, 0, sizeof(*d));
}

static int
header_done(struct demux *d)
{
	if (d->hdr[0] > 3 || d->hdr[1] != 0 || d->hdr[2] != 0 ||
	    d->hdr[3] != 0)
		return -1;
	d->type = d->hdr[0] == 0 ? 1 : d->hdr[0];
	d->left = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
	    (uint32_t)d->hdr[6] << 8 | d->hdr[7];
	d->hdrlen = 0;
	return 0;
}

int
demux_feed(struct demux *d, const unsigned char *buf, size_t len,
    demux_out out, void *ctx)
{
	size_t n;

	while (len > 0) {
		if (d->left == 0) {
			n = sizeof(d->hdr) - d->hdrlen;
			if (n > len)
				n = len;
			memcpy(d->hdr + d->hdrlen, buf, n);
			d->hdrlen += n;
			buf += n;
			len -= n;
			if (d->hdrlen == sizeof(d->hdr) && header_done(d) == -1)
				return -1;
			continue;
		}
		n = len < d->left ? len : d->left;
		if (out(ctx, d->type, buf, n) == -1)
			return -1;
		d->left -= (uint32_t)n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* True when the stream ended on a frame boundary. */
int
demux_done(const struct demux *d)
{
	return d->left == 0 && d->hdrlen == 0;
}
