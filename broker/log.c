/*
 * Daemon messages, at or above the configured level (log_level):
 * standard error in the foreground (-d), with the priority as a "<N>"
 * prefix when standard error is the journal (systemd's JOURNAL_STREAM)
 * and as a word otherwise; syslog when detached. Errors and warnings
 * of every ctld process also go to a small ring shared by all of them,
 * which ctld status shows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ctld.h"
#include "shmtable.h"

int log_stderr;
int log_level = LOG_INFO;

static int journal = -1;	/* standard error is the journal; -1: unknown */

struct ring {
	pthread_mutex_t	 mu;		/* first, for shmtable_map */
	unsigned	 next;		/* total written; next % LOG_RECENT */
	struct log_line	 line[LOG_RECENT];
};

static struct ring *ring;

static const char *const level_names[] = {
	"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"
};

int
log_level_parse(const char *s)
{
	size_t i;

	for (i = LOG_ERR; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(int prio)
{
	return prio >= 0 && prio <= LOG_DEBUG ? level_names[prio] : "?";
}

int
log_init_shared(void)
{
	if (ring == NULL && (ring = shmtable_map(sizeof(*ring))) == NULL)
		return -1;
	return 0;
}

/* systemd says which stream is the journal's: "DEV:INODE". */
static int
is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return e != NULL && sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev ==
	    dev && (unsigned long long)st.st_ino == ino;
}

static void
remember(int prio, const char *msg)
{
	struct log_line *l;

	if (ring == NULL || prio > LOG_WARNING || shmtable_lock(&ring->mu) != 0)
		return;
	l = &ring->line[ring->next++ % LOG_RECENT];
	l->when = time(NULL);
	l->prio = prio;
	l->pid = getpid();
	snprintf(l->text, sizeof(l->text), "%.*s", (int)sizeof(l->text) - 1,
	    msg);
	pthread_mutex_unlock(&ring->mu);
}

size_t
log_recent(struct log_line *out, size_t max)
{
	size_t n = 0, i, count;

	if (ring == NULL || shmtable_lock(&ring->mu) != 0)
		return 0;
	count = ring->next < LOG_RECENT ? ring->next : LOG_RECENT;
	for (i = ring->next - count; i < ring->next && n < max; i++)
		out[n++] = ring->line[i % LOG_RECENT];
	pthread_mutex_unlock(&ring->mu);
	return n;
}

void
logmsg(int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (prio > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	remember(prio, msg);
	if (!log_stderr) {
		syslog(LOG_DAEMON | prio, "%s", msg);
		return;
	}
	if (journal == -1)
		journal = is_journal();
	if (journal)
		fprintf(stderr, "<%d>%s\n", prio, msg);
	else
		fprintf(stderr, "ctld: %s%s%s\n", prio == LOG_INFO ? "" :
		    level_names[prio], prio == LOG_INFO ? "" : ": ", msg);
}
