/* Login sessions per user, for stop_on_logout: see logins.c. */
#ifndef LOGINS_H
#define LOGINS_H

#include <sys/types.h>

struct logins {
	int	dfd;
	int	lockfd;
	uid_t	uid;
};

/* Takes uid's lock (waiting for it); -1 if the directory is not safe. */
int	logins_open(struct logins *, const char *listen_path, uid_t owner,
	    uid_t uid);
void	logins_close(struct logins *);
/* Records the session of process pid. */
int	logins_add(struct logins *, pid_t pid);
/* Forgets pid's session; returns how many others still run, or -1. */
int	logins_remove_count(struct logins *, pid_t pid);

#endif
