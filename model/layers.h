/* model/layers.h: the U-Net's layers as forward/backward pairs of free functions with explicit
 * sizes, on channel-major activations (C, n*h*w): channel c of sample s starts at
 * c * n*h*w + s * h*w. With the batch inside each channel, concatenating two tensors along
 * channels costs nothing and a layer splits into chunks of whole samples.
 *
 * 3x3 convolutions take, per layer, the fastest path the image size and CPU allow (measured in
 * bench/ and the commit history): Winograd F(2x2, 3x3) for the forward pass and input gradient
 * (model/conv_winograd.h), direct AVX-512 kernels for the weight gradient and what Winograd does
 * not take (model/conv_direct.h), else a batch-wide im2col and one GEMM per cache-sized chunk of
 * samples (about 1 MB). 1x1 and transposed convolutions are GEMMs. Each OpenMP thread owns its
 * chunks, its slice of the scratch and its weight-gradient accumulator; the chunk -> thread
 * mapping is static, so results are bitwise reproducible for a given thread count and CPU kind.
 *
 * Backward functions add into every gradient they produce: parameters always, inputs unless told
 * to overwrite them (dx_add = 0: the U-Net's activation gradients each have one first writer,
 * which saves zeroing megabytes per step). */
#ifndef WB_MODEL_LAYERS_H
#define WB_MODEL_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "model/profile.h"

/* Scratch carved out of the network's arena. */
typedef struct layer_scratch {
    int threads;
    size_t col_floats;      /* per thread: im2col / transposed-conv buffer */
    float *col;             /* threads * col_floats */
    size_t acc_floats;      /* per thread: weight and bias gradient accumulator */
    float *acc;             /* threads * acc_floats */
    size_t shared_floats;   /* one buffer for all threads: rearranged weights */
    float *shared;
    layer_profile *prof;    /* NULL, or timings accumulated by thread 0 */
    int conv_algo;          /* LAYER_CONV_*: which 3x3 algorithm (tests compare them) */
} layer_scratch;

/* 3x3 convolution algorithms: AUTO takes the fastest one the layer and CPU allow (Winograd for
 * the forward pass and input gradient, direct kernels otherwise, im2col + GEMM as the fallback);
 * the others restrict the choice. */
enum { LAYER_CONV_AUTO = 0, LAYER_CONV_DIRECT = 1, LAYER_CONV_IM2COL = 2 };

/* The buffer a chunk of samples aims for, in floats (about 1 MB: 0.25 MB and 4 MB measured 5-15 %
 * slower for im2col in a prototype on this machine). */
#define LAYER_CHUNK_FLOATS (256u * 1024u)

/* One convolution layer: stride 1, padding (ksize - 1) / 2, bias, optionally ReLU. */
typedef struct conv_desc {
    int cin, cout, h, w, ksize;     /* ksize 3 or 1 */
    int relu;
} conv_desc;

/* What a layer needs for batches of up to max_n samples: per-thread scratch, per-thread gradient
 * accumulator, shared buffer (floats). */
size_t conv_scratch_floats(const conv_desc *d, int max_n);
size_t conv_acc_floats(const conv_desc *d);
size_t conv_shared_floats(const conv_desc *d);
size_t upconv_scratch_floats(int cout, int h, int w, int max_n);

/* x: (cin, n*h*w); y: (cout, n*h*w); weight: (cout, cin, k, k) as PyTorch stores it. */
void conv2d_forward(float *y, const float *x, const float *weight, const float *bias, int n,
                    const conv_desc *d, layer_scratch *s);
/* dy is the gradient of the (post-ReLU) output; it is masked in place by the ReLU. y is the
 * layer's output (for the mask; ignored without relu). dx may be NULL (the first layer); it is
 * added into with dx_add = 1, overwritten with 0. */
void conv2d_backward(float *dx, float *dweight, float *dbias, float *dy, const float *y,
                     const float *x, const float *weight, int n, const conv_desc *d, int dx_add,
                     layer_scratch *s);

/* Transposed convolution, kernel 2, stride 2, with bias: x (cin, n*h*w) -> y (cout, n*2h*2w).
 * weight: (cin, cout, 2, 2) as PyTorch's ConvTranspose2d stores it. */
void upconv2x2_forward(float *y, const float *x, const float *weight, const float *bias, int n,
                       int cin, int cout, int h, int w, layer_scratch *s);
void upconv2x2_backward(float *dx, float *dweight, float *dbias, const float *dy, const float *x,
                        const float *weight, int n, int cin, int cout, int h, int w, int dx_add,
                        layer_scratch *s);

/* Max-pool 2x2, stride 2: x (c, n*h*w) -> y (c, n*(h/2)*(w/2)); argmax keeps, per output, which
 * of the four inputs won (the first maximum in row-major order, NaN winning, as PyTorch). */
void maxpool2x2_forward(float *y, uint8_t *argmax, const float *x, int n, int c, int h, int w,
                        layer_scratch *s);
void maxpool2x2_backward(float *dx, const float *dy, const uint8_t *argmax, int n, int c, int h,
                         int w, layer_scratch *s);

#endif
