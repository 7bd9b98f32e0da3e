/*
 * stats: containers' CPU, memory, network and block I/O and PIDs,
 * computed as `docker stats` computes them, in one sample or a round a
 * second until the client leaves.
 *
 * Invariants:
 * 1. Each name is resolved and decided as a request naming it alone
 *    would be (action_name), has an audit record of its own, and one
 *    the caller may not use is answered "no such container" at the
 *    moment a missing one would be (answer_in_step, from its own
 *    start). With no name: the caller's visible, running containers on
 *    which policy allows stats, at most NAMES_MAX.
 * 2. dockerd is asked for samples by full ID only, side by side
 *    (engine_stats_many); nothing else of the request reaches it.
 * 3. A password (reauth.verbs) is asked once, and only once a name was
 *    allowed; every record is written before the answer it decides.
 * 4. A stream ends at once when the client leaves, when a frame cannot
 *    be written within limits.client_timeout (a client that stopped
 *    reading), and after limits.idle_timeout; after a reload each name
 *    is decided again (revoke.c) and one no longer allowed is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "clientfd.h"
#include "handlers.h"
#include "names.h"
#include "revoke.h"

#define ROUND_MS	1000	/* a stream's pace, as docker stats's */

/* One container of the request: its own request, context and record. */
struct one {
	struct request		 req;
	struct ctx		 x;
	struct audit_rec	 audit;
	int			 live;	/* allowed: sampled each round */
};

struct stats {
	struct one	*o;
	size_t		 n;
	json_t		*errors;	/* told with the next answer */
	size_t		 omitted;	/* no names: past NAMES_MAX */
};

static json_t *
jpath(json_t *j, const char *a, const char *b)
{
	return json_object_get(json_object_get(j, a), b);
}

static json_int_t
num(json_t *j)
{
	return json_is_integer(j) ? json_integer_value(j) : 0;
}

static double
cpu_percent(json_t *s)
{
	json_t *cpu = json_object_get(s, "cpu_stats");
	json_t *pre = json_object_get(s, "precpu_stats");
	double cd, sd, online;

	cd = (double)num(jpath(cpu, "cpu_usage", "total_usage")) -
	    (double)num(jpath(pre, "cpu_usage", "total_usage"));
	sd = (double)num(json_object_get(cpu, "system_cpu_usage")) -
	    (double)num(json_object_get(pre, "system_cpu_usage"));
	online = (double)num(json_object_get(cpu, "online_cpus"));
	if (online == 0)
		online = (double)json_array_size(jpath(cpu, "cpu_usage",
		    "percpu_usage"));
	if (cd <= 0 || sd <= 0)
		return 0;
	return cd / sd * online * 100.0;
}

/* Usage less the inactive file cache: cgroup v1's total_, else v2's. */
static json_int_t
memory_used(json_t *s)
{
	json_t *m = json_object_get(s, "memory_stats");
	json_t *v1 = jpath(m, "stats", "total_inactive_file");
	json_int_t usage = num(json_object_get(m, "usage"));
	json_int_t v2 = num(jpath(m, "stats", "inactive_file"));

	if (v1 != NULL && num(v1) < usage)
		return usage - num(v1);
	return v2 < usage ? usage - v2 : usage;
}

static void
network_io(json_t *s, json_int_t *rx, json_int_t *tx)
{
	const char *key;
	json_t *n;

	*rx = *tx = 0;
	json_object_foreach(json_object_get(s, "networks"), key, n) {
		*rx += num(json_object_get(n, "rx_bytes"));
		*tx += num(json_object_get(n, "tx_bytes"));
	}
}

/* Bytes read and written, by the first letter of each entry's op. */
static void
block_io(json_t *s, json_int_t *rd, json_int_t *wr)
{
	json_t *e;
	const char *op;
	size_t i;

	*rd = *wr = 0;
	json_array_foreach(jpath(s, "blkio_stats",
	    "io_service_bytes_recursive"), i, e) {
		op = json_string_value(json_object_get(e, "op"));
		if (op != NULL && (op[0] == 'r' || op[0] == 'R'))
			*rd += num(json_object_get(e, "value"));
		else if (op != NULL && (op[0] == 'w' || op[0] == 'W'))
			*wr += num(json_object_get(e, "value"));
	}
}

