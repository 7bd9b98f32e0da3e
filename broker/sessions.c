/* The main process's sessions, by pid and uid (sessions.h). */
#include <stdlib.h>

#include "sessions.h"

static struct session_ref *tab;
static size_t ntab, maxtab;

int
sessions_track(pid_t pid, uid_t uid)
{
	struct session_ref *n;

	if (ntab == maxtab) {
		n = reallocarray(tab, maxtab * 2 + 16, sizeof(*n));
		if (n == NULL)
			return -1;
		tab = n;
		maxtab = maxtab * 2 + 16;
	}
	tab[ntab].pid = pid;
	tab[ntab].uid = uid;
	ntab++;
	return 0;
}

int
sessions_reaped(pid_t pid)
{
	size_t i;

	for (i = 0; i < ntab; i++)
		if (tab[i].pid == pid) {
			tab[i] = tab[--ntab];
			return 1;
		}
	return 0;
}

size_t
sessions_count(void)
{
	return ntab;
}

size_t
sessions_of(uid_t uid)
{
	size_t i, n = 0;

	for (i = 0; i < ntab; i++)
		n += tab[i].uid == uid;
	return n;
}

const struct session_ref *
sessions_all(size_t *n)
{
	*n = ntab;
	return tab;
}
