/* Printing tables: each column as wide as its widest cell. */
#include <stdio.h>
#include <string.h>

#include "table.h"

static void
row_print(const char *const row[], size_t ncol, const size_t width[])
{
	size_t i;

	for (i = 0; i + 1 < ncol; i++)
		printf("%-*s   ", (int)width[i], row[i]);
	printf("%s\n", row[ncol - 1]);
}

void
table_print(const char *const header[], size_t ncol, cell_t *cells,
    size_t nrow)
{
	const char *row[COLS_MAX];
	size_t width[COLS_MAX], r, i;

	for (i = 0; i < ncol; i++)
		width[i] = strlen(header[i]);
	for (r = 0; r < nrow; r++)
		for (i = 0; i < ncol; i++)
			if (strlen(cells[r * ncol + i]) > width[i])
				width[i] = strlen(cells[r * ncol + i]);
	row_print(header, ncol, width);
	for (r = 0; r < nrow; r++) {
		for (i = 0; i < ncol; i++)
			row[i] = cells[r * ncol + i];
		row_print(row, ncol, width);
	}
}
