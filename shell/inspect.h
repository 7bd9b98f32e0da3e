/* Showing the answer to inspect. */
#ifndef CTL_INSPECT_H
#define CTL_INSPECT_H

#include <jansson.h>

#include "args.h"

/* Prints inspect's data. Returns the exit code (1 if malformed). */
int	inspect_show(const struct cmd *c, json_t *data);

#endif
