/*
 * Framing of the ctl protocol.
 *
 * Invariants:
 * 1. No frame with an unknown type or a length above PROTO_MAX_LEN is
 *    sent or accepted; the check is made on the header, before any
 *    payload byte is read.
 * 2. A short read, a timeout or a malformed frame is an error for that
 *    connection only: nothing here exits or raises a signal (MSG_NOSIGNAL).
 *    The timeout bounds the whole frame, so a peer sending a byte now and
 *    then cannot stretch one frame without end.
 * 3. JSON control frames are objects no larger than PROTO_MAX_JSON (a
 *    request: PROTO_MAX_LEN, for exec's argv) and are parsed with
 *    jansson's duplicate-key rejection.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

static const char *const type_names[FRAME_TYPE_MAX + 1] = {
	[FRAME_HELLO] = "hello",
	[FRAME_WELCOME] = "welcome",
	[FRAME_REQUEST] = "request",
	[FRAME_STDOUT] = "stdout",
	[FRAME_STDERR] = "stderr",
	[FRAME_DONE] = "done",
	[FRAME_PROMPT] = "prompt",
	[FRAME_REPLY] = "reply",
	[FRAME_DATA] = "data",
	[FRAME_SAMPLE] = "sample",
	[FRAME_STARTED] = "started",
	[FRAME_STDIN] = "stdin",
	[FRAME_RESIZE] = "resize",
};

const char *
proto_type_name(uint8_t type)
{
	if (type == 0 || type > FRAME_TYPE_MAX)
		return "unknown";
	return type_names[type];
}

void
proto_put_header(unsigned char hdr[PROTO_HDR_LEN], uint8_t type,
    uint32_t len)
{
	hdr[0] = type;
	hdr[1] = (len >> 24) & 0xff;
	hdr[2] = (len >> 16) & 0xff;
	hdr[3] = (len >> 8) & 0xff;
	hdr[4] = len & 0xff;
}

int
proto_parse_header(const unsigned char hdr[PROTO_HDR_LEN], uint8_t *type,
    uint32_t *len)
{
	*type = hdr[0];
	*len = (uint32_t)hdr[1] << 24 | (uint32_t)hdr[2] << 16 |
	    (uint32_t)hdr[3] << 8 | hdr[4];
	if (*type == 0 || *type > FRAME_TYPE_MAX)
		return -1;
	if (*len > PROTO_MAX_LEN)
		return -1;
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
proto_send(int fd, uint8_t type, const void *buf, size_t len)
{
	unsigned char hdr[PROTO_HDR_LEN];
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t n;

	if (type == 0 || type > FRAME_TYPE_MAX || len > PROTO_MAX_LEN) {
		errno = EMSGSIZE;
		return -1;
	}
	proto_put_header(hdr, type, (uint32_t)len);
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)buf;
	iov[1].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = len ? 2 : 1;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == ENOTSOCK)
		n = 0;	/* a pipe in tests: fall back to plain writes */
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(hdr)) {
		if (write_full(fd, hdr + n, sizeof(hdr) - (size_t)n) == -1)
			return -1;
		n = 0;
	} else
		n -= sizeof(hdr);
	return write_full(fd, (const unsigned char *)buf + n, len - (size_t)n);
}

/* Several frames already laid out with proto_put_header, in one write. */
int
proto_send_framed(int fd, const void *buf, size_t len)
{
	return write_full(fd, buf, len);
}

int
proto_send_json(int fd, uint8_t type, json_t *msg)
{
	char *s;
	int rc;

	s = json_dumps(msg, JSON_COMPACT);
	if (s == NULL) {
		errno = ENOMEM;
		return -1;
	}
	rc = proto_send(fd, type, s, strlen(s));
	free(s);
	return rc;
}

long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1: none), at least 0. */
static int
left_ms(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	return left < 0 ? 0 : left > 86400000 ? 86400000 : (int)left;
}

