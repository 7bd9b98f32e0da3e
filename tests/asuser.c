/*
 * asuser UID GID CMD [ARG...]: CMD as UID:GID with no supplementary
 * groups (real, effective and saved IDs), as the integration tests ran
 * setpriv --reuid --regid --clear-groups; static, because setpriv's
 * dynamic start cost some 4.5 ms of CPU a call here, and the tests run
 * ctl through it over a thousand times. A test tool, never installed.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
id_arg(const char *s, unsigned long *id)
{
	char *end;

	errno = 0;
	*id = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *id < 0xffffffffUL ?
	    0 : -1;
}

int
main(int argc, char **argv)
{
	unsigned long uid, gid;

	if (argc < 4 || id_arg(argv[1], &uid) == -1 ||
	    id_arg(argv[2], &gid) == -1) {
		fprintf(stderr, "usage: asuser UID GID CMD [ARG...]\n");
		return 127;
	}
	if (setgroups(0, NULL) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		perror("asuser: cannot change identity");
		return 127;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "asuser: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
