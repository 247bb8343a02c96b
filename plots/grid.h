/* plots/grid.h: the report's image grid, from the runs' preview.npy files.
 *
 * Rows are test patches (the first ones of the test split, the same in every run of a sweep that
 * shares the data settings). Columns: the degraded input, the target, the λ = 0 prediction, for
 * each kernel the prediction of its best λ (by mean final test PSNR among its λ > 0
 * configurations), then the Laplacian maps of the target and of those predictions. Each column
 * comes from one run: the finished run with the smallest seed of its configuration. Predictions
 * in preview.npy are those of the run's best epoch by validation PSNR.
 *
 * plots/ may not include model/, where the Laplacian lives; the caller passes it as a function.
 * Maps are shown in gray on one symmetric scale for the whole grid: the three channels' maps are
 * averaged, then gray = 0.5 + v / (2 max|v|) with max|v| over every map tile, so mid-gray is 0,
 * brighter is positive, and tiles can be compared with each other. */
#ifndef WB_PLOTS_GRID_H
#define WB_PLOTS_GRID_H

#include <stddef.h>

#include "plots/analysis.h"

enum grid_image { GRID_INPUT, GRID_TARGET, GRID_PREDICTION };

typedef struct grid_column {
    size_t run;                 /* index into analysis.runs */
    enum grid_image image;
    int laplacian;              /* 1: the Laplacian map of the image, not the image */
    char caption[512];          /* "prediction, λ = 0.6, kernel = 8" (text from the database) */
} grid_column;

#define GRID_MAX_COLUMNS 16

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
} grid_info;

/* Reads the previews of the plan's runs and writes the grid as a PNG at png_path: at most
 * max_rows patches, each pixel enlarged so a tile is about `tile_pixels` wide (between 1x and
 * 8x). Fails on unreadable or mismatched previews, or a failed write. */
int grid_write(const analysis *a, const grid_plan *plan, const char *png_path, int max_rows,
               int tile_pixels, grid_laplacian_fn laplacian, void *ctx, grid_info *info,
               char *err, size_t errlen);

#endif
