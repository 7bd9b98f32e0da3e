/* What Tab offers: verbs, options, and the names the broker lists. */
#ifndef CTL_COMPLETE_H
#define CTL_COMPLETE_H

#include <stddef.h>
#include <jansson.h>

#include "names.h"

#define COMP_MAX	256
#define COMP_WORD_MAX	(ENGINE_MAX_LEN + 1 + NAME_MAX_LEN + 3)

struct comp {
	size_t	n;
	char	w[COMP_MAX][COMP_WORD_MAX];
};

/*
 * The candidates for the word that ends line (len bytes: the line up to
 * the cursor) into c; *prefix is set to that word's length. Returns 0,
 * or -1 when the line is none that completion reads.
 */
int	complete(const char *line, size_t len, struct comp *c,
	    size_t *prefix);

/*
 * The containers and services of ls' data that start with prefix: NAME,
 * or ENGINE/NAME when that name is on more than one engine of the list
 * or prefix already holds an ENGINE/; KIND:NAME (service:, container:)
 * when a container and a service have that name on one engine or prefix
 * already holds a ':'.
 */
void	complete_containers(json_t *data, const char *prefix, struct comp *c);

#endif
