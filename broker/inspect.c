/*
 * inspect: what docker inspect would tell a developer about a resolved
 * container, and nothing that leaks the host or a secret.
 *
 * Invariants:
 * 1. The answer is built, never trimmed: only the keys of fields[]
 *    (with the name, ID and image) are in it, each made by its
 *    converter from the one place of dockerd's inspect the table names.
 *    A field dockerd adds, or one it is not asked for, reaches nobody.
 * 2. Nothing here reads the environment, a command line (Path, Args,
 *    Cmd, Entrypoint, Healthcheck), a host path (a mount's Source,
 *    LogPath, ResolvConfPath, HostnamePath, HostsPath, GraphDriver,
 *    Binds) or the host's PID; a mount is its type, volume name and
 *    destination.
 * 3. A value of the wrong type or shape becomes null, never passes.
 * 4. Every string is bounded and holds no control byte (health output
 *    keeps newlines and tabs); times are printed here, and dockerd's
 *    zero time ("0001-01-01T00:00:00Z") is null.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers.h"

#define LINE_MAX_BYTES		256	/* an error, name, path, label */
#define OUTPUT_MAX_BYTES	1024	/* one health check's output */
#define HEALTH_LOG_MAX		3	/* the last checks shown */
#define LIST_MAX		64	/* ports, networks, mounts, labels */
#define LABEL_PREFIX		"ctl."

typedef json_t *(*convert)(json_t *);