static json_t *
row(const char *name, const char *id, json_t *s)
{
	json_int_t used = memory_used(s), rx, tx, rd, wr;
	json_int_t limit = num(jpath(s, "memory_stats", "limit"));

	network_io(s, &rx, &tx);
	block_io(s, &rd, &wr);
	return json_pack("{s:s, s:s, s:f, s:I, s:I, s:f, s:I, s:I, s:I, s:I,"
	    " s:I}", "name", name, "id", id,
	    "cpu_percent", cpu_percent(s),
	    "memory_used", used, "memory_limit", limit,
	    "memory_percent", limit != 0 ? 100.0 * (double)used /
	    (double)limit : 0.0,
	    "net_rx", rx, "net_tx", tx, "block_read", rd, "block_write", wr,
	    "pids", num(jpath(s, "pids_stats", "current")));
}

/* The one-name request of older clients: resolved by actions.c. */
static void
stats_one(struct ctx *x)
{
	struct engine_reply r;

	if (engine_stats(x->eng, x->t.id, &r) == -1 ||
	    r.status != 200 || !json_is_object(r.body)) {
		engine_failed(x, r.error);
		engine_reply_free(&r);
		return;
	}
	x->out.data = row(x->req->name, x->t.id, r.body);
	x->audit->result = "ok";
	engine_reply_free(&r);
}

/* o as the request's copy, for name. */
static void
one_init(struct ctx *x, struct one *o, const char *name)
{
	o->req = *x->req;
	o->req.nnames = 0;
	snprintf(o->req.name, sizeof(o->req.name), "%s", name);
	o->audit = *x->audit;
	memcpy(o->audit.name, o->req.name, sizeof(o->audit.name));
	o->audit.id[0] = '\0';
	o->audit.reason[0] = '\0';
	o->audit.allow = 0;
	o->audit.result = "refused";
	o->x = *x;
	o->x.req = &o->req;
	o->x.audit = &o->audit;
	memset(&o->x.t, 0, sizeof(o->x.t));
	memset(&o->x.out, 0, sizeof(o->x.out));
}

static void
error_add(struct stats *st, const char *name, const struct outcome *out)
{
	json_array_append_new(st->errors, json_pack("{s:s, s:s, s:i}",
	    "name", name, "error", out->msg, "exit", out->exit));
}

/* Each name decided alone; a refusal is audited and answered later. */
static int
decide_names(struct ctx *x, struct stats *st)
{
	struct timespec t0;
	struct one *o;
	size_t i;

	for (i = 0; i < x->req->nnames; i++) {
		o = &st->o[st->n++];
		clock_gettime(CLOCK_MONOTONIC, &t0);
		one_init(x, o, x->req->names[i]);
		memcpy(o->req.engine, x->req->names_engine[i],
		    sizeof(o->req.engine));
		if (action_name(&o->x) == 0) {
			o->live = 1;
			continue;
		}
		o->audit.exit = o->x.out.exit;
		auditlog_write(x->cf, &o->audit);
		if (o->x.out.exit == EXIT_NOTFOUND)
			answer_in_step(x->cf, &t0);
		error_add(st, o->req.name, &o->x.out);
	}
	return 0;
}

static json_t *
all_entry(struct ctx *x, const struct engine *e, json_t *c,
    const char *name, const char *owner, const char *group)
{
	struct decision d;
	const char *state = json_string_value(json_object_get(c, "State"));

	policy_decide(x->cf, x->who, VERB_STATS, e->name, name, owner, group,
	    &d);
	return json_pack("{s:s, s:s, s:O, s:b, s:b, s:s}", "name", name,
	    "engine", e->name, "id", json_object_get(c, "Id"), "running",
	    state != NULL && strcmp(state, "running") == 0, "allow", d.allow,
	    "reason", d.reason);
}

