/* service.c, svclogs.c: Swarm services, on an engine that is a manager. */
#ifndef CTLD_SERVICE_H
#define CTLD_SERVICE_H

#include <jansson.h>

#include "handlers.h"

/* What the verb does to a resolved service; NULL: containers only. */
handler	service_handler(const struct ctx *);
json_t	*service_row(const struct engine *, json_t *svc, const char *name);
const char *service_mode(json_t *svc);
json_t	*service_image(json_t *svc);
json_t	*service_node_names(const struct engine *);
void	service_logs(struct ctx *);
void	do_scale(struct ctx *);

#endif
