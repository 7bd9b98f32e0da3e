/*
 * ctld status: what ctld is doing now, for root. A session answers from
 * its copy of the main process's session table (as it was at the fork,
 * itself left out) and from the tables all ctld processes share: the
 * keeper's follows, exec sessions, locked-out users, engines, and the
 * last errors and warnings.
 *
 * Invariants:
 * 1. Root only (VF_ADMIN, actions.c): it names every user and what they
 *    do.
 * 2. It only reads: no table is changed, no engine is called.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "execslots.h"
#include "failures.h"
#include "handlers.h"
#include "health.h"
#include "keeper.h"
#include "relaymsg.h"
#include "sessions.h"
#include "version.h"

#define PER_TABLE	4096	/* entries read from each table */

static time_t started;

void
daemon_started(void)
{
	started = time(NULL);
}

static void
iso(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* uid's name, or its number as text. */
static json_t *
user_of(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	char num[24];

	if (pw != NULL)
		return json_string(pw->pw_name);
	snprintf(num, sizeof(num), "%u", (unsigned)uid);
	return json_string(num);
}

/* {"user": n, ...} from a list of uids, repeats counted. */
static void
count_in(json_t *by, uid_t uid, json_int_t add)
{
	json_t *u = user_of(uid);
	const char *k = json_string_value(u);
	json_t *v = json_object_get(by, k);

	json_object_set_new(by, k, json_integer((v ? json_integer_value(v) :
	    0) + add));
	json_decref(u);
}

static json_t *
sessions_json(void)
{
	const struct session_ref *all;
	json_t *by = json_object();
	size_t i, n;

	all = sessions_all(&n);	/* as at this session's fork: not itself */
	for (i = 0; i < n; i++)
		count_in(by, all[i].uid, 1);
	return by;
}

static json_t *
follows_json(void)
{
	static struct kept_count k[PER_TABLE];
	json_t *by = json_object();
	size_t i, n = keeper_list(k, PER_TABLE);

	for (i = 0; i < n; i++)
		count_in(by, k[i].uid, (json_int_t)k[i].n);
	return by;
}

static json_t *
exec_json(void)
{
	static uid_t u[PER_TABLE];
	json_t *by = json_object();
	size_t i, n = execslots_list(u, PER_TABLE);

	for (i = 0; i < n; i++)
		count_in(by, u[i], 1);
	return by;
}

static json_t *
locked_json(void)
{
	static uid_t u[PER_TABLE];
	static long long left[PER_TABLE];
	json_t *a = json_array();
	size_t i, n = failures_locked(u, left, PER_TABLE, failures_now());

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:I}", "user",
		    user_of(u[i]), "seconds_left", (json_int_t)((left[i] +
		    999) / 1000)));
	return a;
}

/* Relays now: their sockets in each engine's relay directory. */
static json_int_t
relays_now(const struct config *cf)
{
	char dir[4096], *slash;
	json_int_t n = 0;
	struct dirent *d, *s;
	DIR *top, *eng;
	int fd;

	snprintf(dir, sizeof(dir), "%s", cf->listen_path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	snprintf(slash, sizeof(dir) - (size_t)(slash - dir), "/" RELAY_DIR);
	if ((top = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(top)) != NULL) {
		if (d->d_name[0] == '.' || (fd = openat(dirfd(top), d->d_name,
		    O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
			continue;
		if ((eng = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		while ((s = readdir(eng)) != NULL)
			n += strlen(s->d_name) > 5 && strcmp(s->d_name +
			    strlen(s->d_name) - 5, ".sock") == 0;
		closedir(eng);
	}
	closedir(top);
	return n;
}

static json_t *
engines_json(const struct config *cf)
{
	static struct health_entry h[HEALTH_ENGINES];
	json_t *a = json_array();
	size_t i, j, n = health_list(h, HEALTH_ENGINES);
	char since[32];
	const char *state;

	for (i = 0; i < cf->nengines; i++) {
		state = "not called yet";
		since[0] = '\0';
		for (j = 0; j < n; j++)
			if (strcmp(h[j].name, cf->engines[i].name) == 0 &&
			    h[j].state != HEALTH_UNKNOWN) {
				state = h[j].state == HEALTH_UP ? "up" : "down";
				iso(h[j].since, since, sizeof(since));
				break;
			}
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s*, s:s*}",
		    "name", cf->engines[i].name, "at", cf->engines[i].url[0] ?
		    cf->engines[i].addr : cf->engines[i].socket,
		    "state", state, "since", since[0] ? since : NULL, "error",
		    j < n && h[j].state == HEALTH_DOWN ? h[j].error : NULL));
	}
	return a;
}

static json_t *
errors_json(void)
{
	static struct log_line l[LOG_RECENT];
	json_t *a = json_array();
	size_t i, n = log_recent(l, LOG_RECENT);
	char when[32];

	for (i = 0; i < n; i++) {
		iso(l[i].when, when, sizeof(when));
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:s}",
		    "time", when, "level", log_level_name(l[i].prio), "pid",
		    (json_int_t)l[i].pid, "message", l[i].text));
	}
	return a;
}

void
do_daemon_status(struct ctx *x)
{
	char since[32];

	iso(started, since, sizeof(since));
	x->out.data = json_pack("{s:s, s:I, s:s, s:I, s:s, s:s, s:o, s:o, "
	    "s:I, s:o, s:o, s:o, s:o}",
	    "version", CTL_VERSION,
	    "pid", (json_int_t)getppid(),
	    "started", since,
	    "uptime_s", (json_int_t)(time(NULL) - started),
	    "config", x->cf->path,
	    "log_level", log_level_name(x->cf->log_level),
	    "sessions", sessions_json(),
	    "follows_kept", follows_json(),
	    "relays", relays_now(x->cf),
	    "exec_sessions", exec_json(),
	    "locked_out", locked_json(),
	    "engines", engines_json(x->cf),
	    "recent_errors", errors_json());
	if (x->out.data == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		return;
	}
	x->audit->allow = 1;
	snprintf(x->audit->reason, sizeof(x->audit->reason),
	    "root reads ctld's state");
	x->audit->result = "ok";
}
