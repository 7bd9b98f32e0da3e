/*
 * Parsing of a command's words, driven by verb_table alone.
 *
 * Invariants:
 * 1. A verb, an option and an option's type exist only in verb_table;
 *    verbs for root callers (VF_ADMIN) do not exist in the shell.
 * 2. A word starting with '-' before "--" is an option; one the verb
 *    does not have is an error, never a container name.
 * 3. A container or template name is accepted only if name_valid()
 *    accepts it; a verb that takes a name gets exactly one (VF_MULTI:
 *    one or more; VF_NAMES: any number), create gets one template and
 *    at most one name; can gets nothing, or a verb and one name or
 *    template for it. A container NAME may be ENGINE/NAME, split at its
 *    one '/' and sent as "engine" and "name", the engine checked by
 *    engine_valid(); never create's, whose template names the engine.
 *    Its NAME may be KIND:NAME, KIND "service" or "container" exactly,
 *    sent as "kind"; never create's, and stats' never names a service.
 *    scale takes its NAME and then a count, 0 to REPLICAS_MAX.
 * 4. Option values are checked with the parsers the broker uses; a time
 *    is sent as the user wrote it, a number as the number parsed.
 * 5. On error nothing is kept: the caller gets -1 and a message.
 * 6. A refused command is hostile when one of its words holds what no
 *    word may hold unquoted (lex_plain) or is longer than any name, or
 *    it has more than ARGS_MAX_WORDS words and no command to run;
 *    otherwise it was a mistake (unknown verb or option, wrong operands,
 *    a value out of range).
 * 7. exec's command, the words after its NAME (after "--", or from the
 *    first word that is not an option), is taken verbatim: the one
 *    place where a word is not a name, a number or a time. It is bounded
 *    (ARGV_MAX_WORDS words in ARGV_MAX_BYTES) and, as every word, holds
 *    no control byte (lex.c); the broker checks it again.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "names.h"

#define LONGOPT_MAX	32
#define KIND_MAX_LEN	(sizeof("container") - 1)

static int	args_error(char *, size_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));

static int
args_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Stores one option; value is NULL for a flag. */
static int
set_opt(struct cmd *c, const struct optspec *o, const char *value,
    char *err, size_t errlen)
{
	struct timespec ts;
	unsigned long u;
	json_t *j = NULL;
	long l;

	if (o->key == NULL) {		/* shell-only */
		if (o->type == OPT_FLAG && strcmp(o->longopt, "json") == 0)
			c->json = 1;
		else if (o->type == OPT_FLAG && strcmp(o->longopt, "raw") == 0)
			c->raw = 1;
		else if (o->type == OPT_FLAG && strcmp(o->longopt, "quiet") == 0)
			c->quiet = 1;
		else if (o->type == OPT_FLAG &&
		    strcmp(o->longopt, "no-stream") == 0)
			c->no_stream = 1;
		else
			return args_error(err, errlen,
			    "option --%s is not supported", o->longopt);
		return 0;
	}
	switch (o->type) {
	case OPT_FLAG:
		j = json_true();
		break;
	case OPT_UINT:
		if (uint_parse(value, o->max, &u) == -1)
			return args_error(err, errlen,
			    "--%s: '%.32s' is not a number from 0 to %lu",
			    o->longopt, value, o->max);
		j = json_integer((json_int_t)u);
		break;
	case OPT_TAIL:
		if (tail_parse(value, o->max, &l) == -1)
			return args_error(err, errlen,
			    "--%s: '%.32s' is not a number from 0 to %lu "
			    "or \"all\"", o->longopt, value, o->max);
		j = json_integer((json_int_t)l);
		break;
	case OPT_TIME:
		if (time_parse(value, time(NULL), &ts) == -1)
			return args_error(err, errlen,
			    "--%s: '%.32s' is not a time "
			    "(2026-01-02T15:04:05Z, 1700000000 or 10m)",
			    o->longopt, value);
		j = json_string(value);
		break;
	}
	if (j == NULL || json_object_set_new(c->opts, o->key, j) == -1)
		return args_error(err, errlen, "out of memory");
	return 0;
}

/* The value of an option that takes one: attached, or the next word. */
static const char *
opt_value(const struct optspec *o, const char *attached, int argc,
    char *const argv[], int *i, char *err, size_t errlen)
{
	if (attached != NULL)
		return attached;
	if (*i + 1 < argc)
		return argv[++*i];
	args_error(err, errlen, "option --%s needs a value (%s)", o->longopt,
	    o->metavar != NULL ? o->metavar : "VALUE");
	return NULL;
}

