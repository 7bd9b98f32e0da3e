/* Aligned tables of cells, as docker ps prints them. */
#ifndef CTL_TABLE_H
#define CTL_TABLE_H

#include <stddef.h>

#include "names.h"

/* A cell holds a whole name (NAME_MAX_LEN) or image reference (255). */
#define CELL_MAX	256
#define COLS_MAX	8

_Static_assert(CELL_MAX > NAME_MAX_LEN, "a table cell cuts a container name short");

typedef char cell_t[CELL_MAX];

/* Prints a header and nrow rows of ncol cells, columns aligned. */
void	table_print(const char *const header[], size_t ncol, cell_t *cells,
	    size_t nrow);

#endif
