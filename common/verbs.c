/*
 * The verb table and the strict decoder of REQUEST messages.
 *
 * Invariants:
 * 1. A verb exists only if it is in verb_table; a local verb is never
 *    accepted from the wire.
 * 2. request_decode accepts a message only if every key is known for
 *    that verb and every value has the type and range the table gives.
 *    Anything else is refused: there is no "ignore unknown".
 * 3. The decoded request holds only validated values (names_valid,
 *    numbers, parsed times), never a client string to pass on.
 * 4. "names" (VF_NAMES verbs, instead of "name") is a list of at most
 *    NAMES_MAX valid names, never empty; an entry may be an object of
 *    exactly "engine" and "name", both valid.
 * 5. "argv" (VF_ARGV verbs, and required there) is a list of 1 to
 *    ARGV_MAX_WORDS words in ARGV_MAX_BYTES, none holding a NUL or a
 *    control byte, the first not empty. It is the one client string
 *    passed on, and only as a JSON string in an exec's Cmd.
 * 6. "engine" (engine_valid) comes only with "name" of a verb on a
 *    container (VF_NAME, can's too), never with create's: a template
 *    names its engine, and no other verb has one to name.
 * 7. "kind" comes only where "engine" may, and is "service" or
 *    "container" exactly.
 * 8. A VF_COUNT verb (scale) is refused without its opts "replicas".
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "verbs.h"

#define TIME_MAX	86400UL
#define TAIL_MAX	100000000UL

static const struct optspec no_opts[] = {
	{ 0, NULL, NULL, OPT_FLAG, 0, NULL, NULL }
};

static const struct optspec json_opts[] = {
	{ 0, "json", NULL, OPT_FLAG, 0, NULL, "print JSON for scripts" },
	{ 0, NULL, NULL, OPT_FLAG, 0, NULL, NULL }
};

static const struct optspec ls_opts[] = {
	{ 'q', "quiet", NULL, OPT_FLAG, 0, NULL,
	    "print the names only, one per line" },
	{ 0, "json", NULL, OPT_FLAG, 0, NULL, "print JSON for scripts" },
	{ 0, NULL, NULL, OPT_FLAG, 0, NULL, NULL }
};

static const struct optspec stop_opts[] = {
	{ 't', "time", "time", OPT_UINT, TIME_MAX, "SECS",
	    "seconds to wait before killing the container" },
	{ 0, NULL, NULL, OPT_FLAG, 0, NULL, NULL }
};

static const struct optspec restart_opts[] = {
	{ 't', "time", "time", OPT_UINT, TIME_MAX, "SECS",
	    "seconds to wait before killing the container" },
	{ 'd', "detach", "detach", OPT_FLAG, 0, NULL,
	    "do not wait for a service's update to converge" },
	{ 0, NULL, NULL, OPT_FLAG, 0, NULL, NULL }
};

static const struct optspec logs_opts[] = {
	{ 'f', "follow", "follow", OPT_FLAG, 0, NULL,
	    "follow log output until interrupted" },
	{ 'n', "tail", "tail", OPT_TAIL, TAIL_MAX, "N",
	    "show the last N lines (or \"all\")" },
	{ 0, "since", "since", OPT_TIME, 0, "T",
	    "show logs since T (2026-01-02T15:04:05Z, 1700000000, 10m)" },
	{ 0, "until", "until", OPT_TIME, 0, "T", "show logs before T" },
	{ 't', "timestamps", "timestamps", OPT_FLAG, 0, NULL,
	    "show timestamps" },
	{ 0, "raw", NULL, OPT_FLAG, 0, NULL,
	    "pass terminal control sequences through to a terminal" },
	{ 0, NULL, NULL, OPT_FLAG, 0, NULL, NULL }
};

static const struct optspec stats_opts[] = {
	{ 0, "no-stream", NULL, OPT_FLAG, 0, NULL,
	    "print one sample and exit (default: until Ctrl-C)" },
	{ 0, "json", NULL, OPT_FLAG, 0, NULL, "print JSON for scripts" },
	{ 0, NULL, NULL, OPT_FLAG, 0, NULL, NULL }
};

static const struct optspec exec_opts[] = {
	{ 'i', "interactive", "interactive", OPT_FLAG, 0, NULL,
	    "pass standard input to the command" },
	{ 't', "tty", "tty", OPT_FLAG, 0, NULL,
	    "give the command a terminal" },
	{ 0, NULL, NULL, OPT_FLAG, 0, NULL, NULL }
};

/* What a request may carry that no shell option sets. */
static const struct optspec stream_opt = { 0, "stream", "stream", OPT_FLAG,
	0, NULL, NULL };