/* No names: the caller's running containers it may see stats of. */
static int
decide_all(struct ctx *x, struct stats *st)
{
	json_t *list, *e;
	struct one *o;
	size_t i;

	if ((list = list_visible(x, all_entry, 0, NULL)) == NULL)
		return -1;
	json_array_foreach(list, i, e) {
		if (!json_is_true(json_object_get(e, "running")) ||
		    !json_is_true(json_object_get(e, "allow")) ||
		    !name_valid(json_string_value(json_object_get(e,
		    "name"))))
			continue;
		if (st->n == NAMES_MAX) {
			st->omitted++;
			continue;
		}
		o = &st->o[st->n++];
		one_init(x, o, json_string_value(json_object_get(e, "name")));
		o->x.eng = o->x.t.eng = config_engine(x->cf,
		    json_string_value(json_object_get(e, "engine")));
		snprintf(o->req.engine, sizeof(o->req.engine), "%s",
		    o->x.eng->name);
		o->audit.engine = o->x.eng->name;
		snprintf(o->x.t.id, sizeof(o->x.t.id), "%s",
		    json_string_value(json_object_get(e, "id")));
		memcpy(o->audit.id, o->x.t.id, sizeof(o->audit.id));
		snprintf(o->audit.reason, sizeof(o->audit.reason), "%s",
		    json_string_value(json_object_get(e, "reason")));
		o->audit.allow = 1;
		o->live = 1;
	}
	json_decref(list);
	return 0;
}

static size_t
live_count(const struct stats *st)
{
	size_t i, n = 0;

	for (i = 0; i < st->n; i++)
		n += st->o[i].live;
	return n;
}

/* The request's own record: how many of its names were allowed. */
static size_t
decided(struct ctx *x, struct stats *st)
{
	size_t n = live_count(st);

	x->audit->allow = n > 0;
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%zu of %zu "
	    "containers allowed, each decided and recorded on its own", n,
	    st->n);
	return n;
}

/* The allowed names' records, once: before their first answer. */
static void
audit_live(struct ctx *x, struct stats *st, const char *result, int code)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->o[i].live) {
			st->o[i].audit.result = result;
			st->o[i].audit.exit = code;
			auditlog_write(x->cf, &st->o[i].audit);
		}
}

/* A password refused: no name is allowed after all. */
static void
audit_refused(struct ctx *x, struct stats *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->o[i].live) {
			st->o[i].audit.allow = 0;
			memcpy(st->o[i].audit.reason, x->audit->reason,
			    sizeof(st->o[i].audit.reason));
		}
	audit_live(x, st, "refused", EXIT_AUTH);
}

/* One sample of each live container, side by side; NULL: client left. */
static json_t *
sample_round(struct ctx *x, struct stats *st)
{
	const char *ids[NAMES_MAX] = { NULL };
	const struct engine *es[NAMES_MAX] = { NULL };
	struct engine_reply r[NAMES_MAX];
	struct one *live[NAMES_MAX];
	json_t *rows, *one;
	size_t i, k = 0;

	for (i = 0; i < st->n; i++)
		if (st->o[i].live) {
			live[k] = &st->o[i];
			es[k] = st->o[i].x.eng;
			ids[k++] = st->o[i].x.t.id;
		}
	if (engine_stats_many(es, ids, k, x->fd, r) == -1)
		return NULL;
	rows = json_array();
	for (i = 0; i < k; i++) {
		if (r[i].status == 200 && json_is_object(r[i].body))
			one = row(live[i]->req.name, ids[i], r[i].body);
		else
			one = json_pack("{s:s, s:s, s:s}", "name",
			    live[i]->req.name, "id", ids[i], "error",
			    r[i].error);
		if (one != NULL && x->cf->nengines > 1)
			json_object_set_new(one, "engine",
			    json_string(es[i]->name));
		json_array_append_new(rows, one);
		engine_reply_free(&r[i]);
	}
	return rows;
}

/* {"containers": rows}, with the errors not yet told. */
static json_t *
answer(struct stats *st, json_t *rows)
{
	json_t *j = json_pack("{s:o}", "containers", rows);

	if (j != NULL && json_array_size(st->errors) > 0) {
		json_object_set_new(j, "errors", st->errors);
		st->errors = json_array();
	}
	if (j != NULL && st->omitted > 0) {
		json_object_set_new(j, "omitted", json_integer(
		    (json_int_t)st->omitted));
		st->omitted = 0;
	}
	return j;
}

