/*
 * Whether a container is contained: nothing it runs can reach the host.
 * exec into one that is not would be root on the host, so exec asks this
 * at the time of each request, from dockerd's inspect of the container
 * (and of each volume, and of a container whose namespace it joins).
 *
 * Invariants:
 * 1. Default deny: a container is contained only when every check in
 *    checks[] says so; a field of an unexpected type, a value not known
 *    to be safe, or any dockerd error means not contained.
 * 2. Mounts are judged on the effective Mounts list (what
 *    --volumes-from and anonymous volumes added too), bind sources on
 *    their resolved path against exec.bind_allow.
 * 3. A namespace shared with another container ("container:ID") is as
 *    contained as that container, judged the same way, at most
 *    CONTAIN_DEPTH containers deep; a name there instead of a full ID is
 *    refused.
 * 4. The reason names the rule that failed; actions show it only to a
 *    caller who may otherwise use the container.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contain.h"
#include "execconf.h"
#include "names.h"

#define CONTAIN_DEPTH	2

struct judge {
	const struct config	*cf;
	const struct engine	*eng;
	int			 depth;
	char			*why;
	size_t			 whylen;
	enum contained		 rc;	/* NOT_CONTAINED or CONTAIN_FAILED */
};

static int __attribute__((format(printf, 2, 3)))
no(struct judge *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->why, j->whylen, fmt, ap);
	va_end(ap);
	j->rc = NOT_CONTAINED;
	return -1;
}

static json_t *
host(json_t *c, const char *key)
{
	return json_object_get(json_object_get(c, "HostConfig"), key);
}

/* An optional array (absent or null: empty), or -1 if something else. */
static int
array_len(json_t *v, size_t *n)
{
	*n = json_is_array(v) ? json_array_size(v) : 0;
	return v == NULL || json_is_null(v) || json_is_array(v) ? 0 : -1;
}

/* An optional string (absent or null: ""), or NULL if something else. */
static const char *
string_or_empty(json_t *v)
{
	if (v == NULL || json_is_null(v))
		return "";
	return json_string_value(v);
}

static int
not_privileged(struct judge *j, json_t *c)
{
	json_t *p = host(c, "Privileged");

	if (p != NULL && !json_is_false(p))
		return no(j, "it runs privileged (--privileged)");
	return 0;
}

/* Docker's default capabilities: what an unprivileged container has. */
static const char *const default_caps[] = {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
	"SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
	"SYS_CHROOT", "KILL", "AUDIT_WRITE", NULL
};

static int
default_cap(const char *cap)
{
	size_t i;

	if (strncasecmp(cap, "CAP_", 4) == 0)
		cap += 4;
	for (i = 0; default_caps[i] != NULL; i++)
		if (strcasecmp(cap, default_caps[i]) == 0)
			return 1;
	return 0;
}

static int
default_capabilities(struct judge *j, json_t *c)
{
	json_t *add = host(c, "CapAdd"), *v;
	const char *cap;
	size_t i, n;

	if (array_len(add, &n) == -1)
		return no(j, "its added capabilities are unreadable");
	json_array_foreach(add, i, v) {
		if ((cap = json_string_value(v)) == NULL)
			return no(j, "its added capabilities are unreadable");
		if (!default_cap(cap))
			return no(j, "it adds capability %.32s, beyond Docker's "
			    "default set", cap);
	}
	return 0;
}

static int
no_devices(struct judge *j, json_t *c)
{
	static const char *const keys[] = {
		"Devices", "DeviceCgroupRules", "DeviceRequests", NULL
	};
	size_t i, n;

	for (i = 0; keys[i] != NULL; i++)
		if (array_len(host(c, keys[i]), &n) == -1 || n > 0)
			return no(j, "it has host devices (%s)", keys[i]);
	return 0;
}

/*
 * A security option: only no-new-privileges, and seccomp or apparmor
 * naming Docker's own default profile. "key=value" or the old "key:value".
 */
static int
safe_secopt(const char *opt)
{
	size_t k = strcspn(opt, "=:");
	const char *val = opt[k] != '\0' ? opt + k + 1 : NULL;

	if (k == strlen("no-new-privileges") &&
	    strncmp(opt, "no-new-privileges", k) == 0)
		return 1;
	if (k == 7 && strncmp(opt, "seccomp", k) == 0)
		return val != NULL && strcmp(val, "builtin") == 0;
	if (k == 8 && strncmp(opt, "apparmor", k) == 0)
		return val != NULL && strcmp(val, "docker-default") == 0;
	return 0;
}

static int
default_confinement(struct judge *j, json_t *c)
{
	static const char *const paths[] = { "MaskedPaths", "ReadonlyPaths",
	    NULL };
	json_t *opts = host(c, "SecurityOpt"), *v;
	const char *opt;
	size_t i, n;

	if (array_len(opts, &n) == -1)
		return no(j, "its security options are unreadable");
	json_array_foreach(opts, i, v) {
		if ((opt = json_string_value(v)) == NULL)
			return no(j, "its security options are unreadable");
		if (!safe_secopt(opt))
			return no(j, "it runs with --security-opt %.64s", opt);
	}
	for (i = 0; paths[i] != NULL; i++) {
		v = host(c, paths[i]);
		if (array_len(v, &n) == -1 || (json_is_array(v) && n == 0))
			return no(j, "its %s were emptied (systempaths="
			    "unconfined)", paths[i]);
	}
	return 0;
}

