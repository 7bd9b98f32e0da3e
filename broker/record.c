/*
 * Recording an exec -t session as asciicast v2: a header line, then one
 * JSON array a line, [seconds, "o" | "i" | "r" | "m", "data"].
 *
 * Invariants:
 * 1. The directory is root's and not writable by group or others,
 *    checked on a descriptor opened with O_NOFOLLOW; each file is made
 *    in it with openat O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600: never
 *    an existing file, never through a symbolic link.
 * 2. The file never grows past audit.sessions_max: room for the final
 *    "m" event is always kept; the first event that does not fit is
 *    dropped, the "m" event written, and nothing after it.
 * 3. Every line is valid JSON whatever the bytes: valid UTF-8 passes,
 *    control characters are JSON escapes, every other byte is the text
 *    \xHH. A UTF-8 character cut between two calls is carried (per
 *    direction) and written whole; what is carried at the end is
 *    escaped.
 * 4. One event is one write(2). A write that fails is cut back off the
 *    file and reported, and every later call fails: nothing is dropped
 *    without a word but past the cap.
 * 5. Event times are CLOCK_MONOTONIC: setting the clock cannot reorder
 *    them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctld.h"
#include "record.h"

#define CHUNK		4096	/* session bytes in one event at most */
#define CARRY		3	/* a UTF-8 character less its last byte */
#define EVENT_MAX	(64 + 6 * (CARRY + CHUNK))	/* 6: "\u001b" */
#define MARK_ROOM	128	/* the final "m" event */
#define TITLE_MAX	512	/* bytes, before escaping */
#define TERM_MAX	64
#define NAME_TRIES	100

struct carry {
	unsigned char	 b[CARRY];
	size_t		 n;
};

struct recording {
	int		 fd;
	int		 input;		/* audit.sessions_input */
	int		 stopped;	/* audit.sessions_max reached */
	int		 failed;
	long long	 size;
	long long	 max;
	struct timespec	 start;
	struct timespec	 last;
	struct carry	 out, in;
	char		 path[PATH_MAX];
	char		 err[PATH_MAX + 128];
	char		 line[EVENT_MAX];
};

static int
fail(struct recording *r, const char *fmt, ...)
{
	char msg[PATH_MAX + 64];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "%s: %s", msg, strerror(saved));
	r->failed = 1;
	return -1;
}

