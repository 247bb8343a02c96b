/* model/pool_simd.h: the 2x2 max-pool's forward pass with AVX-512, for images 4, 8 or 16 pixels
 * wide. Internal to model/ (layers.c dispatches to it).
 *
 * Since h is even, a channel-major tensor is a sequence of input row pairs of 2w floats, one
 * per output row of w/2: 16 consecutive outputs always read 64 consecutive inputs, whatever
 * image they belong to. */
#ifndef WB_MODEL_POOL_SIMD_H
#define WB_MODEL_POOL_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* 1 when this CPU and a w-wide image can use maxpool_simd_forward. */
int maxpool_simd_usable(int w);

/* Outputs [16*b0, 16*b1) of the flattened tensor: y[o] = the first maximum (NaN winning, as
 * layers.h says) of its 2x2 window, argmax[o] its position (row-major). */
void maxpool_simd_forward(float *y, uint8_t *argmax, const float *x, size_t b0, size_t b1, int w);

#endif
