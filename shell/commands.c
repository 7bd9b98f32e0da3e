/*
 * Running one command and showing its result.
 *
 * Invariants:
 * 1. A command runs only after args_parse() accepted all of it; a
 *    rejected command sends nothing and exits 2, and the caller learns
 *    whether it was hostile or a mistake (enum refusal).
 * 2. Local verbs (help, exit, quit) never reach the broker; every other
 *    verb is one request on its own connection, and a VF_MULTI verb one
 *    per name. Root-only verbs (VF_ADMIN) are neither listed nor
 *    accepted.
 * 3. What the broker returns is shown through fmt_json() and fmt_safe(),
 *    or as JSON that jansson escapes (--json); never printed raw.
 * 4. Engines are shown only when the welcome listed more than one: with
 *    one, every output is as it was before there were engines. Kinds
 *    are shown only when some row is a service: without, every output
 *    is as it was before there were services.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "can.h"
#include "client.h"
#include "commands.h"
#include "fmt.h"
#include "execio.h"
#include "inspect.h"
#include "names.h"
#include "proto.h"
#include "service.h"
#include "sig.h"
#include "stats.h"
#include "table.h"

static int	run_help(const struct cmd *, int *);
static int	run_exit(const struct cmd *, int *);
static int	show_ls(const struct cmd *, json_t *);
static int	show_status(const struct cmd *, json_t *);
static int	show_change(const struct cmd *, json_t *);
static int	show_stats(const struct cmd *, json_t *);
static int	show_logs(const struct cmd *, json_t *);
static int	show_can(const struct cmd *, json_t *);
static int	show_exec(const struct cmd *, json_t *);

/*
 * Per verb: run here, or show what the broker's done frame carried (a
 * done without data is an error, unless the verb's data is optional).
 */
static const struct handler {
	int	(*local)(const struct cmd *, int *quit);
	int	(*show)(const struct cmd *, json_t *data);
	int	  optional;
	int	  block;	/* several lines: a blank line between names */
	client_sample sample;	/* shows a stream's rounds, JSON too */
	int	  partial;	/* a failing done's data is shown, then its
				   error: the engines that answered */
} handlers[VERB_COUNT] = {
	[VERB_LS] = { NULL, show_ls, .partial = 1 },
	[VERB_STATUS] = { NULL, show_status, 0, 1 },
	[VERB_START] = { NULL, show_change },
	[VERB_STOP] = { NULL, show_change },
	[VERB_RESTART] = { NULL, show_change },
	[VERB_LOGS] = { NULL, show_logs, 1 },
	[VERB_STATS] = { NULL, show_stats, 0, 0, stats_sample },
	[VERB_CREATE] = { NULL, show_change },
	[VERB_RM] = { NULL, show_change },
	[VERB_FORGET] = { NULL, NULL },
	[VERB_CAN] = { NULL, show_can },
	[VERB_INSPECT] = { NULL, inspect_show },
	[VERB_EXEC] = { NULL, show_exec },
	[VERB_SCALE] = { NULL, show_change },
	[VERB_HELP] = { run_help, NULL },
	[VERB_EXIT] = { run_exit, NULL },
};

/* "web-1: started", or "web-1: already running" when data's key is false. */
static const struct {
	const char	*key;
	const char	*changed;
	const char	*unchanged;
} change_text[VERB_COUNT] = {
	[VERB_START] = { "changed", "started", "already running" },
	[VERB_STOP] = { "changed", "stopped", "already stopped" },
	[VERB_RESTART] = { "changed", "restarted", "restarted" },
	[VERB_CREATE] = { "created", "created", "already exists" },
	[VERB_RM] = { NULL, "removed", "removed" },
	[VERB_SCALE] = { "changed", "scaled", "unchanged" },
};

/* many: shown only when the welcome listed more than one engine. */
static const struct {
	const char	*key;
	const char	*label;
	int		 many;
} status_fields[] = {
	{ "name", "Name", 0 },
	{ "engine", "Engine", 1 },
	{ "id", "ID", 0 },
	{ "state", "State", 0 },
	{ "health", "Health", 0 },
	{ "started_at", "Started", 0 },
	{ "finished_at", "Finished", 0 },
	{ "exit_code", "Exit code", 0 },
	{ "restart_count", "Restarts", 0 },
	{ "image", "Image", 0 },
	{ "tty", "TTY", 0 },
	{ NULL, NULL, 0 }
};