/* The UTF-8 character at p: its length, 0 if n cuts it short, -1. */
static int
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return -1;	/* continuation, overlong C0 C1, past F4 */
	if (p[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;	/* past U+10FFFF */
	for (i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return 0;
		if (p[i] < lo || p[i] > hi)
			return -1;
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

static size_t
escape_ascii(unsigned char c, char *dst)
{
	static const char hex[] = "0123456789abcdef";
	static const char ctl[] = "\b\f\n\r\t", name[] = "bfnrt";
	const char *p;

	if (c == '"' || c == '\\') {
		dst[0] = '\\';
		dst[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		dst[0] = (char)c;
		return 1;
	}
	if (c != '\0' && (p = strchr(ctl, c)) != NULL) {
		dst[0] = '\\';
		dst[1] = name[p - ctl];
		return 2;
	}
	memcpy(dst, "\\u00", 4);
	dst[4] = hex[c >> 4];
	dst[5] = hex[c & 15];
	return 6;
}

/*
 * src as the inside of a JSON string at dst + *o (room for 6 bytes a
 * byte of src). Returns the bytes of src used: all of them when final,
 * else all but a UTF-8 character cut short at the end.
 */
static size_t
json_escape(const unsigned char *src, size_t n, int final, char *dst,
    size_t *o)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	int len;

	while (i < n) {
		len = utf8_len(src + i, n - i);
		if (len == 0 && !final)
			break;
		if (len <= 0) {
			memcpy(dst + *o, "\\\\x", 3);
			dst[*o + 3] = hex[src[i] >> 4];
			dst[*o + 4] = hex[src[i] & 15];
			*o += 5;
			i++;
		} else if (len == 1)
			*o += escape_ascii(src[i++], dst + *o);
		else {
			memcpy(dst + *o, src + i, (size_t)len);
			*o += (size_t)len;
			i += (size_t)len;
		}
	}
	return i;
}

/* "[seconds, \"type\", \"" into dst, which has room for 64 bytes. */
static size_t
event_start(struct recording *r, char type, char *dst)
{
	struct timespec now;
	long long s;
	long ns;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == 0 &&
	    (now.tv_sec > r->last.tv_sec || (now.tv_sec == r->last.tv_sec &&
	    now.tv_nsec > r->last.tv_nsec)))
		r->last = now;
	s = (long long)(r->last.tv_sec - r->start.tv_sec);
	ns = r->last.tv_nsec - r->start.tv_nsec;
	if (ns < 0) {
		s--;
		ns += 1000000000L;
	}
	return (size_t)snprintf(dst, 64, "[%lld.%06ld, \"%c\", \"", s,
	    ns / 1000, type);
}

static int
put(struct recording *r, const char *buf, size_t n)
{
	size_t off = 0;
	ssize_t w;

	while (off < n) {
		w = write(r->fd, buf + off, n - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			fail(r, "cannot write %s", r->path);
			if (off > 0 && ftruncate(r->fd, (off_t)r->size) == -1)
				strncat(r->err, " (its last line is cut)",
				    sizeof(r->err) - strlen(r->err) - 1);
			return -1;
		}
		off += (size_t)w;
	}
	r->size += (long long)n;
	return 0;
}

static int
stop(struct recording *r)
{
	char mark[MARK_ROOM];
	size_t n;
	int len;

	r->stopped = 1;
	n = event_start(r, 'm', mark);
	len = snprintf(mark + n, sizeof(mark) - n, "recording stopped: "
	    "audit.sessions_max (%lld bytes) reached\"]\n", r->max);
	if (len < 0 || (size_t)len >= sizeof(mark) - n ||
	    r->size + (long long)n + len > r->max)
		return 0;
	return put(r, mark, n + (size_t)len);
}

/* r->line, n bytes long, if the final "m" event still fits after it. */
static int
emit(struct recording *r, size_t n)
{
	if (r->size + (long long)(n + MARK_ROOM) > r->max)
		return stop(r);
	return put(r, r->line, n);
}

/* One event: what c carries, then m bytes of p. */
static int
event(struct recording *r, char type, struct carry *c,
    const unsigned char *p, size_t m, int final)
{
	unsigned char src[CARRY + CHUNK];
	size_t n, o, used;

	if (r->failed)
		return -1;
	if (r->stopped)
		return 0;
	memcpy(src, c->b, c->n);
	memcpy(src + c->n, p, m);
	n = c->n + m;
	o = event_start(r, type, r->line);
	used = json_escape(src, n, final, r->line, &o);
	c->n = n - used;
	memcpy(c->b, src + used, c->n);
	memcpy(r->line + o, "\"]\n", 3);
	return used > 0 ? emit(r, o + 3) : 0;
}

static int
events(struct recording *r, char type, struct carry *c, const void *buf,
    size_t len)
{
	const unsigned char *p = buf;
	size_t m;

	while (len > 0) {
		m = len < CHUNK ? len : CHUNK;
		if (event(r, type, c, p, m, 0) == -1)
			return -1;
		p += m;
		len -= m;
	}
	return r->failed ? -1 : 0;
}

static int
open_dir(struct recording *r, const char *dir)
{
	struct stat st;
	int fd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return fail(r, "cannot make directory %s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		fail(r, "cannot open %s", dir);
		/* O_DIRECTORY has a link fail as ENOTDIR: say what it is */
		if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
			snprintf(r->err, sizeof(r->err), "%s: is a symbolic "
			    "link", dir);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		fail(r, "cannot fstat %s", dir);
		close(fd);
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(r->err, sizeof(r->err), "%s: must be owned by root "
		    "and not writable by group or others (uid %u, mode %04o)",
		    dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	return fd;
}

/* s for a file name: at most 64 bytes of [A-Za-z0-9._-], others '_'. */
static void
name_part(char *dst, size_t cap, const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < cap; i++)
		dst[i] = strchr(ok, s[i]) != NULL ? s[i] : '_';
	dst[i] = '\0';
	if (i == 0)
		snprintf(dst, cap, "_");
}

/* DIR/YYYYmmddTHHMMSSZ-USER-CONTAINER-PID[-N].cast, a new file. */
static int
create_file(struct recording *r, int dfd, const char *dir, time_t now,
    const char *user, const char *container, const char **name)
{
	char when[32], u[65], c[65], sfx[16];
	struct tm tm;
	int i, fd = -1;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm) == 0) {
		errno = EOVERFLOW;
		return fail(r, "cannot name a file in %s", dir);
	}
	name_part(u, sizeof(u), user);
	name_part(c, sizeof(c), container);
	for (i = 0; i < NAME_TRIES && fd == -1; i++) {
		sfx[0] = '\0';
		if (i > 0)
			snprintf(sfx, sizeof(sfx), "-%d", i);
		snprintf(r->path, sizeof(r->path), "%s/%s-%s-%s-%ld%s.cast",
		    dir, when, u, c, (long)getpid(), sfx);
		*name = r->path + strlen(dir) + 1;
		fd = openat(dfd, *name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1)
		return fail(r, "cannot create %s", r->path);
	r->fd = fd;
	return 0;
}

/* Appends s; 0 when it was cut to fit in cap (with its NUL). */
static int
cat(char *dst, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	int fits = *len + n < cap;

	if (!fits)
		n = cap - 1 - *len;
	memcpy(dst + *len, s, n);
	*len += n;
	dst[*len] = '\0';
	return fits;
}

/* "USER: exec CONTAINER -- ARGV...", JSON-escaped, at most TITLE_MAX. */
static void
title(char *dst, size_t *o, const char *user, const char *container,
    char *const argv[])
{
	char t[TITLE_MAX + 1];
	size_t len = 0;
	int fits, i;

	fits = cat(t, sizeof(t), &len, user) &&
	    cat(t, sizeof(t), &len, ": exec ") &&
	    cat(t, sizeof(t), &len, container) &&
	    cat(t, sizeof(t), &len, " --");
	for (i = 0; fits && argv != NULL && argv[i] != NULL; i++)
		fits = cat(t, sizeof(t), &len, " ") &&
		    cat(t, sizeof(t), &len, argv[i]);
	/* cut short: a character cut in two is left out, not escaped */
	json_escape((unsigned char *)t, len, fits, dst, o);
	if (!fits) {
		memcpy(dst + *o, "...", 3);
		*o += 3;
	}
}

static int
dim(int v, int dflt)
{
	return v >= 1 && v <= 65535 ? v : dflt;
}

static int
write_header(struct recording *r, time_t now, int cols, int rows,
    const char *term, const char *user, const char *container,
    char *const argv[])
{
	size_t o;

	o = (size_t)snprintf(r->line, 128, "{\"version\": 2, \"width\": %d, "
	    "\"height\": %d, \"timestamp\": %lld, \"env\": {",
	    dim(cols, 80), dim(rows, 24), (long long)now);
	if (term != NULL && *term != '\0') {
		memcpy(r->line + o, "\"TERM\": \"", 9);
		o += 9;
		json_escape((const unsigned char *)term, strnlen(term,
		    TERM_MAX), 1, r->line, &o);
		r->line[o++] = '"';
	}
	memcpy(r->line + o, "}, \"title\": \"", 13);
	o += 13;
	title(r->line, &o, user, container, argv);
	memcpy(r->line + o, "\"}\n", 3);
	o += 3;
	if ((long long)(o + MARK_ROOM) > r->max) {
		snprintf(r->err, sizeof(r->err), "audit.sessions_max (%lld "
		    "bytes) leaves no room for the header", r->max);
		return -1;
	}
	return put(r, r->line, o);
}

int
record_open(const struct config *cf, const char *user, const char *container,
    char *const argv[], int cols, int rows, const char *term,
    struct recording **rec, char *err, size_t errlen)
{
	struct recording *r;
	const char *name = NULL;
	time_t now;
	int dfd = -1;

	*rec = NULL;
	if (cf->audit_sessions == NULL)
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "cannot record: out of memory");
		return -1;
	}
	r->fd = -1;
	r->input = cf->audit_sessions_input;
	r->max = cf->audit_sessions_max;
	if (clock_gettime(CLOCK_MONOTONIC, &r->start) == -1)
		fail(r, "clock_gettime");
	else if ((now = time(NULL)) == (time_t)-1)
		fail(r, "time");
	else if ((dfd = open_dir(r, cf->audit_sessions)) == -1 ||
	    create_file(r, dfd, cf->audit_sessions, now, user, container,
	    &name) == -1 || write_header(r, now, cols, rows, term, user,
	    container, argv) == -1) {
		if (r->fd != -1) {
			(void)unlinkat(dfd, name, 0);
			close(r->fd);
		}
	} else {
		close(dfd);
		r->last = r->start;
		*rec = r;
		return 0;
	}
	snprintf(err, errlen, "%s", r->err);
	if (dfd != -1)
		close(dfd);
	free(r);
	return -1;
}

