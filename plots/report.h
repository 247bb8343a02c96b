/* plots/report.h: a sweep's report as DIR/index.html and DIR/report.md, the same content twice.
 *
 * index.html is one file you can mail: inline CSS, its images inline as data URIs (the PNG files
 * beside it, which stay in the folder with their SVG, .dat and .gp for editing), no script, no
 * network. In order: the answer in one to three sentences (analysis/answer.h, as wb compare prints
 * it), the key table (the primary metric at the last epoch against the baseline), the verdicts,
 * the runs that did not finish, every chart, the image grid with what each column is, the
 * statistics that do not lean on normality (paired bootstrap, probability of improvement, d_z,
 * the two-way analysis of variance over weight and kernel), every statistic at the last and at
 * the best epoch, the configuration and environment, a note on method, and at the end the loss
 * to take home as PyTorch and Keras/TensorFlow code (plots/takehome.h). Every string from the
 * database or the INI file is escaped for the format it lands in (plots/escape.h); names inside
 * sentences are isolated with <bdi>, so bidirectional-override characters cannot reverse the
 * text around them. */
#ifndef WB_PLOTS_REPORT_H
#define WB_PLOTS_REPORT_H

#include <stddef.h>

#include "analysis/analysis.h"
#include "plots/charts.h"
#include "plots/grid.h"

/* The page's width in CSS pixels, and what it leaves a figure (its padding taken off): the image
 * grid is drawn no wider, so that it is shown at its own size. */
#define REPORT_PAGE_WIDTH 1100
#define REPORT_FIGURE_WIDTH (REPORT_PAGE_WIDTH - 40)
#define REPORT_STRINGIFY(x) #x
#define REPORT_TEXT(x) REPORT_STRINGIFY(x)

typedef struct report_inputs {
    const analysis *a;
    const chart_result *charts;     /* CHART_COUNT results */
    const grid_plan *grid;          /* NULL when there is no grid */
    const grid_info *grid_info;     /* with grid */
    const char *grid_error;         /* why there is no grid (without grid) */
    const char *laplacian_note;     /* how the grid's Laplacian maps were computed */
    const char *generated_at;       /* e.g. "2026-11-28 13:00 UTC" */
    const char *wb_version;         /* of the binary writing the report */
} report_inputs;

/* Writes dir/index.html and dir/report.md (dir must exist), each whole or not at all
 * (base/fileio.h's atomic_file). Returns 0 or -1 with err naming the file that could not be
 * written. */
int report_write(const char *dir, const report_inputs *in, char *err, size_t errlen);

/* The folder `wb report` writes a sweep's report into when not told: <db dir>/report-<sweep name>,
 * the name made safe as one path component (escape_file_name). wb serve finds reports there. */
void report_default_dir(const char *db_path, const char *sweep_name, char *out, size_t outlen);

/* "wb COMMAND --db DB --sweep NAME" with DB made absolute (realpath, when it exists) and each
 * value one shell word (escape_shell): the command a page or report suggests, which works when
 * pasted into a shell anywhere (README says how `make install` puts wb on PATH). malloc'ed; NULL
 * when memory runs out. */
char *report_command(const char *command, const char *db_path, const char *sweep_name);

#endif
