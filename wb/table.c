/* wb/table.c: aligned and CSV output of query results and listings. */
#include "wb/table.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "wb/output.h"

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

/* Display width of the first n bytes of UTF-8 text: one column per code point (λ is one column,
 * two bytes). */
static size_t utf8_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n && s[i]; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* Display width of UTF-8 text: one column per code point (λ is one column, two bytes). */
static size_t width_of(const char *s)
{
    return utf8_width(s, (size_t)-1);
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

/* A cell as a table shows it: control characters (newlines and tabs included, which would break
 * the rows) escaped as wb/output.h shows them. */
static int needs_escape(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p >= 0x80)
            return 1;
    return 0;
}

static size_t shown_width(const char *s)
{
    if (!needs_escape(s))
        return strlen(s);
    const size_t n = output_escape_line(s, NULL, 0) + 1;
    char *e = malloc(n);
    if (!e)
        return width_of(s);
    output_escape_line(s, e, n);
    const size_t w = width_of(e);
    free(e);
    return w;
}

/* The text a cell shows: s, or (returned in *owned, to free) its escaped copy. */
static const char *shown_text(const char *s, char **owned)
{
    *owned = NULL;
    if (!needs_escape(s))
        return s;
    const size_t n = output_escape_line(s, NULL, 0) + 1;
    if (!(*owned = malloc(n)))
        return "?";
    output_escape_line(s, *owned, n);
    return *owned;
}

/* The first line of s wrapped at `width` characters: its length in bytes, the line ending before
 * the last space that lets it fit (or cut at `width` characters when no space does); *rest is the
 * offset of what follows (past that space). A cell no wider than `width` is one line. */
static size_t wrap_piece(const char *s, size_t width, size_t *rest)
{
    size_t chars = 0, i = 0, space = 0;
    int have_space = 0;
    for (; s[i]; i++) {
        const int starts = ((unsigned char)s[i] & 0xC0) != 0x80;
        if (starts && chars == width)
            break;
        if (s[i] == ' ' && i > 0) {
            space = i;
            have_space = 1;
        }
        chars += starts;
    }
    if (!s[i] || !have_space) {
        *rest = i;
        return i;
    }
    *rest = space + 1;
    return space;
}

/* The layout of aligned columns: each column's width (the widest cell so far, or less when
 * table_print_fit narrowed it: longer cells wrap), whether it is numeric (every non-empty cell so
 * far reads as a number: right-aligned) and whether it is shown (table_print_fit leaves out the
 * columns empty in every row). */
typedef struct layout {
    size_t *width;
    unsigned char *numeric, *shown;
    int header_printed;
} layout;

/* Widens the layout for the rows of t (and its headers). */
static void layout_add(layout *l, const table *t)
{
    const size_t nc = t->ncols;
    for (size_t c = 0; c < nc; c++)
        for (size_t r = 0; r <= t->nrows; r++) {
            const char *s = t->cells[r * nc + c];
            const size_t w = shown_width(s);
            if (w > l->width[c])
                l->width[c] = w;
            if (r > 0 && *s && !looks_numeric(s))
                l->numeric[c] = 0;
        }
}

/* Prints the rows of t aligned to the layout, the headers and their rule first if they have not
 * been printed yet; a cell wider than its column wraps onto lines of its own. */
