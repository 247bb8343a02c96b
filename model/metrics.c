/* model/metrics.c: the metric table (model/metrics.h) and the pass that computes its image
 * metrics over a split. */
#include "model/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/image_metrics.h"
#include "model/loss.h"

/* ---- splits ------------------------------------------------------------------------------- */

enum split_epochs { AFTER_EPOCH_0, EVERY_EPOCH, EPOCH_0_ONLY };

static const struct {
    const char *name, *title;
    enum split_epochs epochs;
    int input;                  /* the split of the degraded input it is compared with, or -1 */
} split_table[METRIC_NSPLITS] = {
    [METRIC_TRAIN] = {"train", "train", AFTER_EPOCH_0, -1},
    [METRIC_VAL] = {"val", "validation", EVERY_EPOCH, METRIC_VAL_INPUT},
    [METRIC_TEST] = {"test", "test", EVERY_EPOCH, METRIC_TEST_INPUT},
    [METRIC_VAL_INPUT] = {"val_input", "validation input", EPOCH_0_ONLY, -1},
    [METRIC_TEST_INPUT] = {"test_input", "test input", EPOCH_0_ONLY, -1},
};

const char *metric_split_name(enum metric_split split)
{
    return (unsigned)split < METRIC_NSPLITS ? split_table[split].name : "?";
}

const char *metric_split_title(enum metric_split split)
{
    return (unsigned)split < METRIC_NSPLITS ? split_table[split].title : "?";
}

int metric_split_find(const char *name)
{
    for (int s = 0; s < METRIC_NSPLITS; s++)
        if (name && strcmp(name, split_table[s].name) == 0)
            return s;
    return -1;
}

int metric_split_at(enum metric_split split, int epoch)
{
    if ((unsigned)split >= METRIC_NSPLITS || epoch < 0)
        return 0;
    switch (split_table[split].epochs) {
    case AFTER_EPOCH_0: return epoch > 0;
    case EPOCH_0_ONLY: return epoch == 0;
    default: return 1;
    }
}

int metric_split_input(enum metric_split split)
{
    return (unsigned)split < METRIC_NSPLITS ? split_table[split].input : -1;
}

int metric_split_is_input(enum metric_split split)
{
    for (int s = 0; s < METRIC_NSPLITS; s++)
        if (split_table[s].input == (int)split)
            return 1;
    return 0;
}

/* ---- image metrics: each image's parts, and how a split pools them --------------------------- */

static void image_mse(const metric_image *im, double part[METRIC_PARTS])
{
    part[0] = im->mse;
}

/* 10·log10(1 / MSE) with the MSE floored at 8-bit quantisation noise: finite, at most
 * 58.92 dB. */
static double floored_psnr(double mse)
{
    return 10.0 * log10(1.0 / (mse > METRIC_MSE_FLOOR ? mse : METRIC_MSE_FLOOR));
}

static void image_psnr(const metric_image *im, double part[METRIC_PARTS])
{
    part[0] = floored_psnr(im->mse);
}

/* PSNR of the split's MSE: the image parts are their MSEs, whose mean (the images are the same
 * size) is the MSE over every pixel of the split. */
static double pool_psnr(const double mean[METRIC_PARTS])
{
    return floored_psnr(mean[0]);
}

static void image_ssim(const metric_image *im, double part[METRIC_PARTS])
{
    part[0] = metric_ssim(im->pred, im->target, im->h, im->w, SSIM_SKIMAGE);
}

static void image_lap4_mse(const metric_image *im, double part[METRIC_PARTS])
{
    part[0] = metric_lap_mse_of_error(im->error, im->h, im->w, LAP_K4, BORDER_REFLECT101);
}

static void image_lap8_mse(const metric_image *im, double part[METRIC_PARTS])
{
    part[0] = metric_lap_mse_of_error(im->error, im->h, im->w, LAP_K8, BORDER_REFLECT101);
}

/* The squared error of each channel's mean over the image, HW·mu_c^2 summed over c, and the
 * whole squared error, both per value (divided by h·w·3) like the MSE. */
static void image_dc_share(const metric_image *im, double part[METRIC_PARTS])
{
    const size_t hw = (size_t)im->h * im->w;
    double dc = 0.0;
    for (int c = 0; c < 3; c++) {
        double mu = 0.0;
        for (size_t p = 0; p < hw; p++)
            mu += im->error[p * 3 + c];
        mu /= (double)hw;
        dc += (double)hw * mu * mu;
    }
    part[0] = hw ? dc / (double)(hw * 3) : 0.0;
    part[1] = im->mse;
}