int
record_output(struct recording *r, const void *buf, size_t len)
{
	if (r == NULL)
		return 0;
	return events(r, 'o', &r->out, buf, len);
}

int
record_input(struct recording *r, const void *buf, size_t len)
{
	if (r == NULL || !r->input)
		return 0;
	return events(r, 'i', &r->in, buf, len);
}

int
record_resize(struct recording *r, int cols, int rows)
{
	size_t o;

	if (r == NULL || r->stopped)
		return 0;
	if (r->failed)
		return -1;
	o = event_start(r, 'r', r->line);
	o += (size_t)snprintf(r->line + o, 32, "%dx%d\"]\n", dim(cols, 80),
	    dim(rows, 24));
	return emit(r, o);
}

int
record_close(struct recording *r, char *err, size_t errlen)
{
	int rc;

	if (r == NULL)
		return 0;
	(void)event(r, 'o', &r->out, (const unsigned char *)"", 0, 1);
	(void)event(r, 'i', &r->in, (const unsigned char *)"", 0, 1);
	/* a write error some file systems report only now (NFS, quotas) */
	if (!r->failed && fsync(r->fd) == -1)
		fail(r, "cannot fsync %s", r->path);
	if (close(r->fd) == -1 && !r->failed)
		fail(r, "cannot close %s", r->path);
	rc = r->failed ? -1 : 0;
	if (rc == -1 && err != NULL)
		snprintf(err, errlen, "%s", r->err);
	explicit_bzero(r, sizeof(*r));	/* keystrokes, with sessions_input */
	free(r);
	return rc;
}

const char *
record_path(const struct recording *r)
{
	return r != NULL ? r->path : NULL;
}

const char *
record_error(const struct recording *r)
{
	return r != NULL && r->failed ? r->err : NULL;
}
