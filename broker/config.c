/*
 * Loading and checking ctld.conf (libconfig).
 *
 * Invariants:
 * 1. The file is opened once with O_NOFOLLOW and checked on that same
 *    descriptor: a regular file, owned by root, writable by nobody else.
 * 2. Every key is known: a typo is an error with its line number, never
 *    a silently ignored setting that an admin believes in force.
 * 3. Verbs, paths, labels and patterns are checked here, once, so that
 *    policy and docker code can rely on them.
 * 4. A config that fails any check is not used; the caller keeps the old.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctld.h"
#include "confutil.h"
#include "engconf.h"
#include "execconf.h"
#include "tmplconf.h"

/* Not one of libconfig's types: a whole or decimal number of seconds. */
#define TYPE_SECONDS	(-1)

struct keyspec {
	const char	*name;
	int		 type;
	int		(*store)(struct confctx *, config_setting_t *,
			    struct config *);
};

static int
label_valid(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-/", *s) == NULL)
			return 0;
	return 1;
}

static int
st_listen_path(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_abspath(c, s, &cf->listen_path);
}

static int
st_listen_mode(struct confctx *c, config_setting_t *s, struct config *cf)
{
	char digits[16];
	unsigned long m;
	char *end;
	int v;

	/* libconfig has no octal: read 0666 (seen as 666) as chmod does. */
	v = config_setting_get_int(s);
	if (config_setting_get_format(s) == CONFIG_FORMAT_HEX)
		m = (unsigned long)v;
	else {
		snprintf(digits, sizeof(digits), "%d", v);
		m = strtoul(digits, &end, 8);
		if (*end != '\0' || v < 0)
			m = 01000;
	}
	if (m > 0777) {
		conf_fail(c, s, "mode: must be a file mode such as 0666 or 0660");
		return -1;
	}
	cf->listen_mode = (mode_t)m;
	return 0;
}

static int
st_docker_socket(struct confctx *c, config_setting_t *s, struct config *cf)
{
	cf->docker_socket_set = 1;
	return conf_abspath(c, s, &cf->docker_socket);
}

static int
st_api_version(struct confctx *c, config_setting_t *s, struct config *cf)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || strncmp(v, "1.", 2) != 0 || strlen(v) < 3 ||
	    strlen(v) > 4 || strspn(v + 2, "0123456789") != strlen(v + 2)) {
		conf_fail(c, s, "api_version: must look like \"1.41\"");
		return -1;
	}
	return conf_string(c, s, &cf->api_version);
}

static int
st_pam_service(struct confctx *c, config_setting_t *s, struct config *cf)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || !label_valid(v) || strchr(v, '/') != NULL) {
		conf_fail(c, s, "service: must be a PAM service name");
		return -1;
	}
	return conf_string(c, s, &cf->pam_service);
}

static int
st_audit_file(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_abspath(c, s, &cf->audit_file);
}

static int
st_audit_syslog(struct confctx *c, config_setting_t *s, struct config *cf)
{
	cf->audit_syslog = config_setting_get_bool(s);
	return 0;
}

static int
st_audit_sessions(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_abspath(c, s, &cf->audit_sessions);
}

static int
st_audit_sessions_input(struct confctx *c, config_setting_t *s,
    struct config *cf)
{
	cf->audit_sessions_input = config_setting_get_bool(s);
	return 0;
}

static int
st_audit_sessions_max(struct confctx *c, config_setting_t *s,
    struct config *cf)
{
	return conf_int(c, s, 65536, 1073741824, &cf->audit_sessions_max);
}

static int
st_label(struct confctx *c, config_setting_t *s, char **dst)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || !label_valid(v)) {
		conf_fail(c, s, "%s: not a valid label key",
		    config_setting_name(s));
		return -1;
	}
	return conf_string(c, s, dst);
}

static int
st_owner_label(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return st_label(c, s, &cf->owner_label);
}

static int
st_group_label(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return st_label(c, s, &cf->group_label);
}

static int
st_owner_verbs(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_verbs(c, s, &cf->owner_verbs);
}

static int
st_client_timeout(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 1, 3600, &cf->client_timeout);
}

static int
st_max_clients(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 1, 100000, &cf->max_clients);
}

static int
st_containers_per_user(struct confctx *c, config_setting_t *s,
    struct config *cf)
{
	return conf_int(c, s, 0, 100000, &cf->containers_per_user);
}

static int
st_miss_quantum(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 0, 1000, &cf->miss_quantum_ms);
}

static int
st_exec_per_user(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 1, 1000, &cf->exec_per_user);
}

