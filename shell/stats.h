/* Showing stats: the stream's rounds as they come, and done's data. */
#ifndef CTL_STATS_H
#define CTL_STATS_H

#include <jansson.h>

#include "args.h"

/*
 * A round of the command arg (a struct cmd) shown; round NULL: a new
 * command begins. 0, or -1 if the round is malformed (client_sample).
 */
int	stats_sample(void *arg, json_t *round);

/* done's data shown. The exit code (the highest refused name's), or -1. */
int	stats_done(const struct cmd *c, json_t *data);

#endif
