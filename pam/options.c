/*
 * pam_ctl's module arguments, parsed once per call into struct options.
 *
 * Invariants:
 * 1. Every argument is either applied or logged: an unknown option, a
 *    flag given a value or a malformed value is reported with pam_syslog
 *    and never silently dropped.
 * 2. An argument whose name is not known (Fail=closed, requre_group=x)
 *    or a flag given a value (stop_on_logout=yes) cannot say what the
 *    administrator meant: the module then fails every call (o->broken).
 * 3. A malformed value falls back to the safe choice: fail= to closed,
 *    require_group= to denying everyone. A malformed socket= or
 *    timeout= is ignored, leaving the value in effect before it (the
 *    default, or an earlier valid setting): a typo never points the
 *    module at another socket than the one the administrator named.
 */
#include <sys/un.h>

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "names.h"
#include "pam_ctl.h"

static int	set_socket(struct options *, const char *);
static int	set_timeout(struct options *, const char *);
static int	set_fail(struct options *, const char *);
static int	set_group(struct options *, const char *);
static int	set_stop(struct options *, const char *);
static int	set_debug(struct options *, const char *);

/* A NULL value means the flag form: "debug", not "debug=...". */
static const struct optdef {
	const char	*name;
	int		 has_value;
	int		(*set)(struct options *, const char *);
	const char	*fallback;	/* logged when set() refuses */
} optdefs[] = {
	{ "socket", 1, set_socket, "ignored" },
	{ "timeout", 1, set_timeout, "ignored" },
	{ "fail", 1, set_fail, "using fail=closed" },
	{ "require_group", 1, set_group, "denying every user" },
	{ "stop_on_logout", 0, set_stop, NULL },
	{ "debug", 0, set_debug, NULL },
	{ NULL, 0, NULL, NULL }
};

static int
set_socket(struct options *o, const char *v)
{
	if (v == NULL || v[0] != '/' ||
	    strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -1;
	o->socket = v;
	return 0;
}

static int
set_timeout(struct options *o, const char *v)
{
	unsigned long secs;

	if (v == NULL || uint_parse(v, CTL_TIMEOUT_MAX, &secs) == -1 ||
	    secs == 0)
		return -1;
	o->timeout_ms = (int)secs * 1000;
	return 0;
}

static int
set_fail(struct options *o, const char *v)
{
	if (v != NULL && strcmp(v, "open") == 0)
		o->fail_closed = 0;
	else if (v != NULL && strcmp(v, "closed") == 0)
		o->fail_closed = 1;
	else {
		o->fail_closed = 1;	/* the admin meant to change it */
		return -1;
	}
	return 0;
}

static int
set_group(struct options *o, const char *v)
{
	if (v == NULL || v[0] == '\0') {
		o->require_group = NULL;
		o->group_bad = 1;
		return -1;
	}
	o->require_group = v;
	o->group_bad = 0;
	return 0;
}

static int
set_stop(struct options *o, const char *v)
{
	o->stop_on_logout = 1;
	return 0;
}

static int
set_debug(struct options *o, const char *v)
{
	o->debug = 1;
	return 0;
}

static void
opt_apply(pam_handle_t *pamh, struct options *o, const char *arg)
{
	const struct optdef *d;
	const char *eq, *val;
	size_t namelen;

	eq = strchr(arg, '=');
	namelen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	val = eq != NULL ? eq + 1 : NULL;
	for (d = optdefs; d->name != NULL; d++)
		if (strlen(d->name) == namelen &&
		    strncmp(d->name, arg, namelen) == 0)
			break;
	if (d->name == NULL) {
		pam_syslog(pamh, LOG_ERR, "unknown option: %s; failing closed",
		    arg);
		o->broken = 1;
		return;
	}
	if (!d->has_value && val != NULL) {
		pam_syslog(pamh, LOG_ERR, "option %s takes no value: %s; "
		    "failing closed", d->name, arg);
		o->broken = 1;
		return;
	}
	if (d->set(o, val) == -1)
		pam_syslog(pamh, LOG_ERR, "bad value in option: %s; %s", arg,
		    d->fallback);
}

void
opts_parse(pam_handle_t *pamh, int argc, const char **argv,
    struct options *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->socket = CTL_SOCKET_DEFAULT;
	o->timeout_ms = CTL_TIMEOUT_DEFAULT * 1000;
	for (i = 0; i < argc; i++)
		if (argv[i] != NULL)
			opt_apply(pamh, o, argv[i]);
}
