/*
 * broker/record.c: exec -t sessions as asciicast v2 files. Every file
 * written is read back line by line with jansson.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctld.h"
#include "record.h"

#define MARK	"recording stopped: audit.sessions_max (65536 bytes) reached"

static char	 dir[64];
static char	 sessions[128];
static char	 err[512];
static struct config cf;

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_bk_record.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sessions, sizeof(sessions), "%s/sessions", dir);
	memset(&cf, 0, sizeof(cf));
	cf.audit_sessions = sessions;
	cf.audit_sessions_max = 16 << 20;
	return 0;
}

static int
teardown(void **state)
{
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct recording *
start(const char *term)
{
	static char *const argv[] = { "sh", "-l", NULL };
	struct recording *r = NULL;

	err[0] = '\0';
	if (record_open(&cf, "alice", "web", argv, 80, 24, term, &r, err,
	    sizeof(err)) == -1)
		fail_msg("record_open: %s", err);
	assert_non_null(r);
	return r;
}

/* Closes r; its path, for reading back. */
static const char *
finish(struct recording *r)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", record_path(r));
	if (record_close(r, err, sizeof(err)) == -1)
		fail_msg("record_close: %s", err);
	return path;
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY);
	assert_int_not_equal(fd, -1);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* "[digits.dddddd, \"" as the text of an event line begins */
static int
time_ok(const char *line)
{
	size_t n;

	if (line[0] != '[' || (n = strspn(line + 1, "0123456789")) == 0 ||
	    line[1 + n] != '.' || strspn(line + 2 + n, "0123456789") != 6)
		return 0;
	return strncmp(line + 8 + n, ", \"", 3) == 0;
}

/*
 * The file at path, every line parsed: the header in *header, the
 * events returned, each [number, "type", "data"] in time order.
 */
static json_t *
load(const char *path, json_t **header)
{
	json_t *events, *j;
	json_error_t je;
	double last = 0;
	size_t len, i = 0, n;
	char *buf, *nl;
	int line;

	buf = slurp(path, &len);
	assert_true(len > 0 && buf[len - 1] == '\n');
	events = json_array();
	*header = NULL;
	for (line = 1; i < len; line++, i += n + 1) {
		nl = memchr(buf + i, '\n', len - i);
		n = (size_t)(nl - (buf + i));
		j = json_loadb(buf + i, n, JSON_ALLOW_NUL, &je);
		if (j == NULL)
			fail_msg("%s:%d: %s: %.*s", path, line, je.text,
			    (int)n, buf + i);
		if (line == 1) {
			assert_true(json_is_object(j));
			*header = j;
			continue;
		}
		if (!time_ok(buf + i) || !json_is_array(j) ||
		    json_array_size(j) != 3 ||
		    !json_is_real(json_array_get(j, 0)) ||
		    json_string_length(json_array_get(j, 1)) != 1 ||
		    !json_is_string(json_array_get(j, 2)) ||
		    json_real_value(json_array_get(j, 0)) < last)
			fail_msg("%s:%d: not an event: %.*s", path, line,
			    (int)n, buf + i);
		last = json_real_value(json_array_get(j, 0));
		json_array_append_new(events, j);
	}
	free(buf);
	assert_non_null(*header);
	return events;
}

static const char *
ev_type(json_t *events, size_t i)
{
	return json_string_value(json_array_get(json_array_get(events, i), 1));
}

static const char *
ev_data(json_t *events, size_t i)
{
	return json_string_value(json_array_get(json_array_get(events, i), 2));
}

