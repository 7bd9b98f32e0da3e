/*
 * Policy decisions.
 *
 * Invariants:
 * 1. Default deny: a verb is allowed only by the owner label, the group
 *    label, or a rule that names the verb, the caller and the container.
 * 2. A matching deny rule wins over every grant, whatever its order.
 * 3. The caller's user and groups come from struct identity (kernel
 *    credentials and the system databases), never from the client.
 * 4. The labels are compared exactly; an absent label grants nothing.
 * 5. Every decision carries the reason an admin will read in the audit
 *    log; the user sees only "allowed" or "no such container".
 * 6. Verbs in owner_only act only on containers whose owner label names
 *    the caller, whatever grants them.
 * 7. This is the only place that decides: what ctl can and ctld
 *    --explain tell is policy_decide's answer.
 * 8. A container is decided with the engine it is on: a rule with
 *    engines applies on those alone, and the labels grant only on an
 *    engine the caller may use (policy_engine_usable): every engine,
 *    unless the grant rules naming the caller say which.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "ctld.h"
#include "engine.h"

/* Verbs that act only on the caller's own containers, and why not. */
static const struct {
	enum verb_id	 verb;
	const char	*hint;
} owner_only[] = {
	{ VERB_RM, "you can remove only your own containers" },
};

static int
in_list(char *const *list, const char *s)
{
	size_t i;

	if (list == NULL || s == NULL)
		return 0;
	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], "*") == 0 || strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static const char *
member_of(const struct identity *id, char *const *groups)
{
	size_t i;

	if (groups == NULL || id->groups == NULL)
		return NULL;
	for (i = 0; id->groups[i] != NULL; i++)
		if (in_list(groups, id->groups[i]))
			return id->groups[i];
	return NULL;
}

static int
name_matches(char *const *patterns, const char *name)
{
	size_t i;

	for (i = 0; patterns[i] != NULL; i++)
		if (fnmatch(patterns[i], name, 0) == 0)
			return 1;
	return 0;
}

/* Whether users ("*" for all) or groups name the caller. */
int
policy_names(const struct identity *id, char *const *users,
    char *const *groups)
{
	return in_list(users, id->user) || member_of(id, groups) != NULL;
}

/*
 * Whether a grant rule names the caller. When none does, only the owner
 * and group labels can make a container visible, so a listing may ask
 * dockerd for labelled containers only; policy_decide still decides
 * each one.
 */
int
policy_rules_grant(const struct config *cf, const struct identity *id)
{
	size_t i;

	for (i = 0; i < cf->nrules; i++)
		if (!cf->rules[i].deny && cf->rules[i].verbs != 0 &&
		    policy_names(id, cf->rules[i].users, cf->rules[i].groups))
			return 1;
	return 0;
}

static int
on_engine(const struct rule *r, const char *engine)
{
	return r->engines == NULL || name_matches(r->engines, engine);
}

static int
rule_matches(const struct rule *r, const struct identity *id,
    const char *engine, const char *name, unsigned verbs)
{
	if (!(r->verbs & verbs) || !policy_names(id, r->users, r->groups) ||
	    !on_engine(r, engine))
		return 0;
	return name_matches(r->containers, name);
}

/*
 * Whether the caller may use the engine: yes, unless a grant rule naming
 * the caller lists engines; then only those some such rule reaches (a
 * rule without engines reaches all).
 */
int
policy_engine_usable(const struct config *cf, const struct identity *id,
    const char *engine)
{
	int limited = 0;
	size_t i;

	for (i = 0; i < cf->nrules; i++) {
		if (cf->rules[i].deny || !policy_names(id, cf->rules[i].users,
		    cf->rules[i].groups))
			continue;
		if (on_engine(&cf->rules[i], engine))
			return 1;
		limited = 1;
	}
	return !limited;
}

/* First rule of the given kind that grants or denies any of verbs. */
static const struct rule *
find_rule(const struct config *cf, const struct identity *id,
    const char *engine, const char *name, unsigned verbs, int deny)
{
	size_t i;

	for (i = 0; i < cf->nrules; i++)
		if (cf->rules[i].deny == deny &&
		    rule_matches(&cf->rules[i], id, engine, name, verbs))
			return &cf->rules[i];
	return NULL;
}

static unsigned
label_verbs(const struct config *cf, const struct identity *id,
    const char *engine, const char *owner, const char *group, char *why,
    size_t whylen)
{
	const char *g;

	if (!policy_engine_usable(cf, id, engine))
		return 0;
	if (owner != NULL && strcmp(owner, id->user) == 0) {
		snprintf(why, whylen, "owner (%s=%s)", cf->owner_label, owner);
		return cf->owner_verbs;
	}
	if (group != NULL && id->groups != NULL) {
		for (size_t i = 0; (g = id->groups[i]) != NULL; i++)
			if (strcmp(g, group) == 0) {
				snprintf(why, whylen, "group member (%s=%s)",
				    cf->group_label, group);
				return cf->owner_verbs;
			}
	}
	return 0;
}

/* Verbs granted by labels and grant rules, before deny rules. */
static unsigned
granted(const struct config *cf, const struct identity *id,
    const char *engine, const char *name, const char *owner,
    const char *group)
{
	char why[160];
	unsigned mask;
	size_t i;

	mask = label_verbs(cf, id, engine, owner, group, why, sizeof(why));
	for (i = 0; i < cf->nrules; i++)
		if (!cf->rules[i].deny &&
		    rule_matches(&cf->rules[i], id, engine, name, ~0u))
			mask |= cf->rules[i].verbs;
	return mask;
}

