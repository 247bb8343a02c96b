/* model/loss.h: L = pixel(ŷ, y) + λ · mean((K*ŷ - K*y)^2), docs/DESIGN.md's loss.
 *
 * The Laplacian stencils are computed in double on one image plane at a time, with explicit strides,
 * so the training loss (channel-major planes) and the metrics (HWC images) share one
 * implementation. */
#ifndef WB_MODEL_LOSS_H
#define WB_MODEL_LOSS_H

#include <stddef.h>

#include "model/lap_kernels.h"

enum pixel_loss { PIXEL_MSE, PIXEL_L1, PIXEL_CHARBONNIER };
enum lap_border { BORDER_REFLECT101, BORDER_REPLICATE, BORDER_ZERO };

#define CHARBONNIER_EPS 1e-3

typedef struct loss_options {
    enum pixel_loss pixel;
    double lap_weight;          /* λ >= 0; 0 disables the term */
    enum lap_kernel kernel;
    enum lap_border border;     /* ignored by a kernel that mixes channels (zero borders always) */
    enum lap_norm kernel_norm;
} loss_options;

typedef struct loss_value {
    double total, pixel, lap;   /* lap is unweighted */
} loss_value;

/* Layers of the loss, each a forward/backward pair over planes of h x w pixels.
 * A plane is addressed by its first pixel and (row, column) strides in floats. */

/* out[i][j] = sum_t k[t] * in[border(i+di, j+dj)]; k is a 3x3 stencil in row-major order. */
void stencil3x3_forward(const double k[9], enum lap_border b, const double *in, double *out, int h,
                        int w);
/* The adjoint: grad_in += K^T * grad_out with the same border mapping. */
void stencil3x3_backward(const double k[9], enum lap_border b, const double *grad_out,
                         double *grad_in, int h, int w);
/* The kernels, their stencils (lap_stencil) and white-noise gains (lap_white_noise_gain) are the
 * kernel table's, model/lap_kernels.h. */

/* λ times that gain: what the Laplacian term weighs white-noise error with, relative to the MSE
 * pixel loss. Comparable across kernels and normalisations, where λ alone is not. 0 when λ = 0. */
double loss_effective_weight(const loss_options *o);

/* Doubles of scratch the loss needs per pixel of one image. */
#define LOSS_SCRATCH_PER_PIXEL 12

/* The Laplacian map K*img of a channel-major (3, n*h*w) array into out (same layout, double),
 * for any kernel choice (the keras recipe mixes channels). scratch: LOSS_SCRATCH_PER_PIXEL * h * w
 * doubles. */
void lap_map(const loss_options *o, const float *img, double *out, double *scratch, int n, int h,
             int w);

/* The whole loss on channel-major (3, n*h*w) arrays: returns its parts and writes dL/dŷ into
 * dyhat (overwriting). Samples are shared among up to `threads` OpenMP threads, each with
 * LOSS_SCRATCH_PER_PIXEL * h * w doubles of `scratch`; their partial sums are added in thread
 * order, so the result is the same for the same thread count. */
loss_value loss_forward_backward(const loss_options *o, const float *yhat, const float *y,
                                 float *dyhat, double *scratch, int threads, int n, int h, int w);

/* Only the value, for evaluation. */
loss_value loss_value_of(const loss_options *o, const float *yhat, const float *y, double *scratch,
                         int threads, int n, int h, int w);

#endif
