/*
 * Reading the images, templates and provision sections of ctld.conf.
 *
 * Invariants:
 * 1. A template can only express what template.c will build: there is
 *    no key for privileged mode, host mounts, host namespaces, devices
 *    or arbitrary HostConfig, so a config cannot ask for them.
 * 2. Capabilities come from a short allowed list; running as root needs
 *    run_as_root = true, said in so many words.
 * 3. Name patterns expand only %u (the user name) and %%; every
 *    expansion is a valid container or volume name.
 * 4. Every template a provision entry names exists (checked after the
 *    whole file is read).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "template.h"
#include "engconf.h"
#include "tmplconf.h"

static const char *const allowed_caps[] = {
	"CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
	"NET_BIND_SERVICE", "SETGID", "SETUID", NULL
};

static const char *const restart_policies[] = {
	"no", "on-failure", "unless-stopped", "always", NULL
};

static int
in_strv(const char *const *v, const char *s)
{
	for (; *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

static int
pattern_valid(const char *p)
{
	char out[NAME_MAX_LEN + 1];

	return template_expand(p, "a-user_name", out, sizeof(out)) == 0 &&
	    template_expand(p, "x", out, sizeof(out)) == 0;
}

static int
image_ref_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 256 && isalnum((unsigned char)s[0]) &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._/:@-") == n;
}

static int
user_spec_valid(const char *s, int *is_root)
{
	unsigned long uid, gid;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return 0;
	errno = 0;
	uid = strtoul(s, &end, 10);
	gid = 0;
	if (*end == ':') {
		if (!isdigit((unsigned char)end[1]))
			return 0;
		gid = strtoul(end + 1, &end, 10);
	}
	*is_root = uid == 0;
	return errno == 0 && *end == '\0' && uid < 4294967295UL &&
	    gid < 4294967295UL;
}

#define MEMORY_MAX	(1LL << 40)

/* 512m, 1g, 1048576: bytes, from 4 MiB to 1 TiB. */
static int
memory_value(config_setting_t *s, long long *out)
{
	const char *v;
	char *end;
	long long n;
	int shift = 0;

	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64) {
		*out = config_setting_get_int64(s);
		return *out >= 4194304 && *out <= MEMORY_MAX ? 0 : -1;
	}
	if ((v = config_setting_get_string(s)) == NULL || !isdigit(*v))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	switch (tolower((unsigned char)*end)) {
	case 'k': shift = 10; end++; break;
	case 'm': shift = 20; end++; break;
	case 'g': shift = 30; end++; break;
	}
	/* checked before the shift: strtoll saturates, a shift would not */
	if (errno == ERANGE || *end != '\0' || n > (MEMORY_MAX >> shift))
		return -1;
	n <<= shift;
	if (n < 4194304)
		return -1;
	*out = n;
	return 0;
}

static int
t_string(struct confctx *c, config_setting_t *s, char **dst,
    int (*valid)(const char *), const char *what)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || !valid(v)) {
		conf_fail(c, s, "%s: not a valid %s", config_setting_name(s),
		    what);
		return -1;
	}
	return conf_string(c, s, dst);
}

static int
t_caps(struct confctx *c, config_setting_t *s, struct template *t)
{
	size_t i;

	if (config_setting_length(s) == 0)
		return 0;
	if ((t->caps = conf_strlist(c, s, 0)) == NULL)
		return -1;
	for (i = 0; t->caps[i] != NULL; i++)
		if (!in_strv(allowed_caps, t->caps[i])) {
			conf_fail(c, s, "capabilities: %s is not allowed "
			    "(allowed: CHOWN DAC_OVERRIDE FOWNER FSETID KILL "
			    "NET_BIND_SERVICE SETGID SETUID)", t->caps[i]);
			return -1;
		}
	return 0;
}

static int
t_volume(struct confctx *c, config_setting_t *s, struct template *t)
{
	config_setting_t *n = config_setting_get_member(s, "name");
	config_setting_t *p = config_setting_get_member(s, "path");

	if (config_setting_type(s) != CONFIG_TYPE_GROUP || n == NULL ||
	    p == NULL || config_setting_length(s) != 2) {
		conf_fail(c, s, "volume: must be { name = \"...\"; "
		    "path = \"/...\"; }");
		return -1;
	}
	if (t_string(c, n, &t->volume, pattern_valid, "name pattern") == -1)
		return -1;
	return conf_abspath(c, p, &t->volume_path);
}

