/* plots/takehome.h: the loss to take home (issue 13): a configuration's training loss as code
 * for PyTorch and for Keras/TensorFlow, the same loss wb trained with (model/loss.h):
 *     L = pixel(ŷ, y) + λ · mean((K*ŷ - K*y)^2)
 * with K the configuration's 3x3 stencil (K4 or K8, divided as kernel_norm says: none, l1 by the
 * sum of its absolute taps, energy by sqrt of the sum of its squared taps) applied to each colour
 * channel alone (a depthwise convolution: never the channel-mixing kernel of the popular Keras
 * recipe), with the same border (reflect101 is PyTorch's F.pad mode 'reflect' and TensorFlow's
 * 'REFLECT'; replicate is 'replicate' and, for a one-pixel pad, 'SYMMETRIC'; zero is 'constant'),
 * the mean over every value of the batch as wb takes it, and the same λ. The TensorFlow snippet
 * is a line-for-line twin of the PyTorch one; only the PyTorch one is executed by CI (make
 * check-python, tests/python/check_takehome_loss.py).
 *
 * Nothing here comes from the database but numbers and the names the store spells ("4", "energy",
 * "reflect101", "mse"); anything else is refused. */
#ifndef WB_PLOTS_TAKEHOME_H
#define WB_PLOTS_TAKEHOME_H

#include <stddef.h>

enum takehome_framework { TAKEHOME_PYTORCH, TAKEHOME_TENSORFLOW };

typedef struct takehome_loss {
    double lambda;              /* 0: the pixel loss alone */
    const char *kernel;         /* "4" or "8"; NULL when lambda = 0 */
    const char *kernel_norm;    /* "none", "l1", "energy"; NULL means none */
    const char *border;         /* "reflect101", "replicate", "zero"; NULL means reflect101 */
    const char *pixel;          /* "mse", "l1", "charbonnier"; NULL means mse */
} takehome_loss;

/* Writes the code (a whole Python module defining wb_loss(pred, target)) into out. Returns 0, or
 * -1 with err saying why there is no code (a kernel other than 4 or 8, such as the channel-mixing
 * keras-recipe, an unknown name, or out too small). */
int takehome_code(const takehome_loss *loss, enum takehome_framework fw, char *out,
                  size_t outlen, char *err, size_t errlen);

#endif
