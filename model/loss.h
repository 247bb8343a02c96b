/* model/loss.h: L = pixel(ŷ, y) + λ · mean((K*ŷ - K*y)^2), docs/DESIGN.md's loss.
 *
 * The Laplacian stencils are computed in double on one image plane at a time, with explicit strides,
 * so the training loss (channel-major planes) and the metrics (HWC images) share one
 * implementation. */
#ifndef WB_MODEL_LOSS_H
#define WB_MODEL_LOSS_H

#include <stddef.h>

enum pixel_loss { PIXEL_MSE, PIXEL_L1, PIXEL_CHARBONNIER };
enum lap_kernel { LAP_K4, LAP_K8, LAP_KERAS_RECIPE };
enum lap_border { BORDER_REFLECT101, BORDER_REPLICATE, BORDER_ZERO };
/* How the stencil is scaled: none; l1 divides it by the sum of its absolute taps (K4 by 8, K8
 * and the keras recipe's L by 16); energy divides it by the square root of its white-noise gain
 * (lap_white_noise_gain), so that λ weighs white-noise error equally for every kernel. */
enum lap_norm { LAP_NORM_NONE, LAP_NORM_L1, LAP_NORM_ENERGY };

#define CHARBONNIER_EPS 1e-3

typedef struct loss_options {
    enum pixel_loss pixel;
    double lap_weight;          /* λ >= 0; 0 disables the term */
    enum lap_kernel kernel;
    enum lap_border border;     /* ignored by LAP_KERAS_RECIPE (zero borders always) */
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
/* The stencil of a kernel choice, with kernel_norm applied (for the keras recipe: its 3x3 L). */
void lap_stencil(enum lap_kernel kernel, enum lap_norm norm, double k[9]);

/* The white-noise gain of the Laplacian operator with its normalisation: E[(K*e)^2] / E[e^2] for
 * white noise e away from the borders, averaged over the output channels. For the per-channel
 * stencils it is the sum of the squared taps: K4 20, K8 72 unnormalised, 20/64 and 72/256 with
 * l1, 1 with energy. The keras recipe's output channel o is sum_i L[i][o] box3x3(e_i), so its gain
 * is 9 * sum(L^2) / 3 = 216 unnormalised (0.84375 with l1, 1 with energy). */
double lap_white_noise_gain(enum lap_kernel kernel, enum lap_norm norm);

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