static int
t_key(struct confctx *c, config_setting_t *s, struct template *t)
{
	const char *k = config_setting_name(s), *v;
	int n, root;

	if (strcmp(k, "name") == 0)
		return t_string(c, s, &t->name, name_valid, "template name");
	if (strcmp(k, "container") == 0)
		return t_string(c, s, &t->container, pattern_valid,
		    "name pattern (letters, digits, _ . - and %u)");
	if (strcmp(k, "image") == 0)
		return t_string(c, s, &t->image, image_ref_valid,
		    "image reference");
	if (strcmp(k, "engine") == 0)
		return t_string(c, s, &t->engine, engine_valid,
		    "engine name");
	if (strcmp(k, "command") == 0)
		return (t->cmd = conf_strlist(c, s, 1)) ? 0 : -1;
	if (strcmp(k, "env") == 0) {
		if ((t->env = conf_strlist(c, s, 1)) == NULL)
			return -1;
		for (n = 0; t->env[n] != NULL; n++)
			if (strchr(t->env[n], '=') == NULL ||
			    t->env[n][0] == '=') {
				conf_fail(c, s, "env: \"%s\" is not NAME=VALUE",
				    t->env[n]);
				return -1;
			}
		return 0;
	}
	if (strcmp(k, "workdir") == 0)
		return conf_abspath(c, s, &t->workdir);
	if (strcmp(k, "user") == 0) {
		v = config_setting_get_string(s);
		if (v == NULL || !user_spec_valid(v, &root)) {
			conf_fail(c, s, "user: must be \"UID\" or \"UID:GID\"");
			return -1;
		}
		return conf_string(c, s, &t->user);
	}
	if (strcmp(k, "run_as_root") == 0) {
		t->run_as_root = config_setting_get_bool(s);
		return config_setting_type(s) == CONFIG_TYPE_BOOL ? 0 :
		    (conf_fail(c, s, "run_as_root: must be true or false"), -1);
	}
	if (strcmp(k, "network") == 0) {
		t->no_network = !config_setting_get_bool(s);
		return config_setting_type(s) == CONFIG_TYPE_BOOL ? 0 :
		    (conf_fail(c, s, "network: must be true or false"), -1);
	}
	if (strcmp(k, "memory") == 0) {
		if (memory_value(s, &t->memory) == -1) {
			conf_fail(c, s, "memory: bytes or a size such as "
			    "\"512m\", at least 4m");
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "cpus") == 0) {
		double cpus = config_setting_type(s) == CONFIG_TYPE_FLOAT ?
		    config_setting_get_float(s) : config_setting_get_int(s);
		if (!(cpus > 0 && cpus <= 1024)) {	/* NaN too */
			conf_fail(c, s, "cpus: must be a number above 0");
			return -1;
		}
		t->nano_cpus = (long long)(cpus * 1e9);
		return 0;
	}
	if (strcmp(k, "max") == 0)
		return conf_int(c, s, 1, 100000, &t->max);
	if (strcmp(k, "pids") == 0) {
		if (conf_int(c, s, 1, 65536, &n) == -1)
			return -1;
		t->pids = n;
		return 0;
	}
	if (strcmp(k, "volume") == 0)
		return t_volume(c, s, t);
	if (strcmp(k, "restart") == 0) {
		v = config_setting_get_string(s);
		if (v == NULL || !in_strv(restart_policies, v)) {
			conf_fail(c, s, "restart: must be no, on-failure, "
			    "unless-stopped or always");
			return -1;
		}
		return conf_string(c, s, &t->restart);
	}
	if (strcmp(k, "capabilities") == 0)
		return t_caps(c, s, t);
	if (strcmp(k, "users") == 0)
		return (t->users = conf_strlist(c, s, 0)) ? 0 : -1;
	if (strcmp(k, "groups") == 0)
		return (t->groups = conf_strlist(c, s, 0)) ? 0 : -1;
	conf_fail(c, s, "unknown setting in template: %s", k);
	return -1;
}

static int
load_template(struct confctx *c, config_setting_t *g, struct template *t)
{
	config_setting_t *s;
	int i, root = 0;

	t->line = config_setting_source_line(g);
	t->pids = 512;
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		conf_fail(c, g, "templates: each template must be a group");
		return -1;
	}
	for (i = 0; (s = config_setting_get_elem(g, i)) != NULL; i++)
		if (t_key(c, s, t) == -1)
			return -1;
	if (t->name == NULL || t->container == NULL || t->image == NULL) {
		conf_fail(c, g, "template needs name, container and image");
		return -1;
	}
	if (t->user != NULL)
		user_spec_valid(t->user, &root);
	if (root && !t->run_as_root) {
		conf_fail(c, g, "template %s: user is root; say "
		    "run_as_root = true if that is meant", t->name);
		return -1;
	}
	return 0;
}

