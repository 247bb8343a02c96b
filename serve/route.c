/* serve/route.c: the route table of route.h. */
#include "serve/route.h"

#include <stdio.h>
#include <string.h>

#include "plots/charts.h"
#include "serve/assets.h"

int route_report_file(const char *name)
{
    static const char *const fixed[] = { "index.html", "report.md", "grid.png", "gnuplot.log" };
    static const char *const chart_files[] = { ".png", ".svg", ".gp", ".dat" };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(name, fixed[i]) == 0)
            return 1;
    for (int k = 0; k < CHART_COUNT; k++) {
        const char *stem = chart_name((enum chart_kind)k);
        const size_t n = strlen(stem);
        if (strncmp(name, stem, n) != 0)
            continue;
        for (size_t e = 0; e < sizeof chart_files / sizeof chart_files[0]; e++)
            if (strcmp(name + n, chart_files[e]) == 0)
                return 1;
    }
    return 0;
}

int route_is_page(enum route_kind kind)
{
    return kind == ROUTE_PAGE_INDEX || kind == ROUTE_PAGE_SWEEP || kind == ROUTE_PAGE_RUN ||
           kind == ROUTE_PAGE_COMPARE;
}

#define MAX_SEGMENTS 6

/* Splits "/a/b/c" into its segments; a trailing slash gives a last, empty segment. -1 when the
 * path does not start with '/', has an empty segment inside, or too many. */
static int split(const char *path, const char *seg[MAX_SEGMENTS], size_t len[MAX_SEGMENTS],
                 int *n)
{
    *n = 0;
    if (path[0] != '/')
        return -1;
    const char *p = path + 1;
    for (;;) {
        if (*n == MAX_SEGMENTS)
            return -1;
        const size_t l = strcspn(p, "/");
        seg[*n] = p;
        len[(*n)++] = l;
        if (p[l] == '\0')
            return 0;
        if (l == 0)
            return -1;  /* "//" */
        p += l + 1;
    }
}

static int is(const char *seg, size_t len, const char *word)
{
    return strlen(word) == len && strncmp(seg, word, len) == 0;
}

/* An id: 1 to 18 digits, no leading zero (one path per resource). */
static int id_of(const char *seg, size_t len, int64_t *id)
{
    if (len == 0 || len > 18 || seg[0] == '0')
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (seg[i] < '0' || seg[i] > '9')
            return -1;
        v = v * 10 + (seg[i] - '0');
    }
    *id = v;
    return 0;
}

/* A file name segment: no '/' by construction; no "..", no NUL tricks; at most the cap. */
static int name_of(const char *seg, size_t len, char out[ROUTE_NAME_CAP])
{
    if (len == 0 || len >= ROUTE_NAME_CAP || memchr(seg, '\\', len) || seg[0] == '.')
        return -1;
    memcpy(out, seg, len);
    out[len] = '\0';
    return 0;
}

static enum route_kind found(route *r, enum route_kind kind)
{
    r->kind = kind;
    return kind;
}

enum route_kind route_parse(const char *path, route *r)
{
    memset(r, 0, sizeof *r);
    const char *s[MAX_SEGMENTS];
    size_t l[MAX_SEGMENTS];
    int n;
    if (split(path, s, l, &n) < 0)
        return found(r, ROUTE_NOT_FOUND);
    if (n == 1 && l[0] == 0)
        return found(r, ROUTE_PAGE_INDEX);
    if (is(s[0], l[0], "sweep") && n >= 2 && id_of(s[1], l[1], &r->id) == 0) {
        if (n == 2)
            return found(r, ROUTE_PAGE_SWEEP);
        if (!is(s[2], l[2], "report"))
            return found(r, ROUTE_NOT_FOUND);
        if (n == 3)
            return found(r, ROUTE_REPORT_REDIRECT);
        if (n == 4 && l[3] == 0) {
            snprintf(r->name, sizeof r->name, "index.html");
            return found(r, ROUTE_REPORT_FILE);
        }
        if (n == 4 && name_of(s[3], l[3], r->name) == 0 && route_report_file(r->name))
            return found(r, ROUTE_REPORT_FILE);
        return found(r, ROUTE_NOT_FOUND);
    }
    if (is(s[0], l[0], "run") && n == 2 && id_of(s[1], l[1], &r->id) == 0)
        return found(r, ROUTE_PAGE_RUN);
    if (is(s[0], l[0], "compare") && n == 3 && id_of(s[1], l[1], &r->id) == 0 &&
        id_of(s[2], l[2], &r->id2) == 0)
        return found(r, ROUTE_PAGE_COMPARE);
    serve_asset asset;
    if (is(s[0], l[0], "static") && n == 2 && name_of(s[1], l[1], r->name) == 0 &&
        strcmp(r->name, "app.html") != 0 && asset_find(r->name, &asset) == 0)
        return found(r, ROUTE_STATIC);
    if (!is(s[0], l[0], "api") || n < 2)
        return found(r, ROUTE_NOT_FOUND);
    if (n == 2 && is(s[1], l[1], "state"))
        return found(r, ROUTE_API_STATE);
    if (n == 3 && is(s[1], l[1], "sweep") && id_of(s[2], l[2], &r->id) == 0)
        return found(r, ROUTE_API_SWEEP);
    if (n >= 3 && is(s[1], l[1], "run") && id_of(s[2], l[2], &r->id) == 0) {
        if (n == 3)
            return found(r, ROUTE_API_RUN);
        if (n == 4 && is(s[3], l[3], "preview.png"))
            return found(r, ROUTE_API_PREVIEW);
    }
    if (n == 4 && is(s[1], l[1], "compare") && id_of(s[2], l[2], &r->id) == 0 &&
        id_of(s[3], l[3], &r->id2) == 0)
        return found(r, ROUTE_API_COMPARE);
    return found(r, ROUTE_NOT_FOUND);
}
