/*
 * A request, from resolution to the answer: who may use the verb, which
 * container it names, what policy says, re-authentication, audit, the
 * handler (handlers.h), and the done frame.
 *
 * Invariants:
 * 1. Root's verbs (provision, unprovision) are refused to anybody else
 *    as if they did not exist.
 * 2. A verb that names a container runs only on the container resolve.c
 *    found for exactly that name, and only if policy allows the verb on
 *    that container's labels; the handler then acts on its full ID.
 * 3. A container the caller may not use at all gets the same answer,
 *    word for word and exit code, as one that does not exist
 *    (not_found), at the same moment (answer_in_step: both leave on a
 *    multiple of limits.miss_quantum_ms, after the same policy walk);
 *    one it can see but not act on says "permission denied". The audit
 *    record keeps the real reason.
 * 4. Any error means deny: the result is "refused" until a handler
 *    has acted.
 * 5. Verbs in reauth.verbs run only after a fresh ticket or a PAM
 *    authentication (reauth.c), and that is asked only once every
 *    refusal that needs no password (policy, prechecks[]) was passed;
 *    a request naming several (VF_NAMES) is decided name by name in
 *    its handler, through action_name and answer_in_step as here, and
 *    asks (reauth_needed) only once one of them was allowed.
 * 6. Nothing is done that cannot be audited (auditlog_ready), and the
 *    record is written before the client hears the answer.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "actions.h"
#include "handlers.h"
#include "service.h"


/*
 * A missing name costs what deciding on an existing one costs: the same
 * policy walk, on labels nobody has (the answer is not used).
 */
static void
decide_nothing(struct ctx *x)
{
	const struct verb *v = x->req->of != NULL ? x->req->of : x->req->verb;
	struct decision d;

	policy_decide(x->cf, x->who, v->id, x->cf->engines[0].name,
	    x->req->name, "", "", &d);
}

/*
 * "No such container", for a missing name and for one the caller may
 * not use, leaves at the same moment: on the first multiple of
 * limits.miss_quantum_ms after the request came, so that neither the
 * work done nor a slow dockerd tells them apart by more than a rounding.
 */
void
answer_in_step(const struct config *cf, const struct timespec *t0)
{
	struct timespec now, at;
	long long q = (long long)cf->miss_quantum_ms * 1000000, spent, n;

	if (q <= 0 || clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return;
	spent = (now.tv_sec - t0->tv_sec) * 1000000000LL +
	    (now.tv_nsec - t0->tv_nsec);
	n = spent / q + 1;
	at.tv_sec = t0->tv_sec + (time_t)(n * q / 1000000000LL);
	at.tv_nsec = t0->tv_nsec + (long)(n * q % 1000000000LL);
	if (at.tv_nsec >= 1000000000L) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) ==
	    EINTR)
		;
}

/* The container the request names, resolved (resolve.c); else x->out. */
static int
target(struct ctx *x)
{
	enum resolved rc;
	char err[1024];

	rc = resolve_any(x->cf, x->who, x->req->engine, x->req->kind,
	    x->req->name, &x->t, err, sizeof(err));
	if (x->req->engine[0] != '\0')
		x->audit->engine = x->req->engine;	/* checked: engine_valid */
	if (rc == RESOLVED) {
		x->eng = x->t.eng;
		memcpy(x->audit->id, x->t.id, ID_LEN + 1);
		x->audit->engine = x->t.eng->name;
		x->audit->kind = x->t.service ? "service" : NULL;
		return 0;
	}
	if (rc == RESOLVE_ENGINES || rc == RESOLVE_DOWN) {
		set_out(x, rc == RESOLVE_ENGINES ? EXIT_USAGE : EXIT_FAIL,
		    "%s", err);
		snprintf(x->audit->reason, sizeof(x->audit->reason), "%s: %.120s",
		    resolve_reason(rc), err);
		x->audit->error = rc == RESOLVE_DOWN;
		return -1;
	}
	not_found(x, resolve_reason(rc));
	if (rc == RESOLVE_NONE || rc == RESOLVE_OTHER ||
	    rc == RESOLVE_AMBIGUOUS)
		decide_nothing(x);
	if (rc == RESOLVE_FAILED)
		engine_failed(x, err);
	else if (rc == RESOLVE_MALFORMED) {
		set_out(x, EXIT_FAIL, "%s", err);
		x->audit->error = 1;	/* dockerd's fault, not a policy's */
	}
	return -1;
}