/* --name, --name=value or --name value. */
static int
parse_long(struct cmd *c, int argc, char *const argv[], int *i, char *err,
    size_t errlen)
{
	const struct optspec *o = NULL;
	const char *arg = argv[*i] + 2, *eq, *value = NULL;
	char name[LONGOPT_MAX + 1];
	size_t n;

	eq = strchr(arg, '=');
	n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	if (n > 0 && n <= LONGOPT_MAX) {
		memcpy(name, arg, n);
		name[n] = '\0';
		o = opt_find_long(c->verb, name);
	}
	if (o == NULL)
		return args_error(err, errlen,
		    "unknown option '--%.*s' for %s (try 'help %s')",
		    (int)(n > LONGOPT_MAX ? LONGOPT_MAX : n), arg,
		    c->verb->name, c->verb->name);
	if (o->type == OPT_FLAG) {
		if (eq != NULL)
			return args_error(err, errlen,
			    "option --%s takes no value", o->longopt);
		return set_opt(c, o, NULL, err, errlen);
	}
	value = opt_value(o, eq != NULL ? eq + 1 : NULL, argc, argv, i, err,
	    errlen);
	if (value == NULL)
		return -1;
	return set_opt(c, o, value, err, errlen);
}

/* -f, -ft, -n 10, -n10, -fn 10. */
static int
parse_short(struct cmd *c, int argc, char *const argv[], int *i, char *err,
    size_t errlen)
{
	const struct optspec *o;
	const char *p = argv[*i] + 1, *value;

	if (*p == '\0')
		return args_error(err, errlen, "unknown option '-' for %s",
		    c->verb->name);
	for (; *p != '\0'; p++) {
		if ((o = opt_find_short(c->verb, *p)) == NULL)
			return args_error(err, errlen,
			    "unknown option '-%c' for %s (try 'help %s')", *p,
			    c->verb->name, c->verb->name);
		if (o->type == OPT_FLAG) {
			if (set_opt(c, o, NULL, err, errlen) == -1)
				return -1;
			continue;
		}
		value = opt_value(o, p[1] != '\0' ? p + 1 : NULL, argc, argv,
		    i, err, errlen);
		if (value == NULL)
			return -1;
		return set_opt(c, o, value, err, errlen);
	}
	return 0;
}

/*
 * The part of word before sep into dst (at most max bytes), checked by
 * valid. Returns where the rest starts (word itself: no sep), or NULL.
 */
static const char *
split_at(const char *word, int sep, char *dst, size_t max,
    int (*valid)(const char *))
{
	const char *p = strchr(word, sep);
	size_t len;

	if (p == NULL)
		return word;
	len = (size_t)(p - word);
	if (len > max)
		return NULL;
	memcpy(dst, word, len);
	dst[len] = '\0';
	return valid(dst) ? p + 1 : NULL;
}

int
args_target(const char *word, struct target *t)
{
	memset(t, 0, sizeof(*t));
	if ((word = split_at(word, '/', t->engine, ENGINE_MAX_LEN,
	    engine_valid)) == NULL || (word = split_at(word, ':', t->kind,
	    KIND_MAX_LEN, kind_valid)) == NULL || !name_valid(word))
		return -1;
	t->name = word;
	return 0;
}

/* The longest word that may be an operand of its form. */
static size_t
target_max(const char *word)
{
	return NAME_MAX_LEN +
	    (strchr(word, '/') != NULL ? ENGINE_MAX_LEN + 1 : 0) +
	    (strchr(word, ':') != NULL ? KIND_MAX_LEN + 1 : 0);
}

/* The verb whose operands the command takes: can's VERB, once given. */
static const struct verb *
shape(const struct cmd *c)
{
	return c->of != NULL ? c->of : c->verb;
}

/* scale's N, after its NAME: the request's "replicas". */
static int
count(struct cmd *c, const char *arg, char *err, size_t errlen)
{
	unsigned long n;

	if (json_object_get(c->opts, "replicas") != NULL)
		return args_error(err, errlen, "%s takes one name and a count",
		    c->verb->name);
	if (uint_parse(arg, REPLICAS_MAX, &n) == -1)
		return args_error(err, errlen, "%s: '%.32s' is not a count "
		    "from 0 to %d", c->verb->name, arg, REPLICAS_MAX);
	if (json_object_set_new(c->opts, "replicas",
	    json_integer((json_int_t)n)) == -1)
		return args_error(err, errlen, "out of memory");
	return 0;
}

