/* model/lap_kernels.h: the kernel table. Every Laplacian kernel the loss offers is one row of it
 * (as every metric is a row of model/metrics.h), and everything that names, computes, weighs or
 * writes a kernel reads it: the loss (model/loss.c), the configuration's values of loss.kernel
 * and loss.kernel_norm (wb/config.c, and `wb config --json` for python/wbtorch), the labels'
 * effective weights (analysis/label.c), the loss to take home (plots/takehome.c) and the report's
 * note on the image grid's Laplacian maps.
 *
 * A new kernel is an id below and a row in lap_kernels.c: its taps and divisor, its white-noise
 * gain, its names; then its reference values in tests/fixtures/lap_reference.txt (made by
 * tests/fixtures/make_lap_reference.py with OpenCV), which tests/test_lap_kernels.c requires of
 * every per-channel row.
 *
 * This header is self-contained (no other header of wb), so that analysis/ and plots/ may include
 * it: with model/metrics.h, the only headers of model/ they include. */
#ifndef WB_MODEL_LAP_KERNELS_H
#define WB_MODEL_LAP_KERNELS_H

#include <stddef.h>

/* The rows, in the table's order (the order loss.kernel lists its values in). */
enum lap_kernel { LAP_K4, LAP_K8, LAP_KERAS_RECIPE, LAP_ISO, LAP_KERNEL_COUNT };

/* How the stencil is scaled (loss.kernel_norm): none; l1 divides it by the sum of its absolute
 * taps (K4 by 8, K8 and the keras recipe's L by 16); energy divides it by the square root of its
 * white-noise gain, so that λ weighs white-noise error equally for every kernel. */
enum lap_norm { LAP_NORM_NONE, LAP_NORM_L1, LAP_NORM_ENERGY, LAP_NORM_COUNT };

typedef struct lap_kernel_def {
    const char *name;       /* loss.kernel's value as the INI file and the store spell it: "8" */
    const char *label;      /* for people and in the code to take home: "K8" */
    double taps[9];         /* the 3x3 stencil in row-major order, before the divisor */
    double divisor;         /* the unnormalised stencil is taps / divisor */
    /* The white-noise gain of the unnormalised operator, E[(K*e)^2] / E[e^2] for white noise e
     * away from the borders, averaged over the output channels: the sum of the squared stencil
     * values for a per-channel stencil (tests/test_lap_kernels.c checks it, and measures it). */
    double gain;
    /* 0: one stencil on each channel alone, with loss.border (the code to take home writes it as
     * a depthwise convolution). 1: the popular Keras recipe's (3, 3, 3, 3) kernel, a box sum of
     * each channel mixed by the taps (out_o = sum_i taps[i*3+o] box3x3(in_i)), zero borders
     * always; a negative control, never offered as code to take home. */
    int mixes_channels;
} lap_kernel_def;

/* The row of a kernel (kernel < LAP_KERNEL_COUNT). */
const lap_kernel_def *lap_kernel_def_of(enum lap_kernel kernel);
/* loss.kernel's value i ("4", "8", ...) for i < LAP_KERNEL_COUNT, else NULL: the list the
 * configuration accepts. */
const char *lap_kernel_name(int i);
/* The kernel whose name is `name`, or -1. */
int lap_kernel_find(const char *name);

/* loss.kernel_norm's value i ("none", "l1", "energy") for i < LAP_NORM_COUNT, else NULL. */
const char *lap_norm_name(int i);
/* The normalisation whose name is `name`, or -1. */
int lap_norm_find(const char *name);

/* What kernel_norm further divides the unnormalised stencil (taps / divisor) by: 1 for none, the
 * sum of its absolute values for l1, the square root of the gain for energy. */
double lap_norm_divisor(enum lap_kernel kernel, enum lap_norm norm);

/* The stencil of a kernel choice, with kernel_norm applied: taps / divisor / lap_norm_divisor
 * (for the keras recipe: its 3x3 L). */
void lap_stencil(enum lap_kernel kernel, enum lap_norm norm, double k[9]);

/* The white-noise gain of the Laplacian operator with its normalisation: the row's gain divided
 * by the square of lap_norm_divisor. K4 20, K8 72, the keras recipe 216, iso 10.25 unnormalised;
 * 20/64, 72/256, 216/256, 10.25/36 with l1; 1 with energy. */
double lap_white_noise_gain(enum lap_kernel kernel, enum lap_norm norm);

/* The unnormalised stencil for people: "[[1, 1, 1], [1, −8, 1], [1, 1, 1]]" (U+2212 minus),
 * followed by " / D" when the divisor is not 1. Returns what snprintf returns. */
int lap_kernel_taps_text(enum lap_kernel kernel, char *out, size_t outlen);

#endif
