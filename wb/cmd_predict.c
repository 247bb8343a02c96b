/* wb predict RUN --input X.npy --out Y.npy: a run's weights applied to an array of images. */
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/npy.h"
#include "model/metrics.h"
#include "model/unet.h"
#include "store/read.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb predict RUN --input X.npy --out Y.npy [--target T.npy]\n"
    "                  [--db PATH | --ini FILE.ini] [--checkpoint best|last]\n\n"
    "Applies a run's weights to X.npy, (N, H, W, 3) float32 in [0, 1] or uint8 (divided by 255),\n"
    "with H = W divisible by 2^depth, and writes the predictions as float32 (N, H, W, 3). It uses\n"
    "the run's thread count and batch size, so the predictions are the ones training evaluated.\n\n"
    "  --target T.npy           also print the metrics of the predictions against T.npy:\n"
    "                           every image metric training logs, one `name value` line each\n"
    "  --checkpoint best|last   the best epoch's weights (default) or the last epoch's\n"
    CMD_DB_USAGE;

typedef struct predict_model {
    model_options m;
    int threads, batch, epoch;
    char weights[4096];
} predict_model;

/* A run's param as an integer (0 when absent); "true" is 1. */
static int param_int(const store_param *p, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].key, key) == 0 && p[i].value)
            return strcmp(p[i].value, "true") == 0 ? 1 : atoi(p[i].value);
    return 0;
}

/* The run's architecture, thread count and batch size, and the path of its checkpoint of
 * `kind`. */
static int find_model(store *s, int64_t run_id, const char *kind, predict_model *pm, char *err,
                      size_t errlen)
{
    store_run_record r;
    store_param *p = NULL;
    store_checkpoint *ck = NULL;
    size_t np = 0, nck = 0;
    int rc = store_read_run(s, run_id, &r, err, errlen) == 0 &&
             store_read_params(s, run_id, &p, &np, err, errlen) == 0 &&
             store_read_checkpoints(s, run_id, &ck, &nck, err, errlen) == 0 ? 0 : -1;
    if (rc == 0) {
        pm->m.depth = param_int(p, np, "model.depth");
        pm->m.base_channels = param_int(p, np, "model.base_channels");
        pm->m.residual = param_int(p, np, "model.residual");
        pm->batch = param_int(p, np, "train.batch_size");
        pm->threads = r.threads > 0 ? (int)r.threads : 0;
        rc = -1;
        for (size_t i = 0; rc != 0 && i < nck; i++)
            if (strcmp(ck[i].kind, kind) == 0) {
                store_resolve_path(s, ck[i].path, pm->weights, sizeof pm->weights);
                pm->epoch = ck[i].epoch;
                rc = 0;
            }
        if (rc != 0)
            snprintf(err, errlen, "run %lld has no %s checkpoint yet", (long long)run_id, kind);
    }
    store_run_record_free(&r);
    store_params_free(p, np);
    store_checkpoints_free(ck, nck);
    return rc;
}

int cmd_predict(int argc, char **argv)
{
    cmd_db d = { 0 };
    const char *in = NULL, *out = NULL, *kind = "best",
               *target = NULL;
    const cmd_option opts[] = { { .name = "input", .text = &in }, { .name = "out", .text = &out },
                                CMD_DB_OPTIONS(&d),
                                { .name = "checkpoint", .text = &kind },
                                { .name = "target", .text = &target }, { 0 } };
    int status = cmd_parse("predict", usage, argc, argv, opts, 1);
    if (status >= 0)
        return status;
    if (!in || !out || (strcmp(kind, "best") && strcmp(kind, "last")))
        return cmd_usage(usage, WB_EXIT_USAGE);

    char err[2048];
    store *s = NULL;
    int64_t run_id;
    predict_model pm;
    float *x = NULL, *y = NULL, *t = NULL;
    size_t n;
    int h, w;
    unet *u = NULL;
    if ((status = cmd_resolve_db("predict", &d)) >= 0 ||
        (status = cmd_open_db("predict", &d, &s)) != WB_EXIT_OK)
        return status;
    status = WB_EXIT_USAGE;
    if (store_lookup_run(s, argv[optind], &run_id, err, sizeof err) != 0 ||
        find_model(s, run_id, kind, &pm, err, sizeof err) != 0 ||
        npy_read_inputs(in, &x, &n, &h, &w, err, sizeof err) != 0) {
        wb_error("predict", "%s", err);
        goto out;
    }
    if (h != w || h % (1 << pm.m.depth) != 0 || n == 0) {
        wb_error("predict", "%s: images of %dx%d; this network needs square images whose side is "
                 "divisible by %d", in, h, w, 1 << pm.m.depth);
        goto out;
    }
    if (target) {
        size_t tn;
        int th, tw;
        if (npy_read_images(target, &t, &tn, &th, &tw, err, sizeof err) != 0) {
            wb_error("predict", "%s", err);
            goto out;
        }
        if (tn != n || th != h || tw != w) {
            wb_error("predict", "%s: %zu images of %dx%d, the input has %zu of %dx%d", target, tn,
                     th, tw, n, h, w);
            goto out;
        }
    }
    status = WB_EXIT_FAILURE;
    const int threads = pm.threads > 0 ? pm.threads : wb_cpu_count();
    const int batch = pm.batch > 0 && (size_t)pm.batch < n ? pm.batch : (int)n;
    omp_set_num_threads(threads);
    y = malloc(sizeof(float) * n * h * w * 3);
    if (!y || unet_create(&u, &pm.m, h, batch, threads, err, sizeof err) != 0 ||
        unet_load_weights(u, pm.weights, err, sizeof err) != 0) {
        wb_error("predict", "%s", y ? err : "out of memory");
        goto out;
    }
    unet_predict(u, x, y, n);
    const size_t shape[4] = { n, (size_t)h, (size_t)w, 3 };
    if (npy_write(out, NPY_F32, 4, shape, y, err, sizeof err) != 0) {
        wb_error("predict", "%s", err);
        goto out;
    }
    printf("%s: %zu predictions of run %lld (%s checkpoint, epoch %d) -> %s\n", in, n,
           (long long)run_id, kind, pm.epoch, out);
    if (t) {
        double values[METRIC_COUNT];
        metrics_compute(y, t, n, h, w, values);
        for (int m = 0; m < METRIC_COUNT; m++)
            if (metric_def_of((enum metric_id)m)->source == METRIC_FROM_IMAGES)
                printf("%s %.17g\n", metric_def_of((enum metric_id)m)->name, values[m]);
    }
    status = WB_EXIT_OK;
out:
    unet_free(u);
    free(x);
    free(y);
    free(t);
    store_close(s);
    return status;
}
