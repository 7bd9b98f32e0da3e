/*
 * Verbs that make and remove containers: create, rm, provision,
 * unprovision.
 *
 * Invariants:
 * 1. Containers are created only from templates (template.c builds the
 *    request), owned by the user they are made for.
 * 2. A user may create from a template only if the template names the
 *    user or one of its groups and no deny rule forbids it; a name the
 *    user picks must start with "USER-" and may not be one that another
 *    user's name or a template would give another user (squats()).
 * 3. provision and unprovision come only from root (pam_ctl): actions.c
 *    refuses them to anyone else before they get here.
 * 4. Provisioning is idempotent: an existing container of the user with
 *    the template's name is kept as it is (started if asked); one that
 *    belongs to anybody else is never touched.
 * 5. rm removes only containers the caller owns (policy.c owner_only),
 *    never their volumes, and a running one only with --force.
 * 6. unprovision stops nothing while another login session of the user
 *    is open, or when sessions cannot be counted (logins.c); a user's
 *    provision and unprovision never overlap.
 * 7. A container is made from a template only while the user has fewer
 *    than limits.containers_per_user (and the template's max) made from
 *    templates, counted under the user's lock.
 */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "handlers.h"
#include "logins.h"
#include "names.h"
#include "template.h"

struct made {
	char	name[NAME_MAX_LEN + 1];
	char	id[ID_LEN + 1];
	int	created;
	int	started;
	int	exit;
	char	msg[300];
};

static int __attribute__((format(printf, 3, 4)))
fail_made(struct made *m, int code, const char *fmt, ...)
{
	va_list ap;

	m->exit = code;
	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof(m->msg), fmt, ap);
	va_end(ap);
	return code;
}

static int
start_id(const struct engine *eng, struct made *m)
{
	struct engine_reply r;

	if (engine_action(eng, m->id, ENGINE_START, -1, ENGINE_TIMEOUT,
	    &r) == -1 ||
	    (r.status != 204 && r.status != 304)) {
		fail_made(m, EXIT_FAIL, "%s", r.error);
		engine_reply_free(&r);
		return -1;
	}
	m->started = r.status == 204;
	engine_reply_free(&r);
	return 0;
}

/* What make_one finds under the name it would give. */
enum found {
	FOUND_NONE,		/* no container has the name */
	FOUND_STOPPED,		/* the user's: m->id set */
	FOUND_RUNNING,		/* the user's, running: m->id set */
	FOUND_ERROR,		/* another's, or dockerd failed: m says */
};

/* The container named exactly m->name (resolve.c), if it is the user's. */
static enum found
existing(const struct config *cf, const struct engine *eng,
    const char *user, struct made *m)
{
	struct target t;
	enum resolved rc;
	enum found f;
	char err[256];

	rc = resolve(eng, cf, m->name, &t, err, sizeof(err));
	if (rc == RESOLVE_FAILED)
		return fail_made(m, EXIT_FAIL, "%s", err), FOUND_ERROR;
	if (rc != RESOLVED && rc != RESOLVE_MALFORMED)
		return FOUND_NONE;
	if (rc == RESOLVE_MALFORMED || t.owner == NULL ||
	    strcmp(t.owner, user) != 0) {
		target_free(&t);
		return fail_made(m, EXIT_FAIL, "cannot create %s: the name is "
		    "taken", m->name), FOUND_ERROR;
	}
	memcpy(m->id, t.id, ID_LEN + 1);
	f = t.running ? FOUND_RUNNING : FOUND_STOPPED;
	target_free(&t);
	return f;
}

static int
image_id(const struct config *cf, const struct engine *eng,
    const struct template *t, char *id, size_t idlen, struct made *m)
{
	struct engine_reply r;
	char why[300];
	const char *v;

	if (engine_image(eng, t->image, &r) == -1 ||
	    (r.status != 200 && r.status != 404)) {
		fail_made(m, EXIT_FAIL, "%s", r.error);
		engine_reply_free(&r);
		return -1;
	}
	if (r.status == 404) {
		engine_reply_free(&r);
		return fail_made(m, EXIT_FAIL, "image %s is not on this host "
		    "(ctld never pulls)", t->image), -1;
	}
	if (!template_trusted(cf, t->image, r.body, why, sizeof(why))) {
		engine_reply_free(&r);
		return fail_made(m, EXIT_FAIL, "refused: %.280s", why), -1;
	}
	v = json_string_value(json_object_get(r.body, "Id"));
	if (v == NULL || strncmp(v, "sha256:", 7) != 0 ||
	    !id_valid(v + 7)) {
		engine_reply_free(&r);
		return fail_made(m, EXIT_FAIL, "dockerd: malformed image "
		    "ID"), -1;
	}
	snprintf(id, idlen, "%s", v);
	engine_reply_free(&r);
	return 0;
}

