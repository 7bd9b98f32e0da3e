/*
 * pam_ctl: account and session module for sshd logins whose shell is
 * ctl. See pam_ctl(8).
 *
 * Invariants:
 * 1. Never exit, print or touch stdout/stderr: every diagnostic goes
 *    through pam_syslog, every outcome is a PAM_* code.
 * 2. Only pam_sm_* are exported (pam_ctl.map plus -fvisibility=hidden);
 *    there is no global mutable state: options and buffers live in
 *    each call.
 * 3. account: with require_group=, a user is let in only when
 *    getgrouplist() shows the group, primary or supplementary; a missing
 *    group or a malformed require_group= denies everyone.
 * 4. The only user name sent to the broker is PAM_USER, after
 *    user_valid(); a missing or odd name is refused before connecting.
 * 5. A broker failure (unreachable, silent past timeout=, protocol
 *    error, non-zero exit) is decided by fail= alone: open logs a
 *    warning and lets the login go on, closed logs an error and fails
 *    the session. A malformed fail= is closed.
 * 6. Every descriptor and allocation is released on every path
 *    (exchange.c keeps its own list).
 */
#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "names.h"
#include "pam_ctl.h"
#include "version.h"

/* strings(1) finds the module's version: the one ctl and ctld print. */
static const char version[] __attribute__((used)) =
    "@(#)pam_ctl " CTL_VERSION;

#define PAM_CTL_EXPORT	__attribute__((visibility("default")))

#define SUMMARY_LEN	512

/*
 * Returns PAM_USER, checked, or NULL after logging why, with the PAM
 * code in *rcp.
 */
static const char *
get_user(pam_handle_t *pamh, int *rcp)
{
	const char *user = NULL;
	char clean[64];
	int rc;

	rc = pam_get_user(pamh, &user, NULL);
	*rcp = rc;
	if (rc != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot determine the user: %s",
		    pam_strerror(pamh, rc));
		return NULL;
	}
	if (user == NULL || user[0] == '\0') {
		pam_syslog(pamh, LOG_ERR, "empty user name");
		*rcp = PAM_USER_UNKNOWN;
		return NULL;
	}
	if (!user_valid(user)) {
		log_clean(clean, sizeof(clean), user, strlen(user));
		pam_syslog(pamh, LOG_ERR, "refusing user name \"%s\"", clean);
		*rcp = PAM_USER_UNKNOWN;
		return NULL;
	}
	return user;
}

/* Returns 1 if user is in gid (primary or supplementary), 0, or -1. */
static int
in_group(const char *user, gid_t primary, gid_t gid)
{
	gid_t *groups, *bigger;
	int i, n = 32, found = 0, have;

	if ((groups = calloc((size_t)n, sizeof(*groups))) == NULL)
		return -1;
	have = n;
	while (getgrouplist(user, primary, groups, &n) == -1) {
		if (n <= have)		/* no growth requested: give up */
			n = have * 2;
		if (n > 65536 ||
		    (bigger = reallocarray(groups, (size_t)n,
		    sizeof(*groups))) == NULL) {
			free(groups);
			return -1;
		}
		groups = bigger;
		have = n;
	}
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			found = 1;
	free(groups);
	return found;
}

PAM_CTL_EXPORT int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct options o;
	struct passwd *pw;
	struct group *gr;
	const char *user;
	int rc;

	opts_parse(pamh, argc, argv, &o);
	if (o.broken) {
		pam_syslog(pamh, LOG_ERR, "a module argument is not understood "
		    "(logged above); denying");
		return PAM_PERM_DENIED;
	}
	if (o.require_group == NULL && !o.group_bad)
		return PAM_IGNORE;
	if ((user = get_user(pamh, &rc)) == NULL)
		return rc == PAM_CONV_AGAIN ? PAM_INCOMPLETE : PAM_USER_UNKNOWN;
	if (o.group_bad) {
		pam_syslog(pamh, LOG_ERR,
		    "require_group= is malformed; denying %s", user);
		return PAM_PERM_DENIED;
	}
	if ((pw = pam_modutil_getpwnam(pamh, user)) == NULL) {
		pam_syslog(pamh, LOG_NOTICE, "no passwd entry for %s", user);
		return PAM_USER_UNKNOWN;
	}
	if ((gr = pam_modutil_getgrnam(pamh, o.require_group)) == NULL) {
		pam_syslog(pamh, LOG_ERR,
		    "require_group=%s: no such group; denying %s",
		    o.require_group, user);
		return PAM_PERM_DENIED;
	}
	switch (in_group(user, pw->pw_gid, gr->gr_gid)) {
	case 1:
		if (o.debug)
			pam_syslog(pamh, LOG_DEBUG, "%s is in group %s",
			    user, o.require_group);
		return PAM_SUCCESS;
	case 0:
		pam_syslog(pamh, LOG_NOTICE,
		    "denied %s: not a member of group %s", user,
		    o.require_group);
		return PAM_PERM_DENIED;
	default:
		pam_syslog(pamh, LOG_ERR, "getgrouplist for %s failed; "
		    "denying", user);
		return PAM_PERM_DENIED;
	}
}

