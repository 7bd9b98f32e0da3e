/* Containers from admin templates: names, trust, the create request. */
#ifndef CTLD_TEMPLATE_H
#define CTLD_TEMPLATE_H

#include "ctld.h"

/* The image as the template names it; the create request has its ID. */
#define IMAGE_LABEL	"ctl.image"

int	template_expand(const char *pattern, const char *user, char *out,
	    size_t len);
const struct template *template_find(const struct config *, const char *);
const struct engine *template_engine(const struct config *,
	    const struct template *);
int	template_trusted(const struct config *, const char *image,
	    json_t *inspect, char *why, size_t whylen);
json_t	*template_body(const struct template *, const char *user,
	    const char *owner_label, const char *group_label,
	    const char *image_id, const char *volume);

#endif
