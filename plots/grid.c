/* plots/grid.c: the image grid of a report; see grid.h. */
#include "plots/grid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/label.h"
#include "base/fileio.h"
#include "data/image.h"
#include "data/npy.h"
#include "plots/escape.h"
#include "plots/gnuplot.h"

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

static grid_column *add_column(grid_plan *plan, size_t run, enum grid_image image, int map,
                               const char *what, const char *label)
{
    if (plan->ncolumns == GRID_MAX_COLUMNS)
        return NULL;
    grid_column *col = &plan->columns[plan->ncolumns++];
    memset(col, 0, sizeof *col);
    col->run = run;
    col->image = image;
    col->laplacian = map == 1;
    col->error = map == 2;
    snprintf(col->caption, sizeof col->caption, "%.250s%s%.250s", what, label ? ", " : "",
             label ? label : "");
    return col;
}

/* "λ=0.6 K8" (a baseline: "λ=0"; a kernel that is not a number by its name): the configuration
 * in a column's head, short enough for the column (GRID_HEAD_CHARS). */
static void short_label(const analysis_config *c, char *out, size_t outlen)
{
    char lambda[40];
    format_shortest(c->lambda, lambda, sizeof lambda);
    if (c->is_baseline || !c->kernel)
        snprintf(out, outlen, "λ=%s", lambda);
    else
        snprintf(out, outlen, "λ=%s %s%.40s", lambda,
                 strspn(c->kernel, "0123456789") == strlen(c->kernel) ? "K" : "", c->kernel);
}

