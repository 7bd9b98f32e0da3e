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
 */
#include <stdio.h>
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
	t->eng = eng;
	memcpy(t->id, id, ID_LEN + 1);
	t->inspect = r->body;
	r->body = NULL;
	config = json_object_get(t->inspect, "Config");
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

/* Appends "ENGINE/NAME" (or the last, " and ...") to a refusal. */
static void
add_candidate(char *err, size_t errlen, const char *engine, int first)
{
	size_t n = strlen(err);

	snprintf(err + n, errlen - n, "%s%s", first ? "" : ", ", engine);
}

/* The answers from several engines: one target, or why not (invariant 6). */
static enum resolved
choose(const struct config *cf, const struct identity *who,
    const struct engine *const *es, size_t n, const char *name,
    struct engine_reply *replies, struct target *t, char *err,
    size_t errlen)
{
	struct target cand, hidden;
	enum resolved rc, out = RESOLVE_NONE;
	char why[512], down[300] = "", on[300] = "";
	size_t i, seen = 0, failed = 0;

	memset(t, 0, sizeof(*t));
	memset(&hidden, 0, sizeof(hidden));
	for (i = 0; i < n; i++) {
		rc = resolve_reply(es[i], cf, name, &replies[i], &cand, why,
		    sizeof(why));
		if (rc == RESOLVE_FAILED || rc == RESOLVE_MALFORMED) {
			add_candidate(down, sizeof(down), es[i]->name,
			    failed++ == 0);
			if (failed == 1)
				snprintf(err, errlen, "%s", why);
		} else if (rc != RESOLVED)
			continue;
		else if (policy_allowed(cf, who, es[i]->name, name,
		    cand.owner, cand.group) == 0) {
			if (hidden.inspect == NULL)
				hidden = cand;	/* decided, and not found */
			else
				target_free(&cand);
		} else {
			add_candidate(on, sizeof(on), es[i]->name, seen == 0);
			if (seen++ == 0)
				*t = cand;
			else
				target_free(&cand);
		}
	}
	if (failed > 0) {
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s did not answer (%s): say ENGINE/%s",
		    down, why, name);
		out = RESOLVE_DOWN;
	} else if (seen > 1) {
		snprintf(err, errlen, "%s is on %s: say %s/%s", name, on,
		    t->eng->name, name);
		out = RESOLVE_ENGINES;
	} else if (seen == 1)
		return RESOLVED;
	else if (hidden.inspect != NULL) {
		*t = hidden;
		return RESOLVED;
	}
	if (out != RESOLVE_NONE || seen > 1)
		target_free(t);
	target_free(&hidden);
	return out;
}

enum resolved
resolve_any(const struct config *cf, const struct identity *who,
    const char *engine, const char *name, struct target *t, char *err,
    size_t errlen)
{
	const struct engine *es[64];
	struct engine_reply replies[64];
	const struct engine *e;
	size_t i, n = 0;

	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	if (engine[0] != '\0') {
		if ((e = config_engine(cf, engine)) == NULL ||
		    !policy_engine_usable(cf, who, engine))
			return RESOLVE_NONE;
		return resolve(e, cf, name, t, err, errlen);
	}
	for (i = 0; i < cf->nengines && n < 64; i++)
		if (policy_engine_usable(cf, who, cf->engines[i].name))
			es[n++] = &cf->engines[i];
	if (n == 0)
		return RESOLVE_NONE;
	if (n == 1)
		return resolve(es[0], cf, name, t, err, errlen);
	(void)engine_inspect_each(es, n, name, replies);
	return choose(cf, who, es, n, name, replies, t, err, errlen);
}

void
target_free(struct target *t)
{
	json_decref(t->inspect);
	memset(t, 0, sizeof(*t));
}
