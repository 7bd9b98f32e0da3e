/*
 * can: what the caller may do here (sudo -l), or whether it may run one
 * verb on one container or template.
 *
 * Invariants:
 * 1. Every answer is policy.c's (policy_decide, policy_allowed,
 *    policy_decide_create), as the request itself would be decided:
 *    there is no second implementation.
 * 2. A listing shows only the containers the caller may see (list.c),
 *    and only the rules that name the caller.
 * 3. A container the caller may not use at all gets not_found, as with
 *    every verb: the same text, exit code and moment (actions.c); a
 *    template it may not use gets create's "no such template".
 * 4. can needs no grant of its own and changes nothing.
 */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "template.h"

static json_t *
container_entry(struct ctx *x, const struct engine *e, json_t *c,
    const char *name, const char *owner, const char *group)
{
	unsigned m = policy_allowed(x->cf, x->who, e->name, name, owner,
	    group);

	(void)c;
	return json_pack("{s:s, s:s, s:o, s:o}", "name", name, "engine",
	    e->name, "verbs", verb_names(m), "password",
	    verb_names(m & x->cf->reauth_verbs));
}

static json_t *
strings(char *const *list)
{
	json_t *a = json_array();

	for (; a != NULL && list != NULL && *list != NULL; list++)
		if (json_array_append_new(a, json_string(*list)) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The rules that name the caller, grants and denials, in file order. */
static json_t *
rules_for(struct ctx *x)
{
	const struct rule *r;
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < x->cf->nrules; i++) {
		r = &x->cf->rules[i];
		if (!policy_names(x->who, r->users, r->groups))
			continue;
		if (json_array_append_new(a, json_pack("{s:o, s:o, s:b}",
		    "containers", strings(r->containers), "verbs",
		    verb_names(r->verbs), "deny", r->deny)) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * The name create would give a container from t, if the caller may
 * create from t at all (create's own checks, in its order).
 */
static int
creatable(struct ctx *x, const struct template *t, char *name, size_t len)
{
	struct decision d;

	if (t == NULL || template_expand(t->container, x->who->user, name,
	    len) == -1)
		return 0;
	policy_decide_create(x->cf, x->who, t, name, &d);
	return d.allow;
}

/* Containers the caller may still make from t; -1: no limit. */
static int
room(const struct config *cf, const struct template *t, int all,
    json_t *per)
{
	int n = -1, mine;

	if (cf->containers_per_user > 0)
		n = all >= cf->containers_per_user ? 0 :
		    cf->containers_per_user - all;
	mine = (int)json_integer_value(json_object_get(per, t->name));
	if (t->max > 0 && (n == -1 || t->max - mine < n))
		n = mine >= t->max ? 0 : t->max - mine;
	return n;
}

static json_t *
count_or_null(int n)
{
	return n < 0 ? json_null() : json_integer(n);
}

static json_t *
templates_for(struct ctx *x, int all, json_t *per)
{
	const struct template *t;
	char name[NAME_MAX_LEN + 1];
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < x->cf->ntemplates; i++) {
		t = &x->cf->templates[i];
		if (!creatable(x, t, name, sizeof(name)))
			continue;
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:o}",
		    "name", t->name, "container", name, "left",
		    count_or_null(room(x->cf, t, all, per)))) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static void
can_list(struct ctx *x)
{
	char err[256];
	json_t *list, *per;
	int all;

	if (made_count(x->cf, x->who->user, &all, &per, err,
	    sizeof(err)) == -1) {
		engine_failed(x, err);
		return;
	}
	if ((list = list_visible(x, container_entry, 0, NULL)) == NULL) {
		json_decref(per);
		return;
	}
	x->out.data = json_pack("{s:o, s:o, s:o, s:o, s:{s:i, s:o}}",
	    "containers", list, "rules", rules_for(x), "templates",
	    templates_for(x, all, per), "password",
	    verb_names(x->cf->reauth_verbs), "quota", "used", all, "limit",
	    count_or_null(x->cf->containers_per_user > 0 ?
	    x->cf->containers_per_user : -1));
	json_decref(per);
	if (x->out.data == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		x->audit->result = "error";
		return;
	}
	x->audit->allow = 1;
	snprintf(x->audit->reason, sizeof(x->audit->reason),
	    "lists only what policy allows the caller");
	x->audit->result = "ok";
}

static void
yes(struct ctx *x, const char *reason, int left)
{
	int password = (x->cf->reauth_verbs & VERB_BIT(x->req->of->id)) != 0;

	x->out.data = json_pack("{s:s, s:o}", "answer", password ?
	    "password" : "yes", "left", count_or_null(left));
	if (x->out.data == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		x->audit->result = "error";
		return;
	}
	x->audit->allow = 1;
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%s", reason);
	x->audit->result = password ? "yes, with a password" : "yes";
}

static void
can_container(struct ctx *x)
{
	const struct verb *of = x->req->of;
	struct decision d;

	policy_decide(x->cf, x->who, of->id, x->t.eng->name, x->req->name,
	    x->t.owner, x->t.group, &d);
	if (!d.visible) {
		not_found(x, d.reason);
		return;
	}
	if (d.allow && of->id == VERB_EXEC && exec_contained(x, "no: ") == -1) {
		if (x->out.exit == EXIT_NOTFOUND)
			x->audit->result = "no";
		return;
	}
	if (d.allow) {
		yes(x, d.reason, -1);
		return;
	}
	set_out(x, EXIT_NOTFOUND, "no: %s: permission denied%s%s%s",
	    of->name, d.hint ? " (" : "", d.hint ? d.hint : "",
	    d.hint ? ")" : "");
	snprintf(x->audit->reason, sizeof(x->audit->reason), "%s", d.reason);
	x->audit->result = "no";
}

static void
can_template(struct ctx *x)
{
	const struct template *t = template_find(x->cf, x->req->template);
	char name[NAME_MAX_LEN + 1], err[256];
	json_t *per;
	int all, left;

	if (!creatable(x, t, name, sizeof(name))) {
		set_out(x, EXIT_NOTFOUND, "no such template: %s",
		    x->req->template);
		snprintf(x->audit->reason, sizeof(x->audit->reason),
		    "the template does not list the caller, or a rule denies");
		return;
	}
	snprintf(x->audit->name, sizeof(x->audit->name), "%s", name);
	if (made_count(x->cf, x->who->user, &all, &per, err,
	    sizeof(err)) == -1) {
		engine_failed(x, err);
		return;
	}
	left = room(x->cf, t, all, per);
	json_decref(per);
	if (left == 0) {
		set_out(x, EXIT_NOTFOUND, "no: your quota of containers from "
		    "templates is used up");
		snprintf(x->audit->reason, sizeof(x->audit->reason),
		    "template %s lists the caller; quota used up", t->name);
		x->audit->result = "no";
		return;
	}
	yes(x, "template lists the caller", left);
}

void
do_can(struct ctx *x)
{
	if (x->req->of == NULL)
		can_list(x);
	else if (x->req->of->flags & VF_TEMPLATE)
		can_template(x);
	else
		can_container(x);
}
