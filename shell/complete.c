/*
 * What Tab offers for the word before the cursor: a verb first, then the
 * verb's options, then what it takes (help's and can's verb, a template,
 * a container).
 *
 * Invariants:
 * 1. Only verbs and options from verb_table are offered, and names the
 *    broker listed that name_valid() accepts, as ENGINE/NAME only with
 *    an engine that engine_valid() accepts, as service:NAME or
 *    container:NAME by the row's "kind".
 * 2. A line holding a quote, or a byte that is not printable ASCII, gets
 *    nothing: completion never guesses at what the lexer would make of
 *    it.
 * 3. The broker is asked quietly (CLIENT_QUIET): nothing is printed and
 *    no password is asked for.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "client.h"
#include "complete.h"
#include "lex.h"
#include "proto.h"
#include "service.h"
#include "verbs.h"

static void
comp_add(struct comp *c, const char *prefix, const char *lead,
    const char *word)
{
	char buf[sizeof(c->w[0])];

	if (c->n == COMP_MAX || (size_t)snprintf(buf, sizeof(buf), "%s%s",
	    lead, word) >= sizeof(buf))
		return;
	if (strncmp(buf, prefix, strlen(prefix)) == 0)
		memcpy(c->w[c->n++], buf, sizeof(buf));
}

static void
comp_verbs(struct comp *c, const char *prefix)
{
	const struct verb *v;

	for (v = verb_table; v->name != NULL; v++)
		if (!(v->flags & VF_ADMIN))
			comp_add(c, prefix, "", v->name);
}

static void
comp_opts(struct comp *c, const struct verb *v, const char *prefix)
{
	const struct optspec *o;

	for (o = v->opts; o->longopt != NULL; o++)
		comp_add(c, prefix, "--", o->longopt);
}

static void
comp_askable(struct comp *c, const char *prefix)
{
	const struct verb *v;

	for (v = verb_table; v->name != NULL; v++)
		if (verb_askable(v))
			comp_add(c, prefix, "", v->name);
}

/*
 * The broker's data for verb (ls or can), asked quietly; an ls some
 * engine did not answer still brings the others' rows. NULL: none.
 */
static json_t *
comp_ask(const char *verb)
{
	json_t *req, *data = NULL;

	if ((req = json_pack("{s:s}", "verb", verb)) == NULL)
		return NULL;
	(void)client_run(req, CLIENT_QUIET | CLIENT_PARTIAL, &data);
	json_decref(req);
	return data;
}

/* The templates the user may create from. */
static void
comp_templates(struct comp *c, const char *prefix)
{
	json_t *data = comp_ask("can"), *ent;
	const char *name;
	size_t i;

	json_array_foreach(json_object_get(data, "templates"), i, ent) {
		name = json_string_value(json_object_get(ent, "name"));
		if (name != NULL && name_valid(name))
			comp_add(c, prefix, "", name);
	}
	json_decref(data);
}

static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * How many rows of list are named name: on any engine (there), and on
 * engine (here).
 */
static void
named(json_t *list, const char *name, const char *engine, size_t *there,
    size_t *here)
{
	json_t *ent;
	size_t i;

	*there = *here = 0;
	json_array_foreach(list, i, ent)
		if (same(json_string_value(json_object_get(ent, "name")),
		    name)) {
			(*there)++;
			*here += same(json_string_value(json_object_get(ent,
			    "engine")), engine);
		}
}

