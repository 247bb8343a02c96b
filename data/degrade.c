/* data/degrade.c: the tasks' degradations (targets y -> network inputs x).
 * Filters accumulate in double and round once to float, so constant images come back exactly. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"

/* Index i reflected into [0, n) without repeating the edge sample (OpenCV's BORDER_REFLECT_101:
 * -1 -> 1, n -> n - 2), for any distance outside, as a wide kernel on a small patch needs. */
int image_reflect101(int i, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

/* An mt19937 whose state lives in the caller's frame: gsl_rng is a public struct of a type and a
 * state pointer, so denoising needs no allocation and cannot fail (dataset_train_inputs relies on
 * it). The state is about 5 kB in GSL 2.x. */
typedef struct stack_rng {
    gsl_rng rng;
    max_align_t state[8192 / sizeof(max_align_t)];
} stack_rng;

/* mt19937 takes a 32-bit seed: fold the two halves so that no bit of `seed` is ignored. */
static gsl_rng *stack_rng_seed(stack_rng *s, uint64_t seed)
{
    if (gsl_rng_mt19937->size > sizeof s->state)
        return NULL;
    s->rng.type = gsl_rng_mt19937;
    s->rng.state = s->state;
    gsl_rng_set(&s->rng, (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffULL));
    return &s->rng;
}

static void add_noise(const float *y, float *x, size_t count, double sigma, gsl_rng *rng)
{
    for (size_t i = 0; i < count; i++)
        x[i] = (float)(y[i] + gsl_ran_gaussian_ziggurat(rng, sigma));
}

/* One patch: horizontal pass of y into tmp (so x may alias y), vertical pass of tmp into x. */
static void blur_patch(const float *y, float *x, int h, int w, const double *kernel, int radius,
                       double *tmp)
{
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
            for (int ch = 0; ch < 3; ch++) {
                double sum = 0.0;
                for (int k = -radius; k <= radius; k++)
                    sum += kernel[k + radius] * y[((size_t)r * w + (size_t)image_reflect101(c + k, w)) * 3 + ch];
                tmp[((size_t)r * w + c) * 3 + ch] = sum;
            }
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
            for (int ch = 0; ch < 3; ch++) {
                double sum = 0.0;
                for (int k = -radius; k <= radius; k++)
                    sum += kernel[k + radius] * tmp[((size_t)image_reflect101(r + k, h) * w + c) * 3 + ch];
                x[((size_t)r * w + c) * 3 + ch] = (float)sum;
            }
}

/* Source coordinate of output index d when n_out samples cover n_in (half-pixel centres,
 * align_corners=False): lower index, weight of the upper one, upper index clamped to the edge. */
static void bilinear_source(int d, int n_in, int n_out, int *lo, int *hi, double *frac)
{
    double s = ((double)d + 0.5) * n_in / n_out - 0.5;
    if (s < 0.0)
        s = 0.0;
    *lo = (int)s;
    *frac = s - *lo;
    *hi = *lo + 1 < n_in ? *lo + 1 : n_in - 1;
}

/* One patch: 2x2 box average into small ((h/2) x (w/2) x 3 doubles), then back up into x. */
static void sr2_patch(const float *y, float *x, int h, int w, enum data_upsample mode, double *small)
{
    int sh = h / 2, sw = w / 2;
    for (int r = 0; r < sh; r++)
        for (int c = 0; c < sw; c++)
            for (int ch = 0; ch < 3; ch++) {
                const float *p = y + ((size_t)(2 * r) * w + 2 * c) * 3 + ch;
                /* The sum of four floats is exact in double, so a constant block stays constant. */
                small[((size_t)r * sw + c) * 3 + ch] =
                    0.25 * ((double)p[0] + p[3] + p[(size_t)w * 3] + p[(size_t)w * 3 + 3]);
            }
    for (int r = 0; r < h; r++) {
        int r0 = r / 2, r1 = r0;
        double fr = 0.0;
        if (mode == DATA_UPSAMPLE_BILINEAR)
            bilinear_source(r, sh, h, &r0, &r1, &fr);
        for (int c = 0; c < w; c++) {
            int c0 = c / 2, c1 = c0;
            double fc = 0.0;
            if (mode == DATA_UPSAMPLE_BILINEAR)
                bilinear_source(c, sw, w, &c0, &c1, &fc);
            for (int ch = 0; ch < 3; ch++) {
                const double *s0 = small + (size_t)r0 * sw * 3, *s1 = small + (size_t)r1 * sw * 3;
                double top = (1.0 - fc) * s0[c0 * 3 + ch] + fc * s0[c1 * 3 + ch];
                double bottom = (1.0 - fc) * s1[c0 * 3 + ch] + fc * s1[c1 * 3 + ch];
                x[((size_t)r * w + c) * 3 + ch] = (float)((1.0 - fr) * top + fr * bottom);
            }
        }
    }
}

static int degrade_patches(const data_options *o, const float *y, float *x, size_t n, int h, int w,
                           uint64_t seed, char *err, size_t errlen)
{
    size_t patch_values = (size_t)h * w * 3;
    if (o->task == DATA_TASK_IDENTITY) {
        if (x != y)
            memmove(x, y, sizeof *x * n * patch_values);
        return 0;
    }
    if (o->task == DATA_TASK_DENOISE) {
        if (!(o->noise_sigma >= 0.0 && isfinite(o->noise_sigma))) {
            snprintf(err, errlen, "data.noise_sigma = %g is not a finite value >= 0", o->noise_sigma);
            return -1;
        }
        stack_rng generator;
        gsl_rng *rng = stack_rng_seed(&generator, seed);
        if (!rng) {
            snprintf(err, errlen, "GSL's mt19937 state is larger than expected");
            return -1;
        }
        add_noise(y, x, n * patch_values, o->noise_sigma, rng);
        return 0;
    }
    if (o->task == DATA_TASK_DEBLUR) {
        if (!(o->blur_sigma >= 0.0 && o->blur_sigma <= 1000.0)) {
            snprintf(err, errlen, "data.blur_sigma = %g is not in [0, 1000]", o->blur_sigma);
            return -1;
        }
        int radius = (int)ceil(3.0 * o->blur_sigma);
        double *kernel = malloc(sizeof *kernel * (size_t)(2 * radius + 1));
        double *tmp = malloc(sizeof *tmp * patch_values);
        if (!kernel || !tmp) {
            free(kernel);
            free(tmp);
            snprintf(err, errlen, "out of memory for the blur");
            return -1;
        }
        double total = 0.0;
        for (int k = -radius; k <= radius; k++) {
            kernel[k + radius] = radius ? exp(-(double)k * k / (2.0 * o->blur_sigma * o->blur_sigma)) : 1.0;
            total += kernel[k + radius];
        }
        for (int k = 0; k <= 2 * radius; k++)
            kernel[k] /= total;
        for (size_t i = 0; i < n; i++)
            blur_patch(y + i * patch_values, x + i * patch_values, h, w, kernel, radius, tmp);
        free(kernel);
        free(tmp);
        return 0;
    }
    if (o->task == DATA_TASK_SR2) {
        if (h % 2 || w % 2) {
            snprintf(err, errlen, "sr2 needs even patch sizes, not %dx%d", h, w);
            return -1;
        }
        double *small = malloc(sizeof *small * (patch_values / 4));
        if (!small) {
            snprintf(err, errlen, "out of memory for sr2");
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            sr2_patch(y + i * patch_values, x + i * patch_values, h, w, o->sr_upsample, small);
        free(small);
        return 0;
    }
    snprintf(err, errlen, "unknown data.task %d", (int)o->task);
    return -1;
}

int data_degrade(const data_options *o, const float *y, float *x, size_t n, int h, int w,
                 uint64_t seed, char *err, size_t errlen)
{
    if (h < 1 || w < 1) {
        snprintf(err, errlen, "cannot degrade %dx%d patches", h, w);
        return -1;
    }
    if (degrade_patches(o, y, x, n, h, w, seed, err, errlen) != 0)
        return -1;
    if (o->clip) {
        size_t count = n * (size_t)h * w * 3;
        for (size_t i = 0; i < count; i++)
            x[i] = x[i] < 0.0f ? 0.0f : (x[i] > 1.0f ? 1.0f : x[i]);
    }
    return 0;
}
