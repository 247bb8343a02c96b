/* wb predict RUN --input X --out Y: a run's weights applied to photos (PNG) or arrays of images
 * (.npy) of any size, in tiles (model/tile.h). */
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/label.h"
#include "base/proc.h"
#include "data/dataset.h"
#include "data/image.h"
#include "data/npy.h"
#include "model/metrics.h"
#include "model/tile.h"
#include "model/unet.h"
#include "store/read.h"
#include "wb/cmd.h"
#include "wb/config.h"
#include "wb/util.h"

static const char usage[] =
    "usage: wb predict RUN --input X.png|X.npy --out Y.png|Y.npy [--target T.png|T.npy]\n"
    "                  [--db PATH | --ini FILE.ini] [--checkpoint best|last] [--tile N]\n"
    "                  [--crop X,Y,W,H]"
     " [--degrade NOISY.png|NOISY.npy] [--json]\n\n"
    "Applies a run's weights to a photo (.png: 8/16-bit gray, RGB, RGBA or palette) or to an\n"
    "array of images (.npy: (N, H, W, 3) float32 or float64 in [0, 1], or uint8 divided by 255)\n"
    "of any size and aspect, and writes the prediction as a PNG (8-bit RGB, one image) or as\n"
    "float32 (N, H, W, 3). Each image is padded at its bottom and right to a multiple of\n"
    "2^depth by reflection (reflect101), run through the network in overlapping tiles and cropped\n"
    "back; the tiles give what one pass over the whole image gives (within 1e-5: the margin is\n"
    "the network's receptive field, 24 pixels at depth 2). Images that fit one tile (a run's\n"
    "patches) go through whole, with the run's thread count and batch size, as training\n"
    "evaluated them.\n\n"
    "Memory: the network holds a fixed number of tiles whatever the image size (one per thread\n"
    "of the run, or a run's patches up to its batch size, at most N*N pixels a pass); printed\n"
    "as `network memory`: 122 MB a thread with the default tiles at width 16 and depth 2 (62 at\n"
    "width 8; it grows with the width and N^2). Besides, the images take 28 bytes a pixel\n"
    "(input, output, 8-bit copy for a PNG).\n\n"
    "  --target T               also print the metrics of the predictions against T:\n"
    "                           every image metric training logs, one `name value unit  title`\n"
    "                           line each, with the digits that mean something (PSNR, the\n"
    "                           primary metric, is psnr_pooled)\n"
    "  --json                   the metrics as one JSON object instead (17 significant digits;\n"
    "                           the other lines go to stderr)\n"
    "  --checkpoint best|last   the best epoch's weights (default) or the last epoch's\n"
    "  --tile N                 tiles of at most NxN pixels (default 256; a multiple of 2^depth\n"
    "                           above twice the margin)\n"
    "  --crop X,Y,W,H           use only the W x H region at column X, row Y of the input\n"
    "                           (and of the target)\n"
    "  --degrade NOISY          first apply the run's degradation (data.task: its noise, blur or\n"
    "                           downsampling, seeded by data.seed) to the input, write it to\n"
    "                           NOISY, and predict from that: a clean photo in, what the run\n"
    "                           was trained to undo, and its answer out\n"
    CMD_DB_USAGE;

typedef struct predict_model {
    model_options m;
    data_options data;      /* the run's, for --degrade */
    int threads, batch, epoch;
    char weights[4096];
} predict_model;

/* The run's data options (for --degrade): its data.* params applied to the defaults. */
static int run_data_options(const store_param *p, size_t n, data_options *out, char *err,
                            size_t errlen)
{
    config *c = NULL;
    config_grid *g = NULL;
    int rc = config_parse_string("", "predict", &c, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strncmp(p[i].key, "data.", 5) != 0 || !p[i].value)
            continue;
        char assignment[4200];
        snprintf(assignment, sizeof assignment, "%s=%s", p[i].key, p[i].value);
        rc = config_set(c, assignment, (int)i + 1, err, errlen);
    }
    if (rc == 0 && (rc = config_expand(c, &g, err, errlen)) == 0)
        *out = g->runs[0].options.data;
    config_grid_free(g);
    config_free(c);
    return rc;
}

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
static int find_model(store *s, int64_t run_id, const char *kind, int want_data,
                      predict_model *pm, char *err, size_t errlen)
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
        rc = want_data ? run_data_options(p, np, &pm->data, err, errlen) : 0;
        if (rc != 0)
            goto done;
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
done:
    store_run_record_free(&r);
    store_params_free(p, np);
    store_checkpoints_free(ck, nck);
    return rc;
}

static int is_png(const char *path)
{
    const size_t len = strlen(path);
    return len >= 4 && strcasecmp(path + len - 4, ".png") == 0;
}

/* A photo as one image, or an .npy array of images: inputs need only be finite, targets lie in
 * [0, 1]. */
static int read_images(const char *path, int target, float **x, size_t *n, int *h, int *w,
                       char *err, size_t errlen)
{
    if (is_png(path)) {
        *n = 1;
        return image_read_png(path, x, h, w, err, errlen);
    }
    return target ? npy_read_images(path, x, n, h, w, err, errlen)
                  : npy_read_inputs(path, x, n, h, w, err, errlen);
}

