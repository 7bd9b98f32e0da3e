/* Making the broker's strings and numbers safe and readable. */
#ifndef CTL_FMT_H
#define CTL_FMT_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

/* Copies src, each control or non-ASCII byte replaced by '?'. */
void	fmt_safe(char *dst, size_t size, const char *src);

/* Bytes as docker prints them: "%.4g" and B, KiB, MiB, GiB ... */
void	fmt_bytes(char *dst, size_t size, double bytes);

/* Sizes as docker stats prints I/O: "%.3g" and B, kB, MB ... (1000s). */
void	fmt_size(char *dst, size_t size, double bytes);

/* A JSON scalar for a table: safe string, number, yes/no, or "-". */
void	fmt_json(char *dst, size_t size, const json_t *v);

/* A field of a row, as a table cell or a status line shows it. */
typedef void (*fmt_field)(char *dst, size_t size, const json_t *row,
    const char *key);

/* fmt_json of row's key: the plain fmt_field. */
void	fmt_key(char *dst, size_t size, const json_t *row, const char *key);

/*
 * A result's container, as fmt_json shows its "name"; when qualify is
 * set and it has an "engine", as ENGINE/NAME.
 */
void	fmt_target(char *dst, size_t size, const json_t *row, int qualify);

/* "2 hours ago", as docker ps says it; "just now", "in the future". */
void	fmt_ago(char *dst, size_t size, time_t t, time_t now);

/* A service's replicas, "running/desired" as docker service ls: "1/3". */
void	fmt_replicas(char *dst, size_t size, const json_t *row);

/*
 * A task's state as docker service ps: "Running 5 minutes ago", the
 * state capitalized, then how long since when (a Docker time) if given.
 */
void	fmt_since(char *dst, size_t size, const json_t *state,
	    const json_t *when, time_t now);

#endif
