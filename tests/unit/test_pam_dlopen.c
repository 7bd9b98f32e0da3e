/*
 * dlopen smoke test of pam_ctl.so: it loads with every symbol resolved
 * (RTLD_NOW), exports the PAM entry points, and nothing else: the
 * version script and -fvisibility=hidden keep the common code and the
 * module's own helpers out of the process that loads it (sshd).
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void *
load(void)
{
	void *h;

	h = dlopen(PAM_CTL_SO, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		fail_msg("dlopen %s: %s", PAM_CTL_SO, dlerror());
	return h;
}

static void
test_exports(void **state)
{
	static const char *const want[] = {
		"pam_sm_acct_mgmt",
		"pam_sm_open_session",
		"pam_sm_close_session",
	};
	void *h;
	size_t i;

	h = load();
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (dlsym(h, want[i]) == NULL)
			fail_msg("%s not exported", want[i]);
	assert_int_equal(dlclose(h), 0);
}

/* Module types it does not implement are absent, not stubs. */
static void
test_no_other_entry_points(void **state)
{
	static const char *const absent[] = {
		"pam_sm_authenticate",
		"pam_sm_setcred",
		"pam_sm_chauthtok",
	};
	void *h;
	size_t i;

	h = load();
	for (i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		if (dlsym(h, absent[i]) != NULL)
			fail_msg("%s is exported", absent[i]);
	assert_int_equal(dlclose(h), 0);
}

static void
test_internals_hidden(void **state)
{
	static const char *const hidden[] = {
		/* common/ */
		"proto_send", "proto_send_json", "proto_recv", "proto_json",
		"proto_parse_header", "proto_put_header", "proto_type_name",
		"user_valid", "name_valid", "uint_parse", "tail_parse",
		"time_parse", "verb_table", "verb_find", "request_decode",
		/* pam/, shared between its files */
		"opts_parse", "ctl_call", "log_clean",
		/* pam/, static */
		"get_user", "in_group", "summarize", "session", "optdefs",
		"opt_apply", "set_fail", "exchange", "dial", "recv_frame",
		"send_json", "expect_welcome", "on_done", "reply_handlers",
	};
	void *h;
	size_t i;

	h = load();
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (dlsym(h, hidden[i]) != NULL)
			fail_msg("%s is visible", hidden[i]);
	assert_int_equal(dlclose(h), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_no_other_entry_points),
		cmocka_unit_test(test_internals_hidden),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