static const struct optspec window_opts[] = {
	{ 0, "rows", "rows", OPT_UINT, 65535, NULL, NULL },
	{ 0, "cols", "cols", OPT_UINT, 65535, NULL, NULL },
};
static const struct optspec replicas_opt = { 0, "replicas", "replicas",
	OPT_UINT, REPLICAS_MAX, "N", NULL };

/* Where each option key lands in a request. */
struct optfield {
	const char	*key;
	size_t		 off;
};

static const struct optfield flag_fields[] = {
	{ "follow", offsetof(struct request, follow) },
	{ "force", offsetof(struct request, force) },
	{ "stream", offsetof(struct request, stream) },
	{ "interactive", offsetof(struct request, interactive) },
	{ "tty", offsetof(struct request, tty) },
	{ "timestamps", offsetof(struct request, timestamps) },
	{ "detach", offsetof(struct request, detach) },
	{ NULL, 0 }
};

static const struct optfield long_fields[] = {
	{ "time", offsetof(struct request, time) },
	{ "rows", offsetof(struct request, rows) },
	{ "cols", offsetof(struct request, cols) },
	{ "replicas", offsetof(struct request, replicas) },
	{ "tail", offsetof(struct request, tail) },
	{ NULL, 0 }
};

static const char *const kinds[] = { "service", "container", NULL };

static const struct optspec rm_opts[] = {
	{ 'f', "force", "force", OPT_FLAG, 0, NULL,
	    "remove a running container (it is killed first)" },
	{ 0, NULL, NULL, OPT_FLAG, 0, NULL, NULL }
};

const struct verb verb_table[] = {
	{ "ls", VERB_LS, 0, ls_opts,
	    "list the containers and services you may use" },
	{ "status", VERB_STATUS, VF_NAME | VF_MULTI, json_opts,
	    "show a container's state and exit code, or a service's tasks" },
	{ "start", VERB_START, VF_NAME | VF_MULTI, no_opts,
	    "start containers, or services (their replicas again)" },
	{ "stop", VERB_STOP, VF_NAME | VF_MULTI, stop_opts,
	    "stop containers, or services (scaled to 0)" },
	{ "restart", VERB_RESTART, VF_NAME | VF_MULTI, restart_opts,
	    "restart containers, or services (a rolling update)" },
	{ "logs", VERB_LOGS, VF_NAME, logs_opts,
	    "show a container's or a service's logs" },
	{ "stats", VERB_STATS, VF_NAME | VF_NAMES | VF_STREAM, stats_opts,
	    "show containers' CPU, memory, network and block I/O, PIDs" },
	{ "create", VERB_CREATE, VF_TEMPLATE, no_opts,
	    "create a container from an admin template" },
	{ "rm", VERB_RM, VF_NAME | VF_MULTI, rm_opts,
	    "remove containers of yours" },
	{ "forget", VERB_FORGET, 0, no_opts,
	    "forget your re-authentication now (as sudo -k)" },
	{ "inspect", VERB_INSPECT, VF_NAME, json_opts,
	    "show a container's image, state, health, ports, mounts, limits" },
	{ "exec", VERB_EXEC, VF_NAME | VF_ARGV, exec_opts,
	    "run a command in a container: exec NAME [-i] [-t] [--] CMD..." },
	{ "scale", VERB_SCALE, VF_NAME | VF_COUNT, no_opts,
	    "set a replicated service's replica count" },
	{ "can", VERB_CAN, VF_CAN, json_opts,
	    "what you may do here, or whether you may run VERB on NAME" },
	{ "provision", VERB_PROVISION, VF_ADMIN | VF_USER, no_opts,
	    "create and start a user's template containers (pam_ctl)" },
	{ "unprovision", VERB_UNPROVISION, VF_ADMIN | VF_USER, no_opts,
	    "stop a user's template containers (pam_ctl)" },
	{ "ctld-status", VERB_DAEMON, VF_ADMIN, no_opts,
	    "what ctld is doing now (ctld status)" },
	{ "help", VERB_HELP, VF_LOCAL | VF_OPTNAME, no_opts,
	    "list commands, or explain one" },
	{ "exit", VERB_EXIT, VF_LOCAL, no_opts, "leave the shell" },
	{ "quit", VERB_EXIT, VF_LOCAL, no_opts, "leave the shell" },
	{ NULL, VERB_COUNT, 0, NULL, NULL }
};