/* The share of the split's squared error that is per-image mean colour; 0 without any error. */
static double pool_share(const double mean[METRIC_PARTS])
{
    return mean[1] > 0 ? mean[0] / mean[1] : 0.0;
}

/* ---- the table ---------------------------------------------------------------------------- */

#define TRAIN_ONLY METRIC_IN(METRIC_TRAIN)
#define EVAL_SPLITS (METRIC_IN(METRIC_VAL) | METRIC_IN(METRIC_TEST))
#define IMAGE_SPLITS (EVAL_SPLITS | METRIC_IN(METRIC_VAL_INPUT) | METRIC_IN(METRIC_TEST_INPUT))
#define HIGHER METRIC_HIGHER_IS_BETTER
#define LOWER METRIC_LOWER_IS_BETTER

/* Equivalence margin of the PSNR metrics: 0.2 dB, a 4.5 % change of MSE, about what separates
 * results papers report as different, and well above the seed-to-seed spread of a converged
 * run here (issue 12). */
#define PSNR_DELTA_DB 0.2

static const metric_def metric_table[METRIC_COUNT] = {
    [METRIC_LOSS] = {"loss", TRAIN_ONLY, LOWER, "", "loss",
                     "the training loss, pixel part + λ · Laplacian part, running mean over the "
                     "epoch's steps", 0, METRIC_FROM_TRAINER, NULL, NULL, 0},
    [METRIC_LOSS_PIXEL] = {"loss_pixel", TRAIN_ONLY, LOWER, "", "loss, pixel part",
                           "the pixel loss (loss.pixel: MSE, L1 or Charbonnier), running mean over "
                           "the epoch's steps", 0, METRIC_FROM_TRAINER, NULL, NULL, 0},
    [METRIC_LOSS_LAP] = {"loss_lap", TRAIN_ONLY, LOWER, "", "loss, Laplacian part (unweighted)",
                         "the Laplacian term before its weight λ, mean((K*ŷ - K*y)^2) with the "
                         "run's kernel, border and normalisation, running mean over the epoch's "
                         "steps; only when λ > 0", 0, METRIC_FROM_TRAINER, NULL, NULL, 1},
    [METRIC_LR] = {"lr", TRAIN_ONLY, LOWER, "", "learning rate",
                   "the learning rate of the epoch's last update", 0, METRIC_FROM_TRAINER, NULL,
                   NULL, 0},
    [METRIC_PSNR] = {"psnr", IMAGE_SPLITS, HIGHER, "dB", "mean of per-patch PSNR",
                     "mean over patches of 10·log10(1/max(MSE_p, (1/255)^2/12)), MSE_p over the "
                     "patch's pixels and channels, data range 1: an exact patch counts 58.92 dB, "
                     "never +inf", PSNR_DELTA_DB, METRIC_FROM_IMAGES, image_psnr, NULL, 0},
    [METRIC_PSNR_POOLED] = {"psnr_pooled", IMAGE_SPLITS, HIGHER, "dB", "PSNR",
                            "10·log10(1/max(MSE, (1/255)^2/12)) with MSE over every pixel and "
                            "channel of the split, data range 1: the PSNR of the split as one "
                            "image, as PyTorch code usually computes it; at most the mean of the "
                            "patches' PSNRs",
                            PSNR_DELTA_DB, METRIC_FROM_IMAGES, image_mse, pool_psnr, 0},
    [METRIC_SSIM] = {"ssim", IMAGE_SPLITS, HIGHER, "", "SSIM",
                     "mean over patches of SSIM as scikit-image computes it by default (7x7 "
                     "uniform window, sample covariance, valid windows), averaged over channels",
                     0, METRIC_FROM_IMAGES, image_ssim, NULL, 0},
    [METRIC_MSE] = {"mse", IMAGE_SPLITS, LOWER, "", "MSE",
                    "mean of (prediction - target)^2 over every pixel and channel of the split",
                    0, METRIC_FROM_IMAGES, image_mse, NULL, 0},
    [METRIC_LAP4_MSE] = {"lap4_mse", IMAGE_SPLITS, LOWER, "", "Laplacian error (K4)",
                         "mean of (K4 * (prediction - target))^2 over every pixel and channel, "
                         "K4 the unnormalised 4-neighbour Laplacian, reflect101 borders", 0,
                         METRIC_FROM_IMAGES, image_lap4_mse, NULL, 0},
    [METRIC_LAP8_MSE] = {"lap8_mse", IMAGE_SPLITS, LOWER, "", "Laplacian error (K8)",
                         "mean of (K8 * (prediction - target))^2 over every pixel and channel, "
                         "K8 the unnormalised 8-neighbour Laplacian, reflect101 borders", 0,
                         METRIC_FROM_IMAGES, image_lap8_mse, NULL, 0},
    [METRIC_DC_SHARE] = {"dc_share", IMAGE_SPLITS, LOWER, "", "share of the error in the patch "
                         "mean colour",
                         "sum over patches p and channels c of HW·mu_pc^2 over the sum of e^2, "
                         "with e = prediction - target and mu_pc the mean of e over patch p's HW "
                         "pixels in channel c: the share of the squared error that is each patch's "
                         "mean colour, which a Laplacian cannot see (0 without error)", 0,
                         METRIC_FROM_IMAGES, image_dc_share, pool_share, 0},
    [METRIC_SECONDS] = {"seconds", TRAIN_ONLY | EVAL_SPLITS, LOWER, "s", "seconds",
                        "wall-clock seconds: train, the epoch's steps; val and test, predicting "
                        "and scoring the split", 0, METRIC_FROM_TRAINER, NULL, NULL, 0},
    [METRIC_SAMPLES_PER_S] = {"samples_per_s", TRAIN_ONLY, HIGHER, "1/s", "samples per second",
                              "training patches per second over the epoch's steps", 0,
                              METRIC_FROM_TRAINER, NULL, NULL, 0},
};

