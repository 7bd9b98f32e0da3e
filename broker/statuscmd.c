/*
 * ctld status [--json]: asks the running ctld, over its socket and as
 * root, what it is doing now (daemon.c answers), and prints it for an
 * admin or, with --json, as the broker said it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"
#include "statuscmd.h"

#define STATUS_TIMEOUT_MS	10000

static int
connect_to(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) >=
	    (int)sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The done message, its data joined from data frames if it came so. */
static json_t *
converse(int fd, const char **why)
{
	static struct frame f;
	json_t *j, *done = NULL;
	char *data = NULL, *nd;
	size_t len = 0;

	j = json_pack("{s:i}", "proto", 1);
	if (proto_send_json(fd, FRAME_HELLO, j) == -1) {
		json_decref(j);
		*why = "cannot send to ctld";
		return NULL;
	}
	json_decref(j);
	j = json_pack("{s:s}", "verb", "ctld-status");
	if (proto_send_json(fd, FRAME_REQUEST, j) == -1) {
		json_decref(j);
		*why = "cannot send to ctld";
		return NULL;
	}
	json_decref(j);
	while (done == NULL && proto_recv(fd, &f, STATUS_TIMEOUT_MS, why) == 1) {
		if (f.type == FRAME_DATA && len + f.len <= PROTO_MAX_DATA &&
		    (nd = realloc(data, len + f.len + 1)) != NULL) {
			data = nd;
			memcpy(data + len, f.buf, f.len);
			data[len += f.len] = '\0';
		} else if (f.type == FRAME_DONE && (done = proto_json(&f,
		    why)) != NULL && data != NULL &&
		    json_object_get(done, "data") == NULL)
			json_object_set_new(done, "data", json_loads(data, 0,
			    NULL));
	}
	free(data);
	if (done == NULL && *why == NULL)
		*why = "ctld closed the connection";
	return done;
}

static void
print_counts(const char *what, json_t *by)
{
	const char *user, *sep = " (";
	json_int_t total = 0;
	json_t *n;

	json_object_foreach(by, user, n)
		total += json_integer_value(n);
	printf("%s: %lld", what, (long long)total);
	json_object_foreach(by, user, n) {
		printf("%s%s %lld", sep, user, (long long)json_integer_value(n));
		sep = ", ";
	}
	printf("%s\n", total > 0 ? ")" : "");
}

static void
print_text(json_t *d)
{
	json_t *e, *v;
	size_t i;

	printf("ctld %s, pid %lld, up %llds since %s, log level %s\n",
	    json_string_value(json_object_get(d, "version")),
	    (long long)json_integer_value(json_object_get(d, "pid")),
	    (long long)json_integer_value(json_object_get(d, "uptime_s")),
	    json_string_value(json_object_get(d, "started")),
	    json_string_value(json_object_get(d, "log_level")));
	printf("config: %s\n", json_string_value(json_object_get(d, "config")));
	print_counts("sessions", json_object_get(d, "sessions"));
	print_counts("follows held by the keeper",
	    json_object_get(d, "follows_kept"));
	printf("relays: %lld\n", (long long)json_integer_value(
	    json_object_get(d, "relays")));
	print_counts("exec sessions", json_object_get(d, "exec_sessions"));
	printf("locked out:");
	json_array_foreach(json_object_get(d, "locked_out"), i, e)
		printf(" %s (%llds more)", json_string_value(json_object_get(e,
		    "user")), (long long)json_integer_value(json_object_get(e,
		    "seconds_left")));
	printf("%s\n", json_array_size(json_object_get(d, "locked_out")) ?
	    "" : " nobody");
	printf("engines:\n");
	json_array_foreach(json_object_get(d, "engines"), i, e) {
		printf("  %s (%s): %s", json_string_value(json_object_get(e,
		    "name")), json_string_value(json_object_get(e, "at")),
		    json_string_value(json_object_get(e, "state")));
		if ((v = json_object_get(e, "since")) != NULL)
			printf(" since %s", json_string_value(v));
		if ((v = json_object_get(e, "error")) != NULL)
			printf(": %s", json_string_value(v));
		printf("\n");
	}
	printf("recent errors and warnings:%s\n", json_array_size(
	    json_object_get(d, "recent_errors")) ? "" : " none");
	json_array_foreach(json_object_get(d, "recent_errors"), i, e)
		printf("  %s %s [%lld] %s\n", json_string_value(
		    json_object_get(e, "time")), json_string_value(
		    json_object_get(e, "level")), (long long)json_integer_value(
		    json_object_get(e, "pid")), json_string_value(
		    json_object_get(e, "message")));
}

int
status_command(const struct config *cf, int json)
{
	const char *why = NULL;
	json_t *done, *data;
	char *s;
	int fd, rc = 1;

	if ((fd = connect_to(cf->listen_path)) == -1) {
		fprintf(stderr, "ctld: cannot reach ctld at %s: %s\n",
		    cf->listen_path, strerror(errno));
		return 1;
	}
	done = converse(fd, &why);
	close(fd);
	if (done == NULL) {
		fprintf(stderr, "ctld: status: %s\n", why);
		return 1;
	}
	data = json_object_get(done, "data");
	if (json_integer_value(json_object_get(done, "exit")) != 0 ||
	    !json_is_object(data))
		fprintf(stderr, "ctld: status: %s\n", json_string_value(
		    json_object_get(done, "error")) ? json_string_value(
		    json_object_get(done, "error")) : "no answer");
	else if (json) {
		if ((s = json_dumps(data, JSON_INDENT(2))) != NULL) {
			printf("%s\n", s);
			free(s);
			rc = 0;
		}
	} else {
		print_text(data);
		rc = 0;
	}
	json_decref(done);
	return rc;
}
