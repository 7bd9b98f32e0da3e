/* tmplconf.c: the images, templates and provision sections of ctld.conf. */
#ifndef CTLD_TMPLCONF_H
#define CTLD_TMPLCONF_H

#include "confutil.h"

int	conf_images(struct confctx *, config_setting_t *, struct config *);
int	conf_templates(struct confctx *, config_setting_t *, struct config *);
int	conf_provision(struct confctx *, config_setting_t *, struct config *);
int	conf_templates_check(struct confctx *, struct config *);
void	templates_free(struct config *);

#endif
