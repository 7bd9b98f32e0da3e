/*
 * The image a container runs, as the admin named it: ctld creates from
 * a template by image ID (template.c) and keeps the name in the
 * ctl.image label; other containers carry the name dockerd was given.
 *
 * Invariants:
 * 1. The ctl.image label comes first, then dockerd's image field.
 * 2. An image ID (sha256:..., 64 hex) is never shown as a name: NULL.
 * 3. Only a reference's bytes ([A-Za-z0-9._/:@-], at most 255) pass.
 */
#include <string.h>

#include "handlers.h"
#include "template.h"

#define IMAGE_NAME_MAX	255

static int
is_id(const char *s)
{
	return strncmp(s, "sha256:", 7) == 0 || id_valid(s);
}

static int
reference_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= IMAGE_NAME_MAX && !is_id(s) &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._/:@-") == n;
}

json_t *
image_name(json_t *labels, json_t *image)
{
	const json_t *from[] = { json_object_get(labels, IMAGE_LABEL),
	    image };
	size_t i;

	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		if (json_is_string(from[i]) &&
		    strlen(json_string_value(from[i])) ==
		    json_string_length(from[i]) &&
		    reference_ok(json_string_value(from[i])))
			return json_string(json_string_value(from[i]));
	return NULL;
}
