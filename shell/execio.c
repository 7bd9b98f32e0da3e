/*
 * The client's side of an exec session: stdin to the broker in stdin
 * frames, the window's size in resize frames, and the terminal in raw
 * mode for -t, between the started frame and done.
 *
 * Invariants:
 * 1. The terminal's modes are restored on every path out (execio_end),
 *    and are changed only for -i -t with a terminal on stdin.
 * 2. stdin is read only for -i, after started, and one frame at a time:
 *    the next read waits until the broker took the last frame, while
 *    its output is always read (no side waits on the other).
 * 3. Bytes pass as they are, both ways; this file never interprets
 *    them.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "execio.h"
#include "sig.h"

static volatile sig_atomic_t winched;

static void
on_winch(int sig)
{
	(void)sig;
	winched = 1;
}

/* The terminal's size, from stdin or stdout; 0, 0 when neither is one. */
static void
window_size(long *rows, long *cols)
{
	struct winsize ws;

	*rows = *cols = 0;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == -1 &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == -1)
		return;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
}

const char *
execio_check(json_t *req)
{
	json_t *opts = json_object_get(req, "opts");

	if (json_is_true(json_object_get(opts, "tty")) &&
	    json_is_true(json_object_get(opts, "interactive")) &&
	    !isatty(STDIN_FILENO))
		return "exec -i -t: standard input is not a terminal "
		    "(over ssh, use ssh -t)";
	return NULL;
}

int
execio_request(json_t *req)
{
	json_t *opts = json_object_get(req, "opts");
	long rows, cols;

	if (!json_is_true(json_object_get(opts, "tty")))
		return 0;
	window_size(&rows, &cols);
	if (rows == 0 || cols == 0)
		return 0;
	return json_object_set_new(opts, "rows", json_integer(rows)) == -1 ||
	    json_object_set_new(opts, "cols", json_integer(cols)) == -1 ?
	    -1 : 0;
}

void
execio_init(struct execio *e, json_t *req)
{
	json_t *opts = json_object_get(req, "opts");

	memset(e, 0, sizeof(*e));
	e->interactive = json_is_true(json_object_get(opts, "interactive"));
	e->tty = json_is_true(json_object_get(opts, "tty"));
}

int
execio_start(struct execio *e)
{
	struct sigaction sa;
	struct termios raw;

	e->started = 1;
	if (e->tty) {
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = on_winch;
		if (sigaction(SIGWINCH, &sa, &e->saved_winch) == 0)
			e->winch_set = 1;
	}
	/* raw only when keys go to the command: without -i, Ctrl-C is ctl's */
	if (!e->tty || !e->interactive || !isatty(STDIN_FILENO))
		return 0;
	if (tcgetattr(STDIN_FILENO, &e->saved) == -1)
		return -1;
	raw = e->saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == -1)
		return -1;
	e->raw = 1;
	return 0;
}

void
execio_end(struct execio *e)
{
	if (e->raw)
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &e->saved);
	e->raw = 0;
	if (e->winch_set)
		(void)sigaction(SIGWINCH, &e->saved_winch, NULL);
	e->winch_set = 0;
}

static void
queue(struct execio *e, uint8_t type, const void *buf, size_t len)
{
	proto_put_header(e->out, type, (uint32_t)len);
	if (len > 0)
		memmove(e->out + PROTO_HDR_LEN, buf, len);
	e->outlen = PROTO_HDR_LEN + len;
	e->outoff = 0;
}

static void
queue_window(struct execio *e)
{
	char buf[64];
	long rows, cols;
	int n;

	winched = 0;
	window_size(&rows, &cols);
	n = snprintf(buf, sizeof(buf), "{\"rows\":%ld,\"cols\":%ld}", rows,
	    cols);
	queue(e, FRAME_RESIZE, buf, (size_t)n);
}

/* One read of stdin into a stdin frame; its end as an empty one. */
static int
read_stdin(struct execio *e)
{
	ssize_t n;

	n = read(STDIN_FILENO, e->out + PROTO_HDR_LEN, EXECIO_IN_MAX);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n == -1)
		n = 0;		/* an unreadable stdin ends as at EOF */
	if (n == 0)
		e->in_eof = 1;
	queue(e, FRAME_STDIN, e->out + PROTO_HDR_LEN, (size_t)n);
	return 0;
}

static int
flush(struct execio *e, int sock)
{
	ssize_t n;

	n = send(sock, e->out + e->outoff, e->outlen - e->outoff,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	e->outoff += (size_t)n;
	if (e->outoff == e->outlen)
		e->outlen = e->outoff = 0;
	return 0;
}

int
execio_pump(struct execio *e, int sock, int buffered)
{
	struct pollfd pf[2];
	int n;

	for (;;) {
		if (sig_caught())
			return -1;
		if (winched && e->outlen == 0)
			queue_window(e);
		if (e->outlen > 0 && flush(e, sock) == -1)
			return -1;
		if (buffered)
			return 0;
		pf[0].fd = sock;
		pf[0].events = POLLIN | (e->outlen > 0 ? POLLOUT : 0);
		pf[1].fd = STDIN_FILENO;
		pf[1].events = e->interactive && !e->in_eof && e->outlen == 0 ?
		    POLLIN : 0;
		pf[0].revents = pf[1].revents = 0;
		n = poll(pf, pf[1].events ? 2 : 1, -1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR))
			read_stdin(e);
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR))
			return 0;
	}
}
