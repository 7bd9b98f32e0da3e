/*
 * Showing stats as docker stats does: one table, redrawn each round on a
 * terminal; a line per container and round otherwise; a JSON object per
 * round (a line each) with --json.
 *
 * Invariants:
 * 1. Every string from the broker goes through fmt_safe; numbers are
 *    printed from JSON numbers only.
 * 2. Each name the broker refused is said on stderr (once; on a
 *    terminal under each table, which a redraw would wipe), and the
 *    exit code is the highest of theirs (0 when none was refused).
 */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "fmt.h"
#include "names.h"
#include "proto.h"
#include "stats.h"

#define CELL	64
#define NCOL	7

static const char *const header[NCOL] = {
	"NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O",
	"BLOCK I/O", "PIDS"
};
static const int width[NCOL] = { 0, 8, 22, 8, 20, 20, 0 };

static struct {
	int	 rounds;
	int	 worst;
	int	 tty;		/* stdout is a terminal: redraw the table */
	json_t	*said;		/* tty: the refusals, said under each table */
} view;

static double
number(json_t *row, const char *key)
{
	return json_number_value(json_object_get(row, key));
}

static void
pair(char *dst, json_t *row, const char *a, const char *b,
    void (*fmt)(char *, size_t, double))
{
	char x[24], y[24];

	fmt(x, sizeof(x), number(row, a));
	fmt(y, sizeof(y), number(row, b));
	snprintf(dst, CELL, "%s / %s", x, y);
}

/* A row's cells; one dockerd could not sample shows "--". */
static int
cells(json_t *row, char c[NCOL][CELL], char *name, size_t namelen)
{
	int i;

	if (!json_is_object(row) ||
	    !json_is_string(json_object_get(row, "name")))
		return -1;
	fmt_target(name, namelen, row, client_engines()->n > 1);
	for (i = 1; i < NCOL; i++)
		snprintf(c[i], CELL, "--");
	if (json_object_get(row, "error") != NULL)
		return 0;
	snprintf(c[1], CELL, "%.2f%%", number(row, "cpu_percent"));
	pair(c[2], row, "memory_used", "memory_limit", fmt_bytes);
	if (number(row, "memory_limit") > 0)
		snprintf(c[3], CELL, "%.2f%%", number(row, "memory_percent"));
	pair(c[4], row, "net_rx", "net_tx", fmt_size);
	pair(c[5], row, "block_read", "block_write", fmt_size);
	snprintf(c[6], CELL, "%.0f", number(row, "pids"));
	return 0;
}

static void
line(int namew, const char *name, const char *const c[NCOL])
{
	int i;

	printf("%-*s   ", namew, name);
	for (i = 1; i + 1 < NCOL; i++)
		printf("%-*s ", width[i], c[i]);
	printf("%s\n", c[NCOL - 1]);
}

static int
table(json_t *rows, int with_header)
{
	char c[NCOL][CELL], name[ENGINE_MAX_LEN + 1 + NAME_MAX_LEN + 1];
	const char *p[NCOL];
	json_t *row;
	size_t i;
	int k, namew = (int)strlen(header[0]);

	json_array_foreach(rows, i, row) {
		if (cells(row, c, name, sizeof(name)) == -1)
			return -1;
		if ((int)strlen(name) > namew)
			namew = (int)strlen(name);
	}
	if (with_header)
		line(namew, header[0], header);
	json_array_foreach(rows, i, row) {
		cells(row, c, name, sizeof(name));
		for (k = 1; k < NCOL; k++)
			p[k] = c[k];
		line(namew, name, p);
	}
	return 0;
}

/* The names the broker refused: said once, counted in the exit code. */
static int
refusals(json_t *round)
{
	json_t *errors = json_object_get(round, "errors"), *e, *code;
	char msg[320];
	size_t i;
	int n;

	if (errors != NULL && !json_is_array(errors))
		return -1;
	json_array_foreach(errors, i, e) {
		code = json_object_get(e, "exit");
		if (!json_is_string(json_object_get(e, "error")) ||
		    !json_is_integer(code))
			return -1;
		fmt_safe(msg, sizeof(msg), json_string_value(json_object_get(e,
		    "error")));
		if (view.tty)
			json_array_append_new(view.said, json_string(msg));
		else {
			fflush(stdout);
			warnx("%s", msg);
		}
		n = (int)json_integer_value(code);
		if (n < EXIT_FAIL || n > EXIT_UNREACHABLE)
			n = EXIT_FAIL;
		if (n > view.worst)
			view.worst = n;
	}
	if (json_is_integer(json_object_get(round, "omitted")))
		warnx("%" JSON_INTEGER_FORMAT " more containers not shown: "
		    "name them", json_integer_value(json_object_get(round,
		    "omitted")));
	return 0;
}

/* One round, as the output wants it; -1 if malformed. */
static int
show(const struct cmd *c, json_t *round)
{
	json_t *rows = json_object_get(round, "containers"), *e;
	size_t i;

	if (!json_is_array(rows) || refusals(round) == -1)
		return -1;
	if (c->json) {
		view.rounds++;
		if (json_dumpf(round, stdout, JSON_COMPACT |
		    JSON_ENSURE_ASCII) == -1)
			return -1;
		printf("\n");
		return 0;
	}
	if (!view.tty)
		return table(rows, view.rounds++ == 0);
	printf("\033[H\033[J");
	view.rounds++;
	if (table(rows, 1) == -1)
		return -1;
	json_array_foreach(view.said, i, e) {
		fflush(stdout);
		warnx("%s", json_string_value(e));
	}
	return 0;
}

int
stats_sample(void *arg, json_t *round)
{
	const struct cmd *c = arg;

	if (round == NULL) {
		json_decref(view.said);
		memset(&view, 0, sizeof(view));
		view.tty = isatty(STDOUT_FILENO) && !c->no_stream && !c->json;
		view.said = json_array();
		return 0;
	}
	return show(c, round);
}

int
stats_done(const struct cmd *c, json_t *data)
{
	json_t *ended = json_object_get(data, "ended");
	char msg[256];

	if (!json_is_object(data))
		return -1;
	if (c->json && c->no_stream) {
		if (refusals(data) == -1 || json_dumpf(data, stdout,
		    JSON_INDENT(2) | JSON_ENSURE_ASCII) == -1)
			return -1;
		printf("\n");
	} else if (json_array_size(json_object_get(data, "containers")) > 0 ||
	    view.rounds == 0 || json_object_get(data, "errors") != NULL) {
		if (show(c, data) == -1)
			return -1;
	}
	if (json_is_string(ended)) {
		fmt_safe(msg, sizeof(msg), json_string_value(ended));
		fflush(stdout);
		warnx("stats ended: %s", msg);
	}
	return view.worst;
}
