/* engconf.c: the engines section of ctld.conf. */
#ifndef CTLD_ENGCONF_H
#define CTLD_ENGCONF_H

#include "confutil.h"

int	conf_engines(struct confctx *, config_setting_t *, struct config *);
int	conf_engines_check(struct confctx *, struct config *, int check_owner);
void	engines_free(struct config *);

#endif
