/*
 * PAM: the account check on every connection.
 *
 * Invariants:
 * 1. The PAM user is the name looked up from the kernel's uid, never a
 *    name the client sent.
 * 2. Any PAM result but PAM_SUCCESS denies, including "new password
 *    required" (ctl cannot change passwords); so does a locked password
 *    (usermod -L), which pam_unix's account stack does not check.
 * 3. PAM's messages reach the user only through prompt frames on this
 *    connection; answers are wiped after use and never logged.
 * 4. PAM_TTY and PAM_RHOST come from /proc (struct peer), never from the
 *    client's words.
 * 5. At most reauth.tries attempts per request, each one allowed by the
 *    caller first (failures.c: across connections) and its outcome
 *    reported after, with PAM's failure delay.
 * 6. A client that leaves or stops answering ends the attempts: the one
 *    in progress counts as failed only if a password was answered.
 */
#include <security/pam_appl.h>
#include <pwd.h>
#include <shadow.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ctld.h"

/* NULL: libpam's own search (/etc/pam.d, pam.conf); tests set a dir */
const char *auth_pam_confdir;

struct convctx {
	int		 fd;
	int		 timeout_ms;
	const char	*user;		/* for the password prompt */
	int		 answered;	/* prompts answered in this attempt */
	int		 gone;		/* the client left or cancelled */
	const struct auth_hooks	*hooks;	/* NULL: the account check */
	void		*hctx;
	int		 attempt;
	int		 settled;	/* after() was told this attempt */
};

#define PAM_PASSWORD_PROMPT	"Password: "

static const char *
style_name(int style)
{
	switch (style) {
	case PAM_PROMPT_ECHO_OFF:	return "echo_off";
	case PAM_PROMPT_ECHO_ON:	return "echo_on";
	case PAM_ERROR_MSG:		return "error";
	case PAM_TEXT_INFO:		return "info";
	}
	return NULL;
}

/* Relays one message as a prompt frame; returns the reply text or NULL. */
static char *
relay(struct convctx *cc, const struct pam_message *m)
{
	struct frame *f;
	const char *why, *style = style_name(m->msg_style);
	json_t *j, *t;
	char *answer = NULL;

	char text[128];

	if (style == NULL || cc->gone)
		return NULL;
	/* PAM's plain prompt reads as sudo's; any other passes unchanged */
	if (m->msg_style == PAM_PROMPT_ECHO_OFF && cc->user != NULL &&
	    m->msg != NULL && strcmp(m->msg, PAM_PASSWORD_PROMPT) == 0)
		snprintf(text, sizeof(text), "[ctl] password for %s: ",
		    cc->user);
	else
		snprintf(text, sizeof(text), "%s", m->msg ? m->msg : "");
	j = json_pack("{s:s, s:s}", "style", style, "text",
	    m->msg != NULL && strlen(m->msg) >= sizeof(text) ? m->msg : text);
	if (j == NULL || proto_send_json(cc->fd, FRAME_PROMPT, j) == -1) {
		json_decref(j);
		cc->gone = 1;
		return NULL;
	}
	json_decref(j);
	/* zeroed: a receive that fails leaves len as it found it */
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if (proto_recv(cc->fd, f, cc->timeout_ms, &why) == 1 &&
	    f->type == FRAME_REPLY && (j = proto_json(f, &why)) != NULL) {
		t = json_object_get(j, "text");
		if (json_is_string(t) && json_object_size(j) == 1)
			answer = strdup(json_string_value(t));
		if (json_is_string(t))
			explicit_bzero((char *)json_string_value(t),
			    json_string_length(t));
		json_decref(j);
	}
	explicit_bzero(f->buf, f->len <= PROTO_MAX_LEN ? f->len :
	    sizeof(f->buf));
	free(f);
	if (answer == NULL) {
		cc->gone = 1;	/* closed, timed out, or no proper reply */
		/* settled now, not after PAM's failure delay: a retry at
		   once must not find this attempt still in flight */
		if (cc->hooks != NULL && cc->answered == 0 && !cc->settled) {
			cc->hooks->after(cc->hctx, cc->attempt,
			    TRY_CANCELLED, "the client left before answering");
			cc->settled = 1;
		}
	} else if (m->msg_style == PAM_PROMPT_ECHO_OFF ||
	    m->msg_style == PAM_PROMPT_ECHO_ON)
		cc->answered++;
	return answer;
}

static int
conv(int n, const struct pam_message **msgs, struct pam_response **resp,
    void *arg)
{
	struct pam_response *r;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		r[i].resp = relay(arg, msgs[i]);
		if (r[i].resp == NULL)
			goto fail;
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++)
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	free(r);
	return PAM_CONV_ERR;
}

static int
start(const struct config *cf, const struct identity *id,
    const struct peer *p, struct pam_conv *pc, pam_handle_t **pamh,
    char *err, size_t errlen)
{
	int rc;

	*pamh = NULL;
	rc = auth_pam_confdir != NULL ? pam_start_confdir(cf->pam_service,
	    id->user, pc, auth_pam_confdir, pamh) :
	    pam_start(cf->pam_service, id->user, pc, pamh);
	if (rc != PAM_SUCCESS) {
		snprintf(err, errlen, "pam_start(%s, %s): %s",
		    cf->pam_service, id->user, pam_strerror(*pamh, rc));
		return rc;
	}
	rc = pam_set_item(*pamh, PAM_RUSER, id->user);
	if (rc == PAM_SUCCESS && p != NULL && p->tty[0] != '\0')
		rc = pam_set_item(*pamh, PAM_TTY, p->tty);
	if (rc == PAM_SUCCESS && p != NULL && p->rhost[0] != '\0')
		rc = pam_set_item(*pamh, PAM_RHOST, p->rhost);
	if (rc != PAM_SUCCESS) {
		snprintf(err, errlen, "pam_set_item: %s",
		    pam_strerror(*pamh, rc));
		pam_end(*pamh, rc);
		*pamh = NULL;
	}
	return rc;
}

