/* Parsing a command's words against the verb table into a request. */
#ifndef CTL_ARGS_H
#define CTL_ARGS_H

#include <stddef.h>
#include <jansson.h>

#include "lex.h"
#include "names.h"
#include "verbs.h"

struct cmd {
	const struct verb	*verb;
	const struct verb	*of;	/* can's VERB; NULL: none */
	const char		*word;	/* [ENGINE/]NAME, or help's VERB;
					   NULL: none */
	const char		*names[LEX_MAX_WORDS];	/* every [ENGINE/]NAME */
	int			 nnames;
	const char		*tmpl;	/* create's TEMPLATE */
	int			 json;	/* --json: print the data as JSON */
	int			 raw;	/* --raw: no terminal filtering */
	int			 quiet;	/* -q: names only */
	int			 no_stream;	/* --no-stream: one sample */
	char *const		*argv;	/* exec's command: words after NAME */
	int			 argc;
	json_t			*opts;	/* the request's "opts" */
	enum refusal		 refused;	/* after -1: what it was */
};

/*
 * Parses argv[0] (the verb) and its options and operands. Returns 0, or
 * -1 with a message for the user in err and c->refused saying what the
 * refusal was. c->word and c->tmpl point into argv.
 */
int	args_parse(int argc, char *const argv[], struct cmd *c, char *err,
	    size_t errlen);
void	args_free(struct cmd *c);

/*
 * The REQUEST message for a parsed command that is not local: for its
 * word (a VF_MULTI verb sends one per name, word set to each), or a
 * VF_NAMES verb's names.
 */
json_t	*args_request(const struct cmd *c);

/* A container or service operand, split. */
struct target {
	const char	*name;		/* in the word */
	char		 engine[ENGINE_MAX_LEN + 1];	/* "": not said */
	char		 kind[16];	/* "service", "container"; "": not said */
};

/*
 * An operand: [ENGINE/][KIND:]NAME, split at its one '/' and at the ':'
 * after it, KIND "service" or "container" (a Docker name holds no ':').
 * Returns 0, or -1 when word is none of these, its parts checked by
 * name_valid, engine_valid and kind_valid.
 */
int	args_target(const char *word, struct target *t);

/* The verb a user may type: in verb_table and not for root (VF_ADMIN). */
const struct verb *args_verb(const char *name);

/* "logs [-f] [-n N] ... NAME", "stop [-t SECS] NAME...", "scale NAME N", built from the verb's optspecs and flags. */
void	args_usage(const struct verb *v, char *buf, size_t len);

/* Whether word names ctl itself ("ctl", ".../ctl"), to be skipped. */
int	args_is_self(const char *word);

#endif