int grid_plan_columns(const analysis *a, grid_plan *plan, char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    /* Among the λ > 0 configurations with a preview: the best and the worst by mean final test
     * primary metric, and the one with the largest effective weight. */
    const int m = ANALYSIS_PRIMARY_SERIES;
    const double sign = analysis_series_direction(m) == STATS_HIGHER_IS_BETTER ? 1 : -1;
    long best = -1, worst = -1, largest = -1;
    for (size_t ci = 0; ci < a->nconfigs; ci++) {
        const analysis_config *c = &a->configs[ci];
        const analysis_stat *st = &c->stat[ANALYSIS_LAST][m];
        if (c->is_baseline || st->n == 0 || preview_run(a, c) < 0)
            continue;
        double v = sign * st->summary.mean;
        if (best < 0 || v > sign * a->configs[best].stat[ANALYSIS_LAST][m].summary.mean)
            best = (long)ci;
        if (worst < 0 || v < sign * a->configs[worst].stat[ANALYSIS_LAST][m].summary.mean)
            worst = (long)ci;
        if (largest < 0 || c->effective_weight > a->configs[largest].effective_weight)
            largest = (long)ci;
    }
    if (worst == best)
        worst = -1;
    if (largest == best || largest == worst)
        largest = -1;
    /* The baseline: that of the best, else any with a preview. */
    long base = best >= 0 ? a->configs[best].baseline : -1;
    if (base < 0 || preview_run(a, &a->configs[base]) < 0) {
        base = -1;
        for (size_t ci = 0; ci < a->nconfigs && base < 0; ci++)
            if (a->configs[ci].is_baseline && preview_run(a, &a->configs[ci]) >= 0)
                base = (long)ci;
    }
    long source = base >= 0 ? preview_run(a, &a->configs[base])
                            : best >= 0 ? preview_run(a, &a->configs[best]) : -1;
    if (source < 0) {
        snprintf(err, errlen, "no finished run has a preview.npy");
        return -1;
    }
    grid_column *col = add_column(plan, (size_t)source, GRID_INPUT, 0, "degraded input", NULL);
    snprintf(col->head[0], sizeof col->head[0], "input");
    col = add_column(plan, (size_t)source, GRID_TARGET, 0, "target", NULL);
    snprintf(col->head[0], sizeof col->head[0], "target");
    const struct { long config; const char *role, *caption; } shown[] = {
        { base, "baseline", "prediction of the baseline" },
        { best, "best", "prediction of the best" },
        { worst, "worst", "prediction of the worst" },
        { largest, "strongest", "prediction at the largest effective weight" },
    };
    const size_t nshown = sizeof shown / sizeof shown[0];
    static const int maps[] = { 0, 2, 1 };   /* predictions, error maps, Laplacian maps */
    for (int mi = 0; mi < 3; mi++) {
        const int map = maps[mi];
        if (map == 1) {   /* the Laplacian maps start with the target's */
            col = add_column(plan, (size_t)source, GRID_TARGET, 1, "Laplacian of the target",
                             NULL);
            snprintf(col->head[0], sizeof col->head[0], "target");
        }
        for (size_t k = 0; k < nshown; k++) {
            if (shown[k].config < 0)
                continue;
            const analysis_config *c = &a->configs[shown[k].config];
            char what[300];
            snprintf(what, sizeof what, "%s%s", map == 0 ? "" : map == 1 ? "Laplacian of the "
                                                                         : "error of the ",
                     shown[k].caption);
            col = add_column(plan, (size_t)preview_run(a, c), GRID_PREDICTION, map, what,
                             c->label);
            if (!col)
                continue;
            snprintf(col->head[0], sizeof col->head[0], "%s", shown[k].role);
            short_label(c, col->head[1], sizeof col->head[1]);
        }
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

/* The q-quantile (0..1) of n values (sorted in place): the white point of a map, so that one
 * outlying pixel does not leave every other tile black. */
static int compare_doubles(const void *pa, const void *pb)
{
    const double x = *(const double *)pa, y = *(const double *)pb;
    return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, compare_doubles);
    size_t k = (size_t)ceil(q * (double)n);
    return v[k > 0 ? k - 1 : 0];
}

/* The rows the grid shows: the max_rows patches of the preview whose targets have the most detail
 * (the largest standard deviation over their pixels and channels), in the preview's order; flat
 * patches show nothing a Laplacian term could change. */
static size_t pick_rows(const float *targets, size_t n, size_t values, size_t max_rows,
                        size_t *rows)
{
    double *spread = malloc(n * sizeof *spread);
    if (!spread)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const float *t = targets + i * values;
        double sum = 0, sum2 = 0;
        for (size_t v = 0; v < values; v++) {
            sum += t[v];
            sum2 += (double)t[v] * t[v];
        }
        const double mean = sum / (double)values;
        spread[i] = sum2 / (double)values - mean * mean;
    }
    size_t count = n < max_rows ? n : max_rows;
    int *taken = calloc(n, sizeof *taken);
    if (!taken) {
        free(spread);
        return 0;
    }
    for (size_t k = 0; k < count; k++) {   /* the most detailed not taken yet, ties to the first */
        size_t pick = n;
        for (size_t i = 0; i < n; i++)
            if (!taken[i] && (pick == n || spread[i] > spread[pick]))
                pick = i;
        taken[pick] = 1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (taken[i])
            rows[m++] = i;
    free(taken);
    free(spread);
    return m;
}

int grid_write(const analysis *a, const grid_plan *plan, const char *png_path, int max_rows,
               int max_width, grid_laplacian_fn laplacian, void *ctx, grid_info *info,
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
    float *tiles = NULL, *chosen = NULL;
    double *maps = NULL, *values = NULL;
    size_t *row = NULL;
    int rc = -1;
    size_t available = SIZE_MAX, patch = 0;
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
            available = loaded[k].array.shape[1] < available ? loaded[k].array.shape[1] : available;
        }
        col_source[c] = k;
    }
    const size_t pixels = patch * patch, image_values = pixels * 3;
    row = malloc((size_t)max_rows * sizeof *row);
    if (!row) {
        snprintf(err, errlen, "%s: out of memory", png_path);
        goto done;
    }
    /* Every preview holds the same test patches: the first column's targets pick the rows. */
    const npy_array *first = &loaded[col_source[0]].array;
    const size_t rows = pick_rows((const float *)first->data + (size_t)GRID_TARGET *
                                  first->shape[1] * image_values, available, image_values,
                                  (size_t)max_rows, row);
    tiles = malloc(rows * ncols * image_values * sizeof *tiles);
    chosen = malloc(2 * rows * image_values * sizeof *chosen);
    maps = malloc(ncols * rows * image_values * sizeof *maps);
    values = malloc(2 * ncols * rows * pixels * sizeof *values);
    if (rows == 0 || !tiles || !chosen || !maps || !values) {
        snprintf(err, errlen, "%s: out of memory", png_path);
        goto done;
    }
    /* Images first; maps computed per column into `maps`, scaled once their white point is known:
     * the 99th percentile of the values shown (|v| for the Laplacian), each map kind on one scale. */
    size_t nerr = 0, nlap = 0;
    double *lap_values = values + ncols * rows * pixels;
    for (size_t c = 0; c < ncols; c++) {
        const grid_column *col = &plan->columns[c];
        const npy_array *arr = &loaded[col_source[c]].array;
        const float *all = (const float *)arr->data + (size_t)col->image * arr->shape[1] * image_values;
        const float *all_targets = (const float *)arr->data +
                                   (size_t)GRID_TARGET * arr->shape[1] * image_values;
        float *images = chosen, *target = chosen + rows * image_values;
        for (size_t r = 0; r < rows; r++) {
            memcpy(images + r * image_values, all + row[r] * image_values,
                   image_values * sizeof *images);
            memcpy(target + r * image_values, all_targets + row[r] * image_values,
                   image_values * sizeof *target);
        }
        double *m = maps + c * rows * image_values;
        if (col->error) {
            /* |prediction - target| of the same run, averaged over the channels. */
            for (size_t i = 0; i < rows * pixels; i++) {
                double e = 0;
                for (int ch = 0; ch < 3; ch++)
                    e += fabs((double)images[3 * i + ch] - (double)target[3 * i + ch]);
                m[3 * i] = m[3 * i + 1] = m[3 * i + 2] = e / 3.0;
                if (isfinite(e))
                    values[nerr++] = e / 3.0;
            }
        }
        if (col->laplacian) {
            if (laplacian(ctx, images, m, (int)rows, (int)patch, (int)patch, err, errlen) != 0)
                goto done;
            for (size_t i = 0; i < rows * pixels; i++) {
                double v = fabs((m[3 * i] + m[3 * i + 1] + m[3 * i + 2]) / 3.0);
                if (isfinite(v))
                    lap_values[nlap++] = v;
            }
        }
        for (size_t r = 0; r < rows; r++)
            memcpy(tiles + (r * ncols + c) * image_values, images + r * image_values,
                   image_values * sizeof *tiles);
    }
    const double max_error = quantile(values, nerr, GRID_WHITE_QUANTILE);
    const double max_abs = quantile(lap_values, nlap, GRID_WHITE_QUANTILE);
    for (size_t c = 0; c < ncols; c++)
        for (size_t r = 0; plan->columns[c].laplacian && r < rows; r++)
            map_to_gray(maps + (c * rows + r) * image_values,
                        tiles + (r * ncols + c) * image_values, pixels, max_abs);
    for (size_t c = 0; c < ncols; c++)
        for (size_t r = 0; plan->columns[c].error && r < rows; r++) {
            const double *e = maps + (c * rows + r) * image_values;
            float *t = tiles + (r * ncols + c) * image_values;
            for (size_t v = 0; v < image_values; v++)
                t[v] = (float)(max_error > 0 ? fmin(1.0, e[v] / max_error) : 0.0);
        }
    /* The largest enlargement that keeps the grid within max_width, each column at least
     * GRID_COLUMN_PIXELS wide with its gap (room for its head): shown at its own size. */
    int scale = 16, gap = GRID_GAP;
    for (;; scale--) {
        const int tile = (int)patch * scale;
        gap = tile + GRID_GAP >= GRID_COLUMN_PIXELS ? GRID_GAP : GRID_COLUMN_PIXELS - tile;
        if (scale == 1 || (int)ncols * tile + ((int)ncols - 1) * gap <= max_width)
            break;
    }
    if (image_write_grid(png_path, tiles, (int)rows, (int)ncols, (int)patch, (int)patch, scale,
                         gap, err, errlen) != 0)
        goto done;
    info->rows = (int)rows;
    info->cols = (int)ncols;
    info->patch = (int)patch;
    info->scale = scale;
    info->max_abs = max_abs;
    info->max_error = max_error;
    info->tile = (int)patch * scale;
    info->gap = gap;
    info->width = (int)ncols * info->tile + ((int)ncols - 1) * gap;
    info->height = (int)rows * info->tile + ((int)rows - 1) * gap;
    for (size_t r = 0; r < rows && r < GRID_MAX_ROWS; r++)
        info->row[r] = (int)row[r];
    rc = 0;
