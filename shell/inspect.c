/*
 * Showing inspect's answer: one labelled line per field, the lists one
 * item a line. Every string from the broker goes through fmt_safe or
 * fmt_json; times are shown in local time and as "2 hours ago".
 */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "fmt.h"
#include "inspect.h"
#include "names.h"
#include "proto.h"

#define VALUE_MAX	640

typedef void (*show_fn)(const char *label, json_t *data, const char *key);

static void
line(const char *label, const char *value)
{
	char l[32];

	snprintf(l, sizeof(l), "%s:", label);
	printf("%-13s%s\n", label[0] != '\0' ? l : "", value);
}

static void
show_plain(const char *label, json_t *data, const char *key)
{
	char v[VALUE_MAX];

	fmt_json(v, sizeof(v), json_object_get(data, key));
	line(label, v);
}

static void
show_image(const char *label, json_t *data, const char *key)
{
	if (json_is_string(json_object_get(data, key)))
		show_plain(label, data, key);
	else
		line(label, "(an image without a name)");
}

/* "2026-12-01 10:11:12 CET (2 hours ago)"; none: what to say instead. */
static void
time_text(char *out, size_t len, json_t *v, const char *none)
{
	struct timespec ts;
	struct tm tm;
	char local[64], rel[64];
	const char *s = json_string_value(v);

	if (s == NULL || time_parse(s, 0, &ts) == -1 ||
	    localtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(local, sizeof(local), "%Y-%m-%d %H:%M:%S %Z", &tm) == 0) {
		snprintf(out, len, "%s", none);
		return;
	}
	fmt_ago(rel, sizeof(rel), ts.tv_sec, time(NULL));
	snprintf(out, len, "%s (%s)", local, rel);
}

static void
show_time(const char *label, json_t *data, const char *key)
{
	char v[VALUE_MAX];

	time_text(v, sizeof(v), json_object_get(data, key),
	    strcmp(key, "started_at") == 0 ? "never" : "-");
	line(label, v);
}

static void
show_restarts(const char *label, json_t *data, const char *key)
{
	char n[32], policy[64], max[32], v[VALUE_MAX];

	fmt_json(n, sizeof(n), json_object_get(data, key));
	fmt_json(policy, sizeof(policy), json_object_get(data,
	    "restart_policy"));
	fmt_json(max, sizeof(max), json_object_get(data, "restart_max"));
	if (json_integer_value(json_object_get(data, "restart_max")) > 0)
		snprintf(v, sizeof(v), "%s (policy %s, at most %s)", n, policy,
		    max);
	else
		snprintf(v, sizeof(v), "%s (policy %s)", n, policy);
	line(label, v);
}

static void
show_health(const char *label, json_t *data, const char *key)
{
	char status[64], streak[32], v[VALUE_MAX];

	if (!json_is_string(json_object_get(data, key))) {
		line(label, "no health check");
		return;
	}
	fmt_json(status, sizeof(status), json_object_get(data, key));
	fmt_json(streak, sizeof(streak), json_object_get(data,
	    "failing_streak"));
	snprintf(v, sizeof(v), "%s (failing streak %s)", status, streak);
	line(label, v);
}

static void
show_limit(const char *label, json_t *data, const char *key)
{
	json_t *v = json_object_get(data, key);
	char text[64];

	if (!json_is_number(v))
		snprintf(text, sizeof(text), "no limit");
	else if (strcmp(key, "memory") == 0)
		fmt_bytes(text, sizeof(text), json_number_value(v));
	else
		snprintf(text, sizeof(text), "%g", json_number_value(v));
	line(label, text);
}

typedef void (*item_fn)(json_t *item, char *v, size_t len);

/* One line an item, the label on the first; "-" for none. */
static void
show_list(const char *label, json_t *list, item_fn item)
{
	char v[VALUE_MAX];
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		item(e, v, sizeof(v));
		line(i == 0 ? label : "", v);
	}
	if (json_array_size(list) == 0)
		line(label, "-");
}

static void
port_item(json_t *p, char *v, size_t len)
{
	char port[16], proto[16], ip[64], hport[16];

	fmt_json(port, sizeof(port), json_object_get(p, "port"));
	fmt_json(proto, sizeof(proto), json_object_get(p, "protocol"));
	fmt_json(ip, sizeof(ip), json_object_get(p, "host_ip"));
	fmt_json(hport, sizeof(hport), json_object_get(p, "host_port"));
	if (json_is_integer(json_object_get(p, "host_port")))
		snprintf(v, len, "%s/%s -> %s:%s", port, proto, ip, hport);
	else
		snprintf(v, len, "%s/%s (not published)", port, proto);
}

