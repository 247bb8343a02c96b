/* wb/table.c: aligned and CSV output of query results and listings. */
#include "wb/table.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct table {
    size_t ncols, nrows, cap;
    char **cells;   /* (nrows + 1) * ncols; row 0 holds the headers */
};

static char *copy(const char *s)
{
    return strdup(s ? s : "");
}

table *table_new(size_t ncols, const char *const *headers)
{
    table *t = calloc(1, sizeof *t);
    if (!t || ncols == 0) {
        free(t);
        return NULL;
    }
    t->ncols = ncols;
    t->cap = 16;
    t->cells = calloc(t->cap * ncols, sizeof *t->cells);
    if (!t->cells) {
        free(t);
        return NULL;
    }
    for (size_t c = 0; c < ncols; c++)
        t->cells[c] = copy(headers[c]);
    return t;
}

int table_add(table *t, const char *const *cells)
{
    if (t->nrows + 2 > t->cap) {
        char **grown = realloc(t->cells, t->cap * 2 * t->ncols * sizeof *grown);
        if (!grown)
            return -1;
        t->cells = grown;
        t->cap *= 2;
    }
    char **row = t->cells + (t->nrows + 1) * t->ncols;
    for (size_t c = 0; c < t->ncols; c++)
        row[c] = copy(cells[c]);
    t->nrows++;
    return 0;
}

size_t table_rows(const table *t)
{
    return t->nrows;
}

/* Display width of UTF-8 text: one column per code point (λ is one column, two bytes). */
static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static int looks_numeric(const char *s)
{
    if (!*s)
        return 0;
    char *end;
    strtod(s, &end);
    return *end == '\0';
}

static void print_csv_cell(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void table_print(const table *t, FILE *f, int csv)
{
    const size_t nc = t->ncols;
    if (csv) {
        for (size_t r = 0; r <= t->nrows; r++)
            for (size_t c = 0; c < nc; c++) {
                print_csv_cell(f, t->cells[r * nc + c]);
                fputs(c + 1 < nc ? "," : "\r\n", f);
            }
        return;
    }
    size_t *w = calloc(nc, sizeof *w);
    int *numeric = calloc(nc, sizeof *numeric);
    if (!w || !numeric) {
        free(w);
        free(numeric);
        return;
    }
    for (size_t c = 0; c < nc; c++) {
        numeric[c] = t->nrows > 0;
        for (size_t r = 0; r <= t->nrows; r++) {
            const char *s = t->cells[r * nc + c];
            if (width_of(s) > w[c])
                w[c] = width_of(s);
            if (r > 0 && *s && !looks_numeric(s))
                numeric[c] = 0;
        }
    }
    for (size_t r = 0; r <= t->nrows; r++) {
        for (size_t c = 0; c < nc; c++) {
            const char *s = t->cells[r * nc + c];
            /* Control characters from the database would move the cursor: show them as '?'. */
            const size_t pad = w[c] - width_of(s);
            if (numeric[c] && r > 0)
                fprintf(f, "%*s", (int)pad, "");
            for (const char *p = s; *p; p++)
                fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, f);
            if (c + 1 < nc)
                fprintf(f, "%*s  ", (int)(numeric[c] && r > 0 ? 0 : pad), "");
        }
        fputc('\n', f);
        if (r == 0) {
            for (size_t c = 0; c < nc; c++) {
                for (size_t k = 0; k < w[c]; k++)
                    fputc('-', f);
                if (c + 1 < nc)
                    fputs("  ", f);
            }
            fputc('\n', f);
        }
    }
    free(w);
    free(numeric);
}

void table_free(table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

table *table_from_statement(sqlite3_stmt *st, int exact, char *err, size_t errlen)
{
    const int nc = sqlite3_column_count(st);
    const char *headers[256];
    if (nc <= 0 || nc > 256) {
        snprintf(err, errlen, "the statement returns %d columns", nc);
        return NULL;
    }
    for (int c = 0; c < nc; c++)
        headers[c] = sqlite3_column_name(st, c);
    table *t = table_new((size_t)nc, headers);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *cells[256], num[64];
        for (int c = 0; c < nc; c++) {
            if (sqlite3_column_type(st, c) == SQLITE_FLOAT) {
                snprintf(num, sizeof num, exact ? "%.17g" : "%.8g", sqlite3_column_double(st, c));
                cells[c] = strdup(num);
            } else {
                const unsigned char *v = sqlite3_column_text(st, c);
                cells[c] = v ? strdup((const char *)v) : NULL;
            }
        }
        int ok = table_add(t, (const char *const *)cells);
        for (int c = 0; c < nc; c++)
            free(cells[c]);
        if (ok != 0) {
            snprintf(err, errlen, "out of memory");
            table_free(t);
            return NULL;
        }
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(sqlite3_db_handle(st)));
        table_free(t);
        return NULL;
    }
    return t;
}