static int
in_list(char *const *list, const char *s)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int
allowed_runtime(struct judge *j, json_t *c)
{
	const char *rt = string_or_empty(host(c, "Runtime"));

	if (rt == NULL)
		return no(j, "its runtime is unreadable");
	if (rt[0] == '\0' || strcmp(rt, "runc") == 0 ||
	    in_list(j->cf->exec_runtimes, rt))
		return 0;
	return no(j, "it runs under runtime %.64s, which exec.runtimes "
	    "does not list", rt);
}

static enum contained judge(struct judge *, json_t *c);

/* Another container whose namespace this one joins: judged as well. */
static int
joined(struct judge *j, const char *what, const char *ref)
{
	struct engine_reply r;
	struct judge inner = *j;
	char why[256];
	const char *id;

	if (!id_valid(ref))
		return no(j, "it joins the %s namespace of a container "
		    "not named by its full ID", what);
	if (j->depth >= CONTAIN_DEPTH)
		return no(j, "it joins the %s namespace of a container that "
		    "joins another's", what);
	if (engine_inspect(j->eng, ref, ENGINE_TIMEOUT, &r) == -1 ||
	    r.status != 200) {
		snprintf(j->why, j->whylen, "%s", r.error[0] ? r.error :
		    "dockerd: cannot inspect a joined container");
		engine_reply_free(&r);
		j->rc = CONTAIN_FAILED;
		return -1;
	}
	id = json_string_value(json_object_get(r.body, "Id"));
	inner.depth++;
	inner.why = why;
	inner.whylen = sizeof(why);
	why[0] = '\0';
	if (id == NULL || strcmp(id, ref) != 0)
		no(&inner, "dockerd answered for another container");
	else
		judge(&inner, r.body);
	engine_reply_free(&r);
	if (inner.rc == CONTAINED)
		return 0;
	if (inner.rc == NOT_CONTAINED)
		return no(j, "it joins the %s namespace of a container that is "
		    "not contained (%.120s)", what, why);
	snprintf(j->why, j->whylen, "%s", why);
	j->rc = inner.rc;
	return -1;
}

/*
 * Each namespace mode: "" (private), what else is safe for it, "host"
 * never, and "container:ID" only for those that allow it.
 */
static const struct {
	const char	*key;
	const char	*what;
	const char	*safe[6];
	int		 joinable;
} namespaces[] = {
	{ "PidMode", "PID", { "", NULL }, 1 },
	{ "IpcMode", "IPC", { "", "private", "shareable", "none", NULL }, 1 },
	{ "NetworkMode", "network", { NULL }, 1 },	/* any network name */
	{ "UTSMode", "UTS", { "", NULL }, 0 },
	{ "UsernsMode", "user", { "", NULL }, 0 },
	{ "CgroupnsMode", "cgroup", { "", "private", NULL }, 0 },
};

static int
own_namespace(struct judge *j, json_t *c, size_t k)
{
	const char *mode = string_or_empty(host(c, namespaces[k].key));
	size_t i;

	if (mode == NULL)
		return no(j, "its %s mode is unreadable", namespaces[k].key);
	if (strcmp(mode, "host") == 0)
		return no(j, "it shares the host's %s namespace%s",
		    namespaces[k].what, strcmp(namespaces[k].what, "cgroup") ?
		    "" : " (dockerd's default on cgroup v1: create it with "
		    "--cgroupns=private)");
	if (strncmp(mode, "container:", 10) == 0)
		return namespaces[k].joinable ?
		    joined(j, namespaces[k].what, mode + 10) :
		    no(j, "it joins another container's %s namespace",
		    namespaces[k].what);
	if (namespaces[k].safe[0] == NULL)
		return 0;
	for (i = 0; namespaces[k].safe[i] != NULL; i++)
		if (strcmp(mode, namespaces[k].safe[i]) == 0)
			return 0;
	return no(j, "its %s mode is %.32s", namespaces[k].key, mode);
}

static int
own_namespaces(struct judge *j, json_t *c)
{
	size_t k;

	for (k = 0; k < sizeof(namespaces) / sizeof(namespaces[0]); k++)
		if (own_namespace(j, c, k) == -1)
			return -1;
	return 0;
}

static int
bind_allowed(struct judge *j, const char *source)
{
	char real[PATH_MAX];
	char *const *a;

	if (source == NULL || source[0] != '/' ||
	    realpath(source, real) == NULL)
		return no(j, "it has a bind mount from the host");
	for (a = j->cf->exec_bind_allow; a != NULL && *a != NULL; a++)
		if (path_under(real, *a))
			return 0;
	return no(j, "it has a bind mount from the host that "
	    "exec.bind_allow does not list");
}

