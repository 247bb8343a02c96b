/* plots/takehome.c: the training loss as PyTorch and TensorFlow code; see takehome.h. */
#include "plots/takehome.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* loss.kernel_norm: the divisor of the stencil, written so a reader sees where it comes from;
 * text[1] for K4, text[0] for K8. */
static const spelling norm_divisors[] = {
    { "none", { "", "" } },
    { "l1", { " / 16.0", " / 8.0" } },
    { "energy", { " / 72.0 ** 0.5", " / 20.0 ** 0.5" } },
};

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
    if (lap && (!loss->kernel || (strcmp(loss->kernel, "4") != 0 &&
                                  strcmp(loss->kernel, "8") != 0))) {
        snprintf(err, errlen, "kernel '%s' is not a per-channel stencil (4 or 8): the "
                 "channel-mixing keras-recipe kernel is not offered as code to take home",
                 loss->kernel ? loss->kernel : "");
        return -1;
    }
    const int k4 = lap && strcmp(loss->kernel, "4") == 0;
    const char *divisor, *pad_mode, *pixel_expr;
    if (!(divisor = spell(norm_divisors, COUNT(norm_divisors), norm, k4, "kernel_norm", err,
                          errlen)) ||
        !(pad_mode = spell(pad_modes, COUNT(pad_modes), border, torch, "border", err, errlen)) ||
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
        rc |= put(out, outlen, &used, "# K%s, kernel_norm = %s, border = %s: one 3x3 stencil "
                  "for every channel alone\n", loss->kernel, norm, border);
        rc |= put(out, outlen, &used, "STENCIL = %s(%s)%s\n\n\n",
                  torch ? "torch.tensor" : "tf.constant",
                  k4 ? "[[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]"
                     : "[[1.0, 1.0, 1.0], [1.0, -8.0, 1.0], [1.0, 1.0, 1.0]]",
                  divisor);
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
