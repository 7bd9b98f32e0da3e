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
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "ctld.h"

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
rule_matches(const struct rule *r, const struct identity *id,
    const char *name, unsigned verbs)
{
	if (!(r->verbs & verbs) || !policy_names(id, r->users, r->groups))
		return 0;
	return name_matches(r->containers, name);
}

/* First rule of the given kind that grants or denies any of verbs. */
static const struct rule *
find_rule(const struct config *cf, const struct identity *id,
    const char *name, unsigned verbs, int deny)
{
	size_t i;

	for (i = 0; i < cf->nrules; i++)
		if (cf->rules[i].deny == deny &&
		    rule_matches(&cf->rules[i], id, name, verbs))
			return &cf->rules[i];
	return NULL;
}

static unsigned
label_verbs(const struct config *cf, const struct identity *id,
    const char *owner, const char *group, char *why, size_t whylen)
{
	const char *g;

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
    const char *name, const char *owner, const char *group)
{
	char why[160];
	unsigned mask;
	size_t i;

	mask = label_verbs(cf, id, owner, group, why, sizeof(why));
	for (i = 0; i < cf->nrules; i++)
		if (!cf->rules[i].deny &&
		    rule_matches(&cf->rules[i], id, name, ~0u))
			mask |= cf->rules[i].verbs;
	return mask;
}

/* Verbs denied by deny rules. */
static unsigned
denied(const struct config *cf, const struct identity *id, const char *name)
{
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < cf->nrules; i++)
		if (cf->rules[i].deny &&
		    rule_matches(&cf->rules[i], id, name, ~0u))
			mask |= cf->rules[i].verbs;
	return mask;
}

/* The deny rule that forbids verb on name for this caller, if any. */
const struct rule *
policy_deny_rule(const struct config *cf, const struct identity *id,
    enum verb_id verb, const char *name)
{
	return find_rule(cf, id, name, VERB_BIT(verb), 1);
}

void
policy_decide(const struct config *cf, const struct identity *id,
    enum verb_id verb, const char *name, const char *owner,
    const char *group, struct decision *d)
{
	const struct rule *r;
	unsigned bit = VERB_BIT(verb);

	memset(d, 0, sizeof(*d));
	d->visible = (granted(cf, id, name, owner, group) &
	    ~denied(cf, id, name)) != 0;
	if ((r = find_rule(cf, id, name, bit, 1)) != NULL) {
		snprintf(d->reason, sizeof(d->reason),
		    "denied by rule at %s:%d", cf->path, r->line);
		return;
	}
	if (label_verbs(cf, id, owner, group, d->reason, sizeof(d->reason)) &
	    bit) {
		d->allow = 1;
		return;
	}
	if ((r = find_rule(cf, id, name, bit, 0)) != NULL) {
		snprintf(d->reason, sizeof(d->reason),
		    "allowed by rule at %s:%d", cf->path, r->line);
		d->allow = 1;
		return;
	}
	snprintf(d->reason, sizeof(d->reason), "no rule or label grants %s",
	    verb_by_id(verb)->name);
}
