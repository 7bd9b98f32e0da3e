/* The ctl wire protocol: see docs/PROTOCOL.md. */
#ifndef CTL_PROTO_H
#define CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define PROTO_VERSION	1
#define PROTO_HDR_LEN	5		/* u8 type, u32 big-endian length */
#define PROTO_MAX_LEN	65536		/* hard maximum payload, both ways */
#define PROTO_MAX_JSON	16384		/* control messages are small */
#define PROTO_MAX_DATA	(64u << 20)	/* done's data, in data frames */

enum frame_type {
	FRAME_HELLO = 1,	/* c->b JSON {"proto":1} */
	FRAME_WELCOME,		/* b->c JSON {"proto":1,"user":..,"host":..} */
	FRAME_REQUEST,		/* c->b JSON {"verb":..,"name":..,"opts":{..}} */
	FRAME_STDOUT,		/* b->c raw bytes */
	FRAME_STDERR,		/* b->c raw bytes */
	FRAME_DONE,		/* b->c JSON {"exit":N,"error":..,"data":..} */
	FRAME_PROMPT,		/* b->c JSON {"style":..,"text":..} */
	FRAME_REPLY,		/* c->b JSON {"text":..} */
	FRAME_DATA,		/* b->c a piece of done's "data" as JSON text */
	FRAME_SAMPLE,		/* b->c JSON {"containers":[..]}: a stats round */
	FRAME_STARTED,		/* b->c JSON {}: an exec runs, stdin may flow */
	FRAME_STDIN,		/* c->b raw bytes for exec; empty: EOF */
	FRAME_RESIZE,		/* c->b JSON {"rows":..,"cols":..} */
	FRAME_TYPE_MAX = FRAME_RESIZE
};

/* Exit codes shared by the broker's DONE frames and the shell. */
enum ctl_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_NOTFOUND = 3,
	EXIT_AUTH = 4,
	EXIT_UNREACHABLE = 5
};

struct frame {
	uint8_t		 type;
	uint32_t	 len;
	unsigned char	 buf[PROTO_MAX_LEN + 1];	/* NUL after payload */
};

/* Returns 0 if hdr names a known type and a length within limits. */
int	proto_parse_header(const unsigned char hdr[PROTO_HDR_LEN],
	    uint8_t *type, uint32_t *len);
void	proto_put_header(unsigned char hdr[PROTO_HDR_LEN], uint8_t type,
	    uint32_t len);

/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
long long now_ms(void);

int	proto_send(int fd, uint8_t type, const void *buf, size_t len);
int	proto_send_json(int fd, uint8_t type, json_t *msg);
int	proto_send_framed(int fd, const void *buf, size_t len);

/*
 * Reads one frame. timeout_ms < 0 waits forever; otherwise the whole
 * frame must arrive within timeout_ms. Returns 1 on a frame, 0 on a clean EOF before any
 * byte of a frame, -1 on error with *why set to a static message.
 */
int	proto_recv(int fd, struct frame *f, int timeout_ms, const char **why);

/*
 * A buffered receiver for a stream of many small frames (log lines):
 * one read(2) brings in as many frames as are waiting. Same results as
 * proto_recv.
 */
#define PROTO_READER_BUF	(256u << 10)
struct proto_reader {
	int		 fd;
	size_t		 off, len;
	unsigned char	 buf[PROTO_READER_BUF];
};
void	proto_reader_init(struct proto_reader *, int fd);
int	proto_recv_buffered(struct proto_reader *, struct frame *f,
	    int timeout_ms, const char **why);

/*
 * Decodes a JSON control frame: must be an object within PROTO_MAX_JSON
 * (a request, which may carry exec's argv: PROTO_MAX_LEN).
 */
json_t	*proto_json(const struct frame *f, const char **why);

const char *proto_type_name(uint8_t type);

#endif