/* Whether arg is scale's count: after the NAME, "-1" too, to refuse it. */
static int
counting(const struct cmd *c, const char *arg)
{
	return (c->verb->flags & VF_COUNT) && c->of == NULL &&
	    c->word != NULL && (arg[0] != '-' || isdigit((unsigned char)arg[1]));
}

static int
operand(struct cmd *c, const char *arg, char *err, size_t errlen)
{
	const struct verb *v = shape(c);
	struct target t;

	if ((v->flags & VF_CAN) && c->of == NULL) {
		if (!verb_askable(c->of = args_verb(arg))) {
			c->of = NULL;
			return args_error(err, errlen, "can asks about a verb "
			    "on a container or a template, not '%.64s'", arg);
		}
		return 0;
	}
	if ((v->flags & VF_TEMPLATE) && c->tmpl == NULL) {
		if (!name_valid(arg))
			return args_error(err, errlen,
			    "invalid template name '%.64s'", arg);
		c->tmpl = arg;
		return 0;
	}
	if (v->flags & VF_TEMPLATE) {
		if (c->word != NULL)
			return args_error(err, errlen,
			    "%s takes a template and at most one name",
			    v->name);
		if (args_target(arg, &t) == 0 && t.engine[0] != '\0')
			return args_error(err, errlen, "%s takes a plain NAME, "
			    "not '%.64s': the template names the engine",
			    v->name, arg);
		if (args_target(arg, &t) == 0 && t.kind[0] != '\0')
			return args_error(err, errlen, "%s takes a plain NAME, "
			    "not '%.64s': it makes a container", v->name, arg);
		if (!name_valid(arg))
			return args_error(err, errlen,
			    "invalid container name '%.64s'", arg);
	} else if (counting(c, arg))
		return count(c, arg, err, errlen);
	else if (v->flags & VF_NAME) {
		if (c->word != NULL && (c->of != NULL ||
		    !(v->flags & (VF_MULTI | VF_NAMES))))
			return args_error(err, errlen,
			    "%s takes one container name", v->name);
		if (args_target(arg, &t) == -1)
			return args_error(err, errlen,
			    "invalid container name '%.64s'", arg);
		if ((v->flags & VF_NAMES) && c->of == NULL &&
		    strcmp(t.kind, "service") == 0)
			return args_error(err, errlen, "%s shows containers, "
			    "not a service: '%.64s'", v->name, arg);
		if (c->nnames == LEX_MAX_WORDS)
			return args_error(err, errlen, "too many names");
		c->names[c->nnames++] = arg;
		if (c->word != NULL)
			return 0;
	} else if (v->flags & VF_OPTNAME) {
		if (c->word != NULL)
			return args_error(err, errlen,
			    "%s takes at most one command", v->name);
		if (args_verb(arg) == NULL)
			return args_error(err, errlen,
			    "unknown command '%.64s' (try 'help')", arg);
	} else
		return args_error(err, errlen, "%s takes no arguments",
		    v->name);
	c->word = arg;
	return 0;
}

static enum refusal
refusal_of(int argc, char *const argv[])
{
	const struct verb *v = argc > 0 ? args_verb(argv[0]) : NULL;
	size_t len;
	int i;

	if (argc > ARGS_MAX_WORDS && (v == NULL || !(v->flags & VF_ARGV)))
		return REFUSAL_HOSTILE;
	for (i = 0; i < argc; i++) {
		len = strlen(argv[i]);
		if (len > target_max(argv[i]) || !lex_plain(argv[i], len))
			return REFUSAL_HOSTILE;
	}
	return REFUSAL_USAGE;
}

/* exec's command: argv from its first word; 0, or -1 with err. */
static int
command(struct cmd *c, int argc, char *const argv[], char *err,
    size_t errlen)
{
	size_t used = 0;
	int i;

	if (argc == 0)
		return args_error(err, errlen, "%s needs a command to run "
		    "(%s NAME [--] CMD [ARG...])", c->verb->name,
		    c->verb->name);
	if (argc > ARGV_MAX_WORDS)
		return args_error(err, errlen, "command too long (more than "
		    "%d words)", ARGV_MAX_WORDS);
	for (i = 0; i < argc; i++)
		used += strlen(argv[i]) + 1;
	if (used > ARGV_MAX_BYTES)
		return args_error(err, errlen, "command too long (more than "
		    "%d bytes)", ARGV_MAX_BYTES);
	if (argv[0][0] == '\0')
		return args_error(err, errlen, "empty command");
	c->argv = argv;
	c->argc = argc;
	return 0;
}