const metric_def *metric_def_of(enum metric_id id)
{
    return (unsigned)id < METRIC_COUNT ? &metric_table[id] : NULL;
}

int metric_find(const char *name)
{
    for (int m = 0; m < METRIC_COUNT; m++)
        if (name && strcmp(name, metric_table[m].name) == 0)
            return m;
    return -1;
}

int metric_in_split(enum metric_id id, enum metric_split split)
{
    return (unsigned)id < METRIC_COUNT && (unsigned)split < METRIC_NSPLITS &&
           (metric_table[id].splits & METRIC_IN(split)) != 0;
}

int metric_better(enum metric_id id, double a, double b)
{
    return metric_table[id].direction == METRIC_HIGHER_IS_BETTER ? a > b : a < b;
}

/* ---- all image metrics over a split ------------------------------------------------------- */

/* One image's parts of every image metric into parts[METRIC_COUNT][METRIC_PARTS]; error has room
 * for h * w * 3 doubles. */
static void image_parts(const float *pred, const float *target, int h, int w, double *error,
                        double *parts)
{
    const size_t count = (size_t)h * w * 3;
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        error[i] = (double)pred[i] - (double)target[i];
        sum += error[i] * error[i];
    }
    const metric_image im = {pred, target, error, count ? sum / (double)count : 0.0, h, w};
    for (int m = 0; m < METRIC_COUNT; m++)
        if (metric_table[m].source == METRIC_FROM_IMAGES)
            metric_table[m].image(&im, parts + (size_t)m * METRIC_PARTS);
}

void metrics_compute(const float *pred, const float *target, size_t n, int h, int w,
                     double values[METRIC_COUNT])
{
    const size_t img = (size_t)h * w * 3, stride = (size_t)METRIC_COUNT * METRIC_PARTS;
    double *per = calloc(n ? n * stride : 1, sizeof(double));
    int failed = per == NULL;
    /* Per-image parts first, summed in image order afterwards: the same result for any
     * thread count. */
    if (per) {
#pragma omp parallel
        {
            double *error = malloc(sizeof(double) * (img ? img : 1));
            if (!error) {
#pragma omp atomic write
                failed = 1;
            }
#pragma omp for schedule(static)
            for (long i = 0; i < (long)n; i++)
                if (error)
                    image_parts(pred + (size_t)i * img, target + (size_t)i * img, h, w, error,
                                per + (size_t)i * stride);
            free(error);
        }
    }
    double sum[METRIC_COUNT][METRIC_PARTS] = {{0}};
    for (size_t i = 0; !failed && i < n; i++)
        for (int m = 0; m < METRIC_COUNT; m++)
            for (int k = 0; k < METRIC_PARTS; k++)
                sum[m][k] += per[i * stride + (size_t)m * METRIC_PARTS + k];
    free(per);
    const double inv = n ? 1.0 / (double)n : NAN;
    for (int m = 0; m < METRIC_COUNT; m++) {
        const metric_def *d = &metric_table[m];
        if (d->source != METRIC_FROM_IMAGES)
            continue;
        double mean[METRIC_PARTS];
        for (int k = 0; k < METRIC_PARTS; k++)
            mean[k] = failed ? NAN : sum[m][k] * inv;
        values[m] = d->pool ? d->pool(mean) : mean[0];
    }
}