/* j as a sample frame; j is released. */
static int
send_sample(int fd, json_t *j)
{
	char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc = -1;

	if (text != NULL && strlen(text) <= PROTO_MAX_LEN)
		rc = proto_send(fd, FRAME_SAMPLE, text, strlen(text));
	free(text);
	json_decref(j);
	return rc;
}

/* After a reload: each name decided again; one refused now is dropped. */
static void
revoke_names(struct ctx *x, struct stats *st)
{
	struct one *o;
	size_t i;

	for (i = 0; i < st->n; i++) {
		o = &st->o[i];
		if (!o->live || !revoke_recheck(&o->x))
			continue;
		o->live = 0;
		revoke_set_out(&o->x);
		o->audit.exit = o->x.out.exit;
		auditlog_write(x->cf, &o->audit);
		error_add(st, o->req.name, &o->x.out);
	}
}

/* Why a stream stopped, when it stops by itself: said and recorded. */
static void
stream_end(struct ctx *x, struct stats *st, const char *why,
    const char *result)
{
	json_t *j = answer(st, json_array());

	if (j != NULL)
		json_object_set_new(j, "ended", json_string(why));
	x->out.data = j;
	x->audit->result = result;
}

/*
 * A round a second after the first (at start) until the client leaves
 * or stalls, or a limit ends the stream.
 */
static void
stream(struct ctx *x, struct stats *st, long long start)
{
	long long at = start, left;
	char why[96];
	json_t *rows;

	for (;;) {
		if (revoke_pending())
			revoke_names(x, st);
		if (live_count(st) == 0) {
			stream_end(x, st, "no container left to sample",
			    "revoked");
			return;
		}
		if (x->cf->idle_timeout > 0 &&
		    now_ms() - start >= x->cf->idle_timeout * 1000LL) {
			snprintf(why, sizeof(why), "the broker's idle timeout "
			    "(%d s) passed", x->cf->idle_timeout);
			stream_end(x, st, why, "ended: idle timeout");
			return;
		}
		left = at + ROUND_MS - now_ms();
		if (left > 0 && client_pace(x->fd, (int)left) == -1)
			break;
		at = now_ms();
		if ((rows = sample_round(x, st)) == NULL ||
		    send_sample(x->fd, answer(st, rows)) == -1)
			break;
	}
	x->out.exit = -1;	/* gone or not reading: nobody to answer */
	x->audit->result = "client left";
}

/*
 * The first round: its records are written before it is answered, in
 * done's data (--no-stream) or as the stream's first frame.
 */
static void
first_round(struct ctx *x, struct stats *st)
{
	struct timeval tv = { x->cf->client_timeout, 0 };
	long long start = now_ms();
	json_t *rows;

	if (x->req->stream && setsockopt(x->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)) == -1) {
		set_out(x, EXIT_FAIL, "internal error (setsockopt)");
		x->audit->result = "error";
		return;
	}
	if ((rows = sample_round(x, st)) == NULL) {
		audit_live(x, st, "client left", -1);
		x->out.exit = -1;
		x->audit->result = "client left";
		return;
	}
	audit_live(x, st, "ok", EXIT_OK);
	if (!x->req->stream) {
		x->out.data = answer(st, rows);
		x->audit->result = "ok";
		return;
	}
	if (send_sample(x->fd, answer(st, rows)) == -1) {
		x->out.exit = -1;
		x->audit->result = "client left";
		return;
	}
	stream(x, st, start);
}

static void
stats_free(struct stats *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		target_free(&st->o[i].x.t);
	json_decref(st->errors);
	free(st->o);
}

void
do_stats(struct ctx *x)
{
	struct stats st = { NULL, 0, NULL, 0 };

	if (x->req->name[0] != '\0') {
		stats_one(x);
		return;
	}
	if ((st.o = calloc(NAMES_MAX, sizeof(*st.o))) == NULL ||
	    (st.errors = json_array()) == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		x->audit->result = "error";
	} else if ((x->req->nnames > 0 ? decide_names(x, &st) :
	    decide_all(x, &st)) == -1)
		;	/* list_visible said why */
	else if (decided(x, &st) == 0) {
		x->out.data = answer(&st, json_array());
		x->audit->result = "ok";
	} else if (reauth_needed(x) == -1)
		audit_refused(x, &st);
	else
		first_round(x, &st);
	stats_free(&st);
}