/*
 * Whether the request names one container: its verb's, or can's VERB's.
 * A VF_NAMES verb without "name" names several, or all: its handler
 * decides each (action_name).
 */
static int
names_container(const struct request *req)
{
	const struct verb *v = req->of != NULL ? req->of : req->verb;

	if (req->of == NULL && (v->flags & VF_NAMES) && req->name[0] == '\0')
		return 0;
	return (v->flags & VF_NAME) != 0;
}

static int
authorize(struct ctx *x)
{
	struct decision d;

	if (x->req->verb->id == VERB_CAN)
		return 0;	/* needs no grant: can.c decides on its VERB */
	policy_decide(x->cf, x->who, x->req->verb->id, x->t.eng->name,
	    x->req->name, x->t.owner, x->t.group, &d);
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%s", d.reason);
	if (d.allow) {
		x->audit->allow = 1;
		return 0;
	}
	if (d.visible && d.hint != NULL)
		set_out(x, EXIT_NOTFOUND, "%s: permission denied (%s)",
		    x->req->verb->name, d.hint);
	else if (d.visible)
		set_out(x, EXIT_NOTFOUND, "%s: permission denied",
		    x->req->verb->name);
	else
		not_found(x, d.reason);
	return -1;
}

static void
do_forget(struct ctx *x)
{
	x->audit->allow = 1;
	snprintf(x->audit->reason, sizeof(x->audit->reason),
	    "a user may always forget its own ticket");
	if (ticket_forget(x->cf, x->who->uid, x->peer) == -1) {
		set_out(x, EXIT_FAIL, "cannot remove the ticket");
		x->audit->result = "error";
		return;
	}
	x->audit->result = "forgotten";
}

/*
 * Refusals a verb can make before a password is asked (0: go on): a
 * user is never asked for a password to hear no.
 */
typedef int (*precheck)(struct ctx *);

static const precheck prechecks[VERB_COUNT] = {
	[VERB_RM] = rm_precheck,
};

/* A verb on a service that acts on containers only: said before anything
 * is asked. */
static int
service_refused(struct ctx *x)
{
	if (!x->t.service || service_handler(x) != NULL ||
	    x->req->verb->id == VERB_CAN)
		return 0;
	set_out(x, EXIT_USAGE, "%s: %s is a service: %s acts on containers",
	    x->req->verb->name, x->req->name, x->req->verb->name);
	x->audit->result = "refused: a service";
	return -1;
}

static int
prechecked(struct ctx *x)
{
	precheck p = prechecks[x->req->verb->id];

	if (service_refused(x) == -1)
		return -1;
	if (x->t.service)
		return 0;	/* rm's precheck is a container's */
	return p != NULL ? p(x) : 0;
}

static const handler handlers[VERB_COUNT] = {
	[VERB_CREATE] = do_create,
	[VERB_RM] = do_rm,
	[VERB_PROVISION] = do_provision,
	[VERB_UNPROVISION] = do_unprovision,
	[VERB_FORGET] = do_forget,
	[VERB_CAN] = do_can,
	[VERB_LS] = do_ls,
	[VERB_STATUS] = do_status,
	[VERB_START] = do_start,
	[VERB_STOP] = do_stop,
	[VERB_RESTART] = do_restart,
	[VERB_LOGS] = do_logs,
	[VERB_STATS] = do_stats,
	[VERB_INSPECT] = do_inspect,
	[VERB_EXEC] = do_exec,
	[VERB_SCALE] = do_scale,
	[VERB_DAEMON] = do_daemon_status,
};

/* Data too large for one control frame goes ahead in data frames. */
static int
send_data(int fd, json_t *data)
{
	char *text;
	size_t len, off, n;
	int rc = 0;

	if ((text = json_dumps(data, JSON_COMPACT)) == NULL)
		return -1;
	len = strlen(text);
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < PROTO_MAX_LEN ? len - off : PROTO_MAX_LEN;
		rc = proto_send(fd, FRAME_DATA, text + off, n);
	}
	free(text);
	return rc;
}

