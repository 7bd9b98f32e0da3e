/*
 * Resolution: a name a client sent, to the container it names. Every
 * verb, provisioning and ctld --explain resolve through here.
 *
 * Invariants:
 * 1. A name is looked up exactly (inspect by name) and accepted only if
 *    the answer's Name is exactly "/NAME": an ID, an ID prefix or an
 *    alias that dockerd would also accept is RESOLVE_OTHER, which every
 *    caller treats as no such container.
 * 2. dockerd's answers that mean "not that name" (404, an ID prefix of
 *    several containers) are told apart from a failure, so that a miss
 *    never reads as an error that would count hidden containers.
 * 3. A resolved target carries dockerd's full 64-hex ID, checked with
 *    id_valid; callers act on that ID only, never on the name again.
 * 4. The owner and group labels are read here, once, from the same
 *    answer the ID came from: policy decides on exactly the container
 *    that is then acted on.
 * 5. Anything but RESOLVED leaves the target empty.
 * 6. A plain name is looked up on every engine the caller may use, and
 *    names the container only when exactly one engine has it where the
 *    caller may use it: several are refused with their qualified
 *    names, and an engine that did not answer refuses it too (it might
 *    have had it). Containers the caller may not use never count, so
 *    the refusals tell nothing of them.
 * 7. A target carries its engine: every action goes there, by full ID.
 * 8. On a Swarm manager a name may be a service (Spec.Name exactly, a
 *    full Swarm ID): a container and a service of one name are refused
 *    until the client says which (kind). A task's container is never a
 *    target: its service is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "resolve.h"

/* The audit record's reason for each outcome. */
static const char *const reasons[] = {
	[RESOLVED] = "resolved",
	[RESOLVE_NONE] = "no such container",
	[RESOLVE_AMBIGUOUS] = "name is an ambiguous ID prefix",
	[RESOLVE_OTHER] = "name resolved to another container (ID prefix or "
	    "alias)",
	[RESOLVE_MALFORMED] = "malformed inspect answer",
	[RESOLVE_FAILED] = "container lookup failed",
	[RESOLVE_ENGINES] = "the caller's on several engines",
	[RESOLVE_DOWN] = "an engine did not answer",
};

const char *
resolve_reason(enum resolved rc)
{
	return reasons[rc];
}

