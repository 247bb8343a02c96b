/* data/dataset.h: the [data] section turned into train/val/test arrays.
 *
 * Images are NHWC float32 in [0, 1], 3 channels. Splits never share pixels: each source image is
 * cut into fixed disjoint horizontal bands (train, val, test) and patches are drawn inside a band.
 * Randomness is derived, never carried (DESIGN.md): patch positions and val/test degradations come
 * from data.seed; train degradations come from data.seed (fresh_noise = false) or from
 * (run seed, epoch) (fresh_noise = true).
 *
 * Errors: functions return 0 on success, -1 on failure with a one-line message in err (naming the
 * file and the problem). Every failure of dataset_load is "bad input data" (exit status 2). */
#ifndef WB_DATA_DATASET_H
#define WB_DATA_DATASET_H

#include <stddef.h>
#include <stdint.h>

enum data_task { DATA_TASK_IDENTITY, DATA_TASK_DENOISE, DATA_TASK_DEBLUR, DATA_TASK_SR2 };
enum data_upsample { DATA_UPSAMPLE_NEAREST, DATA_UPSAMPLE_BILINEAR };

/* The [data] section, resolved (DESIGN.md's table gives names, defaults and ranges). */
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
     * npy source that supplied train_x.npy). */
    int train_x_varies;
    char description[256];  /* e.g. "builtin: 5 photos, bands 70/10/20 %" for the store */
} dataset;

/* Loads and cuts the source, degrades val/test (and train when it does not vary). */
int dataset_load(const data_options *o, dataset *ds, char *err, size_t errlen);

/* Writes the train inputs of `epoch` (1-based) for a run seeded `run_seed` into x
 * ((train.n, h, w, 3) floats). When train_x_varies is 0 it copies train.x. Deterministic. */
void dataset_train_inputs(const dataset *ds, const data_options *o, uint64_t run_seed, int epoch,
                          float *x);

void dataset_free(dataset *ds);

/* Degrade n patches (n, h, w, 3) from `y` into `x` for the task, drawing noise from a generator
 * seeded with `seed` (ignored by tasks without noise). Used by dataset_load, by
 * dataset_train_inputs and by npy sources without _x files. */
void data_degrade(const data_options *o, const float *y, float *x, size_t n, int h, int w,
                  uint64_t seed);

/* Mixes integers into a 64-bit seed (splitmix64 of each in turn), so that derived streams for
 * (run seed, epoch, purpose) are independent and never carried from one epoch to the next. */
uint64_t data_derive_seed(uint64_t a, uint64_t b, uint64_t c);

/* Purposes for data_derive_seed's third argument. */
enum { DATA_STREAM_PATCHES = 1, DATA_STREAM_VAL = 2, DATA_STREAM_TEST = 3, DATA_STREAM_TRAIN = 4,
       DATA_STREAM_SHUFFLE = 5, DATA_STREAM_INIT = 6 };

#endif