/*
 * pam_unix's account stack does not look at a locked password, and sshd
 * skips its own check under UsePAM, so a key login of a locked account
 * would get through. "!" before a hash is what usermod -L and passwd -l
 * write; a bare "!" or "*" is an account that never had a password.
 */
static int
locked(const char *user)
{
	struct spwd sp, *res = NULL;
	char buf[4096];

	if (getspnam_r(user, &sp, buf, sizeof(buf), &res) != 0 || res == NULL)
		return 0;
	return sp.sp_pwdp != NULL && sp.sp_pwdp[0] == '!' &&
	    sp.sp_pwdp[1] != '\0' && sp.sp_pwdp[1] != '*' &&
	    sp.sp_pwdp[1] != '!';
}

/*
 * The main process loads the service's PAM modules once and keeps them:
 * every session is a fork, and its pam_start then finds them loaded and
 * relocated (shared pages) instead of loading them again per request.
 * No module function is called here.
 */
static pam_handle_t *preloaded;

static int
no_conv(int n, const struct pam_message **m, struct pam_response **r,
    void *arg)
{
	return PAM_CONV_ERR;
}

void
auth_preload(const struct config *cf)
{
	static struct pam_conv pc = { no_conv, NULL };

	struct passwd pw, *res;
	char buf[4096];

	/* the user and group databases' NSS modules, likewise */
	(void)getpwuid_r(0, &pw, buf, sizeof(buf), &res);
	if (preloaded != NULL)
		pam_end(preloaded, PAM_SUCCESS);
	preloaded = NULL;
	if (pam_start(cf->pam_service, "root", &pc, &preloaded) != PAM_SUCCESS)
		preloaded = NULL;	/* sessions load the modules themselves */
}

int
auth_account(const struct config *cf, const struct identity *id,
    const struct peer *p, int fd, char *err, size_t errlen)
{
	struct convctx cc = { fd, cf->client_timeout * 1000, NULL, 0, 0, NULL,
	    NULL, 0, 0 };
	struct pam_conv pc = { conv, &cc };
	pam_handle_t *pamh;
	int rc;

	if ((rc = start(cf, id, p, &pc, &pamh, err, errlen)) != PAM_SUCCESS)
		return -1;
	rc = pam_acct_mgmt(pamh, PAM_SILENT);
	if (rc != PAM_SUCCESS)
		snprintf(err, errlen, "%s", pam_strerror(pamh, rc));
	else if (locked(id->user)) {
		snprintf(err, errlen, "account is locked");
		rc = PAM_PERM_DENIED;
	}
	pam_end(pamh, rc);
	return rc == PAM_SUCCESS ? 0 : -1;
}

/* Tells the user; the empty reply every prompt gets is read and dropped. */
static void
say(struct convctx *cc, int style, const char *text)
{
	struct pam_message m = { style, text };
	char *answer = relay(cc, &m);

	if (answer != NULL) {
		explicit_bzero(answer, strlen(answer));
		free(answer);
	}
}

/* Results after which asking again makes no sense. */
static int
final(int rc)
{
	return rc == PAM_CONV_ERR || rc == PAM_ABORT || rc == PAM_MAXTRIES ||
	    rc == PAM_BUF_ERR || rc == PAM_SYSTEM_ERR ||
	    rc == PAM_USER_UNKNOWN || rc == PAM_AUTHINFO_UNAVAIL;
}

int
auth_verify(const struct config *cf, const struct identity *id,
    const struct peer *p, int fd, const struct auth_hooks *h, void *ctx,
    char *err, size_t errlen)
{
	struct convctx cc = { fd, cf->client_timeout * 1000, id->user, 0, 0, h,
	    ctx, 0, 0 };
	struct pam_conv pc = { conv, &cc };
	pam_handle_t *pamh;
	int rc, attempt;

	if ((rc = start(cf, id, p, &pc, &pamh, err, errlen)) != PAM_SUCCESS)
		return -1;
	for (attempt = 1; attempt <= cf->reauth_tries; attempt++) {
		if (h->before(ctx, attempt, err, errlen) == -1) {
			rc = PAM_MAXTRIES;
			break;
		}
		cc.answered = 0;
		cc.attempt = attempt;
		cc.settled = 0;
		pam_fail_delay(pamh, (unsigned)cf->fail_delay_ms * 1000);
		rc = pam_authenticate(pamh, 0);
		if (rc == PAM_SUCCESS) {
			h->after(ctx, attempt, TRY_OK, NULL);
			break;
		}
		if (cc.gone && cc.answered == 0) {
			snprintf(err, errlen, "the client left before answering");
			if (!cc.settled)
				h->after(ctx, attempt, TRY_CANCELLED, err);
			break;
		}
		snprintf(err, errlen, "%s", pam_strerror(pamh, rc));
		h->after(ctx, attempt, TRY_FAILED, err);
		if (final(rc) || cc.gone)
			break;
		if (attempt < cf->reauth_tries)
			say(&cc, PAM_ERROR_MSG, "Sorry, try again.");
	}
	if (rc != PAM_SUCCESS && !final(rc) && !cc.gone)
		snprintf(err, errlen, "%d incorrect password attempt%s",
		    cf->reauth_tries, cf->reauth_tries == 1 ? "" : "s");
	pam_end(pamh, rc);
	return rc == PAM_SUCCESS ? 0 : -1;
}