/*
 * The user's containers made from templates (labelled ctl.template by
 * template_body; an admin's own containers do not count): in all, and
 * per template in *per (template name -> count), for the caller to free.
 */
/* The containers from templates the user has on one engine, counted. */
static int
count_on(const struct config *cf, const struct engine *eng,
    const char *user, int *all, json_t *per, char *err, size_t errlen)
{
	struct engine_reply r;
	const char *from;
	json_t *c;
	size_t i;

	if (engine_list(eng, cf->owner_label, user, &r) == -1 ||
	    r.status != 200 || !json_is_array(r.body)) {
		snprintf(err, errlen, "%s", r.error[0] ? r.error :
		    "dockerd: malformed container list");
		engine_reply_free(&r);
		return -1;
	}
	json_array_foreach(r.body, i, c) {
		from = json_string_value(json_object_get(json_object_get(c,
		    "Labels"), "ctl.template"));
		if (from == NULL)
			continue;
		(*all)++;
		json_object_set_new(per, from, json_integer(1 +
		    json_integer_value(json_object_get(per, from))));
	}
	engine_reply_free(&r);
	return 0;
}

/*
 * The user's containers from templates, in all and per template, on
 * every engine a template makes them on: the quota is one across them,
 * and an engine that cannot be counted refuses (any error means deny).
 */
