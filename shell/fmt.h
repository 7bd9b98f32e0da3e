/* Making the broker's strings and numbers safe and readable. */
#ifndef CTL_FMT_H
#define CTL_FMT_H

#include <stddef.h>
#include <jansson.h>

/* Copies src, each control or non-ASCII byte replaced by '?'. */
void	fmt_safe(char *dst, size_t size, const char *src);

/* Bytes as docker prints them: "%.4g" and B, KiB, MiB, GiB ... */
void	fmt_bytes(char *dst, size_t size, double bytes);

/* Sizes as docker stats prints I/O: "%.3g" and B, kB, MB ... (1000s). */
void	fmt_size(char *dst, size_t size, double bytes);

/* A JSON scalar for a table: safe string, number, yes/no, or "-". */
void	fmt_json(char *dst, size_t size, const json_t *v);

/*
 * A result's container, as fmt_json shows its "name"; when qualify is
 * set and it has an "engine", as ENGINE/NAME.
 */
void	fmt_target(char *dst, size_t size, const json_t *row, int qualify);

#endif