static int
st_exec_idle(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 0, 86400 * 7, &cf->exec_idle);
}

static int
st_max_per_user(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 1, 100000, &cf->max_per_user);
}

static int
st_idle_timeout(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 0, 86400 * 7, &cf->idle_timeout);
}

static int
st_reauth_verbs(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_verbs(c, s, &cf->reauth_verbs);
}

static int
st_reauth_timeout(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_seconds(c, s, 0, 86400 * 1000, &cf->reauth_timeout_ms);
}

static int
st_reauth_tries(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 1, 10, &cf->reauth_tries);
}

static int
st_fail_delay(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 0, 10000, &cf->fail_delay_ms);
}

static int
st_max_failures(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 1, FAILURES_MAX, &cf->failures.max);
}

static int
st_failure_window(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 1, 86400, &cf->failures.window);
}

static int
st_lock_time(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 0, 86400, &cf->failures.lock_time);
}

static int
st_pam_timeout(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_seconds(c, s, 100, 3600 * 1000, &cf->pam_timeout_ms);
}

static int
st_ticket_dir(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_abspath(c, s, &cf->ticket_dir);
}

static int load_rules(struct confctx *, config_setting_t *, struct config *);

static const struct keyspec listen_keys[] = {
	{ "path", CONFIG_TYPE_STRING, st_listen_path },
	{ "mode", CONFIG_TYPE_INT, st_listen_mode },
	{ NULL, 0, NULL }
};
static const struct keyspec docker_keys[] = {
	{ "socket", CONFIG_TYPE_STRING, st_docker_socket },
	{ "api_version", CONFIG_TYPE_STRING, st_api_version },
	{ NULL, 0, NULL }
};
static const struct keyspec pam_keys[] = {
	{ "service", CONFIG_TYPE_STRING, st_pam_service },
	{ NULL, 0, NULL }
};
static const struct keyspec audit_keys[] = {
	{ "file", CONFIG_TYPE_STRING, st_audit_file },
	{ "syslog", CONFIG_TYPE_BOOL, st_audit_syslog },
	{ "sessions", CONFIG_TYPE_STRING, st_audit_sessions },
	{ "sessions_input", CONFIG_TYPE_BOOL, st_audit_sessions_input },
	{ "sessions_max", CONFIG_TYPE_INT, st_audit_sessions_max },
	{ NULL, 0, NULL }
};
static const struct keyspec ownership_keys[] = {
	{ "owner_label", CONFIG_TYPE_STRING, st_owner_label },
	{ "group_label", CONFIG_TYPE_STRING, st_group_label },
	{ "owner_verbs", CONFIG_TYPE_ARRAY, st_owner_verbs },
	{ NULL, 0, NULL }
};
static const struct keyspec limits_keys[] = {
	{ "client_timeout", CONFIG_TYPE_INT, st_client_timeout },
	{ "max_clients", CONFIG_TYPE_INT, st_max_clients },
	{ "max_per_user", CONFIG_TYPE_INT, st_max_per_user },
	{ "containers_per_user", CONFIG_TYPE_INT, st_containers_per_user },
	{ "miss_quantum_ms", CONFIG_TYPE_INT, st_miss_quantum },
	{ "exec_per_user", CONFIG_TYPE_INT, st_exec_per_user },
	{ "exec_idle", CONFIG_TYPE_INT, st_exec_idle },
	{ NULL, 0, NULL }
};
static const struct keyspec reauth_keys[] = {
	{ "verbs", CONFIG_TYPE_ARRAY, st_reauth_verbs },
	{ "timeout", TYPE_SECONDS, st_reauth_timeout },
	{ "tries", CONFIG_TYPE_INT, st_reauth_tries },
	{ "fail_delay_ms", CONFIG_TYPE_INT, st_fail_delay },
	{ "pam_timeout", TYPE_SECONDS, st_pam_timeout },
	{ "max_failures", CONFIG_TYPE_INT, st_max_failures },
	{ "failure_window", CONFIG_TYPE_INT, st_failure_window },
	{ "lock_time", CONFIG_TYPE_INT, st_lock_time },
	{ "dir", CONFIG_TYPE_STRING, st_ticket_dir },
	{ NULL, 0, NULL }
};
static int
st_warnings(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 0, 1000, &cf->warnings);
}

static int
st_max_replicas(struct confctx *c, config_setting_t *s, struct config *cf)
{
	return conf_int(c, s, 0, 100000, &cf->swarm_max_replicas);
}

static const struct keyspec swarm_keys[] = {
	{ "max_replicas", CONFIG_TYPE_INT, st_max_replicas },
	{ NULL, 0, NULL }
};

