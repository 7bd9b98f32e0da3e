/*
 * Revocation of what lasts: after a reload, a session that is following
 * a container decides again, on the new configuration, the user's
 * groups and the container's labels as they are now, and ends the
 * follow when the answer is no longer yes.
 *
 * The main process, once a reload succeeded, sends REVOKE_SIGNAL to its
 * sessions (main.c). A session keeps that signal blocked all the time
 * but inside the one wait that must be woken (relay_wait's ppoll, with
 * revoke_waitmask); everywhere else it stays pending until a safe point
 * asks revoke_pending(). So no signal ever lands in the middle of a
 * frame write, PAM, or curl. A session that is not following never asks,
 * and the signal changes nothing for it.
 *
 * Hook for what will last later (exec sessions): at a safe point of
 * their loop, `if (revoke_pending() && revoke_recheck(x))`, then end the
 * session with revoke_set_out(x) as a follow does (logs.c).
 *
 * Invariants:
 * 1. A signal only sets a flag; the decision is made at a safe point, in
 *    the session, between whole frames.
 * 2. The decision is the request's own: the same name resolved again
 *    (resolve.c), the same verb, policy_decide on the configuration file
 *    loaded and checked as ctld loads it, and the identity read again.
 * 3. A configuration that does not load keeps the follow going: the
 *    main process then keeps the running configuration too. dockerd not
 *    answering keeps it going as well (the stream fails by itself if
 *    dockerd is gone). Anything else that is not a yes on the same
 *    container ends it: a name that now names another container, or
 *    none, ends it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "revoke.h"

static volatile sig_atomic_t woken;
static sigset_t waitmask;
static int ready;

static void
on_revoke(int sig)
{
	(void)sig;
	woken = 1;
}

/*
 * In a new session, with REVOKE_SIGNAL still blocked since the fork:
 * the handler, then the parent's mask with the signal kept blocked.
 */
void
revoke_init(const sigset_t *orig)
{
	struct sigaction sa;
	sigset_t mask = *orig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_revoke;
	sigemptyset(&sa.sa_mask);
	sigaction(REVOKE_SIGNAL, &sa, NULL);
	sigaddset(&mask, REVOKE_SIGNAL);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	waitmask = *orig;
	sigdelset(&waitmask, REVOKE_SIGNAL);
	ready = 1;
}

/* The mask a wait that must wake for a reload runs under; NULL: none. */
const sigset_t *
revoke_waitmask(void)
{
	return ready ? &waitmask : NULL;
}

/* A reload happened since the last ask (caught in a wait, or pending). */
int
revoke_pending(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t one;

	if (woken) {
		woken = 0;
		return 1;
	}
	if (!ready)
		return 0;
	sigemptyset(&one);
	sigaddset(&one, REVOKE_SIGNAL);
	return sigtimedwait(&one, NULL, &zero) == REVOKE_SIGNAL;
}

/* The decision on the new configuration; 1: no longer allowed. */
static int
decide_again(struct ctx *x, const struct config *cf, char *reason,
    size_t len)
{
	struct identity who;
	struct target t;
	struct decision d;
	enum resolved rc;
	char err[256];
	int gone = 0;

	if (identity_from_uid(x->who->uid, x->who->gid, x->who->pid, &who, err,
	    sizeof(err)) == -1) {
		snprintf(reason, len, "the user is gone: %.120s", err);
		return 1;
	}
	memset(&t, 0, sizeof(t));
	if (config_engine(cf, x->eng->name) == NULL) {
		snprintf(reason, len, "engine %s is no longer configured",
		    x->eng->name);
		identity_free(&who);
		return 1;
	}
	/* the kind followed, on its engine: a service is a service still */
	rc = resolve_any(cf, &who, x->eng->name, x->t.service ? "service" :
	    "container", x->req->name, &t, err, sizeof(err));
	if (rc == RESOLVE_FAILED || rc == RESOLVE_DOWN)
		logmsg(LOG_WARNING, "uid %u: %s not decided again after the "
		    "reload: %s", (unsigned)who.uid, x->req->name, err);
	else if (rc != RESOLVED || strcmp(t.id, x->t.id) != 0) {
		snprintf(reason, len, "the name no longer names the "
		    "container followed");
		gone = 1;
	} else {
		policy_decide(cf, &who, x->req->verb->id, x->eng->name,
		    x->req->name, t.owner, t.group, &d);
		snprintf(reason, len, "%s", d.reason);
		gone = !d.allow;
	}
	target_free(&t);
	identity_free(&who);
	return gone;
}

/*
 * On the configuration cf: 1 if the request would be refused now, the
 * audit record then saying so and why; 0 to go on.
 */
int
revoke_decide(struct ctx *x, const struct config *cf)
{
	char reason[200];

	if (!decide_again(x, cf, reason, sizeof(reason)))
		return 0;
	x->audit->allow = 0;
	snprintf(x->audit->reason, sizeof(x->audit->reason), "revoked on "
	    "reload: %.150s", reason);
	return 1;
}

/* After a reload: revoke_decide on the configuration file as it is. */
int
revoke_recheck(struct ctx *x)
{
	struct config *cf;
	char err[512];
	int gone;

	if ((cf = config_load(x->cf->path, 1, err, sizeof(err))) == NULL) {
		logmsg(LOG_WARNING, "uid %u: %s not decided again after the "
		    "reload: %s", (unsigned)x->who->uid, x->req->name, err);
		return 0;
	}
	gone = revoke_decide(x, cf);
	config_free(cf);
	return gone;
}

/* The answer of a follow ended so (exit 3: not permitted, now). */
void
revoke_set_out(struct ctx *x)
{
	set_out(x, EXIT_NOTFOUND, "access to %s was revoked", x->req->name);
	x->audit->result = "revoked";
}
