/*
 * ctld: start-up, the accept loop, signals.
 *
 * Invariants:
 * 1. The daemon process never talks to a client beyond accept and
 *    SO_PEERCRED: each connection is served by a forked child, so a
 *    client that crashes, stalls or floods costs only its own child.
 * 2. The configuration is loaded and checked before the socket exists;
 *    a reload that fails any check keeps the running configuration.
 * 3. Connection limits (global and per uid) are enforced here, from
 *    kernel credentials, before a child is forked; root is exempt, so
 *    users cannot starve pam_ctl. Refusals are audited, at most
 *    TURNED_PER_SEC a second, the rest counted in the next record.
 * 4. Once a reload is in force, every session hears REVOKE_SIGNAL, so
 *    that what lasts (a follow) is decided again (revoke.c); a session
 *    holds it blocked from the fork until its handler is in place.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "ctld.h"
#include "engine.h"
#include "execslots.h"
#include "explain.h"
#include "handlers.h"
#include "health.h"
#include "keeper.h"
#include "revoke.h"
#include "sessions.h"
#include "statuscmd.h"
#include "version.h"


#define TURNED_PER_SEC	10	/* refusals audited per second at most */
#define AUDIT_IDLE_SEC	60	/* a moved audit file reopened this soon */

static volatile sig_atomic_t got_term, got_hup, got_chld;
static int socket_activated;	/* the socket is systemd's (ctld.socket) */
static time_t turned_sec;
static unsigned turned_logged;
static unsigned long turned_quiet;

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: ctld [-dt] [-f file]\n"
	    "       ctld status [--json] [-f file]\n"
	    "       ctld --explain user verb container [-f file]\n"
	    "       ctld --explain user create template [-f file]\n"
	    "       ctld -h | --help | -V | --version\n");
	exit(status);
}

static void
ensure_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/*
 * A session's password attempt it never settled counts as failed; the
 * exec slot it never released is freed.
 */
static void
reap(const struct config *cf)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		failures_reaped(&cf->failures, pid, failures_now());
		execslots_reaped(pid);
		keeper_session_reaped(pid);
		if (keeper_reaped(pid)) {
			logmsg(LOG_ERR, "the follow keeper (pid %d) ended: "
			    "the follows it held end unanswered", (int)pid);
			continue;
		}
		(void)sessions_reaped(pid);
	}
}

/* Over a limit: a short answer, audited, without forking. */
static void
turn_away(const struct config *cf, int fd, const struct ucred *cr,
    const char *why)
{
	struct identity who = { cr->uid, cr->gid, cr->pid, NULL, NULL };
	struct audit_rec a;
	char buf[4096];
	json_t *j;

	memset(&a, 0, sizeof(a));
	clock_gettime(CLOCK_REALTIME, &a.start);
	a.who = &who;
	a.result = "refused";
	a.exit = EXIT_FAIL;
	snprintf(a.reason, sizeof(a.reason), "%s", why);
	if (a.start.tv_sec != turned_sec) {
		turned_sec = a.start.tv_sec;
		turned_logged = 0;
	}
	if (turned_logged >= TURNED_PER_SEC)
		turned_quiet++;
	else {
		if (turned_quiet > 0)
			snprintf(a.reason, sizeof(a.reason), "%s (and %lu more "
			    "refusals not logged)", why, turned_quiet);
		turned_quiet = 0;
		turned_logged++;
	}
	j = json_pack("{s:i, s:s}", "exit", EXIT_FAIL, "error",
	    "the ctl broker is busy: too many connections, try again later");
	if (j != NULL) {
		fcntl(fd, F_SETFL, O_NONBLOCK);
		proto_send_json(fd, FRAME_DONE, j);
		json_decref(j);
		shutdown(fd, SHUT_WR);
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;	/* unread input would reset the connection */
	}
	if (turned_quiet == 0)	/* a flood must not fill the audit disk */
		auditlog_write(cf, &a);
}

