/*
 * sudo-style re-authentication before sensitive verbs.
 *
 * Invariants:
 * 1. A verb in reauth.verbs runs only after pam_authenticate succeeded
 *    for this user in this request, or a valid ticket for this user and
 *    login session exists (ticket.c).
 * 2. Every failed attempt is its own audit record; the password is never
 *    in one.
 * 3. PAM gets reauth.pam_timeout in all. A module that never answers
 *    ends this session with a refusal that is sent and audited from the
 *    timer's handler, using only write(2) on bytes prepared in
 *    advance; other sessions, in other processes, go on.
 * 4. PAM is never called for a client that cannot answer a prompt, nor
 *    for a uid that failures.c has locked or whose attempts in flight
 *    already fill its budget: each pam_authenticate is reserved there
 *    first and settled after. A lock is audited once, by the first
 *    request it turns away; later ones in the same lock get the same
 *    answer and no record of their own.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <unistd.h>

#include "ctld.h"

static int guard_fd = -1;
static char guard_done[512];
static size_t guard_done_len;
static char guard_audit[4096];
static size_t guard_audit_len;

static void
on_alarm(int sig)
{
	ssize_t n;

	(void)sig;
	n = write(guard_fd, guard_done, guard_done_len);
	(void)n;	/* nothing more can be done for this client */
	auditlog_raw(guard_audit, guard_audit_len);
	_exit(1);
}

/* Prepares the timeout answer and audit line, then arms the timer. */
static int
guard_arm(const struct config *cf, int fd, const struct audit_rec *a)
{
	struct audit_rec t = *a;
	struct itimerval it = { 0 };
	const char *msg = "{\"exit\":4,\"error\":\"authentication timed out\"}";
	size_t len = strlen(msg);
	ssize_t n;

	t.allow = 0;
	t.exit = EXIT_AUTH;
	t.result = "authentication timed out";
	snprintf(t.reason, sizeof(t.reason), "PAM did not answer within "
	    "%g seconds", cf->pam_timeout_ms / 1000.0);
	if ((n = auditlog_render(&t, guard_audit, sizeof(guard_audit))) == -1)
		return -1;
	guard_audit_len = (size_t)n;
	proto_put_header((unsigned char *)guard_done, FRAME_DONE,
	    (uint32_t)len);
	memcpy(guard_done + PROTO_HDR_LEN, msg, len);
	guard_done_len = PROTO_HDR_LEN + len;
	guard_fd = fd;
	it.it_value.tv_sec = cf->pam_timeout_ms / 1000;
	it.it_value.tv_usec = (cf->pam_timeout_ms % 1000) * 1000;
	signal(SIGALRM, on_alarm);
	if (setitimer(ITIMER_REAL, &it, NULL) == -1) {
		signal(SIGALRM, SIG_DFL);
		return -1;
	}
	return 0;
}

static void
guard_disarm(void)
{
	static const struct itimerval off;

	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	guard_fd = -1;
}

struct failctx {
	const struct config	*cf;
	const struct identity	*who;
	struct audit_rec	*a;
};

static int
before(void *arg, int attempt, char *err, size_t errlen)
{
	struct failctx *fc = arg;
	int wait_s, first;

	switch (failures_reserve(&fc->cf->failures, fc->who->uid, getpid(),
	    failures_now(), &wait_s, &first)) {
	case GRANT_OK:
		return 0;
	case GRANT_LOCKED:
		snprintf(err, errlen, "too many failed passwords; try again "
		    "in %d s", wait_s);
		if (!first)
			fc->a->quiet = 1;	/* the lock is on record */
		break;
	case GRANT_BUSY:
		snprintf(err, errlen, "too many password attempts at once; "
		    "try again when they have ended");
		break;
	case GRANT_FULL:
		snprintf(err, errlen, "cannot count failed passwords");
		break;
	}
	return -1;
}

static void
after(void *arg, int attempt, enum try_result o, const char *why)
{
	struct failctx *fc = arg;
	struct audit_rec t = *fc->a;

	failures_settle(&fc->cf->failures, fc->who->uid, getpid(), o,
	    failures_now());
	if (o != TRY_FAILED)
		return;
	t.allow = 0;
	t.exit = EXIT_AUTH;
	t.result = "authentication failed";
	snprintf(t.reason, sizeof(t.reason), "PAM authentication attempt %d: "
	    "%s", attempt, why);
	auditlog_write(fc->cf, &t);
}

static const struct auth_hooks hooks = { before, after };

int
reauth(const struct config *cf, const struct identity *who,
    const struct peer *peer, int fd, int can_prompt, struct audit_rec *a,
    char *msg, size_t msglen)
{
	struct failctx fc = { cf, who, a };
	char err[256];
	int rc;

	if (ticket_valid(cf, who->uid, peer)) {
		strncat(a->reason, "; re-authenticated earlier (ticket)",
		    sizeof(a->reason) - strlen(a->reason) - 1);
		return 0;
	}
	if (!can_prompt) {
		snprintf(msg, msglen, "a password is needed: use ssh -t, or "
		    "ctl -S to read it from standard input");
		snprintf(a->reason, sizeof(a->reason), "re-authentication "
		    "needed, and the client cannot answer a prompt");
		a->allow = 0;
		return -1;
	}
	if (guard_arm(cf, fd, a) == -1) {
		snprintf(msg, msglen, "authentication failed");
		snprintf(a->reason, sizeof(a->reason), "cannot prepare audit");
		a->allow = 0;
		return -1;
	}
	rc = auth_verify(cf, who, peer, fd, &hooks, &fc, err, sizeof(err));
	guard_disarm();
	if (rc == -1) {
		snprintf(msg, msglen, "%s%s", strncmp(err, "too many", 8) == 0 ?
		    "" : "authentication failed: ", err);
		snprintf(a->reason, sizeof(a->reason), "re-authentication "
		    "failed: %.150s", err);
		a->allow = 0;
		return -1;
	}
	if (ticket_write(cf, who->uid, peer) == -1)
		logmsg(LOG_WARNING, "cannot write a ticket in %s",
		    cf->ticket_dir);
	strncat(a->reason, "; re-authenticated",
	    sizeof(a->reason) - strlen(a->reason) - 1);
	return 0;
}
