/* Shared by the broker's unit tests; see bk_util.h. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "actions.h"
#include "bk_util.h"

const char *
bk_write(const char *dir, const char *name, const char *text)
{
	static char path[256];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_int_not_equal(fd, -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

void
bk_pam(struct bk *b, const char *stack)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/pam.d", b->dir);
	bk_write(dir, "ctltest", stack);
}

/* extra with every "@DIR@" replaced by the test's dir. */
static char *
expand(const char *extra, const char *dir)
{
	size_t n = strlen(extra) * 2 + 256 * 8;
	char *out = malloc(n), *o = out;
	const char *p;

	assert_non_null(out);
	while ((p = strstr(extra, "@DIR@")) != NULL) {
		memcpy(o, extra, (size_t)(p - extra));
		o += p - extra;
		o += sprintf(o, "%s", dir);
		extra = p + 5;
	}
	strcpy(o, extra);
	return out;
}

struct bk *
bk_start(const char *extra)
{
	static const char *const base =
	    "docker = { socket = \"%s\"; api_version = \"1.41\"; };\n"
	    "audit = { file = \"%s/audit.jsonl\"; syslog = false; };\n"
	    "listen = { path = \"%s/ctld.sock\"; };\n"
	    "pam = { service = \"ctltest\"; };\n"
	    "ownership = { owner_label = \"ctl.owner\"; "
	    "group_label = \"ctl.group\";\n"
	    "  owner_verbs = [\"ls\", \"status\", \"logs\", \"start\", "
	    "\"stop\", \"restart\", \"stats\", \"rm\"]; };\n"
	    "limits = { client_timeout = 5; };\n%s";
	struct bk *b = calloc(1, sizeof(*b));
	char *text, *more, pamdir[128], err[512];

	assert_non_null(b);
	setlogmask(LOG_MASK(LOG_EMERG));	/* keep the host's log clean */
	snprintf(b->dir, sizeof(b->dir), "/tmp/test_bk.XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	snprintf(pamdir, sizeof(pamdir), "%s/pam.d", b->dir);
	assert_int_equal(mkdir(pamdir, 0755), 0);
	bk_pam(b, "account required pam_permit.so\n"
	    "auth required pam_permit.so\n");
	auth_pam_confdir = strdup(pamdir);
	b->fe = fe_start();
	more = expand(extra != NULL ? extra : "", b->dir);
	assert_true(asprintf(&text, base, fe_socket(b->fe), b->dir, b->dir,
	    more) > 0);
	snprintf(b->conf, sizeof(b->conf), "%s", bk_write(b->dir,
	    "ctld.conf", text));
	free(text);
	free(more);
	b->cf = config_load(b->conf, 0, err, sizeof(err));
	if (b->cf == NULL)
		fail_msg("config_load: %s", err);
	for (size_t i = 0; i < b->cf->nengines; i++)
		b->cf->engines[i].swarm = 0;	/* as engine_warm found it */
	snprintf(b->audit, sizeof(b->audit), "%s", b->cf->audit_file);
	if (auditlog_open(b->cf, err, sizeof(err)) == -1)
		fail_msg("auditlog_open: %s", err);
	assert_int_equal(engine_init(&b->eng, b->cf->docker_socket,
	    b->cf->api_version), 0);
	b->relays.eng = &b->eng;
	b->relays.listen_path = b->cf->listen_path;
	b->relays.uid = getuid();
	return b;
}

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

char *
bk_keep(struct bk *b, char *s)
{
	assert_non_null(s);
	assert_true(b->nkeep < sizeof(b->keep) / sizeof(b->keep[0]));
	return b->keep[b->nkeep++] = s;
}

void
bk_stop(struct bk *b)
{
	size_t i;

	fe_stop(b->fe);
	for (i = 0; i < b->nkeep; i++)
		free(b->keep[i]);
	config_free(b->cf);
	free((char *)auth_pam_confdir);
	auth_pam_confdir = NULL;
	nftw(b->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(b);
}

void
bk_container(struct bk *b, const char *name, const char *dockername,
    const char *id, const char *owner, const char *group, int running,
    int tty)
{
	char path[256];
	json_t *labels = json_object(), *j;
	char *body;

	if (owner != NULL)
		json_object_set_new(labels, "ctl.owner", json_string(owner));
	if (group != NULL)
		json_object_set_new(labels, "ctl.group", json_string(group));
	j = json_pack("{s:s, s:s, s:{s:o, s:b, s:s}, s:{s:b, s:s, s:i, s:s,"
	    " s:s}, s:i}", "Id", id, "Name", dockername,
	    "Config", "Labels", labels, "Tty", tty, "Image", "img:1",
	    "State", "Running", running, "Status", running ? "running" :
	    "exited", "ExitCode", running ? 0 : BK_EXIT_CODE,
	    "StartedAt", "2026-11-28T15:04:05.123456789Z",
	    "FinishedAt", "0001-01-01T00:00:00Z", "RestartCount", 2);
	assert_non_null(j);
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	snprintf(path, sizeof(path), "/v1.41/containers/%s/json", name);
	fe_json(b->fe, "GET", bk_keep(b, strdup(path)), 200, bk_keep(b, body));
}

void
bk_stream(struct bk *b, const char *path, const void *bytes, size_t len,
    const void *tick, size_t ticklen, int tick_ms)
{
	struct fe_reply r = { .method = "GET", .path = path };
	char head[256], *raw;
	int n;

	if (tick == NULL)
		n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/vnd.docker.multiplexed-stream"
		    "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		    len);
	else
		n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/vnd.docker.multiplexed-stream"
		    "\r\nConnection: close\r\n\r\n");
	raw = bk_keep(b, malloc((size_t)n + len + 1));
	memcpy(raw, head, (size_t)n);
	memcpy(raw + n, bytes, len);
	r.raw = raw;
	r.rawlen = (size_t)n + len;
	r.tick = tick;
	r.ticklen = ticklen;
	r.tick_ms = tick_ms;
	fe_add(b->fe, &r);
}

void
bk_send(int fd, int type, const char *text)
{
	assert_int_equal(proto_send(fd, (uint8_t)type, text, strlen(text)),
	    0);
}

void
answer_free(struct answer *a)
{
	json_decref(a->done);
	a->done = NULL;
}

void
bk_read(int fd, struct answer *a)
{
	static struct frame f;
	static char data[1 << 20];
	size_t datalen = 0;
	const char *why;
	json_t *e;

	memset(a, 0, sizeof(*a));
	a->exit = -1;
	while (proto_recv(fd, &f, 10000, &why) == 1) {
		a->frames++;
		if (f.type == FRAME_WELCOME)
			a->welcome = 1;
		else if (f.type == FRAME_STDOUT &&
		    a->outlen + f.len < sizeof(a->out)) {
			memcpy(a->out + a->outlen, f.buf, f.len);
			a->outlen += f.len;
		} else if (f.type == FRAME_STDERR &&
		    a->errlen + f.len < sizeof(a->err)) {
			memcpy(a->err + a->errlen, f.buf, f.len);
			a->errlen += f.len;
		} else if (f.type == FRAME_DATA) {
			assert_true(datalen + f.len < sizeof(data));
			memcpy(data + datalen, f.buf, f.len);
			datalen += f.len;
		} else if (f.type == FRAME_DONE) {
			a->done = proto_json(&f, &why);
			assert_non_null(a->done);
			if (datalen > 0)
				json_object_set_new(a->done, "data",
				    json_loadb(data, datalen, 0, NULL));
			a->exit = (int)json_integer_value(json_object_get(
			    a->done, "exit"));
			e = json_object_get(a->done, "error");
			snprintf(a->error, sizeof(a->error), "%s",
			    json_is_string(e) ? json_string_value(e) : "");
			return;
		}
	}
}

json_t *
bk_data(const struct answer *a, const char *key)
{
	return json_object_get(json_object_get(a->done, "data"), key);
}

int
bk_run(struct bk *b, const struct identity *who, const char *text,
    struct answer *a)
{
	struct audit_rec rec;
	struct request req;
	struct peer peer;
	char why[160];
	json_t *j;
	int sv[2], rc;

	answer_free(a);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	if (request_decode(j, time(NULL), &req, why, sizeof(why)) == -1)
		fail_msg("request_decode(%s): %s", text, why);
	json_decref(j);
	memset(&rec, 0, sizeof(rec));
	memset(&peer, 0, sizeof(peer));
	rec.who = who;
	rec.verb = req.verb->name;
	snprintf(rec.name, sizeof(rec.name), "%s", req.name);
	clock_gettime(CLOCK_REALTIME, &rec.start);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	rc = action_run(b->cf, &b->eng, &b->relays, who, &peer, &req, sv[0],
	    &rec);
	close(sv[0]);
	bk_read(sv[1], a);
	close(sv[1]);
	return rc;
}

/* The audit file, whole (malloc'd). */
static char *
audit_text(struct bk *b)
{
	FILE *fp = fopen(b->audit, "re");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

size_t
bk_audit_count(struct bk *b)
{
	char *t = audit_text(b), *p;
	size_t n = 0;

	for (p = t; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	free(t);
	return n;
}

json_t *
bk_audit(struct bk *b, long i)
{
	char *t = audit_text(b), *p = t, *nl;
	long n = (long)bk_audit_count(b), k;
	json_t *j;

	if (i < 0)
		i += n;
	assert_true(i >= 0 && i < n);
	for (k = 0; k < i; k++)
		p = strchr(p, '\n') + 1;
	nl = strchr(p, '\n');
	*nl = '\0';
	j = json_loads(p, 0, NULL);
	if (j == NULL)
		fail_msg("audit line is not JSON: %s", p);
	free(t);
	return j;
}

const char *
bk_audit_str(struct bk *b, const char *key)
{
	static char buf[512];
	json_t *j = bk_audit(b, -1), *v = json_object_get(j, key);

	if (json_is_string(v))
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
	else
		buf[0] = '\0';
	json_decref(j);
	return buf;
}
