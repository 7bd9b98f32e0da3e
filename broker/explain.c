/* ctld --explain USER VERB NAME: the decision and why, as sudo -l. */
#include <err.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "actions.h"
#include "names.h"

int
explain(const struct config *cf, const struct engine *eng, const char *user,
    const char *verbname, const char *name)
{
	const struct verb *v = verb_find(verbname);
	struct identity who;
	struct engine_reply r;
	struct decision d;
	struct passwd *pw;
	const char *cname;
	json_t *labels;
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
	if (engine_inspect(eng, name, ENGINE_TIMEOUT, &r) == -1 ||
	    (r.status != 200 && !lookup_miss(&r)))
		errx(1, "%s", r.error);
	cname = json_string_value(json_object_get(r.body, "Name"));
	if (r.status != 200 || cname == NULL || cname[0] != '/' ||
	    strcmp(cname + 1, name) != 0) {
		printf("%s %s %s: denied: no container is named %s\n", user,
		    v->name, name, name);
		engine_reply_free(&r);
		identity_free(&who);
		return 1;
	}
	labels = json_object_get(json_object_get(r.body, "Config"), "Labels");
	policy_decide(cf, &who, v->id, name, label(labels, cf->owner_label),
	    label(labels, cf->group_label), &d);
	printf("%s %s %s: %s: %s\n", user, v->name, name,
	    d.allow ? "allowed" : "denied", d.reason);
	engine_reply_free(&r);
	identity_free(&who);
	return d.allow ? 0 : 1;
}
