/* plots/takehome.c: the training loss as PyTorch and TensorFlow code; see takehome.h. */
#include "plots/takehome.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "analysis/label.h"
#include "model/lap_kernels.h"

static int put(char *out, size_t outlen, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int put(char *out, size_t outlen, size_t *used, const char *fmt, ...)
{
    if (*used >= outlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *used, outlen - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= outlen - *used) {
        *used = outlen;
        return -1;
    }
    *used += (size_t)n;
    return 0;
}

/* A value of a loss key and its two spellings in the code (which spelling: see each table). */
typedef struct spelling {
    const char *value;
    const char *text[2];
} spelling;

/* loss.border: the pad mode; text[1] for PyTorch, text[0] for TensorFlow. */
static const spelling pad_modes[] = {
    { "reflect101", { "'REFLECT'", "'reflect'" } },
    { "replicate", { "'SYMMETRIC'", "'replicate'" } },   /* the same for a 1-pixel pad */
    { "zero", { "'CONSTANT'", "'constant'" } },
};

/* loss.pixel: the pixel loss; text[1] for PyTorch, text[0] for TensorFlow. */
static const spelling pixel_exprs[] = {
    { "mse", { "tf.reduce_mean(tf.square(pred - target))", "torch.mean((pred - target) ** 2)" } },
    { "l1", { "tf.reduce_mean(tf.abs(pred - target))", "torch.mean(torch.abs(pred - target))" } },
    { "charbonnier", { "tf.reduce_mean(tf.sqrt(tf.square(pred - target) + 1e-3 ** 2))",
                       "torch.mean(torch.sqrt((pred - target) ** 2 + 1e-3 ** 2))" } },
};

/* A double as Python writes a float literal: "8.0", "-4.0", "10.25". */
static void py_float(double v, char *out, size_t outlen)
{
    format_shortest(v, out, outlen);
    if (!strpbrk(out, ".en"))   /* an integer: Python's float keeps ".0" ("inf", "nan": never) */
        snprintf(out + strlen(out), outlen - strlen(out), ".0");
}

/* The names of the per-channel kernels of the table, "4 or 8": those offered as code. */
static void per_channel_names(char *out, size_t outlen)
{
    int n = 0, k;
    for (k = 0; k < LAP_KERNEL_COUNT; k++)
        n += !lap_kernel_def_of(k)->mixes_channels;
    out[0] = '\0';
    for (k = 0; k < LAP_KERNEL_COUNT; k++) {
        if (lap_kernel_def_of(k)->mixes_channels)
            continue;
        n--;
        text_append(out, outlen, "%s%s", lap_kernel_def_of(k)->name,
                    n > 1 ? ", " : n == 1 ? " or " : "");
    }
}

/* The stencil as the code writes it, written so that a reader sees where each number comes from:
 * the taps ("[[0.0, 1.0, 0.0], ...]") and the closing parenthesis, then the kernel's divisor
 * (" / 4.0") and kernel_norm's (l1: " / 8.0", the sum of the absolute values; energy:
 * " / 20.0 ** 0.5", the square root of the white-noise gain), in the order model/lap_kernels.c
 * divides by them. */
static void stencil_code(int kernel, int norm, char *out, size_t outlen)
{
    const lap_kernel_def *d = lap_kernel_def_of(kernel);
    char v[40];
    out[0] = '\0';
    for (int t = 0; t < 9; t++) {
        py_float(d->taps[t], v, sizeof v);
        text_append(out, outlen, "%s%s%s", t % 3 == 0 ? (t ? "], [" : "[[") : ", ", v,
                    t == 8 ? "]])" : "");
    }
    if (d->divisor != 1) {
        py_float(d->divisor, v, sizeof v);
        text_append(out, outlen, " / %s", v);
    }
    if (norm == LAP_NORM_L1) {
        py_float(lap_norm_divisor(kernel, LAP_NORM_L1), v, sizeof v);
        text_append(out, outlen, " / %s", v);
    } else if (norm == LAP_NORM_ENERGY) {
        py_float(d->gain, v, sizeof v);
        text_append(out, outlen, " / %s ** 0.5", v);
    }
}

/* value's text[which] in table, or NULL after "unknown <what> 'value'" in err. */
static const char *spell(const spelling *table, size_t n, const char *value, int which,
                         const char *what, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].value, value) == 0)
            return table[i].text[which];
    snprintf(err, errlen, "unknown %s '%s'", what, value);
    return NULL;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int takehome_code(const takehome_loss *loss, enum takehome_framework fw, char *out,
                  size_t outlen, char *err, size_t errlen)
{
    const int torch = fw == TAKEHOME_PYTORCH;
    const char *pixel = loss->pixel ? loss->pixel : "mse";
    const char *norm = loss->kernel_norm && *loss->kernel_norm ? loss->kernel_norm : "none";
    const char *border = loss->border && *loss->border ? loss->border : "reflect101";
    const int lap = loss->lambda > 0;
    if (!isfinite(loss->lambda) || loss->lambda < 0) {
        snprintf(err, errlen, "λ must be a finite number >= 0");
        return -1;
    }
    const int kernel = lap ? lap_kernel_find(loss->kernel) : -1;
    if (lap && (kernel < 0 || lap_kernel_def_of(kernel)->mixes_channels)) {
        char stencils[128];
        per_channel_names(stencils, sizeof stencils);
        snprintf(err, errlen, "kernel '%s' is not a per-channel stencil (%s): the "
                 "channel-mixing keras-recipe kernel is not offered as code to take home",
                 loss->kernel ? loss->kernel : "", stencils);
        return -1;
    }
    const int knorm = lap_norm_find(norm);
    if (knorm < 0) {
        snprintf(err, errlen, "unknown kernel_norm '%s'", norm);
        return -1;
    }
    const char *pad_mode, *pixel_expr;
    if (!(pad_mode = spell(pad_modes, COUNT(pad_modes), border, torch, "border", err, errlen)) ||
        !(pixel_expr = spell(pixel_exprs, COUNT(pixel_exprs), pixel, torch, "pixel loss", err,
                             errlen)))
        return -1;
    size_t used = 0;
    int rc = 0;
    char lambda[40];
    snprintf(lambda, sizeof lambda, "%.17g", loss->lambda);
    rc |= put(out, outlen, &used, "%s",
              torch ? "import torch\nimport torch.nn.functional as F\n\n"
                    : "import tensorflow as tf\n\n");
    rc |= put(out, outlen, &used, "LAMBDA = %s  # loss.laplacian_weight\n", lambda);
    if (lap) {
        char stencil[256];
        stencil_code(kernel, knorm, stencil, sizeof stencil);
        rc |= put(out, outlen, &used, "# %s, kernel_norm = %s, border = %s: one 3x3 stencil "
                  "for every channel alone\n", lap_kernel_def_of(kernel)->label, norm, border);
        rc |= put(out, outlen, &used, "STENCIL = %s(%s\n\n\n",
                  torch ? "torch.tensor" : "tf.constant", stencil);
        if (torch)
            rc |= put(out, outlen, &used,
                      "def laplacian(x):\n"
                      "    \"\"\"The stencil on each channel of x, (N, C, H, W), depthwise.\"\"\"\n"
                      "    c = x.shape[1]\n"
                      "    k = STENCIL.to(x.dtype).to(x.device).expand(c, 1, 3, 3)\n"
                      "    x = F.pad(x, (1, 1, 1, 1), mode=%s)\n"
                      "    return F.conv2d(x, k, groups=c)\n\n\n", pad_mode);
        else
            rc |= put(out, outlen, &used,
                      "def laplacian(x):\n"
                      "    \"\"\"The stencil on each channel of x, (N, H, W, C), depthwise.\"\"\"\n"
                      "    c = x.shape[-1]\n"
                      "    k = tf.tile(tf.cast(STENCIL, x.dtype)[:, :, None, None], [1, 1, c, 1])\n"
                      "    x = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode=%s)\n"
                      "    return tf.nn.depthwise_conv2d(x, k, [1, 1, 1, 1], 'VALID')\n\n\n",
                      pad_mode);
    } else {
        rc |= put(out, outlen, &used, "# the baseline: no Laplacian term\n\n\n");
    }
    rc |= put(out, outlen, &used, "def wb_loss(pred, target):\n"
              "    \"\"\"wb's training loss: pixel %s%s.\"\"\"\n"
              "    pixel = %s\n", pixel, lap ? " + LAMBDA * Laplacian MSE" : " alone", pixel_expr);
    if (lap)
        rc |= put(out, outlen, &used, "    lap = %s\n    return pixel + LAMBDA * lap\n",
                  torch ? "torch.mean((laplacian(pred) - laplacian(target)) ** 2)"
                        : "tf.reduce_mean(tf.square(laplacian(pred) - laplacian(target)))");
    else
        rc |= put(out, outlen, &used, "    return pixel\n");
    if (rc != 0) {
        snprintf(err, errlen, "the code does not fit in %zu bytes", outlen);
        return -1;
    }
    return 0;
}
