/* Unit tests for shell/lex.c: the command-line tokenizer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lex.h"

static struct words w;
static char err[256];

static int
lex(const char *s)
{
	memset(err, 0, sizeof(err));
	return lex_line(s, strlen(s), &w, err, sizeof(err));
}

static void
assert_words(const char *line, int n, ...)
{
	va_list ap;
	int i;

	assert_int_equal(lex(line), 0);
	assert_int_equal(w.argc, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(w.argv[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(w.argv[n]);
}

static void
assert_refused_as(const char *line, size_t len, const char *msg,
    enum refusal why)
{
	w.argc = 99;
	assert_int_equal(lex_line(line, len, &w, err, sizeof(err)), -1);
	assert_int_equal(w.argc, 0);
	assert_null(w.argv[0]);
	if (strstr(err, msg) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err, msg);
	if (w.refused != why)
		fail_msg("\"%s\" refused as %d, not %d", line, w.refused, why);
}

/* What no one types by mistake: counted by the interactive shell. */
static void
assert_rejected(const char *line, size_t len, const char *msg)
{
	assert_refused_as(line, len, msg, REFUSAL_HOSTILE);
}

static void
test_split(void **state)
{
	assert_words("logs web-1", 2, "logs", "web-1");
	assert_words("  logs \t\t web-1  \t", 2, "logs", "web-1");
	assert_words("ls", 1, "ls");
	assert_words("logs -f -n 100 --since=10m web", 6, "logs", "-f", "-n",
	    "100", "--since=10m", "web");
}

static void
test_empty(void **state)
{
	assert_words("", 0);
	assert_words("   ", 0);
	assert_words("\t \t", 0);
}

static void
test_quotes_group(void **state)
{
	assert_words("\"logs\" x", 2, "logs", "x");
	assert_words("'logs' 'x'", 2, "logs", "x");
	assert_words("'a b'", 1, "a b");
	assert_words("\"a  b\" c", 2, "a  b", "c");
	assert_words("a\"b c\"d", 1, "ab cd");
	assert_words("'it'\"'\"'s'", 1, "it's");
	assert_words("'say \"hi\"'", 1, "say \"hi\"");
	assert_words("''", 1, "");
	assert_words("x '' y", 3, "x", "", "y");
	assert_words("\"\"\"\"", 1, "");
}

static void
test_quotes_are_literal(void **state)
{
	/* Quoted metacharacters pass the lexer; name validation refuses them. */
	assert_words("logs 'a;b'", 2, "logs", "a;b");
	assert_words("logs \"$(id)\"", 2, "logs", "$(id)");
	assert_words("logs '`id`|&<>*?~!#\\'", 2, "logs", "`id`|&<>*?~!#\\");
	assert_words("logs \"$HOME\"", 2, "logs", "$HOME");
}

static void
test_metachars_rejected(void **state)
{
	static const char meta[] = ";&|<>$`\\(){}[]*?~!#^";
	char line[32], msg[64];
	size_t i;

	for (i = 0; meta[i] != '\0'; i++) {
		snprintf(line, sizeof(line), "logs a%cb", meta[i]);
		snprintf(msg, sizeof(msg), "unsupported character '%c'",
		    meta[i]);
		assert_rejected(line, strlen(line), msg);
		assert_non_null(strstr(err, "ctl runs no shell commands"));
		snprintf(line, sizeof(line), "%c", meta[i]);
		assert_rejected(line, strlen(line), msg);
	}
	assert_rejected("logs web; rm -rf /", 18, "';'");
	assert_rejected("logs $(id)", 10, "'$'");
	assert_rejected("logs web && ls", 14, "'&'");
	assert_rejected("ls > /tmp/x", 11, "'>'");
}

static void
test_word_punctuation(void **state)
{
	assert_words("logs --tail=100 --since=2026-01-02T15:04:05+01:00 w", 4,
	    "logs", "--tail=100", "--since=2026-01-02T15:04:05+01:00", "w");
	assert_words("/usr/bin/ctl ls", 2, "/usr/bin/ctl", "ls");
	assert_words("a_b.c-d a,b@c%d", 2, "a_b.c-d", "a,b@c%d");
	assert_words("--since 1700000000.5", 2, "--since", "1700000000.5");
}

