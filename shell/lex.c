/*
 * The tokenizer of command lines. It is not a shell: there is no
 * expansion, substitution, escape, redirection or second command.
 *
 * Invariants:
 * 1. A line longer than LEX_MAX_LINE bytes or with more than
 *    LEX_MAX_WORDS words is refused whole.
 * 2. Every byte below 0x20, 0x7f and every byte above 0x7f is refused,
 *    quoted or not; the one exception is a tab between words.
 * 3. Outside quotes a word holds only letters, digits and WORD_PUNCT;
 *    any other character, shell metacharacters first, is refused.
 * 4. '...' and "..." only group: the quotes are removed and what they
 *    held is taken literally. A quote left open is refused.
 * 5. On error no word is returned, and w->refused says whether the line
 *    was hostile (every refusal but a quote left open in a plain line)
 *    or a mistake.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lex.h"

/* Everything a verb, option, name, number or time value needs. */
#define WORD_PUNCT	"_.-=:+/,@%"

static int	lex_error(struct words *, enum refusal, char *, size_t,
		    const char *, ...)
		    __attribute__((__format__(__printf__, 5, 6)));

static int
lex_error(struct words *w, enum refusal why, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	w->argc = 0;
	w->argv[0] = NULL;
	w->refused = why;
	return -1;
}

/* Refuses what invariant 2 names; returns 0 for a plain ASCII byte. */
static int
byte_error(struct words *w, unsigned char c, char *err, size_t errlen)
{
	if (c < 0x20 || c == 0x7f)
		return lex_error(w, REFUSAL_HOSTILE, err, errlen,
		    "unsupported control character 0x%02x", c);
	if (c > 0x7f)
		return lex_error(w, REFUSAL_HOSTILE, err, errlen,
		    "unsupported non-ASCII byte 0x%02x", c);
	return 0;
}

static int
word_char(unsigned char c)
{
	return isascii(c) && (isalnum(c) ||
	    (c != '\0' && strchr(WORD_PUNCT, c) != NULL));
}

int
lex_plain(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!word_char((unsigned char)s[i]) && s[i] != ' ' &&
		    s[i] != '\t' && s[i] != '\'' && s[i] != '"')
			return 0;
	return 1;
}

int
lex_line(const char *line, size_t len, struct words *w, char *err,
    size_t errlen)
{
	char *out = w->buf, *end = w->buf + sizeof(w->buf);
	unsigned char c, quote = 0;
	int inword = 0;
	size_t i;

	w->argc = 0;
	w->argv[0] = NULL;
	w->refused = REFUSAL_NONE;
	if (len > LEX_MAX_LINE)
		return lex_error(w, REFUSAL_HOSTILE, err, errlen,
		    "command too long (more than %d bytes)", LEX_MAX_LINE);
	for (i = 0; i < len; i++) {
		c = (unsigned char)line[i];
		if (!(c == '\t' && quote == 0) &&
		    byte_error(w, c, err, errlen) == -1)
			return -1;
		if (out >= end - 1)	/* cannot happen: len bounds it */
			return lex_error(w, REFUSAL_HOSTILE, err, errlen,
			    "command too long");
		if (quote != 0) {
			if (c == quote)
				quote = 0;
			else
				*out++ = (char)c;
			continue;
		}
		if (c == ' ' || c == '\t') {
			if (inword)
				*out++ = '\0';
			inword = 0;
			continue;
		}
		if (!inword) {
			if (w->argc == LEX_MAX_WORDS)
				return lex_error(w, REFUSAL_HOSTILE, err,
				    errlen, "too many words (more than %d)",
				    LEX_MAX_WORDS);
			w->argv[w->argc++] = out;
			inword = 1;
		}
		if (c == '\'' || c == '"')
			quote = c;
		else if (word_char(c))
			*out++ = (char)c;
		else
			return lex_error(w, REFUSAL_HOSTILE, err, errlen,
			    "unsupported character '%c' "
			    "(ctl runs no shell commands)", c);
	}
	if (quote != 0)		/* a slip, unless what it holds is not */
		return lex_error(w, lex_plain(line, len) ? REFUSAL_USAGE :
		    REFUSAL_HOSTILE, err, errlen, "missing closing %c quote",
		    quote);
	if (inword)
		*out = '\0';
	w->argv[w->argc] = NULL;
	return 0;
}

int
lex_argv(int argc, char *const argv[], struct words *w, char *err,
    size_t errlen)
{
	size_t len, used = 0;
	int i;

	w->argc = 0;
	w->argv[0] = NULL;
	w->refused = REFUSAL_NONE;
	if (argc > LEX_MAX_WORDS)
		return lex_error(w, REFUSAL_HOSTILE, err, errlen,
		    "too many words (more than %d)", LEX_MAX_WORDS);
	for (i = 0; i < argc; i++) {
		len = strlen(argv[i]);
		if (len > LEX_MAX_LINE || used + len + 1 > LEX_MAX_LINE + 1)
			return lex_error(w, REFUSAL_HOSTILE, err, errlen,
			    "command too long (more than %d bytes)",
			    LEX_MAX_LINE);
		memcpy(w->buf + used, argv[i], len + 1);
		w->argv[i] = w->buf + used;
		used += len + 1;
	}
	for (i = 0; (size_t)i < used; i++)
		if (w->buf[i] != '\0' &&
		    byte_error(w, (unsigned char)w->buf[i], err, errlen) == -1)
			return -1;
	w->argc = argc;
	w->argv[argc] = NULL;
	return 0;
}

void
lex_shift(struct words *w)
{
	int i;

	if (w->argc == 0)
		return;
	for (i = 1; i <= w->argc; i++)
		w->argv[i - 1] = w->argv[i];
	w->argc--;
}