void
complete_containers(json_t *data, const char *prefix, struct comp *c)
{
	json_t *list = json_object_get(data, "containers"), *ent;
	char lead[ENGINE_MAX_LEN + sizeof("container:") + 1];
	const char *name, *engine;
	size_t i, there, here;

	json_array_foreach(list, i, ent) {
		name = json_string_value(json_object_get(ent, "name"));
		engine = json_string_value(json_object_get(ent, "engine"));
		if (name == NULL || !name_valid(name))
			continue;
		if (engine != NULL && !engine_valid(engine))
			engine = NULL;
		named(list, name, engine, &there, &here);
		lead[0] = '\0';
		if (engine != NULL && (strchr(prefix, '/') != NULL ||
		    there > here))
			snprintf(lead, sizeof(lead), "%s/", engine);
		if (strchr(prefix, ':') != NULL || here > 1)
			snprintf(lead + strlen(lead), sizeof(lead) -
			    strlen(lead), "%s:", service_is(ent) ? "service" :
			    "container");
		comp_add(c, prefix, lead, name);
	}
}

/* Whether the word before the cursor is an option still wanting a value. */
static int
wants_value(const struct verb *v, const char *word)
{
	const struct optspec *o;
	const char *p;

	if (word[0] != '-')
		return 0;
	if (word[1] == '-') {
		o = strchr(word, '=') == NULL ? opt_find_long(v, word + 2) :
		    NULL;
		return o != NULL && o->type != OPT_FLAG;
	}
	for (p = word + 1; *p != '\0'; p++) {
		if ((o = opt_find_short(v, *p)) == NULL)
			return 0;
		if (o->type != OPT_FLAG)
			return p[1] == '\0';
	}
	return 0;
}

/*
 * The operand being typed after v's words (options left out): help's
 * and can's verb, can's VERB's own operand, a template, a container.
 */
static void
comp_operand(struct comp *c, const struct verb *v, char **word, int nw,
    const char *prefix)
{
	const struct verb *of;
	json_t *data;
	int i, n = 0;

	for (i = 1; i < nw; i++)
		if (word[i][0] != '-')
			n++;
	if ((v->flags & VF_OPTNAME) && n == 0)
		comp_verbs(c, prefix);
	else if ((v->flags & VF_CAN) && n == 0)
		comp_askable(c, prefix);
	else if (v->flags & VF_CAN) {
		for (i = 1; word[i][0] == '-'; i++)
			;
		if (verb_askable(of = args_verb(word[i])))
			comp_operand(c, of, word + i, nw - i, prefix);
	} else if ((v->flags & VF_TEMPLATE) && n == 0)
		comp_templates(c, prefix);
	else if ((v->flags & VF_NAME) && !wants_value(v, word[nw - 1]) &&
	    !((v->flags & VF_COUNT) && n > 0)) {
		data = comp_ask("ls");
		complete_containers(data, prefix, c);
		json_decref(data);
	}
}

/* Splits buf at spaces into word; the last, unfinished one is *start. */
static int
split(char *buf, char **word, int *nw, char **start)
{
	char *p;

	*nw = 0;
	for (p = buf;;) {
		while (*p == ' ')
			p++;
		for (*start = p; *p != '\0' && *p != ' '; p++)
			;
		if (*p == '\0')
			return 0;
		*p++ = '\0';
		if (*nw == LEX_MAX_WORDS)
			return -1;
		word[(*nw)++] = *start;
	}
}

int
complete(const char *line, size_t len, struct comp *c, size_t *prefix)
{
	char buf[LEX_MAX_LINE + 1], *word[LEX_MAX_WORDS], *start;
	const struct verb *v;
	size_t i;
	int nw;

	c->n = 0;
	if (len > LEX_MAX_LINE)
		return -1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		if (!isascii((unsigned char)buf[i]) ||
		    !isprint((unsigned char)buf[i]) || buf[i] == '\'' ||
		    buf[i] == '"')
			return -1;
	if (split(buf, word, &nw, &start) == -1)
		return -1;
	if (nw > 0 && args_is_self(word[0]))
		memmove(word, word + 1, --nw * sizeof(word[0]));
	*prefix = strlen(start);
	if (nw == 0)
		comp_verbs(c, start);
	else if ((v = args_verb(word[0])) == NULL)
		return -1;
	else if (start[0] == '-')
		comp_opts(c, v, start);
	else
		comp_operand(c, v, word, nw, start);
	return 0;
}
