/*
 * The client side of the ctl protocol (docs/PROTOCOL.md).
 *
 * Invariants:
 * 1. One connection carries one hello and one request. Only the frames
 *    the protocol allows at that point are accepted; anything else, or
 *    EOF before done, ends the command as a lost connection: exit 5
 *    before the welcome (nothing was done), exit 1 after it.
 * 2. stdout and stderr frames go byte-exact to fds 1 and 2. Every other
 *    string from the broker is printed through fmt_safe().
 * 3. A prompt is answered only from /dev/tty (or, with -S, stdin), with
 *    echo off unless the broker asks for echo; without a terminal and
 *    without -S the command fails (4).
 * 4. The terminal's modes are restored on every path out of a prompt,
 *    and every buffer that held an answer is wiped with explicit_bzero.
 * 5. The connection is unwatched before it is closed, so a signal never
 *    shuts down a descriptor that has been reused.
 * 6. The engines kept from a welcome are names engine_valid accepts; a
 *    welcome listing anything else is malformed.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <paths.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"
#include "execio.h"
#include "ttyout.h"
#include "fmt.h"
#include "proto.h"
#include "sig.h"
#include "verbs.h"

#define HELLO_TIMEOUT_MS	30000
#define QUIET_TIMEOUT_MS	5000
#define ANSWER_MAX		512
#define IDLE_TIMEOUT_MAX	(7L * 86400)
#define MORE			(-1)	/* a handler wants the next frame */

struct conn {
	int	  fd;
	int	  flags;
	int	  timeout;		/* ms per wait; -1: forever */
	int	  welcomed;
	json_t	**data;
	char	 *big;			/* data frames, gathered */
	size_t	  biglen;
	struct ttyout tty[2];		/* stdout, stderr */
	int	  isatty[2];		/* 0: not asked, 1: yes, -1: no */
	struct execio *exec;		/* an exec request's session */
};

static char sock_path[PATH_MAX] = CTL_SOCKET_PATH;
static int answer_stdin;
static unsigned prompted;
static client_sample sample_fn;
static void *sample_arg;
static struct frame frame;
static struct proto_reader reader;
static struct engines engines;
static char held[1024];		/* a CLIENT_PARTIAL done's error, made safe */

static int	on_output(struct conn *, json_t *);
static int	on_data(struct conn *, json_t *);
static int	on_prompt(struct conn *, json_t *);
static int	on_done(struct conn *, json_t *);
static int	on_sample(struct conn *, json_t *);
static int	on_started(struct conn *, json_t *);

/* What may follow a request, as the monitor's dispatch table in OpenSSH. */
static const struct dispatch {
	uint8_t	  type;
	int	  is_json;
	int	(*fn)(struct conn *, json_t *);
} after_request[] = {
	{ FRAME_STDOUT, 0, on_output },
	{ FRAME_STDERR, 0, on_output },
	{ FRAME_DATA, 0, on_data },
	{ FRAME_PROMPT, 1, on_prompt },
	{ FRAME_DONE, 1, on_done },
	{ FRAME_SAMPLE, 0, on_sample },
	{ FRAME_STARTED, 1, on_started },
	{ 0, 0, NULL }
};

static const struct style {
	const char	*name;
	int		 answer;
	int		 echo;
} styles[] = {
	{ "echo_off", 1, 0 },
	{ "echo_on", 1, 1 },
	{ "error", 0, 0 },
	{ "info", 0, 0 },
	{ NULL, 0, 0 }
};

/* done without an error string: a message per exit code. */
static const char *const exit_text[] = {
	[EXIT_FAIL] = "the operation failed",
	[EXIT_USAGE] = "the broker refused the request",
	[EXIT_NOTFOUND] = "no such container, or not permitted",
	[EXIT_AUTH] = "authentication failed",
	[EXIT_UNREACHABLE] = "the broker is unreachable",
};

void
client_set_socket(const char *path)
{
	if (path != NULL && *path != '\0')
		snprintf(sock_path, sizeof(sock_path), "%s", path);
}

void
client_on_sample(client_sample fn, void *arg)
{
	sample_fn = fn;
	sample_arg = arg;
}

void
client_answer_from_stdin(void)
{
	answer_stdin = 1;
}

static int
interrupted(struct conn *c)
{
	if (!(c->flags & CLIENT_QUIET))
		fputc('\n', stderr);
	return EXIT_SIGNAL(sig_caught());
}

