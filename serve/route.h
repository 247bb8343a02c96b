/* serve/route.h: wb serve's routes, a fixed table: a request's path either is one of these, with
 * integer ids and (for a report) one of the file names `wb report` writes, or it is not found.
 * No part of a path ever becomes a file path: ids are looked up in the database, names in a list.
 *
 *   /                              the sweeps of the database      (the page)
 *   /sweep/ID                      one sweep                       (the page)
 *   /run/ID                        one run                         (the page)
 *   /compare/ID/ID                 two runs side by side           (the page)
 *   /sweep/ID/report               redirect to /sweep/ID/report/
 *   /sweep/ID/report/[NAME]        the sweep's report: index.html and the files beside it
 *   /static/NAME                   the page's script, styles, uPlot and its licence, the icon
 *   /api/state                     what changed: every sweep's progress (polled)
 *   /api/sweep/ID                  a sweep: runs, curves, the key table (?metric=&at=)
 *   /api/run/ID                    a run: fields, configuration, links, checkpoints, epochs
 *   /api/run/ID/preview.png        its preview: inputs, targets, predictions
 *   /api/compare/ID/ID             two runs and the keys where their configurations differ */
#ifndef WB_SERVE_ROUTE_H
#define WB_SERVE_ROUTE_H

#include <stdint.h>

enum route_kind {
    ROUTE_NOT_FOUND,
    ROUTE_PAGE_INDEX, ROUTE_PAGE_SWEEP, ROUTE_PAGE_RUN, ROUTE_PAGE_COMPARE,
    ROUTE_REPORT_REDIRECT, ROUTE_REPORT_FILE,
    ROUTE_STATIC,
    ROUTE_API_STATE, ROUTE_API_SWEEP, ROUTE_API_RUN, ROUTE_API_PREVIEW, ROUTE_API_COMPARE
};

#define ROUTE_NAME_CAP 64

typedef struct route {
    enum route_kind kind;
    int64_t id, id2;            /* sweep or run ids, > 0 */
    char name[ROUTE_NAME_CAP];  /* ROUTE_REPORT_FILE, ROUTE_STATIC: a listed file name */
} route;

/* The route of a decoded request path (without its query). Returns the kind (also in r->kind). */
enum route_kind route_parse(const char *path, route *r);

/* Whether name is a file `wb report` writes into its folder (index.html, report.md, grid.png,
 * gnuplot.log, and each chart's .png, .svg, .gp and .dat). */
int route_report_file(const char *name);

/* 1 for the routes whose answer is a page of the interface (the embedded app.html). */
int route_is_page(enum route_kind kind);

#endif
