/* model/conv_winograd.h: 3x3 convolutions (stride 1, padding 1) by Winograd's F(2x2, 3x3) with
 * AVX-512, for the forward pass and the input gradient. Internal to model/ (layers.c dispatches
 * to it), not part of the module's contract.
 *
 * Each 2x2 block of outputs takes 16 products per channel pair instead of 36: the input is cut
 * into overlapping 4x4 tiles, V = B^T d B, the weights into U = G g G^T, the 16 products
 * M = sum_ci U V run as small matrix products vectorised over 16 tiles, and Y = A^T M A. The
 * transforms cost adds and lane permutes per tile and channel, so it pays only with enough
 * channels (cin >= WINOGRAD_MIN_CIN). The weight gradient stays with the direct kernels: its
 * exact zeros (an input channel that is zero everywhere) must stay exact, since Adam turns any
 * residue into a step of size lr.
 *
 * Eligible images (conv_winograd_usable): 16 pixels wide with a height divisible by 4 (a vector
 * of 16 tiles is two rows of 8 tiles), exactly 8x8 (one image is 16 tiles) or exactly 4x4 (four
 * images of 4 tiles). */
#ifndef WB_MODEL_CONV_WINOGRAD_H
#define WB_MODEL_CONV_WINOGRAD_H

#include <stddef.h>

#define WINOGRAD_MIN_CIN 8

/* 1 when this CPU, an h x w image and cin input channels can use the Winograd kernels. */
int conv_winograd_usable(int h, int w, int cin);

/* Floats of the transformed weights: 16 * cin * cout. */
size_t conv_winograd_weight_floats(int cin, int cout);

/* Scratch one thread needs (floats) to run a chunk: at least one block of 16 tiles. */
size_t conv_winograd_min_scratch(int cin, int cout);

/* Transformed weights u[(xi*nin + i)*nout + o], xi = 4*row + column of the 4x4 transform, for
 * the input channels i of share `part` of `parts` (threads pack their shares in parallel):
 * - flip = 0: the forward convolution (nin = cin, nout = cout) of w (cout, cin, 3, 3);
 * - flip = 1: the input gradient, a forward convolution of dy (nin = cout, nout = cin) with the
 *   weights transposed and turned by 180 degrees. */
void conv_winograd_pack(float *u, const float *w, int cout, int cin, int flip, int part,
                        int parts);

/* As conv_direct_apply, for a chunk of whole samples (cols positions), with u from
 * conv_winograd_pack and scratch_floats (>= conv_winograd_min_scratch) of scratch. */
void conv_winograd_apply(float *out, const float *x, size_t plane, const float *u, int cin,
                         int cout, int h, int w, size_t cols, int accumulate, const float *bias,
                         int relu, float *scratch, size_t scratch_floats);

#endif