/* "name (created, started), ..." from data.containers, for the log. */
static void
summarize(json_t *data, char *buf, size_t len)
{
	json_t *list, *ct, *v;
	const char *key, *name;
	size_t i, used = 0;
	char clean[130];
	int n, first;

	buf[0] = '\0';
	list = json_object_get(data, "containers");
	if (!json_is_array(list))
		return;
	json_array_foreach(list, i, ct) {
		name = json_string_value(json_object_get(ct, "name"));
		if (name == NULL)
			continue;
		log_clean(clean, sizeof(clean), name, strlen(name));
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
		    clean);
		if (n < 0 || (size_t)n >= len - used)
			goto full;
		used += (size_t)n;
		first = 1;
		json_object_foreach(ct, key, v) {
			if (!json_is_true(v))
				continue;
			log_clean(clean, sizeof(clean), key, strlen(key));
			n = snprintf(buf + used, len - used, "%s%s",
			    first ? " (" : ", ", clean);
			if (n < 0 || (size_t)n >= len - used)
				goto full;
			used += (size_t)n;
			first = 0;
		}
		if (!first) {
			n = snprintf(buf + used, len - used, ")");
			if (n < 0 || (size_t)n >= len - used)
				goto full;
			used += (size_t)n;
		}
	}
	return;
full:
	if (len > 4)
		memcpy(buf + len - 4, "...", 4);
}

/* The session phase: one broker request, its outcome decided by fail=. */
static int
session(pam_handle_t *pamh, const struct options *o, const char *verb)
{
	char why[512], summary[SUMMARY_LEN];
	const char *user;
	json_t *data;
	int rc;

	if (o->broken) {
		pam_syslog(pamh, LOG_ERR, "a module argument is not understood "
		    "(logged above); no %s, failing the session", verb);
		return PAM_SESSION_ERR;
	}
	if ((user = get_user(pamh, &rc)) == NULL)
		return PAM_SESSION_ERR;
	if (o->debug)
		pam_syslog(pamh, LOG_DEBUG, "%s %s via %s", verb, user,
		    o->socket);
	if (ctl_call(pamh, o, verb, user, &data, why, sizeof(why)) == 0) {
		summarize(data, summary, sizeof(summary));
		json_decref(data);
		if (summary[0] != '\0')
			pam_syslog(pamh, LOG_INFO, "%s %s: %s", verb, user,
			    summary);
		else
			pam_syslog(pamh, LOG_INFO, "%s %s: done", verb, user);
		return PAM_SUCCESS;
	}
	if (o->fail_closed) {
		pam_syslog(pamh, LOG_ERR, "%s %s failed: %s (fail=closed)",
		    verb, user, why);
		return PAM_SESSION_ERR;
	}
	pam_syslog(pamh, LOG_WARNING,
	    "%s %s failed: %s (fail=open: login continues)", verb, user, why);
	return PAM_SUCCESS;
}

PAM_CTL_EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct options o;

	opts_parse(pamh, argc, argv, &o);
	return session(pamh, &o, "provision");
}

PAM_CTL_EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	struct options o;

	opts_parse(pamh, argc, argv, &o);
	if (!o.stop_on_logout && !o.broken)
		return PAM_SUCCESS;	/* nothing to undo; see pam_ctl(8) */
	return session(pamh, &o, "unprovision");
}
