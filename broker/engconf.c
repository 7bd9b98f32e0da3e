/*
 * The engines section of ctld.conf: the Docker engines ctld brokers, on
 * a Unix socket or at tcp://HOST:PORT over mutual TLS.
 *
 * Invariants:
 * 1. A tcp engine without tls is refused: an unauthenticated remote
 *    Engine API is root on that host for anyone who can reach it.
 * 2. An engine's client key is a regular file of root's that nobody
 *    else may read, as the config file's own checks go; its CA and
 *    certificate are regular files of root's. Each is read once, from
 *    the descriptor these checks were made on (O_NOFOLLOW), and curl is
 *    given those bytes, never the path: a file swapped after the checks
 *    is never used. The key is wiped when the configuration goes.
 * 3. Engine names are unique and of the engine grammar (they name
 *    relay directories and audit fields); a name unknown to the file
 *    is never an engine.
 * 4. Without an engines list, docker.socket is one engine named
 *    "local", as before; with one, docker.socket is refused (the two
 *    would disagree about which socket is the local one).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confutil.h"
#include "engconf.h"
#include "engine.h"
#include "names.h"

#define ENGINES_MAX	64

/* What one engine group said, before docker.api_version is known. */
struct engine_spec {
	const char	*name, *socket, *url, *ca, *cert, *key;
	int		 timeout;
	int		 has_tls;
};

static int
tls_group(struct confctx *c, config_setting_t *g, struct engine_spec *sp)
{
	static const char *const keys[] = { "ca", "cert", "key", NULL };
	const char **dst[] = { &sp->ca, &sp->cert, &sp->key };
	config_setting_t *s;
	size_t k;
	int i;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		conf_fail(c, g, "tls: must be a group { ca; cert; key; }");
		return -1;
	}
	for (i = 0; (s = config_setting_get_elem(g, i)) != NULL; i++) {
		for (k = 0; keys[k] != NULL; k++)
			if (strcmp(keys[k], config_setting_name(s)) == 0)
				break;
		if (keys[k] == NULL || config_setting_type(s) !=
		    CONFIG_TYPE_STRING) {
			conf_fail(c, s, keys[k] == NULL ? "unknown setting "
			    "tls.%s" : "tls.%s: must be a string",
			    config_setting_name(s));
			return -1;
		}
		*dst[k] = config_setting_get_string(s);
		if ((*dst[k])[0] != '/' || strlen(*dst[k]) >= ENGINE_PATH_MAX) {
			conf_fail(c, s, "tls.%s: must be an absolute path under "
			    "%d bytes", keys[k], ENGINE_PATH_MAX);
			return -1;
		}
	}
	if (sp->ca == NULL || sp->cert == NULL || sp->key == NULL) {
		conf_fail(c, g, "tls: needs ca, cert and key");
		return -1;
	}
	sp->has_tls = 1;
	return 0;
}

static int
spec_string(struct confctx *c, config_setting_t *s, const char **dst)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		conf_fail(c, s, "%s: must be a string", config_setting_name(s));
		return -1;
	}
	*dst = config_setting_get_string(s);
	return 0;
}

static int
sp_name(struct confctx *c, config_setting_t *s, struct engine_spec *sp)
{
	return spec_string(c, s, &sp->name);
}

static int
sp_socket(struct confctx *c, config_setting_t *s, struct engine_spec *sp)
{
	return spec_string(c, s, &sp->socket);
}

static int
sp_url(struct confctx *c, config_setting_t *s, struct engine_spec *sp)
{
	return spec_string(c, s, &sp->url);
}

static int
sp_timeout(struct confctx *c, config_setting_t *s, struct engine_spec *sp)
{
	return conf_int(c, s, 1, ENGINE_TIMEOUT_MAX, &sp->timeout);
}

/* An engine group's keys. */
static const struct {
	const char	*name;
	int		(*read)(struct confctx *, config_setting_t *,
			    struct engine_spec *);
} spec_keys[] = {
	{ "name", sp_name },
	{ "socket", sp_socket },
	{ "url", sp_url },
	{ "tls", tls_group },
	{ "timeout", sp_timeout },
};

static int
spec_read(struct confctx *c, config_setting_t *g, struct engine_spec *sp)
{
	config_setting_t *s;
	size_t k, n = sizeof(spec_keys) / sizeof(spec_keys[0]);
	int i;

	memset(sp, 0, sizeof(*sp));
	sp->timeout = ENGINE_TIMEOUT_DEFAULT;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		conf_fail(c, g, "engines: each engine must be a group { ... }");
		return -1;
	}
	for (i = 0; (s = config_setting_get_elem(g, i)) != NULL; i++) {
		for (k = 0; k < n; k++)
			if (strcmp(spec_keys[k].name,
			    config_setting_name(s)) == 0)
				break;
		if (k == n)
			conf_fail(c, s, "unknown setting in engine: %s",
			    config_setting_name(s));
		else
			(void)spec_keys[k].read(c, s, sp);
		if (c->failed)
			return -1;
	}
	return 0;
}

