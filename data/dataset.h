/* data/dataset.h: the [data] section turned into train/val/test arrays.
 *
 * Images are NHWC float32 in [0, 1], 3 channels. Splits never share pixels: each source image is
 * cut into fixed disjoint horizontal bands, rows [0, 65 %) for train, [65 %, 80 %) for val and
 * [80 %, 100 %) for test (integer row = height * percent / 100), and patches are drawn inside a
 * band. The fractions do not depend on any seed. In the builtin photos (300 to 512 rows) they
 * leave val bands of 45 to 77 rows and test bands of 60 to 103 rows, so even 64x64 patches come
 * from three (val) and four (test) of the five photos. Patch positions are drawn uniformly without
 * replacement from all valid positions of a split's bands (so each image's share is proportional
 * to its number of positions); no two patches of a split share a position.
 *
 * Randomness is derived, never carried (data/seed.h): patch positions and val/test degradations
 * come from data.seed; train degradations come from data.seed (fresh_noise = false) or from
 * (run seed, epoch) (fresh_noise = true).
 *
 * Sources: "builtin" (the embedded photos), "png:DIR" (every *.png in DIR, sorted by name, not
 * recursive) and "npy:DIR" (DIR/{train,val,test}_{x,y}.npy, x = inputs, y = targets; the first
 * *_patches rows are used; a split without its _x file gets the task's degradation of its _y).
 *
 * Errors: functions return 0 on success, -1 on failure with a one-line message in err (naming the
 * file and the problem). Every failure of dataset_load is "bad input data" (exit status 2). */
#ifndef WB_DATA_DATASET_H
#define WB_DATA_DATASET_H

#include <stddef.h>
#include <stdint.h>

enum data_task { DATA_TASK_IDENTITY, DATA_TASK_DENOISE, DATA_TASK_DEBLUR, DATA_TASK_SR2 };
enum data_upsample { DATA_UPSAMPLE_NEAREST, DATA_UPSAMPLE_BILINEAR };

/* The [data] section, resolved (docs/DESIGN.md's table gives names, defaults and ranges). */
typedef struct data_options {
    char source[1024];      /* "builtin", "png:DIR" or "npy:DIR" */
    enum data_task task;
    int patch;              /* even, 8..64 */
    long train_patches, val_patches, test_patches;
    uint64_t seed;          /* data.seed */
    double min_std;         /* skip patches whose standard deviation (over all pixels and channels) is below */
    double noise_sigma;     /* denoise */
    int fresh_noise;        /* redraw train noise each epoch from (run seed, epoch) */
    int clip;               /* clip degraded inputs to [0, 1] */
    double blur_sigma;      /* deblur */
    enum data_upsample sr_upsample;
} data_options;

/* (n, h, w, 3) inputs and targets. */
typedef struct data_split {
    size_t n;
    int h, w;
    float *x;   /* network inputs */
    float *y;   /* targets */
} data_split;

typedef struct dataset {
    data_split train, val, test;
    /* 1 when the train inputs change with (run seed, epoch): dataset_train_inputs must be called
     * before each epoch. 0 when train.x is fixed (fresh_noise = false, a task without noise, or an
     * npy source that supplied train_x.npy). train.x is filled either way: with the inputs
     * degraded from data.seed (what fresh_noise = false would train on). */
    int train_x_varies;
    char description[256];  /* e.g. "builtin: 5 photos, bands 65/15/20 %" for the store */
} dataset;

/* The values inputs given as arrays (npy:DIR's *_x.npy) may take, like the targets' [0, 1] a
 * check against garbage (1e30 trains to NaN): with data.clip exactly [0, 1], what a clipped
 * degradation gives; without, [0, 1] widened by 1 + 8 data.noise_sigma on each side, which
 * unclipped Gaussian noise leaves with a probability of 1e-15 per value and the other
 * degradations (blur, box average, bilinear upsampling) never leave [0, 1] at all. */
void dataset_input_range(const data_options *o, double *lo, double *hi);

/* Loads and cuts the source, degrades val/test (and train when it does not vary). */
int dataset_load(const data_options *o, dataset *ds, char *err, size_t errlen);

/* Writes the train inputs of `epoch` (1-based) for a run seeded `run_seed` into x
 * ((train.n, h, w, 3) floats; x may be ds->train.x); o must be the options the dataset was loaded
 * with. When train_x_varies is 0 it copies train.x. Deterministic; allocates nothing (the noise
 * generator lives on the stack) and cannot fail. */
void dataset_train_inputs(const dataset *ds, const data_options *o, uint64_t run_seed, int epoch,
                          float *x);

void dataset_free(dataset *ds);

/* Degrades n patches (n, h, w, 3) from `y` into `x` (x may equal y) for the task, each patch on
 * its own, then clips x to [0, 1] when o->clip:
 *   identity  x = y
 *   denoise   x = y + N(0, noise_sigma) per value, drawn in memory order with
 *             gsl_ran_gaussian_ziggurat from an mt19937 seeded with `seed` (its two 32-bit halves
 *             XORed: mt19937 takes 32 bits); the only task that uses `seed`
 *   deblur    separable Gaussian of blur_sigma, radius ceil(3 sigma), weights exp(-d^2 / 2 sigma^2)
 *             normalised to sum 1, reflect101 borders (sigma 0: identity)
 *   sr2       2x2 box average to (h/2, w/2), then back to (h, w) by nearest or bilinear (half-pixel
 *             centres, align_corners=False, edge-clamped: cv2.resize INTER_LINEAR,
 *             torch interpolate(bilinear)); h and w must be even
 * Fails only on invalid arguments (odd size for sr2, negative or non-finite sigma) or when memory
 * for the blur or sr2 scratch runs out; denoise allocates nothing. */
int data_degrade(const data_options *o, const float *y, float *x, size_t n, int h, int w,
                 uint64_t seed, char *err, size_t errlen);

#endif
