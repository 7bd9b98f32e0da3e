/* execconf.c: the exec section of ctld.conf (config.c's sections). */
#ifndef CTLD_EXECCONF_H
#define CTLD_EXECCONF_H

#include "confutil.h"

int	conf_exec(struct confctx *, config_setting_t *, struct config *);

/* Whether path is dir or below it (both resolved; dir is not "/"). */
int	path_under(const char *path, const char *dir);

/* After the whole file: no bind_allow entry holds a daemon's socket. */
int	conf_exec_check(struct confctx *, struct config *);

#endif