static void print_aligned(const table *t, layout *l, FILE *f)
{
    const size_t nc = t->ncols;
    size_t last = 0, *rest = calloc(nc ? nc : 1, sizeof *rest);
    char **owned = calloc(nc ? nc : 1, sizeof *owned);
    const char **text = calloc(nc ? nc : 1, sizeof *text);
    if (!rest || !owned || !text) {
        free(rest);
        free(owned);
        free(text);
        return;
    }
    for (size_t c = 0; c < nc; c++)
        if (l->shown[c])
            last = c;
    for (size_t r = l->header_printed ? 1 : 0; r <= t->nrows; r++) {
        for (size_t c = 0; c < nc; c++) {
            rest[c] = 0;
            text[c] = shown_text(t->cells[r * nc + c], &owned[c]);
        }
        for (int more = 1; more;) {     /* a line of the row, then its cells' wrapped rest */
            more = 0;
            for (size_t c = 0; c < nc; c++) {
                if (!l->shown[c])
                    continue;
                const char *s = text[c] + rest[c];
                size_t next;
                const size_t len = wrap_piece(s, l->width[c], &next), w = utf8_width(s, len);
                const size_t pad = l->width[c] > w ? l->width[c] - w : 0;
                const int right = l->numeric[c] && r > 0;
                if (right)
                    fprintf(f, "%*s", (int)pad, "");
                fwrite(s, 1, len, f);
                rest[c] += next;
                more |= text[c][rest[c]] != '\0';
                if (c != last)
                    fprintf(f, "%*s  ", (int)(right ? 0 : pad), "");
            }
            fputc('\n', f);
        }
        for (size_t c = 0; c < nc; c++)
            free(owned[c]);
        if (r == 0) {
            for (size_t c = 0; c < nc; c++) {
                if (!l->shown[c])
                    continue;
                for (size_t k = 0; k < l->width[c]; k++)
                    fputc('-', f);
                if (c != last)
                    fputs("  ", f);
            }
            fputc('\n', f);
        }
    }
    free(rest);
    free(owned);
    free(text);
    l->header_printed = 1;
}

static int layout_new(layout *l, size_t ncols, int rows)
{
    l->width = calloc(ncols, sizeof *l->width);
    l->numeric = malloc(ncols);
    l->shown = malloc(ncols);
    l->header_printed = 0;
    if (!l->width || !l->numeric || !l->shown) {
        free(l->width);
        free(l->numeric);
        free(l->shown);
        return -1;
    }
    memset(l->numeric, rows > 0, ncols);
    memset(l->shown, 1, ncols);
    return 0;
}

static void layout_free(layout *l)
{
    free(l->width);
    free(l->numeric);
    free(l->shown);
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
    layout l;
    if (layout_new(&l, nc, t->nrows > 0) != 0)
        return;
    layout_add(&l, t);
    print_aligned(t, &l, f);
    layout_free(&l);
}