static const char *
label(json_t *labels, const char *key)
{
	json_t *v = json_object_get(labels, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

void
target_labels(const struct config *cf, json_t *labels, const char **owner,
    const char **group)
{
	*owner = label(labels, cf->owner_label);
	*group = label(labels, cf->group_label);
}

/* A Swarm task's container: listed and acted on as its service only. */
int
task_container(json_t *labels)
{
	return json_object_get(labels, "com.docker.swarm.service.id") != NULL;
}

/*
 * dockerd's answers to inspect-by-name that mean "not that name": 404,
 * and an ID prefix shared by several containers (400 or, in 20.10, 500
 * "Multiple IDs found").
 */
static int
lookup_miss(const struct engine_reply *r)
{
	const char *m = json_string_value(json_object_get(r->body, "message"));

	if (r->status == 404 || (r->status >= 400 && r->status < 500))
		return 1;
	return m != NULL && strncmp(m, "Multiple IDs found", 18) == 0;
}

/* The checks of invariants 1 to 4 on dockerd's answer r (taken). */
static enum resolved
resolve_reply(const struct engine *eng, const struct config *cf,
    const char *name, struct engine_reply *r, struct target *t, char *err,
    size_t errlen)
{
	const char *n, *id;
	json_t *config;

	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	if (r->status == 0 || (r->status != 200 && !lookup_miss(r))) {
		snprintf(err, errlen, "%s", r->error);
		engine_reply_free(r);
		return RESOLVE_FAILED;
	}
	if (r->status != 200) {
		engine_reply_free(r);
		return r->status == 404 ? RESOLVE_NONE : RESOLVE_AMBIGUOUS;
	}
	n = json_string_value(json_object_get(r->body, "Name"));
	id = json_string_value(json_object_get(r->body, "Id"));
	if (n == NULL || n[0] != '/' || strcmp(n + 1, name) != 0) {
		engine_reply_free(r);
		return RESOLVE_OTHER;
	}
	if (!id_valid(id)) {
		engine_reply_free(r);
		snprintf(err, errlen, "dockerd: malformed container ID");
		return RESOLVE_MALFORMED;
	}
	config = json_object_get(r->body, "Config");
	if (task_container(json_object_get(config, "Labels"))) {
		engine_reply_free(r);
		return RESOLVE_OTHER;	/* a service's task: the service is */
	}
	t->eng = eng;
	memcpy(t->id, id, ID_LEN + 1);
	t->inspect = r->body;
	r->body = NULL;
	target_labels(cf, json_object_get(config, "Labels"), &t->owner,
	    &t->group);
	t->tty = json_is_true(json_object_get(config, "Tty"));
	t->running = json_is_true(json_object_get(json_object_get(t->inspect,
	    "State"), "Running"));
	return RESOLVED;
}

enum resolved
resolve(const struct engine *eng, const struct config *cf, const char *name,
    struct target *t, char *err, size_t errlen)
{
	struct engine_reply r;

	if (engine_inspect(eng, name, ENGINE_TIMEOUT, &r) == -1)
		r.status = 0;
	return resolve_reply(eng, cf, name, &r, t, err, errlen);
}

/* A service's answer (GET /services/NAME), checked as a container's is. */
static enum resolved
service_reply(const struct engine *eng, const struct config *cf,
    const char *name, struct engine_reply *r, struct target *t, char *err,
    size_t errlen)
{
	const char *n, *id;
	json_t *spec;

	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	/* 503: no manager; but where one is known to be, a failure (a
	 * manager without a leader) must not hide its services */
	if (r->status == 404 || (r->status == 503 && eng->swarm != 1)) {
		engine_reply_free(r);
		return RESOLVE_NONE;
	}
	if (r->status != 200) {
		snprintf(err, errlen, "%s", r->error);
		engine_reply_free(r);
		return r->status >= 400 && r->status < 500 ? RESOLVE_NONE :
		    RESOLVE_FAILED;
	}
	spec = json_object_get(r->body, "Spec");
	n = json_string_value(json_object_get(spec, "Name"));
	id = json_string_value(json_object_get(r->body, "ID"));
	if (n == NULL || strcmp(n, name) != 0) {
		engine_reply_free(r);
		return RESOLVE_OTHER;	/* an ID or a prefix of one */
	}
	if (!swarm_id_valid(id)) {
		engine_reply_free(r);
		snprintf(err, errlen, "dockerd: malformed service ID");
		return RESOLVE_MALFORMED;
	}
	t->eng = eng;
	t->service = 1;
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->inspect = r->body;
	r->body = NULL;
	target_labels(cf, json_object_get(spec, "Labels"), &t->owner,
	    &t->group);
	return RESOLVED;
}

/* One place a name is looked up: a container or a service on an engine. */
struct lookup {
	const struct engine	*eng;
	int			 service;
	struct engine_reply	 r;
};

/* Appends word to a list of them, ", " between. */
static void
add_word(char *buf, size_t len, const char *word)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", word);
}

/* Whether word is one of the list's, whole. */
static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ',' ||
		    p[n] == '\0'))
			return 1;
	return 0;
}

/* Several the caller may use: which to say (invariant 6). */
static void
ambiguous(const struct target *c, size_t seen, const char *name, char *err,
    size_t errlen)
{
	char on[400] = "", w[ENGINE_NAME_MAX + 16];
	size_t i;

	for (i = 0; i < seen && i < 2; i++)
		if (c[i].eng != c[0].eng)
			break;
	if (seen == 2 && i == 2) {
		snprintf(err, errlen, "%s is a container and a service on %s: "
		    "say service:%s or container:%s", name, c[0].eng->name,
		    name, name);
		return;
	}
	for (i = 0; i < seen; i++) {
		snprintf(w, sizeof(w), "%s%s", c[i].eng->name, c[i].service ?
		    " (service)" : "");
		add_word(on, sizeof(on), w);
	}
	snprintf(err, errlen, "%s is on %s: say %s/%s", name, on,
	    c[0].eng->name, name);
}

#define CANDIDATES	4