/* Invariant 1, and the rest of one engine's shape. */
static int
spec_check(struct confctx *c, config_setting_t *g,
    const struct engine_spec *sp)
{
	if (!engine_valid(sp->name))
		conf_fail(c, g, "engine needs a name of letters, digits and "
		    "._- (at most %d bytes)", ENGINE_NAME_MAX);
	else if ((sp->socket == NULL) == (sp->url == NULL))
		conf_fail(c, g, "engine %s: needs socket or url, not both",
		    sp->name);
	else if (sp->socket != NULL && sp->has_tls)
		conf_fail(c, g, "engine %s: tls is for url engines", sp->name);
	else if (sp->url != NULL && !sp->has_tls)
		conf_fail(c, g, "engine %s: %s without tls is refused: an "
		    "Engine API without TLS is root on that host for anyone "
		    "who can reach it", sp->name, sp->url);
	else if (sp->socket != NULL && (sp->socket[0] != '/' ||
	    strlen(sp->socket) >= 108))
		conf_fail(c, g, "engine %s: socket must be an absolute path "
		    "under 108 bytes", sp->name);
	return c->failed ? -1 : 0;
}

static int
spec_store(struct confctx *c, config_setting_t *g,
    const struct engine_spec *sp, struct engine *e)
{
	char why[160];

	if (sp->socket != NULL) {
		(void)engine_init(e, sp->socket, "");
		snprintf(e->name, sizeof(e->name), "%s", sp->name);
	} else {
		if (engine_init_tcp(e, sp->name, sp->url, "", why,
		    sizeof(why)) == -1) {
			conf_fail(c, g, "engine %s: url %s", sp->name, why);
			return -1;
		}
		snprintf(e->ca, sizeof(e->ca), "%s", sp->ca);
		snprintf(e->cert, sizeof(e->cert), "%s", sp->cert);
		snprintf(e->key, sizeof(e->key), "%s", sp->key);
	}
	e->timeout = sp->timeout;
	e->line = config_setting_source_line(g);
	return 0;
}