/* Returns 1 when len bytes were read, 0 on EOF at start, -1 on error. */
static int
read_full(int fd, unsigned char *buf, size_t len, long long deadline,
    const char **why)
{
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;
	int rc;

	while (got < len) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, left_ms(deadline));
		if (rc < 0) {
			if (errno == EINTR) {
				*why = "interrupted";
				return -1;
			}
			*why = "poll failed";
			return -1;
		}
		if (rc == 0) {
			*why = "timed out";
			return -1;
		}
		n = read(fd, buf + got, len - got);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*why = "read failed";
			return -1;
		}
		if (n == 0) {
			if (got == 0)
				return 0;
			*why = "truncated frame";
			return -1;
		}
		got += (size_t)n;
	}
	return 1;
}

int
proto_recv(int fd, struct frame *f, int timeout_ms, const char **why)
{
	unsigned char hdr[PROTO_HDR_LEN];
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int rc;

	rc = read_full(fd, hdr, sizeof(hdr), deadline, why);
	if (rc <= 0)
		return rc;
	if (proto_parse_header(hdr, &f->type, &f->len) == -1) {
		*why = f->len > PROTO_MAX_LEN ? "oversize frame" :
		    "unknown frame type";
		return -1;
	}
	if (f->len > 0) {
		rc = read_full(fd, f->buf, f->len, deadline, why);
		if (rc == 0) {
			*why = "truncated frame";
			return -1;
		}
		if (rc < 0)
			return -1;
	}
	f->buf[f->len] = '\0';
	return 1;
}

void
proto_reader_init(struct proto_reader *r, int fd)
{
	r->fd = fd;
	r->off = r->len = 0;
}

/* Makes at least want bytes available at r->buf + r->off. */
static int
fill(struct proto_reader *r, size_t want, long long deadline,
    const char **why)
{
	struct pollfd pfd;
	ssize_t n;
	int rc;

	if (r->off + want > sizeof(r->buf)) {
		memmove(r->buf, r->buf + r->off, r->len);
		r->off = 0;
	}
	while (r->len < want) {
		pfd.fd = r->fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, left_ms(deadline));
		if (rc <= 0) {
			*why = rc == 0 ? "timed out" : errno == EINTR ?
			    "interrupted" : "poll failed";
			return -1;
		}
		n = read(r->fd, r->buf + r->off + r->len,
		    sizeof(r->buf) - r->off - r->len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*why = "read failed";
			return -1;
		}
		if (n == 0) {
			if (r->len == 0)
				return 0;
			*why = "truncated frame";
			return -1;
		}
		r->len += (size_t)n;
	}
	return 1;
}

int
proto_recv_buffered(struct proto_reader *r, struct frame *f, int timeout_ms,
    const char **why)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int rc;

	if ((rc = fill(r, PROTO_HDR_LEN, deadline, why)) <= 0)
		return rc;
	if (proto_parse_header(r->buf + r->off, &f->type, &f->len) == -1) {
		*why = f->len > PROTO_MAX_LEN ? "oversize frame" :
		    "unknown frame type";
		return -1;
	}
	if ((rc = fill(r, PROTO_HDR_LEN + f->len, deadline, why)) <= 0) {
		if (rc == 0)
			*why = "truncated frame";
		return -1;
	}
	memcpy(f->buf, r->buf + r->off + PROTO_HDR_LEN, f->len);
	f->buf[f->len] = '\0';
	r->off += PROTO_HDR_LEN + f->len;
	r->len -= PROTO_HDR_LEN + f->len;
	if (r->len == 0)
		r->off = 0;
	return 1;
}

json_t *
proto_json(const struct frame *f, const char **why)
{
	json_error_t jerr;
	json_t *j;

	if (f->len > (f->type == FRAME_REQUEST ? PROTO_MAX_LEN :
	    PROTO_MAX_JSON)) {
		*why = "control message too large";
		return NULL;
	}
	j = json_loadb((const char *)f->buf, f->len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		*why = "malformed JSON";
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*why = "control message is not an object";
		return NULL;
	}
	return j;
}