static int
send_done(int fd, const struct outcome *o)
{
	json_t *j;
	char *probe;
	int rc;

	if ((j = outcome_json(o)) == NULL)
		return -1;
	if (o->data != NULL) {
		probe = json_dumps(j, JSON_COMPACT);
		if (probe == NULL || strlen(probe) > PROTO_MAX_JSON) {
			json_object_del(j, "data");
			if (send_data(fd, o->data) == -1) {
				free(probe);
				json_decref(j);
				return -1;
			}
		}
		free(probe);
	}
	rc = proto_send_json(fd, FRAME_DONE, j);
	json_decref(j);
	return rc;
}

/* Fail closed: an action that could not be audited is not taken. */
static int
audit_ready(struct ctx *x)
{
	char why[128];

	if (auditlog_ready(why, sizeof(why)) == 0)
		return 0;
	set_out(x, EXIT_FAIL, "request refused: ctld cannot write its audit "
	    "log");
	x->audit->allow = 0;
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%s", why);
	x->audit->result = "refused: audit unavailable";
	logmsg(LOG_ERR, "refusing requests: %s", why);
	return -1;
}

int
action_name(struct ctx *x)
{
	return target(x) == 0 && authorize(x) == 0 &&
	    service_refused(x) == 0 ? 0 : -1;
}

int
reauth_needed(struct ctx *x)
{
	char msg[300];

	if (!(x->cf->reauth_verbs & VERB_BIT(x->req->verb->id)))
		return 0;
	if (reauth(x->cf, x->who, x->peer, x->fd, x->req->prompt, x->audit,
	    msg, sizeof(msg)) == 0)
		return 0;
	set_out(x, EXIT_AUTH, "%s", msg);
	x->audit->result = "refused";
	return -1;
}

/* Its handler asks, once a name was allowed (invariant 5). */
static int
names_several(const struct request *req)
{
	return req->of == NULL && (req->verb->flags & VF_NAMES) &&
	    req->name[0] == '\0';
}

int
action_run(const struct config *cf, const struct engine *eng,
    const struct relay_env *relays, const struct identity *who,
    const struct peer *peer, const struct request *req, int fd,
    struct audit_rec *audit)
{
	struct ctx x;
	struct timespec t0;
	handler h = handlers[req->verb->id];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&x, 0, sizeof(x));
	x.cf = cf;
	x.eng = eng;
	x.relays = relays;
	x.who = who;
	x.peer = peer;
	x.req = req;
	x.fd = fd;
	x.audit = audit;
	audit->result = "refused";
	audit->of = req->of != NULL ? req->of->name : NULL;
	if (req->verb->flags & VF_ARGV)
		audit->argv = exec_argv(req);	/* every record has it */
	if ((req->verb->flags & VF_ADMIN) && who->uid != 0) {
		set_out(&x, EXIT_USAGE, "unknown verb");
		snprintf(audit->reason, sizeof(audit->reason),
		    "%s is for root (pam_ctl) only", req->verb->name);
	} else if (h == NULL)
		set_out(&x, EXIT_USAGE, "unknown verb");
	else if ((!names_container(req) ||
	    (target(&x) == 0 && authorize(&x) == 0)) &&
	    prechecked(&x) == 0 && (names_several(req) ||
	    reauth_needed(&x) == 0) && audit_ready(&x) == 0)
		(x.t.service && req->verb->id != VERB_CAN ?
		    service_handler(&x) : h)(&x);
	if (x.t.eng != NULL && cf->nengines > 1 && json_is_object(x.out.data) &&
	    json_object_get(x.out.data, "name") != NULL)
		json_object_set_new(x.out.data, "engine",
		    json_string(x.t.eng->name));
	audit->exit = x.out.exit;
	auditlog_write(cf, audit);	/* recorded before it is answered */
	json_decref(audit->argv);
	audit->argv = NULL;
	json_decref(audit->unreachable);
	audit->unreachable = NULL;
	if (x.out.exit == EXIT_NOTFOUND)
		answer_in_step(cf, &t0);
	if (x.out.exit >= 0)
		send_done(fd, &x.out);
	json_decref(x.out.data);
	target_free(&x.t);
	return x.out.exit;
}
