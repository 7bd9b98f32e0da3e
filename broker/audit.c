/*
 * The audit trail: one JSON line per request, and syslog.
 *
 * Invariants:
 * 1. Every request that reaches a decision, allowed or denied, is
 *    written, with the real reason (which the user is not shown).
 * 2. One line is one write(2) on an O_APPEND descriptor, so lines from
 *    concurrent sessions never interleave.
 * 3. The file is opened with O_NOFOLLOW, must be a regular file of
 *    ctld's user that nobody else can write, and is created 0640.
 * 4. Strings are JSON-escaped by jansson: a name cannot forge a line.
 *    In the syslog copy every string value is quoted, with '"', '\\',
 *    control and non-ASCII bytes escaped, so no value can end its field
 *    or the line, nor forge another field.
 * 5. Fail closed: no action is taken while a record could not be
 *    written (auditlog_ready, checked by actions.c before acting).
 * 6. Records go to the file that has the configured name: one moved or
 *    removed is noticed (before each fork and each action) and the name
 *    reopened; if it cannot be, requests are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <unistd.h>

#include "ctld.h"

#define AUDIT_MIN_FREE	(256u << 10)
#define AUDIT_LINE_MAX	65536	/* exec's argv, escaped, fits */

static int audit_fd = -1;
static char audit_path[PATH_MAX];

static int
open_path(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK, 0640);
	if (fd == -1) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "%s: must be a regular file owned by "
		    "ctld's user and not writable by group or others", path);
		close(fd);
		return -1;
	}
	if (audit_fd != -1)
		close(audit_fd);
	audit_fd = fd;
	if (path != audit_path)
		snprintf(audit_path, sizeof(audit_path), "%s", path);
	return 0;
}

int
auditlog_open(const struct config *cf, char *err, size_t errlen)
{
	return open_path(cf->audit_file, err, errlen);
}

/*
 * The file was removed, or another now has its name (moved away, as
 * logrotate does): records would go where nobody reads them. Reopen the
 * name; if that fails, close, so that auditlog_ready refuses.
 */
void
auditlog_refresh(int always)
{
	struct stat fd_st, path_st;
	char err[PATH_MAX + 128];

	if (audit_fd == -1 || audit_path[0] == '\0')
		return;
	if (!always && fstat(audit_fd, &fd_st) == 0 && fd_st.st_nlink > 0 &&
	    stat(audit_path, &path_st) == 0 && path_st.st_dev == fd_st.st_dev &&
	    path_st.st_ino == fd_st.st_ino)
		return;
	if (open_path(audit_path, err, sizeof(err)) == 0) {
		if (!always)
			logmsg(LOG_NOTICE, "audit: %s was moved or removed; "
			    "reopened", audit_path);
		return;
	}
	logmsg(LOG_ERR, "audit: cannot reopen: %s; refusing requests", err);
	close(audit_fd);
	audit_fd = -1;
}

static void
iso_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	char base[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", base, ts->tv_nsec / 1000000);
}

static const char *
decision(const struct audit_rec *a)
{
	return a->allow ? "allow" : a->error ? "error" : "deny";
}

