/*
 * A Swarm service's status: labelled lines as a container's, then its
 * tasks as docker service ps lists them. Every string from the broker
 * goes through fmt_json, fmt_target or fmt_since.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <err.h>

#include "fmt.h"
#include "service.h"
#include "table.h"

#define SHORT_ID	12	/* as docker shows IDs */
#define VALUE_MAX	1024

static void
short_id(char *dst, size_t size, const json_t *data, const char *key)
{
	fmt_json(dst, size, json_object_get(data, key));
	if (size > SHORT_ID)
		dst[SHORT_ID] = '\0';
}

static void
replicas(char *dst, size_t size, const json_t *data, const char *key)
{
	fmt_replicas(dst, size, data);
}

/* "updating (update in progress)"; no update: "-". */
static void
update(char *dst, size_t size, const json_t *data, const char *key)
{
	const json_t *u = json_object_get(data, key);
	const json_t *msg = json_object_get(u, "message");
	size_t n;

	fmt_json(dst, size, json_object_get(u, "state"));
	n = strlen(dst);
	if (!json_is_string(msg) || json_string_length(msg) == 0 ||
	    n + 3 >= size)
		return;
	snprintf(dst + n, size - n, " (");
	fmt_json(dst + n + 2, size - n - 2, msg);
	n = strlen(dst);
	if (n + 1 < size)
		snprintf(dst + n, size - n, ")");
}

/* many: shown only when the welcome listed more than one engine. */
static const struct {
	const char	*key;
	const char	*label;
	fmt_field	 fn;
	int		 many;
} header[] = {
	{ "name", "Name", fmt_key, 0 },
	{ "id", "ID", short_id, 0 },
	{ "engine", "Engine", fmt_key, 1 },
	{ "mode", "Mode", fmt_key, 0 },
	{ "running", "Replicas", replicas, 0 },
	{ "image", "Image", fmt_key, 0 },
	{ "update", "Update", update, 0 },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* NAME.SLOT for a replicated service's task, NAME for a global one's. */
static void
task_name(char *dst, size_t size, const json_t *data, const json_t *task)
{
	const json_t *slot = json_object_get(task, "slot");
	size_t n;

	fmt_json(dst, size, json_object_get(data, "name"));
	n = strlen(dst);
	if (json_is_integer(slot) && n < size)
		snprintf(dst + n, size - n, ".%" JSON_INTEGER_FORMAT,
		    json_integer_value(slot));
}

static const char *const task_header[] = { "ID", "NAME", "NODE",
	"DESIRED STATE", "CURRENT STATE", "ERROR" };

static void
task_row(cell_t *row, const json_t *data, const json_t *task, time_t now)
{
	short_id(row[0], CELL_MAX, task, "id");
	task_name(row[1], CELL_MAX, data, task);
	fmt_key(row[2], CELL_MAX, task, "node");
	fmt_since(row[3], CELL_MAX, json_object_get(task, "desired_state"),
	    NULL, now);
	fmt_since(row[4], CELL_MAX, json_object_get(task, "state"),
	    json_object_get(task, "timestamp"), now);
	fmt_key(row[5], CELL_MAX, task, "error");
}

static int
tasks_print(const json_t *data, time_t now)
{
	const json_t *tasks = json_object_get(data, "tasks"), *task;
	const size_t ncol = NITEMS(task_header);
	cell_t *cells;
	size_t i;

	if (!json_is_array(tasks))
		return -1;
	if ((cells = calloc(json_array_size(tasks) + 1,
	    ncol * sizeof(cell_t))) == NULL) {
		warn("calloc");
		return -1;
	}
	json_array_foreach(tasks, i, task)
		task_row(&cells[i * ncol], data, task, now);
	table_print(task_header, ncol, cells, json_array_size(tasks));
	free(cells);
	return 0;
}

int
service_is(const json_t *row)
{
	const char *kind = json_string_value(json_object_get(row, "kind"));

	return kind != NULL && strcmp(kind, "service") == 0;
}

int
service_status(const json_t *data, int many, time_t now)
{
	char label[32], value[VALUE_MAX];
	size_t i;

	if (!json_is_array(json_object_get(data, "tasks")))
		return -1;
	for (i = 0; i < NITEMS(header); i++) {
		if (header[i].many && !many)
			continue;
		snprintf(label, sizeof(label), "%s:", header[i].label);
		header[i].fn(value, sizeof(value), data, header[i].key);
		printf("%-11s%s\n", label, value);
	}
	printf("\n");
	return tasks_print(data, now);
}
