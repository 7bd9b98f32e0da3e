/*
 * Unit tests for common/names.c: container names, numbers and Docker
 * time values, the words a user sends that end up in dockerd requests.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "names.h"

#define NOW	((time_t)1700000000)

/* 2026-11-28T15:04:05Z */
#define T_Z	((time_t)1795878245)
/* 2026-11-28T00:00:00Z */
#define D_Z	((time_t)1795824000)

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void
expect_time(const char *s, time_t sec, long nsec)
{
	struct timespec ts = { -12345, -1 };

	if (time_parse(s, NOW, &ts) != 0)
		fail_msg("time_parse(\"%s\") failed", s);
	if (ts.tv_sec != sec || ts.tv_nsec != nsec)
		fail_msg("time_parse(\"%s\") = %lld.%09ld, want %lld.%09ld",
		    s, (long long)ts.tv_sec, ts.tv_nsec, (long long)sec, nsec);
}

static void
expect_bad_time(const char *s)
{
	struct timespec ts;

	if (time_parse(s, NOW, &ts) != -1)
		fail_msg("time_parse(\"%s\") accepted: %lld.%09ld", s,
		    (long long)ts.tv_sec, ts.tv_nsec);
}

/* name_valid */

static void
test_name_valid(void **state)
{
	static const char *const good[] = { "a", "Z", "0", "web-1",
	    "A.b_c-9", "a..b", "a--", "9_" };
	char s[NAME_MAX_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!name_valid(good[i]))
			fail_msg("name_valid(\"%s\") refused", good[i]);
	memset(s, 'a', NAME_MAX_LEN);
	s[NAME_MAX_LEN] = '\0';
	assert_true(name_valid(s));
}

static void
test_name_invalid(void **state)
{
	static const char *const bad[] = { "", "-x", ".x", "_x", "a/b",
	    "a b", "a%2f", "../x", "a\n", "a;b", "$x", "x$", "a?b", "a#b",
	    "a&b", "a:b", "a\\b", "a\"b", "a'b", "a\tb", "/x", "x/",
	    "\xc3\xa9", "a\xc3\xa9", "a\xff", "\x80", "a\x7f" };
	char s[NAME_MAX_LEN + 2];
	size_t i;

	assert_false(name_valid(NULL));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (name_valid(bad[i]))
			fail_msg("name_valid accepted bad[%zu] \"%s\"", i,
			    bad[i]);
	memset(s, 'a', NAME_MAX_LEN + 1);
	s[NAME_MAX_LEN + 1] = '\0';
	assert_false(name_valid(s));
}

/* Every byte, in first and later position, against the documented set. */
static void
test_name_every_byte(void **state)
{
	char s[3];
	int c, want;

	for (c = 1; c <= 0xff; c++) {
		want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
		s[0] = (char)c;
		s[1] = '\0';
		if (name_valid(s) != want)
			fail_msg("name_valid(\"\\x%02x\") = %d", c, !want);
		want = want || c == '_' || c == '.' || c == '-';
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = '\0';
		if (name_valid(s) != want)
			fail_msg("name_valid(\"a\\x%02x\") = %d", c, !want);
	}
}

/* engine_valid: a name's form, in at most ENGINE_MAX_LEN bytes. */

static void
test_engine_valid(void **state)
{
	static const char *const good[] = { "local", "build02", "B.x_y-9",
	    "0" };
	static const char *const bad[] = { "", "-x", ".x", "_x", "a/b",
	    "build01/", "/x", "a b", "a:b", "a%2f", "a\n", "\xc3\xa9",
	    "a\x7f" };
	char s[ENGINE_MAX_LEN + 2];
	size_t i;
	int c;

	assert_false(engine_valid(NULL));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!engine_valid(good[i]))
			fail_msg("engine_valid(\"%s\") refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (engine_valid(bad[i]))
			fail_msg("engine_valid accepted \"%s\"", bad[i]);
	memset(s, 'e', ENGINE_MAX_LEN);
	s[ENGINE_MAX_LEN] = '\0';
	assert_true(engine_valid(s));
	s[ENGINE_MAX_LEN] = 'e';
	s[ENGINE_MAX_LEN + 1] = '\0';
	assert_false(engine_valid(s));
	assert_true(name_valid(s));
	for (c = 1; c <= 0xff; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = '\0';
		assert_int_equal(engine_valid(s), name_valid(s));
	}
}

