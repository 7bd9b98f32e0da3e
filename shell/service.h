/* Showing a Swarm service: its status, as docker service ps does. */
#ifndef CTL_SERVICE_H
#define CTL_SERVICE_H

#include <time.h>
#include <jansson.h>

/* Whether a row or an answer is a service's ("kind": "service"). */
int	service_is(const json_t *row);

/*
 * Prints status's data for a service: a header, then its tasks. many:
 * name the engine. Returns 0, or -1 if the data is malformed.
 */
int	service_status(const json_t *data, int many, time_t now);

#endif