static const struct keyspec shell_keys[] = {
	{ "idle_timeout", CONFIG_TYPE_INT, st_idle_timeout },
	{ "warnings", CONFIG_TYPE_INT, st_warnings },
	{ NULL, 0, NULL }
};

/* "error", "warning", "notice", "info" or "debug". */
static int
conf_log_level(struct confctx *c, config_setting_t *s, struct config *cf)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || (cf->log_level = log_level_parse(v)) == -1) {
		conf_fail(c, s, "log_level: must be \"error\", \"warning\", "
		    "\"notice\", \"info\" or \"debug\"");
		return -1;
	}
	return 0;
}

static const struct {
	const char		*name;
	const struct keyspec	*keys;
	int			(*load)(struct confctx *, config_setting_t *,
				    struct config *);
} sections[] = {
	{ "listen", listen_keys, NULL },
	{ "docker", docker_keys, NULL },
	{ "engines", NULL, conf_engines },
	{ "pam", pam_keys, NULL },
	{ "audit", audit_keys, NULL },
	{ "ownership", ownership_keys, NULL },
	{ "limits", limits_keys, NULL },
	{ "shell", shell_keys, NULL },
	{ "swarm", swarm_keys, NULL },
	{ "reauth", reauth_keys, NULL },
	{ "rules", NULL, load_rules },
	{ "images", NULL, conf_images },
	{ "templates", NULL, conf_templates },
	{ "provision", NULL, conf_provision },
	{ "exec", NULL, conf_exec },
	{ "log_level", NULL, conf_log_level },
};

static const char *
type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:		return "a group { ... }";
	case CONFIG_TYPE_INT:		return "an integer";
	case TYPE_SECONDS:		return "a number of seconds (60, 0.5)";
	case CONFIG_TYPE_STRING:	return "a string";
	case CONFIG_TYPE_BOOL:		return "true or false";
	case CONFIG_TYPE_ARRAY:		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:		return "a list ( ... )";
	}
	return "another type";
}

/* An empty list () passes for an empty array []. */
static int
type_fits(int want, const config_setting_t *s)
{
	int t = config_setting_type(s);

	if (want == TYPE_SECONDS)
		return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
		    t == CONFIG_TYPE_FLOAT;
	return t == want || (want == CONFIG_TYPE_ARRAY &&
	    t == CONFIG_TYPE_LIST && config_setting_length(s) == 0);
}

static int
load_section(struct confctx *c, config_setting_t *grp, const struct keyspec *ks,
    struct config *cf)
{
	const struct keyspec *k;
	config_setting_t *s;
	int i;

	if (config_setting_type(grp) != CONFIG_TYPE_GROUP) {
		conf_fail(c, grp, "%s: must be a group { ... }",
		    config_setting_name(grp));
		return -1;
	}
	for (i = 0; (s = config_setting_get_elem(grp, i)) != NULL; i++) {
		for (k = ks; k->name != NULL; k++)
			if (strcmp(k->name, config_setting_name(s)) == 0)
				break;
		if (k->name == NULL) {
			conf_fail(c, s, "unknown setting %s.%s",
			    config_setting_name(grp), config_setting_name(s));
			return -1;
		}
		if (!type_fits(k->type, s)) {
			conf_fail(c, s, "%s.%s: must be %s",
			    config_setting_name(grp), k->name,
			    type_name(k->type));
			return -1;
		}
		if (k->store(c, s, cf) == -1)
			return -1;
	}
	return 0;
}

static int
load_rule(struct confctx *c, config_setting_t *r, struct rule *rule)
{
	config_setting_t *s;
	const char *k;
	int i;

	rule->line = config_setting_source_line(r);
	if (config_setting_type(r) != CONFIG_TYPE_GROUP) {
		conf_fail(c, r, "rules: each rule must be a group { ... }");
		return -1;
	}
	for (i = 0; (s = config_setting_get_elem(r, i)) != NULL; i++) {
		k = config_setting_name(s);
		if (strcmp(k, "users") == 0)
			rule->users = conf_strlist(c, s, 0);
		else if (strcmp(k, "groups") == 0)
			rule->groups = conf_strlist(c, s, 0);
		else if (strcmp(k, "containers") == 0)
			rule->containers = conf_strlist(c, s, 1);
		else if (strcmp(k, "engines") == 0)
			rule->engines = conf_strlist(c, s, 1);
		else if (strcmp(k, "verbs") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_ARRAY ||
			    config_setting_length(s) == 0)
				conf_fail(c, s, "verbs: must be a non-empty array");
			else
				conf_verbs(c, s, &rule->verbs);
		} else if (strcmp(k, "deny") == 0) {
			if (config_setting_type(s) != CONFIG_TYPE_BOOL)
				conf_fail(c, s, "deny: must be true or false");
			rule->deny = config_setting_get_bool(s);
		} else
			conf_fail(c, s, "unknown setting in rule: %s", k);
		if (c->failed)
			return -1;
	}
	if (rule->users == NULL && rule->groups == NULL)
		conf_fail(c, r, "rule needs users or groups");
	else if (rule->containers == NULL)
		conf_fail(c, r, "rule needs containers");
	else if (rule->verbs == 0)
		conf_fail(c, r, "rule needs verbs");
	return c->failed ? -1 : 0;
}

