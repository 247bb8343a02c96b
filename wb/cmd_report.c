/* wb report: a sweep's charts, image grid and report (index.html, report.md) in one folder.
 *
 * The statistics, charts, grid and pages are plots/; this file chooses the folder, supplies the
 * Laplacian for the grid's maps (model/, which plots/ may not include), prints where everything
 * went and picks the exit status: 0 when every file was written and gnuplot drew every chart,
 * 1 when anything failed (the rest is still written, and the page says what is missing), 2 for
 * bad usage or a missing database or sweep. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/analysis.h"
#include "base/fileio.h"
#include "model/loss.h"
#include "model/unet.h"
#include "plots/charts.h"
#include "plots/escape.h"
#include "plots/grid.h"
#include "plots/report.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/util.h"
#include "wb_build.h"

static const char usage[] =
    "usage: wb report [FILE.ini] [--db PATH | --ini FILE.ini] [--sweep NAME] [--out DIR]\n\n"
    "Writes a sweep's report into DIR: index.html and report.md, the same content. They open\n"
    "with the answer in one to three sentences and the key table, then the verdicts, the\n"
    "statistics across seeds against the λ = 0 baseline (t-intervals, a paired bootstrap,\n"
    "the probability of improvement, a two-way analysis of variance over weight and kernel),\n"
    "the runs that did not finish, the configuration and environment, and end with the\n"
    "recommended loss as PyTorch and Keras/TensorFlow code. index.html is one file you can\n"
    "mail: its styles and images are inside it (data URIs), no script, no network. Beside it\n"
    "in DIR: each chart as NAME.png and NAME.svg drawn by gnuplot from NAME.gp and NAME.dat\n"
    "(edit the script and run `gnuplot NAME.gp` in DIR to redraw), and grid.png with inputs,\n"
    "targets, predictions, error and Laplacian maps; report.md links to those files.\n\n"
    CMD_DB_USAGE
    "  --sweep NAME   the sweep (default: the INI's, else the one run most recently that is\n"
    "                 not a one-off of wb run)\n"
    "  --out DIR      the folder (default: <database folder>/report-<sweep name>, the name with\n"
    "                 every character but letters, digits, '-', '_' and '.' as '_')\n";

#define GRID_ROWS 8

/* The image grid's Laplacian maps: one kernel of the kernel table for every column, whatever
 * kernel its run trained with, with reflect101 borders and unnormalised (what lap8_mse measures). */
#define GRID_KERNEL LAP_K8

/* How the maps were computed, for the report: "the K8 stencil [[1, 1, 1], ...] with ...". */
static void laplacian_note(char *out, size_t outlen)
{
    char taps[128];
    lap_kernel_taps_text(GRID_KERNEL, taps, sizeof taps);
    snprintf(out, outlen, "the %s stencil %s with reflect101 borders, unnormalised, the same for "
             "every column whatever kernel its run trained with (as the lap8_mse metric)",
             lap_kernel_def_of(GRID_KERNEL)->label, taps);
}

/* grid_laplacian_fn: GRID_KERNEL, reflect101, unnormalised, through the loss's own stencil
 * code. */