/* The data of every event of that type, one after another. */
static char *
stream(json_t *events, const char *type, size_t *len)
{
	json_t *d;
	size_t i, n = 0;
	char *out;

	out = malloc(json_array_size(events) * 6 * 4096 + 1);
	assert_non_null(out);
	for (i = 0; i < json_array_size(events); i++) {
		if (strcmp(ev_type(events, i), type) != 0)
			continue;
		d = json_array_get(json_array_get(events, i), 2);
		memcpy(out + n, json_string_value(d), json_string_length(d));
		n += json_string_length(d);
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static void
assert_stream(json_t *events, const char *type, const char *want)
{
	size_t len;
	char *got;

	got = stream(events, type, &len);
	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("\"%s\" events: \"%s\", want \"%s\"", type, got, want);
	free(got);
}

/* The file's events are these n, each given as its type and data. */
static void
assert_events(const char *path, size_t n, ...)
{
	const char *type, *data;
	json_t *h, *ev;
	va_list ap;
	size_t i;

	ev = load(path, &h);
	assert_int_equal(json_array_size(ev), n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		type = va_arg(ap, const char *);
		data = va_arg(ap, const char *);
		if (strcmp(ev_type(ev, i), type) != 0 ||
		    strcmp(ev_data(ev, i), data) != 0)
			fail_msg("event %zu: [\"%s\", \"%s\"], want "
			    "[\"%s\", \"%s\"]", i, ev_type(ev, i),
			    ev_data(ev, i), type, data);
	}
	va_end(ap);
	json_decref(h);
	json_decref(ev);
}

static void
record_ok(struct recording *r, const char *s)
{
	assert_int_equal(record_output(r, s, strlen(s)), 0);
}

static void
test_not_recording(void **state)
{
	struct recording *r = (struct recording *)&cf;	/* not left as is */

	cf.audit_sessions = NULL;
	assert_int_equal(record_open(&cf, "alice", "web", NULL, 80, 24, NULL,
	    &r, err, sizeof(err)), 0);
	assert_null(r);
	assert_int_equal(record_output(r, "x", 1), 0);
	assert_int_equal(record_input(r, "x", 1), 0);
	assert_int_equal(record_resize(r, 1, 1), 0);
	assert_null(record_path(r));
	assert_null(record_error(r));
	assert_int_equal(record_close(r, err, sizeof(err)), 0);
	assert_int_equal(access(sessions, F_OK), -1);
}

static void
test_header_and_file(void **state)
{
	char *const argv[] = { "sh", "-c", "echo \"hi\"\\\n\xff", NULL };
	char want[PATH_MAX], path[PATH_MAX];
	struct recording *r;
	struct stat st;
	json_t *h, *ev;
	time_t t0, t1;
	mode_t old;
	const char *p;

	old = umask(0);		/* the modes are record.c's own */
	t0 = time(NULL);
	assert_int_equal(record_open(&cf, "alice", "web", argv, 132, 43,
	    "xterm-256color", &r, err, sizeof(err)), 0);
	t1 = time(NULL);
	umask(old);
	assert_non_null(r);
	assert_null(record_error(r));
	snprintf(path, sizeof(path), "%s", finish(r));

	assert_int_equal(lstat(sessions, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* sessions/YYYYmmddTHHMMSSZ-alice-web-PID.cast */
	assert_int_equal(strncmp(path, sessions, strlen(sessions)), 0);
	p = path + strlen(sessions);
	assert_int_equal(p[0], '/');
	assert_int_equal(strspn(p + 1, "0123456789"), 8);
	assert_int_equal(p[9], 'T');
	assert_int_equal(strspn(p + 10, "0123456789"), 6);
	assert_int_equal(p[16], 'Z');
	snprintf(want, sizeof(want), "-alice-web-%ld.cast", (long)getpid());
	assert_string_equal(p + 17, want);

	ev = load(path, &h);
	assert_int_equal(json_array_size(ev), 0);
	assert_int_equal(json_integer_value(json_object_get(h, "version")), 2);
	assert_int_equal(json_integer_value(json_object_get(h, "width")), 132);
	assert_int_equal(json_integer_value(json_object_get(h, "height")), 43);
	assert_in_range(json_integer_value(json_object_get(h, "timestamp")),
	    t0, t1);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(h, "env"), "TERM")), "xterm-256color");
	assert_string_equal(json_string_value(json_object_get(h, "title")),
	    "alice: exec web -- sh -c echo \"hi\"\\\n\\xff");
	json_decref(h);
	json_decref(ev);
}

static void
test_header_defaults(void **state)
{
	struct recording *r;
	json_t *h, *ev;

	assert_int_equal(record_open(&cf, "a/b", "../c", NULL, 0, 70000,
	    NULL, &r, err, sizeof(err)), 0);
	assert_non_null(strstr(record_path(r), "Z-a_b-.._c-"));
	ev = load(finish(r), &h);
	assert_int_equal(json_integer_value(json_object_get(h, "width")), 80);
	assert_int_equal(json_integer_value(json_object_get(h, "height")), 24);
	assert_int_equal(json_object_size(json_object_get(h, "env")), 0);
	assert_string_equal(json_string_value(json_object_get(h, "title")),
	    "a/b: exec ../c --");
	json_decref(h);
	json_decref(ev);
}

/* A long title is cut to 512 bytes and "...", never inside a character. */
static void
test_title_bounded(void **state)
{
	char arg[2 + 3 * 1000 + 1], *argv[] = { arg, NULL };
	struct recording *r;
	const char *t;
	json_t *h, *ev;
	int i;

	/* 19 bytes, "xy", then 491 bytes: 163 characters and 2 of one */
	memcpy(arg, "xy", 2);
	for (i = 0; i < 1000; i++)
		memcpy(arg + 2 + 3 * i, "\xe2\x82\xac", 3);
	arg[sizeof(arg) - 1] = '\0';
	assert_int_equal(record_open(&cf, "alice", "web", argv, 80, 24,
	    NULL, &r, err, sizeof(err)), 0);
	ev = load(finish(r), &h);
	t = json_string_value(json_object_get(h, "title"));
	assert_int_equal(strlen(t), 510 + 3);
	assert_int_equal(strncmp(t, "alice: exec web -- xy\xe2\x82\xac", 24), 0);
	assert_string_equal(t + strlen(t) - 6, "\xe2\x82\xac...");
	assert_null(strstr(t, "\\x"));
	json_decref(h);
	json_decref(ev);
}

static void
test_output_and_escapes(void **state)
{
	struct recording *r;
	const char *path;
	json_t *h, *ev, *d;
	char *raw;
	size_t len;

	r = start("xterm");
	record_ok(r, "hello\r\n");
	record_ok(r, "\x1b[1mbold\x1b[0m\t\"q\" \\ \x7f\x01");
	assert_int_equal(record_output(r, "a\0b", 3), 0);
	path = finish(r);
	ev = load(path, &h);
	assert_int_equal(json_array_size(ev), 3);
	assert_string_equal(ev_type(ev, 0), "o");
	assert_string_equal(ev_data(ev, 0), "hello\r\n");
	assert_string_equal(ev_data(ev, 1),
	    "\x1b[1mbold\x1b[0m\t\"q\" \\ \x7f\x01");
	d = json_array_get(json_array_get(ev, 2), 2);
	assert_int_equal(json_string_length(d), 3);
	assert_memory_equal(json_string_value(d), "a\0b", 3);
	/* control bytes are JSON escapes in the file itself */
	raw = slurp(path, &len);
	assert_non_null(strstr(raw, "\"hello\\r\\n\"]\n"));
	assert_non_null(strstr(raw, "\\u001b[1mbold"));
	assert_non_null(strstr(raw, "\\u007f\\u0001"));
	assert_null(memchr(raw, 0x1b, len));
	assert_null(memchr(raw, '\0', len));
	free(raw);
	json_decref(h);
	json_decref(ev);
}

static void
test_invalid_bytes(void **state)
{
	static const struct {
		const char	*in, *want;
	} t[] = {
		{ "\xff", "\\xff" },
		{ "a\x80z", "a\\x80z" },
		{ "\xc0\xaf", "\\xc0\\xaf" },			/* overlong */
		{ "\xc1\xbf", "\\xc1\\xbf" },
		{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },
		{ "\xe0\x9f\xbf", "\\xe0\\x9f\\xbf" },
		{ "\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf" },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },		/* surrogates */
		{ "\xed\xbf\xbf", "\\xed\\xbf\\xbf" },
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },	/* U+110000 */
		{ "\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80" },
		{ "\xe2\x82z", "\\xe2\\x82z" },			/* cut short */
		{ "\xc2\x80\xdf\xbf", "\xc2\x80\xdf\xbf" },	/* valid */
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" },
		{ "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf",
		  "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf" },
	};
	size_t i, n = sizeof(t) / sizeof(t[0]);
	struct recording *r;
	json_t *h, *ev;

	r = start(NULL);
	for (i = 0; i < n; i++)
		record_ok(r, t[i].in);
	ev = load(finish(r), &h);
	assert_int_equal(json_array_size(ev), n);
	for (i = 0; i < n; i++)
		if (strcmp(ev_data(ev, i), t[i].want) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i,
			    ev_data(ev, i), t[i].want);
	json_decref(h);
	json_decref(ev);
}

