/* explain.c: ctld --explain USER VERB NAME (main.c). */
#ifndef CTLD_EXPLAIN_H
#define CTLD_EXPLAIN_H

#include "ctld.h"
#include "engine.h"

int	explain(const struct config *, const char *user, const char *verb,
	    const char *name);

#endif