void table_print_fit(const table *t, FILE *f, size_t columns)
{
    const size_t nc = t->ncols;
    layout l;
    if (layout_new(&l, nc, t->nrows > 0) != 0)
        return;
    layout_add(&l, t);
    size_t total = 0;
    for (size_t c = 0; c < nc; c++) {
        l.shown[c] = 0;
        for (size_t r = 1; r <= t->nrows && !l.shown[c]; r++)
            l.shown[c] = t->cells[r * nc + c][0] != '\0';
        if (l.shown[c])
            total += (total ? 2 : 0) + l.width[c];
    }
    /* Narrow the widest text column (to no fewer than 8 characters) while the lines are wider. */
    while (total > columns) {
        size_t widest = nc;
        for (size_t c = 0; c < nc; c++)
            if (l.shown[c] && !l.numeric[c] && l.width[c] > 8 &&
                (widest == nc || l.width[c] > l.width[widest]))
                widest = c;
        if (widest == nc)
            break;
        const size_t over = total - columns, room = l.width[widest] - 8;
        const size_t cut = over < room ? over : room;
        l.width[widest] -= cut;
        total -= cut;
    }
    print_aligned(t, &l, f);
    layout_free(&l);
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

/* A column of the current row as text: reals with `digits` significant digits (no NaN in SQLite,
 * but an infinity prints as inf), NULL as NULL. The text is malloc'ed. */
static char *column_text(sqlite3_stmt *st, int c, int digits)
{
    if (sqlite3_column_type(st, c) == SQLITE_FLOAT) {
        char num[64];
        snprintf(num, sizeof num, "%.*g", digits, sqlite3_column_double(st, c));
        return strdup(num);
    }
    const unsigned char *v = sqlite3_column_text(st, c);
    return v ? strdup((const char *)v) : NULL;
}

/* The same, cut to at most `cut_bytes` bytes (0: whole) at a character's boundary and ended
 * with "…" when longer; *cut is set to 1 then. */
static char *column_text_cut(sqlite3_stmt *st, int c, int digits, size_t cut_bytes, int *cut)
{
    *cut = 0;
    if (!cut_bytes || sqlite3_column_type(st, c) == SQLITE_FLOAT)
        return column_text(st, c, digits);
    const unsigned char *v = sqlite3_column_text(st, c);
    if (!v)
        return NULL;
    size_t n = (size_t)sqlite3_column_bytes(st, c);
    if (n <= cut_bytes)
        return strdup((const char *)v);
    n = cut_bytes;
    while (n > 0 && (v[n] & 0xC0) == 0x80)
        n--;    /* not inside a UTF-8 sequence */
    char *text = malloc(n + sizeof "…");
    if (text) {
        memcpy(text, v, n);
        memcpy(text + n, "…", sizeof "…");
        *cut = 1;
    }
    return text;
}

/* Drops the rows of t (its headers stay). */
static void table_clear_rows(table *t)
{
    for (size_t i = t->ncols; i < (t->nrows + 1) * t->ncols; i++)
        free(t->cells[i]);
    t->nrows = 0;
}

int table_stream_aligned(sqlite3_stmt *st, FILE *f, const table_stream_options *o,
                         table_stream_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    const int nc = sqlite3_column_count(st);
    const char *headers[256];
    if (nc <= 0 || nc > 256) {
        snprintf(err, errlen, "the statement returns %d columns", nc);
        return SQLITE_ERROR;
    }
    for (int c = 0; c < nc; c++)
        headers[c] = sqlite3_column_name(st, c);
    table *batch = table_new((size_t)nc, headers);
    layout l;
    if (!batch || layout_new(&l, (size_t)nc, 1) != 0) {
        table_free(batch);
        snprintf(err, errlen, "out of memory");
        return SQLITE_NOMEM;
    }
    size_t held = 0;    /* bytes of the rows in the batch, with each cell's overhead */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->stop && o->stop(o->ctx)) {
            res->stopped = 1;
            break;
        }
        if (o->max_rows && res->rows == o->max_rows) {
            res->more = 1;
            break;
        }
        char *cells[256];
        for (int c = 0; c < nc; c++) {
            int cut;
            cells[c] = column_text_cut(st, c, 8, o->cell_bytes, &cut);
            res->cut += (size_t)cut;
            held += (cells[c] ? strlen(cells[c]) : 0) + 2 * sizeof(char *);
        }
        const int added = table_add(batch, (const char *const *)cells);
        for (int c = 0; c < nc; c++)
            free(cells[c]);
        if (added != 0) {
            rc = SQLITE_NOMEM;
            snprintf(err, errlen, "out of memory");
            break;
        }
        res->rows++;
        /* A batch that reached the bound is printed: the columns keep at least its widths,
         * and memory stays bounded whatever the rows hold. */
        if (o->batch_bytes && held >= o->batch_bytes) {
            if (!res->batches++)
                memset(l.numeric, 1, (size_t)nc);
            layout_add(&l, batch);
            print_aligned(batch, &l, f);
            table_clear_rows(batch);
            held = 0;
        }
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        if (!res->batches && batch->nrows == 0)
            memset(l.numeric, 0, (size_t)nc);
        layout_add(&l, batch);
        print_aligned(batch, &l, f);
        rc = res->stopped ? SQLITE_INTERRUPT : SQLITE_DONE;
    } else if (rc != SQLITE_NOMEM) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(sqlite3_db_handle(st)));
    }
    layout_free(&l);
    table_free(batch);
    return rc;
}

