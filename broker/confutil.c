/*
 * Helpers for reading ctld.conf's settings (config.c, tmplconf.c): each
 * checks one setting's type and value and records the first error with
 * the setting's line.
 */
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confutil.h"

void
conf_fail(struct confctx *c, const config_setting_t *s, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s != NULL)
		snprintf(c->err, c->errlen, "%s:%d: %s", c->path,
		    config_setting_source_line(s), msg);
	else
		snprintf(c->err, c->errlen, "%s: %s", c->path, msg);
}

int
conf_string(struct confctx *c, config_setting_t *s, char **dst)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || *v == '\0') {
		conf_fail(c, s, "%s: must be a non-empty string",
		    config_setting_name(s));
		return -1;
	}
	free(*dst);
	if ((*dst = strdup(v)) == NULL) {
		conf_fail(c, s, "out of memory");
		return -1;
	}
	return 0;
}

int
conf_abspath(struct confctx *c, config_setting_t *s, char **dst)
{
	const char *v = config_setting_get_string(s);

	if (v == NULL || v[0] != '/' || strlen(v) >= 108) {
		conf_fail(c, s, "%s: must be an absolute path under 108 bytes",
		    config_setting_name(s));
		return -1;
	}
	return conf_string(c, s, dst);
}

int
conf_int(struct confctx *c, config_setting_t *s, int lo, int hi, int *dst)
{
	int v = config_setting_get_int(s);

	if (v < lo || v > hi) {
		conf_fail(c, s, "%s: must be between %d and %d",
		    config_setting_name(s), lo, hi);
		return -1;
	}
	*dst = v;
	return 0;
}

/*
 * A duration in seconds, whole (60) or decimal (0.5), kept in
 * milliseconds; the bounds are milliseconds too. Checked as a double
 * before any conversion, so that no value, NaN included, reaches an
 * out-of-range cast.
 */
int
conf_seconds(struct confctx *c, config_setting_t *s, int lo_ms, int hi_ms,
    int *dst)
{
	double v;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		v = config_setting_get_int(s);
		break;
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	default:
		v = config_setting_get_float(s);
		break;
	}
	v *= 1000;
	if (!(v >= lo_ms && v <= hi_ms) || (v > 0 && v < 1)) {
		conf_fail(c, s, "%s: must be between %g and %g seconds%s",
		    config_setting_name(s), lo_ms / 1000.0, hi_ms / 1000.0,
		    lo_ms == 0 ? " (0, or 0.001 at least)" : "");
		return -1;
	}
	*dst = (int)(v + 0.5);
	return 0;
}

/*
 * Verbs no list names: each comes with another's grant, deny and
 * password. inspect shows the container status does, more fully, and
 * what keeps secrets out of it is inspect.c's allow-list, not a grant.
 */
static const struct {
	enum verb_id	 verb;
	enum verb_id	 with;
} implied[] = {
	{ VERB_INSPECT, VERB_STATUS },
};

static const struct verb *
implied_by(const struct verb *v)
{
	size_t i;

	for (i = 0; i < sizeof(implied) / sizeof(implied[0]); i++)
		if (implied[i].verb == v->id)
			return verb_by_id(implied[i].with);
	return NULL;
}

static void
add_implied(unsigned *mask)
{
	size_t i;

	for (i = 0; i < sizeof(implied) / sizeof(implied[0]); i++)
		if (*mask & VERB_BIT(implied[i].with))
			*mask |= VERB_BIT(implied[i].verb);
}

int
conf_verbs(struct confctx *c, config_setting_t *arr, unsigned *mask)
{
	const struct verb *v;
	config_setting_t *e;
	const char *name;
	int i;

	*mask = 0;
	for (i = 0; (e = config_setting_get_elem(arr, i)) != NULL; i++) {
		name = config_setting_get_string(e);
		if (name == NULL) {
			conf_fail(c, e, "%s: verbs must be strings",
			    config_setting_name(arr));
			return -1;
		}
		v = verb_find(name);
		if (v == NULL || (v->flags & (VF_LOCAL | VF_ADMIN))) {
			conf_fail(c, e, "%s: unknown verb \"%s\"",
			    config_setting_name(arr), name);
			return -1;
		}
		if (v->flags & VF_CAN) {
			conf_fail(c, e, "%s: every user may ask \"%s\": it "
			    "is granted to nobody", config_setting_name(arr),
			    name);
			return -1;
		}
		if (implied_by(v) != NULL) {
			conf_fail(c, e, "%s: \"%s\" comes with \"%s\": name "
			    "that", config_setting_name(arr), name,
			    implied_by(v)->name);
			return -1;
		}
		*mask |= VERB_BIT(v->id);
	}
	add_implied(mask);
	return 0;
}

char **
conf_strlist(struct confctx *c, config_setting_t *arr, int patterns)
{
	config_setting_t *e;
	const char *v;
	char **out;
	int i, n;

	if (config_setting_type(arr) != CONFIG_TYPE_ARRAY) {
		conf_fail(c, arr, "%s: must be an array of strings [ ... ]",
		    config_setting_name(arr));
		return NULL;
	}
	n = config_setting_length(arr);
	if (n == 0) {
		conf_fail(c, arr, "%s: must not be empty", config_setting_name(arr));
		return NULL;
	}
	if ((out = calloc((size_t)n + 1, sizeof(*out))) == NULL) {
		conf_fail(c, arr, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(arr, i);
		v = config_setting_get_string(e);
		if (v == NULL || *v == '\0' || strlen(v) > 256 ||
		    (!patterns && strpbrk(v, "?[]") != NULL)) {
			conf_fail(c, e, "%s: element %d is not a valid %s",
			    config_setting_name(arr), i + 1,
			    patterns ? "pattern" : "name");
			goto bad;
		}
		if ((out[i] = strdup(v)) == NULL) {
			conf_fail(c, e, "out of memory");
			goto bad;
		}
	}
	return out;
bad:
	for (i = 0; out[i] != NULL; i++)
		free(out[i]);
	free(out);
	return NULL;
}

void
strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}
