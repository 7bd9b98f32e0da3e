/*
 * ctld --explain USER VERB NAME: the decision and why, as sudo -l.
 *
 * Invariants:
 * 1. The container is resolved as for a request (resolve.c), and the
 *    decision is policy's on its labels: what is printed is what the
 *    broker would decide.
 */
#include <err.h>
#include <pwd.h>
#include <stdio.h>

#include "explain.h"
#include "names.h"
#include "resolve.h"

int
explain(const struct config *cf, const struct engine *eng, const char *user,
    const char *verbname, const char *name)
{
	const struct verb *v = verb_find(verbname);
	struct identity who;
	struct target t;
	struct decision d;
	struct passwd *pw;
	char err[256];

	if (v == NULL || (v->flags & VF_LOCAL))
		errx(2, "unknown verb: %s", verbname);
	if (!name_valid(name))
		errx(2, "invalid container name: %s", name);
	if ((pw = getpwnam(user)) == NULL)
		errx(1, "no such user: %s", user);
	if (identity_from_uid(pw->pw_uid, pw->pw_gid, 0, &who, err,
	    sizeof(err)) == -1)
		errx(1, "%s", err);
	switch (resolve(eng, cf, name, &t, err, sizeof(err))) {
	case RESOLVED:
		break;
	case RESOLVE_FAILED:
	case RESOLVE_MALFORMED:
		errx(1, "%s", err);
	case RESOLVE_NONE:
	case RESOLVE_AMBIGUOUS:
	case RESOLVE_OTHER:
		printf("%s %s %s: denied: no container is named %s\n", user,
		    v->name, name, name);
		identity_free(&who);
		return 1;
	}
	policy_decide(cf, &who, v->id, name, t.owner, t.group, &d);
	printf("%s %s %s: %s: %s\n", user, v->name, name,
	    d.allow ? "allowed" : "denied", d.reason);
	target_free(&t);
	identity_free(&who);
	return d.allow ? 0 : 1;
}