static void
serve(const struct config *cf, int lfd, int cfd, const sigset_t *orig)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	pid_t pid;

	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    len != sizeof(cr)) {
		logmsg(LOG_ERR, "getsockopt(SO_PEERCRED): %s", strerror(errno));
		return;
	}
	/* root (pam_ctl at every login, admins) is never turned away */
	/* a follow the keeper holds is a session still (keeper.c) */
	if (cr.uid != 0 && sessions_count() + keeper_total() >=
	    (size_t)cf->max_clients) {
		turn_away(cf, cfd, &cr, "limits.max_clients reached");
		return;
	}
	if (cr.uid != 0 && sessions_of(cr.uid) + keeper_count(cr.uid) >=
	    (size_t)cf->max_per_user) {
		turn_away(cf, cfd, &cr, "limits.max_per_user reached");
		return;
	}
	pid = fork();
	if (pid == -1) {
		logmsg(LOG_ERR, "fork: %s", strerror(errno));
		turn_away(cf, cfd, &cr, "fork failed");
		return;
	}
	if (pid == 0) {
		close(lfd);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		revoke_init(orig);	/* the mask, REVOKE_SIGNAL held */
		session_run(cf, cfd, cr.uid, cr.gid, cr.pid);
		_exit(0);
	}
	if (sessions_track(pid, cr.uid) == -1)
		logmsg(LOG_ERR, "out of memory tracking child %d", (int)pid);
}

/* A new policy is in force: each session decides its follow again. */
static void
tell_sessions(void)
{
	size_t i, n;
	const struct session_ref *all = sessions_all(&n);

	for (i = 0; i < n; i++)
		(void)kill(all[i].pid, REVOKE_SIGNAL);
}

/*
 * Whether each engine is a Swarm manager, and its API version, asked
 * once here for the sessions forked from now on (engine.c); an engine
 * that does not answer yet is logged, its services looked for at each
 * request, and none of them changed.
 */
static void
warn_engine(const struct engine *e, const char *err)
{
	logmsg(LOG_WARNING, "engine %s: %s", e->name, err);
}

static void
warm(struct config *cf)
{
	engine_warm_all(cf->engines, cf->nengines, warn_engine);
}

static struct config *
reload(struct config *cf)
{
	struct config *ncf;
	char err[512];

	ncf = config_load(cf->path, 1, err, sizeof(err));
	if (ncf == NULL) {
		logmsg(LOG_ERR, "reload refused, keeping the running "
		    "configuration: %s", err);
		auditlog_refresh(1);	/* logrotate's HUP all the same */
		return cf;
	}
	if (auditlog_open(ncf, err, sizeof(err)) == -1) {
		logmsg(LOG_ERR, "reload refused, keeping the running "
		    "configuration: audit: %s", err);
		config_free(ncf);
		return cf;
	}
	if (strcmp(ncf->listen_path, cf->listen_path) != 0 ||
	    ncf->listen_mode != cf->listen_mode)
		logmsg(LOG_WARNING, "listen settings change only on restart");
	log_level = ncf->log_level;
	logmsg(LOG_INFO, "configuration reloaded from %s", cf->path);
	config_free(cf);
	auth_preload(ncf);
	warm(ncf);
	tell_sessions();
	keeper_reloaded();
	return ncf;
}

/* Without a keeper, sessions keep their follows themselves. */
static void
start_keeper(const struct config *cf, int lfd)
{
	if (keeper_start(cf, lfd) == -1)
		logmsg(LOG_ERR, "cannot start the follow keeper: %s; "
		    "sessions keep their follows", strerror(errno));
}

/*
 * The configuration in force, held here too: a session forked from run()
 * reaches it through this, whatever registers the compiler kept it in,
 * so that a child's exit never reads as the configuration lost.
 */
static struct config *volatile in_force;