static int write_images(const char *path, const float *y, size_t n, int h, int w, char *err,
                        size_t errlen)
{
    if (!is_png(path)) {
        const size_t shape[4] = { n, (size_t)h, (size_t)w, 3 };
        return npy_write(path, NPY_F32, 4, shape, y, err, errlen);
    }
    if (n != 1) {
        snprintf(err, errlen, "%s: a PNG holds one image, the input has %zu (write .npy)", path, n);
        return -1;
    }
    const size_t count = (size_t)h * w * 3;
    uint8_t *rgb = malloc(count);
    if (!rgb) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    image_to_u8(y, rgb, count);
    const int rc = image_write_png(path, rgb, h, w, err, errlen);
    free(rgb);
    return rc;
}

typedef struct crop_box {
    int x, y, w, h;
} crop_box;

static int take_crop(void *ctx, const char *arg)
{
    crop_box *c = ctx;
    char end;
    if (sscanf(arg, "%d,%d,%d,%d%c", &c->x, &c->y, &c->w, &c->h, &end) != 4 || c->x < 0 ||
        c->y < 0 || c->w < 1 || c->h < 1) {
        wb_error("predict", "--crop '%s': expected X,Y,W,H (column, row, width, height; W and H "
                 "at least 1)", arg);
        return WB_EXIT_USAGE;
    }
    return 0;
}

/* Cuts the box out of each of n images in place. */
static int crop_images(const char *path, float *x, size_t n, int *h, int *w, const crop_box *c,
                       char *err, size_t errlen)
{
    if (c->x + c->w > *w || c->y + c->h > *h) {
        snprintf(err, errlen, "%s: --crop %d,%d,%d,%d reaches outside its %dx%d pixels", path,
                 c->x, c->y, c->w, c->h, *w, *h);
        return -1;
    }
    float *dst = x;
    for (size_t s = 0; s < n; s++)
        for (int r = 0; r < c->h; r++) {
            memmove(dst, x + ((s * *h + c->y + r) * *w + c->x) * 3, sizeof(float) * c->w * 3);
            dst += (size_t)c->w * 3;
        }
    *h = c->h;
    *w = c->w;
    return 0;
}

/* Tiles a pass: as many as the run has threads (each thread takes whole tiles), more when tiles
 * are small (a run's patches: up to its batch size), never more than tile*tile pixels in all
 * unless that is fewer than the threads; never more than there are. */
static int tiles_per_pass(const predict_model *pm, const tile_plan *p, int tile, int threads,
                          size_t n)
{
    const size_t total = n * (size_t)p->rows * p->cols;
    size_t by_area = (size_t)tile * tile / ((size_t)p->tile_height * p->tile_width);
    const size_t run_batch = pm->batch > 0 ? (size_t)pm->batch : 1;
    if (by_area > run_batch)
        by_area = run_batch;
    size_t b = by_area > (size_t)threads ? by_area : (size_t)threads;
    return (int)(b < total ? b : total);
}

/* The weights file is the one training wrote: its SHA-256 is the one recorded with its epoch (a
 * file from before wb recorded them is trusted, with a warning). NaN and Inf are refused when the
 * weights are loaded (unet_load_weights). */
static int check_weights(store *s, int64_t run_id, const char *kind, const predict_model *pm,
                         char *err, size_t errlen)
{
    char name[32];
    enum store_file_state state;
    snprintf(name, sizeof name, "%s.safetensors", kind);
    if (store_check_file(s, run_id, pm->epoch, name, pm->weights, &state, err, errlen) != 0)
        return -1;
    if (state == STORE_FILE_UNHASHED)
        fprintf(stderr, "wb predict: warning: %s has no recorded SHA-256 (written before wb "
                "recorded them): trusted as it is\n", pm->weights);
    return state == STORE_FILE_DAMAGED ? -1 : 0;
}