/* The connection ended before done; why is NULL for a plain EOF. */
static int
lost(struct conn *c, const char *why)
{
	if (sig_caught())
		return interrupted(c);
	if (!(c->flags & CLIENT_QUIET)) {
		if (why != NULL)
			warnx("connection to the broker lost (%s)", why);
		else
			warnx("connection to the broker lost");
	}
	return c->welcomed ? EXIT_FAIL : EXIT_UNREACHABLE;
}

static int
conn_open(struct conn *c)
{
	struct sockaddr_un sun;
	char safe[128];
	int e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	fmt_safe(safe, sizeof(safe), sock_path);
	if (strlen(sock_path) >= sizeof(sun.sun_path)) {
		e = ENAMETOOLONG;
		goto fail;
	}
	memcpy(sun.sun_path, sock_path, strlen(sock_path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		e = errno;
		goto fail;
	}
	sig_watch(c->fd);
	if (sig_caught())
		return interrupted(c);
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		proto_reader_init(&reader, c->fd);
		return EXIT_OK;
	}
	e = errno;
	if (sig_caught())
		return interrupted(c);
fail:
	if (!(c->flags & CLIENT_QUIET))
		warnx("cannot reach the ctl broker at %s: %s", safe,
		    strerror(e));
	return EXIT_UNREACHABLE;
}

static void
conn_close(struct conn *c)
{
	sig_watch(-1);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->big);
	c->big = NULL;
	c->biglen = 0;
}

/*
 * A failed send is not the end: the broker may have closed after a done
 * that says why, so the next read decides.
 */
static int
send_json(struct conn *c, uint8_t type, json_t *msg)
{
	if (msg == NULL)
		return lost(c, "out of memory");
	(void)proto_send_json(c->fd, type, msg);
	return EXIT_OK;
}

static int
recv_frame(struct conn *c)
{
	const char *why = NULL;
	int rc;

	rc = proto_recv_buffered(&reader, &frame, c->timeout, &why);
	if (rc <= 0)
		return lost(c, rc == 0 ? NULL : why);
	return EXIT_OK;
}

static int
decode(struct conn *c, json_t **msg)
{
	const char *why = NULL;

	if ((*msg = proto_json(&frame, &why)) == NULL)
		return lost(c, why);
	return EXIT_OK;
}

/* The verbs the broker says the user may use on something, if it says. */
static int
usable_parse(json_t *names, unsigned *mask, int *has)
{
	const struct verb *v;
	json_t *n;
	size_t i;

	*mask = 0;
	*has = names != NULL;
	if (names == NULL)
		return 0;
	if (!json_is_array(names))
		return -1;
	json_array_foreach(names, i, n) {
		if (!json_is_string(n))
			return -1;
		if ((v = verb_find(json_string_value(n))) != NULL)
			*mask |= VERB_BIT(v->id);
	}
	return 0;
}

/* The engines the broker says the user may use, if it says. */
static int
engines_parse(json_t *list, struct engines *e)
{
	json_t *n;
	size_t i;

	e->n = 0;
	if (list == NULL)
		return 0;
	if (!json_is_array(list) || json_array_size(list) > ENGINES_MAX)
		return -1;
	json_array_foreach(list, i, n) {
		if (!json_is_string(n) || json_string_length(n) !=
		    strlen(json_string_value(n)) ||
		    !engine_valid(json_string_value(n)))
			return -1;
		memcpy(e->name[i], json_string_value(n),
		    json_string_length(n) + 1);
	}
	e->n = json_array_size(list);
	return 0;
}

const struct engines *
client_engines(void)
{
	return &engines;
}

static int
welcome_parse(struct conn *c, json_t *msg, struct welcome *w)
{
	json_t *proto, *user, *host, *idle, *warn;
	json_int_t secs = IDLE_TIMEOUT_DEFAULT, warnings = WARNINGS_DEFAULT;
	static struct engines listed;
	unsigned usable;
	int has_usable;

	proto = json_object_get(msg, "proto");
	user = json_object_get(msg, "user");
	host = json_object_get(msg, "host");
	idle = json_object_get(msg, "idle_timeout");
	warn = json_object_get(msg, "warnings");
	if (!json_is_integer(proto) ||
	    json_integer_value(proto) != PROTO_VERSION ||
	    !json_is_string(user) || !json_is_string(host) ||
	    (idle != NULL && (!json_is_integer(idle) ||
	    (secs = json_integer_value(idle)) < 0)) ||
	    (warn != NULL && (!json_is_integer(warn) ||
	    (warnings = json_integer_value(warn)) < 0 || warnings > 1000)) ||
	    usable_parse(json_object_get(msg, "verbs"), &usable,
	    &has_usable) == -1 ||
	    engines_parse(json_object_get(msg, "engines"), &listed) == -1)
		return lost(c, "malformed welcome");
	engines = listed;
	if (w == NULL)
		return EXIT_OK;
	fmt_safe(w->user, sizeof(w->user), json_string_value(user));
	fmt_safe(w->host, sizeof(w->host), json_string_value(host));
	w->idle_timeout = secs > IDLE_TIMEOUT_MAX ? IDLE_TIMEOUT_MAX :
	    (long)secs;
	w->warnings = (int)warnings;
	w->usable = usable;
	w->has_usable = has_usable;
	return EXIT_OK;
}