/* The lookups' answers: one target, or why not (invariant 6). */
static enum resolved
choose(const struct config *cf, const struct identity *who,
    struct lookup *lk, size_t n, const char *name, struct target *t,
    char *err, size_t errlen)
{
	struct target cand, hidden, c[CANDIDATES];
	enum resolved rc;
	char why[512], down[300] = "";
	size_t i, seen = 0, failed = 0;
	int usable;

	memset(&hidden, 0, sizeof(hidden));
	for (i = 0; i < n; i++) {
		rc = (lk[i].service ? service_reply : resolve_reply)(lk[i].eng,
		    cf, name, &lk[i].r, &cand, why, sizeof(why));
		if (rc == RESOLVE_FAILED || rc == RESOLVE_MALFORMED) {
			if (!has_word(down, lk[i].eng->name))
				add_word(down, sizeof(down), lk[i].eng->name);
			if (failed++ == 0)
				snprintf(err, errlen, "%s", why);
			continue;
		}
		if (rc != RESOLVED)
			continue;
		usable = policy_allowed(cf, who, lk[i].eng->name, name,
		    cand.owner, cand.group) != 0;
		if (!usable && hidden.inspect == NULL)
			hidden = cand;	/* decided, and not found */
		else if (!usable || seen == CANDIDATES)
			target_free(&cand);
		else
			c[seen++] = cand;
	}
	memset(t, 0, sizeof(*t));
	rc = RESOLVE_NONE;
	if (failed > 0 && (n > 1 || seen > 0)) {
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s did not answer (%s): say ENGINE/%s",
		    down, why, name);
		rc = RESOLVE_DOWN;
	} else if (failed > 0)
		rc = RESOLVE_FAILED;	/* one place, and it failed: as ever */
	else if (seen > 1) {
		ambiguous(c, seen, name, err, errlen);
		rc = RESOLVE_ENGINES;
	} else if (seen == 1) {
		*t = c[0];
		seen = 0;
		rc = RESOLVED;
	} else if (hidden.inspect != NULL) {
		*t = hidden;
		memset(&hidden, 0, sizeof(hidden));
		rc = RESOLVED;
	}
	for (i = 0; i < seen; i++)
		target_free(&c[i]);
	target_free(&hidden);
	return rc;
}

enum resolved
resolve_any(const struct config *cf, const struct identity *who,
    const char *engine, const char *kind, const char *name,
    struct target *t, char *err, size_t errlen)
{
	const struct engine **es;
	struct engine_reply *cr;
	struct lookup *lk;
	const struct engine *e;
	enum resolved rc = RESOLVE_FAILED;
	size_t i, n = 0, k = 0, m;

	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	/* on the heap: a large frame is probed, and stays resident, whole */
	es = calloc(cf->nengines, sizeof(*es));
	cr = calloc(cf->nengines, sizeof(*cr));
	lk = calloc(2 * cf->nengines, sizeof(*lk));
	if (es == NULL || cr == NULL || lk == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (i = 0; i < cf->nengines; i++) {
		e = &cf->engines[i];
		if ((engine[0] == '\0' || strcmp(engine, e->name) == 0) &&
		    policy_engine_usable(cf, who, e->name))
			es[n++] = e;
	}
	rc = RESOLVE_NONE;
	if (n == 0)
		goto done;
	if (n == 1 && strcmp(kind, "service") != 0 && (es[0]->swarm == 0 ||
	    strcmp(kind, "container") == 0)) {
		rc = resolve(es[0], cf, name, t, err, errlen);
		goto done;
	}
	if (strcmp(kind, "service") != 0) {
		(void)engine_inspect_each(es, n, name, cr);
		for (i = 0; i < n; i++, k++) {
			lk[k].eng = es[i];
			lk[k].service = 0;
			lk[k].r = cr[i];
		}
	}
	if (strcmp(kind, "container") != 0) {
		/* the managers among them, asked side by side as well */
		for (i = 0, m = 0; i < n; i++)
			if (es[i]->swarm != 0)
				es[m++] = es[i];
		(void)engine_service_each(es, m, name, cr);
		for (i = 0; i < m; i++, k++) {
			lk[k].eng = es[i];
			lk[k].service = 1;
			lk[k].r = cr[i];
		}
	}
	rc = choose(cf, who, lk, k, name, t, err, errlen);
done:
	free(es);
	free(cr);
	free(lk);
	return rc;
}

void
target_free(struct target *t)
{
	json_decref(t->inspect);
	memset(t, 0, sizeof(*t));
}
