/* The one table of verbs and their options, read by shell and broker. */
#ifndef CTL_VERBS_H
#define CTL_VERBS_H

#include <time.h>
#include <jansson.h>

enum verb_id {
	VERB_LS,
	VERB_STATUS,
	VERB_START,
	VERB_STOP,
	VERB_RESTART,
	VERB_LOGS,
	VERB_STATS,
	VERB_CREATE,
	VERB_RM,
	VERB_FORGET,
	VERB_CAN,
	VERB_INSPECT,		/* granted with status (confutil.c) */
	VERB_EXEC,
	VERB_SCALE,
	VERB_PROVISION,		/* root only: pam_ctl at session open */
	VERB_UNPROVISION,	/* root only: pam_ctl at session close */
	VERB_DAEMON,		/* root only: ctld status */
	VERB_HELP,		/* local to the shell */
	VERB_EXIT,		/* local to the shell */
	VERB_COUNT
};

enum opt_type {
	OPT_FLAG,		/* JSON true */
	OPT_UINT,		/* JSON integer 0..max */
	OPT_TAIL,		/* "all" or an integer 0..max, sent as integer, -1 all */
	OPT_TIME		/* a Docker time value, sent as string */
};

struct optspec {
	char		 shortopt;	/* 0: none */
	const char	*longopt;	/* NULL ends a list */
	const char	*key;		/* key in "opts"; NULL: shell only */
	enum opt_type	 type;
	unsigned long	 max;
	const char	*metavar;
	const char	*help;
};

#define VF_NAME		0x01	/* takes exactly one container NAME */
#define VF_LOCAL	0x02	/* handled by the shell, never sent */
#define VF_OPTNAME	0x04	/* takes an optional word (help VERB) */
#define VF_ADMIN	0x08	/* root callers only; not in the shell */
#define VF_USER		0x10	/* takes "user": the account to act for */
#define VF_TEMPLATE	0x20	/* takes a TEMPLATE and an optional NAME */
#define VF_CAN		0x40	/* takes an optional VERB, then its operands */
#define VF_MULTI	0x80	/* the shell takes several NAMEs: a request each */
#define VF_NAMES	0x100	/* or "names", zero or more; none: all the
				   caller's (one request) */

#define VF_STREAM	0x200	/* the shell asks for a stream ("stream": true)
				   unless --no-stream */

#define VF_ARGV		0x400	/* NAME, then a command: "argv" */
#define VF_COUNT	0x800	/* NAME, then a count: opts "replicas",
				   required */

#define NAMES_MAX	64	/* names in one request's "names" */
#define ENGINES_MAX	64	/* engines in a welcome's "engines" */
#define ARGV_MAX_BYTES	16384	/* exec's argv, each word and its NUL */
#define ARGV_MAX_WORDS	1024
#define REPLICAS_MAX	100000	/* scale's "replicas" */

struct verb {
	const char		*name;
	enum verb_id		 id;
	unsigned		 flags;
	const struct optspec	*opts;
	const char		*summary;
};

extern const struct verb verb_table[];

const struct verb	*verb_find(const char *name);
const struct verb	*verb_by_id(enum verb_id id);
const struct optspec	*opt_find_long(const struct verb *, const char *);
const struct optspec	*opt_find_short(const struct verb *, char);
const struct optspec	*opt_find_key(const struct verb *, const char *);

/* Whether s is a "kind": "service" or "container". */
int			 kind_valid(const char *s);

/* Whether can may ask about v: a verb on a container or a template. */
int			 verb_askable(const struct verb *v);

#define VERB_BIT(v)	(1u << (v))

/* The verbs in mask (VERB_BIT) that a request may name, as a JSON array. */
json_t			*verb_names(unsigned mask);

/* A decoded, validated request, as the broker acts on it. */
struct request {
	const struct verb	*verb;
	const struct verb	*of;		/* can's VERB; NULL: none */
	char			 name[129];	/* "" when the verb has none */
	char			 engine[65];	/* name's engine; "": not said */
	char			 kind[16];	/* name's kind, "service" or
						   "container"; "": not said */
	char			 names[NAMES_MAX][129];	/* VF_NAMES: "names" */
	char			 names_engine[NAMES_MAX][65];	/* each one's
						   engine; "": not said */
	size_t			 nnames;	/* 0: none given (stats: all) */
	int			 stream;	/* stats: samples until the end */
	char			 user[33];	/* VF_USER verbs only */
	char			 template[129];	/* VF_TEMPLATE verbs only */
	int			 force;
	int			 follow;
	int			 timestamps;
	long			 tail;		/* -1: all */
	long			 time;		/* -1: Docker's default */
	long			 replicas;	/* scale's count; -1: absent */
	int			 detach;	/* restart -d: do not wait */
	int			 has_since, has_until;
	struct timespec		 since, until;
	int			 prompt;	/* the client can answer one */
	int			 interactive;	/* exec -i: stdin attached */
	int			 tty;		/* exec -t */
	long			 rows, cols;	/* exec -t: the window; 0 unknown */
	size_t			 argc;		/* exec: words in argbuf */
	unsigned short		 argoff[ARGV_MAX_WORDS];
	char			 argbuf[ARGV_MAX_BYTES];
};

/*
 * Decodes a REQUEST message strictly: known verb that is not local,
 * a valid name exactly when the verb takes one (and a valid engine and
 * kind only beside a name of a verb on a container), only that verb's
 * option keys with values of the right type. Returns 0 or -1 with a
 * message in why (static or in whybuf).
 */
int	request_decode(json_t *msg, time_t now, struct request *req,
	    char *whybuf, size_t whylen);

#endif
