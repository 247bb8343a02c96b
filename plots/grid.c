/* plots/grid.c: the image grid of a report; see grid.h. */
#include "plots/grid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/fileio.h"
#include "data/image.h"
#include "data/npy.h"

/* The series drawn here. */
#define TEST_PSNR ANALYSIS_SERIES(METRIC_TEST, METRIC_PSNR)

#define GRID_GAP 4

static void preview_path(const analysis_run *r, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/preview.npy", r->folder);
}

/* Whether a run's preview is there and is the file training wrote: its SHA-256 the one recorded
 * (a preview from before wb recorded hashes is taken as it is). A damaged one counts as missing:
 * the grid shows no image training did not make. */
static int preview_intact(const analysis_run *r)
{
    char path[4200], hex[65], why[256];
    preview_path(r, path, sizeof path);
    if (access(path, R_OK) != 0)
        return 0;
    return !r->preview_sha256[0] || (file_sha256(path, hex, why, sizeof why) == 0 &&
                                     strcmp(hex, r->preview_sha256) == 0);
}

/* The finished run with the smallest seed whose preview is intact (runs are sorted by seed). */
static long preview_run(const analysis *a, const analysis_config *c)
{
    for (size_t i = 0; i < c->nruns; i++) {
        const analysis_run *r = &a->runs[c->runs[i]];
        if (r->status == STORE_FINISHED && preview_intact(r))
            return (long)c->runs[i];
    }
    return -1;
}

static void add_column(grid_plan *plan, size_t run, enum grid_image image, int laplacian,
                       const char *what, const char *label)
{
    if (plan->ncolumns == GRID_MAX_COLUMNS)
        return;
    grid_column *col = &plan->columns[plan->ncolumns++];
    col->run = run;
    col->image = image;
    col->laplacian = laplacian;
    snprintf(col->caption, sizeof col->caption, "%.250s%s%.250s", what, label ? ", " : "",
             label ? label : "");
}

int grid_plan_columns(const analysis *a, grid_plan *plan, char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    /* The best λ > 0 configuration of each kernel, by mean final test PSNR. */
    /* Columns: input, target, baseline, k best, then 2 + k maps: 5 + 2k of them. */
    long best[(GRID_MAX_COLUMNS - 5) / 2];
    size_t nbest = 0;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        const analysis_stat *st = &c->stat[ANALYSIS_LAST][TEST_PSNR];
        if (c->is_baseline || st->n == 0 || preview_run(a, c) < 0)
            continue;
        size_t k = 0;
        while (k < nbest && strcmp(a->configs[best[k]].kernel ? a->configs[best[k]].kernel : "",
                                   c->kernel ? c->kernel : "") != 0)
            k++;
        if (k == nbest) {
            if (nbest == sizeof best / sizeof best[0])
                continue;
            best[nbest++] = (long)ci;
        } else if (st->summary.mean > a->configs[best[k]].stat[ANALYSIS_LAST][TEST_PSNR]
                                          .summary.mean) {
            best[k] = (long)ci;
        }
    }
    /* The baseline: that of the best of those, else any with a preview. */
    long overall = -1;
    for (size_t k = 0; k < nbest; k++)
        if (overall < 0 || a->configs[best[k]].stat[ANALYSIS_LAST][TEST_PSNR].summary.mean >
                               a->configs[overall].stat[ANALYSIS_LAST][TEST_PSNR].summary.mean)
            overall = best[k];
    long base = overall >= 0 ? a->configs[overall].baseline : -1;
    if (base < 0 || preview_run(a, &a->configs[base]) < 0) {
        base = -1;
        for (size_t ci = 0; ci < a->nconfigs && base < 0; ci++)
            if (a->configs[ci].is_baseline && preview_run(a, &a->configs[ci]) >= 0)
                base = (long)ci;
    }
    long source = base >= 0 ? preview_run(a, &a->configs[base])
                            : nbest > 0 ? preview_run(a, &a->configs[best[0]]) : -1;
    if (source < 0) {
        snprintf(err, errlen, "no finished run has a preview.npy");
        return -1;
    }
    add_column(plan, (size_t)source, GRID_INPUT, 0, "degraded input", NULL);
    add_column(plan, (size_t)source, GRID_TARGET, 0, "target", NULL);
    if (base >= 0)
        add_column(plan, (size_t)preview_run(a, &a->configs[base]), GRID_PREDICTION, 0,
                   "prediction", a->configs[base].label);
    for (size_t k = 0; k < nbest; k++)
        add_column(plan, (size_t)preview_run(a, &a->configs[best[k]]), GRID_PREDICTION, 0,
                   "prediction", a->configs[best[k]].label);
    size_t images = plan->ncolumns;
    for (size_t i = 1; i < images; i++) {
        char what[300];
        snprintf(what, sizeof what, "Laplacian of the %.200s", plan->columns[i].caption);
        add_column(plan, plan->columns[i].run, plan->columns[i].image, 1, what, NULL);
    }
    return 0;
}

/* The previews of a plan, each read once. */
typedef struct loaded_preview {
    size_t run;
    npy_array array;
} loaded_preview;

