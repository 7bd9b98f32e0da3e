/* Terminal filtering of container output (shell/ttyout.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ttyout.h"

static size_t
run(const char *in, size_t len, char *out)
{
	struct ttyout t;
	size_t n;

	ttyout_init(&t);
	n = ttyout_filter(&t, (const unsigned char *)in, len,
	    (unsigned char *)out);
	out[n] = '\0';
	return n;
}

/* Same input fed one byte at a time must give the same output. */
static void
assert_filters(const char *in, const char *want)
{
	char out[1024], split[1024];
	unsigned char buf[1 + TTYOUT_SLACK];
	struct ttyout t;
	size_t i, n = 0, k;

	run(in, strlen(in), out);
	assert_string_equal(out, want);
	ttyout_init(&t);
	for (i = 0; in[i] != '\0'; i++) {
		k = ttyout_filter(&t, (const unsigned char *)in + i, 1, buf);
		memcpy(split + n, buf, k);
		n += k;
	}
	split[n] = '\0';
	assert_string_equal(split, want);
}

static void
test_text_passes(void **state)
{
	assert_filters("hello world\n", "hello world\n");
	assert_filters("tab\there\r\n", "tab\there\r\n");
	assert_filters("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3 \xc2\xa9",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3 \xc2\xa9");
}

static void
test_sgr_passes(void **state)
{
	assert_filters("\x1b[1mbold\x1b[0m", "\x1b[1mbold\x1b[0m");
	assert_filters("\x1b[38;5;196mred\x1b[m", "\x1b[38;5;196mred\x1b[m");
}

static void
test_terminal_attacks_dropped(void **state)
{
	/* title (OSC 0/2), by BEL and by ST */
	assert_filters("a\x1b]0;pwned\x07" "b", "ab");
	assert_filters("a\x1b]2;pwned\x1b\\b", "ab");
	/* OSC 52 clipboard write, OSC 8 hyperlink */
	assert_filters("\x1b]52;c;ZWNobyBwd25lZA==\x07x", "x");
	assert_filters("\x1b]8;;http://evil/\x07link\x1b]8;;\x07", "link");
	/* DCS (e.g. DECRQSS, tmux passthrough), APC, PM, SOS */
	assert_filters("\x1bP$qm\x1b\\x", "x");
	assert_filters("\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\y", "y");
	/* cursor, erase, scroll region, modes, bracketed paste, reports */
	assert_filters("\x1b[2J\x1b[H\x1b[1;1r\x1b[?1049h\x1b[?2004l\x1b[6n.",
	    ".");
	/* SGR look-alikes with other bytes are not SGR */
	assert_filters("\x1b[?1m\x1b[>4;2m\x1b[1 m.", ".");
	/* other escapes: RIS, DECSC, charset switching, keypad */
	assert_filters("\x1b" "c\x1b" "7\x1b(0\x1b=.", ".");
	/* C0 controls other than tab, CR, LF; DEL */
	assert_filters("a\x07\x08\x0b\x0c\x0e\x0f\x7f" "b", "ab");
	/* C1 controls raw, and UTF-8 encoded (U+009B is CSI to xterm) */
	assert_filters("a\x9b" "2J\x9d" "0;t\x07" "b", "a2J0;tb");
	assert_filters("a\xc2\x9b" "2J" "b", "a2Jb");
	assert_filters("a\xc2\x90" "b", "ab");
}

static void
test_unterminated_string_ends(void **state)
{
	static char in[TTYOUT_STR_MAX + 64];
	char out[sizeof(in)];

	memcpy(in, "\x1b]0;", 4);
	memset(in + 4, 'x', TTYOUT_STR_MAX + 10);
	memcpy(in + 4 + TTYOUT_STR_MAX + 10, "\nok", 3);
	run(in, 4 + TTYOUT_STR_MAX + 13, out);
	assert_non_null(strstr(out, "ok"));
	assert_true(strlen(out) < 32);
}

static void
test_long_csi_dropped(void **state)
{
	char in[200];

	memset(in, 0, sizeof(in));
	memcpy(in, "\x1b[", 2);
	memset(in + 2, '1', 150);
	strcat(in, "mX");
	assert_filters(in, "X");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_passes),
		cmocka_unit_test(test_sgr_passes),
		cmocka_unit_test(test_terminal_attacks_dropped),
		cmocka_unit_test(test_unterminated_string_ends),
		cmocka_unit_test(test_long_csi_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