int
conf_engines(struct confctx *c, config_setting_t *list, struct config *cf)
{
	struct engine_spec sp;
	config_setting_t *g;
	size_t i, j, n;

	if (config_setting_type(list) != CONFIG_TYPE_LIST ||
	    config_setting_length(list) == 0) {
		conf_fail(c, list, "engines: must be a non-empty list ( ... )");
		return -1;
	}
	n = (size_t)config_setting_length(list);
	if (n > ENGINES_MAX) {
		conf_fail(c, list, "engines: at most %d", ENGINES_MAX);
		return -1;
	}
	if ((cf->engines = calloc(n, sizeof(*cf->engines))) == NULL) {
		conf_fail(c, list, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(list, (int)i);
		if (spec_read(c, g, &sp) == -1 || spec_check(c, g, &sp) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(cf->engines[j].name, sp.name) == 0) {
				conf_fail(c, g, "engine %s: named twice (also "
				    "at line %d)", sp.name,
				    cf->engines[j].line);
				return -1;
			}
		if (spec_store(c, g, &sp, &cf->engines[i]) == -1)
			return -1;
		cf->nengines = i + 1;
	}
	return 0;
}

#define PEM_MAX	(1 << 20)

/* Why fd's file is not fit to be tls.WHAT; NULL if it is (invariant 2). */
static const char *
unfit(int fd, int secret, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		snprintf(why, len, "fstat: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, len, "not a regular file");
	else if (st.st_uid != 0)
		snprintf(why, len, "not owned by root (uid %u)",
		    (unsigned)st.st_uid);
	else if (secret && (st.st_mode & 077))
		snprintf(why, len, "readable or writable by others (mode %04o): "
		    "it must be root's alone", (unsigned)(st.st_mode & 07777));
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(why, len, "writable by group or others (mode %04o)",
		    (unsigned)(st.st_mode & 07777));
	else if (st.st_size > PEM_MAX)
		snprintf(why, len, "larger than %d bytes", PEM_MAX);
	else
		return NULL;
	return why;
}

/*
 * tls.WHAT read once, from the descriptor its checks were made on: curl
 * is given these bytes, never the path again, so nothing swapped in
 * after the checks is ever used (until a reload reads and checks anew).
 */
static int
pem_read(struct confctx *c, const struct engine *e, const char *what,
    const char *path, int secret, struct engine_pem *pem)
{
	char why[160] = "";
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	else if (unfit(fd, secret, why, sizeof(why)) == NULL &&
	    (pem->data = malloc(PEM_MAX)) != NULL) {
		while ((n = read(fd, pem->data + pem->len, PEM_MAX -
		    pem->len)) > 0)
			pem->len += (size_t)n;
		if (n == 0) {
			close(fd);
			return 0;
		}
		snprintf(why, sizeof(why), "read: %s", strerror(errno));
	} else if (pem->data == NULL && why[0] == '\0')
		snprintf(why, sizeof(why), "out of memory");
	if (fd != -1)
		close(fd);
	snprintf(c->err, c->errlen, "%s:%d: engine %s: tls.%s %s: %s", c->path,
	    e->line, e->name, what, path, why);
	c->failed = 1;
	return -1;
}

/* Whether some engine's name matches the pattern. */
static int
matches_some(const struct config *cf, const char *pattern)
{
	size_t i;

	for (i = 0; i < cf->nengines; i++)
		if (fnmatch(pattern, cf->engines[i].name, 0) == 0)
			return 1;
	return 0;
}

/*
 * A rule's engines pattern that matches no engine, or a template's
 * engine that is none, is a typo: a deny rule would then deny nothing.
 */
static int
names_check(struct confctx *c, const struct config *cf)
{
	size_t i, j;

	for (i = 0; i < cf->nrules; i++)
		for (j = 0; cf->rules[i].engines != NULL &&
		    cf->rules[i].engines[j] != NULL; j++)
			if (!matches_some(cf, cf->rules[i].engines[j])) {
				snprintf(c->err, c->errlen, "%s:%d: engines: "
				    "\"%s\" matches no engine", c->path,
				    cf->rules[i].line, cf->rules[i].engines[j]);
				c->failed = 1;
				return -1;
			}
	for (i = 0; i < cf->ntemplates; i++)
		if (cf->templates[i].engine != NULL &&
		    config_engine(cf, cf->templates[i].engine) == NULL) {
			snprintf(c->err, c->errlen, "%s:%d: template %s: no "
			    "engine %s", c->path, cf->templates[i].line,
			    cf->templates[i].name, cf->templates[i].engine);
			c->failed = 1;
			return -1;
		}
	return 0;
}

/*
 * After the whole file: the default engine (invariant 4), every
 * engine's API version, and (check_owner: a real deployment) the TLS
 * files.
 */
int
conf_engines_check(struct confctx *c, struct config *cf, int check_owner)
{
	struct engine *e;
	size_t i;

	if (cf->nengines > 0 && cf->docker_socket_set) {
		snprintf(c->err, c->errlen, "%s: docker.socket and engines: "
		    "name the local socket in engines instead", c->path);
		c->failed = 1;
		return -1;
	}
	if (cf->nengines == 0) {
		if ((cf->engines = calloc(1, sizeof(*cf->engines))) == NULL ||
		    engine_init(cf->engines, cf->docker_socket,
		    cf->api_version) == -1) {
			snprintf(c->err, c->errlen, "%s: docker.socket: "
			    "unusable", c->path);
			c->failed = 1;
			return -1;
		}
		cf->nengines = 1;
	}
	if (names_check(c, cf) == -1)
		return -1;
	for (i = 0; i < cf->nengines; i++) {
		e = &cf->engines[i];
		snprintf(e->version, sizeof(e->version), "%s", cf->api_version);
		if (check_owner && e->url[0] && (pem_read(c, e, "ca", e->ca,
		    0, &e->pem[ENGINE_CA]) == -1 || pem_read(c, e, "cert",
		    e->cert, 0, &e->pem[ENGINE_CERT]) == -1 || pem_read(c, e,
		    "key", e->key, 1, &e->pem[ENGINE_KEY]) == -1))
			return -1;
	}
	return 0;
}

const struct engine *
config_engine(const struct config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->nengines; i++)
		if (strcmp(cf->engines[i].name, name) == 0)
			return &cf->engines[i];
	return NULL;
}

void
engines_free(struct config *cf)
{
	size_t i, k;

	for (i = 0; i < cf->nengines; i++)
		for (k = 0; k < ENGINE_PEMS; k++) {
			if (cf->engines[i].pem[k].data != NULL)
				explicit_bzero(cf->engines[i].pem[k].data,
				    cf->engines[i].pem[k].len);
			free(cf->engines[i].pem[k].data);
		}
	free(cf->engines);
	cf->engines = NULL;
	cf->nengines = 0;
}