static void
test_split_utf8(void **state)
{
	struct recording *r;
	json_t *h, *ev;

	cf.audit_sessions_input = 1;
	r = start(NULL);
	record_ok(r, "a\xe2");
	record_ok(r, "\x82");
	record_ok(r, "\xac b");
	record_ok(r, "\xf0");
	record_ok(r, "\x9f\x98");
	record_ok(r, "\x80");
	record_ok(r, "\xe2\x82");
	assert_int_equal(record_input(r, "\xc3", 1), 0);
	record_ok(r, "\xac");
	assert_int_equal(record_input(r, "\xa9", 1), 0);
	record_ok(r, "x\xe2\x82");	/* still carried at the end */
	ev = load(finish(r), &h);
	assert_stream(ev, "o",
	    "a\xe2\x82\xac b\xf0\x9f\x98\x80\xe2\x82\xacx\\xe2\\x82");
	assert_stream(ev, "i", "\xc3\xa9");
	json_decref(h);
	json_decref(ev);
}

/* One call larger than an event: characters on the seams stay whole. */
static void
test_large_output(void **state)
{
	static char buf[3 * 10000 + 1];
	struct recording *r;
	json_t *h, *ev;
	int i;

	for (i = 0; i < 10000; i++)
		memcpy(buf + 3 * i, "\xe2\x82\xac", 3);
	r = start(NULL);
	record_ok(r, buf);
	ev = load(finish(r), &h);
	assert_true(json_array_size(ev) > 1);
	assert_stream(ev, "o", buf);
	json_decref(h);
	json_decref(ev);
}