int cmd_predict(int argc, char **argv)
{
    cmd_db d = { 0 };
    int json = 0;
    const char *in = NULL, *out = NULL, *kind = "best", *target = NULL, *tile_text = NULL,
               *degraded = NULL;
    crop_box crop = { 0, 0, 0, 0 };
    const cmd_option opts[] = { { .name = "input", .text = &in }, { .name = "out", .text = &out },
                                CMD_DB_OPTIONS(&d),
                                { .name = "checkpoint", .text = &kind },
                                { .name = "target", .text = &target },
                                { .name = "tile", .text = &tile_text },
                                { .name = "crop", .take = take_crop, .ctx = &crop },
                                { .name = "degrade", .text = &degraded },
                                { .name = "json", .flag = &json }, { 0 } };
    int status = cmd_parse("predict", usage, argc, argv, opts, 1);
    if (status >= 0)
        return status;
    if (!in || !out || (strcmp(kind, "best") && strcmp(kind, "last")))
        return cmd_usage(usage, WB_EXIT_USAGE);
    int tile = TILE_DEFAULT;
    if (tile_text) {
        char *end;
        const long v = strtol(tile_text, &end, 10);
        if (*end || end == tile_text || v < 2 || v > 65536) {
            wb_error("predict", "--tile '%s': expected a side in pixels (e.g. 128)", tile_text);
            return WB_EXIT_USAGE;
        }
        tile = (int)v;
    }

    char err[2048];
    store *s = NULL;
    int64_t run_id;
    predict_model pm = { 0 };
    float *x = NULL, *y = NULL, *t = NULL;
    size_t n;
    int h, w;
    unet *u = NULL;
    tile_plan plan;
    if ((status = cmd_resolve_db("predict", &d)) >= 0 ||
        (status = cmd_open_db("predict", &d, &s)) != WB_EXIT_OK)
        return status;
    status = WB_EXIT_USAGE;
    if (store_lookup_run(s, argv[optind], &run_id, err, sizeof err) != 0 ||
        find_model(s, run_id, kind, degraded != NULL, &pm, err, sizeof err) != 0 ||
        read_images(in, 0, &x, &n, &h, &w, err, sizeof err) != 0 ||
        (crop.w && crop_images(in, x, n, &h, &w, &crop, err, sizeof err) != 0) ||
        tile_plan_make(&plan, pm.m.depth, h, w, tile, tile_margin_aligned(pm.m.depth), err,
                       sizeof err) != 0) {
        wb_error("predict", "%s", err);
        goto out;
    }
    if (n == 0) {
        wb_error("predict", "%s: no images", in);
        goto out;
    }
    if (n > 1 && (is_png(out) || (degraded && is_png(degraded)))) {
        wb_error("predict", "%s: a PNG holds one image, %s has %zu (write .npy)",
                 is_png(out) ? out : degraded, in, n);
        goto out;
    }
    if (target) {
        size_t tn;
        int th, tw;
        if (read_images(target, 1, &t, &tn, &th, &tw, err, sizeof err) != 0 ||
            (crop.w && crop_images(target, t, tn, &th, &tw, &crop, err, sizeof err) != 0)) {
            wb_error("predict", "%s", err);
            goto out;
        }
        if (tn != n || th != h || tw != w) {
            wb_error("predict", "%s: %zu images of %dx%d, the input has %zu of %dx%d (width x "
                     "height)", target, tn, tw, th, n, w, h);
            goto out;
        }
    }
    status = WB_EXIT_FAILURE;
    if (degraded) {
        /* The run's own degradation, as its val and test inputs got theirs (from data.seed). */
        if (data_degrade(&pm.data, x, x, n, h, w, pm.data.seed, err, sizeof err) != 0 ||
            write_images(degraded, x, n, h, w, err, sizeof err) != 0) {
            wb_error("predict", "%s", err);
            goto out;
        }
    }
    const int threads = pm.threads > 0 ? pm.threads : proc_cpu_count();
    const int batch = tiles_per_pass(&pm, &plan, tile, threads, n);
    omp_set_num_threads(threads);
    if (check_weights(s, run_id, kind, &pm, err, sizeof err) != 0) {
        wb_error("predict", "%s", err);
        goto out;
    }
    y = malloc(sizeof(float) * n * h * w * 3);
    if (!y ||
        unet_create_forward(&u, &pm.m, plan.tile_height, plan.tile_width, batch, threads, err,
                            sizeof err) != 0 ||
        unet_load_weights(u, pm.weights, err, sizeof err) != 0 ||
        tile_predict(u, &plan, x, y, n, err, sizeof err) != 0) {
        wb_error("predict", "%s", y ? err : "out of memory");
        goto out;
    }
    if (write_images(out, y, n, h, w, err, sizeof err) != 0) {
        wb_error("predict", "%s", err);
        goto out;
    }
    FILE *info = json ? stderr : stdout;   /* with --json, stdout is the JSON alone */
    fprintf(info, "%s: %zu predictions of run %lld (%s checkpoint, epoch %d) -> %s\n", in, n,
            (long long)run_id, kind, pm.epoch, out);
    char line[512];
    snprintf(line, sizeof line, "%zu image(s) of %dx%d (width x height) in %d tile(s) of %dx%d "
             "per image (margin %d), %d a pass; network memory %.1f MB", n, w, h,
             plan.rows * plan.cols, plan.tile_width, plan.tile_height, plan.margin, batch,
             unet_arena_bytes(u) / 1e6);
    wb_print_wrapped(info, line, WB_OUTPUT_COLUMNS, 2);
    if (t) {
        double values[METRIC_COUNT];
        metrics_compute(y, t, n, h, w, values);
        int first = 1;
        for (int m = 0; m < METRIC_COUNT; m++) {
            const metric_def *def = metric_def_of((enum metric_id)m);
            if (def->source != METRIC_FROM_IMAGES)
                continue;
            char value[64];
            if (json) {
                printf("%s\"%s\": ", first ? "{" : ", ", def->name);
                if (isfinite(values[m]))
                    printf("%.17g", values[m]);
                else
                    printf("null");
            } else {
                format_metric(m, values[m], 0, value, sizeof value);
                printf("%-12s %8s %-3s %s\n", def->name, value, def->unit, def->title);
            }
            first = 0;
        }
        if (json)
            printf("}\n");
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