/* hello, then welcome; or done, whose exit code ends the command. */
static int
hello(struct conn *c, struct welcome *w)
{
	json_t *msg = NULL;
	int rc;

	msg = json_pack("{s:i}", "proto", PROTO_VERSION);
	rc = send_json(c, FRAME_HELLO, msg);
	json_decref(msg);
	msg = NULL;
	if (rc != EXIT_OK)
		return rc;
	if ((rc = recv_frame(c)) != EXIT_OK)
		return rc;
	if (frame.type != FRAME_WELCOME && frame.type != FRAME_DONE)
		return lost(c, "unexpected frame");
	if ((rc = decode(c, &msg)) != EXIT_OK)
		return rc;
	if (frame.type == FRAME_DONE) {
		rc = on_done(c, msg);
		if (rc == EXIT_OK)
			rc = lost(c, "done before welcome");
	} else if ((rc = welcome_parse(c, msg, w)) == EXIT_OK)
		c->welcomed = 1;
	json_decref(msg);
	return rc;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR && !sig_caught())
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Terminals get container output through ttyout; pipes get it exact. */
static int
output(struct conn *c, int fd, const unsigned char *buf, size_t len)
{
	static unsigned char safe[PROTO_MAX_LEN + TTYOUT_SLACK];
	int i = fd == STDOUT_FILENO ? 0 : 1;
	struct ttyout *t = &c->tty[i];

	if (c->isatty[i] == 0)		/* asked once per command */
		c->isatty[i] = isatty(fd) ? 1 : -1;
	if ((c->flags & CLIENT_RAW) || c->isatty[i] < 0)
		return write_all(fd, buf, len);
	return write_all(fd, safe, ttyout_filter(t, buf, len, safe));
}

static int
on_output(struct conn *c, json_t *msg)
{
	int fd = frame.type == FRAME_STDOUT ? STDOUT_FILENO : STDERR_FILENO;

	if (c->flags & CLIENT_QUIET)
		return MORE;
	fflush(fd == STDOUT_FILENO ? stdout : stderr);
	if (output(c, fd, frame.buf, frame.len) == 0)
		return MORE;
	if (sig_caught())
		return interrupted(c);
	if (errno != EPIPE)	/* a reader that left is no error to report */
		warn("write");
	return EXIT_FAIL;
}

/* Reads one line from the terminal, without echo if asked. */
static int
tty_ask(const char *text, int echo, char *buf, size_t size, size_t *len)
{
	struct termios saved, quiet;
	int fd, rc = EXIT_OK, restore = 0, toolong = 0;
	char ch, safe[256];
	ssize_t n;

	*len = 0;
	if (answer_stdin) {
		fmt_safe(safe, sizeof(safe), text);
		(void)write_all(STDERR_FILENO, safe, strlen(safe));
		fd = dup(STDIN_FILENO);
		echo = 1;	/* nothing to turn off: not a terminal of ours */
	} else
		fd = open(_PATH_TTY, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd == -1 || (!echo && tcgetattr(fd, &saved) == -1)) {
		warnx("a password is needed but there is no terminal");
		if (fd != -1)
			close(fd);
		return EXIT_AUTH;
	}
	if (!echo) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1) {
			warn("tcsetattr");
			close(fd);
			return EXIT_AUTH;
		}
		restore = 1;
	}
	if (!answer_stdin) {
		fmt_safe(safe, sizeof(safe), text);
		(void)write_all(fd, safe, strlen(safe));
	}
	for (;;) {
		n = sig_wait(fd, -1) == -1 ? -1 : read(fd, &ch, 1);
		if (n == -1 && errno == EINTR && !sig_caught())
			continue;
		if (n == -1) {
			rc = sig_caught() ? EXIT_SIGNAL(sig_caught()) :
			    EXIT_AUTH;
			break;
		}
		if (n == 0 && *len == 0) {	/* Ctrl-D: no answer, a cancel */
			warnx("no password given");
			rc = EXIT_AUTH;
			break;
		}
		if (n == 0 || ch == '\n')
			break;
		if (*len + 1 < size)
			buf[(*len)++] = ch;
		else
			toolong = 1;
	}
	explicit_bzero(&ch, sizeof(ch));
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &saved);
	if ((restore || rc != EXIT_OK) && !answer_stdin)
		(void)write_all(fd, "\n", 1);
	else if (answer_stdin)
		(void)write_all(STDERR_FILENO, "\n", 1);
	close(fd);
	if (toolong && rc == EXIT_OK) {
		warnx("answer too long (more than %zu bytes)", size - 1);
		rc = EXIT_AUTH;
	}
	if (rc != EXIT_OK) {
		explicit_bzero(buf, size);
		*len = 0;
	}
	return rc;
}