/* Any byte at all, split anywhere: \xHH undone gives the bytes back. */
static size_t
unescape(const char *s, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
		    sscanf(s + i + 2, "%2x", &v) == 1) {
			out[o++] = (unsigned char)v;
			i += 3;
		} else
			out[o++] = (unsigned char)s[i];
	}
	return o;
}

static size_t
random_bytes(unsigned char *buf, size_t max)
{
	static const char *const chars[] = { "\xc3\xa9", "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf",
	    "\x1b[" };
	const char *s;
	size_t n = 0;
	unsigned char c;

	while (n + 4 < max) {
		if (rand() % 2) {
			s = chars[rand() % 6];
			memcpy(buf + n, s, strlen(s));
			n += strlen(s);
		} else if ((c = (unsigned char)(rand() % 256)) != '\\')
			buf[n++] = c;
	}
	return n;
}

static void
test_any_bytes_round_trip(void **state)
{
	enum { N = 200000 };
	unsigned char *in, *want[2], *back;
	size_t n, off, m, len, wlen[2] = { 0, 0 };
	struct recording *r;
	json_t *h, *ev;
	char *got;
	int d;

	in = malloc(N);
	back = malloc(4 * N);
	want[0] = malloc(N);
	want[1] = malloc(N);
	assert_true(in != NULL && back != NULL && want[0] != NULL &&
	    want[1] != NULL);
	srand(7);
	n = random_bytes(in, N);
	cf.audit_sessions_input = 1;
	r = start(NULL);
	for (off = 0; off < n; off += m) {
		m = 1 + (size_t)rand() % 9000;
		if (m > n - off)
			m = n - off;
		d = rand() % 2;
		memcpy(want[d] + wlen[d], in + off, m);
		wlen[d] += m;
		assert_int_equal(d ? record_input(r, in + off, m) :
		    record_output(r, in + off, m), 0);
	}
	ev = load(finish(r), &h);
	for (d = 0; d < 2; d++) {
		got = stream(ev, d ? "i" : "o", &len);
		len = unescape(got, len, back);
		assert_int_equal(len, wlen[d]);
		assert_memory_equal(back, want[d], len);
		free(got);
	}
	json_decref(h);
	json_decref(ev);
	free(in);
	free(back);
	free(want[0]);
	free(want[1]);
}

