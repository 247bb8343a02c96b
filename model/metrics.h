/* model/metrics.h: the metric table. Every per-epoch number wb logs is one row of it, and
 * everything that names, computes, stores, pivots, compares or prints a metric reads it: the
 * trainer and the runner (what to compute and log), the store (the views epochs, final and
 * summary are generated from it), plots/ (series, titles, units, directions, margins) and the
 * commands (wb show's columns, wb compare's --metric, wb predict's lines).
 *
 * A new metric is an id below and a row in metrics.c; an image metric also needs its function
 * there. A metric is logged per split (below): train (the trainer's measurements), val and test
 * (the network's predictions against the targets), and for the image metrics val_input and
 * test_input (the degraded input against the target: what doing nothing scores).
 *
 * This header is self-contained (no other header of wb), so that store/ and plots/ may include
 * it: it is the only header of model/ they include. */
#ifndef WB_MODEL_METRICS_H
#define WB_MODEL_METRICS_H

#include <stddef.h>

/* ---- splits ------------------------------------------------------------------------------- */

/* train: the trainer's measurements of a training epoch (epochs 1, 2, ...). val, test: the
 * network's predictions against the targets, every epoch (0 included: the initial weights).
 * val_input, test_input: the degraded input itself against the target, the "do nothing"
 * reference, once per run (logged with epoch 0). */
enum metric_split { METRIC_TRAIN, METRIC_VAL, METRIC_TEST, METRIC_VAL_INPUT, METRIC_TEST_INPUT,
                    METRIC_NSPLITS };
#define METRIC_IN(split) (1u << (split))

/* "train", "val", "test", "val_input", "test_input": as the store spells them. */
const char *metric_split_name(enum metric_split split);
/* "train", "validation", "test", "validation input", "test input": for people. */
const char *metric_split_title(enum metric_split split);
/* The split named `name`, or -1. */
int metric_split_find(const char *name);
/* Whether a split has values at an epoch: train after epoch 0, val and test at every epoch, the
 * inputs at epoch 0 only. */
int metric_split_at(enum metric_split split, int epoch);
/* The input split a network split is compared with (val_input for val, test_input for test), or
 * -1. */
int metric_split_input(enum metric_split split);
/* Whether the split scores the degraded input (val_input, test_input). */
int metric_split_is_input(enum metric_split split);

/* ---- the table ---------------------------------------------------------------------------- */

/* The rows, in the table's order (the order of wb show's columns, the views' columns and the
 * report's tables). */
enum metric_id {
    METRIC_LOSS,            /* train */
    METRIC_LOSS_PIXEL,
    METRIC_LOSS_LAP,
    METRIC_LR,
    METRIC_PSNR,            /* val, test: from the images */
    METRIC_PSNR_POOLED,
    METRIC_SSIM,
    METRIC_MSE,
    METRIC_LAP4_MSE,
    METRIC_LAP8_MSE,
    METRIC_DC_SHARE,
    METRIC_SECONDS,         /* train, val, test */
    METRIC_SAMPLES_PER_S,   /* train */
    METRIC_COUNT
};

enum metric_direction { METRIC_HIGHER_IS_BETTER, METRIC_LOWER_IS_BETTER };

/* How a row's value comes about. */
enum metric_source {
    /* Measured by the trainer while it trains or evaluates (model/train.c sets it by its id):
     * running means over an epoch's steps, times, the learning rate. */
    METRIC_FROM_TRAINER,
    /* From predictions and targets, by metrics_compute: the row's `image` function gives each
     * image's parts, and the split's value is `pool` of the parts' means over the images (the
     * mean of part 0 when pool is NULL). One pass over the split computes every image metric. */
    METRIC_FROM_IMAGES
};

/* What an image metric's function sees of one image: HWC, 3 channels, data range 1, and what
 * several metrics need, computed once per image. */
typedef struct metric_image {
    const float *pred, *target;
    const double *error;    /* pred - target in double, HWC */
    double mse;             /* mean of error^2 over the image's h * w * 3 values */
    int h, w;
} metric_image;

#define METRIC_PARTS 2

typedef struct metric_def {
    const char *name;               /* "psnr": the metrics table's name column, SQL-safe */
    unsigned splits;                /* METRIC_IN(METRIC_VAL) | ...: where it is logged */
    enum metric_direction direction;
    const char *unit;               /* "dB", "" when unitless */
    const char *title;              /* "PSNR": after a split's title in charts and tables */
    const char *definition;         /* one line: what it is, with its formula */
    double delta;                   /* equivalence margin, in the unit; 0: none applies */
    enum metric_source source;
    /* METRIC_FROM_IMAGES: */
    void (*image)(const metric_image *im, double part[METRIC_PARTS]);
    double (*pool)(const double mean[METRIC_PARTS]);
    /* Logged only when the loss has a Laplacian term (λ > 0). */
    int needs_laplacian_term;
} metric_def;

/* The row of id (every id below METRIC_COUNT has one). */
const metric_def *metric_def_of(enum metric_id id);
/* The metric named `name`, or -1. */
int metric_find(const char *name);
/* Whether the metric is logged in the split. */
int metric_in_split(enum metric_id id, enum metric_split split);
/* Whether a is strictly better than b by the metric's direction. */
int metric_better(enum metric_id id, double a, double b);

/* No metric is ever infinite: a PSNR takes the MSE it is computed from at no less than the
 * variance of 8-bit quantisation noise, a uniform error over one step of 1/255: (1/255)^2 / 12.
 * A patch closer to its target than that is exact to the data's resolution, and its PSNR is
 * 10·log10(12 · 255^2) = 58.92 dB, not +inf:
 *     PSNR_p = 10·log10(1 / max(MSE_p, METRIC_MSE_FLOOR)).
 * Above the floor (any error of half an 8-bit step or more) nothing changes. */
#define METRIC_MSE_FLOOR (1.0 / (255.0 * 255.0 * 12.0))

/* The best epoch of a run: the epoch whose validation value of this metric is best (ties to the
 * earlier epoch, so a plateau does not reward extra training), never one where it is not finite.
 * It picks best.safetensors, the preview, the store's best_epoch and the analysis' "best" epoch
 * choice. Validation MSE, not PSNR: the loss the network minimises, and a mean over pixels that
 * one exact patch cannot dominate (a mean of per-patch PSNRs rewards a few easy patches). */
#define METRIC_SELECTION METRIC_MSE

/* ---- computing the image metrics ---------------------------------------------------------- */

/* Every METRIC_FROM_IMAGES row over n images (n, h, w, 3) into values[id]; other entries are
 * left as they are. Per-image parts are computed in parallel and summed in image order, so the
 * result is the same for any thread count. */
void metrics_compute(const float *pred, const float *target, size_t n, int h, int w,
                     double values[METRIC_COUNT]);

#endif