/* {"text":"..."} built in place, so that no copy is left unwiped. */
static int
send_reply(int fd, const char *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char buf[16 + 6 * ANSWER_MAX];
	unsigned char ch;
	size_t n, i;
	int rc;

	n = (size_t)snprintf(buf, sizeof(buf), "{\"text\":\"");
	for (i = 0; i < len && i < ANSWER_MAX; i++) {
		ch = (unsigned char)text[i];
		if (ch == '"' || ch == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			memcpy(buf + n, "\\u00", 4);
			buf[n + 4] = hex[ch >> 4];
			buf[n + 5] = hex[ch & 0xf];
			n += 6;
		} else
			buf[n++] = (char)ch;
	}
	buf[n++] = '"';
	buf[n++] = '}';
	rc = proto_send(fd, FRAME_REPLY, buf, n);
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(&ch, sizeof(ch));
	return rc;
}

static int
on_prompt(struct conn *c, json_t *msg)
{
	const struct style *s;
	const char *style, *text;
	char answer[ANSWER_MAX + 1], safe[1024];
	size_t len = 0;
	int rc = EXIT_OK;

	style = json_string_value(json_object_get(msg, "style"));
	text = json_string_value(json_object_get(msg, "text"));
	if (style == NULL || text == NULL)
		return lost(c, "malformed prompt");
	for (s = styles; s->name != NULL; s++)
		if (strcmp(s->name, style) == 0)
			break;
	if (s->name == NULL)
		return lost(c, "unknown prompt style");
	if (c->flags & CLIENT_QUIET)
		return EXIT_AUTH;
	if (s->answer)
		rc = tty_ask(text, s->echo, answer, sizeof(answer), &len);
	else {
		fmt_safe(safe, sizeof(safe), text);
		fprintf(stderr, "%s\n", safe);
		fflush(stderr);
	}
	if (rc == EXIT_OK)
		(void)send_reply(c->fd, answer, len);	/* as send_json */
	if (rc == EXIT_OK && s->answer)
		prompted++;
	explicit_bzero(answer, sizeof(answer));
	return rc == EXIT_OK ? MORE : rc;
}

/*
 * A stats round: a JSON object up to a whole frame, for the command that
 * asked for a stream; to anyone else, a frame out of place.
 */
static int
on_sample(struct conn *c, json_t *msg)
{
	json_t *j;
	int rc;

	(void)msg;
	if (sample_fn == NULL)
		return lost(c, "unexpected frame");
	j = json_loadb((const char *)frame.buf, frame.len,
	    JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return lost(c, "malformed sample");
	}
	rc = sample_fn(sample_arg, j);
	json_decref(j);
	if (rc == -1)
		return lost(c, "malformed sample");
	if (fflush(stdout) == EOF) {
		if (sig_caught())
			return interrupted(c);
		return EXIT_FAIL;	/* the reader left, as on_output */
	}
	return MORE;
}

/*
 * An exec runs: from now on stdin and window changes go to it, and its
 * output is the user's own terminal's, unfiltered, as ssh passes it.
 */
static int
on_started(struct conn *c, json_t *msg)
{
	(void)msg;
	if (c->exec == NULL || c->exec->started)
		return lost(c, "unexpected frame");
	c->flags |= CLIENT_RAW;
	if (execio_start(c->exec) == -1) {
		warn("cannot set the terminal");
		return EXIT_FAIL;
	}
	return MORE;
}

/* A piece of done's data, too large to ride in the done frame itself. */
static int
on_data(struct conn *c, json_t *msg)
{
	char *nb;

	(void)msg;
	if (c->biglen + frame.len > PROTO_MAX_DATA)
		return lost(c, "data too large");
	if ((nb = realloc(c->big, c->biglen + frame.len + 1)) == NULL)
		return lost(c, "out of memory");
	c->big = nb;
	memcpy(c->big + c->biglen, frame.buf, frame.len);
	c->biglen += frame.len;
	return MORE;
}

