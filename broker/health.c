/*
 * Whether each engine answers, shared by the main process, the
 * sessions, the keeper and the relays: the first process to see an
 * engine stop answering logs it, and the first to see it answer again
 * logs that, so an admin reads one line per change however many
 * requests failed meanwhile.
 *
 * Invariants:
 * 1. Only a transport failure (no HTTP answer at all) is "down": an
 *    engine that answers, even with an error status, is up.
 * 2. The table is touched under its robust mutex only, and nothing is
 *    logged while it is held.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ctld.h"
#include "health.h"
#include "shmtable.h"

struct table {
	pthread_mutex_t		mu;	/* first, for shmtable_map */
	struct health_entry	e[HEALTH_ENGINES];
};

static struct table *tab;

int
health_init(void)
{
	if (tab == NULL && (tab = shmtable_map(sizeof(*tab))) == NULL)
		return -1;
	return 0;
}

static struct health_entry *
entry(const char *name)
{
	size_t i;

	for (i = 0; i < HEALTH_ENGINES; i++)
		if (tab->e[i].name[0] == '\0') {
			snprintf(tab->e[i].name, sizeof(tab->e[i].name), "%s",
			    name);
			return &tab->e[i];
		} else if (strcmp(tab->e[i].name, name) == 0)
			return &tab->e[i];
	return NULL;
}

void
health_seen(const char *name, int ok, const char *error)
{
	struct health_entry *e;
	enum health now = ok ? HEALTH_UP : HEALTH_DOWN, was = HEALTH_UP;

	if (tab == NULL || shmtable_lock(&tab->mu) != 0)
		return;
	if ((e = entry(name)) != NULL) {
		was = e->state;
		if (was != now) {
			e->state = now;
			e->since = time(NULL);
		}
		if (!ok)
			snprintf(e->error, sizeof(e->error), "%s", error);
	}
	pthread_mutex_unlock(&tab->mu);
	if (now == HEALTH_DOWN && was != HEALTH_DOWN)
		logmsg(LOG_ERR, "engine %s does not answer: %s", name, error);
	else if (now == HEALTH_UP && was == HEALTH_DOWN)
		logmsg(LOG_NOTICE, "engine %s answers again", name);
}

size_t
health_list(struct health_entry *out, size_t max)
{
	size_t i, n = 0;

	if (tab == NULL || shmtable_lock(&tab->mu) != 0)
		return 0;
	for (i = 0; i < HEALTH_ENGINES && n < max; i++)
		if (tab->e[i].name[0] != '\0')
			out[n++] = tab->e[i];
	pthread_mutex_unlock(&tab->mu);
	return n;
}
