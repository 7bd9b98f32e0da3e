/* Validation of user-supplied words: names, numbers, Docker time values. */
#ifndef CTL_NAMES_H
#define CTL_NAMES_H

#include <time.h>

#define NAME_MAX_LEN	128
#define ENGINE_MAX_LEN	64	/* a Docker engine's name in ctld.conf */
#define ID_LEN		64	/* a full container ID, in hex */
#define SWARM_ID_LEN	25	/* a service's, task's or node's ID */

int	name_valid(const char *s);
int	engine_valid(const char *s);
int	id_valid(const char *s);
int	swarm_id_valid(const char *s);
int	user_valid(const char *s);
int	uint_parse(const char *s, unsigned long max, unsigned long *out);
int	tail_parse(const char *s, unsigned long max, long *out);
int	time_parse(const char *s, time_t now, struct timespec *out);

#endif
