/* model/pool_simd.c: see pool_simd.h. Built for the baseline ISA; the kernel carries
 * target("avx512f") and runs after maxpool_simd_usable has asked the CPU. */
#include "model/pool_simd.h"

#include <immintrin.h>

#include "model/simd.h"

int maxpool_simd_usable(int w)
{
    return (w == 4 || w == 8 || w == 16) && __builtin_cpu_supports("avx512f");
}

AVX512 void maxpool_simd_forward(float *y, uint8_t *argmax,
                                                             const float *x, size_t b0, size_t b1,
                                                             int w)
{
    /* window position k (row k/2, column k%2) of output lane l, within the 64 inputs; lanes 8-15
     * read the second half (positions 32-63), so each takes two permutes and a blend */
    int32_t pos[4][16];
    for (int k = 0; k < 4; k++)
        for (int l = 0; l < 16; l++) {
            const int pair = l / (w / 2), j = l % (w / 2);
            const int p = pair * 2 * w + (k / 2) * w + 2 * j + k % 2;
            pos[k][l] = l < 8 ? p : p - 32;
        }
    __m512i idx[4];
    for (int k = 0; k < 4; k++)
        idx[k] = _mm512_loadu_si512(pos[k]);
    for (size_t b = b0; b < b1; b++) {
        const float *in = x + 64 * b;
        const __m512 z0 = _mm512_loadu_ps(in), z1 = _mm512_loadu_ps(in + 16);
        const __m512 z2 = _mm512_loadu_ps(in + 32), z3 = _mm512_loadu_ps(in + 48);
        __m512 v[4];
        for (int k = 0; k < 4; k++)
            v[k] = _mm512_mask_blend_ps(0xFF00, _mm512_permutex2var_ps(z0, idx[k], z1),
                                        _mm512_permutex2var_ps(z2, idx[k], z3));
        /* as the scalar rule: a later input wins when greater or NaN, and a NaN ends the search */
        __m512 best = v[0];
        __m512i bi = _mm512_setzero_si512();
        __mmask16 done = 0;
        for (int k = 1; k < 4; k++) {
            const __mmask16 nan = _mm512_cmp_ps_mask(v[k], v[k], _CMP_UNORD_Q);
            const __mmask16 take =
                (__mmask16)(~done & (_mm512_cmp_ps_mask(v[k], best, _CMP_GT_OQ) | nan));
            best = _mm512_mask_blend_ps(take, best, v[k]);
            bi = _mm512_mask_blend_epi32(take, bi, _mm512_set1_epi32(k));
            done |= (__mmask16)(take & nan);
        }
        _mm512_storeu_ps(y + 16 * b, best);
        _mm_storeu_si128((__m128i *)(argmax + 16 * b), _mm512_cvtepi32_epi8(bi));
    }
}
