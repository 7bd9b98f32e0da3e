/* Splitting a command line into words: quotes group, nothing expands. */
#ifndef CTL_LEX_H
#define CTL_LEX_H

#include <stddef.h>

#define LEX_MAX_LINE	4096		/* bytes in one command line */
#define LEX_MAX_WORDS	32		/* words in one command line */

struct words {
	int	 argc;
	char	*argv[LEX_MAX_WORDS + 1];	/* NULL after the last */
	char	 buf[LEX_MAX_LINE + 1];		/* the words, NUL-separated */
};

/*
 * Splits len bytes of line into w. Returns 0, or -1 with a message for
 * the user in err and no words in w.
 */
int	lex_line(const char *line, size_t len, struct words *w, char *err,
	    size_t errlen);

/* Copies words already split (ctl's own argv), checking each byte. */
int	lex_argv(int argc, char *const argv[], struct words *w, char *err,
	    size_t errlen);

/* Drops the first word. */
void	lex_shift(struct words *w);

#endif