static void
test_input_only_when_asked(void **state)
{
	struct recording *r;
	const char *path;
	size_t len;
	char *raw;

	r = start(NULL);
	assert_int_equal(record_input(r, "secret\r", 7), 0);
	record_ok(r, "out");
	path = finish(r);
	raw = slurp(path, &len);
	assert_null(strstr(raw, "secret"));
	free(raw);
	assert_events(path, 1, "o", "out");

	cf.audit_sessions_input = 1;
	r = start(NULL);
	assert_int_equal(record_input(r, "ls\r", 3), 0);
	record_ok(r, "ls\r\n");
	assert_events(finish(r), 2, "i", "ls\r", "o", "ls\r\n");
}

static void
test_resize(void **state)
{
	struct recording *r;

	r = start(NULL);
	assert_int_equal(record_resize(r, 120, 40), 0);
	assert_int_equal(record_resize(r, 0, 65536), 0);
	assert_events(finish(r), 2, "r", "120x40", "r", "80x24");
}

/*
 * Events of many sizes up to the cap: the file stays within it and
 * ends with the "m" event whatever room the last event left.
 */
static void
test_cap(void **state)
{
	char buf[1000];
	struct recording *r;
	const char *path;
	json_t *h, *ev;
	struct stat st;
	size_t n, i, last;
	int k;

	memset(buf, 'a', sizeof(buf));
	cf.audit_sessions_max = 65536;
	cf.audit_sessions_input = 1;
	for (n = 900; n < 940; n++) {
		r = start(NULL);
		for (k = 0; k < 100; k++)
			assert_int_equal(record_output(r, buf, n), 0);
		assert_int_equal(record_input(r, buf, n), 0);
		assert_int_equal(record_resize(r, 100, 50), 0);
		path = finish(r);
		assert_int_equal(stat(path, &st), 0);
		assert_in_range(st.st_size, 65536 - n - 128 - 64, 65536);
		ev = load(path, &h);
		last = json_array_size(ev) - 1;
		assert_string_equal(ev_type(ev, last), "m");
		assert_string_equal(ev_data(ev, last), MARK);
		for (i = 0; i < last; i++)
			assert_string_equal(ev_type(ev, i), "o");
		assert_int_equal(unlink(path), 0);
		json_decref(h);
		json_decref(ev);
	}
}

/*
 * A name already taken, by a file or a symbolic link, is never opened:
 * the next free name is used and what was there is left as it was.
 */
static void
test_never_an_existing_file(void **state)
{
	char name[PATH_MAX], when[32], first[PATH_MAX], target[PATH_MAX];
	char buf[16];
	struct recording *r;
	struct tm tm;
	time_t t, now;
	int fd;

	assert_int_equal(mkdir(sessions, 0700), 0);
	now = time(NULL);
	for (t = now; t < now + 3; t++) {
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(name, sizeof(name), "%s/%s-alice-web-%ld.cast",
		    sessions, when, (long)getpid());
		assert_int_equal(symlink("../target", name), 0);
		snprintf(name, sizeof(name), "%s/%s-alice-web-%ld-1.cast",
		    sessions, when, (long)getpid());
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_int_not_equal(fd, -1);
		assert_int_equal(write(fd, "planted\n", 8), 8);
		close(fd);
	}
	r = start(NULL);
	record_ok(r, "x");
	snprintf(first, sizeof(first), "%s", finish(r));
	assert_int_equal(strcmp(first + strlen(first) - 7, "-2.cast"), 0);
	snprintf(target, sizeof(target), "%s/target", dir);
	assert_int_equal(access(target, F_OK), -1);
	r = start(NULL);
	assert_string_not_equal(record_path(r), first);
	finish(r);
	for (t = now; t < now + 3; t++) {
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(name, sizeof(name), "%s/%s-alice-web-%ld-1.cast",
		    sessions, when, (long)getpid());
		fd = open(name, O_RDONLY);
		assert_int_not_equal(fd, -1);
		assert_int_equal(read(fd, buf, sizeof(buf)), 8);
		assert_memory_equal(buf, "planted\n", 8);
		close(fd);
	}
}

