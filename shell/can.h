/* Showing the answer to can (sudo -l's question). */
#ifndef CTL_CAN_H
#define CTL_CAN_H

#include <jansson.h>

#include "args.h"

/* Prints can's data for the command c. Returns 0, or -1 if malformed. */
int	can_show(const struct cmd *c, json_t *data);

#endif