/* ---- streaming ------------------------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s)
{
    size_t n;
    unsigned min;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, min = 0x80;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, min = 0x800;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    unsigned cp = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    return cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) ? n : 0;
}

static void json_string(FILE *f, const unsigned char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        const unsigned char c = s[i];
        const size_t n = c ? utf8_sequence(s + i) : 1;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else if (n == 0 || i + n > len)
            fputs("\\ufffd", f);
        else
            fwrite(s + i, 1, n, f);
        i += n && i + n <= len ? n : 1;
    }
    fputc('"', f);
}

static void json_value(FILE *f, sqlite3_stmt *st, int c)
{
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_INTEGER:
        fprintf(f, "%lld", (long long)sqlite3_column_int64(st, c));
        break;
    case SQLITE_FLOAT: {
        const double v = sqlite3_column_double(st, c);
        if (isfinite(v))
            fprintf(f, "%.17g", v);
        else
            fputs("null", f);
        break;
    }
    case SQLITE_TEXT:
        json_string(f, sqlite3_column_text(st, c), (size_t)sqlite3_column_bytes(st, c));
        break;
    case SQLITE_BLOB: {
        const unsigned char *b = sqlite3_column_blob(st, c);
        const int n = sqlite3_column_bytes(st, c);
        fputc('"', f);
        for (int i = 0; i < n; i++)
            fprintf(f, "%02x", b[i]);
        fputc('"', f);
        break;
    }
    default:
        fputs("null", f);
    }
}

int table_stream(sqlite3_stmt *st, FILE *f, const table_stream_options *o, char *err,
                 size_t errlen)
{
    const int json = o->json;
    const int nc = sqlite3_column_count(st);
    if (json)
        fputc('[', f);
    else
        for (int c = 0; c < nc; c++) {
            print_csv_cell(f, sqlite3_column_name(st, c));
            fputs(c + 1 < nc ? "," : "\r\n", f);
        }
    int rc;
    long rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->stop && o->stop(o->ctx)) {
            snprintf(err, errlen, "stopped");
            fflush(f);
            return SQLITE_INTERRUPT;
        }
        if (json) {
            fputs(rows ? ",\n  {" : "\n  {", f);
            for (int c = 0; c < nc; c++) {
                const char *name = sqlite3_column_name(st, c);
                if (c)
                    fputs(", ", f);
                json_string(f, (const unsigned char *)name, strlen(name));
                fputs(": ", f);
                json_value(f, st, c);
            }
            fputc('}', f);
        } else {
            for (int c = 0; c < nc; c++) {
                char *cell = column_text(st, c, 17);
                print_csv_cell(f, cell ? cell : "");
                free(cell);
                fputs(c + 1 < nc ? "," : "\r\n", f);
            }
        }
        rows++;
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(sqlite3_db_handle(st)));
        fflush(f);
        return rc;
    }
    if (json)
        fputs(rows ? "\n]" : "]", f);
    return SQLITE_DONE;
}

int table_print_json(const table *t, FILE *f, const unsigned char *numeric)
{
    cJSON *rows = cJSON_CreateArray();
    for (size_t r = 1; rows && r <= t->nrows; r++) {
        cJSON *row = cJSON_CreateObject();
        if (!row || !cJSON_AddItemToArray(rows, row))
            goto oom;
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c], *key = t->cells[c];
            char *end;
            const double v = numeric && numeric[c] && *cell ? strtod(cell, &end) : 0;
            cJSON *item = !*cell ? cJSON_CreateNull()
                        : numeric && numeric[c] && !*end && isfinite(v) ? cJSON_CreateNumber(v)
                                                                        : cJSON_CreateString(cell);
            if (!item || !cJSON_AddItemToObject(row, key, item)) {
                cJSON_Delete(item);
                goto oom;
            }
        }
    }
    char *text = rows ? cJSON_Print(rows) : NULL;
    if (!text)
        goto oom;
    fprintf(f, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(rows);
    return 0;
oom:
    cJSON_Delete(rows);
    return -1;
}
