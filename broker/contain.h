/* contain.c: whether a container can reach the host (exec's question). */
#ifndef CTLD_CONTAIN_H
#define CTLD_CONTAIN_H

#include <jansson.h>

#include "ctld.h"
#include "engine.h"

enum contained {
	CONTAINED,
	NOT_CONTAINED,		/* why says which rule, for the user */
	CONTAIN_FAILED		/* dockerd failed: why says how */
};

/* Judges a container from dockerd's inspect of it (its full answer). */
enum contained	contained(const struct config *, const struct engine *,
		    json_t *inspect, char *why, size_t whylen);

#endif