static int
load_rules(struct confctx *c, config_setting_t *list, struct config *cf)
{
	size_t i, n;

	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		conf_fail(c, list, "rules: must be a list ( ... )");
		return -1;
	}
	n = (size_t)config_setting_length(list);
	if (n == 0)
		return 0;
	if ((cf->rules = calloc(n, sizeof(*cf->rules))) == NULL) {
		conf_fail(c, list, "out of memory");
		return -1;
	}
	cf->nrules = n;
	for (i = 0; i < n; i++)
		if (load_rule(c, config_setting_get_elem(list, (int)i),
		    &cf->rules[i]) == -1)
			return -1;
	return 0;
}

static int
set_defaults(struct config *cf)
{
	cf->listen_path = strdup("/run/ctl/ctld.sock");
	cf->listen_mode = 0666;
	cf->docker_socket = strdup("/var/run/docker.sock");
	cf->api_version = strdup("1.41");
	cf->pam_service = strdup("ctl");
	cf->audit_file = strdup("/var/log/ctl/audit.jsonl");
	cf->audit_syslog = 1;
	cf->audit_sessions_max = 16 << 20;
	cf->owner_label = strdup("ctl.owner");
	cf->group_label = strdup("ctl.group");
	cf->client_timeout = 30;
	cf->log_level = LOG_INFO;
	cf->max_clients = 512;
	cf->max_per_user = 64;
	cf->containers_per_user = 10;
	cf->miss_quantum_ms = 10;
	cf->exec_per_user = 4;
	cf->swarm_max_replicas = 10;
	cf->exec_idle = 3600;
	cf->idle_timeout = 900;
	cf->warnings = 5;
	cf->reauth_timeout_ms = 300 * 1000;
	cf->reauth_tries = 3;
	cf->fail_delay_ms = 2000;
	cf->failures.max = 5;
	cf->failures.window = 600;
	cf->failures.lock_time = 300;
	cf->pam_timeout_ms = 60 * 1000;
	cf->ticket_dir = strdup("/run/ctl/tickets");
	if (cf->listen_path == NULL || cf->docker_socket == NULL ||
	    cf->api_version == NULL || cf->pam_service == NULL ||
	    cf->audit_file == NULL || cf->owner_label == NULL ||
	    cf->group_label == NULL || cf->ticket_dir == NULL)
		return -1;
	return 0;
}

