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
/* An array of objects, one per row, keyed by the headers: a cell of a column marked in numeric
 * (may be NULL) as a JSON number when it reads as a finite one, else as a string; an empty cell
 * as null. Returns 0, or -1 when memory ran out (nothing printed). */
int table_print_json(const table *t, FILE *f, const unsigned char *numeric);

/* The rows a prepared statement returns, as text, its column names as headers; reals with 8
 * significant digits for reading, or 17 (exact round trip) when `exact`. At most max_rows rows
 * are kept: *more (may be NULL) is set to 1 when the statement had another, which is not read.
 * Returns the table, or NULL with err set and *rc (may be NULL) the statement's error code. */
table *table_from_statement(sqlite3_stmt *st, int exact, size_t max_rows, int *more, int *rc,
                            char *err, size_t errlen);

/* Streams a statement's rows to f as they come, in constant memory: CSV (RFC 4180, a header line
 * first, reals with 17 significant digits) or, with json, an array of objects keyed by column
 * name (integers and reals as JSON numbers, non-finite reals as null, text as strings with
 * invalid UTF-8 replaced by U+FFFD, blobs as strings of hex digits). Returns SQLITE_DONE, or the
 * error code of the step that failed (err set): the output then stops where it was (a JSON array
 * is left open, so that a reader cannot take part of an answer for all of it). */
int table_stream(sqlite3_stmt *st, FILE *f, int json, char *err, size_t errlen);

#endif