static int read_preview(const analysis_run *r, npy_array *arr, char *err, size_t errlen)
{
    char path[4200];
    preview_path(r, path, sizeof path);
    if (npy_read(path, arr, err, errlen) != 0)
        return -1;
    if (arr->dtype != NPY_F32 || arr->ndim != 5 || arr->shape[0] != 3 || arr->shape[1] < 1 ||
        arr->shape[2] != arr->shape[3] || arr->shape[2] < 1 || arr->shape[2] > 1024 ||
        arr->shape[4] != 3) {
        snprintf(err, errlen, "%s: expected float32 (3, n, patch, patch, 3)", path);
        npy_free(arr);
        return -1;
    }
    return 0;
}

static void map_to_gray(const double *maps, float *tile, size_t pixels, double max_abs)
{
    for (size_t p = 0; p < pixels; p++) {
        double v = (maps[3 * p] + maps[3 * p + 1] + maps[3 * p + 2]) / 3.0;
        float g = (float)(0.5 + (max_abs > 0 ? v / (2.0 * max_abs) : 0.0));
        tile[3 * p] = tile[3 * p + 1] = tile[3 * p + 2] = g;
    }
}

int grid_write(const analysis *a, const grid_plan *plan, const char *png_path, int max_rows,
               int tile_pixels, grid_laplacian_fn laplacian, void *ctx, grid_info *info,
               char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    size_t ncols = plan->ncolumns;
    if (ncols == 0 || max_rows < 1) {
        snprintf(err, errlen, "%s: nothing to show", png_path);
        return -1;
    }
    loaded_preview loaded[GRID_MAX_COLUMNS];
    size_t nloaded = 0, col_source[GRID_MAX_COLUMNS];
    float *tiles = NULL;
    double *maps = NULL;
    int rc = -1;
    size_t rows = (size_t)max_rows, patch = 0;
    for (size_t c = 0; c < ncols; c++) {
        size_t k = 0;
        while (k < nloaded && loaded[k].run != plan->columns[c].run)
            k++;
        if (k == nloaded) {
            loaded[k].run = plan->columns[c].run;
            if (read_preview(&a->runs[loaded[k].run], &loaded[k].array, err, errlen) != 0)
                goto done;
            nloaded++;
            size_t p = loaded[k].array.shape[2];
            if (patch && p != patch) {
                snprintf(err, errlen, "run %lld's preview has %zux%zu patches, others %zux%zu",
                         (long long)a->runs[loaded[k].run].id, p, p, patch, patch);
                goto done;
            }
            patch = p;
            rows = loaded[k].array.shape[1] < rows ? loaded[k].array.shape[1] : rows;
        }
        col_source[c] = k;
    }
    const size_t pixels = patch * patch, image_values = pixels * 3;
    tiles = malloc(rows * ncols * image_values * sizeof *tiles);
    maps = malloc(ncols * rows * image_values * sizeof *maps);
    if (!tiles || !maps) {
        snprintf(err, errlen, "%s: out of memory", png_path);
        goto done;
    }
    /* Images first; maps computed per column into `maps` and scaled once max|v| is known. */
    double max_abs = 0;
    for (size_t c = 0; c < ncols; c++) {
        const grid_column *col = &plan->columns[c];
        const npy_array *arr = &loaded[col_source[c]].array;
        const float *images = (const float *)arr->data +
                              (size_t)col->image * arr->shape[1] * image_values;
        double *m = maps + c * rows * image_values;
        if (col->laplacian) {
            if (laplacian(ctx, images, m, (int)rows, (int)patch, (int)patch, err, errlen) != 0)
                goto done;
            for (size_t i = 0; i < rows * pixels; i++) {
                double v = fabs((m[3 * i] + m[3 * i + 1] + m[3 * i + 2]) / 3.0);
                max_abs = isfinite(v) && v > max_abs ? v : max_abs;
            }
        }
        for (size_t r = 0; r < rows; r++)
            memcpy(tiles + (r * ncols + c) * image_values, images + r * image_values,
                   image_values * sizeof *tiles);
    }
    for (size_t c = 0; c < ncols; c++)
        if (plan->columns[c].laplacian)
            for (size_t r = 0; r < rows; r++)
                map_to_gray(maps + (c * rows + r) * image_values,
                            tiles + (r * ncols + c) * image_values, pixels, max_abs);
    int scale = tile_pixels / (int)patch;
    scale = scale < 1 ? 1 : scale > 8 ? 8 : scale;
    if (image_write_grid(png_path, tiles, (int)rows, (int)ncols, (int)patch, (int)patch, scale,
                         GRID_GAP, err, errlen) != 0)
        goto done;
    info->rows = (int)rows;
    info->cols = (int)ncols;
    info->patch = (int)patch;
    info->scale = scale;
    info->max_abs = max_abs;
    rc = 0;
done:
    for (size_t k = 0; k < nloaded; k++)
        npy_free(&loaded[k].array);
    free(tiles);
    free(maps);
    return rc;
}