static int
open_checked(struct confctx *c, int check_owner, FILE **fp)
{
	struct stat st;
	int fd;

	fd = open(c->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
	    O_NOCTTY);
	if (fd == -1) {
		conf_fail(c, NULL, "open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		conf_fail(c, NULL, "fstat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		conf_fail(c, NULL, "not a regular file");
	else if (check_owner && st.st_uid != 0)
		conf_fail(c, NULL, "not owned by root (uid %u)",
		    (unsigned)st.st_uid);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		conf_fail(c, NULL, "writable by group or others (mode %04o)",
		    (unsigned)(st.st_mode & 07777));
	if (c->failed || (*fp = fdopen(fd, "r")) == NULL) {
		if (!c->failed)
			conf_fail(c, NULL, "fdopen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return 0;
}

#define CONFIG_MAX	(1 << 20)

/* libpam's service directory; a variable only so that tests can move it */
const char *conf_pam_dir = "/etc/pam.d";

/* The whole file, NUL-terminated, from the checked stream. */
static char *
read_all(struct confctx *c, FILE *fp)
{
	size_t n = 0, got;
	char *buf;

	if ((buf = malloc(CONFIG_MAX + 1)) == NULL) {
		conf_fail(c, NULL, "out of memory");
		return NULL;
	}
	while ((got = fread(buf + n, 1, CONFIG_MAX + 1 - n, fp)) > 0)
		n += got;
	if (ferror(fp) || n > CONFIG_MAX) {
		conf_fail(c, NULL, ferror(fp) ? "read error" :
		    "larger than %d bytes", CONFIG_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		conf_fail(c, NULL, "holds a NUL byte");
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * libconfig reads "@include" lines itself, from any file, with none of
 * open_checked's checks: refuse them (as its scanner sees them, at the
 * start of a line after blanks; one inside a string is refused too).
 */
static int
no_includes(struct confctx *c, const char *text)
{
	const char *p = text;
	int line = 1;

	for (;;) {
		p += strspn(p, " \t");
		if (strncmp(p, "@include", 8) == 0) {
			snprintf(c->err, c->errlen, "%s:%d: @include is not "
			    "allowed: every setting must be in this file, which "
			    "ctld checks", c->path, line);
			c->failed = 1;
			return -1;
		}
		if ((p = strchr(p, '\n')) == NULL)
			return 0;
		p++;
		line++;
	}
}

/*
 * libpam falls back to its "other" service when /etc/pam.d has no file
 * of that name: a typo would then decide accounts by another stack.
 */
static int
pam_service_exists(struct confctx *c, config_t *lc, const char *service)
{
	char path[PATH_MAX];
	struct stat st;

	if (stat(conf_pam_dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return 0;	/* libpam reads /etc/pam.conf then */
	snprintf(path, sizeof(path), "%s/%s", conf_pam_dir, service);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return 0;
	conf_fail(c, config_lookup(lc, "pam.service"), "pam.service: no "
	    "PAM service file %s (libpam would use \"other\" instead)", path);
	return -1;
}

static int
load_root(struct confctx *c, config_t *lc, struct config *cf)
{
	config_setting_t *root, *s;
	size_t i, n = sizeof(sections) / sizeof(sections[0]);
	int j;

	root = config_root_setting(lc);
	for (j = 0; (s = config_setting_get_elem(root, j)) != NULL; j++) {
		for (i = 0; i < n; i++)
			if (strcmp(sections[i].name,
			    config_setting_name(s)) == 0)
				break;
		if (i == n) {
			conf_fail(c, s, "unknown setting %s",
			    config_setting_name(s));
			return -1;
		}
		if (sections[i].load != NULL) {
			if (sections[i].load(c, s, cf) == -1)
				return -1;
		} else if (load_section(c, s, sections[i].keys, cf) == -1)
			return -1;
	}
	return 0;
}

struct config *
config_load(const char *path, int check_owner, char *err, size_t errlen)
{
	struct confctx c = { path, err, errlen, 0 };
	struct config *cf;
	config_t lc;
	FILE *fp;
	char *text;

	if ((cf = calloc(1, sizeof(*cf))) == NULL ||
	    (cf->path = strdup(path)) == NULL || set_defaults(cf) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		config_free(cf);
		return NULL;
	}
	if (open_checked(&c, check_owner, &fp) == -1) {
		config_free(cf);
		return NULL;
	}
	text = read_all(&c, fp);
	fclose(fp);
	if (text == NULL || no_includes(&c, text) == -1) {
		free(text);
		config_free(cf);
		return NULL;
	}
	config_init(&lc);
	if (config_read_string(&lc, text) != CONFIG_TRUE) {
		snprintf(err, errlen, "%s:%d: %s", path,
		    config_error_line(&lc), config_error_text(&lc));
		c.failed = 1;
	} else if (load_root(&c, &lc, cf) == 0 &&
	    conf_engines_check(&c, cf, check_owner) == 0 &&
	    conf_templates_check(&c, cf) == 0 &&
	    conf_exec_check(&c, cf) == 0 && check_owner)
		(void)pam_service_exists(&c, &lc, cf->pam_service);
	config_destroy(&lc);
	free(text);
	if (c.failed) {
		config_free(cf);
		return NULL;
	}
	return cf;
}

void
config_free(struct config *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->nrules; i++) {
		strv_free(cf->rules[i].users);
		strv_free(cf->rules[i].groups);
		strv_free(cf->rules[i].containers);
		strv_free(cf->rules[i].engines);
	}
	free(cf->rules);
	free(cf->path);
	free(cf->listen_path);
	free(cf->docker_socket);
	engines_free(cf);
	free(cf->api_version);
	free(cf->pam_service);
	free(cf->audit_file);
	free(cf->audit_sessions);
	free(cf->owner_label);
	free(cf->group_label);
	free(cf->ticket_dir);
	strv_free(cf->exec_bind_allow);
	strv_free(cf->exec_runtimes);
	templates_free(cf);
	free(cf);
}