static void
test_control_rejected(void **state)
{
	char line[16], quoted[16];
	int c;

	for (c = 0; c < 0x20; c++) {
		snprintf(line, sizeof(line), "ls x");
		line[2] = (char)c;
		snprintf(quoted, sizeof(quoted), "ls 'ax'");
		quoted[5] = (char)c;
		if (c == '\t') {
			assert_int_equal(lex_line(line, 4, &w, err,
			    sizeof(err)), 0);
			assert_int_equal(w.argc, 2);
		} else
			assert_rejected(line, 4, "control character");
		assert_rejected(quoted, 7, "control character");
	}
	assert_rejected("ls\x7f", 3, "control character 0x7f");
	assert_rejected("ls 'a\x7f'", 6, "control character 0x7f");
	assert_rejected("ls\nrm", 5, "control character 0x0a");
	assert_rejected("ls\r", 3, "control character 0x0d");
	assert_rejected("ls\033[31m", 7, "control character 0x1b");
	assert_rejected("ls\0rm", 5, "control character 0x00");
}

static void
test_non_ascii_rejected(void **state)
{
	assert_rejected("logs caf\xc3\xa9", 10, "non-ASCII byte 0xc3");
	assert_rejected("logs 'caf\xc3\xa9'", 12, "non-ASCII byte 0xc3");
	assert_rejected("\x80", 1, "non-ASCII byte 0x80");
	assert_rejected("logs \xff", 6, "non-ASCII byte 0xff");
	assert_rejected("logs \"\xe2\x80\x8b\"", 10, "non-ASCII");
}

static void
test_unbalanced_quotes(void **state)
{
	assert_refused_as("logs \"web", 9, "missing closing \" quote",
	    REFUSAL_USAGE);
	assert_refused_as("logs 'web", 9, "missing closing ' quote",
	    REFUSAL_USAGE);
	assert_refused_as("a\"b", 3, "missing closing", REFUSAL_USAGE);
	assert_refused_as("\"a'", 3, "missing closing \" quote",
	    REFUSAL_USAGE);
	assert_refused_as("'", 1, "missing closing", REFUSAL_USAGE);
	assert_refused_as("'a''", 4, "missing closing", REFUSAL_USAGE);
	assert_refused_as("logs\t'a b", 9, "missing closing", REFUSAL_USAGE);
	/* a slip only if what the open quote holds is plain */
	assert_rejected("logs '$(id)", 11, "missing closing ' quote");
	assert_rejected("logs \"a;b", 9, "missing closing \" quote");
	assert_rejected("logs 'a|b", 9, "missing closing ' quote");
}

static void
test_line_length(void **state)
{
	static char line[LEX_MAX_LINE + 2];

	memset(line, 'a', sizeof(line) - 1);
	assert_int_equal(lex_line(line, LEX_MAX_LINE, &w, err, sizeof(err)),
	    0);
	assert_int_equal(w.argc, 1);
	assert_int_equal(strlen(w.argv[0]), LEX_MAX_LINE);
	assert_rejected(line, LEX_MAX_LINE + 1, "too long");

	/* The most words and separators that fit: storage must hold them. */
	memset(line, ' ', sizeof(line) - 1);
	line[0] = 'x';
	line[LEX_MAX_LINE - 1] = 'y';
	assert_int_equal(lex_line(line, LEX_MAX_LINE, &w, err, sizeof(err)),
	    0);
	assert_int_equal(w.argc, 2);
	assert_string_equal(w.argv[1], "y");
	memset(line, '\'', LEX_MAX_LINE);
	assert_int_equal(lex_line(line, LEX_MAX_LINE, &w, err, sizeof(err)),
	    0);
	assert_int_equal(w.argc, 1);
	assert_string_equal(w.argv[0], "");
}