const struct verb *
verb_find(const char *name)
{
	const struct verb *v;

	for (v = verb_table; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

const struct verb *
verb_by_id(enum verb_id id)
{
	const struct verb *v;

	for (v = verb_table; v->name != NULL; v++)
		if (v->id == id)
			return v;
	return NULL;
}

int
verb_askable(const struct verb *v)
{
	return v != NULL && (v->flags & (VF_NAME | VF_TEMPLATE)) &&
	    !(v->flags & (VF_LOCAL | VF_ADMIN));
}

json_t *
verb_names(unsigned mask)
{
	const struct verb *v;
	json_t *a;

	if ((a = json_array()) == NULL)
		return NULL;
	for (v = verb_table; v->name != NULL; v++)
		if ((mask & VERB_BIT(v->id)) &&
		    !(v->flags & (VF_LOCAL | VF_ADMIN)) &&
		    json_array_append_new(a, json_string(v->name)) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

const struct optspec *
opt_find_long(const struct verb *v, const char *name)
{
	const struct optspec *o;

	for (o = v->opts; o->longopt != NULL; o++)
		if (strcmp(o->longopt, name) == 0)
			return o;
	return NULL;
}

const struct optspec *
opt_find_short(const struct verb *v, char c)
{
	const struct optspec *o;

	for (o = v->opts; o->longopt != NULL; o++)
		if (o->shortopt != 0 && o->shortopt == c)
			return o;
	return NULL;
}

const struct optspec *
opt_find_key(const struct verb *v, const char *key)
{
	const struct optspec *o;
	size_t i;

	for (o = v->opts; o->longopt != NULL; o++)
		if (o->key != NULL && strcmp(o->key, key) == 0)
			return o;
	if ((v->flags & VF_STREAM) && strcmp(key, stream_opt.key) == 0)
		return &stream_opt;
	for (i = 0; (v->flags & VF_ARGV) &&
	    i < sizeof(window_opts) / sizeof(window_opts[0]); i++)
		if (strcmp(key, window_opts[i].key) == 0)
			return &window_opts[i];
	if ((v->flags & VF_COUNT) && strcmp(key, replicas_opt.key) == 0)
		return &replicas_opt;
	return NULL;
}

/* The field of req that an option key sets; NULL: none in table f. */
static void *
field_of(const struct optfield *f, const char *key, struct request *req)
{
	for (; f->key != NULL; f++)
		if (strcmp(f->key, key) == 0)
			return (char *)req + f->off;
	return NULL;
}

static int
decode_opt(const struct optspec *o, json_t *val, time_t now,
    struct request *req)
{
	json_int_t n;
	int *flag;
	long *num;

	switch (o->type) {
	case OPT_FLAG:
		if (!json_is_boolean(val) ||
		    (flag = field_of(flag_fields, o->key, req)) == NULL)
			return -1;
		*flag = json_is_true(val);
		return 0;
	case OPT_UINT:
	case OPT_TAIL:
		if (!json_is_integer(val) ||
		    (num = field_of(long_fields, o->key, req)) == NULL)
			return -1;
		n = json_integer_value(val);
		if (n < (o->type == OPT_TAIL ? -1 : 0) ||
		    ((unsigned long long)n > o->max && n != -1))
			return -1;
		*num = (long)n;
		return 0;
	case OPT_TIME:
		if (!json_is_string(val) ||
		    strlen(json_string_value(val)) != json_string_length(val))
			return -1;
		if (strcmp(o->key, "since") == 0) {
			req->has_since = 1;
			return time_parse(json_string_value(val), now,
			    &req->since);
		}
		req->has_until = 1;
		return time_parse(json_string_value(val), now, &req->until);
	}
	return -1;
}

static int
decode_opts(json_t *opts, time_t now, struct request *req, char *whybuf,
    size_t whylen)
{
	const struct optspec *o;
	const char *key;
	json_t *val;

	if (opts == NULL)
		return 0;
	if (!json_is_object(opts)) {
		snprintf(whybuf, whylen, "\"opts\" is not an object");
		return -1;
	}
	json_object_foreach(opts, key, val) {
		o = opt_find_key(req->verb, key);
		if (o == NULL) {
			/* the client's key only if it is a plain word */
			if (strlen(key) <= 32 && strspn(key, "abcdefghijklmnop"
			    "qrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == strlen(key) &&
			    key[0] != '\0')
				snprintf(whybuf, whylen, "%s takes no option "
				    "\"%s\"", req->verb->name, key);
			else
				snprintf(whybuf, whylen, "%s takes no such "
				    "option", req->verb->name);
			return -1;
		}
		if (decode_opt(o, val, now, req) == -1) {
			snprintf(whybuf, whylen, "bad value for option %s",
			    o->longopt);
			return -1;
		}
	}
	return 0;
}

/* can's "of": a verb on a container or a template; only for can. */
static int
decode_of(json_t *of, struct request *req, char *whybuf, size_t whylen)
{
	const char *s = json_string_value(of);

	if (of == NULL)
		return 0;
	if (!(req->verb->flags & VF_CAN)) {
		snprintf(whybuf, whylen, "unknown request field");
		return -1;
	}
	if (s == NULL || strlen(s) != json_string_length(of) ||
	    !verb_askable(req->of = verb_find(s))) {
		req->of = NULL;
		snprintf(whybuf, whylen, "can asks only about a verb on a "
		    "container or a template");
		return -1;
	}
	return 0;
}

/* A JSON string that valid accepts into dst (as large), or an error. */
static int
copy_word(json_t *v, char *dst, int (*valid)(const char *),
    const char *what, char *whybuf, size_t whylen)
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != json_string_length(v) || !valid(s)) {
		snprintf(whybuf, whylen, "invalid %s", what);
		return -1;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* A "names" entry: NAME, or {"engine": ENGINE, "name": NAME} alone. */
static int
decode_entry(json_t *n, char *name, char *engine, char *whybuf,
    size_t whylen)
{
	if (!json_is_object(n))
		return copy_word(n, name, name_valid, "container name",
		    whybuf, whylen);
	if (json_object_size(n) != 2 || json_object_get(n, "name") == NULL ||
	    json_object_get(n, "engine") == NULL) {
		snprintf(whybuf, whylen, "an entry of \"names\" is a name or "
		    "{\"engine\", \"name\"}");
		return -1;
	}
	if (copy_word(json_object_get(n, "engine"), engine, engine_valid,
	    "engine name", whybuf, whylen) == -1)
		return -1;
	return copy_word(json_object_get(n, "name"), name, name_valid,
	    "container name", whybuf, whylen);
}

/* VF_NAMES: 1..NAMES_MAX names, each checked as "name" is. */
static int
decode_names(json_t *names, struct request *req, char *whybuf,
    size_t whylen)
{
	json_t *n;
	size_t i;

	if (names == NULL)
		return 0;
	if (!(req->verb->flags & VF_NAMES) || req->of != NULL) {
		snprintf(whybuf, whylen, "unknown request field");
		return -1;
	}
	if (!json_is_array(names) || json_array_size(names) == 0 ||
	    json_array_size(names) > NAMES_MAX) {
		snprintf(whybuf, whylen, "\"names\" is not a list of 1 to %d "
		    "names", NAMES_MAX);
		return -1;
	}
	json_array_foreach(names, i, n)
		if (decode_entry(n, req->names[i], req->names_engine[i], whybuf,
		    whylen) == -1)
			return -1;
	req->nnames = json_array_size(names);
	return 0;
}

/*
 * "engine": where "name" is, for a verb on a container name; never for
 * create, whose template names its engine.
 */
static int
decode_engine(json_t *engine, int named, unsigned shape,
    struct request *req, char *whybuf, size_t whylen)
{
	const struct verb *v = req->of != NULL ? req->of : req->verb;

	if (engine == NULL)
		return 0;
	if (!(shape & VF_NAME)) {
		snprintf(whybuf, whylen, "%s takes no engine%s", v->name,
		    shape & VF_TEMPLATE ? " (its template names one)" : "");
		return -1;
	}
	if (!named) {
		snprintf(whybuf, whylen, "\"engine\" comes only with \"name\" "
		    "(an entry of \"names\" carries its own)");
		return -1;
	}
	return copy_word(engine, req->engine, engine_valid, "engine name",
	    whybuf, whylen);
}

int
kind_valid(const char *s)
{
	const char *const *k;

	for (k = kinds; *k != NULL; k++)
		if (strcmp(*k, s) == 0)
			return 1;
	return 0;
}

/* "kind": where "engine" may be, to tell a service from a container. */
static int
decode_kind(json_t *kind, int named, unsigned shape, struct request *req,
    char *whybuf, size_t whylen)
{
	const struct verb *v = req->of != NULL ? req->of : req->verb;

	if (kind == NULL)
		return 0;
	if (!(shape & VF_NAME) || !named) {
		snprintf(whybuf, whylen, "%s takes no kind%s", v->name,
		    shape & VF_NAME ? " without \"name\"" : "");
		return -1;
	}
	return copy_word(kind, req->kind, kind_valid, "kind (\"service\" or "
	    "\"container\")", whybuf, whylen);
}

/* A word of a command: no NUL, no control byte; 0 or -1. */
static int
arg_valid(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	return 0;
}

/* VF_ARGV: 1..ARGV_MAX_WORDS words in ARGV_MAX_BYTES, the first not empty. */
static int
decode_argv(json_t *argv, struct request *req, char *whybuf, size_t whylen)
{
	json_t *a;
	size_t i, len, used = 0;

	if (!(req->verb->flags & VF_ARGV)) {
		if (argv == NULL)
			return 0;
		snprintf(whybuf, whylen, "unknown request field");
		return -1;
	}
	if (!json_is_array(argv) || json_array_size(argv) == 0 ||
	    json_array_size(argv) > ARGV_MAX_WORDS) {
		snprintf(whybuf, whylen, "%s needs \"argv\", a list of 1 to "
		    "%d words", req->verb->name, ARGV_MAX_WORDS);
		return -1;
	}
	json_array_foreach(argv, i, a) {
		if (!json_is_string(a) || arg_valid(json_string_value(a),
		    len = json_string_length(a)) == -1 || (i == 0 && len == 0)) {
			snprintf(whybuf, whylen, "invalid command word");
			return -1;
		}
		if (len + 1 > sizeof(req->argbuf) - used) {
			snprintf(whybuf, whylen, "command too long (more than "
			    "%d bytes)", ARGV_MAX_BYTES);
			return -1;
		}
		req->argoff[i] = (unsigned short)used;
		memcpy(req->argbuf + used, json_string_value(a), len + 1);
		used += len + 1;
	}
	req->argc = json_array_size(argv);
	return 0;
}

int
request_decode(json_t *msg, time_t now, struct request *req, char *whybuf,
    size_t whylen)
{
	const char *key, *s;
	json_t *val, *verb = NULL, *name = NULL, *opts = NULL, *user = NULL;
	json_t *tmpl = NULL, *of = NULL, *names = NULL, *argv = NULL;
	json_t *engine = NULL, *kind = NULL;
	unsigned shape;

	memset(req, 0, sizeof(*req));
	req->tail = -1;
	req->time = -1;
	req->replicas = -1;
	json_object_foreach(msg, key, val) {
		if (strcmp(key, "verb") == 0)
			verb = val;
		else if (strcmp(key, "name") == 0)
			name = val;
		else if (strcmp(key, "opts") == 0)
			opts = val;
		else if (strcmp(key, "user") == 0)
			user = val;
		else if (strcmp(key, "template") == 0)
			tmpl = val;
		else if (strcmp(key, "of") == 0)
			of = val;
		else if (strcmp(key, "names") == 0)
			names = val;
		else if (strcmp(key, "argv") == 0)
			argv = val;
		else if (strcmp(key, "engine") == 0)
			engine = val;
		else if (strcmp(key, "kind") == 0)
			kind = val;
		else if (strcmp(key, "prompt") == 0 && json_is_boolean(val))
			req->prompt = json_is_true(val);
		else {
			snprintf(whybuf, whylen, "unknown request field");
			return -1;
		}
	}
	if (!json_is_string(verb) ||
	    strlen(json_string_value(verb)) != json_string_length(verb) ||
	    (req->verb = verb_find(json_string_value(verb))) == NULL ||
	    (req->verb->flags & VF_LOCAL)) {
		snprintf(whybuf, whylen, "unknown verb");
		return -1;
	}
	if (decode_of(of, req, whybuf, whylen) == -1 ||
	    decode_names(names, req, whybuf, whylen) == -1 ||
	    decode_argv(argv, req, whybuf, whylen) == -1)
		return -1;
	shape = req->of != NULL ? req->of->flags : req->verb->flags;
	if (shape & VF_TEMPLATE) {
		if (copy_word(tmpl, req->template, name_valid, "template",
		    whybuf, whylen) == -1 || (name != NULL && copy_word(name,
		    req->name, name_valid, "container name", whybuf,
		    whylen) == -1))
			return -1;
	} else if (tmpl != NULL) {
		snprintf(whybuf, whylen, "unknown request field");
		return -1;
	}
	if ((shape & VF_NAMES) && req->of == NULL && (name == NULL ||
	    names != NULL)) {
		if (name != NULL) {
			snprintf(whybuf, whylen, "\"name\" and \"names\" "
			    "together");
			return -1;
		}
	} else if (shape & VF_NAME) {
		if (name == NULL) {
			snprintf(whybuf, whylen, "%s needs a container name",
			    req->of != NULL ? req->of->name : req->verb->name);
			return -1;
		}
		if (copy_word(name, req->name, name_valid, "container name",
		    whybuf, whylen) == -1)
			return -1;
	} else if (name != NULL && !(shape & VF_TEMPLATE)) {
		snprintf(whybuf, whylen, "%s takes no container name",
		    req->verb->name);
		return -1;
	}
	if (decode_engine(engine, name != NULL, shape, req, whybuf,
	    whylen) == -1 || decode_kind(kind, name != NULL, shape, req,
	    whybuf, whylen) == -1)
		return -1;
	if (req->verb->flags & VF_USER) {
		s = json_string_value(user);
		if (s == NULL || strlen(s) != json_string_length(user) ||
		    !user_valid(s)) {
			snprintf(whybuf, whylen, "%s needs a valid user name",
			    req->verb->name);
			return -1;
		}
		memcpy(req->user, s, strlen(s) + 1);
	} else if (user != NULL) {
		snprintf(whybuf, whylen, "unknown request field");
		return -1;
	}
	if (decode_opts(opts, now, req, whybuf, whylen) == -1)
		return -1;
	if ((req->verb->flags & VF_COUNT) && req->replicas == -1) {
		snprintf(whybuf, whylen, "%s needs \"replicas\" in \"opts\"",
		    req->verb->name);
		return -1;
	}
	return 0;
}