/* Verbs denied by deny rules. */
static unsigned
denied(const struct config *cf, const struct identity *id,
    const char *engine, const char *name)
{
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < cf->nrules; i++)
		if (cf->rules[i].deny &&
		    rule_matches(&cf->rules[i], id, engine, name, ~0u))
			mask |= cf->rules[i].verbs;
	return mask;
}

/* An owner_only verb on a container the caller does not own: refused. */
static int
not_own(const struct identity *id, enum verb_id verb, const char *owner,
    struct decision *d)
{
	size_t i;

	for (i = 0; i < sizeof(owner_only) / sizeof(owner_only[0]); i++)
		if (owner_only[i].verb == verb && (owner == NULL ||
		    strcmp(owner, id->user) != 0)) {
			snprintf(d->reason, sizeof(d->reason), "%s needs the "
			    "owner label", verb_by_id(verb)->name);
			d->hint = owner_only[i].hint;
			d->allow = 0;
			return 1;
		}
	return 0;
}

void
policy_decide(const struct config *cf, const struct identity *id,
    enum verb_id verb, const char *engine, const char *name,
    const char *owner, const char *group, struct decision *d)
{
	const struct rule *r;
	unsigned bit = VERB_BIT(verb);

	memset(d, 0, sizeof(*d));
	d->visible = (granted(cf, id, engine, name, owner, group) &
	    ~denied(cf, id, engine, name)) != 0;
	if ((r = find_rule(cf, id, engine, name, bit, 1)) != NULL) {
		snprintf(d->reason, sizeof(d->reason),
		    "denied by rule at %s:%d", cf->path, r->line);
		return;
	}
	if (label_verbs(cf, id, engine, owner, group, d->reason,
	    sizeof(d->reason)) & bit) {
		d->allow = 1;
		not_own(id, verb, owner, d);
		return;
	}
	if ((r = find_rule(cf, id, engine, name, bit, 0)) != NULL) {
		snprintf(d->reason, sizeof(d->reason),
		    "allowed by rule at %s:%d", cf->path, r->line);
		d->allow = 1;
		not_own(id, verb, owner, d);
		return;
	}
	if (!policy_engine_usable(cf, id, engine))
		snprintf(d->reason, sizeof(d->reason), "engine %s is not "
		    "among the caller's (rules with engines)", engine);
	else
		snprintf(d->reason, sizeof(d->reason), "no rule or label "
		    "grants %s", verb_by_id(verb)->name);
}

/*
 * create from template t (NULL: there is none) of the container name it
 * would make: t must list the caller, and no deny rule forbid create on
 * that name. Nobody sees a template that does not list them.
 */
void
policy_decide_create(const struct config *cf, const struct identity *id,
    const struct template *t, const char *name, struct decision *d)
{
	const char *engine = t != NULL && t->engine != NULL ? t->engine :
	    cf->engines[0].name;
	const struct rule *r;

	memset(d, 0, sizeof(*d));
	if (t == NULL || !policy_names(id, t->users, t->groups)) {
		snprintf(d->reason, sizeof(d->reason), "%s",
		    t == NULL ? "no such template" :
		    "template does not list the caller");
		return;
	}
	if ((r = find_rule(cf, id, engine, name, VERB_BIT(VERB_CREATE),
	    1)) != NULL) {
		snprintf(d->reason, sizeof(d->reason),
		    "denied by rule at %s:%d", cf->path, r->line);
		return;
	}
	d->allow = d->visible = 1;
	snprintf(d->reason, sizeof(d->reason), "template %s lists the caller",
	    t->name);
}

/*
 * The verbs the caller may use on something: those the labels grant
 * (on a container it owns or its group has), those a grant rule naming
 * it grants, create if a template lists it, and those needing no grant.
 * help marks the others; every request is still decided on its own.
 */
unsigned
policy_usable(const struct config *cf, const struct identity *id)
{
	unsigned mask = cf->owner_verbs | VERB_BIT(VERB_LS) |
	    VERB_BIT(VERB_FORGET) | VERB_BIT(VERB_CAN);
	struct decision d;
	size_t i;

	for (i = 0; i < cf->nrules; i++)
		if (!cf->rules[i].deny &&
		    policy_names(id, cf->rules[i].users, cf->rules[i].groups))
			mask |= cf->rules[i].verbs;
	for (i = 0; i < cf->ntemplates; i++) {
		policy_decide_create(cf, id, &cf->templates[i], "", &d);
		if (d.visible)
			mask |= VERB_BIT(VERB_CREATE);
	}
	return mask;
}

/* The verbs on a container that policy_decide allows the caller. */
unsigned
policy_allowed(const struct config *cf, const struct identity *id,
    const char *engine, const char *name, const char *owner,
    const char *group)
{
	const struct verb *v;
	struct decision d;
	unsigned mask = 0;

	for (v = verb_table; v->name != NULL; v++) {
		if (!(v->flags & VF_NAME) || (v->flags & VF_ADMIN))
			continue;
		policy_decide(cf, id, v->id, engine, name, owner, group, &d);
		if (d.allow)
			mask |= VERB_BIT(v->id);
	}
	return mask;
}
