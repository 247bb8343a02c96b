/* wb data export|show FILE.ini: the data the file's first configuration trains on, as .npy
 * arrays (the npy:DIR layout) or as a picture. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/npy.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb data export FILE.ini --out DIR\n"
    "       wb data show FILE.ini --out grid.png\n\n"
    "export writes what a run of FILE.ini's first grid point sees, in the npy:DIR layout:\n"
    "DIR/{train,val,test}_{x,y}.npy, float32 (N, H, W, 3), train inputs as of epoch 1. With\n"
    "data.fresh_noise = false, training on source = npy:DIR reproduces that run.\n"
    "show writes a PNG of sample inputs and targets of each split, enlarged 8x.\n";

static int write_split(const char *dir, const char *name, const float *a, const data_split *sp,
                       char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    const size_t shape[4] = { sp->n, (size_t)sp->h, (size_t)sp->w, 3 };
    if (npy_write(path, NPY_F32, 4, shape, a, err, errlen) != 0)
        return -1;
    printf("%s: float32 (%zu, %d, %d, 3)\n", path, sp->n, sp->h, sp->w);
    return 0;
}

static int export_data(const config_run *r, const dataset *ds, const char *dir, char *err,
                       size_t errlen)
{
    if (file_mkdirs(dir, err, errlen) != 0)
        return -1;
    const size_t count = ds->train.n * ds->train.h * ds->train.w * 3;
    float *x = malloc(sizeof(float) * (count ? count : 1));
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    dataset_train_inputs(ds, &r->options.data, r->options.seed, 1, x);
    int rc = write_split(dir, "train_x", x, &ds->train, err, errlen);
    free(x);
    if (rc == 0)
        rc = write_split(dir, "train_y", ds->train.y, &ds->train, err, errlen);
    if (rc == 0)
        rc = write_split(dir, "val_x", ds->val.x, &ds->val, err, errlen);
    if (rc == 0)
        rc = write_split(dir, "val_y", ds->val.y, &ds->val, err, errlen);
    if (rc == 0)
        rc = write_split(dir, "test_x", ds->test.x, &ds->test, err, errlen);
    if (rc == 0)
        rc = write_split(dir, "test_y", ds->test.y, &ds->test, err, errlen);
    return rc;
}

#define SHOW_COLS 8
#define SHOW_SCALE 8

/* Rows: train inputs, train targets, val inputs, val targets, test inputs, test targets. */
static int show_data(const config_run *r, const dataset *ds, const char *path, char *err,
                     size_t errlen)
{
    const int h = ds->train.h, w = ds->train.w;
    const size_t img = (size_t)h * w * 3;
    float *tiles = calloc(6 * SHOW_COLS * img, sizeof(float));
    float *trainx = malloc(sizeof(float) * ds->train.n * img);
    if (!tiles || !trainx) {
        free(tiles);
        free(trainx);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    dataset_train_inputs(ds, &r->options.data, r->options.seed, 1, trainx);
    const data_split *sp[3] = { &ds->train, &ds->val, &ds->test };
    for (int k = 0; k < 3; k++) {
        const float *x = k == 0 ? trainx : sp[k]->x;
        for (int c = 0; c < SHOW_COLS && (size_t)c < sp[k]->n; c++) {
            memcpy(tiles + ((size_t)(2 * k) * SHOW_COLS + c) * img, x + c * img,
                   sizeof(float) * img);
            memcpy(tiles + ((size_t)(2 * k + 1) * SHOW_COLS + c) * img, sp[k]->y + c * img,
                   sizeof(float) * img);
        }
    }
    int rc = image_write_grid(path, tiles, 6, SHOW_COLS, h, w, SHOW_SCALE, 2, err, errlen);
    if (rc == 0)
        printf("%s: rows train input/target, val input/target, test input/target; %d samples "
               "each, %dx enlarged\n", path, SHOW_COLS, SHOW_SCALE);
    free(tiles);
    free(trainx);
    return rc;
}

int cmd_data(int argc, char **argv)
{
    const char *out = NULL;
    const cmd_option opts[] = { { .name = "out", .text = &out }, { 0 } };
    int status = cmd_parse("data", usage, argc, argv, opts, -1);
    if (status >= 0)
        return status;
    static const char *const actions[] = { "export", "show" };
    if (optind == argc) {
        wb_error("data", "say what to do: export or show");
        return cmd_usage(usage, WB_EXIT_USAGE);
    }
    if (strcmp(argv[optind], "export") && strcmp(argv[optind], "show")) {
        const char *guess = wb_likeliest(argv[optind], actions, 2);
        wb_error("data", "unknown action '%s'%s%s%s (export or show)", argv[optind],
                 guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
        return cmd_usage(usage, WB_EXIT_USAGE);
    }
    if (argc - optind != 2 || !out) {
        wb_error("data", "%s", argc - optind < 2 ? "the INI file is missing"
                               : argc - optind > 2 ? "one INI file, please"
                                                   : "--out is missing");
        return cmd_usage(usage, WB_EXIT_USAGE);
    }
    const int export = strcmp(argv[optind], "export") == 0;
    const char *file = argv[optind + 1];

    char err[2048];
    config *cfg = NULL;
    config_grid *g = NULL;
    dataset ds;
    int loaded = 0;
    status = WB_EXIT_USAGE;
    if (config_parse_file(file, &cfg, err, sizeof err) != 0 ||
        config_expand(cfg, &g, err, sizeof err) != 0) {
        wb_error("data", "%s", err);
        goto out;
    }
    const config_run *r = &g->runs[0];
    if (dataset_load(&r->options.data, &ds, err, sizeof err) != 0) {
        wb_error("data", "%s: %s", file, err);
        goto out;
    }
    loaded = 1;
    status = WB_EXIT_FAILURE;
    if ((export ? export_data(r, &ds, out, err, sizeof err)
                : show_data(r, &ds, out, err, sizeof err)) != 0) {
        wb_error("data", "%s", err);
        goto out;
    }
    status = WB_EXIT_OK;
out:
    if (loaded)
        dataset_free(&ds);
    config_grid_free(g);
    config_free(cfg);
    return status;
}
