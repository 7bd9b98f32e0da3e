/*
 * Showing can's answer: what the caller may do, as sudo -l shows it, or
 * yes to one question. Every string from the broker goes through
 * fmt_safe.
 */
#include <stdio.h>
#include <string.h>

#include "can.h"
#include "client.h"
#include "fmt.h"

#define LINE_MAX_LEN	512
#define CELL_LEN	256

/* "status start restart*": the verbs of array, '*' on those in password. */
static void
verbs_line(json_t *array, json_t *password, char *out, size_t len)
{
	char word[40];
	json_t *v, *p;
	size_t i, j, n = 0;
	int ask;

	out[0] = '\0';
	json_array_foreach(array, i, v) {
		ask = 0;
		json_array_foreach(password, j, p)
			ask |= json_equal(v, p);
		fmt_json(word, sizeof(word), v);
		if (n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s%s",
			    n > 0 ? " " : "", word, ask ? "*" : "");
	}
}

/* "web-*, api-*": a rule's container patterns. */
static void
patterns_line(json_t *array, char *out, size_t len)
{
	char word[CELL_LEN];
	json_t *v;
	size_t i, n = 0;

	out[0] = '\0';
	json_array_foreach(array, i, v) {
		fmt_json(word, sizeof(word), v);
		if (n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s",
			    n > 0 ? ", " : "", word);
	}
}

static int
show_containers(json_t *data, json_t *password)
{
	char name[CELL_LEN], verbs[LINE_MAX_LEN], pats[LINE_MAX_LEN];
	json_t *c, *r, *none = json_array();
	size_t i;
	int shown = 0;

	json_array_foreach(json_object_get(data, "containers"), i, c) {
		if (!shown++)
			printf("%-24s %s\n", "CONTAINER", "YOU MAY");
		fmt_target(name, sizeof(name), c, client_engines()->n > 1);
		verbs_line(json_object_get(c, "verbs"), password, verbs,
		    sizeof(verbs));
		printf("%-24s %s\n", name, verbs[0] ? verbs : "-");
	}
	json_array_foreach(json_object_get(data, "rules"), i, r) {
		if (!shown++)
			printf("%-24s %s\n", "CONTAINER", "YOU MAY");
		patterns_line(json_object_get(r, "containers"), pats,
		    sizeof(pats));
		verbs_line(json_object_get(r, "verbs"), json_is_true(
		    json_object_get(r, "deny")) ? none : password, verbs,
		    sizeof(verbs));
		printf("%-24s %s%s (a rule)\n", pats, json_is_true(
		    json_object_get(r, "deny")) ? "never: " : "", verbs);
	}
	json_decref(none);
	return shown;
}

static void
show_templates(json_t *data, json_t *password)
{
	char name[CELL_LEN], made[CELL_LEN], left[16];
	json_t *t, *q = json_object_get(data, "quota");
	size_t i;
	int ask = 0;

	json_array_foreach(password, i, t)
		ask |= strcmp(json_string_value(t) ? json_string_value(t) : "",
		    "create") == 0;
	json_array_foreach(json_object_get(data, "templates"), i, t) {
		if (i == 0)
			printf("\n%-24s %-32s %s\n", ask ? "TEMPLATE (create*)" :
			    "TEMPLATE (create)", "MAKES", "LEFT");
		fmt_json(name, sizeof(name), json_object_get(t, "name"));
		fmt_json(made, sizeof(made), json_object_get(t, "container"));
		if (json_is_integer(json_object_get(t, "left")))
			fmt_json(left, sizeof(left), json_object_get(t, "left"));
		else
			snprintf(left, sizeof(left), "no limit");
		printf("%-24s %-32s %s\n", name, made, left);
	}
	if (json_is_integer(json_object_get(q, "limit")))
		printf("\nYou have %lld of at most %lld containers made from "
		    "templates.\n",
		    (long long)json_integer_value(json_object_get(q, "used")),
		    (long long)json_integer_value(json_object_get(q, "limit")));
}

static int
show_answer(const struct cmd *c, json_t *data)
{
	const char *a = json_string_value(json_object_get(data, "answer"));
	json_t *left = json_object_get(data, "left");

	if (a == NULL)
		return -1;
	(void)c;
	printf("yes%s", strcmp(a, "password") == 0 ?
	    ", after your password" : "");
	if (json_is_integer(left))
		printf(" (%lld left)", (long long)json_integer_value(left));
	printf("\n");
	return 0;
}

int
can_show(const struct cmd *c, json_t *data)
{
	json_t *password = json_object_get(data, "password");

	if (c->of != NULL)
		return show_answer(c, data);
	if (!json_is_array(json_object_get(data, "containers")) ||
	    !json_is_array(json_object_get(data, "rules")) ||
	    !json_is_array(json_object_get(data, "templates")) ||
	    !json_is_array(password))
		return -1;
	if (!show_containers(data, password))
		printf("You may use no container here.\n");
	show_templates(data, password);
	if (json_array_size(password) > 0)
		printf("\n* asks for your password (once in a while, as sudo "
		    "does).\n");
	return 0;
}
