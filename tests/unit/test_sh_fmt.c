/* Unit tests for shell/fmt.c: what reaches the user's terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "fmt.h"

static void
test_safe(void **state)
{
	char buf[64];
	int c;

	fmt_safe(buf, sizeof(buf), "web-1 Up 2 hours");
	assert_string_equal(buf, "web-1 Up 2 hours");
	fmt_safe(buf, sizeof(buf), "a\033[31mb\033]0;x\007c");
	assert_string_equal(buf, "a?[31mb?]0;x?c");
	fmt_safe(buf, sizeof(buf), "caf\xc3\xa9\x7f\r\n\t");
	assert_string_equal(buf, "caf??????");
	for (c = 1; c < 256; c++) {
		char in[2] = { (char)c, '\0' };

		fmt_safe(buf, sizeof(buf), in);
		if (c >= 0x20 && c < 0x7f)
			assert_int_equal(buf[0], c);
		else
			assert_int_equal(buf[0], '?');
	}
	fmt_safe(buf, 4, "abcdef");
	assert_string_equal(buf, "abc");
	buf[0] = 'x';
	fmt_safe(buf, 0, "abc");
	assert_int_equal(buf[0], 'x');
}

/* docker stats's NET I/O and BLOCK I/O: decimal, 3 digits. */
static void
test_size(void **state)
{
	char buf[32];

	fmt_size(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0B");
	fmt_size(buf, sizeof(buf), 999);
	assert_string_equal(buf, "999B");
	fmt_size(buf, sizeof(buf), 1234);
	assert_string_equal(buf, "1.23kB");
	fmt_size(buf, sizeof(buf), 15700000);
	assert_string_equal(buf, "15.7MB");
	fmt_size(buf, sizeof(buf), -5);
	assert_string_equal(buf, "0B");
}

static void
test_bytes(void **state)
{
	char buf[32];

	fmt_bytes(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0B");
	fmt_bytes(buf, sizeof(buf), 512);
	assert_string_equal(buf, "512B");
	fmt_bytes(buf, sizeof(buf), 1024);
	assert_string_equal(buf, "1KiB");
	fmt_bytes(buf, sizeof(buf), 13148160);
	assert_string_equal(buf, "12.54MiB");
	fmt_bytes(buf, sizeof(buf), 2087354368);
	assert_string_equal(buf, "1.944GiB");
	fmt_bytes(buf, sizeof(buf), 1536.0 * 1024 * 1024 * 1024 * 1024);
	assert_string_equal(buf, "1.5PiB");
	fmt_bytes(buf, sizeof(buf), -5);
	assert_string_equal(buf, "0B");
}

static void
test_json(void **state)
{
	char buf[32];
	json_t *v;

	fmt_json(buf, sizeof(buf), NULL);
	assert_string_equal(buf, "-");
	fmt_json(buf, sizeof(buf), json_null());
	assert_string_equal(buf, "-");
	v = json_string("run\033ning");
	fmt_json(buf, sizeof(buf), v);
	assert_string_equal(buf, "run?ning");
	json_decref(v);
	v = json_string("");
	fmt_json(buf, sizeof(buf), v);
	assert_string_equal(buf, "-");
	json_decref(v);
	v = json_integer(-3);
	fmt_json(buf, sizeof(buf), v);
	assert_string_equal(buf, "-3");
	json_decref(v);
	v = json_real(0.5);
	fmt_json(buf, sizeof(buf), v);
	assert_string_equal(buf, "0.5");
	json_decref(v);
	fmt_json(buf, sizeof(buf), json_true());
	assert_string_equal(buf, "yes");
	fmt_json(buf, sizeof(buf), json_false());
	assert_string_equal(buf, "no");
	v = json_object();
	fmt_json(buf, sizeof(buf), v);
	assert_string_equal(buf, "-");
	json_decref(v);
}

/* ENGINE/NAME only when asked and the row has an engine; made safe. */
static void
test_target(void **state)
{
	char buf[64];
	json_t *row;

	row = json_pack("{s:s, s:s}", "name", "web", "engine", "build02");
	fmt_target(buf, sizeof(buf), row, 1);
	assert_string_equal(buf, "build02/web");
	fmt_target(buf, sizeof(buf), row, 0);
	assert_string_equal(buf, "web");
	fmt_target(buf, 6, row, 1);
	assert_string_equal(buf, "build");
	fmt_target(buf, 9, row, 1);
	assert_string_equal(buf, "build02/");
	json_decref(row);
	row = json_pack("{s:s, s:s}", "name", "w\033b", "engine", "e\007x");
	fmt_target(buf, sizeof(buf), row, 1);
	assert_string_equal(buf, "e?x/w?b");
	json_decref(row);
	row = json_pack("{s:s, s:s}", "name", "web", "engine", "");
	fmt_target(buf, sizeof(buf), row, 1);
	assert_string_equal(buf, "web");
	json_decref(row);
	row = json_pack("{s:s, s:i}", "name", "web", "engine", 2);
	fmt_target(buf, sizeof(buf), row, 1);
	assert_string_equal(buf, "web");
	json_decref(row);
	row = json_pack("{s:s}", "engine", "local");
	fmt_target(buf, sizeof(buf), row, 1);
	assert_string_equal(buf, "local/-");
	json_decref(row);
}

/* docker ps's "2 hours ago": seconds, minutes, hours, days. */
static void
test_ago(void **state)
{
	static const struct {
		long		 d;
		const char	*want;
	} cases[] = {
		{ -1, "in the future" }, { 0, "just now" }, { 1, "just now" },
		{ 2, "2 seconds ago" }, { 119, "119 seconds ago" },
		{ 120, "2 minutes ago" }, { 7199, "119 minutes ago" },
		{ 7200, "2 hours ago" }, { 2 * 86400 - 1, "47 hours ago" },
		{ 2 * 86400, "2 days ago" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_ago(buf, sizeof(buf), 1700000000 - cases[i].d, 1700000000);
		assert_string_equal(buf, cases[i].want);
	}
}

/* docker service ls's REPLICAS: running/desired, "-" for what is not said. */
static void
test_replicas(void **state)
{
	char buf[64];
	json_t *row;

	row = json_pack("{s:i, s:i}", "running", 1, "desired", 3);
	fmt_replicas(buf, sizeof(buf), row);
	assert_string_equal(buf, "1/3");
	fmt_replicas(buf, 3, row);
	assert_string_equal(buf, "1/");
	json_decref(row);
	row = json_pack("{s:i, s:s}", "running", 0, "desired", "x\033");
	fmt_replicas(buf, sizeof(buf), row);
	assert_string_equal(buf, "0/x?");
	json_decref(row);
	fmt_replicas(buf, sizeof(buf), NULL);
	assert_string_equal(buf, "-/-");
}

/* docker service ps's CURRENT STATE: "Running 5 minutes ago". */
static void
test_since(void **state)
{
	char buf[64];
	json_t *st = json_string("running"), *at;

	at = json_string("2023-11-14T22:13:20.123456789Z");	/* 1700000000 */
	fmt_since(buf, sizeof(buf), st, at, 1700000000 + 300);
	assert_string_equal(buf, "Running 5 minutes ago");
	fmt_since(buf, sizeof(buf), st, NULL, 1700000000);
	assert_string_equal(buf, "Running");
	fmt_since(buf, 8, st, at, 1700000000 + 300);
	assert_string_equal(buf, "Running");
	fmt_since(buf, 10, st, at, 1700000000 + 300);
	assert_string_equal(buf, "Running 5");
	json_decref(at);
	at = json_string("yesterday");
	fmt_since(buf, sizeof(buf), st, at, 1700000000);
	assert_string_equal(buf, "Running");
	json_decref(at);
	json_decref(st);
	st = json_string("\033[2Jshutdown");
	fmt_since(buf, sizeof(buf), st, NULL, 0);
	assert_string_equal(buf, "?[2Jshutdown");
	json_decref(st);
	fmt_since(buf, sizeof(buf), NULL, NULL, 0);
	assert_string_equal(buf, "-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safe),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_target),
		cmocka_unit_test(test_ago),
		cmocka_unit_test(test_replicas),
		cmocka_unit_test(test_since),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
