/*
 * ctld --explain USER VERB NAME (or create TEMPLATE): the decision and
 * why, and whether a password would be asked, as sudo -l.
 *
 * Invariants:
 * 1. The container is resolved as for a request (resolve.c), and the
 *    decision is policy's on its labels (or on the template): what is
 *    printed is what the broker would decide.
 */
#include <err.h>
#include <pwd.h>
#include <stdio.h>

#include "explain.h"
#include "names.h"
#include "resolve.h"
#include "template.h"

static int
print(const struct config *cf, const char *user, const struct verb *v,
    const char *name, const struct decision *d)
{
	printf("%s %s %s: %s: %s\n", user, v->name, name,
	    d->allow ? "allowed" : "denied", d->reason);
	if (d->allow && (cf->reauth_verbs & VERB_BIT(v->id)))
		printf("%s %s %s: asks for %s's password (reauth.verbs), "
		    "unless a ticket of this login session is fresh\n", user,
		    v->name, name, user);
	return d->allow ? 0 : 1;
}

static int
explain_create(const struct config *cf, const struct identity *who,
    const struct verb *v, const char *tname)
{
	const struct template *t = template_find(cf, tname);
	char name[NAME_MAX_LEN + 1];
	struct decision d;

	if (t != NULL && template_expand(t->container, who->user, name,
	    sizeof(name)) == -1)
		errx(1, "template %s makes no valid name for %s", tname,
		    who->user);
	policy_decide_create(cf, who, t, t != NULL ? name : "", &d);
	return print(cf, who->user, v, tname, &d);
}

static int
explain_container(const struct config *cf, const struct engine *eng,
    const struct identity *who, const struct verb *v, const char *name)
{
	struct target t;
	struct decision d;
	char err[256];

	switch (resolve(eng, cf, name, &t, err, sizeof(err))) {
	case RESOLVED:
		break;
	case RESOLVE_FAILED:
	case RESOLVE_MALFORMED:
		errx(1, "%s", err);
	case RESOLVE_NONE:
	case RESOLVE_AMBIGUOUS:
	case RESOLVE_OTHER:
		printf("%s %s %s: denied: no container is named %s\n",
		    who->user, v->name, name, name);
		return 1;
	}
	policy_decide(cf, who, v->id, name, t.owner, t.group, &d);
	target_free(&t);
	return print(cf, who->user, v, name, &d);
}

int
explain(const struct config *cf, const struct engine *eng, const char *user,
    const char *verbname, const char *name)
{
	const struct verb *v = verb_find(verbname);
	struct identity who;
	struct passwd *pw;
	char err[256];
	int rc;

	if (!verb_askable(v))
		errx(2, "cannot explain %s: explain a verb on a container or "
		    "a template", verbname);
	if (!name_valid(name))
		errx(2, "invalid %s name: %s", v->flags & VF_TEMPLATE ?
		    "template" : "container", name);
	if ((pw = getpwnam(user)) == NULL)
		errx(1, "no such user: %s", user);
	if (identity_from_uid(pw->pw_uid, pw->pw_gid, 0, &who, err,
	    sizeof(err)) == -1)
		errx(1, "%s", err);
	if (v->flags & VF_TEMPLATE)
		rc = explain_create(cf, &who, v, name);
	else
		rc = explain_container(cf, eng, &who, v, name);
	identity_free(&who);
	return rc;
}