static void
test_word_count(void **state)
{
	char line[LEX_MAX_WORDS * 3 + 8];
	int i;

	line[0] = '\0';
	for (i = 0; i < LEX_MAX_WORDS; i++)
		strcat(line, "a ");
	assert_int_equal(lex(line), 0);
	assert_int_equal(w.argc, LEX_MAX_WORDS);
	assert_null(w.argv[LEX_MAX_WORDS]);
	strcat(line, "b");
	assert_rejected(line, strlen(line), "too many words");
	line[0] = '\0';
	for (i = 0; i <= LEX_MAX_WORDS; i++)
		strcat(line, "''");
	assert_int_equal(lex(line), 0);		/* adjacent quotes: one word */
	assert_int_equal(w.argc, 1);
}

static void
test_argv(void **state)
{
	char *ok[] = { "logs", "a;b", "$(id)", "", NULL };
	char *ctl[] = { "logs", "a\tb", NULL };
	char *nl[] = { "logs", "a\nb", NULL };
	char *utf[] = { "logs", "caf\xc3\xa9", NULL };
	char *many[LEX_MAX_WORDS + 2];
	static char big[LEX_MAX_LINE + 1];
	char *longv[] = { "logs", big, NULL };
	int i;

	assert_int_equal(lex_argv(4, ok, &w, err, sizeof(err)), 0);
	assert_int_equal(w.argc, 4);
	assert_string_equal(w.argv[1], "a;b");
	assert_string_equal(w.argv[2], "$(id)");
	assert_string_equal(w.argv[3], "");
	assert_null(w.argv[4]);
	assert_ptr_not_equal(w.argv[0], ok[0]);		/* copied */

	assert_int_equal(lex_argv(2, ctl, &w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "control character 0x09"));
	assert_int_equal(w.argc, 0);
	assert_int_equal(w.refused, REFUSAL_HOSTILE);
	assert_int_equal(lex_argv(2, nl, &w, err, sizeof(err)), -1);
	assert_int_equal(lex_argv(2, utf, &w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "non-ASCII byte 0xc3"));

	for (i = 0; i < LEX_MAX_WORDS + 1; i++)
		many[i] = "x";
	many[i] = NULL;
	assert_int_equal(lex_argv(LEX_MAX_WORDS, many, &w, err, sizeof(err)),
	    0);
	assert_int_equal(lex_argv(LEX_MAX_WORDS + 1, many, &w, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "too many words"));
	assert_int_equal(w.refused, REFUSAL_HOSTILE);

	memset(big, 'a', LEX_MAX_LINE - 5);	/* "logs " + big = 4096 */
	assert_int_equal(lex_argv(2, longv, &w, err, sizeof(err)), 0);
	big[LEX_MAX_LINE - 5] = 'a';
	assert_int_equal(lex_argv(2, longv, &w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_int_equal(w.refused, REFUSAL_HOSTILE);
	assert_int_equal(lex_argv(4, ok, &w, err, sizeof(err)), 0);
	assert_int_equal(w.refused, REFUSAL_NONE);
}

static void
test_shift(void **state)
{
	assert_int_equal(lex("ctl logs web"), 0);
	lex_shift(&w);
	assert_int_equal(w.argc, 2);
	assert_string_equal(w.argv[0], "logs");
	assert_string_equal(w.argv[1], "web");
	assert_null(w.argv[2]);
	lex_shift(&w);
	lex_shift(&w);
	assert_int_equal(w.argc, 0);
	assert_null(w.argv[0]);
	lex_shift(&w);
	assert_int_equal(w.argc, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_quotes_group),
		cmocka_unit_test(test_quotes_are_literal),
		cmocka_unit_test(test_metachars_rejected),
		cmocka_unit_test(test_word_punctuation),
		cmocka_unit_test(test_control_rejected),
		cmocka_unit_test(test_non_ascii_rejected),
		cmocka_unit_test(test_unbalanced_quotes),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_word_count),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_shift),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
