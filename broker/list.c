/*
 * ls: the containers the caller may see; list_visible walks them for
 * can.c too.
 *
 * Invariants:
 * 1. Every container dockerd returns is decided by policy, as a verb on
 *    it would be; one the caller may not see is left out. The label
 *    filters sent to dockerd only narrow what is fetched.
 * 2. A container is listed once, by its name, whatever queries found it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "names.h"

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
sort_list(json_t *arr)
{
	size_t i, n = json_array_size(arr);
	json_t **v;

	if (n < 2 || (v = calloc(n, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), by_name);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/* More groups than this ask for every group-labelled container at once. */
#define LS_GROUP_QUERIES	4

/* Lists what dockerd answers for one query, once per ID, if visible. */
static int
ls_query(struct ctx *x, list_entry fn, const char *key, const char *value,
    json_t *seen, json_t *list)
{
	struct engine_reply r;
	struct decision d;
	json_t *c, *e;
	const char *name, *id, *owner, *group;
	size_t i;

	if (engine_list(x->eng, key, value, &r) == -1 ||
	    r.status != 200 || !json_is_array(r.body)) {
		engine_failed(x, r.error);
		engine_reply_free(&r);
		return -1;
	}
	json_array_foreach(r.body, i, c) {
		name = list_name(c);
		id = json_string_value(json_object_get(c, "Id"));
		if (name == NULL || !id_valid(id) ||
		    json_object_get(seen, id) != NULL)
			continue;
		json_object_set_new(seen, id, json_true());
		target_labels(x->cf, json_object_get(c, "Labels"), &owner,
		    &group);
		policy_decide(x->cf, x->who, VERB_LS, name, owner, group, &d);
		if (!d.visible)
			continue;
		if ((e = fn(x, c, name, owner, group)) == NULL ||
		    json_array_append_new(list, e) == -1) {
			set_out(x, EXIT_FAIL, "out of memory");
			x->audit->result = "error";
			engine_reply_free(&r);
			return -1;
		}
	}
	engine_reply_free(&r);
	return 0;
}

/*
 * With no grant rule naming the caller, only its owner and group labels
 * can show a container: ask dockerd for those (it filters before it
 * serializes, which is most of a large listing's cost), else for all.
 */
static int
ls_collect(struct ctx *x, list_entry fn, json_t *seen, json_t *list)
{
	char *const *g = x->who->groups;
	size_t i, n = 0;

	if (policy_rules_grant(x->cf, x->who))
		return ls_query(x, fn, NULL, NULL, seen, list);
	if (ls_query(x, fn, x->cf->owner_label, x->who->user, seen,
	    list) == -1)
		return -1;
	while (g != NULL && g[n] != NULL)
		n++;
	if (n > LS_GROUP_QUERIES)
		return ls_query(x, fn, x->cf->group_label, NULL, seen, list);
	for (i = 0; i < n; i++)
		if (ls_query(x, fn, x->cf->group_label, g[i], seen,
		    list) == -1)
			return -1;
	return 0;
}

/*
 * The containers the caller may see, one fn(...) entry each (an object
 * with a "name"), sorted by name; NULL with x->out set on failure.
 */
json_t *
list_visible(struct ctx *x, list_entry fn)
{
	json_t *list = json_array(), *seen = json_object();

	if (list == NULL || seen == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		x->audit->result = "error";
	} else if (ls_collect(x, fn, seen, list) == 0) {
		json_decref(seen);
		sort_list(list);
		return list;
	}
	json_decref(list);
	json_decref(seen);
	return NULL;
}

static json_t *
ls_entry(struct ctx *x, json_t *c, const char *name, const char *owner,
    const char *group)
{
	(void)x;
	(void)owner;
	(void)group;
	return json_pack("{s:s, s:O, s:O?, s:O?, s:o?}", "name", name, "id",
	    json_object_get(c, "Id"), "state", json_object_get(c, "State"),
	    "status", json_object_get(c, "Status"),
	    "image", image_name(json_object_get(c, "Labels"),
	    json_object_get(c, "Image")));
}

void
do_ls(struct ctx *x)
{
	json_t *list;

	if ((list = list_visible(x, ls_entry)) == NULL)
		return;
	x->out.data = json_pack("{s:o}", "containers", list);
	x->audit->allow = 1;
	snprintf(x->audit->reason, sizeof(x->audit->reason),
	    "lists only permitted containers");
	x->audit->result = "ok";
}