/* exec's fields, on its records only. */
static json_t *
exec_fields(json_t *j, const struct audit_rec *a)
{
	if (j != NULL && ((a->argv != NULL &&
	    json_object_set(j, "argv", a->argv) == -1) ||
	    (a->has_exit_code && json_object_set_new(j, "exit_code",
	    json_integer(a->exit_code)) == -1) ||
	    (a->recording != NULL && json_object_set_new(j, "recording",
	    json_string(a->recording)) == -1))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* What only some records have: a service's kind, ls's silent engines. */
static json_t *
target_fields(json_t *j, const struct audit_rec *a)
{
	if (j != NULL && ((a->kind != NULL && json_object_set_new(j, "kind",
	    json_string(a->kind)) == -1) || (a->unreachable != NULL &&
	    json_object_set(j, "unreachable", a->unreachable) == -1))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *
auditlog_json(const struct audit_rec *a, long ms)
{
	char when[64];

	iso_time(&a->start, when, sizeof(when));
	return target_fields(exec_fields(json_pack("{s:s, s:I, s:s?, s:I, s:s?, s:s?, s:s?, s:s?, s:s?,"
	    " s:s, s:s?, s:s?, s:s?, s:i, s:I}",
	    "time", when,
	    "uid", (json_int_t)a->who->uid,
	    "user", a->who->user,
	    "pid", (json_int_t)a->who->pid,
	    "verb", a->verb,
	    "of", a->of,
	    "container", a->name[0] ? a->name : NULL,
	    "engine", a->engine,
	    "id", a->id[0] ? a->id : NULL,
	    "decision", decision(a),
	    "reason", a->reason[0] ? a->reason : NULL,
	    "result", a->result,
	    "via", a->via,
	    "exit", a->exit,
	    "duration_ms", (json_int_t)ms), a), a);
}

/*
 * s as a quoted syslog value: "..." with '"' and '\\' escaped by a
 * backslash and control or non-ASCII bytes as \xHH; cut at max bytes
 * of s with "..." after it. buf holds at least 4 * max + 8.
 */
static const char *
quoted(const char *s, size_t max, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, o = 0;

	if (s == NULL)
		s = "";
	buf[o++] = '"';
	for (i = 0; s[i] != '\0' && i < max && o + 8 < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else
			buf[o++] = (char)c;
	}
	if (s[i] != '\0') {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

#define QLEN(n)	(4 * (n) + 8)

/* " kind=service" and ls's " unreachable=\"a,b\"", or "". */
static const char *
target_syslog(const struct audit_rec *a, char *buf, size_t len)
{
	char names[256] = "", q[QLEN(255)];
	size_t i, o = 0;
	int n = 0;

	buf[0] = '\0';
	if (a->kind != NULL)
		n = snprintf(buf, len, " kind=%s", a->kind);
	for (i = 0; i < json_array_size(a->unreachable) && o < sizeof(names);
	    i++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s",
		    i ? "," : "", json_string_value(json_object_get(
		    json_array_get(a->unreachable, i), "engine")) ?: "?");
	if (names[0] != '\0' && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " unreachable=%s",
		    quoted(names, 255, q, sizeof(q)));
	return buf;
}

/* exec's command and exit code, " argv=... exit_code=N", or "". */
static const char *
exec_syslog(const struct audit_rec *a, char *buf, size_t len)
{
	char q[QLEN(512)], *argv;
	int n = 0;

	buf[0] = '\0';
	if (a->argv != NULL &&
	    (argv = json_dumps(a->argv, JSON_COMPACT)) != NULL) {
		n = snprintf(buf, len, " argv=%s", quoted(argv, 512, q,
		    sizeof(q)));
		free(argv);
	}
	if (a->has_exit_code && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " exit_code=%d",
		    a->exit_code);
	return buf;
}

static void
auditlog_syslog(const struct audit_rec *a)
{
	char user[QLEN(64)], verb[QLEN(32)], name[QLEN(128)], id[QLEN(12)];
	char engine[QLEN(64) + 16] = "";
	char reason[QLEN(256)], result[QLEN(128)], asked[32];
	char exec[QLEN(512) + 32], target[QLEN(255) + 48];

	/* can's record says what it asked about: verb="can restart" */
	snprintf(asked, sizeof(asked), "%s%s%s", a->verb ? a->verb : "",
	    a->of ? " " : "", a->of ? a->of : "");
	if (a->engine != NULL) {
		memcpy(engine, " engine=", 9);
		quoted(a->engine, 64, engine + 8, sizeof(engine) - 8);
	}

	syslog(LOG_AUTHPRIV | (a->allow ? LOG_INFO : a->error ? LOG_ERR :
	    LOG_NOTICE), "%s: user=%s uid=%u pid=%d verb=%s container=%s%s id=%s "
	    "reason=%s result=%s%s%s",
	    a->allow ? "allowed" : a->error ? "error" : "denied",
	    quoted(a->who->user, 64, user, sizeof(user)),
	    (unsigned)a->who->uid, (int)a->who->pid,
	    quoted(asked, 32, verb, sizeof(verb)),
	    quoted(a->name, 128, name, sizeof(name)), engine,
	    quoted(a->id, 12, id, sizeof(id)),
	    quoted(a->reason, 256, reason, sizeof(reason)),
	    quoted(a->result, 128, result, sizeof(result)),
	    target_syslog(a, target, sizeof(target)),
	    exec_syslog(a, exec, sizeof(exec)));
}

/*
 * Whether a record can be written now: the descriptor is open on a
 * writable file system with room left. Checked before acting, so that a
 * full or read-only audit disk refuses requests instead of losing them.
 */
int
auditlog_ready(char *why, size_t whylen)
{
	struct statvfs sv;

	auditlog_refresh(0);
	if (audit_fd == -1 || fstatvfs(audit_fd, &sv) == -1) {
		snprintf(why, whylen, "audit log not open");
		return -1;
	}
	if (sv.f_flag & ST_RDONLY) {
		snprintf(why, whylen, "audit log on a read-only file system");
		return -1;
	}
	if ((unsigned long long)sv.f_bavail * sv.f_frsize < AUDIT_MIN_FREE) {
		snprintf(why, whylen, "audit log file system full");
		return -1;
	}
	return 0;
}

/* One audit line, newline included, into buf; returns its length or -1. */
ssize_t
auditlog_render(const struct audit_rec *a, char *buf, size_t len)
{
	struct timespec now;
	json_t *j;
	size_t n;
	long ms;

	clock_gettime(CLOCK_REALTIME, &now);
	ms = (now.tv_sec - a->start.tv_sec) * 1000 +
	    (now.tv_nsec - a->start.tv_nsec) / 1000000;
	if ((j = auditlog_json(a, ms)) == NULL)
		return -1;
	n = json_dumpb(j, buf, len - 1, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (n == 0 || n >= len - 1)
		return -1;
	buf[n++] = '\n';
	return (ssize_t)n;
}

/* Async-signal-safe: for a line rendered in advance. */
int
auditlog_raw(const char *line, size_t len)
{
	return write(audit_fd, line, len) == (ssize_t)len ? 0 : -1;
}

int
auditlog_write(const struct config *cf, const struct audit_rec *a)
{
	char line[AUDIT_LINE_MAX];
	ssize_t len;

	if (a->quiet || a->kept)
		return 0;
	if (cf->audit_syslog)
		auditlog_syslog(a);
	if ((len = auditlog_render(a, line, sizeof(line))) == -1) {
		logmsg(LOG_ERR, "audit: cannot render a record");
		return -1;
	}
	if (auditlog_raw(line, (size_t)len) == -1) {
		logmsg(LOG_ERR, "audit write to %s: %s", cf->audit_file,
		    strerror(errno));
		return -1;
	}
	return 0;
}
