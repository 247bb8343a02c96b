/* model/lap_kernels.c: the kernel table (see lap_kernels.h). */
#include "model/lap_kernels.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const lap_kernel_def kernels[LAP_KERNEL_COUNT] = {
    /* = cv2.Laplacian(ksize=1) */
    [LAP_K4] = { .name = "4", .label = "K4", .taps = { 0, 1, 0, 1, -4, 1, 0, 1, 0 },
                 .divisor = 1, .gain = 20 },
    [LAP_K8] = { .name = "8", .label = "K8", .taps = { 1, 1, 1, 1, -8, 1, 1, 1, 1 },
                 .divisor = 1, .gain = 72 },
    /* np.asarray([[[[1,1,1],[1,-8,1],[1,1,1]]]*3]*3), which Conv2D reads as (kh, kw, in, out):
     * each output channel sums three channels' 9-tap box sums weighted by K8's taps, so its gain
     * is 9 * 72 / 3. */
    [LAP_KERAS_RECIPE] = { .name = "keras-recipe", .label = "keras recipe",
                           .taps = { 1, 1, 1, 1, -8, 1, 1, 1, 1 }, .divisor = 1,
                           .gain = 9.0 * 72.0 / 3.0, .mixes_channels = 1 },
    /* Oono and Puri's isotropic 9-point Laplacian (Phys. Rev. A 38, 434, 1988): corners 1, edges 2,
     * centre -12, over 4; its error is isotropic to the leading order, where K4's and K8's favour
     * axes or diagonals. Gain: (4 * 1 + 4 * 4 + 144) / 16. */
    [LAP_ISO] = { .name = "iso", .label = "isotropic (Oono-Puri)",
                  .taps = { 1, 2, 1, 2, -12, 2, 1, 2, 1 }, .divisor = 4, .gain = 10.25 },
};

static const char *const norm_names[LAP_NORM_COUNT] = {
    [LAP_NORM_NONE] = "none", [LAP_NORM_L1] = "l1", [LAP_NORM_ENERGY] = "energy" };

const lap_kernel_def *lap_kernel_def_of(enum lap_kernel kernel)
{
    return &kernels[kernel];
}

const char *lap_kernel_name(int i)
{
    return i >= 0 && i < LAP_KERNEL_COUNT ? kernels[i].name : NULL;
}

int lap_kernel_find(const char *name)
{
    for (int i = 0; name && i < LAP_KERNEL_COUNT; i++)
        if (strcmp(name, kernels[i].name) == 0)
            return i;
    return -1;
}

const char *lap_norm_name(int i)
{
    return i >= 0 && i < LAP_NORM_COUNT ? norm_names[i] : NULL;
}

int lap_norm_find(const char *name)
{
    for (int i = 0; name && i < LAP_NORM_COUNT; i++)
        if (strcmp(name, norm_names[i]) == 0)
            return i;
    return -1;
}

double lap_norm_divisor(enum lap_kernel kernel, enum lap_norm norm)
{
    const lap_kernel_def *d = &kernels[kernel];
    switch (norm) {
    case LAP_NORM_NONE:
        return 1.0;
    case LAP_NORM_L1: {
        double l1 = 0.0;   /* sums of small integers over a power of two: exact */
        for (int t = 0; t < 9; t++)
            l1 += fabs(d->taps[t] / d->divisor);
        return l1;
    }
    case LAP_NORM_ENERGY:
    case LAP_NORM_COUNT:
        break;
    }
    return sqrt(d->gain);
}

void lap_stencil(enum lap_kernel kernel, enum lap_norm norm, double k[9])
{
    const lap_kernel_def *d = &kernels[kernel];
    const double div = lap_norm_divisor(kernel, norm);
    for (int t = 0; t < 9; t++)
        k[t] = d->taps[t] / d->divisor / div;
}

double lap_white_noise_gain(enum lap_kernel kernel, enum lap_norm norm)
{
    const double div = lap_norm_divisor(kernel, norm);
    return kernels[kernel].gain / (div * div);
}

int lap_kernel_taps_text(enum lap_kernel kernel, char *out, size_t outlen)
{
    const lap_kernel_def *d = &kernels[kernel];
    char text[256];
    size_t used = 0;
    for (int t = 0; t < 9 && used < sizeof text; t++) {
        const double v = d->taps[t];
        used += (size_t)snprintf(text + used, sizeof text - used, "%s%s%g%s",
                                 t % 3 == 0 ? (t ? "], [" : "[[") : ", ", v < 0 ? "−" : "",
                                 fabs(v), t == 8 ? "]]" : "");
    }
    if (d->divisor != 1)
        return snprintf(out, outlen, "%s / %g", text, d->divisor);
    return snprintf(out, outlen, "%s", text);
}
