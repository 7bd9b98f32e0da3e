/* resolve.c: a client's container name to the one container it names. */
#ifndef CTLD_RESOLVE_H
#define CTLD_RESOLVE_H

#include <jansson.h>

#include "ctld.h"
#include "engine.h"

struct target {
	const struct engine *eng;		/* the engine it is on */
	char		 id[ID_LEN + 1];	/* the full ID: act on this only */
	const char	*owner;		/* owner label, NULL if none */
	const char	*group;		/* group label, NULL if none */
	int		 service;	/* a Swarm service: id is its ID */
	int		 tty;
	int		 running;
	json_t		*inspect;	/* dockerd's answer; labels point in */
};

enum resolved {
	RESOLVED,		/* the container named exactly so */
	RESOLVE_NONE,		/* no container has the name */
	RESOLVE_AMBIGUOUS,	/* the name is a prefix of several IDs */
	RESOLVE_OTHER,		/* dockerd found another: an ID, prefix, alias */
	RESOLVE_MALFORMED,	/* the answer's ID is not a full ID */
	RESOLVE_FAILED,		/* dockerd did not answer: err says why */
	RESOLVE_ENGINES,	/* the caller's on several engines: err */
	RESOLVE_DOWN,		/* an engine of the caller's did not answer,
				   which might have it too: err */
};

enum resolved resolve(const struct engine *, const struct config *,
	    const char *name, struct target *, char *err, size_t errlen);
/*
 * The name on the engine the client named (engine not ""), or on every
 * engine the caller may use: the one where the caller may use it.
 */
enum resolved resolve_any(const struct config *, const struct identity *,
	    const char *engine, const char *kind, const char *name,
	    struct target *, char *err, size_t errlen);
int	task_container(json_t *labels);
const char *resolve_reason(enum resolved);
void	target_free(struct target *);
void	target_labels(const struct config *, json_t *labels,
	    const char **owner, const char **group);

#endif
