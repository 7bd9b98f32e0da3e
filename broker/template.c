/*
 * Containers from templates: the broker writes the whole create request.
 *
 * Invariants:
 * 1. The create body is built here from the template alone, key by key;
 *    nothing from a client is copied into it but the validated user name
 *    (in the owner label and %u expansions).
 * 2. Always: the owner label, Privileged false, CapDrop ALL plus only the
 *    template's allowed capabilities, no-new-privileges, a PID limit,
 *    private IPC and cgroup namespaces (dockerd's default for the latter
 *    on cgroup v1 is the host's), no host binds, no devices, no host
 *    PID/network/user namespace (network = false: none at all), a
 *    non-root user unless run_as_root was said: contained (contain.c)
 *    by construction, but for root.
 * 3. The image must match images.trusted; an entry pinned by digest
 *    matches only if the local image has exactly that digest. The create
 *    request names the image by the ID that was checked, so a retag in
 *    between cannot swap it; the name the admin wrote goes in the
 *    ctl.image label, which is only ever shown, never trusted.
 */
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "engine.h"
#include "template.h"

int
template_expand(const char *p, const char *user, char *out, size_t len)
{
	size_t n = 0, ul;

	for (; *p != '\0'; p++) {
		if (*p == '%' && p[1] == 'u') {
			ul = strlen(user);
			if (n + ul >= len)
				return -1;
			memcpy(out + n, user, ul);
			n += ul;
			p++;
			continue;
		}
		if (*p == '%' && p[1] == '%')
			p++;
		else if (*p == '%')
			return -1;
		if (n + 1 >= len)
			return -1;
		out[n++] = *p;
	}
	out[n] = '\0';
	return name_valid(out) ? 0 : -1;
}

/* The engine a template makes its containers on: its own, or the first. */
const struct engine *
template_engine(const struct config *cf, const struct template *t)
{
	const struct engine *e = t->engine != NULL ?
	    config_engine(cf, t->engine) : NULL;

	return e != NULL ? e : &cf->engines[0];
}

const struct template *
template_find(const struct config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->ntemplates; i++)
		if (strcmp(cf->templates[i].name, name) == 0)
			return &cf->templates[i];
	return NULL;
}

/* The repository part of a reference: without :tag or @digest. */
static size_t
repo_len(const char *ref)
{
	const char *at = strchr(ref, '@'), *slash, *colon;
	size_t n = at ? (size_t)(at - ref) : strlen(ref);

	slash = memrchr(ref, '/', n);
	colon = memrchr(ref, ':', n);
	if (colon != NULL && (slash == NULL || colon > slash))
		n = (size_t)(colon - ref);
	return n;
}

static int
has_digest(json_t *inspect, const char *entry, const char *digest)
{
	json_t *d;
	size_t i;

	if (json_is_string(json_object_get(inspect, "Id")) &&
	    strcmp(json_string_value(json_object_get(inspect, "Id")),
	    digest) == 0)
		return 1;
	json_array_foreach(json_object_get(inspect, "RepoDigests"), i, d)
		if (json_is_string(d) && strcmp(json_string_value(d),
		    entry) == 0)
			return 1;
	return 0;
}

static int
prefix_match(const char *entry, const char *ref)
{
	size_t n = strlen(entry);
	char last = n ? entry[n - 1] : '\0';

	if (strcmp(entry, ref) == 0)
		return 1;
	return strncmp(entry, ref, n) == 0 && (last == '/' || last == ':' ||
	    strchr(":@/", ref[n]) != NULL);
}

int
template_trusted(const struct config *cf, const char *image,
    json_t *inspect, char *why, size_t whylen)
{
	const char *e, *at;
	size_t i, rl;

	for (i = 0; cf->trusted != NULL && cf->trusted[i] != NULL; i++) {
		e = cf->trusted[i];
		if ((at = strstr(e, "@sha256:")) == NULL) {
			if (prefix_match(e, image))
				return 1;
			continue;
		}
		rl = (size_t)(at - e);
		if (repo_len(image) != rl || strncmp(e, image, rl) != 0)
			continue;
		if (has_digest(inspect, e, at + 1))
			return 1;
		snprintf(why, whylen, "image %s does not have the digest "
		    "pinned in images.trusted (%s)", image, at + 1);
		return 0;
	}
	snprintf(why, whylen, "image %s is not in images.trusted", image);
	return 0;
}

static json_t *
strv_json(char *const *v)
{
	json_t *a = json_array();

	for (; v != NULL && *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *
host_config(const struct template *t, const char *volume)
{
	json_t *hc;

	hc = json_pack("{s:b, s:[s], s:o, s:[s], s:I, s:s, s:s, s:[], s:[],"
	    " s:b, s:{s:s}}",
	    "Privileged", 0,
	    "CapDrop", "ALL",
	    "CapAdd", strv_json(t->caps),
	    "SecurityOpt", "no-new-privileges",
	    "PidsLimit", (json_int_t)t->pids,
	    "IpcMode", "private",
	    "CgroupnsMode", "private",
	    "Binds", "Devices",
	    "PublishAllPorts", 0,
	    "RestartPolicy", "Name", t->restart ? t->restart : "no");
	if (hc == NULL)
		return NULL;
	if (t->no_network)
		json_object_set_new(hc, "NetworkMode", json_string("none"));
	if (t->memory > 0)
		json_object_set_new(hc, "Memory", json_integer(t->memory));
	if (t->nano_cpus > 0)
		json_object_set_new(hc, "NanoCpus",
		    json_integer(t->nano_cpus));
	if (volume != NULL)
		json_object_set_new(hc, "Mounts", json_pack("[{s:s, s:s, s:s}]",
		    "Type", "volume", "Source", volume,
		    "Target", t->volume_path));
	return hc;
}

json_t *
template_body(const struct template *t, const char *user,
    const char *owner_label, const char *group_label, const char *image_id,
    const char *volume)
{
	json_t *body, *hc;

	if ((hc = host_config(t, volume)) == NULL)
		return NULL;
	/* an empty group label: one inherited from the image grants nothing */
	body = json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:s, s:s}, s:b, s:b,"
	    " s:o}",
	    "Image", image_id,
	    "User", t->user ? t->user : (t->run_as_root ? "0:0" :
	    "65534:65534"),
	    "Env", strv_json(t->env),
	    "Labels", owner_label, user, group_label, "",
	    "ctl.template", t->name,
	    IMAGE_LABEL, t->image,
	    "Tty", 0,
	    "OpenStdin", 0,
	    "HostConfig", hc);
	if (body == NULL)
		return NULL;
	/* mode none for all to see, and no sandbox for dockerd to set up */
	if (t->no_network)
		json_object_set_new(body, "NetworkDisabled", json_true());
	if (t->cmd != NULL)
		json_object_set_new(body, "Cmd", strv_json(t->cmd));
	if (t->workdir != NULL)
		json_object_set_new(body, "WorkingDir", json_string(t->workdir));
	return body;
}
