/* model/profile.h: where a training step's time goes, part by part, for the benchmark
 * (bench/bench_train.c). The layers fill it (layers.h), the network hands it out (unet.h); its own
 * header so that the layers need not include the network above them. */
#ifndef WB_MODEL_PROFILE_H
#define WB_MODEL_PROFILE_H

/* Seconds thread 0 spent in each part of its chunks. conv_fwd, conv_wgrad and conv_dgrad are the
 * products of every convolution and transposed convolution (forward, weight gradient, input
 * gradient), by whichever algorithm ran them: a GEMM, Winograd or the direct kernels; im2col is
 * the rearranging that feeds a GEMM (im2col, transposes, the transposed convolution's scatter and
 * gather); elementwise is bias, ReLU and their gradients; pool the max-pool, both ways. */
typedef struct layer_profile {
    double conv_fwd, conv_wgrad, conv_dgrad, im2col, elementwise, pool;
} layer_profile;

#endif
