/*
 * Who is calling: from kernel credentials to user and group names.
 *
 * Invariants:
 * 1. The uid, gid and pid come from SO_PEERCRED, read by the caller of
 *    identity_from_uid; nothing the client sends is consulted.
 * 2. A uid without a passwd entry, or any lookup failure, is an error:
 *    the caller denies.
 * 3. Groups are the user's groups from the group database
 *    (getgrouplist), as PAM and login would compute them; a group that
 *    cannot be looked up is an error, not a group left out.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctld.h"

#define MAX_GROUPS	1024

/*
 * The group's name; NULL with *err set on a real failure. A group with
 * thousands of members needs a large buffer: grow it rather than skip
 * the group, which would skip the deny rules that name it.
 */
static char *
group_name(gid_t gid, int *err)
{
	struct group gr, *res = NULL;
	size_t size = 16384;
	char *buf, *name;
	int rc;

	for (;;) {
		if ((buf = malloc(size)) == NULL) {
			*err = ENOMEM;
			return NULL;
		}
		rc = getgrgid_r(gid, &gr, buf, size, &res);
		if (rc != ERANGE || size >= (16u << 20))
			break;
		free(buf);
		size *= 4;
	}
	if (rc != 0 || res == NULL) {
		*err = rc;	/* 0: the gid has no group entry */
		free(buf);
		return NULL;
	}
	name = strdup(gr.gr_name);
	free(buf);
	if (name == NULL)
		*err = ENOMEM;
	return name;
}

static int
load_groups(struct identity *id, gid_t gid, char *err, size_t errlen)
{
	gid_t gids[MAX_GROUPS];
	int i, n = MAX_GROUPS, k = 0, e;

	if (getgrouplist(id->user, gid, gids, &n) == -1) {
		snprintf(err, errlen, "getgrouplist(%s): more than %d groups",
		    id->user, MAX_GROUPS);
		return -1;
	}
	if ((id->groups = calloc((size_t)n + 1, sizeof(char *))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		e = 0;
		if ((id->groups[k] = group_name(gids[i], &e)) != NULL)
			k++;
		else if (e != 0) {
			snprintf(err, errlen, "getgrgid_r(%u): %s",
			    (unsigned)gids[i], strerror(e));
			return -1;
		}
	}
	return 0;
}

int
identity_from_uid(uid_t uid, gid_t gid, pid_t pid, struct identity *id,
    char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int rc;

	memset(id, 0, sizeof(*id));
	id->uid = uid;
	id->pid = pid;
	rc = getpwuid_r(uid, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || res == NULL) {
		snprintf(err, errlen, "no passwd entry for uid %u%s%s",
		    (unsigned)uid, rc ? ": " : "", rc ? strerror(rc) : "");
		return -1;
	}
	id->gid = pw.pw_gid;
	if ((id->user = strdup(pw.pw_name)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (load_groups(id, pw.pw_gid, err, errlen) == -1) {
		identity_free(id);
		return -1;
	}
	(void)gid;
	return 0;
}

void
identity_free(struct identity *id)
{
	size_t i;

	if (id->groups != NULL)
		for (i = 0; id->groups[i] != NULL; i++)
			free(id->groups[i]);
	free(id->groups);
	free(id->user);
	memset(id, 0, sizeof(*id));
}
