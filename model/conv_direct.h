/* model/conv_direct.h: 3x3 convolutions (stride 1, padding 1) computed directly from the
 * channel-major activations with AVX-512, with no im2col buffer. Internal to model/ (layers.c
 * dispatches to it), not part of the module's contract.
 *
 * Every product is vectorised over 16 consecutive positions of a channel row; a tap that falls
 * outside its own image is a masked lane of the load (the zero padding), so the sums are the
 * same products an im2col GEMM forms, in another order. A layer is eligible when h*w is a
 * multiple of 16 (16x16, 8x8 and 4x4 images here; the vector then never straddles two samples)
 * and the CPU has AVX-512F; otherwise layers.c keeps its im2col path. */
#ifndef WB_MODEL_CONV_DIRECT_H
#define WB_MODEL_CONV_DIRECT_H

#include <stddef.h>

/* Largest h*w the kernels take (their border masks live on the stack). */
#define CONV_DIRECT_MAX_HW (128 * 128)

/* 1 when this CPU and an h x w image can use the direct kernels. */
int conv_direct_usable(int h, int w);

/* Weights rearranged for conv_direct_apply, wp[(ci*9 + t)*cout + co], for the output channels co
 * of share `part` of `parts` (threads pack their shares in parallel):
 * - flip = 0: the forward convolution, w[co][ci][t] (w as PyTorch stores it, (cout, cin, 3, 3));
 * - flip = 1: the input gradient, a forward convolution of dy with cin and cout exchanged and the
 *   taps turned by 180 degrees: wp[(co*9 + t)*cin + ci] = w[co][ci][8 - t]. */
void conv_direct_pack(float *wp, const float *w, int cout, int cin, int flip, int part, int parts);

/* For the positions [0, cols) of a chunk of whole samples (cols a multiple of h*w):
 *   out[co][j] = (accumulate ? out[co][j] : 0) + sum_ci sum_t wp[(ci*9 + t)*cout + co] *
 *                x[ci][j + (ky-1)*w + (kx-1)], taps outside their image counting as 0;
 * then, when bias is not NULL, out += bias[co] and, when relu, out = (out < 0 ? 0 : out) (NaN
 * kept, as layers.h's bias_act). Rows are `plane` floats apart in x and in out. */
void conv_direct_apply(float *out, const float *x, size_t plane, const float *wp, int cin,
                       int cout, int h, int w, size_t cols, int accumulate, const float *bias,
                       int relu);

/* acc[(co*cin + ci)*9 + t] += sum_j g[co][j] * x[ci][j + (ky-1)*w + (kx-1)] over [0, cols): the
 * weight gradient of the same convolution (g the output gradient). */
void conv_direct_wgrad(float *acc, const float *g, const float *x, size_t plane, int cin, int cout,
                       int h, int w, size_t cols);

#endif
