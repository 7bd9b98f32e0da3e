/* statuscmd.c: `ctld status`, a client of the running ctld. */
#ifndef CTLD_STATUSCMD_H
#define CTLD_STATUSCMD_H

#include "ctld.h"

/* Asks the ctld listening as cf says; prints; the exit status. */
int	status_command(const struct config *cf, int json);

#endif