/* Whether argv[i] starts exec's command: a name is already there. */
static int
command_starts(const struct cmd *c, const char *arg, int endopts)
{
	return (c->verb->flags & VF_ARGV) && c->word != NULL &&
	    (endopts || arg[0] != '-' || strcmp(arg, "--") == 0);
}

static int
parse(int argc, char *const argv[], struct cmd *c, char *err, size_t errlen)
{
	int i, endopts = 0, rc = 0;

	memset(c, 0, sizeof(*c));
	if (argc < 1)
		return args_error(err, errlen, "no command");
	if ((c->verb = args_verb(argv[0])) == NULL)
		return args_error(err, errlen,
		    "unknown command '%.64s' (try 'help')", argv[0]);
	if (argc > ARGS_MAX_WORDS && !(c->verb->flags & VF_ARGV))
		return args_error(err, errlen, "too many words (more than %d)",
		    ARGS_MAX_WORDS);
	if ((c->opts = json_object()) == NULL)
		return args_error(err, errlen, "out of memory");
	for (i = 1; i < argc && rc == 0; i++) {
		if (command_starts(c, argv[i], endopts)) {
			i += strcmp(argv[i], "--") == 0;
			rc = command(c, argc - i, argv + i, err, errlen);
			break;
		}
		if (endopts || argv[i][0] != '-' || counting(c, argv[i]))
			rc = operand(c, argv[i], err, errlen);
		else if (strcmp(argv[i], "--") == 0)
			endopts = 1;
		else if (argv[i][1] == '-')
			rc = parse_long(c, argc, argv, &i, err, errlen);
		else
			rc = parse_short(c, argc, argv, &i, err, errlen);
	}
	if (rc == 0 && (c->verb->flags & VF_STREAM) && !c->no_stream &&
	    json_object_set_new(c->opts, "stream", json_true()) == -1)
		rc = args_error(err, errlen, "out of memory");
	if (rc == 0 && (c->verb->flags & VF_ARGV) && c->word != NULL &&
	    c->argv == NULL)
		rc = command(c, 0, argv + argc, err, errlen);
	if (rc == 0 && (((shape(c)->flags & VF_NAME) && c->word == NULL &&
	    (c->of != NULL || !(c->verb->flags & VF_NAMES))) ||
	    ((shape(c)->flags & VF_TEMPLATE) && c->tmpl == NULL))) {
		rc = args_error(err, errlen, "%s needs a %s name",
		    shape(c)->name, shape(c)->flags & VF_TEMPLATE ?
		    "template" : "container");
	}
	if (rc == 0 && (c->verb->flags & VF_COUNT) && c->of == NULL &&
	    json_object_get(c->opts, "replicas") == NULL)
		rc = args_error(err, errlen, "%s needs a count (%s NAME N)",
		    c->verb->name, c->verb->name);
	if (rc != 0)
		args_free(c);
	return rc;
}

int
args_parse(int argc, char *const argv[], struct cmd *c, char *err,
    size_t errlen)
{
	if (parse(argc, argv, c, err, errlen) == 0)
		return 0;
	c->refused = refusal_of(argc, argv);
	return -1;
}

void
args_free(struct cmd *c)
{
	json_decref(c->opts);
	memset(c, 0, sizeof(*c));
}

static int
argv_list(const struct cmd *c, json_t *req)
{
	json_t *a;
	int i;

	if ((a = json_array()) == NULL ||
	    json_object_set_new(req, "argv", a) == -1)
		return -1;
	for (i = 0; i < c->argc; i++)
		if (json_array_append_new(a, json_string(c->argv[i])) == -1)
			return -1;
	return 0;
}

/* "engine", "kind" and "name" of a [ENGINE/][KIND:]NAME operand. */
static int
target_set(json_t *obj, const char *word)
{
	struct target t;

	if (args_target(word, &t) == -1)	/* operand() checked it */
		return -1;
	if ((t.engine[0] != '\0' && json_object_set_new(obj, "engine",
	    json_string(t.engine)) == -1) || (t.kind[0] != '\0' &&
	    json_object_set_new(obj, "kind", json_string(t.kind)) == -1))
		return -1;
	return json_object_set_new(obj, "name", json_string(t.name));
}

