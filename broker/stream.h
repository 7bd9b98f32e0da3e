/* stream.c: Docker's multiplexed log stream. */
#ifndef CTLD_STREAM_H
#define CTLD_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct demux {
	unsigned char	 hdr[8];
	size_t		 hdrlen;
	uint8_t		 type;
	uint32_t	 left;
};
typedef int (*demux_out)(void *ctx, int stream, const unsigned char *,
    size_t);
void	demux_init(struct demux *);
int	demux_feed(struct demux *, const unsigned char *, size_t, demux_out,
	    void *ctx);
int	demux_done(const struct demux *);

#endif