/* user_valid: a login name as useradd takes it. */

static void
test_user_valid(void **state)
{
	static const char *const good[] = { "a", "alice", "_svc", "bob-1",
	    "a_b", "build01", "machine$", "x-" };
	static const char *const bad[] = { "", "Alice", "aLice", "1bob",
	    "-bob", "$", "a.b", "a b", "a$b", "a$$", "root\n", "a/b", "a:b",
	    "../root", "\xc3\xa9", "a\xc3\xa9", "*", "a*" };
	char s[40];
	size_t i;

	assert_false(user_valid(NULL));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!user_valid(good[i]))
			fail_msg("user_valid(\"%s\") refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (user_valid(bad[i]))
			fail_msg("user_valid accepted \"%s\"", bad[i]);
	/* 32 bytes at most. */
	memset(s, 'u', 32);
	s[32] = '\0';
	assert_true(user_valid(s));
	s[32] = 'u';
	s[33] = '\0';
	assert_false(user_valid(s));
}

/* uint_parse */

static void
test_uint_valid(void **state)
{
	unsigned long v;

	assert_int_equal(uint_parse("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uint_parse("42", 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(uint_parse("007", 100, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(uint_parse("86400", 86400, &v), 0);
	assert_int_equal(v, 86400);
	assert_int_equal(uint_parse("86401", 86400, &v), -1);
	assert_int_equal(uint_parse("1", 0, &v), -1);
	assert_int_equal(uint_parse("0", 0, &v), 0);
}

static void
test_uint_invalid(void **state)
{
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ",
	    "\t1", "1\n", "0x10", "0X10", "1e3", "1.0", "1,000", "1_000",
	    "a", "\xd9\xa1" };
	unsigned long v;
	size_t i;

	assert_int_equal(uint_parse(NULL, 10, &v), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (uint_parse(bad[i], ULONG_MAX, &v) != -1)
			fail_msg("uint_parse(\"%s\") accepted", bad[i]);
		assert_int_equal(v, 12345);
	}
}

static void
test_uint_overflow(void **state)
{
	unsigned long v;

	/* ULONG_MAX + 1, and far beyond: must not wrap to a small value. */
	assert_int_equal(uint_parse("18446744073709551616", ULONG_MAX, &v),
	    -1);
	assert_int_equal(uint_parse("18446744073709551626", ULONG_MAX, &v),
	    -1);
	assert_int_equal(uint_parse("36893488147419103232", ULONG_MAX, &v),
	    -1);
	assert_int_equal(uint_parse("99999999999999999999999999", ULONG_MAX,
	    &v), -1);
	assert_int_equal(uint_parse("18446744073709551616", 10, &v), -1);
	assert_int_equal(uint_parse("1844674407370955161", ULONG_MAX, &v), 0);
	assert_int_equal(v, 1844674407370955161UL);
}

/* The overflow guard is exact: ULONG_MAX itself is accepted. */
static void
test_uint_max_accepted(void **state)
{
	unsigned long v = 0;

	assert_int_equal(uint_parse("18446744073709551615", ULONG_MAX, &v),
	    0);
	assert_true(v == ULONG_MAX);
	assert_int_equal(uint_parse("18446744073709551610", ULONG_MAX, &v),
	    0);
	assert_true(v == ULONG_MAX - 5);
}

/* tail_parse */

static void
test_tail(void **state)
{
	static const char *const bad[] = { "", "-1", "-2", "+1", "All",
	    "ALL", "all ", " all", "al", "alll", "10a", "0x1", "1.5",
	    "100000001" };
	long v;
	size_t i;

	assert_int_equal(tail_parse("all", 100000000, &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(tail_parse("0", 100000000, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(tail_parse("25", 100000000, &v), 0);
	assert_int_equal(v, 25);
	assert_int_equal(tail_parse("100000000", 100000000, &v), 0);
	assert_int_equal(v, 100000000);
	assert_int_equal(tail_parse(NULL, 100000000, &v), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tail_parse(bad[i], 100000000, &v) != -1)
			fail_msg("tail_parse(\"%s\") accepted: %ld", bad[i],
			    v);
	/* A max that does not fit a long could wrap a value negative. */
	assert_int_equal(tail_parse("9223372036854775808", ULONG_MAX, &v),
	    -1);
	assert_int_equal(tail_parse("1", (unsigned long)LONG_MAX + 1, &v),
	    -1);
}

/* time_parse: durations mean "that long before now". */

static void
test_time_durations(void **state)
{
	expect_time("10m", NOW - 600, 0);
	expect_time("1h30m", NOW - 5400, 0);
	expect_time("1.5h", NOW - 5400, 0);
	expect_time(".5h", NOW - 1800, 0);
	expect_time("90s", NOW - 90, 0);
	expect_time("+90s", NOW - 90, 0);
	expect_time("2h45m30s", NOW - 9930, 0);
	expect_time("2000ms", NOW - 2, 0);
	expect_time("3000000us", NOW - 3, 0);
	expect_time("4000000000ns", NOW - 4, 0);
	expect_time("0s", NOW, 0);
	expect_time("10m0s", NOW - 600, 0);
	/* A negative duration is in the future, as with docker logs. */
	expect_time("-10m", NOW + 600, 0);
}

static void
test_time_zero_is_timestamp(void **state)
{
	/* "0" is the Unix epoch, not a zero duration (that is "0s"). */
	expect_time("0", 0, 0);
}

static void
test_time_bad_durations(void **state)
{
	static const char *const bad[] = { "10x", "m", "1h2", "h", "s",
	    "1..5h", "1.5.h", "1h 2m", " 10m", "10m ", "10M", "10H", "1d",
	    "1w", "1hs", "1e3s", "--10m", "-", "+", "+-1m",
	    "1m-", "0x10m" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_time(bad[i]);
	/* Before the epoch, and absurdly large either way. */
	expect_bad_time("500000h");
	expect_bad_time("99999999999999999999999h");
	expect_time("-2000000h", NOW + 7200000000LL, 0);
	expect_bad_time("-3000000h");
	expect_bad_time("-99999999999999999999999h");
}

/* time_parse: Unix timestamps. */

static void
test_time_unix(void **state)
{
	expect_time("1700000000", 1700000000, 0);
	expect_time("1", 1, 0);
	expect_time("1700000000.5", 1700000000, 500000000);
	expect_time("1700000000.000000001", 1700000000, 1);
	expect_time("1700000000.123456789", 1700000000, 123456789);
	expect_time("1700000000.050", 1700000000, 50000000);
}

static void
test_time_bad_unix(void **state)
{
	static const char *const bad[] = { "1700000000.1234567891",
	    "1700000000.", ".5", "1700000000.5x", "1700000000x", "1e9",
	    "0x10", "1700000000.-5", "1700000000..5", "1234567890123456",
	    "1700000000.5.5" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_time(bad[i]);
}

/* time_parse: RFC 3339 with a zone. */

static void
test_time_rfc3339(void **state)
{
	set_tz("UTC");
	expect_time("2026-11-28T15:04:05Z", T_Z, 0);
	expect_time("2026-11-28T15:04:05z", T_Z, 0);
	expect_time("2026-11-28T15:04:05.123Z", T_Z, 123000000);
	expect_time("2026-11-28T15:04:05.000000001Z", T_Z, 1);
	expect_time("2026-11-28T15:04:05+01:00", T_Z - 3600, 0);
	expect_time("2026-11-28T15:04:05-01:30", T_Z + 5400, 0);
	expect_time("2026-11-28T15:04:05+00:00", T_Z, 0);
	expect_time("2026-11-28T15:04:05.5+01:00", T_Z - 3600, 500000000);
	expect_time("2026-11-28T15:04Z", T_Z - 5, 0);
	expect_time("2026-11-28T15Z", T_Z - 245, 0);
	expect_time("2024-02-29T00:00:00Z", 1709164800, 0);
	/* The zone must win over TZ. */
	set_tz("EST5");
	expect_time("2026-11-28T15:04:05Z", T_Z, 0);
	expect_time("2026-11-28T15:04:05+01:00", T_Z - 3600, 0);
	set_tz("UTC");
}

/*
 * A date with a zone and no time: Docker's layout "2006-01-02Z07:00",
 * midnight in that zone. Sensible, and the zone is honoured.
 */
static void
test_time_date_with_zone(void **state)
{
	set_tz("EST5");
	expect_time("2026-11-28Z", D_Z, 0);
	expect_time("2026-11-28+02:00", D_Z - 7200, 0);
	set_tz("UTC");
}

/* time_parse: no zone means the broker's local time. */

static void
test_time_local(void **state)
{
	set_tz("UTC");
	expect_time("2026-11-28", D_Z, 0);
	expect_time("2026-11-28T15", T_Z - 245, 0);
	expect_time("2026-11-28T15:04", T_Z - 5, 0);
	expect_time("2026-11-28T15:04:05", T_Z, 0);
	expect_time("2026-11-28T15:04:05.25", T_Z, 250000000);
	/* POSIX TZ string, no tzdata needed: five hours behind UTC. */
	set_tz("EST5");
	expect_time("2026-11-28", D_Z + 5 * 3600, 0);
	expect_time("2026-11-28T15:04:05", T_Z + 5 * 3600, 0);
	set_tz("UTC");
}

static void
test_time_bad_dates(void **state)
{
	static const char *const bad[] = { "2026-13-01", "2026-00-10",
	    "2026-11-00", "2026-11-32", "2026-02-30", "2026-02-29",
	    "2026-04-31", "2026-11-28T25:00", "2026-11-28T24:00",
	    "2026-11-28T15:60", "2026-11-28T15:04:60",
	    "2026-11-28T15:04:05+24:00", "2026-11-28T15:04:05+01:60",
	    "2026-11-28T15:04:05+0100", "2026-11-28T15:04:05+01",
	    "2026-11-28T", "2026-11-28T1", "2026-11-28T15:", "2026-11-28T15:4",
	    "2026-11-28T15:04:05.", "2026-11-28T15:04:05.Z",
	    "2026-11-28T15:04:05.1234567891Z", "2026-11-28T15.5",
	    "2026-11-28t15:04:05Z", "2026-11-28 15:04:05",
	    "2026-11-28T15:04:05ZZ", "2026-11-28T15:04:05Z ",
	    "2026-11-28x", "26-11-28", "2026-1-28", "2026/11/28",
	    "2026-11", "-2026-11-28", "20261-11-28", "yesterday", "now",
	    "2026-11-28T15:04:05 UTC", "2026-11-28T15:04:05+01:00:00" };
	size_t i;

	set_tz("UTC");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad_time(bad[i]);
}

static void
test_time_garbage_and_length(void **state)
{
	char s[80];
	int i;

	expect_bad_time(NULL);
	expect_bad_time("");
	expect_bad_time(" ");
	expect_bad_time("$(reboot)");
	expect_bad_time("10m&until=0");
	expect_bad_time("1700000000;rm");
	/* 64 bytes is the limit: "0s" x 32 parses, one more pair does not. */
	s[0] = '\0';
	for (i = 0; i < 32; i++)
		strcat(s, "0s");
	expect_time(s, NOW, 0);
	strcat(s, "0s");
	expect_bad_time(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_name_invalid),
		cmocka_unit_test(test_name_every_byte),
		cmocka_unit_test(test_engine_valid),
		cmocka_unit_test(test_user_valid),
		cmocka_unit_test(test_uint_valid),
		cmocka_unit_test(test_uint_invalid),
		cmocka_unit_test(test_uint_overflow),
		cmocka_unit_test(test_uint_max_accepted),
		cmocka_unit_test(test_tail),
		cmocka_unit_test(test_time_durations),
		cmocka_unit_test(test_time_zero_is_timestamp),
		cmocka_unit_test(test_time_bad_durations),
		cmocka_unit_test(test_time_unix),
		cmocka_unit_test(test_time_bad_unix),
		cmocka_unit_test(test_time_rfc3339),
		cmocka_unit_test(test_time_date_with_zone),
		cmocka_unit_test(test_time_local),
		cmocka_unit_test(test_time_bad_dates),
		cmocka_unit_test(test_time_garbage_and_length),
	};

	set_tz("UTC");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