static void
network_item(json_t *n, char *v, size_t len)
{
	char name[256], ip[64], plen[16], ip6[64];

	fmt_json(name, sizeof(name), json_object_get(n, "name"));
	fmt_json(ip, sizeof(ip), json_object_get(n, "ip"));
	fmt_json(plen, sizeof(plen), json_object_get(n, "prefix_len"));
	fmt_json(ip6, sizeof(ip6), json_object_get(n, "ipv6"));
	snprintf(v, len, "%s %s%s%s%s%s", name,
	    json_is_string(json_object_get(n, "ip")) ? ip : "(no address)",
	    json_is_string(json_object_get(n, "ip")) ? "/" : "",
	    json_is_string(json_object_get(n, "ip")) ? plen : "",
	    json_is_string(json_object_get(n, "ipv6")) ? " " : "",
	    json_is_string(json_object_get(n, "ipv6")) ? ip6 : "");
}

/* "volume appdata -> /data", "bind -> /config (read-only)" */
static void
mount_item(json_t *m, char *v, size_t len)
{
	char type[16], name[256], dest[256];
	int named = json_is_string(json_object_get(m, "name"));

	fmt_json(type, sizeof(type), json_object_get(m, "type"));
	fmt_json(name, sizeof(name), json_object_get(m, "name"));
	fmt_json(dest, sizeof(dest), json_object_get(m, "destination"));
	snprintf(v, len, "%s%s%s -> %s%s", type, named ? " " : "",
	    named ? name : "", dest, json_is_true(json_object_get(m,
	    "read_only")) ? " (read-only)" : "");
}

static void
show_labels(const char *label, json_t *data, const char *key)
{
	char k[256], val[256], v[VALUE_MAX];
	const char *name;
	json_t *l;
	size_t i = 0;

	json_object_foreach(json_object_get(data, key), name, l) {
		fmt_safe(k, sizeof(k), name);
		fmt_safe(val, sizeof(val), json_is_string(l) ?
		    json_string_value(l) : "");
		snprintf(v, sizeof(v), "%s=%s", k, val);
		line(i++ == 0 ? label : "", v);
	}
	if (i == 0)
		line(label, "-");
}

/* Each check: when, how it ended, and its output a line at a time. */
static void
show_health_log(const char *label, json_t *data, const char *key)
{
	char when[128], code[32], piece[VALUE_MAX];
	const char *out;
	json_t *e;
	size_t i, n;

	json_array_foreach(json_object_get(data, key), i, e) {
		time_text(when, sizeof(when), json_object_get(e, "start"), "-");
		fmt_json(code, sizeof(code), json_object_get(e, "exit_code"));
		printf("%s %s, exit code %s\n", i == 0 ? "Health checks:" :
		    "             ", when, code);
		out = json_string_value(json_object_get(e, "output"));
		for (; out != NULL && *out != '\0'; out += n + (out[n] != 0)) {
			n = strcspn(out, "\n");
			snprintf(piece, sizeof(piece), "%.*s", (int)n, out);
			fmt_safe(piece, sizeof(piece), piece);
			printf("%13s  %s\n", "", piece);
		}
	}
}

static const struct {
	const char	*key;
	const char	*label;
	show_fn		 show;
	item_fn		 item;		/* a list: one line an item */
	int		 many;		/* only with more than one engine */
} rows[] = {
	{ "name", "Name", show_plain, NULL, 0 },
	{ "engine", "Engine", show_plain, NULL, 1 },
	{ "id", "ID", show_plain, NULL, 0 },
	{ "image", "Image", show_image, NULL, 0 },
	{ "created", "Created", show_time, NULL, 0 },
	{ "state", "State", show_plain, NULL, 0 },
	{ "started_at", "Started", show_time, NULL, 0 },
	{ "finished_at", "Finished", show_time, NULL, 0 },
	{ "exit_code", "Exit code", show_plain, NULL, 0 },
	{ "error", "Error", show_plain, NULL, 0 },
	{ "oom_killed", "OOM killed", show_plain, NULL, 0 },
	{ "restart_count", "Restarts", show_restarts, NULL, 0 },
	{ "health", "Health", show_health, NULL, 0 },
	{ "tty", "TTY", show_plain, NULL, 0 },
	{ "memory", "Memory", show_limit, NULL, 0 },
	{ "cpus", "CPUs", show_limit, NULL, 0 },
	{ "pids", "PIDs", show_limit, NULL, 0 },
	{ "ports", "Ports", NULL, port_item, 0 },
	{ "networks", "Networks", NULL, network_item, 0 },
	{ "mounts", "Mounts", NULL, mount_item, 0 },
	{ "labels", "Labels", show_labels, NULL, 0 },
	{ "health_log", "", show_health_log, NULL, 0 },
};

int
inspect_show(const struct cmd *c, json_t *data)
{
	size_t i;

	if (!json_is_object(data) ||
	    !json_is_string(json_object_get(data, "id"))) {
		warnx("unexpected reply from the broker");
		return EXIT_FAIL;
	}
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].many && client_engines()->n <= 1)
			continue;
		else if (rows[i].item != NULL)
			show_list(rows[i].label, json_object_get(data,
			    rows[i].key), rows[i].item);
		else
			rows[i].show(rows[i].label, data, rows[i].key);
	return EXIT_OK;
}
