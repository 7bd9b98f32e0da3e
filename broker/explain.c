/*
 * ctld --explain USER VERB NAME (or create TEMPLATE): the decision and
 * why, and whether a password would be asked, as sudo -l.
 *
 * Invariants:
 * 1. The container is resolved as for a request (resolve.c), and the
 *    decision is policy's on its labels (or on the template): what is
 *    printed is what the broker would decide, on the engine it would
 *    resolve the name to (ENGINE/NAME names one).
 */
#include <err.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "engconf.h"
#include "engine.h"
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

/* "ENGINE/NAME" or "NAME", as the shell takes them; 0 or -1. */
static int
split_name(const char *arg, char *engine, size_t elen, char *name,
    size_t nlen)
{
	const char *slash = strchr(arg, '/');

	engine[0] = '\0';
	if (slash == NULL) {
		snprintf(name, nlen, "%s", arg);
		return name_valid(name) ? 0 : -1;
	}
	if ((size_t)(slash - arg) >= elen || strlen(slash + 1) >= nlen)
		return -1;
	memcpy(engine, arg, (size_t)(slash - arg));
	engine[slash - arg] = '\0';
	snprintf(name, nlen, "%s", slash + 1);
	return engine_valid(engine) && name_valid(name) ? 0 : -1;
}

static int
explain_container(const struct config *cf, const struct identity *who,
    const struct verb *v, const char *arg)
{
	char engine[ENGINE_NAME_MAX + 1], name[NAME_MAX_LEN + 1], err[512];
	char where[ENGINE_NAME_MAX + NAME_MAX_LEN + 2];
	struct target t;
	struct decision d;

	if (split_name(arg, engine, sizeof(engine), name, sizeof(name)) == -1)
		errx(2, "invalid container name: %s", arg);
	switch (resolve_any(cf, who, engine, "", name, &t, err, sizeof(err))) {
	case RESOLVED:
		break;
	case RESOLVE_FAILED:
	case RESOLVE_MALFORMED:
	case RESOLVE_DOWN:
		errx(1, "%s", err);
	case RESOLVE_ENGINES:
		printf("%s %s %s: denied: %s\n", who->user, v->name, arg, err);
		return 1;
	case RESOLVE_NONE:
	case RESOLVE_AMBIGUOUS:
	case RESOLVE_OTHER:
		printf("%s %s %s: denied: no container is named %s%s\n",
		    who->user, v->name, arg, arg, engine[0] ||
		    cf->nengines == 1 ? "" : " on an engine the user may use");
		return 1;
	}
	if (cf->nengines > 1)
		snprintf(where, sizeof(where), "%s/%s", t.eng->name, name);
	else
		snprintf(where, sizeof(where), "%s", name);
	policy_decide(cf, who, v->id, t.eng->name, name, t.owner, t.group, &d);
	target_free(&t);
	return print(cf, who->user, v, where, &d);
}

int
explain(const struct config *cf, const char *user, const char *verbname,
    const char *name)
{
	const struct verb *v = verb_find(verbname);
	struct identity who;
	struct passwd *pw;
	char err[256];
	int rc;

	if (!verb_askable(v))
		errx(2, "cannot explain %s: explain a verb on a container or "
		    "a template", verbname);
	if (!name_valid(name) && (v->flags & VF_TEMPLATE))
		errx(2, "invalid template name: %s", name);
	if ((pw = getpwnam(user)) == NULL)
		errx(1, "no such user: %s", user);
	if (identity_from_uid(pw->pw_uid, pw->pw_gid, 0, &who, err,
	    sizeof(err)) == -1)
		errx(1, "%s", err);
	if (v->flags & VF_TEMPLATE)
		rc = explain_create(cf, &who, v, name);
	else
		rc = explain_container(cf, &who, v, name);
	identity_free(&who);
	return rc;
}