/* A local volume whose options make it a bind mount or a device. */
static int
volume_local(struct judge *j, const char *name)
{
	struct engine_reply r;
	json_t *opts;
	const char *o, *type, *dev, *drv;
	int rc = 0;

	if (engine_volume(j->eng, name, &r) == -1 || r.status != 200) {
		snprintf(j->why, j->whylen, "%s", r.error[0] ? r.error :
		    "dockerd: cannot inspect a volume");
		engine_reply_free(&r);
		j->rc = CONTAIN_FAILED;
		return -1;
	}
	opts = json_object_get(r.body, "Options");
	o = string_or_empty(json_object_get(opts, "o"));
	type = string_or_empty(json_object_get(opts, "type"));
	dev = string_or_empty(json_object_get(opts, "device"));
	drv = string_or_empty(json_object_get(r.body, "Driver"));
	if (drv == NULL || strcmp(drv, "local") != 0)
		rc = no(j, "it has a volume whose driver is not local");
	else if ((opts != NULL && !json_is_null(opts) &&
	    !json_is_object(opts)) || o == NULL || type == NULL || dev == NULL)
		rc = no(j, "it has a volume with unreadable options");
	else if (strcmp(type, "none") == 0 || dev[0] == '/' ||
	    strstr(o, "bind") != NULL)
		rc = no(j, "it has a local volume bound to a host path");
	engine_reply_free(&r);
	return rc;
}

static int
no_host_mounts(struct judge *j, json_t *c)
{
	json_t *mounts = json_object_get(c, "Mounts"), *m;
	const char *type, *name;
	size_t i, n;

	if (array_len(mounts, &n) == -1)
		return no(j, "its mounts are unreadable");
	json_array_foreach(mounts, i, m) {
		type = json_string_value(json_object_get(m, "Type"));
		name = json_string_value(json_object_get(m, "Name"));
		if (type == NULL)
			return no(j, "its mounts are unreadable");
		if (strcmp(type, "tmpfs") == 0)
			continue;
		if (strcmp(type, "bind") == 0) {
			if (bind_allowed(j, json_string_value(json_object_get(m,
			    "Source"))) == -1)
				return -1;
		} else if (strcmp(type, "volume") == 0) {
			if (name == NULL || !name_valid(name))
				return no(j, "it has a volume without a name");
			if (volume_local(j, name) == -1)
				return -1;
		} else
			return no(j, "it has a mount of type %.16s", type);
	}
	return 0;
}

/* "uid" or "uid:gid", uid a number other than 0. */
static int
numeric_non_root(const char *user)
{
	char *end;
	unsigned long uid;

	if (user[0] < '0' || user[0] > '9')
		return 0;
	uid = strtoul(user, &end, 10);
	return uid != 0 && uid <= UINT_MAX && (*end == '\0' || *end == ':');
}

static int
no_new_privileges(json_t *c)
{
	json_t *v;
	const char *opt;
	size_t i;

	json_array_foreach(host(c, "SecurityOpt"), i, v) {
		opt = json_string_value(v);
		if (opt == NULL || strncmp(opt, "no-new-privileges", 17) != 0)
			continue;
		if (opt[17] == '\0' || strcmp(opt + 18, "true") == 0)
			return 1;
	}
	return 0;
}

static int
unprivileged_user(struct judge *j, json_t *c)
{
	const char *user = string_or_empty(json_object_get(json_object_get(c,
	    "Config"), "User"));

	if (j->cf->exec_allow_root)
		return 0;
	if (user == NULL || !numeric_non_root(user))
		return no(j, "it does not run as a numeric user other than root "
		    "(exec.allow_root is false)");
	if (!no_new_privileges(c))
		return no(j, "it runs without no-new-privileges");
	return 0;
}

static const struct {
	const char	*rule;
	int		(*check)(struct judge *, json_t *);
} checks[] = {
	{ "privileged", not_privileged },
	{ "capabilities", default_capabilities },
	{ "devices", no_devices },
	{ "confinement", default_confinement },
	{ "runtime", allowed_runtime },
	{ "namespaces", own_namespaces },
	{ "mounts", no_host_mounts },
	{ "user", unprivileged_user },
};

/* "mounts: it has ...": the rule that failed, first. */
static void
prefix(struct judge *j, const char *rule)
{
	char why[512];

	snprintf(why, sizeof(why), "%s: %s", rule, j->why);
	snprintf(j->why, j->whylen, "%s", why);
}

static enum contained
judge(struct judge *j, json_t *c)
{
	size_t i;

	if (!json_is_object(c) || !json_is_object(json_object_get(c,
	    "HostConfig"))) {
		no(j, "dockerd's inspect is malformed");
		return j->rc;
	}
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (checks[i].check(j, c) == -1) {
			if (j->rc == NOT_CONTAINED)
				prefix(j, checks[i].rule);
			return j->rc;
		}
	j->rc = CONTAINED;
	return CONTAINED;
}

enum contained
contained(const struct config *cf, const struct engine *eng,
    json_t *inspect, char *why, size_t whylen)
{
	struct judge j = { cf, eng, 0, why, whylen, NOT_CONTAINED };

	why[0] = '\0';
	return judge(&j, inspect);
}
