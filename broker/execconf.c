/*
 * The exec section of ctld.conf: which host paths a container exec'd
 * into may have bound (bind_allow), whether it may run as root
 * (allow_root), and runtimes besides runc (runtimes).
 *
 * Invariants:
 * 1. A bind_allow entry is kept resolved (realpath), and refused when
 *    it is /, or is or lies below /proc, /sys, /dev or /var/lib/docker,
 *    or holds the docker or containerd socket: a container with such a
 *    path bound reaches the host, and exec into it would be root there.
 * 2. The sockets are compared on their resolved paths too, after the
 *    whole file is read (docker.socket may come after exec).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confutil.h"
#include "engine.h"
#include "execconf.h"
#include "names.h"

#define CONTAINERD_SOCKET	"/run/containerd/containerd.sock"

static const char *const never[] = {
	"/proc", "/sys", "/dev", "/var/lib/docker", NULL
};

int
path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

static int
load_bind_allow(struct confctx *c, config_setting_t *s, struct config *cf)
{
	char real[PATH_MAX];
	size_t i, j;

	if ((cf->exec_bind_allow = conf_strlist(c, s, 0)) == NULL)
		return -1;
	for (i = 0; cf->exec_bind_allow[i] != NULL; i++) {
		if (cf->exec_bind_allow[i][0] != '/' ||
		    realpath(cf->exec_bind_allow[i], real) == NULL) {
			conf_fail(c, s, "bind_allow: %s is not an existing "
			    "absolute path", cf->exec_bind_allow[i]);
			return -1;
		}
		for (j = 0; never[j] != NULL; j++)
			if (strcmp(real, "/") == 0 || path_under(real, never[j])) {
				conf_fail(c, s, "bind_allow: %s reaches the host "
				    "(it is / or lies in %s)",
				    cf->exec_bind_allow[i], never[j]);
				return -1;
			}
		free(cf->exec_bind_allow[i]);
		if ((cf->exec_bind_allow[i] = strdup(real)) == NULL) {
			conf_fail(c, s, "out of memory");
			return -1;
		}
	}
	cf->exec_line = config_setting_source_line(s);
	return 0;
}

static int
load_runtimes(struct confctx *c, config_setting_t *s, struct config *cf)
{
	size_t i;

	if ((cf->exec_runtimes = conf_strlist(c, s, 0)) == NULL)
		return -1;
	for (i = 0; cf->exec_runtimes[i] != NULL; i++)
		if (!name_valid(cf->exec_runtimes[i])) {
			conf_fail(c, s, "runtimes: \"%s\" is not a runtime "
			    "name", cf->exec_runtimes[i]);
			return -1;
		}
	return 0;
}

int
conf_exec(struct confctx *c, config_setting_t *grp, struct config *cf)
{
	config_setting_t *s;
	const char *k;
	int i;

	if (config_setting_type(grp) != CONFIG_TYPE_GROUP) {
		conf_fail(c, grp, "exec: must be a group { ... }");
		return -1;
	}
	for (i = 0; (s = config_setting_get_elem(grp, i)) != NULL; i++) {
		k = config_setting_name(s);
		if (strcmp(k, "bind_allow") == 0) {
			if (load_bind_allow(c, s, cf) == -1)
				return -1;
		} else if (strcmp(k, "runtimes") == 0) {
			if (load_runtimes(c, s, cf) == -1)
				return -1;
		} else if (strcmp(k, "allow_root") == 0 &&
		    config_setting_type(s) == CONFIG_TYPE_BOOL)
			cf->exec_allow_root = config_setting_get_bool(s);
		else {
			conf_fail(c, s, "exec: unknown setting %s, or not "
			    "true or false", k);
			return -1;
		}
	}
	return 0;
}

/* The directory a socket lives in: resolved, or as written if absent. */
static void
socket_dir(const char *sock, char *out)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", sock);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (dir[0] == '\0')
		strcpy(dir, "/");
	if (realpath(dir, out) == NULL)
		strcpy(out, dir);
}

/* bind_allow must hold no socket that commands a container engine. */
static int
holds_socket(struct confctx *c, const struct config *cf, const char *sock)
{
	char dir[PATH_MAX];
	size_t i;

	socket_dir(sock, dir);
	for (i = 0; cf->exec_bind_allow != NULL &&
	    cf->exec_bind_allow[i] != NULL; i++)
		if (path_under(dir, cf->exec_bind_allow[i])) {
			snprintf(c->err, c->errlen, "%s:%d: bind_allow: %s "
			    "holds %s: a container with it bound commands "
			    "dockerd", c->path, cf->exec_line,
			    cf->exec_bind_allow[i], sock);
			c->failed = 1;
			return -1;
		}
	return 0;
}

int
conf_exec_check(struct confctx *c, struct config *cf)
{
	size_t i;

	for (i = 0; i < cf->nengines; i++)
		if (cf->engines[i].socket[0] != '\0' &&
		    holds_socket(c, cf, cf->engines[i].socket) == -1)
			return -1;
	return holds_socket(c, cf, CONTAINERD_SOCKET);
}
