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

enum resolved
resolve(const struct engine *eng, const struct config *cf, const char *name,
    struct target *t, char *err, size_t errlen)
{
	struct engine_reply r;
	const char *n, *id;
	json_t *config;

	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	if (engine_inspect(eng, name, ENGINE_TIMEOUT, &r) == -1 ||
	    (r.status != 200 && !lookup_miss(&r))) {
		snprintf(err, errlen, "%s", r.error);
		engine_reply_free(&r);
		return RESOLVE_FAILED;
	}
	if (r.status != 200) {
		engine_reply_free(&r);
		return r.status == 404 ? RESOLVE_NONE : RESOLVE_AMBIGUOUS;
	}
	n = json_string_value(json_object_get(r.body, "Name"));
	id = json_string_value(json_object_get(r.body, "Id"));
	if (n == NULL || n[0] != '/' || strcmp(n + 1, name) != 0) {
		engine_reply_free(&r);
		return RESOLVE_OTHER;
	}
	if (!id_valid(id)) {
		engine_reply_free(&r);
		snprintf(err, errlen, "dockerd: malformed container ID");
		return RESOLVE_MALFORMED;
	}
	memcpy(t->id, id, ID_LEN + 1);
	t->inspect = r.body;
	config = json_object_get(r.body, "Config");
	target_labels(cf, json_object_get(config, "Labels"), &t->owner,
	    &t->group);
	t->tty = json_is_true(json_object_get(config, "Tty"));
	t->running = json_is_true(json_object_get(json_object_get(r.body,
	    "State"), "Running"));
	return RESOLVED;
}

void
target_free(struct target *t)
{
	json_decref(t->inspect);
	memset(t, 0, sizeof(*t));
}
