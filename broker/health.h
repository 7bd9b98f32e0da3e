/*
 * health.c: whether each engine answers, as every ctld process last
 * found it, shared by all of them: a change is logged once, not once
 * per request, and ctld status shows it.
 */
#ifndef CTLD_HEALTH_H
#define CTLD_HEALTH_H

#include <stddef.h>
#include <time.h>

#define HEALTH_ENGINES	64	/* engines remembered */

enum health { HEALTH_UNKNOWN, HEALTH_UP, HEALTH_DOWN };

struct health_entry {
	char		name[65];
	enum health	state;
	time_t		since;
	char		error[200];	/* the last failure, when down */
};

/* Main process, before the first fork. -1 and errno. */
int	health_init(void);
/* After a call to engine name: it answered (ok), or failed so. */
void	health_seen(const char *name, int ok, const char *error);
size_t	health_list(struct health_entry *, size_t max);

#endif