void
client_say_error(void)
{
	if (held[0] == '\0')
		return;
	fflush(stdout);
	warnx("%s", held);
	held[0] = '\0';
}

static int
on_done(struct conn *c, json_t *msg)
{
	json_t *ex, *error, *data;
	json_int_t code;
	int keep;

	ex = json_object_get(msg, "exit");
	error = json_object_get(msg, "error");
	data = json_object_get(msg, "data");
	if (!json_is_integer(ex) || (error != NULL && !json_is_string(error)))
		return lost(c, "malformed done");
	code = json_integer_value(ex);
	if (code < EXIT_OK || code > EXIT_UNREACHABLE)
		code = EXIT_FAIL;
	keep = c->data != NULL && c->welcomed && (code == EXIT_OK ||
	    (c->flags & CLIENT_PARTIAL));
	if (keep && data != NULL)
		*c->data = json_incref(data);
	else if (keep && c->big != NULL &&
	    (*c->data = json_loadb(c->big, c->biglen, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return lost(c, "malformed data");
	if (code != EXIT_OK && !(c->flags & CLIENT_QUIET)) {
		fmt_safe(held, sizeof(held), error != NULL &&
		    json_string_length(error) > 0 ? json_string_value(error) :
		    exit_text[code]);
		if (!keep || *c->data == NULL)
			client_say_error();
	}
	return (int)code;
}

/* Whether a password prompt could be answered: -S, or a terminal. */
static int
can_prompt(void)
{
	int fd, yes;

	if (answer_stdin)
		return 1;
	if ((fd = open(_PATH_TTY, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return 0;
	yes = isatty(fd);
	close(fd);
	return yes;
}

static int
request(struct conn *c, json_t *req)
{
	const struct dispatch *d;
	json_t *msg;
	int rc;

	if (json_object_set_new(req, "prompt", json_boolean(
	    !(c->flags & CLIENT_NOPROMPT) && can_prompt())) == -1)
		return lost(c, "out of memory");
	if ((rc = send_json(c, FRAME_REQUEST, req)) != EXIT_OK)
		return rc;
	do {
		msg = NULL;
		if (c->exec != NULL && c->exec->started &&
		    execio_pump(c->exec, c->fd, reader.len > 0) == -1 &&
		    sig_caught())
			return interrupted(c);
		if ((rc = recv_frame(c)) != EXIT_OK)
			return rc;
		for (d = after_request; d->fn != NULL; d++)
			if (d->type == frame.type)
				break;
		if (d->fn == NULL)
			return lost(c, "unexpected frame");
		if (d->is_json && (rc = decode(c, &msg)) != EXIT_OK)
			return rc;
		rc = d->fn(c, msg);
		json_decref(msg);
	} while (rc == MORE);
	return rc;
}

unsigned
client_prompted(void)
{
	return prompted;
}

int
client_hello(struct welcome *w, int flags)
{
	struct conn c = { -1, flags, HELLO_TIMEOUT_MS, 0, NULL, NULL, 0, { { 0 } },
	    { 0, 0 }, NULL };
	int rc;

	if ((rc = conn_open(&c)) == EXIT_OK)
		rc = hello(&c, w);
	conn_close(&c);
	return rc;
}

int
client_run(json_t *req, int flags, json_t **data)
{
	static struct execio exec;
	struct conn c = { -1, flags, HELLO_TIMEOUT_MS, 0, data, NULL, 0,
	    { { 0 } }, { 0, 0 }, NULL };
	int rc;

	if (json_object_get(req, "argv") != NULL) {
		execio_init(&exec, req);
		c.exec = &exec;
	}

	if (data != NULL)
		*data = NULL;
	if (flags & CLIENT_QUIET)
		c.timeout = QUIET_TIMEOUT_MS;
	if ((rc = conn_open(&c)) == EXIT_OK &&
	    (rc = hello(&c, NULL)) == EXIT_OK) {
		if (!(flags & CLIENT_QUIET))
			c.timeout = -1;	/* logs --follow may be silent */
		rc = request(&c, req);
	}
	if (c.exec != NULL)
		execio_end(c.exec);
	conn_close(&c);
	if (rc != EXIT_OK && data != NULL && !(flags & CLIENT_PARTIAL)) {
		json_decref(*data);
		*data = NULL;
	}
	return rc;
}
