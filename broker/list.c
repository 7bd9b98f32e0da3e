/*
 * ls: the containers the caller may see; list_visible walks them for
 * can.c too.
 *
 * Invariants:
 * 1. Every container dockerd returns is decided by policy, as a verb on
 *    it would be; one the caller may not see is left out. The label
 *    filters sent to dockerd only narrow what is fetched.
 * 2. A container is listed once, by its engine and name, whatever
 *    queries found it.
 * 3. On a Swarm manager, services are listed beside containers, decided
 *    by their own labels; a task's container is not listed: its service
 *    is.
 * 4. Every engine the caller may use is asked at once (libcurl's multi
 *    interface), each within its own timeout: one that does not answer
 *    is named and left out, and never hides or holds up the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "names.h"
#include "service.h"

static const char *
list_name(json_t *c)
{
	json_t *names = json_object_get(c, "Names"), *n;
	size_t i;
	const char *s;

	json_array_foreach(names, i, n) {
		s = json_string_value(n);
		if (s != NULL && s[0] == '/' && strchr(s + 1, '/') == NULL)
			return s + 1;
	}
	return NULL;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t **)a,
	    "name")), json_string_value(json_object_get(*(json_t **)b,
	    "name")));
}

static void
sort_list(json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t i, n = json_array_size(arr);
	json_t **v;

	if (n < 2 || (v = calloc(n, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/* More groups than this ask for every group-labelled container at once. */
#define LS_GROUP_QUERIES	4
#define LS_QUERIES		(LS_GROUP_QUERIES + 1)

/* What dockerd is asked for: label key and value, NULL for all. */
struct query {
	const char	*key, *value;
};

/*
 * With no grant rule naming the caller, only its owner and group labels
 * can show a container: ask dockerd for those (it filters before it
 * serializes, which is most of a large listing's cost), else for all.
 */
static size_t
ls_queries(struct ctx *x, struct query *q)
{
	char *const *g = x->who->groups;
	size_t i, n = 0, k = 0;

	if (policy_rules_grant(x->cf, x->who)) {
		q[k++] = (struct query){ NULL, NULL };
		return k;
	}
	q[k++] = (struct query){ x->cf->owner_label, x->who->user };
	while (g != NULL && g[n] != NULL)
		n++;
	if (n > LS_GROUP_QUERIES)
		q[k++] = (struct query){ x->cf->group_label, NULL };
	else
		for (i = 0; i < n; i++)
			q[k++] = (struct query){ x->cf->group_label, g[i] };
	return k;
}

/* Adds what one answer lists, once per engine and ID, if visible. */
static int
ls_add(struct ctx *x, list_entry fn, const struct engine *e, json_t *body,
    json_t *seen, json_t *list)
{
	struct decision d;
	json_t *c, *ent;
	const char *name, *id, *owner, *group;
	char key[ENGINE_NAME_MAX + ID_LEN + 2];
	size_t i;

	json_array_foreach(body, i, c) {
		name = list_name(c);
		id = json_string_value(json_object_get(c, "Id"));
		if (name == NULL || !id_valid(id) ||
		    task_container(json_object_get(c, "Labels")))
			continue;	/* a task's: its service is listed */
		snprintf(key, sizeof(key), "%s/%s", e->name, id);
		if (json_object_get(seen, key) != NULL)
			continue;
		json_object_set_new(seen, key, json_true());
		target_labels(x->cf, json_object_get(c, "Labels"), &owner,
		    &group);
		policy_decide(x->cf, x->who, VERB_LS, e->name, name, owner,
		    group, &d);
		if (!d.visible)
			continue;
		if ((ent = fn(x, e, c, name, owner, group)) == NULL ||
		    json_array_append_new(list, ent) == -1) {
			set_out(x, EXIT_FAIL, "out of memory");
			x->audit->result = "error";
			return -1;
		}
	}
	return 0;
}