done:
    for (size_t k = 0; k < nloaded; k++)
        npy_free(&loaded[k].array);
    free(tiles);
    free(chosen);
    free(maps);
    free(values);
    free(row);
    return rc;
}

/* The strip above the tiles: a line naming each group of columns (images, error maps with their
 * white point, Laplacian maps with theirs) over the group, then each column's two lines. */
#define GRID_HEAD_PIXELS 62

/* Which group a column belongs to: 0 images, 1 error maps, 2 Laplacian maps. */
static int column_group(const grid_column *c)
{
    return c->laplacian ? 2 : c->error ? 1 : 0;
}

int grid_draw_titles(const grid_plan *plan, const grid_info *info, const char *dir, char *err,
                     size_t errlen)
{
    char path[4200], log_path[4200];
    snprintf(path, sizeof path, "%s/grid.gp", dir);
    snprintf(log_path, sizeof log_path, "%s/gnuplot.log", dir);
    atomic_file gp;
    if (atomic_file_open(&gp, path, err, errlen) != 0)
        return -1;
    FILE *f = gp.f;
    const int w = info->width, h = info->height, total = h + GRID_HEAD_PIXELS;
    /* Drawn at the size the report shows it (wb report keeps it within its page): 9-point text
     * is 12 pixels on the screen, and no head is wider than its column (GRID_HEAD_CHARS). */
    fputs("# grid.gp: the image grid with a title above each column.\n"
          "# Written by wb report. Edit and redraw with: gnuplot grid.gp (in this folder).\n"
          "set encoding utf8\n", f);
    fprintf(f, "set terminal pngcairo size %d,%d noenhanced font 'Sans,%d' background '#ffffff'\n"
               "set output 'grid.png'\n"
               "set lmargin at screen 0\nset rmargin at screen 1\nset bmargin at screen 0\n"
               "set tmargin at screen %.10g\nset xrange [0:%d]\nset yrange [0:%d]\n"
               "unset border\nunset tics\nunset key\n",
            w, total, GRID_HEAD_POINTS, (double)h / total, w, h);
    int label = 1;
    char group[3][128];
    snprintf(group[0], sizeof group[0], "images");
    snprintf(group[1], sizeof group[1], "error |prediction − target|, white ≥ %.2g", info->max_error);
    snprintf(group[2], sizeof group[2], "Laplacian maps, white +%.2g, black −%.2g", info->max_abs,
             info->max_abs);
    for (size_t c = 0; c < plan->ncolumns;) {
        size_t end = c;
        while (end < plan->ncolumns &&
               column_group(&plan->columns[end]) == column_group(&plan->columns[c]))
            end++;
        const double x0 = (double)c * (info->tile + info->gap);
        const double x1 = (double)end * (info->tile + info->gap) - info->gap;
        fprintf(f, "set label %d ", label++);
        escape_gnuplot(f, group[column_group(&plan->columns[c])]);
        fprintf(f, " at first %.1f, first %d center font ',%d'\n", (x0 + x1) / 2, h + 50,
                GRID_HEAD_POINTS + 1);
        fprintf(f, "set arrow from first %.1f, first %d to first %.1f, first %d nohead "
                   "lc rgb '#999999'\n", x0 + 2, h + 40, x1 - 2, h + 40);
        c = end;
    }
    for (size_t c = 0; c < plan->ncolumns; c++) {
        double x = (double)c * (info->tile + info->gap) + info->tile / 2.0;
        for (int line = 0; line < 2; line++) {
            if (!plan->columns[c].head[line][0])
                continue;
            fprintf(f, "set label %d ", label++);
            escape_gnuplot(f, plan->columns[c].head[line]);
            fprintf(f, " at first %.1f, first %d center\n", x, h + (line == 0 ? 26 : 9));
        }
    }
    fputs("plot 'grid_tiles.png' binary filetype=png with rgbimage notitle\nset output\n", f);
    if (atomic_file_commit(&gp, err, errlen) != 0)
        return -1;
    return gnuplot_run(dir, "grid.gp", log_path, NULL, err, errlen);
}