static void
must_refuse(const char *want)
{
	struct recording *r = NULL;

	err[0] = '\0';
	if (record_open(&cf, "alice", "web", NULL, 80, 24, NULL, &r, err,
	    sizeof(err)) != -1) {
		record_close(r, NULL, 0);
		fail_msg("%s accepted", cf.audit_sessions);
	}
	assert_null(r);
	if (strstr(err, cf.audit_sessions) == NULL)
		fail_msg("error \"%s\" does not name %s", err,
		    cf.audit_sessions);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static int
entries(const char *path)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	assert_non_null(d = opendir(path));
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void
test_refused_dirs(void **state)
{
	char missing[PATH_MAX];
	struct recording *r;
	int fd;

	assert_int_equal(mkdir(sessions, 0700), 0);
	assert_int_equal(chmod(sessions, 0770), 0);
	must_refuse(": must be owned by root and not writable by group or "
	    "others (uid 0, mode 0770)");
	assert_int_equal(chmod(sessions, 0702), 0);
	must_refuse("mode 0702");
	assert_int_equal(entries(sessions), 0);
	assert_int_equal(chmod(sessions, 0700), 0);
	assert_int_equal(chown(sessions, 65534, 0), 0);
	must_refuse("must be owned by root");
	assert_int_equal(entries(sessions), 0);
	assert_int_equal(chown(sessions, 0, 0), 0);

	/* a group may be let in to read */
	assert_int_equal(chmod(sessions, 0750), 0);
	r = start(NULL);
	finish(r);

	snprintf(missing, sizeof(missing), "%s/real", dir);
	assert_int_equal(rename(sessions, missing), 0);
	assert_int_equal(symlink(missing, sessions), 0);
	must_refuse(": is a symbolic link");
	assert_int_equal(unlink(sessions), 0);

	fd = open(sessions, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_not_equal(fd, -1);
	close(fd);
	must_refuse(": Not a directory");

	snprintf(missing, sizeof(missing), "%s/none/sessions", dir);
	cf.audit_sessions = missing;
	must_refuse("cannot make directory");
	must_refuse(": No such file or directory");
}

/* A write that fails: reported, cut off the file; later calls fail. */
static void
test_write_error(void **state)
{
	char want[PATH_MAX + 64], path[PATH_MAX];
	struct rlimit old, lim;
	struct recording *r;
	json_t *h, *ev;
	struct stat st;
	char buf[200];

	memset(buf, 'x', sizeof(buf));
	r = start(NULL);
	record_ok(r, "first\r\n");
	snprintf(path, sizeof(path), "%s", record_path(r));
	assert_int_equal(stat(path, &st), 0);
	assert_int_not_equal(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(record_output(r, buf, sizeof(buf)), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	snprintf(want, sizeof(want), "cannot write %s: %s", path,
	    strerror(EFBIG));
	assert_string_equal(record_error(r), want);
	assert_int_equal(record_output(r, "more", 4), -1);
	assert_int_equal(record_resize(r, 100, 50), -1);
	assert_string_equal(record_error(r), want);
	assert_int_equal(record_close(r, err, sizeof(err)), -1);
	assert_string_equal(err, want);
	ev = load(path, &h);	/* the cut line is gone */
	assert_int_equal(json_array_size(ev), 1);
	assert_stream(ev, "o", "first\r\n");
	json_decref(h);
	json_decref(ev);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_not_recording),
		T(test_header_and_file),
		T(test_header_defaults),
		T(test_title_bounded),
		T(test_output_and_escapes),
		T(test_invalid_bytes),
		T(test_split_utf8),
		T(test_large_output),
		T(test_any_bytes_round_trip),
		T(test_input_only_when_asked),
		T(test_resize),
		T(test_cap),
		T(test_never_an_existing_file),
		T(test_refused_dirs),
		T(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