static void
cell_kind(char *dst, size_t size, const json_t *row, const char *key)
{
	snprintf(dst, size, "%s", service_is(row) ? "service" : "container");
}

/* A service's state is its replicas, as docker service ls's REPLICAS. */
static void
cell_state(char *dst, size_t size, const json_t *row, const char *key)
{
	if (service_is(row))
		fmt_replicas(dst, size, row);
	else
		fmt_key(dst, size, row, key);
}

/* A service's status is its mode. */
static void
cell_status(char *dst, size_t size, const json_t *row, const char *key)
{
	fmt_key(dst, size, row, service_is(row) ? "mode" : key);
}

#define COL_ENGINES	1	/* only with more than one engine */
#define COL_SERVICES	2	/* only when some row is a service */

/* The ls table; an ID is shown short, as docker ps does (--json: whole). */
static const struct {
	const char	*header;
	const char	*key;
	fmt_field	 cell;
	size_t		 width;		/* 0: the whole value */
	int		 only;		/* COL_*: when it is shown */
} ls_cols[] = {
	{ "ENGINE", "engine", fmt_key, 0, COL_ENGINES },
	{ "NAME", "name", fmt_key, 0, 0 },
	{ "KIND", "kind", cell_kind, 0, COL_SERVICES },
	{ "ID", "id", fmt_key, 12, 0 },
	{ "STATE", "state", cell_state, 0, 0 },
	{ "STATUS", "status", cell_status, 0, 0 },
	{ "IMAGE", "image", fmt_key, 0, 0 },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Whether to show engines: the welcome listed more than one. */
static int
many_engines(void)
{
	return client_engines()->n > 1;
}

static int
bad_reply(void)
{
	warnx("unexpected reply from the broker");
	return EXIT_FAIL;
}

/* ls -q: what a script loops over, each line an operand. */
static void
ls_names(json_t *list)
{
	cell_t name;
	json_t *ent;
	size_t i;

	json_array_foreach(list, i, ent) {
		fmt_target(name, CELL_MAX, ent, many_engines());
		printf("%s\n", name);
	}
}

/* The COL_* columns list's rows want. */
static int
ls_shown(json_t *list)
{
	json_t *ent;
	size_t i;
	int shown = many_engines() ? COL_ENGINES : 0;

	json_array_foreach(list, i, ent)
		if (service_is(ent))
			return shown | COL_SERVICES;
	return shown;
}

static int
show_ls(const struct cmd *c, json_t *data)
{
	const char *header[NITEMS(ls_cols)];
	size_t col[NITEMS(ls_cols)], ncol = 0, n, i, k;
	json_t *list, *ent;
	cell_t *cells, *cell;
	int shown;

	list = json_object_get(data, "containers");
	if (!json_is_array(list))
		return bad_reply();
	if (c->quiet) {
		ls_names(list);
		return EXIT_OK;
	}
	shown = ls_shown(list);
	for (k = 0; k < NITEMS(ls_cols); k++)
		if ((ls_cols[k].only & shown) == ls_cols[k].only) {
			header[ncol] = ls_cols[k].header;
			col[ncol++] = k;
		}
	n = json_array_size(list);
	if ((cells = calloc(n + 1, ncol * sizeof(cell_t))) == NULL) {
		warn("calloc");
		return EXIT_FAIL;
	}
	json_array_foreach(list, i, ent)
		for (k = 0; k < ncol; k++) {
			cell = &cells[i * ncol + k];
			ls_cols[col[k]].cell(*cell, CELL_MAX, ent,
			    ls_cols[col[k]].key);
			if (ls_cols[col[k]].width > 0)
				(*cell)[ls_cols[col[k]].width] = '\0';
		}
	table_print(header, ncol, cells, n);
	free(cells);
	return EXIT_OK;
}

static int
show_status(const struct cmd *c, json_t *data)
{
	char label[32], value[1024];
	size_t i;

	if (!json_is_object(data))
		return bad_reply();
	if (service_is(data))
		return service_status(data, many_engines(), time(NULL)) == 0 ?
		    EXIT_OK : bad_reply();
	for (i = 0; status_fields[i].key != NULL; i++) {
		if (status_fields[i].many && !many_engines())
			continue;
		snprintf(label, sizeof(label), "%s:", status_fields[i].label);
		fmt_json(value, sizeof(value),
		    json_object_get(data, status_fields[i].key));
		printf("%-11s%s\n", label, value);
	}
	return EXIT_OK;
}

/*
 * What a service's answer says beyond a container's: scale's counts,
 * a restart that did not wait. 0: nothing more, say what a container's
 * would.
 */
static int
service_change(const struct cmd *c, json_t *data, char *buf, size_t len)
{
	json_t *now = json_object_get(data, "replicas");
	json_t *was = json_object_get(data, "previous");

	if (!service_is(data))
		return 0;
	if (c->verb->id == VERB_SCALE && json_is_integer(now) &&
	    json_is_integer(was)) {
		if (json_is_false(json_object_get(data, "changed")))
			snprintf(buf, len, "already at %" JSON_INTEGER_FORMAT
			    " replicas", json_integer_value(now));
		else
			snprintf(buf, len, "scaled from %" JSON_INTEGER_FORMAT
			    " to %" JSON_INTEGER_FORMAT,
			    json_integer_value(was), json_integer_value(now));
		return 1;
	}
	if (c->verb->id == VERB_RESTART &&
	    json_is_true(json_object_get(c->opts, "detach"))) {
		snprintf(buf, len, "update started (not waiting)");
		return 1;
	}
	return 0;
}

static int
show_change(const struct cmd *c, json_t *data)
{
	const char *key = change_text[c->verb->id].key, *name, *engine;
	char more[64];
	cell_t both;

	/* create may leave the name to the template: the broker's, checked. */
	name = json_string_value(json_object_get(data, "name"));
	engine = json_string_value(json_object_get(data, "engine"));
	if (name == NULL || !name_valid(name))
		name = c->word != NULL ? c->word : c->tmpl;
	else if (many_engines() && engine != NULL && engine_valid(engine)) {
		snprintf(both, sizeof(both), "%s/%s", engine, name);
		name = both;
	}
	if (service_change(c, data, more, sizeof(more))) {
		printf("%s: %s\n", name, more);
		return EXIT_OK;
	}
	printf("%s: %s\n", name, key != NULL &&
	    json_is_false(json_object_get(data, key)) ?
	    change_text[c->verb->id].unchanged :
	    change_text[c->verb->id].changed);
	return EXIT_OK;
}

static int
show_stats(const struct cmd *c, json_t *data)
{
	int rc = stats_done(c, data);

	return rc == -1 ? bad_reply() : rc;
}

static int
show_can(const struct cmd *c, json_t *data)
{
	return can_show(c, data) == 0 ? EXIT_OK : bad_reply();
}

/*
 * A follow that ended because the container stopped says so on stderr,
 * apart from the log bytes on stdout; an older broker says nothing.
 */
static int
show_logs(const struct cmd *c, json_t *data)
{
	json_t *code = json_object_get(data, "exit_code");

	if (code == NULL)
		return EXIT_OK;
	if (!json_is_integer(code))
		return bad_reply();
	warnx("%s exited with code %" JSON_INTEGER_FORMAT, c->word,
	    json_integer_value(code));
	return EXIT_OK;
}

static void
opt_help(const struct optspec *o)
{
	char left[64];
	int n;

	if (o->shortopt != 0)
		n = snprintf(left, sizeof(left), "-%c, --%s", o->shortopt,
		    o->longopt);
	else
		n = snprintf(left, sizeof(left), "    --%s", o->longopt);
	if (o->type != OPT_FLAG && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, " %s",
		    o->metavar != NULL ? o->metavar : "VALUE");
	printf("  %-20s  %s\n", left, o->help != NULL ? o->help : "");
}

/* The verbs the broker said this user may use on something, once said. */
static struct {
	unsigned	mask;
	int		known;
} usable;

void
cmd_set_usable(unsigned mask)
{
	usable.mask = mask;
	usable.known = 1;
}

static int
unusable(const struct verb *v)
{
	return usable.known && !(v->flags & VF_LOCAL) &&
	    !(usable.mask & VERB_BIT(v->id));
}

/*
 * With more than one engine (after lead): how to name a container on
 * one of them. The names passed engine_valid.
 */
static void
engines_help(FILE *fp, const char *lead)
{
	const struct engines *e = client_engines();
	size_t i;

	if (e->n <= 1)
		return;
	fprintf(fp, "%sA NAME may be ENGINE/NAME, the container on that engine "
	    "(engines:", lead);
	for (i = 0; i < e->n; i++)
		fprintf(fp, "%s %s", i > 0 ? "," : "", e->name[i]);
	fprintf(fp, ").\n");
}

void
cmd_help(FILE *fp)
{
	const struct verb *v;
	int marked = 0;

	fprintf(fp, "Commands:\n");
	for (v = verb_table; v->name != NULL; v++)
		if (!(v->flags & VF_ADMIN)) {
			fprintf(fp, "  %-10s %s%s\n", v->name, v->summary,
			    unusable(v) ? " (-)" : "");
			marked |= unusable(v);
		}
	if (marked)
		fprintf(fp, "(-): no rule or label lets you use it here.\n");
	fprintf(fp, "Type 'help COMMAND' for its options, 'can' for what "
	    "you may do.\n");
	engines_help(fp, "");
}

static int
run_help(const struct cmd *c, int *quit)
{
	const struct optspec *o;
	const struct verb *v;
	struct welcome w;
	char usage[256];

	if (c->word == NULL) {
		if (!usable.known && client_hello(&w, CLIENT_QUIET) == EXIT_OK &&
		    w.has_usable)
			cmd_set_usable(w.usable);
		cmd_help(stdout);
		return EXIT_OK;
	}
	if ((v = args_verb(c->word)) == NULL)	/* args_parse checked it */
		return EXIT_USAGE;
	args_usage(v, usage, sizeof(usage));
	printf("usage: %s\n%s\n", usage, v->summary);
	if (v->opts[0].longopt != NULL)
		printf("\n");
	for (o = v->opts; o->longopt != NULL; o++)
		opt_help(o);
	if (v->flags & (VF_NAME | VF_CAN))
		engines_help(stdout, "\n");
	if ((v->flags & (VF_NAME | VF_CAN)) && !(v->flags & VF_NAMES))
		printf("\nWhere a container and a service have one name, say "
		    "which: service:NAME or\ncontainer:NAME.\n");
	return EXIT_OK;
}

/* exec's exit status is its command's, as docker exec's. */
static int
show_exec(const struct cmd *c, json_t *data)
{
	json_t *code = json_object_get(data, "exit_code");

	(void)c;
	if (!json_is_integer(code) || json_integer_value(code) < 0 ||
	    json_integer_value(code) > 255)
		return bad_reply();
	return (int)json_integer_value(code);
}

static int
run_exit(const struct cmd *c, int *quit)
{
	*quit = 1;
	return EXIT_OK;
}

static int
print_json(json_t *data)
{
	int rc = EXIT_OK;

	if (json_dumpf(data, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) == -1)
		rc = EXIT_FAIL;
	printf("\n");
	return rc;
}

/* done's data shown, as the verb and --json want it; the exit code. */
static int
show(const struct cmd *c, const struct handler *h, json_t *data,
    json_t *all)
{
	if (h->show == NULL)
		return EXIT_OK;
	if (data == NULL && !h->optional)
		return bad_reply();
	if (c->json && all != NULL)
		return json_array_append(all, data) == 0 ? EXIT_OK : EXIT_FAIL;
	if (c->json && h->sample == NULL)
		return print_json(data);
	return h->show(c, data);
}

/* One request and its answer shown; --json of several goes into all. */
static int
run_one(const struct cmd *c, const struct handler *h, int flags,
    json_t *all)
{
	json_t *req, *data = NULL;
	const char *why;
	int rc, shown;

	if ((req = args_request(c)) != NULL && (c->verb->flags & VF_ARGV) &&
	    (why = execio_check(req)) != NULL) {
		warnx("%s", why);
		json_decref(req);
		return EXIT_USAGE;
	}
	if (req == NULL ||
	    ((c->verb->flags & VF_ARGV) && execio_request(req) == -1)) {
		json_decref(req);
		warnx("out of memory");
		return EXIT_FAIL;
	}
	if (h->sample != NULL)
		(void)h->sample((void *)c, NULL);
	client_on_sample(h->sample, (void *)c);
	rc = client_run(req, flags | (h->partial ? CLIENT_PARTIAL : 0), &data);
	client_on_sample(NULL, NULL);
	json_decref(req);
	if (rc == EXIT_OK || data != NULL) {
		shown = show(c, h, data, all);
		rc = shown > rc ? shown : rc;
	}
	client_say_error();
	json_decref(data);
	return rc;
}

/*
 * Several names: a request each, in turn, each decided and answered on
 * its own; the exit code is the highest. Once a password was asked, or
 * refused, the others say no prompt can be answered: a fresh ticket
 * lets them through, and nobody is asked twice in one command.
 */
static int
run_each(const struct cmd *c, const struct handler *h, int flags)
{
	json_t *all = c->json ? json_array() : NULL;
	struct cmd one = *c;
	unsigned asked;
	int i, rc, worst = EXIT_OK;

	for (i = 0; i < c->nnames; i++) {
		if (sig_caught())
			return EXIT_SIGNAL(sig_caught());
		one.word = c->names[i];
		if (h->block && i > 0 && !c->json)
			printf("\n");
		asked = client_prompted();
		rc = run_one(&one, h, flags, all);
		if (rc >= EXIT_SIGNAL(0)) {
			json_decref(all);
			return rc;
		}
		if (client_prompted() != asked || rc == EXIT_AUTH)
			flags |= CLIENT_NOPROMPT;
		worst = rc > worst ? rc : worst;
	}
	if (all != NULL && print_json(all) != EXIT_OK)
		worst = EXIT_FAIL;
	json_decref(all);
	return worst;
}

static int
run_remote(const struct cmd *c, const struct handler *h)
{
	int flags = c->raw ? CLIENT_RAW : 0;

	if ((c->verb->flags & VF_MULTI) && c->nnames > 1)
		return run_each(c, h, flags);
	return run_one(c, h, flags, NULL);
}

/* A mistake gets the verb's usage, when there is a verb to speak of. */
static void
usage_hint(const struct words *w)
{
	const struct verb *v;
	char usage[256];

	if ((v = args_verb(w->argv[0])) == NULL)
		return;
	args_usage(v, usage, sizeof(usage));
	fprintf(stderr, "usage: %s\n", usage);
}

static int
run(struct words *w, int *quit, enum refusal *refused)
{
	const struct handler *h;
	struct cmd c;
	char err[256];
	int rc;

	*refused = REFUSAL_NONE;
	if (w->argc > 0 && args_is_self(w->argv[0]))
		lex_shift(w);
	if (w->argc == 0)
		return EXIT_OK;
	if (args_parse(w->argc, w->argv, &c, err, sizeof(err)) == -1) {
		warnx("%s", err);
		if (c.refused == REFUSAL_USAGE)
			usage_hint(w);
		*refused = c.refused;
		return EXIT_USAGE;
	}
	h = &handlers[c.verb->id];
	if (h->local != NULL)
		rc = h->local(&c, quit);
	else
		rc = run_remote(&c, h);
	args_free(&c);
	if (fflush(stdout) == EOF && rc == EXIT_OK)
		rc = EXIT_FAIL;
	return rc;
}

int
cmd_run(struct words *w, int *quit)
{
	enum refusal refused;

	return run(w, quit, &refused);
}

int
cmd_run_line(const char *line, size_t len, int *quit, enum refusal *refused)
{
	struct words w;
	char err[256];

	if (lex_line(line, len, &w, err, sizeof(err)) == -1) {
		warnx("%s", err);
		*refused = w.refused;
		return EXIT_USAGE;
	}
	return run(&w, quit, refused);
}
