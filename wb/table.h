/* wb/table.h: rows of text printed as an aligned table or as CSV (RFC 4180). */
#ifndef WB_WB_TABLE_H
#define WB_WB_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct sqlite3_stmt sqlite3_stmt;

typedef struct table table;

table *table_new(size_t ncols, const char *const *headers);
/* Appends a row of ncols cells (copied; NULL prints as empty). Returns 0 or -1 (memory). */
int table_add(table *t, const char *const *cells);
size_t table_rows(const table *t);
/* Aligned columns (numbers right-aligned), or CSV with quotes doubled where needed. */
void table_print(const table *t, FILE *f, int csv);
void table_free(table *t);

/* Every row a prepared statement returns, as text, its column names as headers; reals with 8
 * significant digits for reading, or 17 (exact round trip) when `exact`. Returns the table, or
 * NULL with err set (the statement's error). */
table *table_from_statement(sqlite3_stmt *st, int exact, char *err, size_t errlen);

#endif
