/* Running one command: local verbs here, the others through the broker. */
#ifndef CTL_COMMANDS_H
#define CTL_COMMANDS_H

#include <stddef.h>
#include <stdio.h>

#include "lex.h"

/*
 * Runs the command in w (a leading "ctl" word is skipped; no words is
 * no command). Returns its exit code; sets *quit for exit and quit.
 */
int	cmd_run(struct words *w, int *quit);

/*
 * Splits line with lex_line() and runs it. *refused says whether lex.c
 * or args.c refused it, and as what (REFUSAL_NONE: it ran).
 */
int	cmd_run_line(const char *line, size_t len, int *quit,
	    enum refusal *refused);

/* The list of commands, for "help" and "ctl --help". */
void	cmd_help(FILE *fp);

/* The verbs (VERB_BIT) the user may use on something: help marks others. */
void	cmd_set_usable(unsigned mask);

#endif
