/*
 * One client connection, in its own process.
 *
 * Invariants:
 * 1. The caller is who SO_PEERCRED says (read by the parent before the
 *    fork); the account is checked through PAM before any request is read.
 * 2. Frames arrive in the order hello, request (prompt replies inside
 *    PAM); any other type, a bad frame or a timeout ends the session.
 * 3. Every decision ends in exactly one audit record, and no action is
 *    taken when the audit log cannot take it (actions.c, audit_ready); a
 *    follow handed to the keeper is answered and recorded there
 *    (keeper.c), and this process then neither answers nor drains.
 * 4. Nothing here exits the daemon: this runs in a child, and the worst
 *    a client can do is end its own child.
 */
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "actions.h"
#include "ctld.h"
#include "engine.h"
#include "relayd.h"

struct session {
	const struct config	*cf;
	int			 fd;
	struct identity		 who;
	struct peer		 peer;
	struct audit_rec	 audit;
	struct frame		 f;
};

static void
answer(struct session *s, int code, const char *msg)
{
	json_t *j = json_pack("{s:i, s:s}", "exit", code, "error", msg);

	if (j != NULL)
		proto_send_json(s->fd, FRAME_DONE, j);
	json_decref(j);
}

/* Refuses before the request: tells the client, then audits. */
static void
refuse(struct session *s, int code, const char *msg, const char *reason)
{
	s->audit.allow = 0;
	s->audit.exit = code;
	s->audit.result = "refused";
	snprintf(s->audit.reason, sizeof(s->audit.reason), "%s", reason);
	auditlog_write(s->cf, &s->audit);
	answer(s, code, msg);
}

/* Receives one JSON frame of the expected type; refuses otherwise. */
static json_t *
expect(struct session *s, uint8_t type)
{
	char reason[160];
	const char *why;
	json_t *j;
	int rc;

	rc = proto_recv(s->fd, &s->f, s->cf->client_timeout * 1000, &why);
	if (rc == 0)
		why = "connection closed";
	else if (rc == 1 && s->f.type != type)
		why = "unexpected frame type";
	if (rc == 1 && s->f.type == type && (j = proto_json(&s->f, &why)))
		return j;
	snprintf(reason, sizeof(reason), "protocol error: %s (waiting for %s)",
	    why, proto_type_name(type));
	if (rc == 0)	/* a shell that leaves closes so: not an error */
		logmsg(LOG_DEBUG, "uid %u: the client closed the connection "
		    "(waiting for %s)", (unsigned)s->who.uid,
		    proto_type_name(type));
	else
		refuse(s, EXIT_USAGE, reason, reason);
	return NULL;
}

static int
hello(struct session *s)
{
	json_t *j, *v;
	char msg[96];

	if ((j = expect(s, FRAME_HELLO)) == NULL)
		return -1;
	v = json_object_get(j, "proto");
	if (!json_is_integer(v) || json_integer_value(v) != PROTO_VERSION ||
	    json_object_size(j) != 1) {
		snprintf(msg, sizeof(msg), "protocol version %lld not supported "
		    "(broker speaks %d)", json_is_integer(v) ?
		    (long long)json_integer_value(v) : -1LL, PROTO_VERSION);
		refuse(s, EXIT_FAIL, msg, "protocol version mismatch");
		json_decref(j);
		return -1;
	}
	json_decref(j);
	return 0;
}

/* The engines the caller may use, in ctld.conf's order. */
static json_t *
usable_engines(const struct session *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < s->cf->nengines; i++)
		if (policy_engine_usable(s->cf, &s->who, s->cf->engines[i].name))
			json_array_append_new(a,
			    json_string(s->cf->engines[i].name));
	return a;
}

static int
welcome(struct session *s)
{
	char host[256];
	json_t *j;
	int rc;

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	j = json_pack("{s:i, s:s, s:s, s:i, s:i, s:o, s:o}", "proto",
	    PROTO_VERSION, "user", s->who.user, "host", host,
	    "idle_timeout", s->cf->idle_timeout,
	    "warnings", s->cf->warnings,
	    "verbs", verb_names(policy_usable(s->cf, &s->who)),
	    "engines", usable_engines(s));
	if (j == NULL)
		return -1;
	rc = proto_send_json(s->fd, FRAME_WELCOME, j);
	json_decref(j);
	return rc;
}

static int
account(struct session *s)
{
	char err[256], msg[320], reason[320];

	if (auth_account(s->cf, &s->who, &s->peer, s->fd, err, sizeof(err)) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "account refused: %s", err);
	snprintf(reason, sizeof(reason), "PAM account (%s): %s",
	    s->cf->pam_service, err);
	refuse(s, EXIT_AUTH, msg, reason);
	return -1;
}

static void
request(struct session *s)
{
	struct request req;
	struct relay_env relays;
	char why[160];
	json_t *j;
	int rc;

	if ((j = expect(s, FRAME_REQUEST)) == NULL)
		return;
	rc = request_decode(j, time(NULL), &req, why, sizeof(why));
	if (rc == -1) {
		json_t *v = json_object_get(j, "verb");
		if (json_is_string(v) && verb_find(json_string_value(v)))
			s->audit.verb = verb_find(json_string_value(v))->name;
		refuse(s, EXIT_USAGE, why, why);
		json_decref(j);
		return;
	}
	json_decref(j);
	s->audit.verb = req.verb->name;
	snprintf(s->audit.name, sizeof(s->audit.name), "%s", req.name);
	relays.listen_path = s->cf->listen_path;
	relays.uid = 0;		/* relays and sessions are root's */
	action_run(s->cf, &s->cf->engines[0], &relays, &s->who, &s->peer, &req, s->fd,
	    &s->audit);
}

/*
 * Closing a Unix socket with unread input resets the connection, and the
 * client may lose the done frame that explains why: read what is left,
 * briefly, first.
 */
static void
drain(int fd)
{
	unsigned char buf[4096];
	struct pollfd p = { fd, POLLIN, 0 };
	size_t total = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	while (total < 65536 && poll(&p, 1, 200) == 1) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		total += (size_t)n;
	}
}

void
session_run(const struct config *cf, int fd, uid_t uid, gid_t gid, pid_t pid)
{
	struct session *s;
	char err[256];

	/* malloc, not calloc: the frame buffer's pages stay untouched until
	 * a frame needs them, which keeps each session small */
	if ((s = malloc(sizeof(*s))) == NULL)
		return;
	memset(s, 0, offsetof(struct session, f));
	s->f.len = 0;
	s->cf = cf;
	s->fd = fd;
	s->who.uid = uid;
	s->who.pid = pid;
	s->audit.who = &s->who;
	clock_gettime(CLOCK_REALTIME, &s->audit.start);
	engine_keep_connections();
	if (identity_from_uid(uid, gid, pid, &s->who, err, sizeof(err)) == -1) {
		s->who.uid = uid;
		s->who.pid = pid;
		refuse(s, EXIT_AUTH, "unknown user", err);
	} else if (hello(s) == 0) {
		if (peer_lookup(pid, uid, &s->peer) == -1)
			logmsg(LOG_DEBUG, "uid %u pid %d: no login session "
			    "found; no re-authentication ticket can apply",
			    (unsigned)uid, (int)pid);
		if (account(s) == 0 && welcome(s) == 0)
			request(s);
	}
	if (!s->audit.kept)	/* the keeper's now: keeper.c */
		drain(fd);
	identity_free(&s->who);
	free(s);
}