int
conf_templates(struct confctx *c, config_setting_t *list, struct config *cf)
{
	size_t i, j, n;

	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		conf_fail(c, list, "templates: must be a list ( ... )");
		return -1;
	}
	n = (size_t)config_setting_length(list);
	if (n == 0)
		return 0;
	if ((cf->templates = calloc(n, sizeof(*cf->templates))) == NULL) {
		conf_fail(c, list, "out of memory");
		return -1;
	}
	cf->ntemplates = n;
	for (i = 0; i < n; i++) {
		if (load_template(c, config_setting_get_elem(list, (int)i),
		    &cf->templates[i]) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(cf->templates[j].name,
			    cf->templates[i].name) == 0) {
				conf_fail(c, config_setting_get_elem(list,
				    (int)i), "template %s defined twice",
				    cf->templates[i].name);
				return -1;
			}
	}
	return 0;
}

int
conf_images(struct confctx *c, config_setting_t *grp, struct config *cf)
{
	config_setting_t *s;
	size_t i;

	if (config_setting_type(grp) != CONFIG_TYPE_GROUP ||
	    config_setting_length(grp) != 1 ||
	    (s = config_setting_get_member(grp, "trusted")) == NULL) {
		conf_fail(c, grp, "images: must be { trusted = [ ... ]; }");
		return -1;
	}
	if ((cf->trusted = conf_strlist(c, s, 0)) == NULL)
		return -1;
	for (i = 0; cf->trusted[i] != NULL; i++)
		if (!image_ref_valid(cf->trusted[i])) {
			conf_fail(c, s, "trusted: \"%s\" is not an image "
			    "prefix or repo@sha256:digest", cf->trusted[i]);
			return -1;
		}
	return 0;
}

static int
load_provision(struct confctx *c, config_setting_t *g, struct provision *p)
{
	config_setting_t *s;
	const char *k;
	int i;

	p->line = config_setting_source_line(g);
	for (i = 0; (s = config_setting_get_elem(g, i)) != NULL; i++) {
		k = config_setting_name(s);
		if (strcmp(k, "group") == 0) {
			if (conf_string(c, s, &p->group) == -1)
				return -1;
		} else if (strcmp(k, "templates") == 0) {
			if ((p->templates = conf_strlist(c, s, 0)) == NULL)
				return -1;
		} else if (strcmp(k, "start") == 0 &&
		    config_setting_type(s) == CONFIG_TYPE_BOOL)
			p->start = config_setting_get_bool(s);
		else {
			conf_fail(c, s, "unknown or mistyped setting in "
			    "provision: %s", k);
			return -1;
		}
	}
	if (p->group == NULL || p->templates == NULL) {
		conf_fail(c, g, "provision entry needs group and templates");
		return -1;
	}
	return 0;
}

int
conf_provision(struct confctx *c, config_setting_t *list, struct config *cf)
{
	config_setting_t *g;
	size_t i, n;

	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		conf_fail(c, list, "provision: must be a list ( ... )");
		return -1;
	}
	n = (size_t)config_setting_length(list);
	if (n == 0)
		return 0;
	if ((cf->provisions = calloc(n, sizeof(*cf->provisions))) == NULL) {
		conf_fail(c, list, "out of memory");
		return -1;
	}
	cf->nprovisions = n;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(list, (int)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			conf_fail(c, g, "provision: entries are groups");
			return -1;
		}
		if (load_provision(c, g, &cf->provisions[i]) == -1)
			return -1;
	}
	return 0;
}

/* After the whole file: provision entries name existing templates. */
int
conf_templates_check(struct confctx *c, struct config *cf)
{
	size_t i, j;

	for (i = 0; i < cf->nprovisions; i++)
		for (j = 0; cf->provisions[i].templates[j] != NULL; j++)
			if (template_find(cf,
			    cf->provisions[i].templates[j]) == NULL) {
				snprintf(c->err, c->errlen, "%s:%d: provision: "
				    "no template named %s", c->path,
				    cf->provisions[i].line,
				    cf->provisions[i].templates[j]);
				c->failed = 1;
				return -1;
			}
	return 0;
}

void
templates_free(struct config *cf)
{
	struct template *t;
	size_t i;

	for (i = 0; i < cf->ntemplates; i++) {
		t = &cf->templates[i];
		free(t->name);
		free(t->container);
		free(t->image);
		free(t->engine);
		strv_free(t->cmd);
		strv_free(t->env);
		free(t->workdir);
		free(t->user);
		free(t->volume);
		free(t->volume_path);
		free(t->restart);
		strv_free(t->caps);
		strv_free(t->users);
		strv_free(t->groups);
	}
	free(cf->templates);
	for (i = 0; i < cf->nprovisions; i++) {
		free(cf->provisions[i].group);
		strv_free(cf->provisions[i].templates);
	}
	free(cf->provisions);
	strv_free(cf->trusted);
}