/*
 * A "names" entry: NAME, or {"engine": ENGINE, "name": NAME}; a
 * "container:" said is what every entry means.
 */
static json_t *
names_entry(const char *word)
{
	struct target t;

	if (args_target(word, &t) == -1)
		return NULL;
	if (t.engine[0] == '\0')
		return json_string(t.name);
	return json_pack("{s:s, s:s}", "engine", t.engine, "name", t.name);
}

/* VF_NAMES: every name in one "names" list; none means all. */
static int
names_list(const struct cmd *c, json_t *req)
{
	json_t *a;
	int i;

	if (c->nnames == 0)
		return 0;
	if ((a = json_array()) == NULL ||
	    json_object_set_new(req, "names", a) == -1)
		return -1;
	for (i = 0; i < c->nnames; i++)
		if (json_array_append_new(a, names_entry(c->names[i])) == -1)
			return -1;
	return 0;
}

json_t *
args_request(const struct cmd *c)
{
	const char *word = c->word;
	json_t *req;

	if ((req = json_object()) == NULL)
		return NULL;
	if (c->of == NULL && (c->verb->flags & VF_NAMES))
		word = NULL;
	if (json_object_set_new(req, "verb", json_string(c->verb->name)) ||
	    (c->of != NULL &&
	    json_object_set_new(req, "of", json_string(c->of->name))) ||
	    (c->tmpl != NULL &&
	    json_object_set_new(req, "template", json_string(c->tmpl))) ||
	    (word != NULL && (shape(c)->flags & VF_TEMPLATE) &&
	    json_object_set_new(req, "name", json_string(word))) ||
	    (word != NULL && (shape(c)->flags & VF_NAME) &&
	    target_set(req, word) == -1) ||
	    (c->of == NULL && (c->verb->flags & VF_NAMES) &&
	    names_list(c, req) == -1) ||
	    (c->argv != NULL && argv_list(c, req) == -1) ||
	    (json_object_size(c->opts) > 0 &&
	    json_object_set(req, "opts", c->opts)))
		goto fail;
	return req;
fail:
	json_decref(req);
	return NULL;
}

void
args_usage(const struct verb *v, char *buf, size_t len)
{
	const struct optspec *o;
	size_t n;

	n = (size_t)snprintf(buf, len, "%s", v->name);
	for (o = v->opts; o->longopt != NULL && n < len; o++) {
		if (o->shortopt != 0)
			n += (size_t)snprintf(buf + n, len - n, " [-%c",
			    o->shortopt);
		else
			n += (size_t)snprintf(buf + n, len - n, " [--%s",
			    o->longopt);
		if (n < len && o->type != OPT_FLAG)
			n += (size_t)snprintf(buf + n, len - n, " %s",
			    o->metavar != NULL ? o->metavar : "VALUE");
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "]");
	}
	if (n < len && (v->flags & VF_CAN))
		snprintf(buf + n, len - n, " [VERB NAME | create TEMPLATE]");
	else if (n < len && (v->flags & VF_TEMPLATE))
		snprintf(buf + n, len - n, " TEMPLATE [NAME]");
	else if (n < len && (v->flags & VF_NAMES))
		snprintf(buf + n, len - n, " [NAME...]");
	else if (n < len && (v->flags & VF_MULTI))
		snprintf(buf + n, len - n, " NAME...");
	else if (n < len && (v->flags & VF_ARGV))
		snprintf(buf + n, len - n, " NAME [--] CMD [ARG...]");
	else if (n < len && (v->flags & VF_COUNT))
		snprintf(buf + n, len - n, " NAME N");
	else if (n < len && (v->flags & VF_NAME))
		snprintf(buf + n, len - n, " NAME");
	else if (n < len && (v->flags & VF_OPTNAME))
		snprintf(buf + n, len - n, " [COMMAND]");
}

const struct verb *
args_verb(const char *name)
{
	const struct verb *v;

	if ((v = verb_find(name)) == NULL || (v->flags & VF_ADMIN))
		return NULL;
	return v;
}

int
args_is_self(const char *word)
{
	size_t n = strlen(word);

	return strcmp(word, "ctl") == 0 ||
	    (n >= 4 && strcmp(word + n - 4, "/ctl") == 0);
}