/* A string without control bytes, cut at max bytes on a UTF-8 boundary. */
static json_t *
clean_text(json_t *v, size_t max, int lines)
{
	const unsigned char *s = (const unsigned char *)json_string_value(v);
	size_t n, i, o = 0;
	char *buf;
	json_t *j;

	if (s == NULL)
		return NULL;
	n = json_string_length(v);
	if (n > max) {
		n = max;
		while (n > 0 && (s[n] & 0xc0) == 0x80)
			n--;
	}
	while (lines && n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if ((buf = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f) {
			buf[o++] = '?';	/* a C1 control, U+0080..U+009F */
			i++;
		} else if ((s[i] < 0x20 && !(lines && (s[i] == '\n' ||
		    s[i] == '\t'))) || s[i] == 0x7f)
			buf[o++] = '?';
		else
			buf[o++] = (char)s[i];
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

static json_t *
c_line(json_t *v)
{
	return clean_text(v, LINE_MAX_BYTES, 0);
}

static json_t *
c_output(json_t *v)
{
	return clean_text(v, OUTPUT_MAX_BYTES, 1);
}

/* A state, health status or restart policy: one short plain word. */
static json_t *
c_word(json_t *v)
{
	const char *s = json_string_value(v);
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 32 ||
	    n != json_string_length(v) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz-") != n)
		return NULL;
	return json_string(s);
}

static json_t *
c_int(json_t *v)
{
	return json_is_integer(v) ? json_integer(json_integer_value(v)) :
	    NULL;
}

static json_t *
c_bool(json_t *v)
{
	return json_is_boolean(v) ? json_boolean(json_is_true(v)) : NULL;
}

/* A limit: a positive number; 0 and -1 mean none. */
static json_t *
c_limit(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) > 0 ?
	    json_integer(json_integer_value(v)) : NULL;
}

/*
 * dockerd's RFC 3339 time, printed again in UTC. time_parse refuses a
 * time before 1970, and so dockerd's zero time: null.
 */
json_t *
docker_time(json_t *v)
{
	const char *s = json_string_value(v);
	struct timespec ts;
	struct tm tm;
	char out[32];

	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[10] != 'T' ||
	    time_parse(s, 0, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return json_string(out);
}

/* CPUs: NanoCpus (docker --cpus), else CpuQuota over CpuPeriod. */
static json_t *
c_cpus(json_t *hc)
{
	json_t *nano = json_object_get(hc, "NanoCpus");
	json_t *quota = json_object_get(hc, "CpuQuota");
	json_t *period = json_object_get(hc, "CpuPeriod");

	if (json_is_integer(nano) && json_integer_value(nano) > 0)
		return json_real((double)json_integer_value(nano) / 1e9);
	if (json_is_integer(quota) && json_integer_value(quota) > 0 &&
	    json_is_integer(period) && json_integer_value(period) > 0)
		return json_real((double)json_integer_value(quota) /
		    (double)json_integer_value(period));
	return NULL;
}

static json_t *
c_address(json_t *v, int family)
{
	const char *s = json_string_value(v);
	unsigned char buf[sizeof(struct in6_addr)];

	if (s == NULL || strlen(s) >= INET6_ADDRSTRLEN ||
	    inet_pton(family, s, buf) != 1)
		return NULL;
	return json_string(s);
}

static int
port_number(const char *s, unsigned long *port)
{
	return uint_parse(s, 65535, port) == 0 && *port > 0 ? 0 : -1;
}

/* "80/tcp" into its number and protocol. */
static int
port_key(const char *key, unsigned long *port, const char **proto)
{
	static const char *const protos[] = { "tcp", "udp", "sctp" };
	const char *slash = strchr(key, '/');
	char num[8];
	size_t i;

	if (slash == NULL || (size_t)(slash - key) >= sizeof(num))
		return -1;
	memcpy(num, key, (size_t)(slash - key));
	num[slash - key] = '\0';
	if (port_number(num, port) == -1)
		return -1;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcmp(slash + 1, protos[i]) == 0) {
			*proto = protos[i];
			return 0;
		}
	return -1;
}

static json_t *
host_ip(json_t *v)
{
	json_t *ip = c_address(v, AF_INET);

	return ip != NULL ? ip : c_address(v, AF_INET6);
}

/* One port: each publication of it, or one entry saying it has none. */
static void
add_port(json_t *list, unsigned long port, const char *proto, json_t *bind)
{
	unsigned long hport;
	json_t *b;
	size_t i;
	int any = 0;

	json_array_foreach(bind, i, b) {
		if (json_array_size(list) >= LIST_MAX)
			return;
		if (!json_is_string(json_object_get(b, "HostPort")) ||
		    port_number(json_string_value(json_object_get(b,
		    "HostPort")), &hport) == -1)
			continue;
		json_array_append_new(list, json_pack("{s:I, s:s, s:o?, s:I}",
		    "port", (json_int_t)port, "protocol", proto, "host_ip",
		    host_ip(json_object_get(b, "HostIp")), "host_port",
		    (json_int_t)hport));
		any = 1;
	}
	if (!any && json_array_size(list) < LIST_MAX)
		json_array_append_new(list, json_pack("{s:I, s:s, s:n, s:n}",
		    "port", (json_int_t)port, "protocol", proto, "host_ip",
		    "host_port"));
}

static json_t *
c_ports(json_t *v)
{
	json_t *list = json_array(), *bind;
	const char *key, *proto;
	unsigned long port;

	json_object_foreach(v, key, bind)
		if (port_key(key, &port, &proto) == 0)
			add_port(list, port, proto, bind);
	return list;
}

static json_t *
c_networks(json_t *v)
{
	json_t *list = json_array(), *n, *name;
	const char *key;

	json_object_foreach(v, key, n) {
		if (json_array_size(list) >= LIST_MAX)
			break;
		name = json_string(key);
		json_array_append_new(list, json_pack("{s:o?, s:o?, s:o?, s:o?}",
		    "name", c_line(name),
		    "ip", c_address(json_object_get(n, "IPAddress"), AF_INET),
		    "prefix_len", c_int(json_object_get(n, "IPPrefixLen")),
		    "ipv6", c_address(json_object_get(n, "GlobalIPv6Address"),
		    AF_INET6)));
		json_decref(name);
	}
	return list;
}

static json_t *
mount_type(json_t *v)
{
	static const char *const types[] = {
		"bind", "volume", "tmpfs", "npipe", "cluster"
	};
	const char *s = json_string_value(v);
	size_t i;

	for (i = 0; s != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(s, types[i]) == 0)
			return json_string(types[i]);
	return json_string("other");
}

/* Type, volume name and destination: never where it is on the host. */
static json_t *
c_mounts(json_t *v)
{
	json_t *list = json_array(), *m;
	size_t i;
	int volume;

	json_array_foreach(v, i, m) {
		if (json_array_size(list) >= LIST_MAX)
			break;
		volume = json_is_string(json_object_get(m, "Type")) &&
		    strcmp(json_string_value(json_object_get(m, "Type")),
		    "volume") == 0;
		json_array_append_new(list, json_pack("{s:o, s:o?, s:o?, s:b}",
		    "type", mount_type(json_object_get(m, "Type")),
		    "name", volume ? c_line(json_object_get(m, "Name")) : NULL,
		    "destination", c_line(json_object_get(m, "Destination")),
		    "read_only", json_is_false(json_object_get(m, "RW"))));
	}
	return list;
}

/* The labels ctl reads and writes (ctl.*), and no other. */
static json_t *
c_labels(json_t *v)
{
	json_t *out = json_object(), *val, *clean;
	const char *key;
	size_t n;

	json_object_foreach(v, key, val) {
		if (json_object_size(out) >= LIST_MAX)
			break;
		n = strlen(key);
		if (strncmp(key, LABEL_PREFIX, strlen(LABEL_PREFIX)) != 0 ||
		    n > LINE_MAX_BYTES || strspn(key, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
			continue;
		if ((clean = c_line(val)) != NULL)
			json_object_set_new(out, key, clean);
	}
	return out;
}

/* The last checks: when each began, its exit code and its output. */
static json_t *
c_health_log(json_t *v)
{
	json_t *list = json_array(), *e;
	size_t i, n = json_array_size(v);

	for (i = n > HEALTH_LOG_MAX ? n - HEALTH_LOG_MAX : 0; i < n; i++) {
		e = json_array_get(v, i);
		json_array_append_new(list, json_pack("{s:o?, s:o?, s:o?}",
		    "start", docker_time(json_object_get(e, "Start")),
		    "exit_code", c_int(json_object_get(e, "ExitCode")),
		    "output", c_output(json_object_get(e, "Output"))));
	}
	return list;
}

/* What the answer holds, where in dockerd's inspect each comes from. */
static const struct field {
	const char	*key;
	const char	*path[4];	/* NULL-terminated */
	convert		 how;
} fields[] = {
	{ "created", { "Created" }, docker_time },
	{ "state", { "State", "Status" }, c_word },
	{ "exit_code", { "State", "ExitCode" }, c_int },
	{ "error", { "State", "Error" }, c_line },
	{ "oom_killed", { "State", "OOMKilled" }, c_bool },
	{ "started_at", { "State", "StartedAt" }, docker_time },
	{ "finished_at", { "State", "FinishedAt" }, docker_time },
	{ "health", { "State", "Health", "Status" }, c_word },
	{ "failing_streak", { "State", "Health", "FailingStreak" }, c_int },
	{ "health_log", { "State", "Health", "Log" }, c_health_log },
	{ "restart_count", { "RestartCount" }, c_int },
	{ "restart_policy", { "HostConfig", "RestartPolicy", "Name" },
	    c_word },
	{ "restart_max", { "HostConfig", "RestartPolicy",
	    "MaximumRetryCount" }, c_int },
	{ "tty", { "Config", "Tty" }, c_bool },
	{ "memory", { "HostConfig", "Memory" }, c_limit },
	{ "cpus", { "HostConfig" }, c_cpus },
	{ "pids", { "HostConfig", "PidsLimit" }, c_limit },
	{ "ports", { "NetworkSettings", "Ports" }, c_ports },
	{ "networks", { "NetworkSettings", "Networks" }, c_networks },
	{ "mounts", { "Mounts" }, c_mounts },
	{ "labels", { "Config", "Labels" }, c_labels },
};

static json_t *
dig(json_t *j, const char *const path[])
{
	size_t i;

	for (i = 0; path[i] != NULL && j != NULL; i++)
		j = json_object_get(j, path[i]);
	return j;
}

static json_t *
answer(const struct ctx *x)
{
	json_t *in = x->t.inspect, *out, *config;
	size_t i;

	config = json_object_get(in, "Config");
	out = json_pack("{s:s, s:s, s:o?}", "name", x->req->name, "id",
	    x->t.id, "image", image_name(json_object_get(config, "Labels"),
	    json_object_get(config, "Image")));
	for (i = 0; out != NULL && i < sizeof(fields) / sizeof(fields[0]);
	    i++) {
		if (json_object_set_new(out, fields[i].key,
		    fields[i].how(dig(in, fields[i].path))) == -1 &&
		    json_object_set_new(out, fields[i].key, json_null()) == -1) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

void
do_inspect(struct ctx *x)
{
	if ((x->out.data = answer(x)) == NULL) {
		set_out(x, EXIT_FAIL, "out of memory");
		x->audit->result = "error";
		return;
	}
	x->audit->result = "ok";
}