int
made_count(const struct config *cf, const char *user, int *all,
    json_t **per, char *err, size_t errlen)
{
	const struct engine *e;
	size_t i, j;

	*all = 0;
	if ((*per = json_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < cf->ntemplates || (i == 0 && cf->ntemplates == 0);
	    i++) {
		e = cf->ntemplates ? template_engine(cf, &cf->templates[i]) :
		    &cf->engines[0];
		for (j = 0; j < i; j++)
			if (template_engine(cf, &cf->templates[j]) == e)
				break;
		if (j < i)
			continue;	/* counted already */
		if (count_on(cf, e, user, all, *per, err, errlen) == -1) {
			json_decref(*per);
			*per = NULL;
			return -1;
		}
	}
	return 0;
}

/*
 * Room for one more container of the user's from templates, in all and
 * from t. The caller holds the user's lock.
 */
static int
quota_left(const struct config *cf, const struct template *t,
    const char *user, struct made *m)
{
	json_t *per;
	int all, mine;

	if (cf->containers_per_user == 0 && t->max == 0)
		return 0;
	if (made_count(cf, user, &all, &per, m->msg, sizeof(m->msg)) == -1) {
		m->exit = EXIT_FAIL;
		return -1;
	}
	mine = (int)json_integer_value(json_object_get(per, t->name));
	json_decref(per);
	if (cf->containers_per_user > 0 && all >= cf->containers_per_user)
		return fail_made(m, EXIT_FAIL, "quota: you have %d containers, "
		    "the limit is %d", all, cf->containers_per_user), -1;
	if (t->max > 0 && mine >= t->max)
		return fail_made(m, EXIT_FAIL, "quota: you have %d containers "
		    "from template %s, the limit is %d", mine, t->name, t->max),
		    -1;
	return 0;
}

enum created {
	CREATED,		/* m->id is the new container's */
	CREATE_FAILED,		/* m says why */
	CREATE_RACED		/* 409: the name was taken meanwhile */
};

static enum created
create_new(const struct config *cf, const struct engine *eng,
    const struct template *t, const char *user, struct made *m)
{
	struct engine_reply r;
	char img[80], vol[NAME_MAX_LEN + 1];
	const char *id;
	json_t *body;

	if (image_id(cf, eng, t, img, sizeof(img), m) == -1 ||
	    quota_left(cf, t, user, m) == -1)
		return CREATE_FAILED;
	if (t->volume != NULL &&
	    template_expand(t->volume, user, vol, sizeof(vol)) == -1)
		return fail_made(m, EXIT_FAIL, "bad volume name"),
		    CREATE_FAILED;
	body = template_body(t, user, cf->owner_label, cf->group_label, img,
	    t->volume ? vol : NULL);
	if (body == NULL)
		return fail_made(m, EXIT_FAIL, "out of memory"), CREATE_FAILED;
	engine_create(eng, m->name, body, &r);
	json_decref(body);
	if (r.status == 409) {
		engine_reply_free(&r);
		return CREATE_RACED;
	}
	id = json_string_value(json_object_get(r.body, "Id"));
	if (r.status != 201 || !id_valid(id)) {
		fail_made(m, EXIT_FAIL, "%s", r.error[0] ? r.error :
		    "dockerd: create failed");
		engine_reply_free(&r);
		return CREATE_FAILED;
	}
	memcpy(m->id, id, ID_LEN + 1);
	m->created = 1;
	engine_reply_free(&r);
	return CREATED;
}

/*
 * After a 409: dockerd holds the name from the start of the other
 * create, but inspect finds it only once that create is done. Up to 5 s.
 */
static enum found
raced(const struct config *cf, const struct engine *eng, const char *user,
    struct made *m)
{
	const struct timespec pause = { 0, 50 * 1000000L };
	enum found f;
	int i;

	for (i = 0; i < 100; i++) {
		if ((f = existing(cf, eng, user, m)) != FOUND_NONE)
			return f;
		nanosleep(&pause, NULL);
	}
	return FOUND_NONE;
}

/* Makes (or finds) the user's container from t; starts it if asked. */
static int
make_one(const struct config *cf, const struct engine *eng,
    const struct template *t, const char *user, const char *name,
    int start, struct made *m)
{
	enum found f;

	memset(m, 0, sizeof(*m));
	if (name != NULL)
		snprintf(m->name, sizeof(m->name), "%s", name);
	else if (template_expand(t->container, user, m->name,
	    sizeof(m->name)) == -1)
		return fail_made(m, EXIT_FAIL, "template %s: bad name", t->name);
	if ((f = existing(cf, eng, user, m)) == FOUND_ERROR)
		return -1;
	if (f == FOUND_NONE) {
		switch (create_new(cf, eng, t, user, m)) {
		case CREATED:
			break;
		case CREATE_FAILED:
			return -1;
		case CREATE_RACED:	/* made meanwhile: the user's, or taken */
			if ((f = raced(cf, eng, user, m)) == FOUND_ERROR)
				return -1;
			if (f == FOUND_NONE)
				return fail_made(m, EXIT_FAIL, "cannot create "
				    "%s: the name is in use", m->name), -1;
			break;
		}
	}
	if (start && f != FOUND_RUNNING && start_id(eng, m) == -1)
		return -1;
	return 0;
}

static json_t *
made_json(const struct made *m)
{
	return json_pack("{s:s, s:s, s:b, s:b}", "name", m->name, "id", m->id,
	    "created", m->created, "started", m->started);
}

/*
 * The first len bytes of s as another user's name than caller's: one a
 * user could have (exists 0), or one a user has (exists 1).
 */
static int
other_user(const char *s, size_t len, const char *caller, int exists)
{
	char u[33];

	if (len == 0 || len >= sizeof(u))
		return 0;
	memcpy(u, s, len);
	u[len] = '\0';
	return strcmp(u, caller) != 0 && user_valid(u) &&
	    (!exists || getpwnam(u) != NULL);
}

/*
 * A name the caller may not take because it is, or may become, another
 * user's: "ann-marie-x" when ann-marie exists (user names may hold '-'),
 * or what a template would name for any other user, existing or not
 * ("dev-bob"; "alice-x-box" for "%u-box": a user alice-x may come).
 */
static int
squats(const struct config *cf, const char *caller, const char *name)
{
	const char *p, *pct;
	size_t i, pre, suf, len = strlen(name), ul = strlen(caller);

	for (p = len > ul ? name + ul + 1 : NULL;
	    p != NULL && (p = strchr(p, '-')) != NULL; p++)
		if (other_user(name, (size_t)(p - name), caller, 1))
			return 1;
	if (strncmp(name, caller, ul) == 0 && name[ul] == '-' &&
	    other_user(name, len, caller, 1))
		return 1;
	for (i = 0; i < cf->ntemplates; i++) {
		pct = strstr(cf->templates[i].container, "%u");
		if (pct == NULL)
			continue;
		pre = (size_t)(pct - cf->templates[i].container);
		suf = strlen(pct + 2);
		if (len > pre + suf && strncmp(name,
		    cf->templates[i].container, pre) == 0 &&
		    strcmp(name + len - suf, pct + 2) == 0 &&
		    other_user(name + pre, len - pre - suf, caller, 0))
			return 1;
	}
	return 0;
}

void
do_create(struct ctx *x)
{
	const struct template *t = template_find(x->cf, x->req->template);
	const char *user = x->who->user;
	struct decision d;
	struct logins lg;
	struct made m;
	char name[NAME_MAX_LEN + 1];
	size_t ul = strlen(user);
	int rc;

	policy_decide_create(x->cf, x->who, t, "", &d);
	if (!d.visible) {
		set_out(x, EXIT_NOTFOUND, "no such template: %s",
		    x->req->template);
		snprintf(x->audit->reason, sizeof(x->audit->reason), "%s",
		    d.reason);
		return;
	}
	if (x->req->name[0] != '\0' && (strncmp(x->req->name, user, ul) != 0 ||
	    x->req->name[ul] != '-')) {
		set_out(x, EXIT_USAGE, "a container name must start with "
		    "\"%s-\"", user);
		snprintf(x->audit->reason, sizeof(x->audit->reason),
		    "name outside the user's space");
		return;
	}
	if (x->req->name[0] != '\0')
		snprintf(name, sizeof(name), "%s", x->req->name);
	else if (template_expand(t->container, user, name, sizeof(name)) == -1)
		name[0] = '\0';
	if (name[0] == '\0' || squats(x->cf, user, name)) {
		set_out(x, EXIT_USAGE, "%s: that name belongs to another "
		    "user's space", name[0] ? name : t->container);
		snprintf(x->audit->reason, sizeof(x->audit->reason),
		    "name collides with another user's names");
		return;
	}
	snprintf(x->audit->name, sizeof(x->audit->name), "%s", name);
	policy_decide_create(x->cf, x->who, t, name, &d);
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%s", d.reason);
	if (!d.allow) {
		set_out(x, EXIT_NOTFOUND, "no such template: %s", t->name);
		return;
	}
	x->audit->allow = 1;
	/* the user's lock: two creates at once cannot both fit the quota */
	if (x->relays == NULL || logins_open(&lg, x->relays->listen_path,
	    x->relays->uid, x->who->uid) == -1) {
		set_out(x, EXIT_FAIL, "create: cannot take the user's lock");
		x->audit->result = "failed";
		return;
	}
	x->audit->engine = template_engine(x->cf, t)->name;
	rc = make_one(x->cf, template_engine(x->cf, t), t, user, name, 0, &m);
	logins_close(&lg);
	if (rc == -1) {
		set_out(x, m.exit, "%s", m.msg);
		x->audit->result = m.msg[0] ? "refused or failed" : "failed";
		snprintf(x->audit->reason, sizeof(x->audit->reason), "%.190s",
		    m.msg);
		return;
	}
	memcpy(x->audit->id, m.id, sizeof(m.id));
	x->out.data = made_json(&m);
	x->audit->result = m.created ? "created" : "exists";
}

/*
 * Before any password is asked: what can refuse rm without dockerd
 * (that it is the caller's own, policy.c decided).
 */
int
rm_precheck(struct ctx *x)
{
	if (x->t.running && !x->req->force) {
		set_out(x, EXIT_FAIL, "%s is running: stop it first, or use "
		    "rm --force", x->req->name);
		x->audit->result = "refused: running";
		return -1;
	}
	return 0;
}

/* After rm_precheck, and the password if reauth.verbs has rm. */
void
do_rm(struct ctx *x)
{
	struct engine_reply r;

	if (engine_remove(x->eng, x->t.id, x->req->force, &r) == -1 ||
	    r.status != 204) {
		engine_failed(x, r.error);
		engine_reply_free(&r);
		return;
	}
	x->out.data = json_pack("{s:s, s:s}", "name", x->req->name, "id",
	    x->t.id);
	x->audit->result = "removed";
	engine_reply_free(&r);
}

/* Calls fn for each template provisioned to the user's groups. */
static int
each_provisioned(struct ctx *x, const struct identity *u,
    int (*fn)(struct ctx *, const struct template *, int, json_t *),
    json_t *list)
{
	const struct provision *p;
	size_t i, j, k;
	int rc = 0;

	for (i = 0; i < x->cf->nprovisions; i++) {
		p = &x->cf->provisions[i];
		for (k = 0; u->groups[k] != NULL; k++)
			if (strcmp(u->groups[k], p->group) == 0)
				break;
		if (u->groups[k] == NULL)
			continue;
		for (j = 0; p->templates[j] != NULL; j++)
			if (fn(x, template_find(x->cf, p->templates[j]),
			    p->start, list) == -1)
				rc = -1;
	}
	return rc;
}

static int
provision_one(struct ctx *x, const struct template *t, int start,
    json_t *list)
{
	struct made m;

	if (make_one(x->cf, template_engine(x->cf, t), t, x->req->user, NULL,
	    start, &m) == -1) {
		if (x->out.exit == 0)
			set_out(x, m.exit, "%s", m.msg);
		json_array_append_new(list, json_pack("{s:s, s:s}", "name",
		    m.name, "error", m.msg));
		return -1;
	}
	json_array_append_new(list, made_json(&m));
	return 0;
}

static int
unprovision_one(struct ctx *x, const struct template *t, int start,
    json_t *list)
{
	struct engine_reply r;
	struct made m;

	(void)start;
	memset(&m, 0, sizeof(m));
	if (template_expand(t->container, x->req->user, m.name,
	    sizeof(m.name)) == -1 || existing(x->cf, template_engine(x->cf, t),
	    x->req->user, &m) != FOUND_RUNNING)
		return 0;	/* not there, not the user's, or not running */
	if (engine_action(template_engine(x->cf, t), m.id, ENGINE_STOP, -1, ENGINE_TIMEOUT + 10,
	    &r) == -1 || (r.status != 204 && r.status != 304)) {
		if (x->out.exit == 0)
			set_out(x, EXIT_FAIL, "%s", r.error);
		engine_reply_free(&r);
		return -1;
	}
	engine_reply_free(&r);
	json_array_append_new(list, json_pack("{s:s, s:b}", "name", m.name,
	    "stopped", 1));
	return 0;
}

/*
 * Under the user's login lock (logins.c): provision records the asking
 * session; unprovision forgets it and stops nothing while another of
 * the user's sessions is open, or when they cannot be counted.
 */
static void
for_user(struct ctx *x, int (*fn)(struct ctx *, const struct template *,
    int, json_t *), const char *done)
{
	struct identity u;
	struct passwd *pw;
	struct logins lg;
	char err[256];
	json_t *list;
	int counted, others = 0;

	x->audit->allow = 1;
	snprintf(x->audit->reason, sizeof(x->audit->reason),
	    "%s for %s, requested by root", x->req->verb->name, x->req->user);
	if ((pw = getpwnam(x->req->user)) == NULL ||
	    identity_from_uid(pw->pw_uid, pw->pw_gid, 0, &u, err,
	    sizeof(err)) == -1) {
		set_out(x, EXIT_FAIL, "no such user: %s", x->req->user);
		x->audit->result = "no such user";
		return;
	}
	counted = x->relays != NULL && logins_open(&lg,
	    x->relays->listen_path, x->relays->uid, u.uid) == 0;
	if (fn == provision_one && counted)
		(void)logins_add(&lg, x->who->pid);
	else if (fn == unprovision_one)
		others = counted ? logins_remove_count(&lg, x->who->pid) : -1;
	list = json_array();
	if (others == 0)
		each_provisioned(x, &u, fn, list);
	x->out.data = json_pack("{s:s, s:o}", "user", x->req->user,
	    "containers", list);
	if (others != 0)
		x->audit->result = others > 0 ? "kept: another login session "
		    "is open" : "kept: login sessions cannot be counted";
	else
		x->audit->result = x->out.exit == 0 ? done : "failed";
	if (counted)
		logins_close(&lg);
	identity_free(&u);
}

void
do_provision(struct ctx *x)
{
	for_user(x, provision_one, "provisioned");
}

void
do_unprovision(struct ctx *x)
{
	for_user(x, unprovision_one, "unprovisioned");
}
