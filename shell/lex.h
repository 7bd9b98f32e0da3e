/* Splitting a command line into words: quotes group, nothing expands. */
#ifndef CTL_LEX_H
#define CTL_LEX_H

#include <stddef.h>

#define LEX_MAX_LINE	17408		/* bytes: exec's 16 KiB command, and more */
#define LEX_MAX_WORDS	1040		/* words: exec's 1024, and more */
#define ARGS_MAX_WORDS	32		/* words of a command without one */

/*
 * What a refused command was. Only what no one types by mistake counts
 * towards the interactive shell's limit (shell.warnings); a typo or a
 * usage error is answered with help.
 */
enum refusal {
	REFUSAL_NONE,		/* not refused */
	REFUSAL_USAGE,		/* unknown verb or option, bad operands */
	REFUSAL_HOSTILE,	/* shell syntax, control bytes, overlong */
};

struct words {
	int	 argc;
	char	*argv[LEX_MAX_WORDS + 1];	/* NULL after the last */
	char	 buf[LEX_MAX_LINE + 1];		/* the words, NUL-separated */
	enum refusal refused;			/* after -1: what it was */
};

/*
 * Splits len bytes of line into w. Returns 0, or -1 with a message for
 * the user in err, no words in w and w->refused saying what it was.
 */
int	lex_line(const char *line, size_t len, struct words *w, char *err,
	    size_t errlen);

/* Copies words already split (ctl's own argv), checking each byte. */
int	lex_argv(int argc, char *const argv[], struct words *w, char *err,
	    size_t errlen);

/*
 * Whether len bytes of s hold only what a word may hold unquoted, blanks
 * and quotes: no shell syntax, no other control byte, nothing non-ASCII.
 */
int	lex_plain(const char *s, size_t len);

/* Drops the first word. */
void	lex_shift(struct words *w);

#endif
