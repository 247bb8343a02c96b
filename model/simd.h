/* model/simd.h: what the AVX-512 kernels of model/ share (conv_direct.c, conv_winograd.c,
 * pool_simd.c). Internal to model/, not part of its contract.
 *
 * The kernel files are compiled for the baseline ISA; only functions marked AVX512 (entry
 * points) or SIMD_KERNEL (always inlined, so their register-block sizes become constants) carry
 * target("avx512f"), and they run after the caller has asked the CPU. */
#ifndef WB_MODEL_SIMD_H
#define WB_MODEL_SIMD_H

#define SIMD_KERNEL static inline __attribute__((always_inline, target("avx512f")))
#define AVX512 __attribute__((target("avx512f")))

/* Register blocking of the convolution products: R_MAX vectors of 16 positions (or tiles) x
 * CO_MAX output channels = 24 zmm accumulators. */
#define R_MAX 3
#define CO_MAX 8

/* Calls BLOCK(co0, width) over the channels [0, count) in blocks of CO_MAX, then one block each of
 * 4, 2 and 1 as the remainder needs: the widths the kernels are instantiated for, each a constant
 * at its call. */
#define CHANNEL_BLOCKS(count, BLOCK)                                                               \
    do {                                                                                           \
        int co0_ = 0;                                                                              \
        for (; co0_ + CO_MAX <= (count); co0_ += CO_MAX)                                           \
            BLOCK(co0_, CO_MAX);                                                                   \
        if (co0_ + 4 <= (count)) {                                                                 \
            BLOCK(co0_, 4);                                                                        \
            co0_ += 4;                                                                             \
        }                                                                                          \
        if (co0_ + 2 <= (count)) {                                                                 \
            BLOCK(co0_, 2);                                                                        \
            co0_ += 2;                                                                             \
        }                                                                                          \
        if (co0_ < (count))                                                                        \
            BLOCK(co0_, 1);                                                                        \
    } while (0)

#endif