/* Adds the services one answer lists that the caller may see. */
static int
ls_add_services(struct ctx *x, const struct engine *e, json_t *body,
    json_t *seen, json_t *list)
{
	struct decision d;
	json_t *svc, *spec;
	const char *name, *id, *owner, *group;
	char key[ENGINE_NAME_MAX + SWARM_ID_LEN + 3];
	size_t i;

	json_array_foreach(body, i, svc) {
		spec = json_object_get(svc, "Spec");
		name = json_string_value(json_object_get(spec, "Name"));
		id = json_string_value(json_object_get(svc, "ID"));
		if (name == NULL || !name_valid(name) || !swarm_id_valid(id))
			continue;
		snprintf(key, sizeof(key), "%s/%s", e->name, id);
		if (json_object_get(seen, key) != NULL)
			continue;
		json_object_set_new(seen, key, json_true());
		target_labels(x->cf, json_object_get(spec, "Labels"), &owner,
		    &group);
		policy_decide(x->cf, x->who, VERB_LS, e->name, name, owner,
		    group, &d);
		if (d.visible && json_array_append_new(list,
		    service_row(e, svc, name)) == -1) {
			set_out(x, EXIT_FAIL, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* One engine that did not answer, for the caller and the done frame. */
static int
ls_down(json_t *down, const struct engine *e, const char *error)
{
	return json_array_append_new(down, json_pack("{s:s, s:s}", "engine",
	    e->name, "error", error));
}

/*
 * Every query to every engine the caller may use, side by side: an
 * engine that does not answer within its timeout is left out, named
 * in down, and holds up none of the others.
 */
/* What ls_collect asks: one transfer each, on the heap (a large frame
 * is probed, and stays resident, whole). */
struct asks {
	const struct engine	**es;
	const char		**keys, **values;
	int			 *svc;
	struct engine_reply	 *r;
	size_t			 *first, *per;
};

static int
asks_alloc(struct asks *a, size_t max, size_t engines)
{
	a->es = calloc(max, sizeof(*a->es));
	a->keys = calloc(max, sizeof(*a->keys));
	a->values = calloc(max, sizeof(*a->values));
	a->svc = calloc(max, sizeof(*a->svc));
	a->r = calloc(max, sizeof(*a->r));
	a->first = calloc(engines, sizeof(*a->first));
	a->per = calloc(engines, sizeof(*a->per));
	return a->es && a->keys && a->values && a->svc && a->r && a->first &&
	    a->per ? 0 : -1;
}

static void
asks_free(struct asks *a, size_t n)
{
	size_t i;

	for (i = 0; a->r != NULL && i < n; i++)
		engine_reply_free(&a->r[i]);
	free(a->es);
	free(a->keys);
	free(a->values);
	free(a->svc);
	free(a->r);
	free(a->first);
	free(a->per);
}

/* Each usable engine's queries: containers, and services on a manager. */
static size_t
asks_fill(struct ctx *x, struct asks *a, const struct query *q, size_t nq,
    int services, size_t *ne)
{
	size_t i, j, n = 0;
	int k, kinds;

	*ne = 0;
	for (i = 0; i < x->cf->nengines; i++) {
		if (!policy_engine_usable(x->cf, x->who,
		    x->cf->engines[i].name))
			continue;
		kinds = services && x->cf->engines[i].swarm != 0 ? 2 : 1;
		a->first[*ne] = n;
		for (k = 0; k < kinds; k++)
			for (j = 0; j < nq; j++, n++) {
				a->es[n] = &x->cf->engines[i];
				a->keys[n] = q[j].key;
				a->values[n] = q[j].value;
				a->svc[n] = k;
			}
		a->per[*ne] = n - a->first[*ne];
		(*ne)++;
	}
	return n;
}

/*
 * A services query that says the engine has none: not a manager (503),
 * unless it is known to be one (then a manager without a leader, which
 * must not hide its services: the engine did not answer).
 */
static int
no_services(const struct engine *e, int services, long status)
{
	return services && (status == 404 || (status == 503 &&
	    e->swarm != 1));
}

static int
ls_collect(struct ctx *x, list_entry fn, int services, json_t *seen,
    json_t *list, json_t *down)
{
	struct asks a;
	struct query q[LS_QUERIES];
	size_t i, j, nq = ls_queries(x, q), n = 0, ne = 0;
	int rc = 0;

	memset(&a, 0, sizeof(a));
	if (asks_alloc(&a, x->cf->nengines * nq * 2, x->cf->nengines) == -1) {
		asks_free(&a, 0);
		set_out(x, EXIT_FAIL, "out of memory");
		return -1;
	}
	n = asks_fill(x, &a, q, nq, services, &ne);
	if (engine_list_each(a.es, a.keys, a.values, a.svc, n, x->fd,
	    a.r) == -1)
		rc = -1;	/* the client left: nobody to answer */
	for (i = 0; rc == 0 && i < ne; i++) {
		for (j = a.first[i]; j < a.first[i] + a.per[i]; j++)
			if (!no_services(a.es[j], a.svc[j], a.r[j].status) &&
			    (a.r[j].status != 200 || !json_is_array(a.r[j].body)))
				break;
		if (j < a.first[i] + a.per[i]) {	/* whole, or not */
			if (ls_down(down, a.es[j], a.r[j].error[0] ?
			    a.r[j].error : "dockerd: malformed listing") == -1)
				rc = -1;
			continue;
		}
		for (j = a.first[i]; rc == 0 && j < a.first[i] + a.per[i]; j++)
			if (a.r[j].status == 200)
				rc = a.svc[j] ? ls_add_services(x, a.es[j],
				    a.r[j].body, seen, list) : ls_add(x, fn,
				    a.es[j], a.r[j].body, seen, list);
	}
	asks_free(&a, n);
	return rc;
}

/* How many engines the caller may use: when none answered, ls fails. */
static size_t
usable_engines(struct ctx *x)
{
	size_t i, n = 0;

	for (i = 0; i < x->cf->nengines; i++)
		n += policy_engine_usable(x->cf, x->who,
		    x->cf->engines[i].name) != 0;
	return n;
}

/* "build02 did not answer (...)"; with one engine, dockerd's own words. */
static void
down_message(struct ctx *x, json_t *down)
{
	json_t *d = json_array_get(down, 0);
	const char *err = json_string_value(json_object_get(d, "error"));

	if (x->cf->nengines == 1) {
		engine_failed(x, err);
		return;
	}
	set_out(x, EXIT_FAIL, "%s did not answer (%s)%s",
	    json_string_value(json_object_get(d, "engine")), err,
	    json_array_size(down) > 1 ? ", and others (see data)" : "");
	x->audit->error = 1;
}

static int
by_engine_name(const void *a, const void *b)
{
	int c = by_name(a, b);

	return c != 0 ? c : strcmp(json_string_value(json_object_get(
	    *(json_t **)a, "engine")), json_string_value(json_object_get(
	    *(json_t **)b, "engine")));
}

/*
 * The containers the caller may see, one fn(...) entry each (an object
 * with "name" and "engine"), sorted by name then engine. When down is
 * NULL, an engine that did not answer fails the whole listing; else
 * *down lists those that did not, and x->out says so. NULL with x->out
 * set on failure.
 */
json_t *
list_visible(struct ctx *x, list_entry fn, int services, json_t **down)
{
	json_t *list = json_array(), *seen = json_object(), *dn = json_array();

	if (list == NULL || seen == NULL || dn == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		x->audit->result = "error";
	} else if (ls_collect(x, fn, services, seen, list, dn) == 0) {
		json_decref(seen);
		if (json_array_size(dn) > 0)
			down_message(x, dn);
		if (json_array_size(dn) > 0 && (down == NULL ||
		    json_array_size(dn) == usable_engines(x))) {
			json_decref(dn);
			json_decref(list);
			return NULL;
		}
		sort_list(list, by_engine_name);
		if (down != NULL)
			*down = dn;
		else
			json_decref(dn);
		return list;
	}
	json_decref(list);
	json_decref(seen);
	json_decref(dn);
	return NULL;
}

static json_t *
ls_entry(struct ctx *x, const struct engine *e, json_t *c, const char *name,
    const char *owner, const char *group)
{
	(void)x;
	(void)owner;
	(void)group;
	return json_pack("{s:s, s:s, s:O, s:O?, s:O?, s:o?}", "name", name,
	    "engine", e->name, "id", json_object_get(c, "Id"), "state",
	    json_object_get(c, "State"), "status",
	    json_object_get(c, "Status"), "image",
	    image_name(json_object_get(c, "Labels"),
	    json_object_get(c, "Image")));
}

void
do_ls(struct ctx *x)
{
	json_t *list, *down = NULL;

	if ((list = list_visible(x, ls_entry, 1, &down)) == NULL)
		return;
	x->out.data = json_pack("{s:o}", "containers", list);
	if (json_array_size(down) > 0) {
		json_object_set(x->out.data, "unreachable", down);
		x->audit->unreachable = json_incref(down);
	}
	json_decref(down);
	x->audit->allow = 1;
	snprintf(x->audit->reason, sizeof(x->audit->reason),
	    "lists only permitted containers");
	x->audit->result = x->out.exit == 0 ? "ok" : "partial";
}
