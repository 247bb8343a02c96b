/* plots/grid.h: the report's image grid, from the runs' preview.npy files.
 *
 * Rows are test patches: of the first ones of the test split (the same in every run of a sweep
 * that shares the data settings) the GRID rows whose targets have the most detail (standard
 * deviation), in their order: a flat patch shows nothing. Columns: the degraded input, the
 * target, the λ = 0 prediction, the prediction of the best and of the worst λ > 0 configuration
 * (by mean final test primary metric, analysis/analysis.h) and of the one with the largest
 * effective weight when it is neither ("strongest"); then the error maps of those predictions;
 * then the Laplacian maps of the target and of those predictions. Each column comes from one run:
 * the finished run with the smallest seed of its configuration. Predictions in preview.npy are
 * those of the run's best epoch.
 *
 * plots/ may not include model/, where the Laplacian lives; the caller passes it as a function.
 * Laplacian maps are shown in gray on one symmetric scale for the whole grid: the three channels'
 * maps are averaged, then gray = 0.5 + v / (2 L), L the 99th percentile of |v| over every map
 * tile (GRID_WHITE_QUANTILE; larger values are clipped), so mid-gray is 0, brighter is positive,
 * and tiles can be compared with each other. Error maps are |prediction − target| averaged over
 * the channels, gray = e / E, E the 99th percentile of e over every error tile (black is no
 * error, white E or more): a scale set by one outlying pixel would leave every tile black. The
 * strip above the tiles says both scales.
 *
 * The grid is drawn at the size the report shows it: the largest whole enlargement (1 to 16) that
 * keeps it within the page's width (grid_write's max_width), the gaps widened where tiles are
 * narrower than GRID_COLUMN_PIXELS; its heads in 9-point text (12 pixels on the screen), each at
 * most GRID_HEAD_CHARS characters so that none is wider than its column.
 *
 * grid_write writes the tiles alone (grid_tiles.png); grid_draw_titles has gnuplot draw them with
 * a title above each column into grid.png (the script grid.gp stays beside it, for editing). */
#ifndef WB_PLOTS_GRID_H
#define WB_PLOTS_GRID_H

#include <stddef.h>

#include "analysis/analysis.h"

enum grid_image { GRID_INPUT, GRID_TARGET, GRID_PREDICTION };

typedef struct grid_column {
    size_t run;                 /* index into analysis.runs */
    enum grid_image image;
    int laplacian;              /* 1: the Laplacian map of the image, not the image */
    int error;                  /* 1: the error map |image - target| of the run (not with
                                   laplacian) */
    char caption[512];          /* "prediction of the best, λ = 0.6 (eff. 43.2), kernel 8"
                                   (text from the database) */
    char head[2][128];          /* the title drawn above the column, two short lines: "best",
                                   "λ=0.6 K8" (text from the database) */
} grid_column;

#define GRID_MAX_COLUMNS 16
#define GRID_MAX_ROWS 32
#define GRID_WHITE_QUANTILE 0.99    /* of the map values shown: the white point */
#define GRID_HEAD_POINTS 9          /* the heads' font size: 12 pixels at the grid's own size */
#define GRID_COLUMN_PIXELS 70       /* a column's tile and gap at least: room for its head */
#define GRID_HEAD_CHARS 10          /* the longest head line: 10 characters of 12-pixel text */

typedef struct grid_plan {
    grid_column columns[GRID_MAX_COLUMNS];
    size_t ncolumns;
} grid_plan;

/* Chooses the columns described above from the finished runs whose preview.npy exists. Fails
 * (with err saying why) when no finished run has one. */
int grid_plan_columns(const analysis *a, grid_plan *plan, char *err, size_t errlen);

/* Computes the Laplacian maps of n RGB images of h x w pixels (HWC floats, n*h*w*3 values) into
 * maps (HWC doubles, same size, one map per channel). Returns 0 or -1 with err set. */
typedef int (*grid_laplacian_fn)(void *ctx, const float *images, double *maps, int n, int h,
                                 int w, char *err, size_t errlen);

typedef struct grid_info {
    int rows, cols;             /* patches shown, columns */
    int patch;                  /* pixels a side */
    int scale;                  /* nearest-neighbour enlargement */
    double max_abs;             /* the Laplacian value shown as white (its negative: black) */
    double max_error;           /* the error shown as white (and every larger one) */
    int row[GRID_MAX_ROWS];     /* the preview's patch shown in each row */
    int width, height;          /* of grid_tiles.png, in pixels */
    int tile, gap;              /* a tile's side and the gap between tiles, in pixels */
} grid_info;

/* Reads the previews of the plan's runs and writes the grid as a PNG at png_path: at most
 * max_rows patches (the most detailed, above), each pixel enlarged by the largest whole factor
 * (1 to 8) that keeps the grid within max_width pixels. Fails on unreadable or mismatched
 * previews, or a failed write. */
int grid_write(const analysis *a, const grid_plan *plan, const char *png_path, int max_rows,
               int max_width, grid_laplacian_fn laplacian, void *ctx, grid_info *info,
               char *err, size_t errlen);

/* Writes dir/grid.gp, which draws dir/grid_tiles.png (grid_write's) with each column's head above
 * it into dir/grid.png, and runs gnuplot on it (its output appended to dir/gnuplot.log). Every
 * head stands in the script only as escape_gnuplot's string. Returns 0, or -1 with err set. */
int grid_draw_titles(const grid_plan *plan, const grid_info *info, const char *dir, char *err,
                     size_t errlen);

#endif