static int grid_laplacian(void *ctx, const float *images, double *maps, int n, int h, int w,
                          char *err, size_t errlen)
{
    (void)ctx;
    const size_t hw = (size_t)h * w, values = (size_t)n * hw * 3;
    float *cm = malloc(values * sizeof *cm);
    double *out = malloc(values * sizeof *out);
    double *scratch = malloc(LOSS_SCRATCH_PER_PIXEL * hw * sizeof *scratch);
    int rc = -1;
    if (cm && out && scratch) {
        const loss_options o = { .pixel = PIXEL_MSE, .lap_weight = 1, .kernel = GRID_KERNEL,
                                 .border = BORDER_REFLECT101, .kernel_norm = LAP_NORM_NONE };
        nhwc_to_cm(images, cm, n, (int)hw, 3);
        lap_map(&o, cm, out, scratch, n, h, w);
        for (size_t i = 0; i < (size_t)n * hw; i++)
            for (size_t c = 0; c < 3; c++)
                maps[3 * i + c] = out[c * (size_t)n * hw + i];
        rc = 0;
    } else {
        snprintf(err, errlen, "out of memory computing Laplacian maps");
    }
    free(cm);
    free(out);
    free(scratch);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    cmd_db d = { 0 };
    const char *sweep = NULL, *out_flag = NULL;
    const cmd_option opts[] = { CMD_DB_OPTIONS(&d), { .name = "sweep", .text = &sweep },
                                { .name = "out", .text = &out_flag }, { 0 } };
    char err[1024];
    analysis *a;
    int status;
    if ((status = cmd_parse_db("report", usage, argc, argv, opts, CMD_INI_ARGUMENT, &d)) >= 0 ||
        (status = cmd_open_analysis("report", &d, sweep, &a)) != WB_EXIT_OK)
        return status;

    char dir[4096];
    if (out_flag)
        snprintf(dir, sizeof dir, "%s", out_flag);
    else
        report_default_dir(d.path, a->name, dir, sizeof dir);
    if (file_mkdirs(dir, err, sizeof err) != 0 || charts_write(a, dir, err, sizeof err) != 0) {
        wb_error("report", "%s", err);
        analysis_free(a);
        return WB_EXIT_FAILURE;
    }

    chart_result charts[CHART_COUNT];
    int gnuplot_missing;
    if (charts_draw(dir, charts, &gnuplot_missing, err, sizeof err) != 0) {
        wb_error("report", "%s", err);
        status = WB_EXIT_FAILURE;
    }

    grid_plan plan;
    grid_info info;
    char grid_error[1024] = "", grid_path[4200];
    snprintf(grid_path, sizeof grid_path, "%s/grid_tiles.png", dir);
    int have_grid = grid_plan_columns(a, &plan, grid_error, sizeof grid_error) == 0;
    /* The tiles, then gnuplot draws them with a title above each column into grid.png. */
    if (have_grid && (grid_write(a, &plan, grid_path, GRID_ROWS, REPORT_FIGURE_WIDTH,
                                 grid_laplacian, NULL, &info, grid_error, sizeof grid_error) != 0 ||
                      (!gnuplot_missing &&
                       grid_draw_titles(&plan, &info, dir, grid_error, sizeof grid_error) != 0) ||
                      gnuplot_missing)) {
        if (gnuplot_missing)
            snprintf(grid_error, sizeof grid_error, "gnuplot not found on PATH (the tiles "
                     "without titles are grid_tiles.png)");
        wb_error("report", "image grid: %s", grid_error);
        have_grid = 0;
        status = WB_EXIT_FAILURE;
    }

    char when[64], version[256];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
    snprintf(version, sizeof version, "wb %s (commit %.12s%s)", WB_VERSION, WB_GIT_COMMIT,
             WB_GIT_DIRTY ? ", dirty" : "");
    char note[512];
    laplacian_note(note, sizeof note);
    report_inputs in = { .a = a, .charts = charts, .grid = have_grid ? &plan : NULL,
                         .grid_info = &info, .grid_error = grid_error,
                         .laplacian_note = note, .generated_at = when,
                         .wb_version = version };
    if (report_write(dir, &in, err, sizeof err) != 0) {
        wb_error("report", "%s", err);
        analysis_free(a);
        return WB_EXIT_FAILURE;
    }

    printf("%s/index.html\n%s/report.md\n", dir, dir);
    for (int k = 0; k < CHART_COUNT; k++)
        if (charts[k].drawn)
            printf("%s/%s.png\n%s/%s.svg\n", dir, chart_name((enum chart_kind)k), dir,
                   chart_name((enum chart_kind)k));
    if (have_grid)
        printf("%s/grid.png\n%s\n", dir, grid_path);
    else if (status == WB_EXIT_OK)
        fprintf(stderr, "wb report: no image grid: %s\n", grid_error);
    analysis_free(a);
    return status;
}
