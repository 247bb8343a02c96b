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
/* Aligned, for a terminal `columns` wide: columns empty in every row left out, and the widest
 * text columns narrowed, their longer cells wrapped onto lines of their own, while a line would
 * be wider (wb ls, wb show, wb compare). */
void table_print_fit(const table *t, FILE *f, size_t columns);
void table_free(table *t);
/* An array of objects, one per row, keyed by the headers: a cell of a column marked in numeric
 * (may be NULL) as a JSON number when it reads as a finite one, else as a string; an empty cell
 * as null. Returns 0, or -1 when memory ran out (nothing printed). */
int table_print_json(const table *t, FILE *f, const unsigned char *numeric);

/* How a statement's rows are streamed. */
typedef struct table_stream_options {
    int json;               /* table_stream: JSON instead of CSV */
    size_t max_rows;        /* table_stream_aligned: at most this many rows (0: all) */
    size_t cell_bytes;      /* table_stream_aligned: longer values are cut there, ending in "…" */
    size_t batch_bytes;     /* table_stream_aligned: rows are held and printed in batches of
                             * about this many bytes (0: one batch) */
    /* Asked before each row is printed: non-zero stops the output there (a deadline passed, a
     * signal came). NULL: never. */
    int (*stop)(void *ctx);
    void *ctx;
} table_stream_options;

typedef struct table_stream_result {
    size_t rows;            /* printed */
    size_t cut;             /* values cut to cell_bytes */
    size_t batches;         /* batches printed before the last */
    int more;               /* the statement had a row beyond max_rows (not read) */
    int stopped;            /* stop() said so */
} table_stream_result;

/* The rows a prepared statement returns as an aligned table, its column names as headers, reals
 * with 8 significant digits: held in batches of options->batch_bytes, each printed when it is
 * full, the columns as wide as the widest cell of the batches so far (a table within one batch
 * is aligned as table_print aligns it); values cut to options->cell_bytes. Memory stays bounded
 * by the batch whatever the rows hold. Returns SQLITE_DONE (also after max_rows: res->more),
 * SQLITE_INTERRUPT when stop() said so, or the error code of the step that failed (err set). */
int table_stream_aligned(sqlite3_stmt *st, FILE *f, const table_stream_options *o,
                         table_stream_result *res, char *err, size_t errlen);

/* Streams a statement's rows to f as they come, in constant memory: CSV (RFC 4180, a header line
 * first, reals with 17 significant digits) or, with o->json, an array of objects keyed by column
 * name (integers and reals as JSON numbers, non-finite reals as null, text as strings with
 * invalid UTF-8 replaced by U+FFFD, blobs as strings of hex digits). Returns SQLITE_DONE,
 * SQLITE_INTERRUPT when o->stop said so, or the error code of the step that failed (err set):
 * the output then stops where it was (a JSON array is left open, so that a reader cannot take
 * part of an answer for all of it). */
int table_stream(sqlite3_stmt *st, FILE *f, const table_stream_options *o, char *err,
                 size_t errlen);

#endif