static void
run(struct config *cf, int lfd)
{
	struct timespec idle = { AUDIT_IDLE_SEC, 0 };
	struct sigaction sa;
	sigset_t block, orig;
	struct pollfd p;
	int cfd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, REVOKE_SIGNAL);	/* for the sessions: revoke.c */
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	logmsg(LOG_INFO, "listening on %s%s", cf->listen_path,
	    socket_activated ? " (systemd's socket)" : "");
	in_force = cf;
	start_keeper(cf, lfd);
	while (!got_term) {
		if (keeper_due())
			start_keeper(cf, lfd);
		p.fd = lfd;
		p.events = POLLIN;
		if (ppoll(&p, 1, &idle, &orig) == -1 && errno != EINTR)
			logmsg(LOG_ERR, "ppoll: %s", strerror(errno));
		/* before a fork, the session inherits the right file; and a
		 * rotated one is let go of even when nobody connects */
		auditlog_refresh(0);
		if (got_chld) {
			got_chld = 0;
			reap(cf);
		}
		if (got_hup) {
			got_hup = 0;
			in_force = cf = reload(cf);
		}
		if (got_term || !(p.revents & POLLIN))
			continue;
		p.revents = 0;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				logmsg(LOG_ERR, "accept: %s", strerror(errno));
			if (errno == EMFILE || errno == ENFILE)
				poll(NULL, 0, 100);
			continue;
		}
		serve(cf, lfd, cfd, &orig);
		close(cfd);
	}
	logmsg(LOG_INFO, "shutting down");
	if (!socket_activated)	/* systemd's socket stays systemd's */
		unlink(cf->listen_path);
	close(lfd);
	config_free(cf);
}

static void
daemonize(void)
{
	pid_t pid = fork();

	if (pid == -1)
		err(1, "fork");
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		err(1, "setsid");
	if (chdir("/") == -1)
		err(1, "chdir /");
	if (freopen("/dev/null", "r", stdin) == NULL ||
	    freopen("/dev/null", "w", stdout) == NULL ||
	    freopen("/dev/null", "w", stderr) == NULL)
		err(1, "/dev/null");
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "explain", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONFIG_DEFAULT;
	int ch, foreground = 0, test = 0, explain_mode = 0, json = 0, lfd, rc;
	int status_mode;
	struct config *cf;
	char errbuf[512];

	ensure_fds();
	while ((ch = getopt_long(argc, argv, "df:thV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'E':
			explain_mode = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'V':
			printf("ctld %s\n", CTL_VERSION);
			return 0;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	status_mode = argc == 1 && strcmp(argv[0], "status") == 0;
	if (explain_mode ? argc != 3 : argc != status_mode ||
	    (json && !status_mode))
		usage(stderr, 2);
	if ((cf = config_load(path, 1, errbuf, sizeof(errbuf))) == NULL)
		errx(1, "%s", errbuf);
	if (status_mode) {
		rc = status_command(cf, json);
		config_free(cf);
		return rc;
	}
	log_level = cf->log_level;
	if (test) {
		config_free(cf);
		return 0;
	}
	if (engine_global_init() == -1)
		errx(1, "engine_global_init failed");
	if (explain_mode) {
		rc = explain(cf, argv[0], argv[1], argv[2]);
		config_free(cf);
		engine_global_cleanup();
		return rc;
	}
	if (geteuid() != 0)
		warnx("not running as root: PAM account checks and dockerd "
		    "access will likely fail");
	log_stderr = foreground;
	openlog("ctld", LOG_PID, LOG_AUTHPRIV);
	signal(SIGPIPE, SIG_IGN);
	if (auditlog_open(cf, errbuf, sizeof(errbuf)) == -1)
		errx(1, "audit: %s", errbuf);
	/* systemd's socket (ctld.socket), checked; else one of ours */
	lfd = listen_activated(cf, errbuf, sizeof(errbuf));
	socket_activated = lfd >= 0;
	if (lfd == -2)
		lfd = listen_open(cf, errbuf, sizeof(errbuf));
	if (lfd == -1)
		errx(1, "%s", errbuf);
	auth_preload(cf);
	if (failures_init() == -1)
		err(1, "failures_init");
	if (execslots_init() == -1)
		err(1, "execslots_init");
	if (health_init() == -1 || log_init_shared() == -1)
		err(1, "shared tables");
	if (!foreground)
		daemonize();
	daemon_started();
	warm(cf);
	run(cf, lfd);
	return 0;
}
