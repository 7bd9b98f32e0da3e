/*
 * A whole session (broker/session.c) on a socketpair: the client's
 * frames go in first, then session_run, then what the client received,
 * what dockerd (the fake) was asked and what was audited. PAM runs a
 * service of the test's own (pam_permit or pam_deny, auth_pam_confdir).
 */
#include <sys/socket.h>

#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bk_util.h"

#define HELLO	"{\"proto\":1}"

static struct bk *b;
static struct answer a;
static char me[64];

static int
setup(void **state)
{
	struct passwd *pw = getpwuid(getuid());

	assert_non_null(pw);
	snprintf(me, sizeof(me), "%s", pw->pw_name);
	b = bk_start("reauth = { verbs = [\"restart\"]; dir = \"@DIR@/t\";"
	    " tries = 1; };\n");
	return 0;
}

static int
teardown(void **state)
{
	answer_free(&a);
	bk_stop(b);
	return 0;
}

/* The client's frames (type, text, ..., 0), then the session. */
static void
session(int type, ...)
{
	va_list ap;
	int sv[2];

	answer_free(&a);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	va_start(ap, type);
	for (; type != 0; type = va_arg(ap, int))
		bk_send(sv[1], type, va_arg(ap, const char *));
	va_end(ap);
	shutdown(sv[1], SHUT_WR);
	session_run(b->cf, sv[0], getuid(), getgid(), getpid());
	close(sv[0]);
	bk_read(sv[1], &a);
	close(sv[1]);
}

static void
test_status(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, me, NULL, 1, 0);
	session(FRAME_HELLO, HELLO, FRAME_REQUEST,
	    "{\"verb\":\"status\",\"name\":\"web\"}", 0);
	assert_true(a.welcome);
	assert_int_equal(a.exit, 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    a.done, "data"), "id")), ID_WEB);
	assert_int_equal(fe_count(b->fe), 1);
	assert_string_equal(bk_audit_str(b, "user"), me);
	assert_string_equal(bk_audit_str(b, "verb"), "status");
	assert_string_equal(bk_audit_str(b, "result"), "ok");
	assert_int_equal(bk_audit_count(b), 1);
}

static void
test_name_mismatch(void **state)
{
	bk_container(b, "web", "/other", ID_WEB, me, NULL, 1, 0);
	session(FRAME_HELLO, HELLO, FRAME_REQUEST,
	    "{\"verb\":\"stop\",\"name\":\"web\"}", 0);
	assert_int_equal(a.exit, EXIT_NOTFOUND);
	assert_string_equal(a.error, "no such container: web");
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

static void
test_protocol_errors(void **state)
{
	session(FRAME_HELLO, "{\"proto\":2}", 0);
	assert_int_equal(a.exit, EXIT_FAIL);
	assert_string_equal(a.error, "protocol version 2 not supported "
	    "(broker speaks 1)");
	assert_false(a.welcome);
	assert_string_equal(bk_audit_str(b, "reason"),
	    "protocol version mismatch");

	session(FRAME_REQUEST, "{\"verb\":\"ls\"}", 0);
	assert_int_equal(a.exit, EXIT_USAGE);
	assert_string_equal(a.error, "protocol error: unexpected frame type "
	    "(waiting for hello)");

	session(FRAME_HELLO, "[1]", 0);
	assert_int_equal(a.exit, EXIT_USAGE);

	session(FRAME_HELLO, HELLO, FRAME_REQUEST, "{\"verb\":\"fly\"}", 0);
	assert_true(a.welcome);
	assert_int_equal(a.exit, EXIT_USAGE);
	assert_string_equal(a.error, "unknown verb");

	session(FRAME_HELLO, HELLO, FRAME_REQUEST,
	    "{\"verb\":\"stop\",\"name\":\"web\",\"opts\":{\"bad\":1}}", 0);
	assert_int_equal(a.exit, EXIT_USAGE);
	assert_string_equal(bk_audit_str(b, "verb"), "stop");

	/* the client left: nothing to answer, nothing asked of dockerd */
	session(FRAME_HELLO, HELLO, 0);
	assert_true(a.welcome);
	assert_int_equal(a.exit, -1);
	session(0);
	assert_int_equal(a.frames, 0);
	assert_int_equal(fe_count(b->fe), 0);
}

static void
test_account_refused(void **state)
{
	bk_pam(b, "account required pam_deny.so\n");
	session(FRAME_HELLO, HELLO, FRAME_REQUEST, "{\"verb\":\"ls\"}", 0);
	assert_false(a.welcome);
	assert_int_equal(a.exit, EXIT_AUTH);
	assert_non_null(strstr(a.error, "account refused: "));
	assert_non_null(strstr(bk_audit_str(b, "reason"),
	    "PAM account (ctltest): "));
	assert_int_equal(fe_count(b->fe), 0);
}

/* restart needs re-authentication: PAM says yes, a ticket is left. */
static void
test_reauth(void **state)
{
	bk_container(b, "web", "/web", ID_WEB, me, NULL, 1, 0);
	fe_json(b->fe, "POST", "/v1.41/containers/*/restart", 204, NULL);
	/* a client that cannot answer a prompt is refused before PAM */
	session(FRAME_HELLO, HELLO, FRAME_REQUEST,
	    "{\"verb\":\"restart\",\"name\":\"web\"}", 0);
	assert_int_equal(a.exit, EXIT_AUTH);
	assert_non_null(strstr(a.error, "a password is needed: use ssh -t"));
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
	assert_int_equal(failures_init(), 0);	/* as ctld's main does */
	session(FRAME_HELLO, HELLO, FRAME_REQUEST,
	    "{\"verb\":\"restart\",\"name\":\"web\",\"prompt\":true}", 0);
	assert_int_equal(a.exit, 0);
	assert_non_null(strstr(bk_audit_str(b, "reason"),
	    "re-authenticated"));
	assert_string_equal(bk_audit_str(b, "result"), "restarted");
}

/*
 * The client leaves at the password prompt (its side is shut after the
 * request): the attempt is cancelled, not failed, and the frame the
 * failed receive left behind is wiped within its bounds.
 */
static void
test_reauth_client_leaves_at_the_prompt(void **state)
{
	bk_pam(b, "auth required pam_exec.so expose_authtok /bin/true\n"
	    "account required pam_permit.so\n");
	bk_container(b, "web", "/web", ID_WEB, me, NULL, 1, 0);
	assert_int_equal(failures_init(), 0);
	session(FRAME_HELLO, HELLO, FRAME_REQUEST,
	    "{\"verb\":\"restart\",\"name\":\"web\",\"prompt\":true}", 0);
	assert_int_equal(a.exit, EXIT_AUTH);
	assert_non_null(strstr(bk_audit_str(b, "reason"),
	    "the client left before answering"));
	assert_int_equal(bk_audit_count(b), 1);	/* no failed attempt */
	assert_int_equal(fe_count_prefix(b->fe, "POST"), 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_status),
		T(test_name_mismatch),
		T(test_protocol_errors),
		T(test_account_refused),
		T(test_reauth),
		T(test_reauth_client_leaves_at_the_prompt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
