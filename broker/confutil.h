/* Helpers shared by the files that read ctld.conf (config.c, tmplconf.c). */
#ifndef CTLD_CONFUTIL_H
#define CTLD_CONFUTIL_H

#include <libconfig.h>

#include "ctld.h"

struct confctx {
	const char	*path;
	char		*err;
	size_t		 errlen;
	int		 failed;
};

/* confutil.c. conf_fail records the first error, with the setting's line. */
void	conf_fail(struct confctx *, const config_setting_t *, const char *,
	    ...) __attribute__((format(printf, 3, 4)));
int	conf_string(struct confctx *, config_setting_t *, char **);
int	conf_abspath(struct confctx *, config_setting_t *, char **);
int	conf_int(struct confctx *, config_setting_t *, int, int, int *);
int	conf_seconds(struct confctx *, config_setting_t *, int, int, int *);
int	conf_verbs(struct confctx *, config_setting_t *, unsigned *);
char	**conf_strlist(struct confctx *, config_setting_t *, int patterns);
void	strv_free(char **);

#endif
